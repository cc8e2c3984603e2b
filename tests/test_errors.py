"""The exception tree and its one table of HTTP statuses: every class has one, the API answers with it.

The statuses are the web's (``kakehashi.web.problems.STATUS``); the exit codes
are the command line's (``exit_code`` on each class).
"""

from __future__ import annotations

import inspect
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

import kakehashi.errors as errors
from kakehashi.errors import (
    ApiError,
    ConfigError,
    ConflictError,
    ForbiddenError,
    IngestError,
    KakehashiError,
    MalformedInputError,
    NotFoundError,
    NotSignedInError,
    QueryTimeout,
    StoreError,
    UnknownValueError,
)
from kakehashi.web import problems
from kakehashi.web.problems import DESCRIPTIONS, ERROR_RESPONSES, STATUS, status_of
from serving import asgi_get


def every_error() -> list[type[KakehashiError]]:
    found: list[type[KakehashiError]] = [KakehashiError]
    for cls in found:
        found.extend(c for c in cls.__subclasses__() if c not in found)
    return found


# Which status each class answers with; 500 is what no more specific class claims.
EXPECTED = {
    NotSignedInError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    ConfigError: 422,
    UnknownValueError: 422,
    MalformedInputError: 422,
    IngestError: 500,
    ApiError: 502,
    QueryTimeout: 503,
    StoreError: 503,
    KakehashiError: 500,
}


def test_every_error_class_has_its_own_row_in_the_status_table() -> None:
    listed = [cls for cls, _ in STATUS]
    assert len(listed) == len(set(listed))
    missing = [c.__name__ for c in every_error() if c not in listed]
    assert not missing, f"add these to kakehashi.web.problems.STATUS: {missing}"


def test_every_error_class_is_declared_in_errors_py() -> None:
    declared = {n for n, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, KakehashiError)}
    assert {c.__name__ for c in every_error()} == declared == set(errors.__all__)


def test_no_row_of_the_table_is_hidden_by_a_more_general_one_above_it() -> None:
    for i, (general, _) in enumerate(STATUS):
        for specific, _ in STATUS[i + 1 :]:
            assert not issubclass(specific, general), (
                f"{specific.__name__} must come before {general.__name__}"
            )


@pytest.mark.parametrize("cls", list(EXPECTED), ids=lambda c: c.__name__)
def test_each_class_maps_to_its_status(cls: type[KakehashiError]) -> None:
    assert status_of(cls("something went wrong; do this.")) == EXPECTED[cls]


def test_the_documented_responses_are_statuses_of_the_table() -> None:
    statuses = {s for _, s in STATUS}
    assert set(DESCRIPTIONS) == statuses
    # 422 is also FastAPI's validation error; 404 also an unknown route.
    assert set(ERROR_RESPONSES) <= statuses
    assert all(r["description"] == DESCRIPTIONS[int(s)] for s, r in ERROR_RESPONSES.items())


def test_exit_codes_of_the_command_line() -> None:
    codes = {c: c.exit_code for c in every_error()}
    assert codes == {
        KakehashiError: 1,
        ConfigError: 2,
        UnknownValueError: 2,
        NotFoundError: 2,
        NotSignedInError: 1,
        ForbiddenError: 1,
        ConflictError: 1,
        QueryTimeout: 1,
        StoreError: 1,
        IngestError: 1,
        MalformedInputError: 1,
        ApiError: 1,
    }


@pytest.mark.parametrize("cls", [NotSignedInError, ForbiddenError, ConflictError, QueryTimeout])
def test_default_messages_are_one_sentence_saying_what_to_do(cls: type[KakehashiError]) -> None:
    msg = str(cls())
    assert msg == cls.default_message
    assert msg[0].islower() and msg.endswith(".") and msg.count(". ") == 0 and ";" in msg
    assert (
        str(cls("the edit of programme P1 is stale; reload it."))
        == "the edit of programme P1 is stale; reload it."
    )


def test_a_class_without_a_default_message_needs_one() -> None:
    for cls in (KakehashiError, NotFoundError, StoreError, IngestError, ApiError):
        assert cls.default_message is None
        with pytest.raises(TypeError, match="needs a message"):
            cls()


def test_the_timeout_is_one_class_whatever_it_is_imported_from() -> None:
    from kakehashi.web.service import QueryTimeout as FromService

    assert FromService is QueryTimeout
    # concurrent.futures.TimeoutError is the builtin; the service tells the two apart.
    assert not issubclass(QueryTimeout, TimeoutError)


def test_the_python_bases_are_kept() -> None:
    assert issubclass(ConfigError, ValueError) and issubclass(MalformedInputError, ValueError)
    assert issubclass(StoreError, OSError) and issubclass(ApiError, OSError)
    assert issubclass(NotFoundError, LookupError)


# -- through the API -----------------------------------------------------------


def _app() -> FastAPI:
    app = FastAPI()
    problems.install(app)

    def route(cls: type[KakehashiError]) -> None:
        def raise_it() -> None:
            if issubclass(cls, ConfigError):
                raise cls(f"{cls.__name__} happened; fix it.", parameter="country")
            raise cls(f"{cls.__name__} happened; fix it.")

        app.add_api_route(f"/raise/{cls.__name__}", raise_it, methods=["GET"])

    for cls in every_error():
        route(cls)
    return app


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return _app()


def get(app: Any, url: str) -> httpx.Response:
    return asgi_get(app, url)


@pytest.mark.parametrize("cls", every_error(), ids=lambda c: c.__name__)
def test_the_api_answers_each_error_with_its_status_in_the_one_shape(
    app: FastAPI, cls: type[KakehashiError]
) -> None:
    r = get(app, f"/raise/{cls.__name__}")
    assert r.status_code == EXPECTED[cls], r.text
    assert r.json() == {
        "status": EXPECTED[cls],
        "message": f"{cls.__name__} happened; fix it.",
        "parameter": "country" if issubclass(cls, ConfigError) else None,
    }

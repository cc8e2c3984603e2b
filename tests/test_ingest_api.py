"""`kakehashi ingest api` against a replayed OpenAlex API (no network, ever).

:class:`FakeOpenAlex` answers ``GET /works`` the way the API documents it
(https://docs.openalex.org/how-to-use-the-api/get-lists-of-entities/paging):
``meta`` with ``count``, ``per_page`` and ``next_cursor``, and ``results``.
Its cursors are ``*`` and then ``c<offset>``, so a test can say exactly which
pages were asked for. It serves hand-made work records in the shape of the
real page in ``../shared/data/openalex-works/keypapers_results_page_1.json``.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from kakehashi.errors import ApiError, ConfigError, MalformedInputError
from kakehashi.ingest.api import download_dir, fetch_pages, ingest_api
from kakehashi.settings import Settings
from kakehashi.store import Store

BASE = "https://api.openalex.org"
FILTER = "authorships.institutions.country_code:JP,publication_year:2022"
KEY = "sekrit-key-4242"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any request that is not mocked fails the test instead of leaving the machine."""

    def refuse(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"a test tried the network: {request.url}")

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", refuse)


def work(i: int, *, country: str = "JP") -> dict[str, Any]:
    """A small work record in the API's shape (current schema)."""
    return {
        "id": f"https://openalex.org/W{1000 + i}",
        "doi": f"https://doi.org/10.1234/test.{i}",
        "title": f"Test work {i}",
        "display_name": f"Test work {i}",
        "publication_year": 2022,
        "publication_date": "2022-05-01",
        "language": "en",
        "type": "article",
        "type_crossref": "journal-article",
        "cited_by_count": i,
        "is_retracted": False,
        "updated_date": "2025-01-01T00:00:00.000000",
        "authorships": [
            {
                "author_position": "first",
                "author": {
                    "id": f"https://openalex.org/A{2000 + i}",
                    "display_name": f"Author {i}",
                    "orcid": None,
                },
                "institutions": [
                    {
                        "id": "https://openalex.org/I1",
                        "display_name": "Test University",
                        "ror": "https://ror.org/000000001",
                        "country_code": country,
                        "type": "education",
                        "lineage": ["https://openalex.org/I1"],
                    }
                ],
                "countries": [country],
                "is_corresponding": True,
                "raw_author_name": f"Author {i}",
                "raw_affiliation_strings": ["Test University"],
                "affiliations": [
                    {
                        "raw_affiliation_string": "Test University",
                        "institution_ids": ["https://openalex.org/I1"],
                    }
                ],
            }
        ],
        "primary_topic": {
            "id": "https://openalex.org/T1",
            "display_name": "Topic",
            "score": 0.9,
            "subfield": {
                "id": "https://openalex.org/subfields/1702",
                "display_name": "Artificial Intelligence",
            },
            "field": {"id": "https://openalex.org/fields/17", "display_name": "Computer Science"},
            "domain": {"id": "https://openalex.org/domains/3", "display_name": "Physical Sciences"},
        },
        "topics": [],
        "grants": [],
    }


class FakeOpenAlex:
    """A replayed ``/works`` endpoint: ``works`` served ``page_size`` at a time.

    ``script`` holds answers given before any real page (one per request), as
    a response or an exception to raise; ``fail_at`` names cursors at which
    the connection always drops.
    """

    def __init__(
        self,
        works: list[dict[str, Any]],
        *,
        page_size: int = 2,
        script: list[httpx.Response | Exception] | None = None,
        fail_at: set[str] | None = None,
    ):
        self.works = works
        self.page_size = page_size
        self.script = list(script or [])
        self.fail_at = fail_at or set()
        self.requests: list[httpx.Request] = []

    @property
    def cursors(self) -> list[str]:
        return [r.url.params["cursor"] for r in self.requests]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.script:
            answer = self.script.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        assert request.url.path == "/works"
        cursor = request.url.params["cursor"]
        if cursor in self.fail_at:
            raise httpx.ConnectError("connection refused", request=request)
        offset = 0 if cursor == "*" else int(cursor.removeprefix("c"))
        n = min(int(request.url.params["per-page"]), self.page_size)
        results = self.works[offset : offset + n]
        end = offset + len(results)
        body = {
            "meta": {
                "count": len(self.works),
                "db_response_time_ms": 12,
                "page": None,
                "per_page": int(request.url.params["per-page"]),
                # Like the real API: a cursor while results come back, null after.
                "next_cursor": f"c{end}" if results else None,
                "groups_count": None,
            },
            "results": results,
            "group_by": [],
        }
        return httpx.Response(200, json=body)


class Sleeps(list[float]):
    """An injected ``sleep`` that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def settings(**changes: Any) -> Settings:
    return Settings.load(config_file=None, env={}).replace(**{"openalex_base_url": BASE, **changes})


def read_page(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def fetch(folder: Path, api: FakeOpenAlex, **kw: Any) -> tuple[dict[str, Any], Sleeps]:
    sleeps = Sleeps()
    s = kw.pop("settings", None) or settings()
    state = fetch_pages(folder, filter=FILTER, settings=s, transport=api.transport(), sleep=sleeps, **kw)
    return state, sleeps


# -- paging --------------------------------------------------------------------


def test_pages_to_the_end(tmp_path: Path) -> None:
    works = [work(i) for i in range(6)]
    api = FakeOpenAlex(works, page_size=2)
    state, sleeps = fetch(tmp_path, api)

    # Offsets 0, 2, 4 hold the works; the page at 6 is empty with a null cursor: the end.
    assert api.cursors == ["*", "c2", "c4", "c6"]
    assert state["next_cursor"] is None and state["done"] is True
    assert (state["pages"], state["records"], state["count"]) == (4, 6, 6)
    assert state["files"] == ["page-00001.jsonl.gz", "page-00002.jsonl.gz", "page-00003.jsonl.gz"]
    assert [read_page(tmp_path / f) for f in state["files"]] == [works[0:2], works[2:4], works[4:6]]
    assert json.loads((tmp_path / "state.json").read_text()) == state
    assert sleeps == []
    for r in api.requests:
        assert r.method == "GET"
        assert str(r.url).startswith(f"{BASE}/works?")
        assert r.url.params["filter"] == FILTER
        assert r.url.params["per-page"] == "200"
        assert r.headers["user-agent"].startswith("kakehashi/")
        assert "mailto" not in r.url.params and "api_key" not in r.url.params


def test_last_page_with_null_cursor_ends_without_an_empty_request(tmp_path: Path) -> None:
    class LastPageNull(FakeOpenAlex):
        def handle(self, request: httpx.Request) -> httpx.Response:
            resp = super().handle(request)
            body = json.loads(resp.content)
            if request.url.params["cursor"] == "c4":
                body["meta"]["next_cursor"] = None
            return httpx.Response(200, json=body)

    api = LastPageNull([work(i) for i in range(6)], page_size=2)
    state, _ = fetch(tmp_path, api)
    assert api.cursors == ["*", "c2", "c4"]
    assert (state["pages"], state["records"], len(state["files"])) == (3, 6, 3)


def test_max_records_asks_for_no_more_than_needed(tmp_path: Path) -> None:
    api = FakeOpenAlex([work(i) for i in range(10)], page_size=2)
    state, _ = fetch(tmp_path, api, max_records=3)
    # 3 wanted: a page of 2, then a page of 1 (per-page shrinks; the cursor stays exact).
    assert [r.url.params["per-page"] for r in api.requests] == ["3", "1"]
    assert state["records"] == 3 and state["next_cursor"] == "c3"


# -- retries -------------------------------------------------------------------


def test_retries_429_with_retry_after_and_503_then_succeeds(tmp_path: Path) -> None:
    api = FakeOpenAlex(
        [work(i) for i in range(2)],
        script=[
            httpx.Response(429, headers={"Retry-After": "7"}, json={"error": "Rate limit exceeded"}),
            httpx.Response(503, text="Service Unavailable"),
        ],
    )
    state, sleeps = fetch(tmp_path, api)
    assert api.cursors == ["*", "*", "*", "c2"]
    assert state["records"] == 2
    # Retry-After is honoured as given; the second retry backs off 2 s plus up to 2 s of jitter.
    assert sleeps[0] == 7.0
    assert 2.0 <= sleeps[1] < 4.0
    assert len(sleeps) == 2


def test_retry_after_as_http_date_is_understood(tmp_path: Path) -> None:
    api = FakeOpenAlex(
        [work(0)], script=[httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})]
    )
    _, sleeps = fetch(tmp_path, api)
    assert sleeps == [0.0]  # a date in the past: retry at once


def test_gives_up_after_the_retries_allowed(tmp_path: Path) -> None:
    api = FakeOpenAlex([work(0)], script=[httpx.Response(503) for _ in range(10)])
    sleeps = Sleeps()
    with pytest.raises(ApiError) as err:
        fetch_pages(
            tmp_path,
            filter=FILTER,
            settings=settings(api_max_retries=3, openalex_api_key=KEY),
            transport=api.transport(),
            sleep=sleeps,
        )
    assert len(api.requests) == 4 and len(sleeps) == 3
    msg = str(err.value)
    assert "4 times" in msg and "HTTP 503" in msg and f"{BASE}/works" in msg
    assert KEY not in msg
    assert "run the same command again" in msg


def test_backoff_doubles_with_jitter_on_transport_errors(tmp_path: Path) -> None:
    script: list[httpx.Response | Exception] = [httpx.ConnectTimeout("timed out") for _ in range(4)]
    api = FakeOpenAlex([work(0)], script=script)
    sleeps = Sleeps()
    with pytest.raises(ApiError, match="ConnectTimeout"):
        fetch_pages(
            tmp_path,
            filter=FILTER,
            settings=settings(api_max_retries=3),
            transport=api.transport(),
            sleep=sleeps,
        )
    assert len(sleeps) == 3
    for k, wait in enumerate(sleeps):
        assert 2**k <= wait < 2 ** (k + 1)


def test_a_long_retry_after_stops_instead_of_waiting(tmp_path: Path) -> None:
    api = FakeOpenAlex([work(0)], script=[httpx.Response(429, headers={"Retry-After": "86400"})])
    sleeps = Sleeps()
    with pytest.raises(ApiError, match="86400 s"):
        fetch_pages(tmp_path, filter=FILTER, settings=settings(), transport=api.transport(), sleep=sleeps)
    assert len(api.requests) == 1 and sleeps == []


# -- refusals ------------------------------------------------------------------


def test_bad_filter_fails_at_once_with_openalex_message(tmp_path: Path) -> None:
    answer = {
        "error": "Invalid query parameters error.",
        "message": "publication_yeer is not a valid field. Valid fields are underscore or hyphenated "
        "versions of: …",
    }
    api = FakeOpenAlex([work(0)], script=[httpx.Response(400, json=answer)])
    sleeps = Sleeps()
    with pytest.raises(ApiError) as err:
        fetch_pages(
            tmp_path,
            filter="publication_yeer:2022",
            settings=settings(openalex_api_key=KEY),
            transport=api.transport(),
            sleep=sleeps,
        )
    msg = str(err.value)
    assert "filter 'publication_yeer:2022' is invalid" in msg
    assert "publication_yeer is not a valid field" in msg
    assert KEY not in msg
    assert len(api.requests) == 1 and sleeps == []


def test_a_refused_first_request_leaves_no_download_folder(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store", create=True)
    api = FakeOpenAlex([work(0)], script=[httpx.Response(400, json={"error": "Invalid query parameters"})])
    with pytest.raises(ApiError, match="invalid"):
        ingest_api(store, filter="nope:1", settings=settings(), transport=api.transport())
    assert not (store.path / ".api").exists()


def test_forbidden_points_at_the_key(tmp_path: Path) -> None:
    api = FakeOpenAlex([work(0)], script=[httpx.Response(403, json={"error": "Invalid API key"})])
    with pytest.raises(ApiError, match="openalex_api_key"):
        fetch(tmp_path, api, settings=settings(openalex_api_key=KEY))
    assert len(api.requests) == 1


def test_a_base_url_without_scheme_is_a_config_error_not_retried(tmp_path: Path) -> None:
    sleeps = Sleeps()
    with pytest.raises(ConfigError, match="openalex_base_url"):
        fetch_pages(
            tmp_path,
            filter=FILTER,
            settings=settings(openalex_base_url="api.openalex.org"),
            transport=FakeOpenAlex([work(0)]).transport(),
            sleep=sleeps,
        )
    assert sleeps == []


def test_empty_filter_is_refused_before_any_request(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store", create=True)
    with pytest.raises(ConfigError, match="filter"):
        ingest_api(store, filter=" ", settings=settings(), transport=FakeOpenAlex([]).transport())


# -- credentials ---------------------------------------------------------------


def test_mailto_and_api_key_are_sent_but_the_key_is_never_saved(tmp_path: Path) -> None:
    api = FakeOpenAlex([work(i) for i in range(4)], page_size=2)
    s = settings(openalex_mailto="staff@example.go.jp", openalex_api_key=KEY)
    state, _ = fetch(tmp_path, api, settings=s)
    for r in api.requests:
        assert r.url.params["mailto"] == "staff@example.go.jp"
        assert r.url.params["api_key"] == KEY
        assert "mailto:staff@example.go.jp" in r.headers["user-agent"]
    assert KEY not in (tmp_path / "state.json").read_text()
    assert KEY not in json.dumps(state)


# -- resuming ------------------------------------------------------------------


def test_resume_fetches_only_from_the_saved_cursor(tmp_path: Path) -> None:
    works = [work(i) for i in range(6)]
    down = FakeOpenAlex(works, page_size=2, fail_at={"c4"})
    with pytest.raises(ApiError):
        fetch(tmp_path, down, settings=settings(api_max_retries=2))
    assert down.cursors == ["*", "c2", "c4", "c4", "c4"]
    saved = json.loads((tmp_path / "state.json").read_text())
    assert (saved["pages"], saved["records"], saved["next_cursor"], saved["done"]) == (2, 4, "c4", False)

    up = FakeOpenAlex(works, page_size=2)
    state, _ = fetch(tmp_path, up)
    assert up.cursors == ["c4", "c6"]
    assert state["records"] == 6 and state["done"] is True
    assert [w["id"] for f in state["files"] for w in read_page(tmp_path / f)] == [w["id"] for w in works]


def test_a_foreign_state_file_is_not_resumed(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text(json.dumps({"format": "kakehashi-api-download/1", "filter": "x"}))
    with pytest.raises(MalformedInputError, match="delete the folder"):
        fetch(tmp_path, FakeOpenAlex([work(0)]))


def test_no_match_leaves_the_store_unchanged(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store", create=True)
    report = ingest_api(store, filter=FILTER, settings=settings(), transport=FakeOpenAlex([]).transport())
    assert report.records == 0
    assert any("matched no works" in n for n in report.notes)
    assert not (store.path / "manifest.json").exists()
    assert not download_dir(store, filter=FILTER, base_url=BASE).exists()


class RecordingProgress:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def start(self, *, files: int, nbytes: int, label: str = "") -> None:
        self.calls.append(("start", {"files": files, "label": label}))

    def advance(self, *, files: int = 0, records: int = 0, nbytes: int = 0) -> None:
        self.calls.append(("advance", {"files": files, "records": records}))


def test_progress_counts_pages_and_records_also_on_resume(tmp_path: Path) -> None:
    works = [work(i) for i in range(5)]
    with pytest.raises(ApiError):
        fetch(
            tmp_path, FakeOpenAlex(works, page_size=2, fail_at={"c2"}), settings=settings(api_max_retries=0)
        )
    progress = RecordingProgress()
    fetch(tmp_path, FakeOpenAlex(works, page_size=2), progress=progress)
    # count 5 at 200 a page: one page expected; the page already fetched is reported first.
    assert progress.calls == [
        ("start", {"files": 1, "label": "OpenAlex API"}),
        ("advance", {"files": 1, "records": 2}),
        ("advance", {"files": 1, "records": 2}),
        ("advance", {"files": 1, "records": 1}),
        ("advance", {"files": 1, "records": 0}),
    ]


# -- through the ingest --------------------------------------------------------


def test_resumed_download_is_ingested_once_and_the_folder_removed(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store", create=True)
    works = [work(i) for i in range(5)] + [work(5, country="US")]
    s = settings(openalex_mailto="staff@example.go.jp", openalex_api_key=KEY, api_max_retries=1)
    folder = download_dir(store, filter=FILTER, base_url=BASE)

    down = FakeOpenAlex(works, page_size=2, fail_at={"c4"})
    with pytest.raises(ApiError):
        ingest_api(store, filter=FILTER, settings=s, transport=down.transport(), sleep=Sleeps())
    assert (folder / "state.json").exists()
    assert not (store.path / "manifest.json").exists()  # nothing ingested yet

    up = FakeOpenAlex(works, page_size=2)
    report = ingest_api(store, filter=FILTER, settings=s, transport=up.transport(), sleep=Sleeps())
    assert up.cursors == ["c4", "c6"]
    ids = store.read_arrow("works").column("work_id").to_pylist()
    assert sorted(ids) == [f"W{1000 + i}" for i in range(6)]
    assert report.records == 6
    assert not folder.exists()
    manifest = (store.path / "manifest.json").read_text()
    assert KEY not in manifest
    (source,) = json.loads(manifest)["sources"]
    assert source["kind"] == "openalex-api"
    assert source["filter"] == FILTER and source["url"] == f"{BASE}/works"
    assert source["fetched_at"] and source["snapshot_date"] == source["fetched_at"][:10]
    assert source["complete"] is True and source["fetched_records"] == 6

    # The same filter again fetches afresh and leaves the tables as they were.
    again = FakeOpenAlex(works, page_size=2)
    ingest_api(store, filter=FILTER, settings=s, transport=again.transport(), sleep=Sleeps())
    assert again.cursors == ["*", "c2", "c4", "c6"]
    assert sorted(store.read_arrow("works").column("work_id").to_pylist()) == sorted(ids)


def test_a_failed_ingest_keeps_the_pages_and_the_next_run_does_not_fetch_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kakehashi.ingest.openalex as openalex

    store = Store.open(tmp_path / "store", create=True)
    folder = download_dir(store, filter=FILTER, base_url=BASE)
    real = openalex.ingest_openalex

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise MalformedInputError("disk full, say")

    monkeypatch.setattr(openalex, "ingest_openalex", broken)
    first = FakeOpenAlex([work(i) for i in range(3)], page_size=2)
    with pytest.raises(MalformedInputError):
        ingest_api(store, filter=FILTER, settings=settings(), transport=first.transport())
    assert json.loads((folder / "state.json").read_text())["done"] is True

    monkeypatch.setattr(openalex, "ingest_openalex", real)
    second = FakeOpenAlex([work(i) for i in range(3)], page_size=2)
    report = ingest_api(store, filter=FILTER, settings=settings(), transport=second.transport())
    assert second.requests == []
    assert report.works == 3 and not folder.exists()

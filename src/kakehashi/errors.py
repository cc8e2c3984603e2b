"""The one exception tree of kakehashi (STYLE.md convention 4).

The library raises these; only the CLI and the web layer turn them into a
message and an exit code (``exit_code`` here) or a JSON error (the status of
each class is in ``kakehashi.web.problems.STATUS``). Every message is one
sentence that names the offending file, line or value and says what to do
about it. Messages are English, written where the error is raised; a class
that has a usual message carries it as ``default_message``.

>>> str(NotSignedInError())
'sign in first; this needs a signed-in user.'
>>> str(ConflictError("the store is being written by another ingest; try again when it ends."))
'the store is being written by another ingest; try again when it ends.'
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "ApiError",
    "ConfigError",
    "ConflictError",
    "ForbiddenError",
    "IngestError",
    "KakehashiError",
    "MalformedInputError",
    "NotFoundError",
    "NotSignedInError",
    "QueryTimeout",
    "StoreError",
    "UnknownValueError",
]


class KakehashiError(Exception):
    """Base of every error kakehashi raises on purpose."""

    exit_code = 1
    #: the message when none is given (None: a message must be given)
    default_message: ClassVar[str | None] = None

    def __init__(self, message: str | None = None):
        if message is None:
            if self.default_message is None:
                raise TypeError(f"{type(self).__name__} needs a message")
            message = self.default_message
        super().__init__(message)


class ConfigError(KakehashiError, ValueError):
    """A setting or command-line value is not acceptable.

    ``parameter`` names the offending parameter (``country``, ``years``…)
    where there is one, so the web layer can point at it.
    """

    exit_code = 2

    def __init__(self, message: str, *, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter


class UnknownValueError(ConfigError):
    """A value (country code, indicator name, field id…) is not known."""


class NotFoundError(KakehashiError, LookupError):
    """What was asked for (an indicator, a page, a record) does not exist."""

    exit_code = 2


class NotSignedInError(KakehashiError):
    """The request needs a signed-in user and has none (or the sign-in has expired)."""

    default_message = "sign in first; this needs a signed-in user."


class ForbiddenError(KakehashiError):
    """The signed-in user may not do this; someone with the role it needs can."""

    default_message = "your role does not allow this; ask someone who has the role it needs."


class ConflictError(KakehashiError):
    """The change cannot be made as things stand: an edit of a version since changed,
    or a store another process is writing. Reading again (or waiting) and retrying helps."""

    default_message = "this changed or is being changed elsewhere; reload it and try again."


# Not a TimeoutError: concurrent.futures.TimeoutError is that builtin, and the web service
# tells a query that ran too long from one that ended with this error by catching it.
class QueryTimeout(KakehashiError):
    """A query ran past its time limit (``web_timeout``) and was stopped."""

    default_message = "the query ran past the time limit and was stopped; narrow it and try again."


class StoreError(KakehashiError, OSError):
    """The store folder is missing, unreadable, or not a kakehashi store."""


class IngestError(KakehashiError):
    """An ingest could not go on; the store was left as it was."""


class MalformedInputError(IngestError, ValueError):
    """A source file is not what it claims to be (bad JSON, truncated gzip…).

    ``path`` and ``line`` (1-based, where known) say where.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        super().__init__(message)
        self.path = path
        self.line = line


class ApiError(IngestError, OSError):
    """The OpenAlex API refused or failed after the retries allowed."""

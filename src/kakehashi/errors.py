"""The one exception tree of kakehashi (STYLE.md convention 4).

The library raises these; only the CLI and the web layer turn them into a
message and an exit code (or a JSON error). Every message is one sentence that
names the offending file, line or value and says what to do about it.
"""

from __future__ import annotations

__all__ = [
    "ApiError",
    "ConfigError",
    "IngestError",
    "KakehashiError",
    "MalformedInputError",
    "StoreError",
    "UnknownValueError",
]


class KakehashiError(Exception):
    """Base of every error kakehashi raises on purpose."""

    exit_code = 1


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

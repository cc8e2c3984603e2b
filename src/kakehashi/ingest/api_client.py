"""The HTTP side of `kakehashi ingest api`: OpenAlex's parameters, retries, error messages.

One :class:`OpenAlexClient` per run, closed at the end; nothing here is
module-level mutable state (unlike pyalex's ``config``), so two runs with
different settings never see each other's key.

Retries follow OpenAlex's advice (https://developers.openalex.org/api-reference/errors):
HTTP 429, 5xx, transport errors and a truncated body are retried with
exponential backoff and jitter, a ``Retry-After`` is honoured as given;
any other 4xx is final and reported with OpenAlex's own message.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import json
import random
from collections.abc import Callable
from typing import Any

import httpx

from kakehashi._version import __version__
from kakehashi.errors import ApiError, ConfigError
from kakehashi.settings import Settings

__all__ = ["OpenAlexClient", "Sleep", "check_base_url"]

BACKOFF_BASE = 1.0  # seconds before the first retry; doubled each time
BACKOFF_CAP = 60.0
# A Retry-After longer than this means the daily allowance is spent: waiting in
# the process helps nobody, so stop and let the user re-run (it resumes).
RETRY_AFTER_CAP = 300.0
TIMEOUT = httpx.Timeout(60.0, connect=15.0)

Sleep = Callable[[float], None]


def check_base_url(url: str) -> None:
    """Refuse a base URL that is not http(s) before anything is sent or written."""
    try:
        u = httpx.URL(url)
    except httpx.InvalidURL:
        u = None
    if u is None or u.scheme not in ("http", "https") or not u.host:
        raise ConfigError(
            f"openalex_base_url gives {url!r}, which is not an http(s) URL; "
            f"set it to e.g. https://api.openalex.org."
        )


class _Transient(Exception):
    """A failure a retry may cure: ``reason`` for the message, ``wait`` from Retry-After."""

    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class OpenAlexClient:
    """One httpx client with OpenAlex's parameters, retries and error messages."""

    def __init__(
        self, settings: Settings, *, transport: httpx.BaseTransport | None, sleep: Sleep, resume_from: str
    ):
        self.mailto = str(settings.openalex_mailto or "")
        self.api_key = str(settings.openalex_api_key or "")
        self.max_retries = int(settings.api_max_retries)
        self.sleep = sleep
        self.resume_from = resume_from
        self.rng = random.Random()
        # OpenAlex asks clients to say who they are; the mailto also goes in the query.
        agent = f"kakehashi/{__version__}" + (f" (mailto:{self.mailto})" if self.mailto else "")
        self.http = httpx.Client(
            transport=transport,
            timeout=TIMEOUT,
            follow_redirects=True,
            headers={"User-Agent": agent, "Accept": "application/json"},
        )

    def close(self) -> None:
        self.http.close()

    def _public(self, url: httpx.URL | str) -> str:
        """The URL as it may be shown: without the API key."""
        u = httpx.URL(str(url))
        return str(u.copy_remove_param("api_key")) if "api_key" in u.params else str(u)

    def _hide(self, text: str) -> str:
        return text.replace(self.api_key, "***") if self.api_key else text

    def _backoff(self, attempt: int) -> float:
        # Exponential with jitter in [b, 2b), so many clients do not retry in step.
        b = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
        return b + self.rng.uniform(0, b)

    def get_page(self, url: str, *, filter: str, cursor: str, per_page: int) -> tuple[dict[str, Any], int]:
        """One page as parsed JSON and its size in bytes, after retries."""
        params = {"filter": filter, "per-page": str(per_page), "cursor": cursor}
        if self.mailto:
            params["mailto"] = self.mailto
        if self.api_key:
            params["api_key"] = self.api_key
        check_base_url(url)
        request = self.http.build_request("GET", url, params=params)
        shown = self._public(request.url)
        attempt = 0
        while True:
            try:
                return self._try(request, shown, filter=filter, cursor=cursor)
            except _Transient as t:
                if attempt >= self.max_retries:
                    raise ApiError(
                        f"the OpenAlex API failed {attempt + 1} times for {shown} (last: {t.reason}); "
                        f"check the network or https://status.openalex.org and run the same command again "
                        f"— it resumes from the pages already in {self.resume_from}."
                    ) from None
                if t.wait is not None and t.wait > RETRY_AFTER_CAP:
                    raise ApiError(
                        f"the OpenAlex API asks to wait {t.wait:.0f} s before {shown} "
                        f"(HTTP 429: {t.reason}); "
                        f"your daily allowance is probably spent — run the same command again later "
                        f"(it resumes from {self.resume_from}) or set openalex_api_key."
                    ) from None
                self.sleep(self._backoff(attempt) if t.wait is None else t.wait)
                attempt += 1

    def _try(
        self, request: httpx.Request, shown: str, *, filter: str, cursor: str
    ) -> tuple[dict[str, Any], int]:
        """One attempt; raises :class:`_Transient` for what a retry may cure."""
        try:
            response = self.http.send(request)
            body = response.read()
        except httpx.RequestError as exc:
            raise _Transient(self._hide(f"{type(exc).__name__}: {exc}".rstrip(": "))) from None
        status = response.status_code
        if status == 429:
            wait = _retry_after(response.headers.get("Retry-After"))
            raise _Transient(_message(body) or "too many requests", wait)
        if status >= 500:
            raise _Transient(f"HTTP {status} {_message(body) or response.reason_phrase}".strip())
        if status >= 400:
            why = _message(body) or response.reason_phrase
            raise ApiError(self._refusal(status, why, shown, filter, cursor))
        try:
            page = json.loads(body)
        except ValueError:
            raise _Transient(f"HTTP {status} with a body that is not complete JSON") from None
        if (
            not isinstance(page, dict)
            or not isinstance(page.get("results"), list)
            or not isinstance(page.get("meta"), dict)
        ):
            raise ApiError(
                f"the OpenAlex API answered {shown} without 'meta' and 'results'; "
                f"check the openalex_base_url setting."
            )
        return page, len(body)

    def _refusal(self, status: int, message: str, shown: str, filter: str, cursor: str) -> str:
        message = self._hide(message)
        if status == 400 and cursor != "*" and "cursor" in message.lower():
            return (
                f"OpenAlex refused the saved cursor for {shown} (HTTP 400: {message}); "
                f"delete {self.resume_from} to fetch from the start."
            )
        if status == 400:
            return (
                f"OpenAlex says the filter {filter!r} is invalid (HTTP 400: {message}); "
                f"fix it (see https://docs.openalex.org/api-entities/works/filter-works) and run again."
            )
        if status in (401, 403):
            return (
                f"OpenAlex refused {shown} (HTTP {status}: {message}); "
                f"check the openalex_api_key setting (KAKEHASHI_OPENALEX_API_KEY)."
            )
        return f"OpenAlex refused {shown} (HTTP {status}: {message}); check openalex_base_url and the filter."


def _message(body: bytes) -> str:
    """OpenAlex's error text: ``{"error": …, "message": …}``, or the body's start."""
    try:
        data = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace").strip()
    if isinstance(data, dict):
        parts = [str(data[k]) for k in ("error", "message") if data.get(k)]
        return ": ".join(parts)
    return ""


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.UTC)
    return max(0.0, (when - _dt.datetime.now(_dt.UTC)).total_seconds())

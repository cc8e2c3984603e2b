"""The one message catalogue: every user-facing string, in Japanese and English.

Japanese first (the default), English on request; the terms follow the
glossary of the strategy's policy documents (``shared/mission/glossary.md``).

>>> t("country.JP", "en")
'Japan'
>>> t("synthetic.banner", "ja")
'合成デモデータ'
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Any

__all__ = ["LANGS", "country_name", "t"]

LANGS = ("ja", "en")


@functools.cache
def _catalogue() -> dict[str, dict[str, str]]:
    raw = tomllib.loads(resources.files("kakehashi.i18n").joinpath("messages.toml").read_text("utf-8"))
    out: dict[str, dict[str, str]] = {}

    def walk(prefix: str, node: dict[str, Any]) -> None:
        for k, v in node.items():
            key = f"{prefix}.{k}" if prefix else k
            if isinstance(v, dict) and set(v) <= set(LANGS) and v:
                out[key] = v
            elif isinstance(v, dict):
                walk(key, v)

    walk("", raw)
    return out


def t(key: str, lang: str = "ja", /, **kwargs: Any) -> str:
    """The message ``key`` in ``lang``, formatted with ``kwargs``.

    A missing translation falls back to the other language; a missing key is
    a programming error and raises ``KeyError``.
    """
    if key.startswith("country."):
        return country_name(key.split(".", 1)[1], lang)
    entry = _catalogue()[key]
    text = entry.get(lang) or entry.get("en") or entry["ja"]
    return text.format(**kwargs) if kwargs else text


@functools.cache
def _country_names() -> dict[str, tuple[str, str]]:
    from kakehashi.model.reference import countries

    tbl = countries().to_pydict()
    return {c: (en, ja) for c, en, ja in zip(tbl["code"], tbl["name_en"], tbl["name_ja"], strict=True)}


def country_name(code: str | None, lang: str = "ja") -> str:
    """A country's name from the reference table; the code itself when unknown."""
    if code is None:
        return t("value.unknown", lang)
    names = _country_names().get(code)
    if names is None:
        return code
    return names[1] if lang == "ja" else names[0]

"""The one message catalogue: every user-facing string, in Japanese and English.

Japanese first (the default), English on request; the terms follow the
glossary of the strategy's policy documents (``shared/mission/glossary.md``).

>>> t("country.JP", "en")
'Japan'
>>> t("synthetic.banner", "ja")
'合成デモデータ'
>>> field_name(1702, "en"), field_name(17, "ja")
('Artificial Intelligence', '計算機科学')
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Any

__all__ = [
    "LANGS",
    "country_name",
    "describe_sources",
    "field_name",
    "t",
]

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
    if key.startswith("field.") and key[6:].isdigit():
        return field_name(int(key[6:]), lang)
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


@functools.cache
def _field_names() -> dict[int, tuple[str, str]]:
    from kakehashi.model.reference import fields

    tbl = fields().to_pydict()
    return {i: (en, ja) for i, en, ja in zip(tbl["id"], tbl["name_en"], tbl["name_ja"], strict=True)}


def field_name(field_id: int | str | None, lang: str = "ja") -> str:
    """An OpenAlex domain's, field's or subfield's name; the id itself when unknown.

    Ids are OpenAlex's numeric ones (``17`` Computer Science, ``1702``
    Artificial Intelligence); a numeric string is read as the number.
    """
    if field_id is None:
        return t("value.unknown", lang)
    try:
        key = int(field_id)
    except ValueError:
        return str(field_id)
    names = _field_names().get(key)
    if names is None:
        return str(field_id)
    return names[1] if lang == "ja" else names[0]


def describe_sources(sources: list[dict[str, Any]], lang: str = "ja") -> str:
    """A store's sources in words, for the footer of a figure (データ出典).

    >>> describe_sources([{"kind": "demo", "works": 200000, "seed": 1}], "en")
    'synthetic demo data (200,000 works, seed 1)'
    """
    out = []
    for s in sources:
        kind = s.get("kind", "?")
        if kind == "demo":
            out.append(t("source.demo", lang, works=int(s.get("works", 0)), seed=s.get("seed", "?")))
        elif kind == "openalex" and s.get("snapshot_date"):
            out.append(t("source.openalex_snapshot", lang, date=s["snapshot_date"]))
        elif kind == "openalex":
            dates = s.get("record_dates") or {}
            first, last = (str(dates.get(k) or "?")[:10] for k in ("min", "max"))
            out.append(t("source.openalex", lang, first=first, last=last))
        elif kind == "openalex-api":
            date = str(s.get("fetched_at") or s.get("snapshot_date") or "?")[:10]
            out.append(t("source.api", lang, date=date, filter=s.get("filter", "")))
        else:
            out.append(t("source.other", lang, kind=kind))
    return "; ".join(dict.fromkeys(out))

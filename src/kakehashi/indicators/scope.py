"""The scope of a figure: which works, which years, how counted.

A :class:`Scope` is what the CLI flags, the API's query parameters and the
report all turn into; it is recorded with every result (provenance).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import ibis
import ibis.expr.types as ir

from kakehashi.errors import ConfigError, UnknownValueError

__all__ = [
    "LEVELS",
    "NETWORK_TOP",
    "NISTEP_TYPES",
    "Scope",
    "country_code",
    "field_id",
    "institution_id",
    "parse_types",
    "parse_years",
]

#: NISTEP's indicator reports count articles and reviews (DESIGN.md, --preset nistep).
NISTEP_TYPES = ("article", "review")
#: partners and institution-profile: countries, institutions as OpenAlex assigns them, or rolled up to
#: the top of their OpenAlex lineage (a WPI centre or a hospital into its university)
LEVELS = ("country", "institution", "root")
#: partner-network: the fewest and most partner countries the co-authorship map may show
NETWORK_TOP = (5, 50)


def parse_years(text: str | None) -> tuple[int, int] | None:
    """``"2012-2022"`` → ``(2012, 2022)``; ``"2020"`` → ``(2020, 2020)``.

    >>> parse_years("2012-2022")
    (2012, 2022)
    """
    if text is None or text == "":
        return None
    parts = text.split("-")
    try:
        if len(parts) == 1:
            y = int(parts[0])
            return (y, y)
        if len(parts) == 2:
            a, b = int(parts[0]), int(parts[1])
            if a <= b:
                return (a, b)
    except ValueError:
        pass
    raise ConfigError(
        f"years {text!r} is not a year or a range like 2012-2022 (first ≤ last).", parameter="years"
    )


def parse_types(text: str | None) -> tuple[str, ...] | None:
    """``"article, review"`` → ``("article", "review")``; empty means every type."""
    if not text:
        return None
    return tuple(x.strip() for x in text.split(",") if x.strip()) or None


def country_code(code: str | None, *, parameter: str = "country") -> str | None:
    """An ISO 3166-1 alpha-2 code checked against the reference table (upper-cased).

    >>> country_code("jp")
    'JP'
    """
    if code is None or code == "":
        return None
    from kakehashi.model.reference import countries

    c = code.strip().upper()
    if c not in set(countries().column("code").to_pylist()):
        raise UnknownValueError(
            f"{parameter} {code!r} is not an ISO 3166-1 alpha-2 code kakehashi knows (e.g. JP).",
            parameter=parameter,
        )
    return c


def field_id(field: int | None, *, parameter: str = "field") -> int | None:
    """An OpenAlex field id (11–36) checked against the reference table."""
    if field is None:
        return None
    from kakehashi.model.reference import fields

    f = fields()
    known = {
        i
        for i, lv in zip(f.column("id").to_pylist(), f.column("level").to_pylist(), strict=True)
        if lv == "field"
    }
    if field not in known:
        raise UnknownValueError(
            f"{parameter} {field} is not an OpenAlex field id (11–36, e.g. 17 = Computer Science).",
            parameter=parameter,
        )
    return field


def institution_id(text: str | None, *, parameter: str = "institution") -> str | None:
    """An OpenAlex institution id: ``I…`` or its URL ``https://openalex.org/I…`` (→ the short id).

    >>> institution_id("https://openalex.org/I74801974")
    'I74801974'
    """
    if text is None or text == "":
        return None
    s = text.strip()
    for prefix in ("https://openalex.org/", "http://openalex.org/", "openalex.org/"):
        if s.lower().startswith(prefix):
            s = s[len(prefix) :]
    s = s[:1].upper() + s[1:]
    if not re.fullmatch(r"I[0-9A-Za-z_]{1,40}", s):
        raise ConfigError(
            f"{parameter} {text!r} is not an OpenAlex institution id (I followed by digits, e.g. I74801974).",
            parameter=parameter,
        )
    return s


@dataclasses.dataclass(frozen=True)
class Scope:
    """Which works a figure counts, and how.

    ``years`` is inclusive; ``types`` None means every document type;
    ``period`` ``fiscal`` groups by Japanese fiscal year (April–March);
    ``smooth`` > 1 gives centred-on-the-last-year moving averages over that
    many years (NISTEP: 3); ``country_scheme`` ``china`` counts Hong Kong and
    Macao as China (Leiden's choice), ``separate`` keeps them apart.
    """

    years: tuple[int, int] | None = None
    types: tuple[str, ...] | None = None
    period: str = "calendar"
    field: int | None = None
    smooth: int = 1
    counting: str = "whole"
    country: str | None = None
    country_scheme: str = "separate"
    #: partners: country or institution level; institution-profile: "root" rolls centres up (LEVELS)
    level: str = "country"
    #: institution-profile / institution-partners: one OpenAlex institution id (None: every institution)
    institution: str | None = None
    #: institution-profile: institutions with fewer works in scope get no national percentile, and
    #: institution-partners ranks only partners with at least this many works by pp_top10
    min_works_ranked: int = 50
    #: partner-network: partner countries on the co-authorship map besides the focus country
    network_top: int = 20
    #: a breakdown added to the keys of coverage, collaboration and growth: "field" or None
    by: str | None = None
    #: stability intervals: bootstrap resamples, confidence level and seed
    resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0
    #: mobility (DESIGN.md "Mobility"): career source, stage filter and the thresholds
    careers: str = "works"
    stage: str | None = None
    visit_max_years: int = 2
    min_works_per_year: int = 1
    tie_lookback: int = 1

    def __post_init__(self) -> None:
        if self.period not in ("calendar", "fiscal"):
            raise ConfigError(f"period {self.period!r} must be calendar or fiscal.", parameter="period")
        if self.counting not in ("whole", "fractional"):
            raise ConfigError(
                f"counting {self.counting!r} must be whole or fractional.", parameter="counting"
            )
        if self.smooth < 1:
            raise ConfigError(f"smooth {self.smooth} must be 1 or more.", parameter="smooth")
        if self.by not in (None, "field"):
            raise ConfigError(f"by {self.by!r}: the one breakdown is field.", parameter="by")
        if self.level not in LEVELS:
            raise ConfigError(
                f"level {self.level!r} must be country, institution or root.", parameter="level"
            )
        if self.min_works_ranked < 1:
            raise ConfigError(
                f"min_works_ranked {self.min_works_ranked} must be 1 or more.", parameter="min_works_ranked"
            )
        lo, hi = NETWORK_TOP
        if not lo <= self.network_top <= hi:
            raise ConfigError(
                f"network_top {self.network_top} must lie between {lo} and {hi} (partners on the map).",
                parameter="network_top",
            )
        if self.resamples < 0:
            raise ConfigError(
                f"resamples {self.resamples} must be 0 (no intervals) or more.", parameter="resamples"
            )
        if not 0.5 <= self.confidence < 1:
            raise ConfigError(f"confidence {self.confidence} must lie in [0.5, 1).", parameter="confidence")
        if self.country_scheme not in ("separate", "china"):
            raise ConfigError(
                f"country scheme {self.country_scheme!r} must be separate or china.",
                parameter="country_scheme",
            )
        self._check_mobility()

    def _check_mobility(self) -> None:
        if self.careers not in ("works", "author-affiliations"):
            raise ConfigError(
                f"careers {self.careers!r} must be works or author-affiliations.", parameter="careers"
            )
        if self.stage not in (None, "early", "mid", "senior"):
            raise ConfigError(f"stage {self.stage!r} must be early, mid or senior.", parameter="stage")
        for name, low in (("visit_max_years", 0), ("min_works_per_year", 1), ("tie_lookback", 0)):
            if getattr(self, name) < low:
                raise ConfigError(f"{name} {getattr(self, name)} must be {low} or more.", parameter=name)

    @classmethod
    def preset(cls, name: str | None, **kw: Any) -> Scope:
        """Apply a named preset; explicit values in ``kw`` win over it."""
        if name in (None, ""):
            return cls(**{k: v for k, v in kw.items() if v is not None})
        if name == "nistep":
            base: dict[str, Any] = {"types": NISTEP_TYPES, "smooth": 3}
            base.update({k: v for k, v in kw.items() if v is not None})
            return cls(**base)
        raise ConfigError(f"preset {name!r} is unknown; the one preset is nistep.", parameter="preset")

    @classmethod
    def from_params(
        cls,
        *,
        preset: str | None = None,
        years: str | None = None,
        types: str | None = None,
        field: int | None = None,
        country: str | None = None,
        institution: str | None = None,
        **kw: Any,
    ) -> Scope:
        """A scope from raw user parameters (CLI flags, API query), each checked.

        ``years`` and ``types`` are text as typed (``2012-2022``, ``article,review``);
        country and field are checked against the reference tables; the other
        keywords are :class:`Scope` fields (None keeps the default or the preset's).
        """
        return cls.preset(
            preset,
            years=parse_years(years),
            types=parse_types(types),
            field=field_id(field),
            country=country_code(country),
            institution=institution_id(institution),
            **kw,
        )

    def by_columns(self) -> list[str]:
        """The key columns the breakdown adds (``["field_id"]`` for ``by="field"``)."""
        return ["field_id"] if self.by == "field" else []

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    # -- applying the scope to tables -----------------------------------------
    def data_years(self) -> tuple[int, int] | None:
        """The years of works needed: smoothing reaches back ``smooth - 1`` years."""
        if self.years is None:
            return None
        return (self.years[0] - (self.smooth - 1), self.years[1])

    def works(self, works: ir.Table) -> ir.Table:
        """The works in scope, with their counting ``year`` (calendar or fiscal)."""
        w = works
        if self.period == "fiscal":
            # Japanese fiscal year: April to March, named after the April's year.
            d = w.publication_date
            fy = ibis.ifelse(d.month() >= 4, d.year(), d.year() - 1).cast("int32")
            w = w.mutate(year=ibis.coalesce(fy, w.year))
        if self.types is not None:
            w = w.filter(w.type.isin(list(self.types)))
        if self.field is not None:
            w = w.filter(w.field_id == self.field)
        yrs = self.data_years()
        if yrs is not None:
            w = w.filter(w.year.between(yrs[0], yrs[1]))
        return w

    def map_country(self, code: ir.StringValue) -> ir.StringValue:
        """A country code under the scheme (Hong Kong and Macao as China, or not)."""
        if self.country_scheme == "china":
            return code.cases(("HK", "CN"), ("MO", "CN"), else_=code)
        return code

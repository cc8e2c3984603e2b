"""The scope of a figure: which works, which years, how counted.

A :class:`Scope` is what the CLI flags, the API's query parameters and the
report all turn into; it is recorded with every result (provenance).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import ibis
import ibis.expr.types as ir

from kakehashi.errors import ConfigError

__all__ = ["NISTEP_TYPES", "Scope", "parse_years"]

#: NISTEP's indicator reports count articles and reviews (DESIGN.md, --preset nistep).
NISTEP_TYPES = ("article", "review")


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
    raise ConfigError(f"--years {text!r} is not a year or a range like 2012-2022 (first ≤ last).")


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
    #: partners: country or institution level
    level: str = "country"
    #: stability intervals: bootstrap resamples, confidence level and seed
    resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        if self.period not in ("calendar", "fiscal"):
            raise ConfigError(f"--period {self.period!r} must be calendar or fiscal.")
        if self.counting not in ("whole", "fractional"):
            raise ConfigError(f"--counting {self.counting!r} must be whole or fractional.")
        if self.smooth < 1:
            raise ConfigError(f"--smooth {self.smooth} must be 1 or more.")
        if self.level not in ("country", "institution"):
            raise ConfigError(f"--level {self.level!r} must be country or institution.")
        if self.resamples < 0:
            raise ConfigError(f"--resamples {self.resamples} must be 0 (no intervals) or more.")
        if not 0.5 <= self.confidence < 1:
            raise ConfigError(f"--confidence {self.confidence} must lie in [0.5, 1).")
        if self.country_scheme not in ("separate", "china"):
            raise ConfigError(f"country scheme {self.country_scheme!r} must be separate or china.")

    @classmethod
    def preset(cls, name: str | None, **kw: Any) -> Scope:
        """Apply a named preset; explicit values in ``kw`` win over it."""
        if name in (None, ""):
            return cls(**{k: v for k, v in kw.items() if v is not None})
        if name == "nistep":
            base: dict[str, Any] = {"types": NISTEP_TYPES, "smooth": 3}
            base.update({k: v for k, v in kw.items() if v is not None})
            return cls(**base)
        raise ConfigError(f"--preset {name!r} is unknown; the one preset is nistep.")

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

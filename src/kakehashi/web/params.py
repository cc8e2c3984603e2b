"""Query parameters of the API and the pages: the CLI's flags, typed for the OpenAPI schema.

Enumerations and ranges are checked by FastAPI (their errors become the one
error shape in :mod:`kakehashi.web.problems`); country codes and field ids are
checked against the reference tables by :meth:`Scope.from_params`, the same
code the CLI runs.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import Query

from kakehashi.indicators import Scope
from kakehashi.indicators.scope import NETWORK_TOP, country_code, institution_id
from kakehashi.indicators.works import Cell

__all__ = [
    "Careers",
    "CellParams",
    "IndicatorParams",
    "Institution",
    "NetworkTop",
    "ScopeParams",
    "Stage",
    "VisitYears",
    "mobility_settings",
]

YEARS_PATTERN = r"^(19|20|21)\d{2}(-(19|20|21)\d{2})?$"

Country = Annotated[
    str | None,
    Query(description="ISO 3166-1 alpha-2 code of the focus country, e.g. JP.", max_length=8),
]
Years = Annotated[
    str | None,
    Query(description="A year or an inclusive range, e.g. 2012-2022.", pattern=YEARS_PATTERN),
]
Field = Annotated[
    int | None, Query(description="OpenAlex field id (11–36; 17 = Computer Science).", ge=0, le=99999)
]
Types = Annotated[
    str | None, Query(description="Document types, comma-separated (article,review).", max_length=200)
]
Period = Annotated[Literal["calendar", "fiscal"], Query(description="calendar or fiscal (April–March).")]
Preset = Annotated[
    Literal["nistep"] | None, Query(description="nistep: articles and reviews, 3-year averages.")
]
Counting = Annotated[Literal["whole", "fractional"], Query(description="whole or fractional counting.")]
CountryScheme = Annotated[
    Literal["separate", "china"] | None, Query(description="separate (default) or china (HK, MO → CN).")
]
Lang = Annotated[Literal["ja", "en"] | None, Query(description="Language of labels: ja (default) or en.")]
Careers = Annotated[
    Literal["works", "author-affiliations"],
    Query(description="mobility: careers from works or author-affiliations (OpenAlex authors)."),
]
Stage = Annotated[
    Literal["early", "mid", "senior"] | None,
    Query(description="mobility: career stage early, mid, senior."),
]
VisitYears = Annotated[
    int | None,
    Query(description="mobility: longest stay abroad that is a visit (default 2 years).", ge=0, le=10),
]
Institution = Annotated[
    str | None,
    Query(
        description="institution-profile/-partners: one OpenAlex institution id (I… or its URL).",
        max_length=80,
    ),
]

NetworkTop = Annotated[
    int | None,
    Query(
        description=f"partner-network: partner countries on the co-authorship map besides the focus "
        f"country ({NETWORK_TOP[0]}–{NETWORK_TOP[1]}; default 20).",
        ge=NETWORK_TOP[0],
        le=NETWORK_TOP[1],
    ),
]


@dataclasses.dataclass(frozen=True)
class ScopeParams:
    """The scope of a figure, as query parameters (FastAPI dependency)."""

    country: Country = None
    years: Years = None
    field: Field = None
    types: Types = None
    period: Period = "calendar"
    preset: Preset = None
    counting: Counting = "whole"
    country_scheme: CountryScheme = None
    lang: Lang = None

    def scope(self, default_scheme: str, **extra: Any) -> Scope:
        return Scope.from_params(
            preset=self.preset,
            years=self.years,
            types=self.types,
            field=self.field,
            country=self.country,
            period=self.period,
            counting=self.counting,
            country_scheme=self.country_scheme or default_scheme,
            **extra,
        )


@dataclasses.dataclass(frozen=True)
class IndicatorParams(ScopeParams):
    """An indicator's parameters: the scope plus smoothing, level and the bootstrap's."""

    smooth: Annotated[int | None, Query(description="Moving average over this many years.", ge=1, le=10)] = (
        None
    )
    level: Annotated[
        Literal["country", "institution", "root"],
        Query(
            description="partners: country, institution or root (institutions rolled up their OpenAlex "
            "lineage); institution-profile/-partners: root rolls centres up to their university."
        ),
    ] = "country"
    institution: Institution = None
    resamples: Annotated[
        int, Query(description="Bootstrap resamples for stability intervals (0: none).", ge=0, le=5000)
    ] = 1000
    confidence: Annotated[float, Query(description="Level of the stability intervals.", ge=0.5, lt=1)] = 0.95
    seed: Annotated[int, Query(description="Seed of the bootstrap.", ge=0, le=2**31 - 1)] = 0
    careers: Careers = "works"
    stage: Stage = None
    visit_years: VisitYears = None
    network_top: NetworkTop = None

    def scope(self, default_scheme: str, **extra: Any) -> Scope:
        # ``extra`` carries the server's mobility settings; a visit_years given here wins.
        if self.visit_years is not None:
            extra = {**extra, "visit_max_years": self.visit_years}
        if self.network_top is not None:
            extra = {**extra, "network_top": self.network_top}
        return super().scope(
            default_scheme,
            smooth=self.smooth,
            level=self.level,
            resamples=self.resamples,
            confidence=self.confidence,
            seed=self.seed,
            careers=self.careers,
            stage=self.stage,
            institution=self.institution,
            **extra,
        )


def mobility_settings(settings: Any) -> dict[str, int]:
    """The mobility thresholds of the server's settings, as :class:`Scope` fields (as the CLI does)."""
    return {
        "visit_max_years": int(settings.mobility_visit_max_years),
        "min_works_per_year": int(settings.mobility_min_works_per_year),
        "tie_lookback": int(settings.mobility_tie_lookback),
    }


CollabType = Literal[
    "intl_bilateral",
    "intl_trilateral",
    "intl_quadrilateral_plus",
    "domestic_multi_institution",
    "single_institution",
    "single_author",
]


@dataclasses.dataclass(frozen=True)
class CellParams:
    """The coordinates of one figure's cell (``kakehashi works``' flags)."""

    year: Annotated[
        int | None, Query(description="The cell's year (calendar or fiscal).", ge=1900, le=2199)
    ] = None
    partner: Annotated[str | None, Query(description="Only works also with this country.", max_length=8)] = (
        None
    )
    collab_type: Annotated[CollabType | None, Query(description="The cell's collaboration type.")] = None
    scope: Annotated[
        Literal["all", "intl", "domestic"] | None, Query(description="Impact's scope: all, intl or domestic.")
    ] = None
    top: Annotated[Literal["top10", "top1"] | None, Query(description="Only top 10 % or top 1 % papers.")] = (
        None
    )
    institution: Annotated[
        str | None,
        Query(description="Only works with this OpenAlex institution (I… or its URL).", max_length=80),
    ] = None
    partner_institution: Annotated[
        str | None,
        Query(
            description="Only works with this institution abroad (partners' n_ab at institution level).",
            max_length=80,
        ),
    ] = None
    level: Annotated[
        Literal["institution", "root"] | None,
        Query(description="root: the institution counts the units under it in its OpenAlex lineage."),
    ] = None
    move_kind: Annotated[
        Literal["transfer", "visit", "return"] | None,
        Query(
            description="mobility: works, in the move's year, of the authors with such a move "
            "(return: a transfer back to the author's origin)."
        ),
    ] = None
    move_from: Annotated[
        str | None,
        Query(description="mobility: the move leaves this country (with move_kind).", max_length=8),
    ] = None
    move_to: Annotated[
        str | None,
        Query(description="mobility: the move arrives in this country (with move_kind).", max_length=8),
    ] = None
    mobility_class: Annotated[
        Literal["non_mobile", "traveller", "migrant", "returnee"] | None,
        Query(
            description="mobility: works, in the years, of the authors of this class whose origin is country."
        ),
    ] = None
    careers: Annotated[
        Literal["works", "author-affiliations"] | None,
        Query(description="mobility: careers from works (default) or author-affiliations."),
    ] = None
    stage: Stage = None
    visit_years: VisitYears = None
    limit: Annotated[int | None, Query(description="At most this many works.", ge=1)] = None

    def scope_extra(self, settings: Any) -> dict[str, Any]:
        """The scope fields of the cell: ``level``, and the mobility settings of a move or class cell."""
        extra: dict[str, Any] = {"level": self.level} if self.level else {}
        if self.move_kind is not None or self.mobility_class is not None or self.stage is not None:
            extra.update(mobility_settings(settings), stage=self.stage, careers=self.careers or "works")
            if self.visit_years is not None:
                extra["visit_max_years"] = self.visit_years
        return extra

    def cell(self) -> Cell:
        return Cell(
            year=self.year,
            partner=country_code(self.partner, parameter="partner"),
            collab_type=self.collab_type,
            impact_scope=self.scope,
            top=self.top,
            institution=institution_id(self.institution),
            partner_institution=institution_id(self.partner_institution, parameter="partner_institution"),
            move_kind=self.move_kind,
            move_from=country_code(self.move_from, parameter="move_from"),
            move_to=country_code(self.move_to, parameter="move_to"),
            mobility_class=self.mobility_class,
        )

    def query(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None and k != "limit"}


def query_of(params: Any, *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """The non-default query parameters of ``params`` (for links and cache keys)."""
    out = {}
    for f in dataclasses.fields(params):
        v = getattr(params, f.name)
        if f.name in drop or v is None or v == f.default:
            continue
        out[f.name] = v
    return out

"""Indicators: Ibis expressions over the store's tables (DESIGN.md "Indicator contract").

Every function takes the store's tables (a mapping of Ibis tables, see
:func:`kakehashi.engines.open_store`) and a :class:`Scope`, and returns an
Ibis table with the contract's key and value columns. Nothing here knows the
engine; nothing here imports pandas.
"""

from kakehashi.indicators.collab_types import collab_types
from kakehashi.indicators.collaboration import collaboration, coverage, growth
from kakehashi.indicators.impact import IMPACT_COLUMNS, impact
from kakehashi.indicators.institutions import (
    PARTNER_COLUMNS as INSTITUTION_PARTNER_COLUMNS,
)
from kakehashi.indicators.institutions import (
    PROFILE_COLUMNS,
    institution_partners,
    institution_profile,
)
from kakehashi.indicators.mobility import FLOW_COLUMNS, mobility_classes, mobility_flows, mobility_od
from kakehashi.indicators.network import NETWORK_COLUMNS, partner_network
from kakehashi.indicators.partners import partners
from kakehashi.indicators.scope import Scope
from kakehashi.indicators.specialisation import complementarity, specialisation

__all__ = [
    "INDICATORS",
    "Scope",
    "collab_types",
    "collaboration",
    "complementarity",
    "coverage",
    "growth",
    "impact",
    "institution_partners",
    "institution_profile",
    "mobility_classes",
    "mobility_flows",
    "mobility_od",
    "partner_network",
    "partners",
    "specialisation",
]

#: indicator name (CLI, API) → (function, key columns, value columns)
INDICATORS = {
    "coverage": (coverage, ("year",), ("works", "works_with_country", "p_unknown", "works_with_field")),
    "collaboration": (
        collaboration,
        ("country", "year"),
        ("p_whole", "p_frac", "p_intl", "pp_intl", "foreign_contribution", "p_industry"),
    ),
    "growth": (growth, ("country",), ("year_from", "year_to", "cagr_whole", "cagr_frac", "cagr_intl")),
    "collab-types": (collab_types, ("country", "year", "collab_type"), ("n", "share", "mncs")),
    "impact": (impact, ("country", "year", "scope"), IMPACT_COLUMNS[3:]),
    "partners": (
        partners,
        ("country", "partner"),
        ("n_ab", "share_of_intl", "assoc_strength", "salton", "jaccard", "cagr_ab"),
    ),
    "partner-network": (partner_network, NETWORK_COLUMNS[:3], NETWORK_COLUMNS[3:]),
    "specialisation": (specialisation, ("country", "field_id"), ("p", "ai")),
    "complementarity": (
        complementarity,
        ("partner", "field_id"),
        ("ai_country", "ai_partner", "pp_top10_partner", "score"),
    ),
    "mobility-flows": (mobility_flows, ("country", "year"), FLOW_COLUMNS),
    "mobility-od": (mobility_od, ("from", "to", "kind", "stage"), ("n",)),
    "mobility-classes": (mobility_classes, ("country", "class"), ("n",)),
    "institution-profile": (institution_profile, ("institution_id",), PROFILE_COLUMNS[1:]),
    "institution-partners": (
        institution_partners,
        ("institution_id", "partner_id"),
        INSTITUTION_PARTNER_COLUMNS[2:],
    ),
}

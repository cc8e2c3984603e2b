"""Random small worlds for the property tests of impact and collab-types (hypothesis).

Few fields, years, types and citation values, so that reference sets are
small and ties at the top-10 % threshold are the rule rather than the
exception; authors with one or two affiliations, some without a country.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

COUNTRIES = ["JP", "US", "DE", None]
INSTITUTIONS = {"JP": ["I1", "I4"], "US": ["I2"], "DE": ["I5"], None: ["I3"]}


@st.composite
def worlds(draw: st.DrawFn, max_works: int = 24) -> dict[str, list[dict[str, Any]]]:
    n = draw(st.integers(1, max_works))
    works, affs = [], []
    for i in range(n):
        wid = f"W{i:03d}"
        works.append(
            {
                "work_id": wid,
                "year": draw(st.sampled_from([2020, 2021])),
                "type": draw(st.sampled_from(["article", "review"])),
                "field_id": draw(st.sampled_from([17, 22, None])),
                "cited_by_count": draw(st.integers(0, 6)),
            }
        )
        for seq in range(draw(st.integers(1, 3))):
            for cc in draw(st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=2, unique=True)):
                inst = draw(st.sampled_from([*INSTITUTIONS[cc], None]))
                affs.append(
                    {
                        "work_id": wid,
                        "author_seq": seq,
                        "institution_id": inst,
                        "country_code": cc,
                        "author_id": f"A{seq}",
                    }
                )
    return {"works": works, "affiliations": affs}


def leiden_weights(cites: list[int], d: int) -> list[Fraction]:
    """The slow reference: each work's share of the top 1/d of its set, in exact fractions."""
    n = len(cites)
    q = Fraction(n, d)
    out = []
    for c in cites:
        above = sum(1 for x in cites if x > c)
        eq = sum(1 for x in cites if x == c)
        if above + eq <= q:
            out.append(Fraction(1))
        elif above <= q:
            out.append((q - above) / eq)
        else:
            out.append(Fraction(0))
    return out

"""The depth of ``institution_lineage``'s rows, derived from every institution's lineage at once.

OpenAlex gives each institution a ``lineage``: the institution and all its
ancestors, **as a set** — the list is sorted by id, not ordered from the
institution upwards (all 51 lineages of more than one entry in the real
records beside the project are sorted by id; 27 do not start with the
institution itself). Where an ancestor sits can only be read off the
ancestors' own lineages. So the store keeps, per institution, one row per
member of its newest lineage (itself at depth 0), and the merge derives
every depth from the whole table (:func:`lineage_depths`), since an
ancestor's lineage may come from another record, batch or ingest.

The rule, for an institution X, its ancestors S (its lineage without itself,
each once) and an ancestor A in S; an institution's lineage is *known* when
it has rows of its own in the table (it is an institution of the store):

* A's lineage known: ``depth = 1 + the number of X's other ancestors that lie
  below A``, where B lies below A when B's own lineage lists A, or — B's
  lineage unknown — when A's does not list B (a lineage lists all of an
  institution's ancestors, so what A's omits is not above A; in a chain of
  parents it is below).
* A's lineage unknown: ``depth = 1 + the greatest depth among X's ancestors
  with a known lineage that lists A``, or 1 when none does.

In a chain of parents whose lineages are known this is the number of steps
from X (parent 1, grandparent 2, …) and the root — the ancestor with the
greatest depth — is the top. An ancestor is always deeper than every
ancestor whose known lineage lists it, so the root is never one known to
have another of X's ancestors above it. Where nothing tells two ancestors
apart (two with unknown lineages and nothing listing either) they share a
depth, and the roll-up takes the lower id. A record without a lineage (the
2022 schema) reads as an institution with no ancestor.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

__all__ = ["lineage_depths"]


def lineage_depths(rows: ir.Table) -> ir.Table:
    """``rows`` (``institution_id``, ``ancestor_id``, any other columns) with ``depth`` by the rule above.

    The rows are one per (institution, ancestor) and should include every
    institution's row for itself (it marks its lineage as known); an
    existing ``depth`` column is replaced.
    """
    m = rows.select("institution_id", "ancestor_id").distinct()
    up = m.filter(m.ancestor_id != m.institution_id)
    known = m.select(k=m.institution_id).distinct()

    # (x, a, b): two ancestors a ≠ b of one institution x
    left = up.select(x=up.institution_id, a=up.ancestor_id)
    right = up.select(x2=up.institution_id, b=up.ancestor_id).view()
    pairs = left.join(right, [left.x == right.x2, left.a != right.b]).select("x", "a", "b")

    def member(p: ir.Table, who: str, whom: str, flag: str) -> ir.Table:
        """``p`` with ``flag``: whether ``whom``'s lineage lists ``who`` (``who`` ≠ ``whom``)."""
        e = up.select(_i=up.institution_id, _a=up.ancestor_id, _m=ibis.literal(True)).view()
        j = p.left_join(e, [p[whom] == e._i, p[who] == e._a])
        return j.select(*p.columns, **{flag: j._m.notnull()})

    def is_known(p: ir.Table, col: str, flag: str) -> ir.Table:
        k = known.select(_k=known.k, _m=ibis.literal(True)).view()
        j = p.left_join(k, p[col] == k._k)
        return j.select(*p.columns, **{flag: j._m.notnull()})

    pairs = member(pairs, "a", "b", "a_over_b")  # b's lineage lists a: b is below a
    pairs = member(pairs, "b", "a", "b_over_a")  # a's lineage lists b: b is above a
    pairs = is_known(pairs, "b", "b_known")
    pairs = is_known(pairs, "a", "a_known")

    below = pairs.a_over_b | (~pairs.b_known & ~pairs.b_over_a)
    counted = pairs.group_by(["x", "a"]).aggregate(n_below=below.ifelse(1, 0).sum())
    ancestors = is_known(left, "a", "a_known")
    j = ancestors.left_join(counted, ["x", "a"])
    by_own = j.select("x", "a", "a_known", d=(j.n_below.coalesce(0) + 1))

    # An ancestor with an unknown lineage: one deeper than the deepest known one listing it.
    holders = by_own.filter(by_own.a_known).select(x3=by_own.x, b3=by_own.a, d3=by_own.d).view()
    lifts = pairs.filter(~pairs.a_known & pairs.b_known & pairs.a_over_b)
    lj = lifts.join(holders, [lifts.x == holders.x3, lifts.b == holders.b3])
    lifted = lj.group_by(["x", "a"]).aggregate(d_below=lj.d3.max())
    k = by_own.left_join(lifted, ["x", "a"])
    depth = ibis.ifelse(k.a_known, k.d, k.d_below.coalesce(0) + 1)
    depths = k.select(_x=k.x, _a=k.a, _d=depth.cast("int32")).view()

    out = rows.left_join(depths, [rows.institution_id == depths._x, rows.ancestor_id == depths._a])
    depth = ibis.ifelse(out.institution_id == out.ancestor_id, 0, out._d).cast("int32")
    cols = {c: depth if c == "depth" else out[c] for c in rows.columns}
    return out.select(**cols) if "depth" in cols else out.select(**cols, depth=depth)

"""Researchers' careers in the demo world, with planted moves (M-1, M-2, D-1, D-5).

Each author has an origin country, a first and a last active year (geometric
careers; those already active in the first year start there), a productivity
weight and, for every active year, a main country and a home institution.
Moves are planted at yearly hazards of about 1-2 % of active authors:

- a **transfer** (移籍型): the main country changes for good (at least
  ``min_gap`` years before anything else happens); a transfer of an author
  living abroad goes back to the origin with ``return_share`` (a *return*);
- a **visit** (the fellowship-type stay): away 1 or 2 years, then back to the
  same country and home institution.

Events are separated by ``min_gap`` (3) years, so the pairing rule of
DESIGN.md ("a move X→Y is a visit when the next move is Y→X within 2 years")
classifies every planted event as planted. Inbound movers to Japan join the
WPI-like centres with ``share_of_inbound`` (M-2's foreign-origin researchers).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from kakehashi.ingest._demo_institutions import Institutions
from kakehashi.ingest._demo_plan import Params

__all__ = ["Careers", "make_careers"]

TRANSFER, VISIT = 0, 1


@dataclasses.dataclass
class Careers:
    origin: np.ndarray  # int16
    first: np.ndarray  # int16, first active year
    last: np.ndarray  # int16
    prod: np.ndarray  # float32 productivity weight
    plan_c: np.ndarray  # (A, Y) int16 main country, -1 inactive
    plan_i: np.ndarray  # (A, Y) int32 home institution, -1 inactive
    #: planted events: author, kind (0 transfer, 1 visit), from, to, year, years away (visits)
    ev_author: np.ndarray
    ev_kind: np.ndarray
    ev_from: np.ndarray
    ev_to: np.ndarray
    ev_year: np.ndarray
    ev_away: np.ndarray

    def __len__(self) -> int:
        return len(self.origin)


def _draw_dest(rng: np.random.Generator, weights: np.ndarray, cur: np.ndarray) -> np.ndarray:
    cum = np.cumsum(weights[cur], axis=1)
    u = rng.random(len(cur)) * cum[:, -1]
    return np.minimum((cum < u[:, None]).sum(axis=1), weights.shape[1] - 1).astype(np.int16)


def make_careers(p: Params, rng: np.random.Generator, inst: Institutions, slots_exp: np.ndarray) -> Careers:
    """Authors sized so each country-year has ``slots_per_author_year`` slots per active author."""
    a_cfg, m_cfg, w_cfg = p.raw["authors"], p.raw["mobility"], p.raw["wpi"]
    years = p.years
    ny = len(years)
    keep = float(a_cfg["career_continue"])
    target = slots_exp / float(a_cfg["slots_per_author_year"])
    # Entrants: the active stock follows the target, stock(y) = keep * stock(y-1) + entrants(y).
    entr = np.empty_like(target)
    entr[:, 0] = target[:, 0]
    entr[:, 1:] = np.maximum(target[:, 1:] - keep * target[:, :-1], 0.05 * target[:, 1:])
    n_entr = rng.poisson(entr)
    origin = np.repeat(np.repeat(np.arange(p.n_countries), ny), n_entr.ravel()).astype(np.int16)
    first = np.repeat(np.tile(years, p.n_countries), n_entr.ravel()).astype(np.int16)
    n = len(origin)
    length = rng.geometric(1 - keep, size=n)
    last = np.minimum(first + length - 1, years[-1]).astype(np.int16)
    prod = np.exp(rng.normal(0.0, float(a_cfg["productivity_sigma"]), size=n)).astype(np.float32)

    jp = p.cidx("JP")
    centres = np.flatnonzero(inst.wpi >= 0)
    plan_c = np.full((n, ny), -1, dtype=np.int16)
    plan_i = np.full((n, ny), -1, dtype=np.int32)
    cur = origin.copy()
    home = np.full(n, -1, dtype=np.int32)
    saved_c = np.full(n, -1, dtype=np.int16)
    saved_i = np.full(n, -1, dtype=np.int32)
    back = np.full(n, -1, dtype=np.int32)  # year a visit ends
    next_ok = first.astype(np.int32) + 1
    ev: list[tuple[np.ndarray, ...]] = []
    t_rate = np.full(p.n_countries, float(m_cfg["transfer_rate"]))
    t_rate[jp] *= float(m_cfg["jp_transfer_multiplier"])
    v_rate = float(m_cfg["visit_rate"])
    gap = int(m_cfg["min_gap"])

    def new_home(idx: np.ndarray, y: int, country: np.ndarray, inbound: np.ndarray) -> None:
        h = inst.draw(rng, country)
        open_c = centres[inst.wpi_start[centres] <= y]
        if len(open_c):
            in_jp = country == jp
            u = rng.random(len(idx))
            to_wpi = in_jp & np.where(
                inbound,
                u < float(w_cfg["share_of_inbound"]),
                u < float(w_cfg["native_share_per_centre"]) * len(open_c),
            )
            h[to_wpi] = rng.choice(open_c, size=int(to_wpi.sum()))
        home[idx] = h

    for yi, y in enumerate(years):
        y = int(y)
        active = (first <= y) & (last >= y)
        starting = np.flatnonzero(first == y)
        if len(starting):
            new_home(starting, y, cur[starting], np.zeros(len(starting), dtype=bool))
        ret = np.flatnonzero(back == y)
        cur[ret] = saved_c[ret]
        home[ret] = saved_i[ret]
        back[ret] = -1
        next_ok[ret] = y + gap
        elig = active & (y >= next_ok) & (back < 0) & (first < y)
        u = rng.random(n)
        tr = elig & (u < t_rate[cur])
        away = np.where(rng.random(n) < float(m_cfg["visit_two_years"]), 2, 1)
        vi = elig & ~tr & (u < t_rate[cur] + v_rate) & (y + away <= last)
        for kind, mask in ((TRANSFER, tr), (VISIT, vi)):
            idx = np.flatnonzero(mask)
            if not len(idx):
                continue
            dest = _draw_dest(rng, p.partner_w[yi], cur[idx])
            if kind == TRANSFER:
                abroad = cur[idx] != origin[idx]
                go_home = abroad & (rng.random(len(idx)) < float(m_cfg["return_share"]))
                dest[go_home] = origin[idx][go_home]
            ev.append((idx, np.full(len(idx), kind), cur[idx].copy(), dest, np.full(len(idx), y), away[idx]))
            if kind == VISIT:
                saved_c[idx] = cur[idx]
                saved_i[idx] = home[idx]
                back[idx] = y + away[idx]
            else:
                next_ok[idx] = y + gap
            cur[idx] = dest
            new_home(idx, y, dest, origin[idx] != dest)
        switch = np.flatnonzero(
            active
            & ~tr
            & ~vi
            & (back < 0)
            & (first < y)
            & (rng.random(n) < float(m_cfg["domestic_switch_rate"]))
        )
        if len(switch):
            new_home(switch, y, cur[switch], origin[switch] != cur[switch])
        plan_c[active, yi] = cur[active]
        plan_i[active, yi] = home[active]

    def cat(i: int, dtype: type) -> np.ndarray:
        return np.concatenate([e[i] for e in ev]).astype(dtype) if ev else np.empty(0, dtype=dtype)

    return Careers(
        origin=origin,
        first=first,
        last=last,
        prod=prod,
        plan_c=plan_c,
        plan_i=plan_i,
        ev_author=cat(0, np.int32),
        ev_kind=cat(1, np.int8),
        ev_from=cat(2, np.int16),
        ev_to=cat(3, np.int16),
        ev_year=cat(4, np.int16),
        ev_away=cat(5, np.int8),
    )

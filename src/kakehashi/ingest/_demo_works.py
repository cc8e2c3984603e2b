"""The skeleton of the demo world's works: who wrote what, from which country (S-4, M-1).

For each year the works are laid out from the calibration
(:mod:`kakehashi.ingest._demo_plan`): international works led by each country
(rounded), their foreign partners (stratified draws), then each country's
domestic works set from the international works it got, so that its
international co-authorship rate is the planted one up to rounding; the rest
of the year's works carry no country (coverage). Each (work, country) gets
authorship slots, and slots get authors whose main country that year is that
country: first every active author once (so an author publishes in every active
year, which the modal-country rule needs to see each planted move), then the
remaining slots by productivity — WPI-like centre staff preferring
international works (M-2).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from kakehashi.ingest._demo_careers import Careers
from kakehashi.ingest._demo_institutions import Institutions
from kakehashi.ingest._demo_plan import Calibration, Params, draw_partners

__all__ = ["Skeleton", "expected_slots", "make_skeleton", "no_country_share", "works_per_year"]


@dataclasses.dataclass
class Skeleton:
    year: np.ndarray  # (W,) int16
    lead: np.ndarray  # (W,) int16, -1 no country
    intl: np.ndarray  # (W,) bool
    cmask: np.ndarray  # (W,) uint64, bit c set when country c is on the work
    slot_start: np.ndarray  # (W+1,) int64 offsets into the slot arrays
    s_country: np.ndarray  # (S,) int16, -1 unknown
    s_author: np.ndarray  # (S,) int32, -1 no author id

    def __len__(self) -> int:
        return len(self.year)


def _largest_remainder(x: np.ndarray, total: int) -> np.ndarray:
    x = np.maximum(x, 0) * (total / max(float(x.sum()), 1e-300))
    base = np.floor(x).astype(np.int64)
    rest = total - int(base.sum())
    if rest > 0:
        base[np.argsort(-(x - base), kind="stable")[:rest]] += 1
    return base


def works_per_year(p: Params, n: int) -> np.ndarray:
    g = float(p.raw["world"]["growth"]) ** (p.years - p.years[0])
    return _largest_remainder(g, n)


def _lambda_dom(p: Params) -> np.ndarray:
    lo, hi = p.raw["authors"]["lambda_domestic"]
    return np.linspace(float(lo), float(hi), len(p.years))


def no_country_share(p: Params) -> np.ndarray:
    lo, hi = p.raw["world"]["no_country_share"]
    return np.linspace(float(lo), float(hi), len(p.years))


def expected_slots(p: Params, cal: Calibration, n: int) -> np.ndarray:
    """Expected authorship slots per (country, year) — sizes the author population."""
    a = p.raw["authors"]
    nc = works_per_year(p, n) * (1 - no_country_share(p))
    per = (
        cal.domestic * (1 + _lambda_dom(p))[None, :]
        + cal.lead_intl * (1 + float(a["lambda_intl_lead"]))
        + (cal.intl - cal.lead_intl) * (1 + float(a["lambda_intl_partner"]))
    )
    return per * nc[None, :]


def make_skeleton(
    p: Params, cal: Calibration, rng: np.random.Generator, n: int, car: Careers, inst: Institutions
) -> Skeleton:
    a_cfg = p.raw["authors"]
    wy = works_per_year(p, n)
    ncs = no_country_share(p)
    lam = _lambda_dom(p)
    c_all = p.n_countries
    is_wpi_inst = inst.wpi >= 0
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("year", "lead", "intl", "cmask", "nslot", "sc", "sa")}
    for yi, y in enumerate(p.years):
        total = int(wy[yi])
        n_country = round(total * (1 - ncs[yi]))
        share = np.r_[cal.lead_intl[:, yi], cal.domestic[:, yi]]
        n_lead = _largest_remainder(share, n_country)[:c_all]
        lead_i = np.repeat(np.arange(c_all), n_lead).astype(np.int16)
        parts = draw_partners(rng, lead_i, p.partner_w[yi], p.k_probs)
        got = np.bincount(lead_i, minlength=c_all) + np.bincount(parts[parts >= 0], minlength=c_all)
        r = p.rate[:, yi]
        n_dom = np.rint(got * (1 - r) / r).astype(np.int64)
        n_nc = max(0, total - len(lead_i) - int(n_dom.sum()))
        dom_i = np.repeat(np.arange(c_all), n_dom).astype(np.int16)
        nw = len(lead_i) + len(dom_i) + n_nc
        lead = np.r_[lead_i, dom_i, np.full(n_nc, -1, np.int16)]
        members = np.full((nw, 1 + parts.shape[1]), -1, dtype=np.int16)
        members[:, 0] = lead
        members[: len(lead_i), 1:] = parts
        intl = np.zeros(nw, dtype=bool)
        intl[: len(lead_i)] = True
        perm = rng.permutation(nw)
        lead, members, intl = lead[perm], members[perm], intl[perm]
        # Authorship slots per (work, country position).
        lam_m = np.where(intl[:, None], float(a_cfg["lambda_intl_partner"]), lam[yi])
        lam_m[:, 0] = np.where(intl, float(a_cfg["lambda_intl_lead"]), lam[yi])
        cnt = np.where(members >= 0, 1 + rng.poisson(lam_m), 0)
        cnt[lead < 0, 0] = 1 + rng.poisson(lam[yi], size=int((lead < 0).sum()))
        cons = intl & (rng.random(nw) < float(a_cfg["consortium_share_of_intl"]))
        cnt[cons] += np.where(
            members[cons] >= 0,
            rng.poisson(float(a_cfg["consortium_extra_per_country"]), size=members[cons].shape),
            0,
        )
        flat = cnt.ravel()
        s_work = np.repeat(np.repeat(np.arange(nw), members.shape[1]), flat)
        s_pos = np.repeat(np.tile(np.arange(members.shape[1]), nw), flat)
        s_country = members[s_work, s_pos]  # -1 for no-country works
        s_author = np.full(len(s_work), -1, dtype=np.int32)
        # Assign authors, country by country.
        pc = car.plan_c[:, yi]
        wpi_a = np.zeros(len(pc), dtype=bool)
        on = pc >= 0
        wpi_a[on] = is_wpi_inst[car.plan_i[on, yi]]
        add_w: list[np.ndarray] = []
        add_c: list[np.ndarray] = []
        add_a: list[np.ndarray] = []
        add_p: list[np.ndarray] = []
        for c in range(c_all):
            auth = np.flatnonzero(pc == c)
            slots = np.flatnonzero(s_country == c)
            if not len(auth):
                continue
            if not len(slots):
                car.plan_c[auth, yi] = -1  # no work of this country this year: the year is lost
                car.plan_i[auth, yi] = -1
                continue
            auth = auth[rng.permutation(len(auth))]
            slots = slots[rng.permutation(len(slots))]
            k = min(len(auth), len(slots))
            s_author[slots[:k]] = auth[:k]
            if len(auth) > len(slots):
                # More authors than places: extra places on works that already have this country.
                pick = slots[rng.integers(0, len(slots), size=len(auth) - k)]
                add_w.append(s_work[pick])
                add_p.append(s_pos[pick])
                add_c.append(np.full(len(pick), c, np.int16))
                add_a.append(auth[k:].astype(np.int32))
                continue
            rest = slots[k:]
            if not len(rest):
                continue
            base = car.prod[auth].astype(float)
            ri = intl[s_work[rest]]
            for flag, boost in (
                (True, float(p.raw["wpi"]["intl_slot_boost"])),
                (False, float(p.raw["wpi"]["domestic_slot_boost"])),
            ):
                sub = rest[ri == flag]
                if not len(sub):
                    continue
                cum = np.cumsum(np.where(wpi_a[auth], base * boost, base))
                s_author[sub] = auth[
                    np.minimum(np.searchsorted(cum, rng.random(len(sub)) * cum[-1]), len(auth) - 1)
                ]
        # Works without a country still have authors (of any country; they add no affiliation).
        nc_slots = np.flatnonzero(s_country < 0)
        active = np.flatnonzero(pc >= 0)
        if len(active) and len(nc_slots):
            s_author[nc_slots] = active[rng.integers(0, len(active), size=len(nc_slots))]
        # Anonymous authorships (no author id), half with the lead's country, half unknown.
        anon = np.flatnonzero(rng.random(nw) < float(a_cfg["anonymous_share"]))
        an_c = np.where(rng.random(len(anon)) < 0.5, lead[anon], -1).astype(np.int16)
        add_w.append(anon)
        add_p.append(np.full(len(anon), members.shape[1]))
        add_c.append(an_c)
        add_a.append(np.full(len(anon), -1, np.int32))
        s_work = np.r_[s_work, *add_w]
        s_pos = np.r_[s_pos, *add_p]
        s_country = np.r_[s_country, *add_c].astype(np.int16)
        s_author = np.r_[s_author, *add_a].astype(np.int32)
        order = np.lexsort((rng.random(len(s_work)), s_pos, s_work))
        s_work, s_country, s_author = s_work[order], s_country[order], s_author[order]
        bits = np.zeros(nw, dtype=np.uint64)
        for j in range(members.shape[1]):
            ok = members[:, j] >= 0
            bits[ok] |= np.left_shift(np.uint64(1), members[ok, j].astype(np.uint64))
        out["year"].append(np.full(nw, y, np.int16))
        out["lead"].append(lead)
        out["intl"].append(intl)
        out["cmask"].append(bits)
        out["nslot"].append(np.bincount(s_work, minlength=nw))
        out["sc"].append(s_country)
        out["sa"].append(s_author)
    nslot = np.concatenate(out["nslot"])
    return Skeleton(
        year=np.concatenate(out["year"]),
        lead=np.concatenate(out["lead"]),
        intl=np.concatenate(out["intl"]),
        cmask=np.concatenate(out["cmask"]),
        slot_start=np.r_[0, np.cumsum(nslot)].astype(np.int64),
        s_country=np.concatenate(out["sc"]),
        s_author=np.concatenate(out["sa"]),
    )

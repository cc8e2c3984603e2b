"""The demo world's parameters and its calibration (S-4, D-3, D-10).

:func:`load_params` reads ``demo_params.toml`` into arrays indexed by country and
year. :func:`calibrate` turns the planted output shares and international
co-authorship rates into, per year, the expected number of *international works
led by* each country (``lead_intl``): with ``incoming_c`` the expected number of
foreign works that draw ``c`` as a partner, ``lead_intl = max(0, R - Π^T lead_intl)``
solved by fixed-point iteration, where ``R_c = rate_c · share_c`` and
``Π[d, c]`` is the expected number of times the partner draw of lead ``d`` picks
``c`` (estimated once, seeded, with the same drawing code the generator uses).
The generator then sets each country's *domestic* works from the international
works it actually drew, ``dom_c = intl_c (1 - rate_c) / rate_c``, so the rate
``intl / (intl + dom)`` is the planted one up to rounding at any world size,
and the whole counts follow the planted shares in expectation.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from importlib import resources
from typing import Any

import numpy as np

from kakehashi.errors import ConfigError

__all__ = ["Calibration", "Params", "calibrate", "draw_partners", "load_params"]


@dataclasses.dataclass(frozen=True)
class Params:
    raw: dict[str, Any]
    years: np.ndarray  # (Y,) int
    codes: tuple[str, ...]  # (C,)
    share: np.ndarray  # (C, Y) whole-count share, each year sums to 1
    rate: np.ndarray  # (C, Y) planted international co-authorship rate (0-1)
    partner_w: np.ndarray  # (Y, C, C) row-normalised partner draw probabilities
    k_probs: np.ndarray
    fields: np.ndarray  # (F,) field ids
    field_domain: np.ndarray
    field_share: np.ndarray
    field_mu: np.ndarray

    @property
    def n_countries(self) -> int:
        return len(self.codes)

    def cidx(self, code: str) -> int:
        return self.codes.index(code)

    def year_index(self, year: int) -> int:
        return int(year - self.years[0])


def _interp_share(anchors: np.ndarray, ay: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Piecewise log-linear between anchors, the last trend continued after them."""
    logs = np.log(anchors)
    out = np.empty((anchors.shape[0], len(years)))
    for j, y in enumerate(years):
        seg = min(max(int(np.searchsorted(ay, y, side="right")) - 1, 0), len(ay) - 2)
        t = (y - ay[seg]) / (ay[seg + 1] - ay[seg])
        out[:, j] = np.exp(logs[:, seg] + t * (logs[:, seg + 1] - logs[:, seg]))
    return out


def _interp_rate(anchors: np.ndarray, ay: np.ndarray, years: np.ndarray) -> np.ndarray:
    out = np.empty((anchors.shape[0], len(years)))
    for j, y in enumerate(years):
        seg = min(max(int(np.searchsorted(ay, y, side="right")) - 1, 0), len(ay) - 2)
        t = (y - ay[seg]) / (ay[seg + 1] - ay[seg])
        out[:, j] = anchors[:, seg] + t * (anchors[:, seg + 1] - anchors[:, seg])
    return np.clip(out, 0.02, 0.95)


def _balanced_partner_weights(
    share: np.ndarray, rate: np.ndarray, aff: np.ndarray, exponent: float, k_probs: np.ndarray
) -> np.ndarray:
    """Partner draw probabilities ``(Y, C, C)``: gravity × affinity × a balancing factor.

    Gravity alone lets the largest countries be drawn as partners more often
    than their planted international output allows. A per-country factor,
    fitted by iterative proportional fitting on the inclusion probability
    ``1 - Σ_k P(k) (1 - q)^k``, makes each country's expected *incoming*
    international works the share ``β = E[k] / (1 + E[k])`` of its planted
    international works, so every country also leads about ``1 - β`` of them.
    """
    ks = np.arange(1, len(k_probs) + 1)
    ek = float((ks * k_probs).sum())
    beta = ek / (1 + ek)
    out = np.empty((share.shape[1], share.shape[0], share.shape[0]))
    for yi in range(share.shape[1]):
        t = rate[:, yi] * share[:, yi]
        lead = (1 - beta) * t
        a = np.ones(len(t))
        grav = (share[:, yi] ** exponent)[None, :] * aff
        for _ in range(200):
            w = grav * a[None, :]
            q = w / w.sum(axis=1, keepdims=True)
            incl = 1 - ((1 - q[:, :, None]) ** ks[None, None, :] * k_probs).sum(axis=2)
            inc = lead @ incl
            a *= (beta * t / np.maximum(inc, 1e-15)) ** 0.7
        w = grav * a[None, :]
        out[yi] = w / w.sum(axis=1, keepdims=True)
    return out


@functools.cache
def load_params() -> Params:
    """The shipped parameter file, checked; a bad file is a :class:`ConfigError`."""
    text = resources.files("kakehashi.ingest").joinpath("demo_params.toml").read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"demo_params.toml is not valid TOML: {exc}") from exc
    w = raw["world"]
    years = np.arange(int(w["first_year"]), int(w["last_year"]) + 1)
    rows = raw["countries"]["rows"]
    codes = tuple(str(r[0]) for r in rows)
    if len(set(codes)) != len(codes):
        raise ConfigError("demo_params.toml lists a country twice in [countries].")
    num = np.array([[float(x) for x in r[1:]] for r in rows])
    ay = np.array([2000, 2012, 2022])
    share = _interp_share(num[:, 0:3], ay, years)
    share /= share.sum(axis=0, keepdims=True)
    rate = _interp_rate(num[:, 3:6] / 100.0, ay, years)

    pr = raw["partners"]
    c = len(codes)
    aff = np.ones((c, c))
    eu = [codes.index(x) for x in pr["eu"]]
    for i in eu:
        for j in eu:
            aff[i, j] = pr["eu_affinity"]
    for a, b, v in pr["affinity"]:
        if a not in codes or b not in codes:
            raise ConfigError(f"demo_params.toml: affinity names an unknown country ({a}, {b}).")
        aff[codes.index(a), codes.index(b)] = aff[codes.index(b), codes.index(a)] = float(v)
    np.fill_diagonal(aff, 0.0)
    k_probs = np.array(pr["k_probs"], dtype=float)
    k_probs /= k_probs.sum()
    pw = _balanced_partner_weights(share, rate, aff, float(pr["exponent"]), k_probs)

    fr = np.array(raw["fields"]["rows"], dtype=float)
    return Params(
        raw=raw,
        years=years,
        codes=codes,
        share=share,
        rate=rate,
        partner_w=pw,
        k_probs=k_probs,
        fields=fr[:, 0].astype(np.int32),
        field_domain=fr[:, 1].astype(np.int32),
        field_share=fr[:, 2] / fr[:, 2].sum(),
        field_mu=fr[:, 3],
    )


def draw_partners(
    rng: np.random.Generator, lead: np.ndarray, weights: np.ndarray, k_probs: np.ndarray
) -> np.ndarray:
    """Foreign partner countries of international works led by ``lead``.

    Returns an ``(n, kmax)`` array of country indices, ``-1`` padded. Each
    position is drawn without replacement from the lead's partner weights by
    inverse CDF on *stratified* uniforms (within each lead country), so the
    number of times each partner is drawn is close to its expectation even in
    small worlds — the planted partner shares show through with little noise.
    """
    n = len(lead)
    kmax = len(k_probs)
    k = rng.choice(np.arange(1, kmax + 1), size=n, p=k_probs)
    out = np.full((n, kmax), -1, dtype=np.int16)
    if n == 0:
        return out
    w = weights[lead].copy()
    for j in range(kmax):
        rows = np.flatnonzero(k > j)
        if len(rows) == 0:
            break
        lj = lead[rows]
        order = np.lexsort((rng.random(len(rows)), lj))
        sl = lj[order]
        starts = np.r_[0, np.flatnonzero(np.diff(sl)) + 1]
        sizes = np.diff(np.r_[starts, len(sl)])
        rank = np.arange(len(sl)) - np.repeat(starts, sizes)
        u = np.empty(len(rows))
        u[order] = (rank + rng.random(len(rows))) / np.repeat(sizes, sizes)
        ww = w[rows]
        cum = np.cumsum(ww, axis=1)
        cum /= cum[:, -1:]
        pick = np.minimum((cum < u[:, None]).sum(axis=1), weights.shape[1] - 1)
        out[rows, j] = pick
        w[rows, pick] = 0.0
    return out


@dataclasses.dataclass(frozen=True)
class Calibration:
    #: (C, Y) international works led by c, per country-bearing work of the year
    lead_intl: np.ndarray
    #: (C, Y) expected domestic works of c, per country-bearing work
    domestic: np.ndarray
    #: (C, Y) expected international works of c (led or joined), per country-bearing work
    intl: np.ndarray
    #: (Y, C, C) expected works with both a and b, per country-bearing work
    pairs: np.ndarray


@functools.cache
def calibrate(samples_per_lead: int = 300) -> Calibration:
    """Solve the lead-international shares that give the planted rates and shares.

    Deterministic (fixed seed): the same for every world seed and size.
    """
    p = load_params()
    c, ny = p.n_countries, len(p.years)
    rng = np.random.default_rng(20240801)
    lead = np.repeat(np.arange(c), samples_per_lead)
    lead_intl = np.zeros((c, ny))
    dom = np.zeros((c, ny))
    intl = np.zeros((c, ny))
    pairs = np.zeros((ny, c, c))
    for yi in range(ny):
        parts = draw_partners(rng, lead, p.partner_w[yi], p.k_probs)
        member = np.zeros((len(lead), c))
        for j in range(parts.shape[1]):
            ok = parts[:, j] >= 0
            member[np.flatnonzero(ok), parts[ok, j]] = 1.0
        pi = member.reshape(c, samples_per_lead, c).mean(axis=1)  # pi[d, c]
        member[np.arange(len(lead)), lead] = 1.0
        m3 = member.reshape(c, samples_per_lead, c).astype(np.float32)
        co = np.matmul(np.ascontiguousarray(m3.transpose(0, 2, 1)), m3) / samples_per_lead
        target_intl = p.rate[:, yi] * p.share[:, yi]
        x = target_intl.copy()
        for _ in range(500):
            x_new = np.maximum(0.0, target_intl - pi.T @ x)
            if np.max(np.abs(x_new - x)) < 1e-12:
                x = x_new
                break
            x = 0.5 * x + 0.5 * x_new
        got_intl = x + pi.T @ x
        d = got_intl * (1 - p.rate[:, yi]) / p.rate[:, yi]
        total = d.sum() + x.sum()
        lead_intl[:, yi] = x / total
        dom[:, yi] = d / total
        intl[:, yi] = got_intl / total
        pairs[yi] = np.einsum("d,dab->ab", x, co) / total
    return Calibration(lead_intl=lead_intl, domestic=dom, intl=intl, pairs=pairs)

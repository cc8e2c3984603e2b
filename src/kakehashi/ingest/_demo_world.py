"""The demo world in memory: parameters, institutions, careers and the works' skeleton.

:func:`build_world` makes everything that needs the whole world at once
(compact numpy arrays: a few hundred bytes per work); the string-heavy
tables are made later chunk by chunk (:mod:`kakehashi.ingest._demo_tables`),
each chunk from its own seeded generator, so memory stays bounded and the
world is the same whichever way it is written out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kakehashi.errors import ConfigError
from kakehashi.ingest._demo_careers import Careers, make_careers
from kakehashi.ingest._demo_institutions import Funders, Institutions, make_funders, make_institutions
from kakehashi.ingest._demo_names import author_names
from kakehashi.ingest._demo_plan import Calibration, Params, calibrate, load_params
from kakehashi.ingest._demo_works import Skeleton, expected_slots, make_skeleton
from kakehashi.model.reference import countries, fields

__all__ = ["CHUNK", "World", "build_world", "ids"]

#: works per chunk; fixed, so that a seed gives the same world at any size
CHUNK = 50_000
#: snapshot date of the demo world (its records' updated_date, one day per chunk)
SNAPSHOT = dt.datetime(2025, 1, 6, 3, 0, 0)
MIN_WORKS = 1_000


def ids(prefix: str, idx: np.ndarray) -> pa.Array:
    """OpenAlex-style short ids, e.g. ``W9000000001``: the ``9`` marks the synthetic range."""
    num = pc.cast(pa.array(np.asarray(idx, dtype=np.int64) + 9_000_000_001), pa.string())
    return pc.binary_join_element_wise(prefix, num, "")


@dataclasses.dataclass
class World:
    seed: int
    n_works: int
    params: Params
    cal: Calibration
    inst: Institutions
    funders: Funders
    careers: Careers
    skel: Skeleton
    author_name: pa.Array
    author_orcid: pa.Array
    author_used: np.ndarray  # bool: appears on a work
    subfields: dict[int, np.ndarray]
    subfield_name: dict[int, str]
    field_name: dict[int, str]
    domain_name: dict[int, str]
    spec: np.ndarray  # (C, F) field multipliers
    codes: np.ndarray  # country codes as object array

    @property
    def n_chunks(self) -> int:
        return (self.n_works + CHUNK - 1) // CHUNK

    def chunk_bounds(self, k: int) -> tuple[int, int]:
        return k * CHUNK, min(self.n_works, (k + 1) * CHUNK)

    def updated(self, k: int) -> dt.datetime:
        return SNAPSHOT + dt.timedelta(days=k)


def _orcids(rng: np.random.Generator, n: int, share: float) -> pa.Array:
    d = rng.integers(0, 10, size=(n, 15))
    d[:, 0:3] = 0  # 0000-000x-… like most real ORCID iDs
    s = np.array(["".join(map(str, r)) for r in d], dtype=object)
    out = np.array(
        [
            f"https://orcid.org/{x[0:4]}-{x[4:8]}-{x[8:12]}-{x[12:15]}{'X' if x[14] == '0' else x[14]}"
            for x in s
        ],
        dtype=object,
    )
    out[rng.random(n) >= share] = None
    return pa.array(out, pa.string())


def build_world(n_works: int, seed: int) -> World:
    """Everything but the chunked tables; deterministic for (n_works, seed)."""
    if n_works < MIN_WORKS:
        raise ConfigError(f"--works {n_works} is too small for the demo world; use at least {MIN_WORKS}.")
    p = load_params()
    ref = countries()
    names = dict(zip(ref["code"].to_pylist(), ref["name_en"].to_pylist(), strict=True))
    unknown = [c for c in p.codes if c not in names]
    if unknown:
        raise ConfigError(f"demo_params.toml uses country codes missing from the reference table: {unknown}.")
    cal = calibrate()
    rng = np.random.default_rng([seed, 1])
    inst = make_institutions(p, rng, names)
    funders = make_funders(p, rng)
    car = make_careers(p, rng, inst, expected_slots(p, cal, n_works))
    skel = make_skeleton(p, cal, rng, n_works, car, inst)
    codes = np.array(p.codes, dtype=object)
    used = np.zeros(len(car), dtype=bool)
    used[skel.s_author[skel.s_author >= 0]] = True
    f = fields()
    fid = f["id"].to_numpy()
    fname = dict(zip(fid.tolist(), f["name_en"].to_pylist(), strict=True))
    subs = {int(k): np.array(v, dtype=np.int32) for k, v in p.raw["subfields"].items()}
    spec = np.ones((p.n_countries, len(p.fields)))
    for code, field, mult in p.raw["specialisation"]["rows"]:
        spec[p.cidx(code), int(np.flatnonzero(p.fields == field)[0])] = float(mult)
    return World(
        seed=seed,
        n_works=n_works,
        params=p,
        cal=cal,
        inst=inst,
        funders=funders,
        careers=car,
        skel=skel,
        author_name=author_names(rng, codes[car.origin]),
        author_orcid=_orcids(rng, len(car), float(p.raw["authors"]["orcid_share"])),
        author_used=used,
        subfields=subs,
        subfield_name={s: fname.get(s, f"Subfield {s}") for v in subs.values() for s in v.tolist()},
        field_name={int(x): fname.get(int(x), f"Field {x}") for x in p.fields},
        domain_name={d: fname.get(d, f"Domain {d}") for d in (1, 2, 3, 4)},
        spec=spec,
        codes=codes,
    )

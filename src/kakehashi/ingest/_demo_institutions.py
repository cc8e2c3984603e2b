"""Institutions and funders of the demo world (M-2, D-1).

Every OpenAlex institution type, ROR-like ids, Japanese names for Japanese
institutions, lineage (hospitals and facilities under universities), and the
WPI-like centres: Japanese, under a host university, planted as international,
highly cited and staffed by many foreign-origin researchers (M-2).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from kakehashi.ingest._demo_plan import Params

__all__ = ["Funders", "Institutions", "make_funders", "make_institutions"]

TYPES = (
    "education",
    "company",
    "government",
    "facility",
    "healthcare",
    "nonprofit",
    "archive",
    "funder",
    "other",
)

_JP_PLACES = (
    ("Tokyo", "東京"),
    ("Kyoto", "京都"),
    ("Osaka", "大阪"),
    ("Nagoya", "名古屋"),
    ("Sendai", "仙台"),
    ("Sapporo", "札幌"),
    ("Fukuoka", "福岡"),
    ("Kobe", "神戸"),
    ("Hiroshima", "広島"),
    ("Tsukuba", "つくば"),
    ("Chiba", "千葉"),
    ("Yokohama", "横浜"),
    ("Kanazawa", "金沢"),
    ("Okayama", "岡山"),
    ("Kumamoto", "熊本"),
    ("Niigata", "新潟"),
    ("Nagasaki", "長崎"),
    ("Kagoshima", "鹿児島"),
    ("Shizuoka", "静岡"),
    ("Nara", "奈良"),
    ("Toyama", "富山"),
    ("Matsuyama", "松山"),
    ("Kochi", "高知"),
    ("Akita", "秋田"),
    ("Yamagata", "山形"),
    ("Gifu", "岐阜"),
    ("Shinshu", "信州"),
    ("Tokushima", "徳島"),
    ("Miyazaki", "宮崎"),
    ("Hakodate", "函館"),
)
_PLACES = (
    "Central",
    "Northern",
    "Southern",
    "Eastern",
    "Western",
    "Capital",
    "Coastal",
    "Metropolitan",
    "Highland",
    "Riverside",
    "Lakeside",
    "Valley",
    "Harbour",
    "Royal",
    "Polytechnic",
    "Open",
)
_TOPICS = (
    ("Materials Science", "物質・材料"),
    ("Advanced Industrial Science", "産業技術"),
    ("Informatics", "情報学"),
    ("Polar Research", "極地"),
    ("Genetics", "遺伝学"),
    ("Environmental Studies", "環境"),
    ("Fusion Science", "核融合科学"),
    ("Space Science", "宇宙科学"),
    ("Health Sciences", "健康科学"),
    ("Agricultural Sciences", "農業科学"),
    ("Marine Science", "海洋科学"),
    ("Earth Science", "地球科学"),
)
# (English template, Japanese template) per type; {p} place, {t} topic, {c} country.
_TEMPLATES = {
    "education": ("{p} University", "{p}大学"),
    "company": ("{p} Electronics Corporation", "{p}電機株式会社"),
    "government": ("National Institute of {t}", "国立{t}研究所"),
    "facility": ("{p} Center for Advanced Research", "{p}先端研究センター"),
    "healthcare": ("{p} Medical Center", "{p}医療センター"),
    "nonprofit": ("{p} Foundation for Science", "{p}科学振興財団"),
    "archive": ("{p} Archives", "{p}公文書館"),
    "funder": ("{p} Research Council", "{p}研究助成会"),
    "other": ("{p} Science Museum", "{p}科学館"),
}
_ROR_CHARS = np.array(list("0123456789abcdefghjkmnpqrstvwxyz"))


@dataclasses.dataclass
class Institutions:
    ids: np.ndarray  # object str "I9…"
    country: np.ndarray  # int16 country index
    type: np.ndarray  # object str
    name: np.ndarray  # object str
    name_ja: np.ndarray  # object str or None
    ror: np.ndarray  # object str
    parent: np.ndarray  # int32, -1 when top-level
    weight: np.ndarray  # float, home-institution size weight (0 for WPI: staffed separately)
    wpi: np.ndarray  # int, index into the params' centres, -1 when not a WPI-like centre
    wpi_start: np.ndarray  # int year (9999 when not WPI)
    #: per country: indices of institutions open to ordinary careers, and their cumulative weights
    by_country: list[np.ndarray]
    cum_by_country: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)

    def draw(self, rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
        """A home institution in each ``country`` (size-weighted), vectorised."""
        out = np.empty(len(country), dtype=np.int32)
        u = rng.random(len(country))
        for c in np.unique(country):
            m = country == c
            cum = self.cum_by_country[int(c)]
            out[m] = self.by_country[int(c)][np.minimum(np.searchsorted(cum, u[m] * cum[-1]), len(cum) - 1)]
        return out


def _ror(rng: np.random.Generator, n: int) -> np.ndarray:
    body = _ROR_CHARS[rng.integers(0, len(_ROR_CHARS), size=(n, 6))]
    digits = rng.integers(0, 100, size=n)
    return np.array(
        ["https://ror.org/0" + "".join(b) + f"{d:02d}" for b, d in zip(body, digits, strict=True)]
    )


def make_institutions(p: Params, rng: np.random.Generator, country_names: dict[str, str]) -> Institutions:
    cfg = p.raw["institutions"]
    tnames = [t[0] for t in cfg["types"]]
    tshare = np.array([t[1] for t in cfg["types"]], dtype=float)
    tweight = dict(zip(tnames, (float(t[2]) for t in cfg["types"]), strict=True))
    share22 = p.share[:, p.year_index(2022)]
    rows: list[tuple[int, str, str, str | None, float, int]] = []
    for c, code in enumerate(p.codes):
        n = max(int(cfg["min_per_country"]), round(share22[c] * 100 * float(cfg["per_share"])))
        # Every type at least once, the rest by the type shares.
        types = list(tnames) + list(rng.choice(tnames, size=max(0, n - len(tnames)), p=tshare / tshare.sum()))
        rng.shuffle(types)
        counts: dict[str, int] = {}
        zipf = (np.arange(1, len(types) + 1, dtype=float)) ** -float(cfg["zipf"])
        rng.shuffle(zipf)
        for i, t in enumerate(types):
            k = counts.get(t, 0)
            counts[t] = k + 1
            en_t, ja_t = _TEMPLATES[t]
            topic_en, topic_ja = _TOPICS[k % len(_TOPICS)]
            if code == "JP":
                pe, pj = _JP_PLACES[k % len(_JP_PLACES)]
                suffix = "" if k < len(_JP_PLACES) else f" {k // len(_JP_PLACES) + 1}"
                name = en_t.format(p=pe, t=topic_en) + suffix
                name_ja: str | None = ja_t.format(p=pj, t=topic_ja) + suffix
            else:
                place = f"{_PLACES[k % len(_PLACES)]} {country_names.get(code, code)}"
                suffix = "" if k < len(_PLACES) else f" {k // len(_PLACES) + 1}"
                name = en_t.format(p=place, t=f"{topic_en} of {country_names.get(code, code)}") + suffix
                name_ja = None
            rows.append((c, t, name, name_ja, tweight[t] * zipf[i], -1))
    country = np.array([r[0] for r in rows], dtype=np.int16)
    itype = np.array([r[1] for r in rows], dtype=object)
    weight = np.array([r[4] for r in rows], dtype=float)
    parent = np.full(len(rows), -1, dtype=np.int32)
    # Lineage: some hospitals and facilities sit under a university of their country.
    for c in range(p.n_countries):
        unis = np.flatnonzero((country == c) & (itype == "education"))
        kids = np.flatnonzero((country == c) & np.isin(itype, ["healthcare", "facility"]))
        take = kids[rng.random(len(kids)) < float(cfg["child_share"])]
        if len(unis) and len(take):
            pw = weight[unis] / weight[unis].sum()
            parent[take] = rng.choice(unis, size=len(take), p=pw)
    names = np.array([r[2] for r in rows], dtype=object)
    names_ja = np.array([r[3] for r in rows], dtype=object)
    for h in np.flatnonzero(parent >= 0):
        if itype[h] == "healthcare":
            names[h] = f"{names[parent[h]]} Hospital"
            if names_ja[parent[h]] is not None:
                names_ja[h] = f"{names_ja[parent[h]]}病院"
    # WPI-like centres: facilities under the largest Japanese universities.
    jp = p.cidx("JP")
    jp_unis = np.flatnonzero((country == jp) & (itype == "education"))
    hosts = jp_unis[np.argsort(-weight[jp_unis], kind="stable")]
    centres = p.raw["wpi"]["centres"]
    wpi = np.full(len(rows), -1, dtype=np.int32)
    wpi_start = np.full(len(rows), 9999, dtype=np.int32)
    for k, cen in enumerate(centres):
        country = np.append(country, np.int16(jp))
        itype = np.append(itype, "facility")
        names = np.append(names, cen["name"])
        names_ja = np.append(names_ja, cen["name_ja"])
        weight = np.append(weight, 0.0)
        parent = np.append(parent, np.int32(hosts[k % len(hosts)]))
        wpi = np.append(wpi, np.int32(k))
        wpi_start = np.append(wpi_start, np.int32(cen["start"]))
    n = len(country)
    ids = np.array([f"I9{i + 100000001:09d}" for i in range(n)], dtype=object)
    by_country, cum = [], []
    for c in range(p.n_countries):
        idx = np.flatnonzero((country == c) & (weight > 0))
        by_country.append(idx.astype(np.int32))
        cum.append(np.cumsum(weight[idx]))
    return Institutions(
        ids=ids,
        country=country,
        type=itype,
        name=names,
        name_ja=names_ja,
        ror=_ror(rng, n),
        parent=parent,
        weight=weight,
        wpi=wpi,
        wpi_start=wpi_start,
        by_country=by_country,
        cum_by_country=cum,
    )


@dataclasses.dataclass
class Funders:
    ids: np.ndarray
    key: np.ndarray
    name: np.ndarray
    country: np.ndarray  # ISO code str
    ror: np.ndarray
    applies: list[np.ndarray]  # lead-country indices whose works acknowledge the funder
    share: np.ndarray
    prefix: np.ndarray
    digits: np.ndarray


def make_funders(p: Params, rng: np.random.Generator) -> Funders:
    cols = p.raw["funders"]["columns"]
    rows = [dict(zip(cols, r, strict=True)) for r in p.raw["funders"]["rows"]]
    eu = [p.cidx(c) for c in p.raw["partners"]["eu"]]
    applies = [np.array(eu if r["for"] == "EU" else [p.cidx(r["for"])], dtype=np.int16) for r in rows]
    return Funders(
        ids=np.array([f"F9{i + 1:09d}" for i in range(len(rows))], dtype=object),
        key=np.array([r["key"] for r in rows], dtype=object),
        name=np.array([r["name"] for r in rows], dtype=object),
        country=np.array([r["country"] for r in rows], dtype=object),
        ror=_ror(rng, len(rows)),
        applies=applies,
        share=np.array([float(r["share"]) for r in rows]),
        prefix=np.array([r["prefix"] for r in rows], dtype=object),
        digits=np.array([int(r["digits"]) for r in rows]),
    )

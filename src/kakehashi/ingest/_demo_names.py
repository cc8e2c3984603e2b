"""Names and title words for the demo world (synthetic; no real person is meant)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["author_names", "titles"]

_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "JP": (
        (
            "Haruto",
            "Yui",
            "Sota",
            "Aoi",
            "Ren",
            "Hina",
            "Takumi",
            "Yuna",
            "Kenji",
            "Akiko",
            "Hiroshi",
            "Naoko",
        ),
        (
            "Sato",
            "Suzuki",
            "Takahashi",
            "Tanaka",
            "Watanabe",
            "Ito",
            "Yamamoto",
            "Nakamura",
            "Kobayashi",
            "Kato",
            "Yoshida",
            "Yamada",
            "Sasaki",
            "Matsumoto",
        ),
    ),
    "CN": (
        ("Wei", "Fang", "Jing", "Lei", "Min", "Yan", "Jun", "Hui", "Xin", "Yu", "Hao", "Li"),
        ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun"),
    ),
    "KR": (
        ("Min-jun", "Seo-yeon", "Ji-ho", "Ha-eun", "Do-yun", "Soo-ah", "Jae-won", "Eun-ji"),
        ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon"),
    ),
    "IN": (
        ("Aarav", "Priya", "Rahul", "Ananya", "Vikram", "Sneha", "Arjun", "Kavya"),
        ("Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Das"),
    ),
    "AR": (
        ("Mohammed", "Fatima", "Ahmed", "Aisha", "Omar", "Layla", "Ali", "Zahra", "Reza", "Maryam"),
        ("Hassan", "Hussein", "Khan", "Rahman", "Abdullah", "Karimi", "Hosseini", "Mahmoud"),
    ),
    "ES": (
        ("Carlos", "Lucia", "Javier", "Sofia", "Diego", "Camila", "Pablo", "Valentina", "Joao", "Ana"),
        ("Garcia", "Martinez", "Lopez", "Gonzalez", "Rodriguez", "Fernandez", "Silva", "Santos", "Costa"),
    ),
    "EU": (
        (
            "Thomas",
            "Anna",
            "Lukas",
            "Marie",
            "Jan",
            "Emma",
            "Luca",
            "Giulia",
            "Pierre",
            "Camille",
            "Erik",
            "Ingrid",
            "Piotr",
            "Olga",
            "Dmitri",
            "Elena",
        ),
        (
            "Muller",
            "Schmidt",
            "Dubois",
            "Martin",
            "Rossi",
            "Bianchi",
            "Jansen",
            "de Vries",
            "Andersson",
            "Nielsen",
            "Nowak",
            "Kowalski",
            "Ivanov",
            "Novak",
            "Papadopoulos",
            "Murphy",
        ),
    ),
    "EN": (
        ("James", "Mary", "John", "Sarah", "David", "Emily", "Michael", "Laura", "Daniel", "Rachel"),
        ("Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thompson", "Walker", "White"),
    ),
    "SEA": (
        ("Minh", "Linh", "Somchai", "Nattaya", "Budi", "Siti", "Nguyen", "Putri"),
        ("Nguyen", "Tran", "Le", "Srisuk", "Wongsa", "Santoso", "Wijaya", "Hakim"),
    ),
}
_REGION = {
    "JP": "JP",
    "CN": "CN",
    "HK": "CN",
    "TW": "CN",
    "SG": "CN",
    "KR": "KR",
    "IN": "IN",
    "PK": "IN",
    "SA": "AR",
    "EG": "AR",
    "IR": "AR",
    "TR": "AR",
    "ES": "ES",
    "MX": "ES",
    "AR": "ES",
    "CL": "ES",
    "BR": "ES",
    "PT": "ES",
    "US": "EN",
    "GB": "EN",
    "CA": "EN",
    "AU": "EN",
    "NZ": "EN",
    "IE": "EN",
    "ZA": "EN",
    "IL": "EN",
    "VN": "SEA",
    "TH": "SEA",
    "ID": "SEA",
    "MY": "SEA",
}


def author_names(rng: np.random.Generator, origin_codes: np.ndarray) -> pa.Array:
    """``Given Family`` for each author, from name lists of their origin country's region."""
    region = np.array([_REGION.get(str(c), "EU") for c in origin_codes], dtype=object)
    out = np.empty(len(region), dtype=object)
    for key, (given, family) in _NAMES.items():
        m = region == key
        k = int(m.sum())
        if not k:
            continue
        g = np.asarray(given, dtype=object)[rng.integers(0, len(given), k)]
        f = np.asarray(family, dtype=object)[rng.integers(0, len(family), k)]
        out[m] = g + " " + f
    return pa.array(out, pa.string())


_A = (
    "Novel",
    "Robust",
    "Scalable",
    "Efficient",
    "Multi-scale",
    "Data-driven",
    "Comparative",
    "Longitudinal",
    "High-resolution",
    "Integrated",
    "Adaptive",
    "Quantitative",
    "Systematic",
    "Emerging",
    "Sustainable",
)
_B = (
    "analysis",
    "framework",
    "characterisation",
    "modelling",
    "assessment",
    "synthesis",
    "design",
    "evaluation",
    "mapping",
    "control",
    "estimation",
    "detection",
    "optimisation",
    "survey",
)
_C = (
    "networks",
    "materials",
    "cells",
    "systems",
    "populations",
    "interfaces",
    "signals",
    "policies",
    "structures",
    "processes",
    "communities",
    "devices",
    "pathways",
    "markets",
    "regions",
)
_JA = ("に関する研究", "の解析", "の評価", "の開発", "の比較研究")


def titles(rng: np.random.Generator, subject: pa.Array, japanese: np.ndarray) -> pa.Array:
    """A plausible title per work: ``<Adj> <noun> of <things> in <subject>``."""
    n = len(subject)
    a = pa.array(np.asarray(_A, dtype=object)[rng.integers(0, len(_A), n)], pa.string())
    b = pa.array(np.asarray(_B, dtype=object)[rng.integers(0, len(_B), n)], pa.string())
    c = pa.array(np.asarray(_C, dtype=object)[rng.integers(0, len(_C), n)], pa.string())
    en = pc.binary_join_element_wise(a, b, "of", c, "in", subject, " ")
    if not japanese.any():
        return en
    ja_tail = pa.array(np.asarray(_JA, dtype=object)[rng.integers(0, len(_JA), n)], pa.string())
    ja = pc.binary_join_element_wise(subject, ja_tail, "")
    return pc.if_else(pa.array(japanese), ja, en)

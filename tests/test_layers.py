"""The architecture rules of STYLE.md, checked on the source.

Layers import one way: presentation → strategy → indicators → model ← ingest;
only ``kakehashi/engines/`` imports duckdb or pyspark; ``--help`` stays fast
because the command modules import no heavy library at load time.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "kakehashi"

# For each package, the kakehashi packages it may import (besides itself).
ALLOWED = {
    "model": {"errors", "_version"},
    "indicators": {"model", "errors"},
    "strategy": {"indicators", "model", "errors", "i18n"},
    "engines": {"model", "errors", "settings", "store"},
    "store": {"model", "engines", "errors", "_version"},
    "ingest": {"model", "store", "engines", "errors", "settings", "_version", "i18n"},
    "i18n": {"model"},
    "report": {
        *("strategy", "indicators", "engines", "store", "model"),
        *("i18n", "settings", "errors", "_version"),
    },
    "web": {"strategy", "indicators", "engines", "store", "model", "i18n", "settings", "errors", "_version"},
    "cli": {
        "errors",
        "settings",
        "store",
        "engines",
        "model",
        "indicators",
        "strategy",
        "ingest",
        "i18n",
        "_version",
        "web",
        "report",
    },
}


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, node.lineno))
    return out


def _modules():
    return sorted(p for p in PKG.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_import_direction(path):
    rel = path.relative_to(PKG)
    layer = rel.parts[0].removesuffix(".py")
    for mod, line in _imports(path):
        root = mod.split(".")[0]
        if root in ("duckdb", "pyspark"):
            assert layer == "engines", f"{rel}:{line} imports {mod}; only kakehashi/engines/ may"
        if root != "kakehashi" or layer not in ALLOWED:
            continue
        parts = mod.split(".")
        target = parts[1] if len(parts) > 1 else ""
        if target in ("", layer):
            continue
        assert target in ALLOWED[layer], f"{rel}:{line} imports kakehashi.{target}, against the layer order"


def test_help_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from kakehashi.cli import _register\n"
        "_register()\n"
        "heavy = [m for m in ('ibis', 'duckdb', 'pyspark', 'pyarrow', 'pandas', 'fastapi', 'weasyprint')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"`kakehashi --help` would import {out.stdout.strip()}"

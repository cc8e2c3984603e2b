"""Readers of a store while it is written, and of a store nobody may write (issue 12, point 1).

A running ``kakehashi serve`` is asked for a figure while a child process
commits a real transaction — paused at each point of the commit, and killed at
each — and must answer from one whole version every time: the old one until
the commit point, the new one from the first request after it. Every reading
command is then run on a store mounted read-only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kakehashi.store import Store
from serving import get, serving
from storebuild import build_store

TESTS = Path(__file__).parent

#: a transaction adding work W<n> (2020, one Japanese author) — each commit adds one to p_whole
CHILD = textwrap.dedent(
    """
    import datetime as dt, sys
    from kakehashi.engines import merge
    from kakehashi.store import Store
    from storebuild import rows_to_arrow
    s, n = Store.open(sys.argv[1]), int(sys.argv[2])
    w = [{"work_id": f"W{n}", "year": 2020, "publication_date": dt.date(2020, 6, 1), "title": "t",
          "updated_date": dt.datetime(2025, 1, 1)}]
    a = [{"work_id": f"W{n}", "author_seq": 0, "country_code": "JP"}]
    with merge.transaction(s, {"kind": "child", "n": n}) as tx:
        tx.add("works", rows_to_arrow("works", w))
        tx.add("affiliations", rows_to_arrow("affiliations", a, {f"W{n}": 0}))
    """
)

POINTS = ["before-move", "before-commit", "after-commit", "mid-links", "before-tidy"]
#: whether the store shows the child's work once the child stops (or is killed) at a point
AFTER = {
    "before-move": False,
    "before-commit": False,
    "after-commit": True,
    "mid-links": True,
    "before-tidy": True,
}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAKEHASHI_")}
    env["PYTHONPATH"] = str(TESTS)
    env.update(extra)
    return env


def _child(store: Path, n: int, **extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(store), str(n)], env=_env(**extra))


def _get(url: str) -> Any:
    return json.loads(get(url))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A small store (one Japanese 2020 work) and a ``kakehashi serve`` on it."""
    path = build_store(
        tmp_path / "store",
        works=[{"work_id": "W0", "year": 2020}],
        affiliations=[{"work_id": "W0", "author_seq": 0, "country_code": "JP"}],
    ).path
    with serving(path, _env()) as base:
        yield path, base


def _answer(base: str) -> tuple[int, str]:
    """(p_whole of JP in 2020, the store_version the answer names)."""
    doc = _get(base + "/api/v1/indicators/collaboration?country=JP&years=2020")
    (row,) = doc["rows"]
    return int(row["p_whole"]), str(doc["provenance"]["store_version"])


def _works_behind(base: str) -> list[str]:
    doc = _get(base + "/api/v1/works?country=JP&year=2020")
    return sorted(r["work_id"] for r in doc["rows"])


def test_the_server_answers_from_one_whole_version_across_real_commits(served: tuple[Path, str]) -> None:
    path, base = served
    expected, version = 1, Store.current_version(path)
    assert _answer(base) == (1, version)
    for n, point in enumerate(POINTS, start=1):
        go = path.parent / f"go-{n}"
        child = _child(path, n, KAKEHASHI_PAUSE_AT=f"{point}:{go}")
        try:
            for _ in range(3000):
                if Path(f"{go}.waiting").exists() or child.poll() is not None:
                    break
                time.sleep(0.02)
            assert Path(f"{go}.waiting").exists(), f"the child never reached {point}"
            # Mid-commit (the writer holds the lock): the server answers at once, from one version.
            now = Store.current_version(path)
            got = _answer(base)
            if AFTER[point]:
                assert got == (expected + 1, now) and now != version
            else:
                assert got == (expected, version) and now == version
            assert len(_works_behind(base)) == got[0]  # the works behind the figure: the same version
        finally:
            go.touch()
            assert child.wait(timeout=120) == 0
        expected, version = expected + 1, Store.current_version(path)
        assert _answer(base) == (expected, version)  # the next request sees the commit
        assert _works_behind(base) == sorted(["W0", *(f"W{i}" for i in range(1, n + 1))])


def test_the_server_answers_from_one_whole_version_across_killed_commits(served: tuple[Path, str]) -> None:
    path, base = served
    expected = 1
    assert _answer(base)[0] == 1
    for n, point in enumerate(POINTS, start=1):
        child = _child(path, n, KAKEHASHI_CRASH_AT=point)
        assert child.wait(timeout=120) == 137, "the child should have died at the crash point"
        version = Store.current_version(path)
        expected += AFTER[point]
        # No recovery by anyone: the server serves the last complete version by itself.
        assert _answer(base) == (expected, version)
        assert len(_works_behind(base)) == expected
    # The next writer tidies what the kills left; the server follows its commit.
    child = _child(path, 99)
    assert child.wait(timeout=120) == 0
    assert _answer(base)[0] == expected + 1
    assert not list(path.glob(".tx-*"))


def test_a_new_store_version_is_not_served_from_the_cache(tmp_path: Path) -> None:
    from kakehashi.settings import Settings
    from kakehashi.web.service import Service

    path = build_store(tmp_path / "s", works=[{"work_id": "W0", "year": 2020}]).path
    svc = Service(path, Settings.load(env={}, config_file=None))

    def count(t: Any) -> Any:
        return t.works.aggregate(n=t.works.count()).to_pyarrow()

    first = svc.run(("n",), count, {})
    assert first.table.column("n").to_pylist() == [1]
    assert svc.run(("n",), count, {}) is first and svc.computed == 1  # cached
    assert _child(tmp_path / "s", 1).wait(timeout=120) == 0  # a real commit, by another process
    second = svc.run(("n",), count, {})
    assert second.table.column("n").to_pylist() == [2] and svc.computed == 2
    assert (
        second.provenance["store_version"] == Store.current_version(path) != first.provenance["store_version"]
    )


def test_one_request_reads_one_version_even_across_a_commit(tmp_path: Path) -> None:
    """A page runs several queries; a commit between two of them must not mix versions,
    and the page is cached under the version it was made from."""
    from kakehashi.settings import Settings
    from kakehashi.web.service import _REQUEST, Service

    path = build_store(tmp_path / "s", works=[{"work_id": "W0", "year": 2020}]).path
    svc = Service(path, Settings.load(env={}, config_file=None))

    def count(t: Any) -> Any:
        return t.works.aggregate(n=t.works.count()).to_pyarrow()

    token = _REQUEST.set(svc.current())  # what PinEachRequest does for each request
    try:
        seen = []

        def page() -> bytes:
            seen.append(svc.run(("a",), count, {}).table.column("n")[0].as_py())
            assert _child(tmp_path / "s", 1).wait(timeout=120) == 0  # committed mid-page
            seen.append(svc.run(("b",), count, {}).table.column("n")[0].as_py())
            return json.dumps(seen).encode()

        first_version = svc.version
        assert svc.memo(("page",), page) == b"[1, 1]"
    finally:
        _REQUEST.reset(token)
    # The next request reads the new version, and the old page is not served for it.
    token = _REQUEST.set(svc.current())
    try:
        assert svc.version != first_version
        assert svc.memo(("page",), lambda: b"new") == b"new"
        assert svc.run(("b",), count, {}).table.column("n")[0].as_py() == 2
    finally:
        _REQUEST.reset(token)


def test_the_server_keeps_serving_when_a_new_version_cannot_be_opened(tmp_path: Path) -> None:
    from kakehashi.settings import Settings
    from kakehashi.web.service import Service

    path = build_store(tmp_path / "s", works=[{"work_id": "W0", "year": 2020}]).path
    svc = Service(path, Settings.load(env={}, config_file=None))

    def count(t: Any) -> Any:
        return t.works.aggregate(n=t.works.count()).to_pyarrow()

    old = svc.version
    assert _child(tmp_path / "s", 1).wait(timeout=120) == 0
    new = Store.current_version(path)
    vfile = path / ".versions" / "manifests" / f"{new}.json"
    good = vfile.read_bytes()
    vfile.write_bytes(b"\xff not json")  # the new version cannot be read
    assert svc.run(("n",), count, {}).table.column("n")[0].as_py() == 1 and svc.version == old
    vfile.write_bytes(good)  # mended: the next request reads it
    assert svc.run(("n",), count, {}).table.column("n")[0].as_py() == 2 and svc.version == new


# -- a store nobody may write --------------------------------------------------------------------

READ_ALL = textwrap.dedent(
    """
    import json, sys, traceback
    from kakehashi.cli import main
    from kakehashi.indicators import INDICATORS
    store, out = sys.argv[1], sys.argv[2]
    NEEDS = {"partners": ["--country", "JP"], "complementarity": ["--country", "JP"],
             "institution-partners": ["--country", "JP"], "partner-network": ["--country", "JP"]}
    failed = []
    def run(*args):
        try:
            main(list(args))
        except SystemExit as exc:
            if exc.code not in (0, None):
                failed.append((args, exc.code))
        except Exception:
            failed.append((args, traceback.format_exc()[-600:]))
    for name in INDICATORS:
        run("indicator", name, "--store", store, "--years", "2018-2022", "--resamples", "20",
            *NEEDS.get(name, []), "--format", "csv", "--out", f"{out}/{name}.csv")
    run("works", "--store", store, "--country", "JP", "--year", "2020",
        "--format", "csv", "--out", f"{out}/w.csv")
    run("report", "--store", store, "--lang", "en", "--out", f"{out}/briefing.html")
    run("demo", "--store", store, "--no-serve", "--reports", f"{out}/reports")
    from fastapi.testclient import TestClient
    from kakehashi.web import create_app
    from kakehashi.settings import Settings
    with TestClient(create_app(store, Settings.load(env={}, config_file=None))) as client:
        for url in ["/", "/partners?country=JP", "/api/v1/meta",
                    "/api/v1/indicators/collaboration?country=JP&years=2020"]:
            r = client.get(url)
            if r.status_code != 200:
                failed.append((url, r.status_code, r.text[:400]))
    print(json.dumps(failed))
    """
)


def _read_only(store: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` with ``store`` read-only: a read-only bind mount in a mount namespace of
    its own (root), or without write permission (anyone else)."""
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("needs unshare to mount the store read-only")
        script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
        cmd = ["unshare", "-m", "sh", "-c", script, str(store), *argv]
        probe = subprocess.run(["unshare", "-m", "sh", "-c", script, str(store), "true"], capture_output=True)
        if probe.returncode != 0:
            pytest.skip(f"cannot mount read-only here: {probe.stderr.decode().strip()}")
        return subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=900)
    modes = {p: p.lstat().st_mode for p in [store, *store.rglob("*")] if not p.is_symlink()}
    try:
        for p in modes:
            p.chmod(modes[p] & ~0o222)
        return subprocess.run(argv, capture_output=True, text=True, env=_env(), timeout=900)
    finally:
        for p, m in modes.items():
            p.chmod(m)


def test_every_reading_command_reads_a_read_only_store(tmp_path: Path) -> None:
    from kakehashi.ingest.demo import build_demo

    store = tmp_path / "store"
    build_demo(Store.open(store, create=True), works=3_000, seed=5)
    listing = {str(p.relative_to(store)): p.lstat().st_mtime_ns for p in store.rglob("*")}
    out = tmp_path / "out"
    out.mkdir()
    r = _read_only(store, [sys.executable, "-c", READ_ALL, str(store), str(out)])
    assert r.returncode == 0, r.stderr[-2000:]
    failed = json.loads(r.stdout.strip().splitlines()[-1])
    assert failed == []
    assert (out / "collaboration.csv").read_text(encoding="utf-8-sig").startswith("country,")
    assert (out / "briefing.html").stat().st_size > 1000
    assert {str(p.relative_to(store)): p.lstat().st_mtime_ns for p in store.rglob("*")} == listing

"""Bounded load test of `kakehashi serve` on a demo store; prints JSON (issue 5 acceptance).

    .venv/bin/python benchmarks/load.py                      # 1,000,000 works, built in a temp folder
    .venv/bin/python benchmarks/load.py --store DIR          # reuse a store (built there if empty)
    .venv/bin/python benchmarks/load.py --works 100000 --requests 20

Starts ``kakehashi serve`` on a free loopback port (never another address),
asks each endpoint once (the cold computation, timed), warms up, then runs
``--clients`` closed-loop clients — each sends its next request when the last
is answered — over the Overview and Partners endpoints until each client has
sent ``--requests`` requests or ``--seconds`` have passed, whichever comes
first. Reports p50/p95/p99 latency and throughput per scenario: ``api`` (the
JSON behind the two pages) and ``pages`` (the two HTML pages). Target: p95 <
150 ms after warm-up. Stops the server when done.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _measure import demo_store

Y = "years=2012-2022"
API = [
    "/api/v1/indicators/collaboration?years=2022",
    f"/api/v1/indicators/collaboration?{Y}",
    f"/api/v1/indicators/growth?{Y}",
    "/api/v1/indicators/impact?years=2022&resamples=0",
    f"/api/v1/indicators/partners?country=JP&{Y}",
    f"/api/v1/indicators/complementarity?country=JP&{Y}",
]
PAGES = [f"/?country=JP&{Y}", f"/partners?country=JP&{Y}"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


class _Conn:
    """A keep-alive HTTP/1.1 connection: a lean client, so the load generator's own CPU stays small."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _run(port: int, urls: list[str], clients: int, requests: int, seconds: float) -> dict[str, object]:
    conns = [_Conn("127.0.0.1", port) for _ in range(clients)]

    # Warm-up: every client a few requests, not recorded.
    async def warm(i: int) -> None:
        for k in range(3):
            await conns[i].get(urls[(i + k) % len(urls)])

    await asyncio.gather(*(warm(i) for i in range(clients)))
    lat: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def client(i: int) -> None:
        nonlocal errors
        for k in range(requests):
            if time.monotonic() > deadline:
                return
            t0 = time.perf_counter()
            status = await conns[i].get(urls[(i + k) % len(urls)])
            lat.append(time.perf_counter() - t0)
            errors += status != 200

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    wall = time.perf_counter() - t0
    for c in conns:
        c.close()
    ms = [x * 1000 for x in lat]
    return {
        "requests": len(ms),
        "errors": errors,
        "seconds": round(wall, 2),
        "throughput_rps": round(len(ms) / wall, 1),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(_pct(ms, 0.95), 1),
        "p99_ms": round(_pct(ms, 0.99), 1),
        "max_ms": round(max(ms), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path)
    ap.add_argument("--works", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=40, help="per client, after warm-up")
    ap.add_argument("--seconds", type=float, default=60.0, help="bound on each scenario")
    args = ap.parse_args()

    tmp = None
    store = args.store
    if store is None:
        tmp = tempfile.TemporaryDirectory(prefix="kakehashi-load-")
        store = Path(tmp.name) / "store"
    t0 = time.perf_counter()
    demo_store(store, args.works)
    build_s = time.perf_counter() - t0

    load_before = os.getloadavg()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "kakehashi", "serve", "--store", str(store), "--port", str(port)]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/openapi.json", timeout=5).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("kakehashi serve did not start") from None
                time.sleep(0.2)
        cold = {}
        for u in API + PAGES:
            t1 = time.perf_counter()
            urllib.request.urlopen(base + u, timeout=300).read()
            cold[u] = round(time.perf_counter() - t1, 3)
        out = {
            "store_works": json.loads((store / "manifest.json").read_text())["sources"][0].get("works"),
            "store_build_seconds": round(build_s, 1),
            "clients": args.clients,
            "cold_seconds": cold,
            "api": asyncio.run(_run(port, API, args.clients, args.requests, args.seconds)),
            "pages": asyncio.run(_run(port, PAGES, args.clients, args.requests, args.seconds)),
            "target_p95_ms": 150,
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_average_before": [round(x, 2) for x in load_before],
            },
        }
        print(json.dumps(out, indent=2))
    finally:
        server.terminate()
        server.wait(timeout=10)
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()

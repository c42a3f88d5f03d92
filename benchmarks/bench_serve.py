"""Load on the web app: N concurrent clients on loopback requesting the map, results and runs.

Starts ``xiaozhen serve``'s app with uvicorn on a free loopback port in a subprocess (one worker,
as `xiaozhen serve` runs it), seeds one finished run with the real plan, then runs
``clients`` asyncio clients (httpx) that each issue ``requests_per_client`` requests cycling over:
the county GeoJSON, a choropleth, the runs list, a run's details, its charts, and a CSV download.
Every run is bounded in count and in time (``--deadline-s``). Latency percentiles and error counts
go to benchmarks/RESULTS.md.

Run: ``.venv/bin/python -m benchmarks.bench_serve [--clients 8 16 32] [--requests 40]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from benchmarks._results import write_section

_SERVER = """
import sys, uvicorn
from pathlib import Path
from xiaozhen.serve import ServeSettings, create_app
app = create_app(ServeSettings(runs_dir=Path(sys.argv[1])))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _client(
    base: str, urls: list[str], n: int, deadline: float, out: list[tuple[str, float, int]]
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60.0) as client:
        for i in range(n):
            if time.monotonic() > deadline:
                return
            url = urls[i % len(urls)]
            start = time.perf_counter()
            try:
                response = await client.get(url)
                status = response.status_code
                _ = response.content
            except httpx.HTTPError:
                status = 0
            out.append((url.split("?")[0], time.perf_counter() - start, status))


async def _load(
    base: str, urls: list[str], clients: int, n: int, deadline_s: float
) -> tuple[list[tuple[str, float, int]], float]:
    out: list[tuple[str, float, int]] = []
    deadline = time.monotonic() + deadline_s
    start = time.perf_counter()
    await asyncio.gather(
        *(
            _client(base, urls[i % len(urls) :] + urls[: i % len(urls)], n, deadline, out)
            for i in range(clients)
        )
    )
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--requests", type=int, default=30, help="requests per client")
    parser.add_argument("--deadline-s", type=float, default=120.0, help="time bound per level")
    args = parser.parse_args()

    runs = Path(tempfile.mkdtemp(prefix="xiaozhen-bench-serve-"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-c", _SERVER, str(runs), str(port)])
    try:
        with httpx.Client(base_url=base, timeout=600.0) as c:
            for _ in range(300):
                try:
                    if c.get("/api/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            job = c.post("/api/jobs", json={"scenario": {"name": "bench"}}).json()
            plan_start = time.perf_counter()
            while (status := c.get(f"/api/jobs/{job['id']}").json())["status"] not in (
                "done",
                "failed",
            ):
                time.sleep(0.5)
            plan_s = time.perf_counter() - plan_start
            if status["status"] != "done":
                raise SystemExit(f"seed run failed: {status['error']}")
            run_id = job["id"]
            urls = [
                "/api/map/counties",
                "/api/map/choropleth?attribute=pop_2020",
                "/api/runs",
                f"/api/runs/{run_id}",
                f"/api/runs/{run_id}/charts",
                f"/api/runs/{run_id}/files/region/counties.csv",
            ]
            sizes = {u.split("?")[0]: len(c.get(u).content) for u in urls}  # also warms caches
        lines = [
            f"Server: uvicorn, one process, loopback; seed run by the real plan in {plan_s:.1f} s. "
            f"Each client sends {args.requests} requests in turn over {len(urls)} endpoints; "
            f"bounded at {args.deadline_s:.0f} s per level. Latency in milliseconds. "
            "The machine (2 cores) was shared with other engineers' work while this ran.",
            "",
            "| clients | requests | errors | req/s | p50 | p90 | p99 | max |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        per_endpoint: dict[str, list[float]] = {}
        for n_clients in args.clients:
            results, wall = asyncio.run(
                _load(base, urls, n_clients, args.requests, args.deadline_s)
            )
            lat = np.array([r[1] for r in results]) * 1000
            errors = sum(1 for r in results if r[2] != 200)
            p50, p90, p99 = np.percentile(lat, [50, 90, 99])
            lines.append(
                f"| {n_clients} | {len(results)} | {errors} | {len(results) / wall:.0f} | "
                f"{p50:.1f} | {p90:.1f} | {p99:.1f} | {lat.max():.1f} |"
            )
            if n_clients == max(args.clients):
                for url, t, _ in results:
                    per_endpoint.setdefault(url, []).append(t * 1000)
        lines += [
            "",
            f"Per endpoint at {max(args.clients)} clients (response size in bytes):",
            "",
            "| endpoint | bytes | p50 | p99 |",
            "|---|---:|---:|---:|",
        ]
        for url, times in per_endpoint.items():
            p50, p99 = np.percentile(times, [50, 99])
            key = url.replace(run_id, "{run}")
            lines.append(f"| `{key}` | {sizes.get(url, 0):,} | {p50:.1f} | {p99:.1f} |")
        body = "\n".join(lines)
        print(body)
        write_section(
            "serve load",
            "python -m benchmarks.bench_serve " + " ".join(sys.argv[1:]),
            body,
        )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()

"""Sweep benchmarks: Dask overhead per task, 1 vs 2 local workers, 1,000 scenarios end to end, and
a 200-scenario sweep interrupted by Ctrl-C and resumed.

Run: ``.venv/bin/python -m benchmarks.bench_sweep`` (about 10 minutes on 2 cores).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._results import write_section
from xiaozhen.sweep import ResultStore, dask_client, load_sweep, run_sweep, sweep_scenarios

BASE = """
[base]
name = "bench"
seed = 2024
[base.simulate]
years = 20
draws = {draws}
"""

SWEEP = (
    'name = "{name}"\n'
    + BASE
    + """
[design]
kind = "lhs"
n = {n}
seed = 1

[[parameters]]
path = "layout.balance_share"
low = 0.0
high = 0.6

[[parameters]]
path = "layout.capital_budget_billion_yuan"
low = 180.0
high = 300.0

[[parameters]]
path = "policy.leverage_ratio"
low = 0.0
high = 2.0

[[parameters]]
path = "policy.hukou_priority"
"""
)


def _noop(i: int) -> int:
    return i


def _write(folder: Path, name: str, n: int, draws: int) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(SWEEP.format(name=name, n=n, draws=draws), encoding="utf-8")
    return path


def overhead(workers: int, tasks: int = 2000) -> dict[str, float]:
    """Seconds per empty task through a local cluster (submit → result on the client)."""
    distributed = __import__("distributed")
    t0 = time.perf_counter()
    with dask_client(workers=workers) as client:
        startup = time.perf_counter() - t0
        client.submit(_noop, -1).result()  # warm
        t1 = time.perf_counter()
        futures = [client.submit(_noop, i, pure=False) for i in range(tasks)]
        for _ in distributed.as_completed(futures):
            pass
        per = (time.perf_counter() - t1) / tasks
    return {"workers": workers, "startup_s": startup, "per_task_ms": per * 1e3}


def timed_sweep(path: Path, out: Path, workers: int) -> dict[str, Any]:
    spec = load_sweep(path)
    t0 = time.perf_counter()
    run = run_sweep(spec, out, workers=workers)
    wall = time.perf_counter() - t0
    table = ResultStore.in_folder(out).read()
    return {
        "scenarios": run.scenarios,
        "computed": run.computed,
        "failed": len(run.failed),
        "wall_s": wall,
        "task_median_s": float(table["task_seconds"].median()),
        "task_sum_s": float(table["task_seconds"].sum()),
    }


def interrupted(path: Path, out: Path, after: int) -> dict[str, Any]:
    """`xiaozhen sweep` in a subprocess, SIGINT to its process group after ``after`` results."""
    cli = [sys.executable, "-c", "from xiaozhen.cli import main; main()", "sweep", str(path)]
    args = [*cli, "--out", str(out), "--workers", "2"]
    results = out / "results"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    while not (results.is_dir() and len(list(results.glob("*.parquet"))) >= after):
        if proc.poll() is not None:
            raise RuntimeError("sweep finished before the interrupt")
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    proc.communicate(timeout=120)
    first_wall = time.perf_counter() - t0
    stored = len(list(results.glob("*.parquet")))
    t1 = time.perf_counter()
    rerun = subprocess.run(args, capture_output=True, timeout=3600, check=True)
    second_wall = time.perf_counter() - t1
    last = json.loads((out / "last_run.json").read_text(encoding="utf-8"))
    digests = set(sweep_scenarios(load_sweep(path)).scenarios)
    names = sorted(p.name for p in results.iterdir())
    return {
        "exit_code_interrupted": proc.returncode,
        "stored_at_interrupt": stored,
        "first_wall_s": first_wall,
        "rerun_skipped": last["skipped"],
        "rerun_computed": last["computed"],
        "second_wall_s": second_wall,
        "exactly_once": names == sorted(f"{d}.parquet" for d in digests),
        "report": (out / "report.html").is_file(),
        "rerun_stdout": rerun.stdout.decode().strip().splitlines()[0],
    }


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        over = [overhead(1), overhead(2)]
        scaling = {}
        for w in (1, 2):
            path = _write(tmp, f"scale{w}", 60, 10)
            scaling[w] = timed_sweep(path, tmp / f"scale{w}", w)
        big_path = _write(tmp, "thousand", 1000, 5)
        big = timed_sweep(big_path, tmp / "thousand", 2)
        t0 = time.perf_counter()
        from xiaozhen.sweep import write_sweep_report

        write_sweep_report(load_sweep(big_path), tmp / "thousand")
        report_s = time.perf_counter() - t0
        inter = interrupted(_write(tmp, "twohundred", 200, 5), tmp / "twohundred", after=60)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    lines = [
        "Shared machine (other engineers' jobs were running); LocalCluster of worker processes, "
        "1 thread each, on 127.0.0.1.",
        "",
        "**Overhead per task** (2,000 empty tasks submitted at once, submit → result on the "
        "client):",
        "",
        "| workers | cluster start (s) | per task (ms) |",
        "|---|---|---|",
        *[f"| {o['workers']} | {o['startup_s']:.1f} | {o['per_task_ms']:.2f} |" for o in over],
        "",
        "**1 vs 2 local workers**: 60 scenarios (LHS over balance share, capital budget, leverage "
        "and hukou priority), province chain region→assess→position→layout (2 MILPs)→simulate "
        "(programme and no-towns, 20 years × 10 draws); wall time includes cluster start-up and "
        "the first task's imports on each worker.",
        "",
        "| workers | wall (s) | median task (s) | speed-up |",
        "|---|---|---|---|",
        *[
            f"| {w} | {s['wall_s']:.1f} | {s['task_median_s']:.2f} | "
            f"{scaling[1]['wall_s'] / s['wall_s']:.2f} |"
            for w, s in scaling.items()
        ],
        "",
        f"**1,000 simulation scenarios end to end** (same design, 20 years × 5 draws, 2 workers): "
        f"{big['computed']} computed, {big['failed']} failed in {big['wall_s']:.0f} s "
        f"({big['wall_s'] / max(big['computed'], 1) * 1e3:.0f} ms per scenario; median task "
        f"{big['task_median_s']:.2f} s, sum of task times {big['task_sum_s']:.0f} s); the summary "
        f"report (summary.csv, Spearman sensitivity, Pareto fronts, HTML) took {report_s:.1f} s.",
        "",
        "**200-scenario sweep interrupted and resumed** (`xiaozhen sweep` in a subprocess; "
        "SIGINT to its process group once 60 results were stored, like Ctrl-C in a terminal; "
        "then the same command again):",
        "",
        f"- first run: exit code {inter['exit_code_interrupted']}, "
        f"{inter['stored_at_interrupt']} results stored, {inter['first_wall_s']:.1f} s;",
        f"- re-run: {inter['rerun_skipped']} skipped, {inter['rerun_computed']} computed in "
        f"{inter['second_wall_s']:.1f} s (`{inter['rerun_stdout']}`);",
        f"- every scenario stored exactly once, no temporary file: {inter['exactly_once']}; "
        f"report written: {inter['report']}.",
    ]
    write_section("sweep", ".venv/bin/python -m benchmarks.bench_sweep", "\n".join(lines))


if __name__ == "__main__":
    main()

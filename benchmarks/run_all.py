"""Run every benchmark in ``benchmarks/`` one after the other (``make bench``).

Each ``bench_*.py`` runs in its own process (so one benchmark's memory does not count against the
next) and rewrites its own section of ``benchmarks/RESULTS.md``. Run one alone with
``python -m benchmarks.bench_<name>``; pass names to run a subset:
``python -m benchmarks.run_all layout simulate``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    folder = Path(__file__).parent
    names = sorted(p.stem for p in folder.glob("bench_*.py"))
    wanted = [f"bench_{a.removeprefix('bench_')}" for a in argv] or names
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {names}", file=sys.stderr)
        return 2
    failed = []
    for name in wanted:
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        code = subprocess.call([sys.executable, "-m", f"benchmarks.{name}"], cwd=folder.parent)
        print(f"== {name}: exit {code} after {time.perf_counter() - start:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {failed}", file=sys.stderr)
        return 1
    print(f"results: {folder / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

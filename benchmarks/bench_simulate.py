"""Benchmark of xiaozhen.simulate: Zhejiang 90 counties × 20 years × 1,000 draws; a 10,000-zone variant.

Run: ``.venv/bin/python -m benchmarks.bench_simulate`` (``--no-write`` prints without
updating ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import argparse
import time

from benchmarks._results import write_section
from xiaozhen.region import load_counties
from xiaozhen.simulate import programme_from_counties, simulate, synthetic_counties


def _time(counties, towns, draws: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    r = simulate(counties, towns, years=20, draws=draws, seed=0)
    return time.perf_counter() - t0, r.zones.n_zones


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_simulate",
        description="Time xiaozhen.simulate: Zhejiang 90 counties + 30 towns × 1,000 draws, "
        "then 3,000 synthetic counties + 4,000 towns × 10 and 100 draws (20 years each); "
        "writes the 'simulate' section of benchmarks/RESULTS.md.",
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print the table without updating RESULTS.md"
    )
    args = parser.parse_args(argv)
    rows = []
    counties = load_counties()
    towns = programme_from_counties(counties, layout="balanced", n_towns=30)
    _time(counties, towns, 10)  # warm-up (imports, BLAS threads)
    sec, nz = _time(counties, towns, 1000)
    rows.append(("Zhejiang 90 counties + 30 towns", nz, 1000, sec, "< 60 s target"))
    big = synthetic_counties(3000, seed=0)
    big_towns = programme_from_counties(big, layout="balanced", n_towns=4000, start_year=2021)
    big_towns = big_towns.iloc[:4000]
    sec_big, nz_big = _time(big, big_towns, 10)
    rows.append(("synthetic 3,000 counties + 4,000 towns", nz_big, 10, sec_big, ""))
    sec_big100, _ = _time(big, big_towns, 100)
    rows.append(("same", nz_big, 100, sec_big100, ""))
    body = (
        "| case | zones | draws | years | seconds | note |\n|---|---|---|---|---|---|\n"
        + "\n".join(f"| {a} | {b:,} | {c:,} | 20 | {d:.1f} | {e} |" for a, b, c, d, e in rows)
        + "\n\nAll draws advance together as numpy arrays (draws, groups, zones); gravity and "
        "moving-cost sums use the county nesting (O(draws × (zones + counties²)) per year, no "
        "zones × zones matrix). Times include building zones and recording every trajectory. "
        "The machine was shared with other engineers' work during the run."
    )
    if not args.no_write:
        write_section("simulate", ".venv/bin/python -m benchmarks.bench_simulate", body)
    print(body)


if __name__ == "__main__":
    main()

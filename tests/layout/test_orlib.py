"""OR-Library p-median: parsing rules and proven optima (independent oracle: pmedopt.txt)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from xiaozhen.errors import InputDataError
from xiaozhen.layout import (
    LocationProblem,
    check_solution,
    read_orlib,
    read_orlib_optima,
    solve_pmedian,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "pmed"
OPT = read_orlib_optima(DATA / "pmedopt.txt")
# a representative subset for the normal suite (the full 40 run in benchmarks/bench_layout.py)
SUBSET = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 16, 18, 23]


def test_last_duplicate_edge_wins(tmp_path: Path) -> None:
    # edge 1-2 listed twice: 5 then 9 -> the last (9) wins, so d(1,2) = min(9, 1 + 1) = 2 via 3
    f = tmp_path / "tiny.txt"
    f.write_text("3 4 1\n1 2 5\n2 3 1\n1 3 1\n2 1 9\n")
    inst = read_orlib(f)
    assert inst.distance[0, 1] == 2.0
    f.write_text("3 3 1\n1 2 1\n2 3 7\n2 3 4\n")
    assert read_orlib(f).distance[1, 2] == 4.0  # last one (4), here also the minimum
    f.write_text("3 3 1\n1 2 1\n2 3 4\n3 2 7\n")
    assert read_orlib(f).distance[1, 2] == 7.0  # last one (7), not the minimum (4)


def test_duplicates_exist_in_real_files() -> None:
    tokens = np.array((DATA / "pmed1.txt").read_text().split(), dtype=np.int64)
    e = tokens[3:].reshape(-1, 3)
    key = np.minimum(e[:, 0], e[:, 1]) * 1000 + np.maximum(e[:, 0], e[:, 1])
    assert np.unique(key).size < key.size


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("3 2 1\n1 2 5\n", "declares m=2 edges"),
        ("3 1 5\n1 2 5\n", "p=5 must be in 1..n=3"),
        ("3 1 1\n1 4 5\n", "vertex numbers must be in 1..3"),
        ("3 1 1\n1 2 5\n", "disconnected"),
        ("3 1 1\n1 x 5\n", "non-integer token"),
        ("3 1\n", "expected a header"),
    ],
)
def test_bad_files(tmp_path: Path, text: str, match: str) -> None:
    f = tmp_path / "bad.txt"
    f.write_text(text)
    with pytest.raises(InputDataError, match=match):
        read_orlib(f)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="does not exist"):
        read_orlib(tmp_path / "nope.txt")


@pytest.mark.parametrize("k", SUBSET)
def test_pmed_proven_optimal(k: int) -> None:
    inst = read_orlib(DATA / f"pmed{k}.txt")
    prob = LocationProblem(inst.distance)
    res = solve_pmedian(prob, inst.p, time_limit=60)
    assert res.status == "optimal"
    assert res.objective == OPT[inst.name]
    assert res.bound == OPT[inst.name]
    assert res.gap == 0.0
    assert check_solution(prob, res).ok


def test_lagrangian_method_reports_valid_bound() -> None:
    inst = read_orlib(DATA / "pmed6.txt")
    prob = LocationProblem(inst.distance)
    res = solve_pmedian(prob, inst.p, method="lagrangian")
    assert res.method == "lagrangian"
    assert res.bound <= OPT["pmed6"] <= res.objective
    assert res.status in ("optimal", "time_limit")
    if res.status != "optimal":
        assert res.gap > 0

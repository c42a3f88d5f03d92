"""Layout benchmarks: OR-Library pmed1-40, spopt/PuLP-CBC side by side, a county-scale planning case.

Run: ``.venv/bin/python -m benchmarks.bench_layout [--quick]``. Writes the ``layout`` section of
benchmarks/RESULTS.md. Data: tests/data/pmed (OR-Library, Beasley 1990).
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from benchmarks._results import write_section
from xiaozhen.layout import (
    LocationProblem,
    PlanningProblem,
    check_solution,
    read_orlib,
    read_orlib_optima,
    solve_planning,
    solve_pmedian,
)

logger = logging.getLogger(__name__)
DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "pmed"


def run_pmed(ids: list[int], time_limit: float) -> tuple[list[str], float, dict[int, float]]:
    opt = read_orlib_optima(DATA / "pmedopt.txt")
    rows = [
        "| instance | n | p | optimum (pmedopt) | ours | bound | status | method | seconds |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    total = 0.0
    secs: dict[int, float] = {}
    for k in ids:
        t0 = time.perf_counter()
        inst = read_orlib(DATA / f"pmed{k}.txt")
        prob = LocationProblem(inst.distance)
        res = solve_pmedian(prob, inst.p, time_limit=time_limit)
        dt = time.perf_counter() - t0
        total += dt
        secs[k] = dt
        assert check_solution(prob, res).ok
        flag = "" if res.objective == opt[inst.name] else " (differs)"
        rows.append(
            f"| {inst.name} | {inst.n} | {inst.p} | {opt[inst.name]:.0f} | {res.objective:.0f}{flag} "
            f"| {res.bound:.1f} | {res.status} | {res.method} | {dt:.2f} |"
        )
        logger.info("%s: %s %.0f in %.2f s", inst.name, res.status, res.objective, dt)
    return rows, total, secs


def run_spopt(ids: list[int], time_limit: float) -> tuple[list[str], dict[int, tuple[float, str]]]:
    import pulp
    from spopt.locate import PMedian

    opt = read_orlib_optima(DATA / "pmedopt.txt")
    seen: dict[int, tuple[float, str]] = {}
    rows = [
        "| instance | spopt+CBC objective | PuLP status | true sol_status | build s | solve s |",
        "|---|---|---|---|---|---|",
    ]
    for k in ids:
        inst = read_orlib(DATA / f"pmed{k}.txt")
        t0 = time.perf_counter()
        model = PMedian.from_cost_matrix(inst.distance, np.ones(inst.n), p_facilities=inst.p)
        t1 = time.perf_counter()
        try:
            model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit))
            t2 = time.perf_counter()
            prob = model.problem
            obj = pulp.value(prob.objective)
            status = pulp.LpStatus[prob.status]
            sol = pulp.LpSolution[prob.sol_status]
        except Exception as exc:  # spopt raises on a non-optimal PuLP status
            t2 = time.perf_counter()
            obj, status, sol = float("nan"), "error", type(exc).__name__
        rows.append(
            f"| pmed{k} (opt {opt[f'pmed{k}']:.0f}) | {obj:.0f} | {status} | {sol} | "
            f"{t1 - t0:.1f} | {t2 - t1:.1f} |"
        )
        logger.info("spopt pmed%d: %s (%s) %.0f", k, status, sol, obj)
        seen[k] = (t2 - t0, sol)
    return rows, seen


BUDGETS = {"typical": (25e9, 6.0), "stress": (120e9, 25.0), "typical-rural": (25e9, 6.0)}
"""County programmes: (budget in yuan, land quota in km²); ``typical-rural`` puts the balance on
covered rural residents (share 0.6) instead of on towns (share 0.4)."""


def county_problem(
    seed: int, label: str, n_cand: int = 2_000, n_demand: int = 100_000
) -> tuple[PlanningProblem, int, float]:
    """Synthetic county: 2,000 candidates x 100,000 demand cells, coverage within 15 minutes.

    Demand is clustered around 40 villages/towns plus a uniform background; travel at 30 km/h
    within a 20-minute cut-off (k-d tree). ``label`` picks the budget (:data:`BUDGETS`). Returns
    the problem, the number of travel-time pairs and the matrix build time.
    """
    rng = np.random.default_rng(seed)
    side = 100_000.0  # metres
    cand = rng.uniform(0, side, (n_cand, 2))
    centres = rng.uniform(0, side, (40, 2))
    k = n_demand // 2
    cells = np.vstack(
        [
            centres[rng.integers(0, 40, k)] + rng.normal(0, 4_000, (k, 2)),
            rng.uniform(0, side, (n_demand - k, 2)),
        ]
    )
    pop = rng.lognormal(3.0, 1.0, n_demand)
    rural = pop * rng.uniform(0.2, 0.9, n_demand)
    speed_m_per_min = 500.0  # 30 km/h
    t0 = time.perf_counter()
    dm = cKDTree(cells).sparse_distance_matrix(
        cKDTree(cand), 20.0 * speed_m_per_min, output_type="coo_matrix"
    )
    travel = sp.csr_array((dm.data / speed_m_per_min, (dm.row, dm.col)), shape=(n_demand, n_cand))
    coverage = sp.csr_array(
        (travel.data <= 15.0, travel.indices.copy(), travel.indptr.copy()), shape=travel.shape
    )
    coverage.eliminate_zeros()
    t_build = time.perf_counter() - t0
    county = (cand[:, 0] // 25_000).astype(int) * 4 + (cand[:, 1] // 25_000).astype(int)
    fringe = rng.random(n_cand) < 0.35
    benefit = rng.uniform(0, 2_000, n_cand)
    investment = rng.uniform(2e9, 8e9, n_cand)
    land = rng.uniform(0.5, 1.5, n_cand)
    idle_land = rng.uniform(0, 0.4, n_cand)
    budget, quota = BUDGETS[label]
    prob = PlanningProblem(
        n_candidates=n_cand,
        coverage=coverage,
        demand_weight=pop,
        rural_weight=rural,
        benefit=benefit,
        investment=investment,
        land=land,
        idle_land=idle_land,
        budget=budget,
        land_quota=quota,
        fringe=fringe,
        balance_share=0.6 if label == "typical-rural" else 0.4,
        balance_on="rural_population" if label == "typical-rural" else "towns",
        group=county,
        group_max=dict.fromkeys(range(16), 3),
        xy=cand,
        min_spacing_m=5_000.0,
    )
    return prob, int(travel.nnz), t_build


def county_case(seeds: list[int], gap: float = 0.01, time_limit: float = 60.0) -> list[str]:
    """Both county programmes on each seed's instance, one table row each."""
    lines: list[str] = []
    rows = [
        "| seed | programme | towns | best greedy | after interchange | Lagrangian bound (s) "
        "| kernel search | objective | proven bound | gap | status, method | seconds | checker |",
        "|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---|---:|---|",
    ]
    worst = dict.fromkeys(BUDGETS, (0.0, 0.0))
    for seed in seeds:
        for label in BUDGETS:
            prob, n_pairs, t_build = county_problem(seed, label)
            if not lines:
                assert prob.coverage is not None
                lines = [
                    f"- instance: {prob.n_candidates:,} candidates x "
                    f"{prob.coverage.shape[0]:,} demand cells; sparse travel times within 20 min "
                    f"({n_pairs:,} pairs, k-d tree build {t_build:.1f} s), coverage within 15 "
                    f"min ({prob.coverage.nnz:,} pairs); balance share of fringe towns 0.4, 16 "
                    "counties with max 3, spacing 5 km; programmes: typical 25 billion yuan and 6 "
                    "km², stress 120 billion yuan and 25 km², typical-rural as typical with the "
                    "balance on covered rural residents instead (share 0.6: at least 60 % of the "
                    "covered rural residents covered by fringe towns); method `milp`, time limit "
                    f"{time_limit:g} s, "
                    f"requested gap {100 * gap:g} %",
                ]
            res = solve_planning(prob, method="milp", time_limit=time_limit, gap=gap)
            check = check_solution(prob, res)
            info = res.info
            kernel = "; ".join(
                f"{step} {info[f'kernel_{step}_candidates']:.0f}"
                for step in ("improve", "prove", "widen")
                if f"kernel_{step}_candidates" in info
            )
            worst[label] = (max(worst[label][0], res.gap), max(worst[label][1], res.seconds))
            rows.append(
                f"| {seed} | {label} | {res.n_selected} | {info['greedy_objective']:,.0f} | "
                f"{info['search_objective']:,.0f} | "
                f"{info.get('lagrangian_bound', float('nan')):,.0f} "
                f"({info.get('lagrangian_seconds', float('nan')):.1f}) | {kernel or '-'} | "
                f"{res.objective:,.0f} | {res.bound:,.0f} | **{100 * res.gap:.2f} %** | "
                f"{res.status}, {res.method} | **{res.seconds:.1f}** | "
                f"{'ok' if check.ok else 'VIOLATED'} |"
            )
    lines += [
        "- worst over the seeds (target: 1 % in 60 s): "
        + "; ".join(
            f"{label} gap **{100 * g:.2f} %** in at most **{t:.1f} s**"
            for label, (g, t) in worst.items()
        ),
        "",
        *rows,
        "",
        "Kernel search: candidates in the improving core and in the proving MILP (the ones "
        "whose Lagrangian bound is above the plan's value + half the gap), or in the widest MILP "
        "when more than 400 are still above that line. For typical-rural the "
        "Lagrangian bound is that of the model without the rural balance (it couples the "
        "coverage rows; dropping it keeps the bound valid).",
    ]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="pmed1-10 only, no spopt")
    ap.add_argument("--time-limit", type=float, default=120.0, help="seconds per pmed instance")
    ap.add_argument("--spopt-limit", type=float, default=300.0)
    ap.add_argument(
        "--county-seeds", default="7,1,2,3", help="comma-separated seeds of the county instances"
    )
    ap.add_argument(
        "--machine-note",
        default="Nothing else ran on the machine during this run.",
        help="what else ran on the machine (written above the tables)",
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ids = list(range(1, 11)) if args.quick else list(range(1, 41))
    county = county_case([int(x) for x in args.county_seeds.split(",")])
    rows, total, secs = run_pmed(ids, args.time_limit)
    body = [
        args.machine_note,
        "",
        f"### OR-Library pmed{ids[0]}-{ids[-1]} (xiaozhen.layout.solve_pmedian, exact)",
        "",
        f"Total **{total:.1f} s** for {len(ids)} instances (time limit {args.time_limit:g} s each).",
        "",
        *rows,
    ]
    if not args.quick:
        sp_ids = [1, 6, 16]
        sp_rows, sp_seen = run_spopt(sp_ids, args.spopt_limit)
        sp16 = sp_seen[16]
        body += [
            "",
            f"### spopt PMedian + PuLP/CBC, same run (timeLimit {args.spopt_limit:g} s)",
            "",
            "PuLP's `status` says 'Optimal' for an incumbent returned at a time limit; "
            "`sol_status` tells the truth.",
            "",
            *sp_rows,
            "",
            f"Speed on pmed16: xiaozhen {secs[16]:.1f} s, proven optimal; spopt+CBC "
            f"{sp16[0]:.0f} s (build + solve), sol_status '{sp16[1]}': "
            f"**{sp16[0] / secs[16]:.0f}x** "
            + (
                "faster."
                if sp16[1] == "Optimal Solution Found"
                else "faster, and CBC had not proven anything."
            ),
        ]
    body += ["", "### County-scale planning model", "", *county]
    cmd = (
        "python -m benchmarks.bench_layout"
        + (" --quick" if args.quick else "")
        + f" --time-limit {args.time_limit:g} --spopt-limit {args.spopt_limit:g}"
        + f" --county-seeds {args.county_seeds}"
    )
    write_section("layout", cmd, "\n".join(body))


if __name__ == "__main__":
    main()

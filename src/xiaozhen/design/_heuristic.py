"""Heuristic for town designs too large for the exact MILP.

1. **Seeded greedy construction** (vectorised scoring, one ``argpartition`` per use):
   the characteristic industry is grown around the cell whose neighbourhood (3×3 mean) is
   cheapest for industry, scoring each allowed cell by :math:`k_{c,u} + \\alpha\\,d_c/h` (cost plus
   distance from the seed in cells, :math:`\\alpha = w_e/2`); supporting production around the
   industry; housing around the cheapest allowed cell near jobs and outside the pollution buffer.
2. **Services by greedy set cover**: walking distances from every home (multi-source Dijkstra
   limited to the walking radius) give each candidate the homes it covers; the candidate that covers
   most homes (then cheapest) becomes a facility of the programme's size, and further one-cell
   facilities are added until every home is covered (the extra cells come out of the industry).
3. **Roads** on free cells with most construction neighbours; **green** cells added where the
   green cover falls short (cheapest, next to homes first).
4. **Simulated annealing** over swaps of two cells' uses (industry, support, housing, new roads and
   unbuilt land), rejecting moves that break slope, coverage, buffer or green cover, and evaluating
   the objective change incrementally (linear and compactness terms locally, the jobs term by one
   multi-source Dijkstra when job cells move). Geometric cooling from :math:`T_0 = 2` to
   :math:`0.02`; the best allocation seen is returned (Kirkpatrick, Gelatt & Vecchi 1983).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from xiaozhen.design._model import DesignProblem, Infeasible, evaluate_objective
from xiaozhen.design._rules import SENSITIVE_USES, SERVICE_USES, Use

__all__ = ["solve_heuristic"]

logger = logging.getLogger(__name__)

IntArr = npt.NDArray[np.int64]
FloatArr = npt.NDArray[np.float64]
_BIG = 1e9


def _default_leftover(problem: DesignProblem) -> IntArr:
    al = problem.allowed
    out = np.where(
        al[:, Use.GREEN_KEPT],
        Use.GREEN_KEPT,
        np.where(al[:, Use.FARMLAND], Use.FARMLAND, Use.RESERVE),
    ).astype(np.int64)
    fixed = problem.fixed >= 0
    out[fixed] = problem.fixed[fixed]
    return out


def _euclid_cells(problem: DesignProblem, mask_local: npt.NDArray[np.bool_]) -> FloatArr:
    """Distance in cells from each site cell to the nearest cell of ``mask_local``."""
    rows, cols = problem.site.shape
    grid = np.zeros(rows * cols, dtype=bool)
    grid[problem.cells[mask_local]] = True
    if not grid.any():
        return np.full(problem.n, _BIG)
    d = ndimage.distance_transform_edt(~grid.reshape(rows, cols))
    return np.asarray(d, dtype=np.float64).ravel()[problem.cells]


def _take(score: FloatArr, ok: npt.NDArray[np.bool_], k: int) -> IntArr:
    """Local indices of the ``k`` lowest scores among ``ok`` cells."""
    idx = np.flatnonzero(ok)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if idx.size < k:
        return idx
    part = np.argpartition(score[idx], k - 1)[:k]
    return idx[part]


class _Tiers:
    r"""Slope quotas: a use may take a flat cell only if the flatter uses still find enough.

    Slope classes are nested (a cell ≤ 8 % also meets 10 %), so when placing use :math:`u` with
    limit :math:`L_u`, for every tighter limit :math:`L_t < L_u` at most
    :math:`|\{c\ \text{free}: s_c \le L_t\}| - \sum_{v\ \text{pending}, L_v \le L_t} n_v` of
    its cells may have slope ≤ :math:`L_t`.
    """

    def __init__(self, problem: DesignProblem, pending: dict[Use, int]) -> None:
        self.slope = problem.site.slope_pct.ravel()[problem.cells]
        self.rules = problem.rules
        self.pending = dict(pending)

    def quotas(
        self, use: Use, free: npt.NDArray[np.bool_]
    ) -> list[tuple[npt.NDArray[np.bool_], int]]:
        lim_u = self.rules.slope_limit(use)
        out = []
        limits = sorted({self.rules.slope_limit(v) for v in self.pending})
        for lim_t in limits:
            if lim_t >= lim_u:
                continue
            tier = free & (self.slope <= lim_t)
            need = sum(
                k
                for v, k in self.pending.items()
                if v != use and self.rules.slope_limit(v) <= lim_t
            )
            out.append((tier, max(0, int(tier.sum()) - need)))
        return out

    def placed(self, use: Use, k: int) -> None:
        self.pending[use] = max(0, self.pending.get(use, 0) - k)


def _take_quota(
    score: FloatArr,
    ok: npt.NDArray[np.bool_],
    k: int,
    quotas: list[tuple[npt.NDArray[np.bool_], int]],
) -> IntArr:
    """Like :func:`_take` but with at most ``q`` cells from each (nested) tier mask."""
    idx = np.flatnonzero(ok)
    if k <= 0 or idx.size == 0:
        return np.zeros(0, dtype=np.int64)
    idx = idx[np.argsort(score[idx], kind="stable")]
    for tier, q in quotas:  # tightest first: nested tiers
        in_tier = tier[idx]
        keep = ~in_tier | (np.cumsum(in_tier) <= q)
        idx = idx[keep]
    return idx[:k]


def _seed(problem: DesignProblem, cost: FloatArr, ok: npt.NDArray[np.bool_]) -> int:
    rows, cols = problem.site.shape
    grid = np.full(rows * cols, 50.0)
    vals = np.where(ok, np.minimum(cost, 50.0), 50.0)
    grid[problem.cells] = vals
    smooth = ndimage.uniform_filter(grid.reshape(rows, cols), size=3, mode="nearest").ravel()
    s = np.where(ok, smooth[problem.cells], np.inf)
    return int(np.argmin(s))


def _buffer_offsets(problem: DesignProblem) -> IntArr:
    r = problem.rules
    if not (r.polluting_industry and r.pollution_buffer_m > 0):
        return np.zeros((0, 2), dtype=np.int64)
    k = math.floor(r.pollution_buffer_m / r.cell_size_m + 1e-9)
    dy, dx = np.mgrid[-k : k + 1, -k : k + 1]
    keep = (np.hypot(dy, dx) * r.cell_size_m <= r.pollution_buffer_m + 1e-6) & (
        (dy != 0) | (dx != 0)
    )
    return np.stack([dy[keep], dx[keep]], axis=1).astype(np.int64)


def solve_heuristic(
    problem: DesignProblem, rng: np.random.Generator, *, iterations: int | None = None
) -> tuple[IntArr, dict[str, float]] | Infeasible:
    """Greedy construction plus simulated annealing; return (uses, stats) or an infeasibility."""
    prog, rules, n = problem.program, problem.rules, problem.n
    w = rules.weights
    al, cost = problem.allowed, problem.cost
    alpha = max(w.compact_per_edge, 0.1) / 2.0
    uses = _default_leftover(problem)
    free = np.ones(n, dtype=bool)
    free[problem.fixed >= 0] = False
    sid = problem.site.site_id
    # shadow price of green: when natural land is scarce, building on it forces new planting
    gn_cost = cost[:, Use.GREEN_NEW][np.isfinite(cost[:, Use.GREEN_NEW])]
    lam_green = float(gn_cost.min()) + w.compact_per_edge if gn_cost.size else 0.0
    n_green_now = int(al[:, Use.GREEN_KEPT].sum())
    if n_green_now - prog.green_min < prog.construction:
        cost = (
            cost
            + lam_green
            * al[:, Use.GREEN_KEPT][:, None]
            * np.isin(
                np.arange(cost.shape[1]),
                [Use.INDUSTRY, Use.SUPPORT, Use.RESIDENTIAL, *SERVICE_USES, Use.ROAD],
            )[None, :]
        )

    pending: dict[Use, int] = {
        Use.INDUSTRY: prog.industry_min,
        Use.SUPPORT: prog.support,
        Use.RESIDENTIAL: prog.residential,
        Use.ROAD: prog.road_new,
        **prog.services,
    }
    tiers = _Tiers(problem, pending)

    # 1. industry
    ok = al[:, Use.INDUSTRY] & free
    s0 = _seed(problem, cost[:, Use.INDUSTRY], ok)
    seed_mask = np.zeros(n, dtype=bool)
    seed_mask[s0] = True
    d_seed = _euclid_cells(problem, seed_mask)
    ind = _take_quota(
        cost[:, Use.INDUSTRY] + alpha * d_seed,
        ok,
        prog.industry_min,
        tiers.quotas(Use.INDUSTRY, free),
    )
    tiers.placed(Use.INDUSTRY, ind.size)
    uses[ind] = Use.INDUSTRY
    free[ind] = False
    # support
    d_ind = _euclid_cells(problem, uses == Use.INDUSTRY)
    ok = al[:, Use.SUPPORT] & free
    sup = _take_quota(
        cost[:, Use.SUPPORT] + alpha * d_ind, ok, prog.support, tiers.quotas(Use.SUPPORT, free)
    )
    tiers.placed(Use.SUPPORT, sup.size)
    uses[sup] = Use.SUPPORT
    free[sup] = False
    # housing (outside the pollution buffer)
    buffer_cells = rules.pollution_buffer_m / rules.cell_size_m
    near_ind = (
        d_ind <= buffer_cells + 1e-9
        if rules.polluting_industry and rules.pollution_buffer_m > 0
        else np.zeros(n, dtype=bool)
    )
    job_mask = (uses == Use.INDUSTRY) | (uses == Use.SUPPORT)
    d_job = problem.graph.distance_from(problem.cells[job_mask])[problem.cells]
    bands = problem.job_bands()
    step_cost = w.jobs_per_km * w.jobs_step_m / 1000.0
    job_cost = step_cost * (d_job[:, None] > bands[None, :]).sum(axis=1)
    ok = al[:, Use.RESIDENTIAL] & free & ~near_ind
    base = cost[:, Use.RESIDENTIAL] + job_cost
    s1 = _seed(problem, base, ok)
    seed_mask[:] = False
    seed_mask[s1] = True
    res = _take_quota(
        base + alpha * _euclid_cells(problem, seed_mask),
        ok,
        prog.residential,
        tiers.quotas(Use.RESIDENTIAL, free),
    )
    tiers.placed(Use.RESIDENTIAL, res.size)
    if res.size < prog.residential:
        return Infeasible(
            sid,
            "pollution_buffer",
            prog.residential * rules.cell_size_m**2 / 1e6,
            res.size * rules.cell_size_m**2 / 1e6,
            "km2",
            f"site {sid}: housing needs {prog.residential} cells but only {res.size} allowed cells "
            f"lie outside the {rules.pollution_buffer_m:g} m pollution buffer.",
        )
    uses[res] = Use.RESIDENTIAL
    free[res] = False

    # 2. services by greedy set cover
    g = problem.graph
    from scipy.sparse import csgraph

    res_nodes = g.node_of_cell[problem.cells[res]]
    d_res = csgraph.dijkstra(
        g.matrix, directed=False, indices=res_nodes, limit=rules.walk_max_m + 1e-6
    )  # (n_res, n_nodes)
    node_local = problem.local_of_cell[g.cell_of_node]
    cover = np.zeros((res.size, n), dtype=bool)
    cover[:, node_local] = d_res <= rules.walk_max_m + 1e-6
    extra = 0
    for s in SERVICE_USES:
        need = prog.services[s]
        svc_free = free & ~near_ind if s in SENSITIVE_USES else free
        uncovered = np.ones(res.size, dtype=bool)
        placed = 0
        while uncovered.any():
            cand = al[:, s] & free & svc_free
            if not cand.any():
                break
            gain = cover[uncovered].sum(axis=0).astype(np.float64)
            gain[~cand] = -1
            best = gain.max()
            if best <= 0:
                break
            tied = np.flatnonzero(gain == best)
            c0 = int(tied[np.argmin(cost[tied, s])])
            size = need - placed if placed < need else 1
            seed_mask[:] = False
            seed_mask[c0] = True
            cells_s = _take_quota(
                cost[:, s] * 0.1 + _euclid_cells(problem, seed_mask),
                cand,
                size,
                tiers.quotas(s, free),
            )
            if cells_s.size == 0:
                cells_s = np.array([c0], dtype=np.int64)
            tiers.placed(s, cells_s.size)
            uses[cells_s] = s
            free[cells_s] = False
            placed += cells_s.size
            uncovered &= ~cover[:, cells_s].any(axis=1)
        if uncovered.any():
            n_unc = int(uncovered.sum())
            return Infeasible(
                sid,
                f"walk_{s.name.lower()}",
                float(res.size),
                float(res.size - n_unc),
                "homes",
                f"site {sid}: {n_unc} of {res.size} housing cells "
                f"({n_unc / res.size:.0%}) cannot reach a {s.name.lower()} cell within "
                f"{rules.walk_max_m:g} m of walking on the allowed land.",
            )
        if placed < need:
            cand = al[:, s] & free & svc_free
            more = _take_quota(
                cost[:, s] * 0.1 + _euclid_cells(problem, uses == s),
                cand,
                need - placed,
                tiers.quotas(s, free),
            )
            tiers.placed(s, more.size)
            uses[more] = s
            free[more] = False
            placed += more.size
        if placed < need:
            return Infeasible(
                sid,
                f"capacity_{s.name.lower()}",
                float(need),
                float(placed),
                "cells",
                f"site {sid}: {s.name.lower()} needs {need} cells but only {placed} allowed cells "
                "are left.",
            )
        extra += max(0, placed - need)
    if extra:
        ind_now = np.flatnonzero(uses == Use.INDUSTRY)
        if ind_now.size - extra < 1:
            return Infeasible(
                sid,
                "programme",
                float(extra),
                float(ind_now.size - 1),
                "cells",
                f"site {sid}: {extra} extra service cells are needed for walking coverage, more "
                "than the industry can give up.",
            )
        worst = ind_now[np.argsort(-(cost[ind_now, Use.INDUSTRY] + alpha * d_seed[ind_now]))][
            :extra
        ]
        uses[worst] = _default_leftover(problem)[worst]
        free[worst] = True

    # 3. roads next to construction
    constr = np.isin(uses, [Use.INDUSTRY, Use.SUPPORT, Use.RESIDENTIAL, *SERVICE_USES, Use.ROAD])
    d_con = _euclid_cells(problem, constr)
    ok = al[:, Use.ROAD] & free
    roads = _take(d_con + 0.1 * cost[:, Use.ROAD], ok, prog.road_new)
    if roads.size < prog.road_new:
        return Infeasible(
            sid,
            "slope_road",
            float(prog.road_new),
            float(roads.size),
            "cells",
            f"site {sid}: {prog.road_new} new road cells needed, {roads.size} allowed left.",
        )
    uses[roads] = Use.ROAD
    free[roads] = False

    # 4. simulated annealing on swaps
    uses, stats = _anneal(problem, uses, rng, iterations, lam_green)
    # green cover last: new parks next to homes
    green = int(np.isin(uses, [Use.GREEN_KEPT, Use.GREEN_NEW]).sum())
    short = prog.green_min - green
    if short > 0:
        cand = al[:, Use.GREEN_NEW] & np.isin(uses, [Use.RESERVE, Use.FARMLAND])
        pick = np.zeros(0, dtype=np.int64)
        # grow new green from existing green, a few cells at a time, so parks stay compact
        while pick.size < short and cand.any():
            near = _euclid_cells(problem, np.isin(uses, [Use.GREEN_KEPT, Use.GREEN_NEW]))
            batch = _take(
                cost[:, Use.GREEN_NEW] + w.compact_per_edge * near, cand, min(short - pick.size, 8)
            )
            if batch.size == 0:
                break
            uses[batch] = Use.GREEN_NEW
            cand[batch] = False
            pick = np.concatenate([pick, batch])
        if pick.size < short:
            return Infeasible(
                sid,
                "green_cover_min",
                float(prog.green_min),
                float(green + pick.size),
                "cells",
                f"site {sid}: green cover needs {prog.green_min} cells; only {green + pick.size} "
                "can be green.",
            )
    return uses, stats


def _anneal(
    problem: DesignProblem,
    uses: IntArr,
    rng: np.random.Generator,
    iterations: int | None,
    lam_green: float,
) -> tuple[IntArr, dict[str, float]]:
    """Simulated annealing over pairwise swaps (see module docstring)."""
    rules, n = problem.rules, problem.n
    w = rules.weights
    iters = rules.heuristic_iterations if iterations is None else iterations
    al, cost = problem.allowed, problem.cost
    leftover = _default_leftover(problem)
    movable_uses = np.array([Use.INDUSTRY, Use.SUPPORT, Use.RESIDENTIAL, Use.ROAD])
    movable = (problem.fixed < 0) & (
        np.isin(uses, movable_uses) | np.isin(uses, [Use.GREEN_KEPT, Use.FARMLAND, Use.RESERVE])
    )
    # incident edges per cell
    e = problem.edges
    inc_list = np.concatenate(
        [np.stack([e[:, 0], np.arange(len(e))], 1), np.stack([e[:, 1], np.arange(len(e))], 1)]
    )
    order = np.argsort(inc_list[:, 0], kind="stable")
    inc_sorted = inc_list[order]
    starts = np.searchsorted(inc_sorted[:, 0], np.arange(n + 1))
    nb = np.full((n, 4), -1, dtype=np.int64)
    inc = np.full((n, 4), -1, dtype=np.int64)
    pos = np.arange(len(inc_sorted)) - starts[inc_sorted[:, 0]]
    inc[inc_sorted[:, 0], pos] = inc_sorted[:, 1]
    other = np.where(
        e[inc_sorted[:, 1], 0] == inc_sorted[:, 0], e[inc_sorted[:, 1], 1], e[inc_sorted[:, 1], 0]
    )
    nb[inc_sorted[:, 0], pos] = other
    # static service distance fields
    svc_ok = np.ones(n, dtype=bool)
    for s in SERVICE_USES:
        d = problem.graph.distance_from(problem.cells[uses == s])[problem.cells]
        svc_ok &= d <= rules.walk_max_m + 1e-6
    bands = problem.job_bands()
    step_cost = w.jobs_per_km * w.jobs_step_m / 1000.0

    def job_steps_field(u: IntArr) -> FloatArr:
        jm = (u == Use.INDUSTRY) | (u == Use.SUPPORT)
        d = problem.graph.distance_from(problem.cells[jm])[problem.cells]
        return np.asarray((d[:, None] > bands[None, :]).sum(axis=1), dtype=np.float64)

    steps = job_steps_field(uses)
    rows, cols = problem.site.shape
    rr, cc = np.divmod(problem.cells, cols)
    offsets = _buffer_offsets(problem)
    sens = np.array(SENSITIVE_USES)
    grid_local = problem.local_of_cell.reshape(rows, cols)
    green_uses = np.array([Use.GREEN_KEPT, Use.GREEN_NEW])
    green = int(np.isin(uses, green_uses).sum())
    # green that the final step can still add (GREEN_NEW on reserve / farmland)
    green_room = int((al[:, Use.GREEN_NEW] & np.isin(uses, [Use.RESERVE, Use.FARMLAND])).sum())
    need_green = problem.program.green_min

    def window(c: int) -> IntArr:
        if offsets.size == 0:
            return np.zeros(0, dtype=np.int64)
        r2, c2 = rr[c] + offsets[:, 0], cc[c] + offsets[:, 1]
        ok = (r2 >= 0) & (r2 < rows) & (c2 >= 0) & (c2 < cols)
        loc = grid_local[r2[ok], c2[ok]]
        return np.asarray(loc[loc >= 0], dtype=np.int64)

    def buffer_ok(u: IntArr, cells_changed: tuple[int, int]) -> bool:
        for c in cells_changed:
            win = window(c)
            if win.size == 0:
                continue
            if u[c] == Use.INDUSTRY and np.isin(u[win], sens).any():
                return False
            if np.isin(u[c], sens) and (u[win] == Use.INDUSTRY).any():
                return False
        return True

    def local_boundary(u: IntArr, a: int, b: int) -> int:
        ids = np.union1d(inc[a][inc[a] >= 0], inc[b][inc[b] >= 0])
        return int(np.count_nonzero(u[e[ids, 0]] != u[e[ids, 1]]))

    current = evaluate_objective(problem, uses)["total"] + lam_green * max(
        0, problem.program.green_min - green
    )
    best_total, best = current, uses.copy()
    t0, t1 = 2.0, 0.02
    accepted = 0
    rand = rng.random(max(iters, 1))
    picks = rng.integers(0, 1 << 30, size=(max(iters, 1), 3))
    for it in range(iters):
        temp = t0 * (t1 / t0) ** (it / max(iters - 1, 1))
        constr_idx = np.flatnonzero(movable & np.isin(uses, movable_uses))
        a = int(constr_idx[picks[it, 0] % constr_idx.size])
        ua = int(uses[a])
        cand_b = nb[a][nb[a] >= 0]
        # second cell: a neighbour of a random cell of the same use (frontier), or random movable
        if picks[it, 2] % 2 == 0:
            same = np.flatnonzero(uses == ua)
            hub = int(same[picks[it, 1] % same.size])
            cand_b = nb[hub][nb[hub] >= 0]
        cand_b = cand_b[movable[cand_b] & (uses[cand_b] != ua)]
        if cand_b.size == 0:
            continue
        b = int(cand_b[picks[it, 1] % cand_b.size])
        ub = int(uses[b])
        if not al[b, ua]:
            continue
        new_a = ub if ub in movable_uses else int(leftover[a])
        new_b = ua
        if not al[a, new_a]:
            continue
        if new_b == Use.RESIDENTIAL and not svc_ok[b]:
            continue
        if new_a == Use.RESIDENTIAL and not svc_ok[a]:
            continue
        dgreen = int(np.isin(new_a, green_uses)) - int(np.isin(ua, green_uses))
        dgreen += int(np.isin(new_b, green_uses)) - int(np.isin(ub, green_uses))
        if dgreen < 0 and green + dgreen + green_room - 2 < need_green:
            continue
        # green shortfall will be planted at the end: price it now
        shortfall = lam_green * (max(0, need_green - green - dgreen) - max(0, need_green - green))
        before_b = local_boundary(uses, a, b)
        delta = cost[b, new_b] + cost[a, new_a] - cost[a, ua] - cost[b, ub] + shortfall
        uses[a], uses[b] = new_a, new_b
        if not buffer_ok(uses, (a, b)):
            uses[a], uses[b] = ua, ub
            continue
        delta += w.compact_per_edge * (local_boundary(uses, a, b) - before_b)
        jobs_moved = {ua, ub, new_a} & {Use.INDUSTRY, Use.SUPPORT}
        new_steps = job_steps_field(uses) if jobs_moved else steps
        res_now = uses == Use.RESIDENTIAL
        old_res = res_now.copy()
        old_res[a], old_res[b] = ua == Use.RESIDENTIAL, ub == Use.RESIDENTIAL
        delta += step_cost * (new_steps[res_now].sum() - steps[old_res].sum())
        if delta <= 0 or rand[it] < math.exp(-delta / temp):
            current += delta
            steps = new_steps
            green += dgreen
            green_room = int(
                (al[:, Use.GREEN_NEW] & np.isin(uses, [Use.RESERVE, Use.FARMLAND])).sum()
            )
            accepted += 1
            if current < best_total - 1e-9:
                best_total, best = current, uses.copy()
        else:
            uses[a], uses[b] = ua, ub
    stats = {"iterations": float(iters), "accepted": float(accepted), "best_sa": best_total}
    logger.info(
        "design heuristic: %d moves, %d accepted, objective %.3f before green fill",
        iters,
        accepted,
        best_total,
    )
    return best, stats

"""Design one town or many: programme, optimiser choice, metrics, checks and results."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
from affine import Affine
from shapely.geometry.base import BaseGeometry

from xiaozhen.design._heuristic import solve_heuristic
from xiaozhen.design._milp import relaxation_bound, solve_milp
from xiaozhen.design._model import (
    DesignProblem,
    Infeasible,
    build_problem,
    evaluate_objective,
    service_demand,
)
from xiaozhen.design._rules import (
    CONSTRUCTION_USES,
    SERVICE_KEYS,
    USE_NAMES,
    USE_PLE,
    DesignRules,
    Use,
)
from xiaozhen.design._site import SiteGrid, site_grid_from_layers
from xiaozhen.design.checker import Check, check_layout
from xiaozhen.errors import ConfigError, InfeasibleError, InputDataError
from xiaozhen.region.crs import require_projected_metres

__all__ = [
    "Method",
    "TownLayout",
    "design_site",
    "design_town",
    "design_towns",
    "try_design_town",
]

logger = logging.getLogger(__name__)

Method = Literal["auto", "milp", "heuristic"]
MU_M2 = 2000.0 / 3.0  # 1 mu = 666.67 m²


@dataclass(frozen=True, eq=False)
class TownLayout:
    """The design of one town (immutable).

    ``use`` holds :class:`Use` codes on the design grid (row 0 at the top, ``transform``),
    ``ple`` the PLE class of each cell (1 production, 2 living, 3 ecological, 0 outside).
    ``objective`` is :func:`evaluate_objective` of the layout; ``bound`` a proven lower bound on
    the optimum (MILP dual bound, or :func:`relaxation_bound` for the heuristic) and ``gap`` the
    relative gap :math:`(J - B)/|J|`.
    """

    site_id: str
    use: npt.NDArray[np.int8]
    ple: npt.NDArray[np.int8]
    transform: Affine
    crs_wkt: str
    cell_size_m: float
    metrics: dict[str, float]
    checks: tuple[Check, ...]
    objective: float
    objective_terms: dict[str, float]
    bound: float
    gap: float
    bound_method: str
    method: str
    status: str
    seconds: float
    site: SiteGrid
    rules: DesignRules

    @property
    def feasible(self) -> bool:
        """True when every hard check passed (independent checker)."""
        return all(c.passed for c in self.checks if c.hard)

    def check(self, name: str) -> Check:
        """The check called ``name``."""
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no check {name!r}; have {[c.name for c in self.checks]}")


def _ple_grid(site: SiteGrid, use: npt.NDArray[np.int64]) -> npt.NDArray[np.int8]:
    table = np.array([USE_PLE[Use(i)] for i in range(len(Use))], dtype=np.int8)
    ple = table[use]
    from_cover = (use == Use.RESERVE) & site.in_site
    cover = np.where(site.ple > 0, site.ple, 3).astype(np.int8)
    ple = np.where(from_cover, cover, ple).astype(np.int8)
    return np.where(site.in_site, ple, 0).astype(np.int8)


def _metrics(
    problem: DesignProblem, grid_use: npt.NDArray[np.int64], ple: npt.NDArray[np.int8]
) -> dict[str, float]:
    site, rules = problem.site, problem.rules
    a = site.cell_area_m2
    km2 = a / 1e6
    ins = site.in_site
    m: dict[str, float] = {"site_area_km2": float(ins.sum() * km2)}
    for use in Use:
        if use == Use.OUTSIDE:
            continue
        m[f"area_{USE_NAMES[use]}_km2"] = float(np.count_nonzero(grid_use == use) * km2)
    for code, name in ((1, "production"), (2, "living"), (3, "ecological")):
        m[f"ple_{name}_km2"] = float(np.count_nonzero((ple == code) & ins) * km2)
    constr = np.isin(grid_use, list(CONSTRUCTION_USES)) & ins
    res = (grid_use == Use.RESIDENTIAL) & ins
    m["construction_km2"] = float(constr.sum() * km2)
    m["construction_mu"] = float(constr.sum() * a / MU_M2)
    m["residential_share"] = float(res.sum() / max(int(constr.sum()), 1))
    residents = float(res.sum() * a / 1e4 * rules.residents_per_ha)
    m["residents"] = residents
    public = np.isin(grid_use, [Use(s) for s in SERVICE_KEYS.values()]) & ins
    jobs = (
        np.count_nonzero(grid_use == Use.INDUSTRY) * a / 1e4 * rules.jobs_per_ha_industry
        + np.count_nonzero(grid_use == Use.SUPPORT) * a / 1e4 * rules.jobs_per_ha_support
        + public.sum() * a / 1e4 * rules.jobs_per_ha_services
    )
    m["jobs"] = float(jobs)
    demand = service_demand(residents, rules)
    flat_use = grid_use.ravel()
    res_cells = np.flatnonzero(res.ravel())
    for key, use in SERVICE_KEYS.items():
        std = rules.services[key]
        land = float(np.count_nonzero(grid_use == use) * a)
        m[f"{key}_demand"] = float(demand[use][0])
        m[f"{key}_capacity"] = float(land / std.land_m2_per_unit)
        d = problem.graph.distance_from(np.flatnonzero(flat_use == use))
        covered = d[res_cells] <= rules.walk_max_m + 1e-6
        m[f"{key}_coverage_pct"] = float(100.0 * covered.mean()) if res_cells.size else 100.0
    m["investment_yuan"] = m["construction_mu"] * rules.investment_yuan_per_mu
    m["idle_reused_km2"] = float(np.count_nonzero(constr & site.idle) * km2)
    m["farmland_converted_km2"] = float(
        np.count_nonzero(site.cropland & ins & ~np.isin(grid_use, [Use.FARMLAND])) * km2
    )
    m["greenfield_km2"] = float(np.count_nonzero(constr & ~site.built_up & ~site.idle) * km2)
    water = site.water & ins
    bf = site.basic_farmland & ins & ~water & ~(site.redline & ins)
    denom = max(int(ins.sum() - water.sum() - bf.sum()), 1)
    m["green_cover"] = float(np.isin(grid_use, [Use.GREEN_KEPT, Use.GREEN_NEW]).sum() / denom)
    return m


def _solve(
    problem: DesignProblem, method: Method, seed: int | np.random.Generator
) -> tuple[npt.NDArray[np.int64] | Infeasible, str, float, float, str, str]:
    """Return (uses | infeasible, status, bound, gap, bound_method, method_used)."""
    use_milp = method == "milp" or (method == "auto" and problem.n <= problem.rules.milp_max_cells)
    if use_milp:
        r = solve_milp(problem)
        if r.uses is None:
            if r.status == "Infeasible":
                return (
                    Infeasible(
                        problem.site.site_id,
                        "walk_coverage_or_buffer",
                        float(problem.program.residential),
                        0.0,
                        "homes",
                        f"site {problem.site.site_id}: the MILP proved that no layout places "
                        f"{problem.program.residential} housing cells within "
                        f"{problem.rules.walk_max_m:g} m walk of every service"
                        + (
                            f" and {problem.rules.pollution_buffer_m:g} m from polluting industry"
                            if problem.rules.polluting_industry
                            else ""
                        )
                        + "; enlarge walk_max_m or the site, or reduce the programme.",
                    ),
                    r.status,
                    r.bound,
                    r.gap,
                    "MILP",
                    "milp",
                )
            raise InfeasibleError(
                f"site {problem.site.site_id}: HiGHS stopped with status {r.status} and no "
                f"solution after {r.seconds:.1f} s; raise rules.time_limit_s or use "
                "method='heuristic'."
            )
        return r.uses, r.status, r.bound, r.gap, "MILP dual bound (HiGHS)", "milp"
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    out = solve_heuristic(problem, rng)
    if isinstance(out, Infeasible):
        return out, "infeasible", float("nan"), float("nan"), "", "heuristic"
    uses, _stats = out
    bound, how = relaxation_bound(problem)
    return uses, "heuristic", bound, float("nan"), how, "heuristic"


def design_site(
    site: SiteGrid,
    rules: DesignRules | None = None,
    *,
    seed: int | np.random.Generator = 0,
    method: Method = "auto",
) -> TownLayout | Infeasible:
    """Design a town on an already-resampled :class:`SiteGrid` (non-raising)."""
    rules = rules or DesignRules()
    if abs(site.cell_size_m - rules.cell_size_m) > 1e-9:
        raise ConfigError(
            f"rules.cell_size_m={rules.cell_size_m} differs from the site grid's "
            f"{site.cell_size_m}; resample the site with cell_size_m=rules.cell_size_m."
        )
    t0 = time.perf_counter()
    problem = build_problem(site, rules)
    if isinstance(problem, Infeasible):
        return problem
    uses, status, bound, gap, how, used = _solve(problem, method, seed)
    if isinstance(uses, Infeasible):
        logger.info("site %s infeasible: %s", site.site_id, uses.message)
        return uses
    terms = evaluate_objective(problem, uses)
    grid_use = np.zeros(site.shape[0] * site.shape[1], dtype=np.int64)
    grid_use[problem.cells] = uses
    grid_use = grid_use.reshape(site.shape)
    ple = _ple_grid(site, grid_use)
    checks = check_layout(grid_use, site, rules)
    metrics = _metrics(problem, grid_use, ple)
    total = terms["total"]
    if not np.isfinite(gap) and np.isfinite(bound):
        gap = (total - bound) / max(abs(total), 1e-9)
    seconds = time.perf_counter() - t0
    layout = TownLayout(
        site_id=site.site_id,
        use=grid_use.astype(np.int8),
        ple=ple,
        transform=site.transform,
        crs_wkt=site.crs_wkt,
        cell_size_m=site.cell_size_m,
        metrics=metrics,
        checks=checks,
        objective=total,
        objective_terms=terms,
        bound=float(bound),
        gap=float(gap),
        bound_method=how,
        method=used,
        status=status,
        seconds=seconds,
        site=site,
        rules=rules,
    )
    logger.info(
        "site %s designed by %s in %.2f s: objective %.2f, bound %.2f, %d hard checks failed",
        site.site_id,
        used,
        seconds,
        total,
        bound,
        sum(1 for c in checks if c.hard and not c.passed),
    )
    return layout


def try_design_town(
    grid: Any,
    site: BaseGeometry,
    rules: DesignRules | None = None,
    *,
    crs: Any = None,
    site_id: str = "site",
    seed: int | np.random.Generator = 0,
    method: Method = "auto",
) -> TownLayout | Infeasible:
    """Design one town and return an :class:`Infeasible` (never raise) if it cannot be done.

    Parameters
    ----------
    grid
        ``CountyGrid`` (``.layers``, ``.crs``) or ``xarray.Dataset`` of county layers.
    site
        Site polygon in the grid's CRS.
    rules
        Design rules (defaults cite 发改规划〔2021〕1383号, CJJ 83-99, GB 50180-2018).
    crs
        CRS when ``grid`` is a Dataset without a ``crs`` attribute.
    site_id
        Name of the site.
    seed
        Seed (or Generator) for the heuristic.
    method
        ``"milp"`` (exact), ``"heuristic"``, or ``"auto"`` (MILP up to ``rules.milp_max_cells``).
    """
    rules = rules or DesignRules()
    sg = site_grid_from_layers(grid, site, crs=crs, cell_size_m=rules.cell_size_m, site_id=site_id)
    return design_site(sg, rules, seed=seed, method=method)


def design_town(
    grid: Any,
    site: BaseGeometry,
    rules: DesignRules | None = None,
    *,
    crs: Any = None,
    site_id: str = "site",
    seed: int | np.random.Generator = 0,
    method: Method = "auto",
) -> TownLayout:
    """Design one town; raise :class:`~xiaozhen.errors.InfeasibleError` with the numbers if not.

    Parameters are those of :func:`try_design_town`. The error has an ``infeasible`` attribute
    (:class:`Infeasible`).
    """
    out = try_design_town(grid, site, rules, crs=crs, site_id=site_id, seed=seed, method=method)
    if isinstance(out, Infeasible):
        err = InfeasibleError(out.message)
        err.infeasible = out  # type: ignore[attr-defined]
        raise err
    return out


def _design_worker(args: tuple[SiteGrid, DesignRules, np.random.SeedSequence, str]) -> Any:
    site, rules, ss, method = args
    return design_site(site, rules, seed=np.random.default_rng(ss), method=method)  # type: ignore[arg-type]


def design_towns(
    grid: Any,
    sites: gpd.GeoDataFrame,
    rules: DesignRules | None = None,
    *,
    seed: int = 0,
    method: Method = "auto",
    workers: int = 1,
) -> list[TownLayout | Infeasible]:
    """Design every site of ``sites`` (index = site id); infeasible sites give :class:`Infeasible`.

    Each site gets its own generator from ``numpy.random.SeedSequence(seed).spawn``, so results do
    not depend on ``workers`` (sites run in a ``ProcessPoolExecutor`` when ``workers > 1``).
    """
    rules = rules or DesignRules()
    if not isinstance(sites, gpd.GeoDataFrame) or sites.empty:
        raise InputDataError(
            f"sites: expected a non-empty GeoDataFrame of site polygons, received "
            f"{type(sites).__name__} with {len(sites) if hasattr(sites, '__len__') else '?'} rows."
        )
    grid_crs = require_projected_metres(
        crs if (crs := getattr(grid, "crs", None)) is not None else grid.attrs.get("crs"),
        parameter="grid.crs",
    )
    if sites.crs is None:
        raise InputDataError("sites: the GeoDataFrame has no CRS; set it with sites.set_crs(...).")
    if not sites.crs.equals(grid_crs):
        sites = sites.to_crs(grid_crs)
    site_grids: list[SiteGrid | Infeasible] = []
    for sid, geom in zip(sites.index, sites.geometry, strict=True):
        try:
            site_grids.append(
                site_grid_from_layers(
                    grid, geom, crs=grid_crs, cell_size_m=rules.cell_size_m, site_id=str(sid)
                )
            )
        except InputDataError as exc:  # one bad site must not stop the batch
            site_grids.append(Infeasible(str(sid), "input", 0.0, 0.0, "", str(exc)))
    seeds = np.random.SeedSequence(seed).spawn(len(site_grids))
    jobs = [
        (sg, rules, ss, method)
        for sg, ss in zip(site_grids, seeds, strict=True)
        if isinstance(sg, SiteGrid)
    ]
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            done = iter(list(pool.map(_design_worker, jobs)))
    else:
        done = iter([_design_worker(j) for j in jobs])
    results: list[TownLayout | Infeasible] = [
        sg if isinstance(sg, Infeasible) else next(done) for sg in site_grids
    ]
    n_ok = sum(isinstance(r, TownLayout) for r in results)
    logger.info("designed %d of %d sites (%d infeasible)", n_ok, len(results), len(results) - n_ok)
    return results

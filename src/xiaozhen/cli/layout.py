"""``xiaozhen layout``: location optimisation (p-median on OR-Library files, ...)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Location optimisation: p-median, MCLP, LSCP, p-center and the town-planning model "
    "(budgets, land quota, balance, spacing) with proven bounds.",
    no_args_is_help=True,
)


@app.command("pmedian")
def pmedian(
    orlib: Annotated[
        Path, typer.Option("--orlib", help="OR-Library p-median file (pmedX.txt: 'n m p', edges).")
    ],
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit",
            help="Seconds for the solve; the incumbent and its "
            "proven bound are printed when it runs out.",
        ),
    ] = 300.0,
    method: Annotated[
        str, typer.Option(help="exact (prove optimality), lagrangian (fast, with a bound) or auto.")
    ] = "auto",
) -> None:
    """Solve an OR-Library p-median instance; print one JSON line with the proven bound and gap."""
    from xiaozhen.errors import ConfigError
    from xiaozhen.layout import LocationProblem, read_orlib, solve_pmedian

    if method not in ("auto", "exact", "lagrangian"):
        raise ConfigError(f"--method: use auto, exact or lagrangian, got {method!r}")
    if not (time_limit > 0):
        raise ConfigError(f"--time-limit must be > 0 seconds, got {time_limit}")
    inst = read_orlib(orlib)
    res = solve_pmedian(
        LocationProblem(inst.distance),
        inst.p,
        time_limit=time_limit,
        method=method,  # type: ignore[arg-type]
    )
    out = {
        "instance": inst.name,
        "n": inst.n,
        "p": inst.p,
        "objective": res.objective,
        "bound": res.bound,
        "gap": res.gap if math.isfinite(res.gap) else None,
        "status": res.status,
        "method": res.method,
        "seconds": round(res.seconds, 3),
    }
    typer.echo(json.dumps(out))


def _read_table(path: Path, parameter: str) -> object:
    """A CSV or a vector file (GeoPackage, GeoJSON, Shapefile) as a (Geo)DataFrame."""
    import pandas as pd

    from xiaozhen.errors import InputDataError

    if not path.is_file():
        raise InputDataError(f"{parameter}: file {str(path)!r} does not exist")
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path, dtype={"county": str})
    import geopandas as gpd

    from xiaozhen.region.crs import require_projected_metres

    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputDataError(f"{parameter}: cannot read {str(path)!r}: {exc}") from None
    require_projected_metres(frame.crs, parameter=parameter)
    centroid = frame.geometry.centroid
    frame["x"], frame["y"] = centroid.x, centroid.y
    return frame


@app.command("towns")
def towns(
    candidates: Annotated[
        Path,
        typer.Argument(
            help="Candidates: CSV with columns benefit, investment (yuan), land (km²) and optional "
            "idle_reused_km2, fringe, county, x, y (metres); or a GeoPackage of sites (projected "
            "CRS; x, y from the centroids), e.g. sites.gpkg from `xiaozhen assess sites`."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the results.")],
    demand: Annotated[
        Path | None,
        typer.Option(
            help="Demand points (CSV with x, y, population, optional rural_population; or a vector "
            "file of points) covered within --service-radius-km."
        ),
    ] = None,
    n_towns: Annotated[int | None, typer.Option(help="Exactly this many towns.")] = None,
    budget_bn: Annotated[
        float | None, typer.Option(help="Capital budget, billion yuan (none: no limit).")
    ] = None,
    land_quota_km2: Annotated[
        float | None, typer.Option(help="Land quota, km² (none: no limit).")
    ] = None,
    balance_share: Annotated[
        float,
        typer.Option(help="Minimum share (0–1) in fringe places, of towns or of rural residents."),
    ] = 0.0,
    balance_on: Annotated[
        str,
        typer.Option(
            help="What the balance share counts: 'towns' (share of towns on fringe candidates) "
            "or 'rural_population' (share of the covered rural residents that fringe towns "
            "cover; needs --demand, with a rural_population column or all residents rural)."
        ),
    ] = "towns",
    min_spacing_km: Annotated[float, typer.Option(help="Minimum distance between towns.")] = 0.0,
    max_per_county: Annotated[
        int | None, typer.Option(help="At most this many towns per county.")
    ] = None,
    service_radius_km: Annotated[
        float, typer.Option(help="A demand point is covered within this straight-line radius.")
    ] = 15.0,
    coverage_value: Annotated[
        float, typer.Option(help="Objective value of one covered person (benefit units).")
    ] = 1e-4,
    frontier: Annotated[
        bool, typer.Option(help="Also compute the balance frontier (shares 0, 0.1, …, 1).")
    ] = True,
    time_limit: Annotated[float, typer.Option(help="Solver time limit per problem, s.")] = 60.0,
    gap: Annotated[
        float, typer.Option(help="Stop at this proven relative gap (0: prove optimality).")
    ] = 0.0,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out.")] = False,
) -> None:
    """Choose towns among candidates under budget, land quota, balance and spacing (from files)."""
    import pandas as pd

    from xiaozhen._io import write_json_atomic, write_text_atomic
    from xiaozhen.errors import ConfigError, RunFolderError
    from xiaozhen.layout import FRONTIER_SHARES, check_solution, layout_from_candidates

    if out.exists() and not force:
        raise RunFolderError(f"--out: {str(out)!r} exists; pass --force to replace its files")
    if not 0.0 <= balance_share <= 1.0:
        raise ConfigError(f"--balance-share must lie in [0, 1], got {balance_share}")
    if balance_on not in ("towns", "rural_population"):
        raise ConfigError(f"--balance-on: use towns or rural_population, got {balance_on!r}")
    if balance_on == "rural_population" and demand is None:
        raise ConfigError(
            "--balance-on rural_population counts covered rural residents: pass --demand "
            "(points with x, y, population and rural_population)"
        )
    if not 0.0 <= gap < 1.0:
        raise ConfigError(f"--gap must lie in [0, 1), got {gap}; e.g. 0.01 for 1 %")
    table = _read_table(candidates, "CANDIDATES")
    assert isinstance(table, pd.DataFrame)
    if "site_id" in table.columns:
        table = table.set_index("site_id")
    # Sites straight from `xiaozhen assess sites` carry no economics: say which defaults apply.
    if "benefit" not in table.columns:
        if "suitability" not in table.columns:
            raise ConfigError(
                "CANDIDATES: no 'benefit' column and no 'suitability' to derive it from; "
                "add a benefit column"
            )
        table["benefit"] = 10.0 * table["suitability"]
        typer.echo("benefit: not in the file; using 10 × suitability")
    for column, value, rule in (
        ("investment", 5e9, "5 bn yuan per town (浙特镇办〔2015〕9号)"),
        ("land", 1.0, "1 km² of construction land per town"),
    ):
        if column not in table.columns:
            table[column] = value
            typer.echo(f"{column}: not in the file; using {rule}")
    dem = None
    if demand is not None:
        read = _read_table(demand, "--demand")
        assert isinstance(read, pd.DataFrame)
        dem = pd.DataFrame(read.drop(columns="geometry", errors="ignore"))
    county_max = None
    if max_per_county is not None and "county" in table.columns:
        county_max = dict.fromkeys(table["county"].unique(), max_per_county)
    kwargs = {
        "demand": dem,
        "service_radius_m": service_radius_km * 1000.0,
        "budget": budget_bn * 1e9 if budget_bn is not None else None,
        "land_quota_km2": land_quota_km2,
        "coverage_value": coverage_value,
        "n_towns": n_towns,
        "min_spacing_m": min_spacing_km * 1000.0,
        "county_max": county_max,
        "frontier_shares": FRONTIER_SHARES if frontier else None,
        "time_limit": time_limit,
        "gap": gap,
    }
    plan = layout_from_candidates(
        pd.DataFrame(table.drop(columns="geometry", errors="ignore")),
        balance_share=balance_share,
        balance_on=balance_on,  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )
    check = check_solution(plan.problem, plan.result)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "chosen.csv", plan.chosen.to_csv())
    if plan.frontier is not None:
        write_text_atomic(out / "balance_frontier.csv", plan.frontier.to_csv(index=False))
    r = plan.result
    summary = {
        "status": r.status,
        "method": r.method,
        "objective": r.objective,
        "bound": r.bound,
        "gap": r.gap if math.isfinite(r.gap) else None,
        "towns": len(plan.chosen),
        "check_ok": check.ok,
        "violations": list(check.violations),
    }
    write_json_atomic(out / "solution.json", summary)
    typer.echo(json.dumps(summary, ensure_ascii=False))
    typer.echo(f"Chosen towns: {out / 'chosen.csv'}")

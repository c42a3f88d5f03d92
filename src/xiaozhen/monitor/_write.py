"""Writing an assessment: the output folder, built atomically (nothing half-written remains).

=========================  ===================================================================
``grades.csv``             one row per town and year graded: tier, age, each criterion's value,
                           full-mark level, points and maximum, score, grade (优秀 … 淘汰), notes
``consequences.csv``       one row per town and year: quota reward, clawback, fiscal return,
                           naming, the tier of the next year
``distribution.csv``       towns per grade and tier in the assessed year against 2018
``trends.csv``             towns per grade and year (every year graded)
``grades.gpkg``            layer ``grades``: the assessed year's towns as points near their
                           county seat (the portfolio has no site), for QGIS
``portfolio.csv``          the portfolio as read (template columns; ``provenance`` on every row)
``rules.json``             the assessment rule used
figures, ``report.html``   given by the caller (the report builder); ``manifest.json``
=========================  ===================================================================
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from xiaozhen._io import write_bytes_atomic, write_gpkg, write_json_atomic, write_text_atomic
from xiaozhen.monitor._grade import GradeResult, grade_distribution
from xiaozhen.monitor._rules import GRADES
from xiaozhen.runs import package_versions, run_folder

__all__ = ["grade_points", "grade_trends", "write_grade_folder"]

logger = logging.getLogger(__name__)

#: Towns of one county are drawn on a ring of this radius around its seat (metres).
_RING_M = 4000.0


def grade_points(grades: pd.DataFrame, counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The towns of ``grades`` as points near their county seat (equal-area CRS of
    ``counties``): one town at the seat, several on a ring of 4 km around it. Rows come in
    grade order (优秀 first), so map legends list the grades best first."""
    rank = grades["grade"].map({g: i for i, g in enumerate((*GRADES, "not_assessed"))})
    grades = grades.iloc[np.argsort(rank.to_numpy(), kind="stable")]
    seats = counties.loc[grades["adcode"], ["seat_x", "seat_y"]].to_numpy()
    k = grades.groupby("adcode").cumcount().to_numpy()
    n = grades.groupby("adcode")["town_id"].transform("size").to_numpy()
    angle = 2 * np.pi * k / np.maximum(n, 1)
    radius = np.where(n > 1, _RING_M, 0.0)
    x = seats[:, 0] + radius * np.sin(angle)
    y = seats[:, 1] + radius * np.cos(angle)
    return gpd.GeoDataFrame(
        grades.reset_index(drop=True), geometry=gpd.points_from_xy(x, y), crs=counties.crs
    )


def grade_trends(result: GradeResult) -> pd.DataFrame:
    """Towns per grade (columns, in :data:`GRADES` order, then ``not_assessed``) and year."""
    table = pd.crosstab(result.grades["year"], result.grades["grade"])
    order = [g for g in (*GRADES, "not_assessed") if g in table.columns]
    return table.reindex(columns=order, fill_value=0)


def write_grade_folder(
    result: GradeResult,
    out: str | os.PathLike[str],
    *,
    counties: gpd.GeoDataFrame,
    figures: Mapping[str, bytes] | None = None,
    report_html: str | None = None,
    force: bool = False,
) -> Path:
    """Write the assessment into the folder ``out`` (see the module docstring), atomically.

    ``figures`` maps a relative path to PNG bytes and ``report_html`` is the page, both made by
    the report builder (:func:`xiaozhen.report.sections.monitor_section`).

    Raises
    ------
    RunFolderError
        If ``out`` exists and ``force`` is false.
    """
    with run_folder(out, force=force) as run:
        write_text_atomic(
            run.file("grades.csv"), result.grades.to_csv(index=False, float_format="%.6g")
        )
        write_text_atomic(
            run.file("consequences.csv"),
            result.consequences.to_csv(index=False, float_format="%.6g"),
        )
        distribution = grade_distribution(result.grades_of())
        write_text_atomic(
            run.file("distribution.csv"), distribution.to_csv(index=False, float_format="%.6g")
        )
        write_text_atomic(run.file("trends.csv"), grade_trends(result).to_csv())
        write_text_atomic(
            run.file("portfolio.csv"),
            result.portfolio.to_frame().to_csv(index=False, float_format="%.6g"),
        )
        write_json_atomic(run.file("rules.json"), result.rules.model_dump(mode="json"))
        points = grade_points(result.grades_of(), counties)
        write_gpkg(points, run.file("grades.gpkg"), layer="grades")
        for path, png in (figures or {}).items():
            write_bytes_atomic(run.file(path), png)
        if report_html is not None:
            write_text_atomic(run.file("report.html"), report_html)
        run.write_manifest(
            {
                "kind": "monitor",
                "source": result.portfolio.source,
                "provenance": result.provenance,
                "year": result.year,
                "years": list(result.years),
                "rules": result.rules.model_dump(mode="json"),
                "versions": package_versions(),
            }
        )
    logger.info("wrote the assessment of %d to %s", result.year, run.destination)
    return run.destination

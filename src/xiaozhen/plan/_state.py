"""What the stages of ``xiaozhen plan`` hand down the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np

from xiaozhen.report import ReportSection
from xiaozhen.runs import RunFolder
from xiaozhen.scenario import Scenario

__all__ = ["PlanState", "Stage", "child_seed"]


@dataclass
class PlanState:
    """The run's scenario, random generator and run folder, and each stage's results in order."""

    scenario: Scenario
    rng: np.random.Generator
    run: RunFolder
    counties: gpd.GeoDataFrame | None = None
    executor: Executor | None = None  # per-county tasks run here when given (e.g. Dask)
    sections: list[ReportSection] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)

    def require(self, key: str) -> Any:
        """A result of an earlier stage (a missing one is a pipeline-order bug)."""
        if key not in self.results:
            raise RuntimeError(f"plan: stage result {key!r} is needed before it was produced")
        return self.results[key]


Stage = Callable[[PlanState], None]


def child_seed(seed: int, *keys: int) -> int:
    """A seed for one sub-task, derived from the scenario seed and integer keys (e.g. an adcode).

    Independent of the order in which sub-tasks run, so per-county work can run in parallel and
    still reproduce.
    """
    return int(np.random.SeedSequence([seed, *keys]).generate_state(1, dtype=np.uint64)[0] >> 1)

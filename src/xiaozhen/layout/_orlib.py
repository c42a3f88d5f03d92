"""Reader for the OR-Library uncapacitated p-median instances (Beasley 1990)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import shortest_path

from xiaozhen.errors import InputDataError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrlibInstance:
    """One OR-Library p-median instance.

    Attributes
    ----------
    name
        File stem, e.g. ``"pmed1"``.
    n, p
        Number of vertices (clients = candidates) and of medians.
    distance
        All-pairs shortest-path distances, shape (n, n).
    """

    name: str
    n: int
    p: int
    distance: NDArray[np.float64]


def read_orlib(path: str | Path) -> OrlibInstance:
    """Read an OR-Library ``pmedX.txt`` file and compute all-pairs shortest paths.

    Format (Beasley 1985, EJOR 21:270; OR-Library 1990): first line ``n m p``; then ``m`` lines
    ``i j cost``, 1-based, undirected. Some edges are listed twice with different costs: as in
    Beasley's own code, **the last occurrence wins** (taking the minimum gives wrong optima).
    Distances are shortest paths over the graph (Dijkstra, ``scipy.sparse.csgraph``).

    Parameters
    ----------
    path
        The instance file.

    Returns
    -------
    OrlibInstance

    Raises
    ------
    InputDataError
        If the file is missing, malformed, or the graph is disconnected.
    """
    path = Path(path)
    if not path.is_file():
        raise InputDataError(
            f"orlib file {str(path)!r} does not exist; pass the path of an OR-Library pmedX.txt file"
        )
    try:
        tokens = np.array(path.read_text(encoding="ascii").split(), dtype=np.int64)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputDataError(
            f"orlib file {str(path)!r} is not an OR-Library p-median file (non-integer token: {exc}); "
            "expected 'n m p' then m lines 'i j cost'"
        ) from exc
    if tokens.size < 3:
        raise InputDataError(
            f"orlib file {str(path)!r} has {tokens.size} numbers; expected a header 'n m p'"
        )
    n, m, p = (int(t) for t in tokens[:3])
    edges = tokens[3:]
    if edges.size != 3 * m:
        raise InputDataError(
            f"orlib file {str(path)!r} declares m={m} edges but holds {edges.size / 3:g} "
            "(expected 3 numbers per edge line)"
        )
    if not (1 <= p <= n):
        raise InputDataError(f"orlib file {str(path)!r}: p={p} must be in 1..n={n}")
    e = edges.reshape(m, 3)
    i, j, c = e[:, 0] - 1, e[:, 1] - 1, e[:, 2].astype(np.float64)
    if i.min(initial=0) < 0 or j.min(initial=0) < 0 or max(i.max(initial=0), j.max(initial=0)) >= n:
        raise InputDataError(f"orlib file {str(path)!r}: vertex numbers must be in 1..{n}")
    # last occurrence wins: keep the last row of each unordered pair
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    key = lo * n + hi
    rev_unique = np.unique(key[::-1], return_index=True)[1]
    keep = m - 1 - rev_unique
    lo, hi, c = lo[keep], hi[keep], c[keep]
    off = lo != hi
    lo, hi, c = lo[off], hi[off], c[off]
    graph = sp.csr_array(
        (np.concatenate([c, c]), (np.concatenate([lo, hi]), np.concatenate([hi, lo]))),
        shape=(n, n),
    )
    dist = shortest_path(graph, method="D", directed=False)
    if not np.all(np.isfinite(dist)):
        raise InputDataError(f"orlib file {str(path)!r}: the graph is disconnected")
    logger.info("read %s: n=%d, %d distinct edges, p=%d", path.name, n, lo.size, p)
    return OrlibInstance(name=path.stem, n=n, p=p, distance=dist)


def read_orlib_optima(path: str | Path) -> dict[str, float]:
    """Read ``pmedopt.txt`` (lines ``pmedX value`` after a header) into a dict."""
    out: dict[str, float] = {}
    for line in Path(path).read_text(encoding="ascii").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("pmed"):
            out[parts[0]] = float(parts[1])
    return out

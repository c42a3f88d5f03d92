"""Walking network over the design grid and multi-source shortest paths.

Walkable cells (inside the site, not water, not ecological red line) are nodes; each is joined to
its 8 neighbours with edge length :math:`h` (rook) or :math:`h\\sqrt{2}` (diagonal), :math:`h` the
cell size. Distances are shortest paths on this graph (scipy's Dijkstra), so a river or a
protected ridge is walked around, not across. A diagonal step between two blocked rook cells is
not allowed (no corner cutting).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse import csgraph

__all__ = ["WalkGraph", "walk_graph"]

_OFFSETS: tuple[tuple[int, int], ...] = ((0, 1), (1, 0), (1, 1), (1, -1))


@dataclass(frozen=True, eq=False)
class WalkGraph:
    """Sparse 8-neighbour graph over walkable cells.

    ``node_of_cell`` maps a flat cell index to its node (−1 if not walkable); ``cell_of_node`` the
    other way.
    """

    matrix: sparse.csr_matrix
    node_of_cell: npt.NDArray[np.int64]
    cell_of_node: npt.NDArray[np.int64]

    def distance_from(
        self, source_cells: npt.NDArray[np.int64], *, limit: float = np.inf
    ) -> npt.NDArray[np.float64]:
        """Distance (m) from each cell to the nearest of ``source_cells`` (flat indices).

        Non-walkable cells and unreachable cells get ``inf``. Uses one multi-source Dijkstra
        (``min_only=True``).
        """
        out = np.full(self.node_of_cell.size, np.inf)
        nodes = self.node_of_cell[source_cells]
        nodes = nodes[nodes >= 0]
        if nodes.size == 0:
            return out
        dist = csgraph.dijkstra(
            self.matrix, directed=False, indices=nodes, min_only=True, limit=limit
        )
        out[self.cell_of_node] = dist
        return out

    def pairwise(self, cells: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """All-pairs distance matrix (m) between ``cells`` (walkable flat indices)."""
        nodes = self.node_of_cell[cells]
        full = csgraph.dijkstra(self.matrix, directed=False, indices=nodes)
        return np.asarray(full[:, nodes], dtype=np.float64)


def walk_graph(walkable: npt.NDArray[np.bool_], cell_size_m: float) -> WalkGraph:
    """Build the 8-neighbour walking graph of a boolean grid (vectorised)."""
    rows, cols = walkable.shape
    node_of_cell = np.full(rows * cols, -1, dtype=np.int64)
    cell_of_node = np.flatnonzero(walkable.ravel()).astype(np.int64)
    node_of_cell[cell_of_node] = np.arange(cell_of_node.size)
    ids = node_of_cell.reshape(rows, cols)
    heads: list[npt.NDArray[np.int64]] = []
    tails: list[npt.NDArray[np.int64]] = []
    weights: list[npt.NDArray[np.float64]] = []
    for dr, dc in _OFFSETS:
        r0, r1 = 0, rows - dr
        c0, c1 = max(0, -dc), cols - max(0, dc)
        a = ids[r0:r1, c0:c1]
        b = ids[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
        ok = (a >= 0) & (b >= 0)
        if dr == 1 and dc != 0:  # diagonal: both rook cells must be walkable (no corner cutting)
            side1 = walkable[r0 + dr : r1 + dr, c0:c1]
            side2 = walkable[r0:r1, c0 + dc : c1 + dc]
            ok &= side1 & side2
        heads.append(a[ok])
        tails.append(b[ok])
        length = cell_size_m * (np.sqrt(2.0) if dr and dc else 1.0)
        weights.append(np.full(int(ok.sum()), length))
    n = cell_of_node.size
    matrix = sparse.csr_matrix(
        (np.concatenate(weights), (np.concatenate(heads), np.concatenate(tails))), shape=(n, n)
    )
    return WalkGraph(matrix=matrix, node_of_cell=node_of_cell, cell_of_node=cell_of_node)

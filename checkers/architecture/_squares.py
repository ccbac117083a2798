"""Square bounds of rectilinear polygons, so that most steps of the corridor-width bisection
(ARCH-002) need no buffering at all.

A polygon is rectilinear when each of its edges runs along one of two perpendicular directions
(most corridors). The lines through its vertices along those directions cut it into grid
cells, each wholly inside or wholly outside. A square inside the polygon, widened to the grid
lines it crosses, is a grid rectangle inside the polygon whose short side is at least the
square's; and a grid rectangle holds squares of its short side through every one of its points.
So the widest square through a point inside a cell is the widest short side of the grid
rectangles inside the polygon that contain the cell: one width per cell. Below the smallest
cell width the opening by a square removes nothing; above the largest no square fits and the
erosion is empty.

Mitred buffers of a rectilinear polygon are exactly the erosion and dilation by a square
aligned with its edges (90° corners stay 90°, well within the mitre limit), which is why these
bounds carry over to the buffered opening.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = ["MAX_CELLS", "square_bounds"]

#: Edges whose ends differ by more than this across their direction are not rectilinear.
STRAIGHT_TOL = 1e-9
#: Grid lines closer than this are one line (noise of rotated coordinates).
MERGE_TOL = 1e-7
#: Grids with more cells than this are left to the bisection (the enumeration is quadratic).
MAX_CELLS = 4096


def _frame(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Unit vectors along and across the longest edge of the exterior ring."""
    d = np.diff(xy, axis=0)
    lengths = np.hypot(d[:, 0], d[:, 1])
    k = int(np.argmax(lengths))
    if lengths[k] <= 0.0:
        return None
    u = d[k] / lengths[k]
    return u, np.array([-u[1], u[0]])


def _grid_lines(values: np.ndarray) -> np.ndarray:
    """Sorted distinct coordinates, merging those closer than ``MERGE_TOL``."""
    s = np.sort(values)
    keep = np.concatenate([[True], np.diff(s) > MERGE_TOL])
    return np.asarray(s[keep])


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges of the runs of ``True`` in a boolean vector."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def _widest_squares(inside: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Per cell, the widest short side of a grid rectangle inside the polygon containing it.

    Every column range is tried with every maximal run of rows that is inside over the whole
    range: any grid rectangle lies in one of these with the same columns.
    """
    nx, ny = inside.shape
    best = np.zeros((nx, ny))
    for i0 in range(nx):
        rows = np.ones(ny, dtype=bool)
        for i1 in range(i0 + 1, nx + 1):
            rows &= inside[i1 - 1]
            if not rows.any():
                break
            w = xs[i1] - xs[i0]
            for j0, j1 in _runs(rows):
                side = min(w, ys[j1] - ys[j0])
                block = best[i0:i1, j0:j1]
                np.maximum(block, side, out=block)
    return best


def square_bounds(poly: BaseGeometry) -> tuple[float, float] | None:
    """The smallest and largest cell width of a valid rectilinear polygon, else ``None``.

    Exact up to floating-point noise, so callers keep a margin around both.
    """
    if poly.geom_type != "Polygon" or poly.is_empty or not poly.is_valid:
        return None
    rings = [np.asarray(poly.exterior.coords)] + [np.asarray(r.coords) for r in poly.interiors]
    frame = _frame(rings[0])
    if frame is None:
        return None
    u, v = frame
    along, across = [], []
    for xy in rings:
        a, b = xy @ u, xy @ v
        if np.any(np.minimum(np.abs(np.diff(a)), np.abs(np.diff(b))) > STRAIGHT_TOL):
            return None
        along.append(a)
        across.append(b)
    xs, ys = _grid_lines(np.concatenate(along)), _grid_lines(np.concatenate(across))
    if len(xs) < 2 or len(ys) < 2 or (len(xs) - 1) * (len(ys) - 1) > MAX_CELLS:
        return None
    ca, cb = np.meshgrid((xs[:-1] + xs[1:]) / 2, (ys[:-1] + ys[1:]) / 2, indexing="ij")
    inside = shapely.contains_xy(poly, ca * u[0] + cb * v[0], ca * u[1] + cb * v[1])
    if not inside.any():
        return None
    widths = _widest_squares(inside, xs, ys)[inside]
    return float(widths.min()), float(widths.max())

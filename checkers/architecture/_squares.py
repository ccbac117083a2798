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

import math

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = ["MAX_CELLS", "square_bounds"]

#: Edges whose ends differ by more than this across their direction are not rectilinear.
STRAIGHT_TOL = 1e-9
#: Grid lines closer than this are one line (noise of rotated coordinates).
MERGE_TOL = 1e-7
#: Grids with more cells than this are left to the bisection (the enumeration is quadratic).
MAX_CELLS = 1024


def _frame(ring: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Unit vector along the longest edge of a ring."""
    best, u = 0.0, None
    for (x0, y0), (x1, y1) in zip(ring[:-1], ring[1:], strict=True):
        length = math.hypot(x1 - x0, y1 - y0)
        if length > best:
            best, u = length, ((x1 - x0) / length, (y1 - y0) / length)
    return u


def _grid_lines(values: list[float]) -> list[float]:
    """Sorted distinct coordinates, merging those closer than ``MERGE_TOL``."""
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > MERGE_TOL:
            out.append(v)
    return out


def _runs(mask: int) -> list[tuple[int, int]]:
    """Half-open index ranges of the runs of set bits in ``mask`` (bit ``j`` = row ``j``)."""
    out = []
    j = 0
    while mask:
        while not mask & 1:
            mask >>= 1
            j += 1
        start = j
        while mask & 1:
            mask >>= 1
            j += 1
        out.append((start, j))
    return out


def _widest_squares(inside: np.ndarray, xs: list[float], ys: list[float]) -> list[float]:
    """The widest short side of a grid rectangle inside the polygon containing each inside
    cell (in no particular order).

    Every column range is tried with every maximal run of rows that is inside over the whole
    range: any grid rectangle lies in one of these with the same columns. Columns are bit
    masks of their inside rows, as the grids of corridors are small.
    """
    nx, ny = inside.shape
    columns = [sum(1 << j for j in np.flatnonzero(col).tolist()) for col in inside]
    best = [[0.0] * ny for _ in range(nx)]
    for i0 in range(nx):
        rows = (1 << ny) - 1
        for i1 in range(i0 + 1, nx + 1):
            rows &= columns[i1 - 1]
            if not rows:
                break
            w = xs[i1] - xs[i0]
            for j0, j1 in _runs(rows):
                side = min(w, ys[j1] - ys[j0])
                for column in best[i0:i1]:
                    for j in range(j0, j1):
                        if column[j] < side:
                            column[j] = side
    return [best[i][j] for i, j in zip(*np.nonzero(inside), strict=True)]


def square_bounds(poly: BaseGeometry) -> tuple[float, float] | None:
    """The smallest and largest cell width of a valid rectilinear polygon, else ``None``.

    Exact up to floating-point noise, so callers keep a margin around both. Plain Python:
    corridor outlines have a handful of vertices, where array set-up would cost more.
    """
    if poly.geom_type != "Polygon" or poly.is_empty or not poly.is_valid:
        return None
    rings = [list(poly.exterior.coords)] + [list(r.coords) for r in poly.interiors]
    frame = _frame(rings[0])
    if frame is None:
        return None
    ux, uy = frame
    along: list[float] = []
    across: list[float] = []
    for ring in rings:
        a = [x * ux + y * uy for x, y, *_ in ring]
        b = [y * ux - x * uy for x, y, *_ in ring]
        for k in range(len(ring) - 1):
            if min(abs(a[k + 1] - a[k]), abs(b[k + 1] - b[k])) > STRAIGHT_TOL:
                return None
        along += a
        across += b
    xs, ys = _grid_lines(along), _grid_lines(across)
    if len(xs) < 2 or len(ys) < 2 or (len(xs) - 1) * (len(ys) - 1) > MAX_CELLS:
        return None
    ca = [(p + q) / 2 for p, q in zip(xs[:-1], xs[1:], strict=True)]
    cb = [(p + q) / 2 for p, q in zip(ys[:-1], ys[1:], strict=True)]
    px = [a * ux - b * uy for a in ca for b in cb]
    py = [a * uy + b * ux for a in ca for b in cb]
    inside = np.asarray(shapely.contains_xy(poly, px, py)).reshape(len(ca), len(cb))
    if not inside.any():
        return None
    widths = _widest_squares(inside, xs, ys)
    return min(widths), max(widths)

"""Narrowest clear width of corridor polygons (ARCH-002), for every corridor of a package at
once.

The width of a polygon that is not a rectangle is the largest ``w`` whose morphological opening
by a square of side ``w`` removes no neck or dead end, found by bisection. Each bisection step
of each corridor is a handful of buffers and overlays; the steps of all corridors run in
lockstep, so every overlay of one step is a single vectorised shapely call, with the same
results as one call per corridor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from checkers.architecture._squares import square_bounds
from checkers.context import rect_sides

__all__ = ["narrowest_width", "narrowest_widths"]

_MITRE = {"join_style": "mitre", "mitre_limit": 10.0}
WIDTH_MARGIN = 1e-6
"""Widths this close to a rectilinear polygon's extreme square widths are always buffered."""
MIN_PIECE_M2 = 1e-4
MIN_PIECE_SIDE_M = 1e-3
MOUTH_PROBE_M = 0.005
MIN_MOUTH_M2 = 1e-7


def _obstructing(area: float, mouth_areas: list[float]) -> bool:
    """Whether a removed piece obstructs passage: with two mouths (or none) onto the rest it
    is a neck; with one, a dead end when it is at least as deep as its mouth is wide (else a
    recess in the wall, such as a door niche)."""
    if len(mouth_areas) != 1:
        return True
    mouth = mouth_areas[0] / MOUTH_PROBE_M
    return mouth <= 0 or area / mouth >= mouth


def _constrictions(polys: np.ndarray, widths: np.ndarray) -> list[BaseGeometry | None]:
    """For each polygon, the part narrower than its width that obstructs passage, or ``None``.

    The opening by a square of side ``width`` (erosion then dilation, mitred so that corners
    come back exactly) removes what is narrower than ``width``; each removed piece of at least
    ``MIN_PIECE_M2`` and ``MIN_PIECE_SIDE_M`` is judged by ``_obstructing``, its mouths being
    the parts of the opened polygon within ``MOUTH_PROBE_M`` of it. A polygon whose erosion
    is empty is obstructed as a whole. The first obstructing piece of each polygon is given.
    """
    out: list[BaseGeometry | None] = [None] * len(polys)
    eroded = shapely.buffer(polys, -widths / 2.0, **_MITRE)
    empty = shapely.is_empty(eroded)
    for k in np.flatnonzero(empty).tolist():
        out[k] = polys[k]
    live = np.flatnonzero(~empty)
    if live.size == 0:
        return out
    opened = shapely.buffer(eroded[live], widths[live] / 2.0, **_MITRE)
    parts, owner = shapely.get_parts(shapely.difference(polys[live], opened), return_index=True)
    areas = shapely.area(parts).tolist()
    pieces = [
        i
        for i, a in enumerate(areas)
        if a >= MIN_PIECE_M2 and rect_sides(parts[i])[0] >= MIN_PIECE_SIDE_M
    ]
    if not pieces:
        return out
    mouths = shapely.intersection(
        opened[owner[pieces]], shapely.buffer(parts[pieces], MOUTH_PROBE_M)
    )
    m_parts, m_owner = shapely.get_parts(mouths, return_index=True)
    mouth_areas: list[list[float]] = [[] for _ in pieces]
    for j, a in zip(m_owner.tolist(), shapely.area(m_parts).tolist(), strict=True):
        if a > MIN_MOUTH_M2:
            mouth_areas[j].append(a)
    for j, i in enumerate(pieces):
        k = int(live[owner[i]])
        if out[k] is None and _obstructing(areas[i], mouth_areas[j]):
            out[k] = parts[i]
    return out


def _known(width: float, bounds: tuple[float, float] | None) -> bool | None:
    """Whether a square of ``width`` obstructs, when the square bounds of a rectilinear polygon
    (see ``square_bounds``) tell without buffering; else ``None``.

    A square narrower than the smaller bound removes nothing, one wider than the larger does
    not fit. Widths in between are always buffered, even though the removed cells only change
    at cell widths: the buffered pieces carry floating-point slivers that can change how a
    piece is judged, and the result must not depend on whether a width was buffered or
    inferred. Widths within ``WIDTH_MARGIN`` of either bound are buffered too.
    """
    if bounds is None:
        return None
    if width < bounds[0] - WIDTH_MARGIN:
        return False
    if width > bounds[1] + WIDTH_MARGIN:
        return True
    return None


def narrowest_widths(polys: Sequence[BaseGeometry]) -> list[tuple[float, BaseGeometry]]:
    """Narrowest clear width (m) of each corridor polygon and where it occurs.

    A rectangle's width is its short side. Otherwise the width is the largest ``w`` whose
    opening removes no neck or dead end (bisection to 1 mm, at most 30 steps); the place is
    the piece removed just above that width (kept from the step that found it, when that
    step was buffered).
    """
    geoms = np.asarray(list(polys), dtype=object)
    out: list[tuple[float, BaseGeometry] | None] = [None] * len(geoms)
    lo: dict[int, float] = {}
    hi: dict[int, float] = {}
    bounds: dict[int, tuple[float, float] | None] = {}
    for k, poly in enumerate(geoms):
        short, _ = rect_sides(poly)
        if poly.area >= 0.999 * shapely.minimum_rotated_rectangle(poly).area:
            out[k] = (short, poly)
            continue
        lo[k], hi[k], bounds[k] = 0.0, short + 0.01, square_bounds(poly)
    active = list(lo)
    at_hi: dict[int, BaseGeometry] = {}  # the piece found at ``hi``, when it was buffered
    for _ in range(30):
        active = [k for k in active if not hi[k] - lo[k] < 1e-4]
        if not active:
            break
        mids = {k: (lo[k] + hi[k]) / 2.0 for k in active}
        blocked = {k: _known(mids[k], bounds[k]) for k in active}
        ask = [k for k in active if blocked[k] is None]
        found: dict[int, BaseGeometry] = {}
        if ask:
            pieces = _constrictions(geoms[ask], np.asarray([mids[k] for k in ask]))
            found = {k: f for k, f in zip(ask, pieces, strict=True) if f is not None}
            blocked.update((k, k in found) for k in ask)
        for k in active:
            if not blocked[k]:
                lo[k] = mids[k]
                continue
            hi[k] = mids[k]
            if k in found:
                at_hi[k] = found[k]
            else:
                at_hi.pop(k, None)
    again = [k for k in lo if k not in at_hi]
    pieces = _constrictions(geoms[again], np.asarray([hi[k] for k in again]))
    at_hi.update((k, f) for k, f in zip(again, pieces, strict=True) if f is not None)
    for k in lo:
        out[k] = (round((lo[k] + hi[k]) / 2.0, 3), at_hi.get(k) or geoms[k])
    return cast(list[tuple[float, BaseGeometry]], out)


def narrowest_width(poly: BaseGeometry) -> tuple[float, BaseGeometry]:
    """``narrowest_widths`` of one polygon."""
    return narrowest_widths([poly])[0]

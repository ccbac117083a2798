"""Plane geometry for the site rules: narrowest width of a strip, rectangles that fit a polygon,
and projection of a polygon onto a building's perimeter.

Kept apart from the rules so each measurement can be tested on its own shapes.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

__all__ = ["edge_angles", "fits_rectangle", "longest_fit", "narrowest_width", "perimeter_cover"]


def _rings(poly: Polygon) -> list[np.ndarray]:
    p = orient(poly, 1.0)  # exterior counter-clockwise, holes clockwise: inside on the left
    return [np.asarray(p.exterior.coords)] + [np.asarray(r.coords) for r in p.interiors]


def narrowest_width(geom: BaseGeometry, step: float = 0.25) -> tuple[float, LineString | None]:
    """Smallest chord across the polygon along the inward normals of its edges.

    Points are sampled every ``step`` metres along every edge (ends excluded); from each, a ray
    along the inward normal runs to the first boundary it meets. The shortest such chord is the
    narrowest clear width, and is returned with its line for the finding's location.
    """
    polys = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"]
    best, best_line = math.inf, None
    for poly in polys:
        boundary = poly.boundary
        reach = math.hypot(*(np.subtract(poly.bounds[2:], poly.bounds[:2]))) + 1.0
        origins, ends = [], []
        for ring in _rings(poly):
            for (x0, y0), (x1, y1) in zip(ring[:-1], ring[1:], strict=True):
                length = math.hypot(x1 - x0, y1 - y0)
                if length < 1e-6:
                    continue
                ux, uy = (x1 - x0) / length, (y1 - y0) / length
                nx, ny = -uy, ux
                count = max(1, int(length / step))
                for t in (np.arange(count) + 0.5) / count:
                    px, py = x0 + t * (x1 - x0) + 1e-6 * nx, y0 + t * (y1 - y0) + 1e-6 * ny
                    origins.append((px, py))
                    ends.append((px + reach * nx, py + reach * ny))
        if not origins:
            continue
        rays = shapely.linestrings(np.stack([np.asarray(origins), np.asarray(ends)], axis=1))
        hits = shapely.intersection(rays, boundary)
        pts = shapely.points(np.asarray(origins))
        dist = shapely.distance(pts, hits)
        dist = np.where(shapely.is_empty(hits), np.inf, dist + 1e-6)
        k = int(np.argmin(dist))
        if dist[k] < best:
            best = float(dist[k])
            near = shapely.shortest_line(pts[k], hits[k])
            best_line = LineString(near.coords)
    return best, best_line


def edge_angles(poly: BaseGeometry) -> list[float]:
    """Directions (degrees, modulo 90) of the polygon's edges and of its minimum rectangle."""
    angles: set[float] = set()
    shapes = [shapely.minimum_rotated_rectangle(poly), poly]
    for shape in shapes:
        if shape.geom_type != "Polygon":
            continue
        xy = np.asarray(shape.exterior.coords)
        for (x0, y0), (x1, y1) in zip(xy[:-1], xy[1:], strict=True):
            if math.hypot(x1 - x0, y1 - y0) < 1.0:
                continue
            angles.add(round(math.degrees(math.atan2(y1 - y0, x1 - x0)) % 90.0, 3))
    return sorted(angles)


def _fits_axis(poly: BaseGeometry, w: float, h: float, step: float) -> bool:
    """Whether a ``w`` × ``h`` axis-parallel rectangle fits (grid of corner positions)."""
    minx, miny, maxx, maxy = poly.bounds
    if maxx - minx < w - 1e-6 or maxy - miny < h - 1e-6:
        return False
    xs = np.arange(minx, maxx - w + 1e-9, step)
    ys = np.arange(miny, maxy - h + 1e-9, step)
    xs = np.append(xs, maxx - w)
    ys = np.append(ys, maxy - h)
    gx, gy = np.meshgrid(xs, ys)
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + w, gy.ravel() + h)
    grown = poly.buffer(1e-3, join_style="mitre")
    shapely.prepare(grown)
    return bool(np.any(shapely.contains(grown, boxes)))


def fits_rectangle(poly: BaseGeometry, w: float, h: float, step: float = 0.25) -> bool:
    """Whether a ``w`` × ``h`` rectangle fits inside ``poly`` in some edge-aligned direction.

    The directions tried are those of the polygon's edges and of its minimum rectangle; in each,
    corner positions are tried on a grid of ``step`` metres anchored on the bounds.
    """
    centre = poly.centroid
    for angle in edge_angles(poly):
        turned = affinity.rotate(poly, -angle, origin=centre)
        if _fits_axis(turned, w, h, step) or _fits_axis(turned, h, w, step):
            return True
    return False


def longest_fit(poly: BaseGeometry, depth: float, upto: float, tol: float = 0.05) -> float:
    """Longest rectangle of the given ``depth`` that fits (bisection up to ``upto``)."""
    if not fits_rectangle(poly, tol, depth):
        return 0.0
    lo, hi = tol, upto
    if fits_rectangle(poly, hi, depth):
        return hi
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if fits_rectangle(poly, mid, depth):
            lo = mid
        else:
            hi = mid
    return lo


def perimeter_cover(outline: Polygon, sites: list[BaseGeometry]) -> list[tuple[float, float]]:
    """Intervals (arc length along the outline's exterior) covered by the sites' projections.

    A site covers an edge when it lies wholly on the outer side of the edge's line; its
    vertices are then projected perpendicularly onto the edge and clipped to it. Intervals that
    touch are merged, also across the ring's start.
    """
    ring = np.asarray(orient(outline, 1.0).exterior.coords)
    starts = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(ring, axis=0).T))])
    perimeter = float(starts[-1])
    intervals: list[tuple[float, float]] = []
    for site in sites:
        hull = site.convex_hull
        if hull.geom_type != "Polygon":
            continue
        pts = np.asarray(hull.exterior.coords)
        for k in range(len(ring) - 1):
            (x0, y0), (x1, y1) = ring[k], ring[k + 1]
            length = math.hypot(x1 - x0, y1 - y0)
            if length < 1e-6:
                continue
            ux, uy = (x1 - x0) / length, (y1 - y0) / length
            nx, ny = uy, -ux  # outward normal of a counter-clockwise ring
            rel = pts - (x0, y0)
            if np.min(rel @ (nx, ny)) < -0.05:
                continue
            t = rel @ (ux, uy)
            lo, hi = max(0.0, float(t.min())), min(length, float(t.max()))
            if hi - lo > 1e-6:
                intervals.append((starts[k] + lo, starts[k] + hi))
    intervals.sort()
    merged: list[tuple[float, float]] = []
    for lo, hi in intervals:
        if merged and lo <= merged[-1][1] + 0.05:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    if len(merged) > 1 and merged[0][0] <= 0.05 and merged[-1][1] >= perimeter - 0.05:
        first = merged.pop(0)
        last = merged.pop()
        merged.append((last[0], perimeter + first[1]))
    return merged

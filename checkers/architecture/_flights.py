"""Stair flights read from A-STRS: outline, direction, tread lines, width, enclosure.

A flight is a closed A-STRS polygon that holds tread lines and no other closed A-STRS polygon
(a polygon around flights is a stair-core outline). The tread lines are the open A-STRS lines
inside it that run across the flight; the direction of travel is perpendicular to them. The
flight's ends (the outline's two extreme edges along the travel direction) count as the first
and last nosing, so a flight of n tread lines has n + 1 treads and n + 2 risers.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry

from checkers.architecture._common import (
    ARCH,
    Room,
    SheetKey,
    extent,
    near_pairs,
    rooms,
    sheet_key,
    unit_vector,
)
from checkers.context import CheckContext, Item, rect_sides
from checkers.findings import NotChecked

__all__ = ["Flight", "flights"]

ANGLE_TOL = 3.0
"""Degrees within which tread lines count as parallel."""
SAME_LINE = 0.01
"""Tread lines closer than this (m) along the flight are one line."""


@dataclass(frozen=True, slots=True)
class Flight:
    """One stair flight."""

    item: Item
    tread_handles: tuple[str, ...]
    across: tuple[float, float]
    """Unit vector along the treads (the flight's width direction)."""
    travel: tuple[float, float]
    """Unit vector of the direction of travel (perpendicular to the treads)."""
    width: float
    """Clear width: extent of the outline along the treads."""
    nosings: tuple[float, ...]
    """Positions along ``travel`` of the ends and the tread lines, sorted and merged."""
    fan: bool
    """Tread lines are not parallel (spiral or fan steps)."""
    enclosure: Item | None
    """The smallest room or stair-core outline around the flight."""
    room: Room | None
    """The enclosure as a named room, when it is an A-AREA room."""

    @property
    def geometry(self) -> BaseGeometry:
        """The flight outline."""
        return self.item.geometry

    @property
    def key(self) -> SheetKey:
        """Drawing and sheet of the flight."""
        return sheet_key(self.item)

    @property
    def treads(self) -> list[float]:
        """Tread depths from one nosing to the next."""
        return [b - a for a, b in zip(self.nosings[:-1], self.nosings[1:], strict=True)]

    @property
    def risers(self) -> int:
        """Risers of the flight: treads + 1."""
        return len(self.nosings)

    @property
    def handles(self) -> tuple[str, ...]:
        """The outline's handle and its tread lines' handles."""
        return (self.item.obj.handle, *self.tread_handles)

    @property
    def enclosure_name(self) -> str:
        """Name of the room around the flight, or ``""``."""
        return self.room.name if self.room is not None else ""


def _angle(line: BaseGeometry) -> tuple[float, float]:
    """Direction (degrees modulo 180) and length of a line from its first to last point."""
    coords = list(line.coords) if line.geom_type == "LineString" else []
    if len(coords) < 2:
        return 0.0, 0.0
    (x0, y0), (x1, y1) = coords[0], coords[-1]
    return math.degrees(math.atan2(y1 - y0, x1 - x0)) % 180.0, math.hypot(x1 - x0, y1 - y0)


def _diff(a: float, b: float) -> float:
    d = abs(a - b) % 180.0
    return min(d, 180.0 - d)


def flights(ctx: CheckContext) -> list[Flight]:
    """Every stair flight of the architecture drawings.

    Raises:
        NotChecked: there is nothing on A-STRS, or no closed outline holds tread lines.
    """
    cached = ctx._cache.get("arch.flights")
    if cached is not None:
        return list(cached)
    everything = ctx.require(ARCH, "A-STRS", texts=False)
    polys = [i for i in everything if i.obj.closed and not i.obj.in_block]
    lines = [i for i in everything if not i.obj.closed and i.geometry.geom_type == "LineString"]
    geoms = [p.geometry for p in polys]
    holds_polygon = {
        a
        for a, b in near_pairs(geoms, geoms, "contains")
        if a != b
        and geoms[a].area > geoms[b].area + 1e-9  # a duplicated outline is not a core
        and sheet_key(polys[a]) == sheet_key(polys[b])
    }
    inner: dict[int, list[int]] = {}
    grown = [g.buffer(SAME_LINE) for g in geoms]
    for pi, li in near_pairs(grown, [ln.geometry for ln in lines], "contains"):
        if sheet_key(polys[pi]) == sheet_key(lines[li]):
            inner.setdefault(pi, []).append(li)
    enclosures = _enclosures(ctx, polys, [p for p in range(len(polys)) if p in holds_polygon])
    out: list[Flight] = []
    for pi, poly in enumerate(polys):
        if pi in holds_polygon or pi not in inner:
            continue
        flight = _flight(poly, [lines[li] for li in inner[pi]], enclosures.get(pi))
        if flight is not None:
            out.append(flight)
    if not out:
        raise NotChecked(
            "A-STRS 中没有含踏步线的梯段轮廓（闭合多段线），楼梯规则未检查",
            "no stair flight (closed outline with tread lines) on A-STRS; stair rules not checked",
        )
    ctx._cache["arch.flights"] = tuple(out)
    return out


def _enclosures(
    ctx: CheckContext, polys: list[Item], cores: list[int]
) -> dict[int, tuple[Item, Room | None]]:
    """For each A-STRS polygon, the smallest A-AREA room or stair-core outline around it."""
    try:
        named = rooms(ctx)
    except NotChecked:
        named = []
    holders: list[tuple[Item, Room | None]] = [(r.item, r) for r in named]
    holders += [(polys[c], None) for c in cores]
    shrunk = [p.geometry.buffer(-SAME_LINE) for p in polys]
    best: dict[int, tuple[Item, Room | None]] = {}
    for pi, hi in near_pairs(shrunk, [h[0].geometry for h in holders], "within"):
        item, room = holders[hi]
        if item is polys[pi] or sheet_key(item) != sheet_key(polys[pi]):
            continue
        if pi not in best or item.geometry.area < best[pi][0].geometry.area:
            best[pi] = (item, room)
    return best


def _flight(
    poly: Item, lines: list[Item], enclosure: tuple[Item, Room | None] | None
) -> Flight | None:
    """Measure one flight from its outline and the lines inside it."""
    coords = list(poly.geometry.exterior.coords)
    angles = [(_angle(ln.geometry), ln) for ln in lines]
    angles = [(a, ln) for a, ln in angles if a[1] > 0]
    if not angles:
        return None
    votes = Counter(round(a[0] / ANGLE_TOL) % round(180 / ANGLE_TOL) for a, _ in angles)
    bucket = votes.most_common(1)[0][0]
    main = bucket * ANGLE_TOL
    parallel = [(a, ln) for a, ln in angles if _diff(a[0], main) <= ANGLE_TOL]
    fan = len(angles) >= 3 and len(parallel) < 0.6 * len(angles)
    mean = (
        math.degrees(
            math.atan2(
                sum(math.sin(math.radians(2 * a[0])) for a, _ in parallel),
                sum(math.cos(math.radians(2 * a[0])) for a, _ in parallel),
            )
        )
        / 2.0
    )
    across = unit_vector(mean)
    travel = (-across[1], across[0])
    lo_w, hi_w = extent(coords, across)
    width = hi_w - lo_w
    if not parallel or width <= 0:
        width = rect_sides(poly.geometry)[0]
    treads = [ln for a, ln in parallel if a[1] >= 0.5 * width]
    lo, hi = extent(coords, travel)
    positions = [lo, hi]
    for ln in treads:
        c = ln.geometry.centroid
        positions.append(c.x * travel[0] + c.y * travel[1])
    nosings: list[float] = []
    for p in sorted(positions):
        if nosings and p - nosings[-1] < SAME_LINE:
            continue
        nosings.append(p)
    if hi - nosings[-1] < SAME_LINE and nosings[-1] != hi:
        nosings[-1] = hi
    room = enclosure[1] if enclosure else None
    return Flight(
        item=poly,
        tread_handles=tuple(ln.obj.handle for ln in treads),
        across=across,
        travel=travel,
        width=width,
        nosings=tuple(nosings),
        fan=fan,
        enclosure=enclosure[0] if enclosure else None,
        room=room,
    )


def strip(flight: Flight, at_end: bool, length: float, inset: float = SAME_LINE) -> BaseGeometry:
    """The band beyond one end of a flight, as wide as the flight (less ``inset`` each side)."""
    coords = list(flight.geometry.exterior.coords)
    lo_w, hi_w = extent(coords, flight.across)
    lo, hi = extent(coords, flight.travel)
    s0, s1 = (hi, hi + length) if at_end else (lo - length, lo)
    a, t = flight.across, flight.travel
    corners = [
        (a[0] * w + t[0] * s, a[1] * w + t[1] * s)
        for w, s in ((lo_w + inset, s0), (hi_w - inset, s0), (hi_w - inset, s1), (lo_w + inset, s1))
    ]
    return shapely.Polygon(corners)

"""FIRE-013: the distance from any point of a room (or a dwelling) to its evacuation door.

Inside a room people walk around walls, not through them, so in an L-shaped room or a dwelling
of several rooms the distance is a shortest path inside the space (see ``paths``). Here the
rooms are joined into dwellings, the doors found, and every room and dwelling of the package
measured in one pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from checkers.context import CheckContext, Item
from checkers.findings import NotChecked, Violation
from checkers.registry import rule
from drawings.model import Severity

from .common import (
    Door,
    by_sheet,
    doors,
    facts,
    is_basement,
    is_common,
    is_residential,
    labelled_areas,
    need,
)
from .distances import evacuation_limits
from .exits import exit_doors
from .paths import Farthest, candidates, farthest_point, farthest_points

__all__ = ["farthest_point", "room_too_deep"]

HALL_NAMES = ("观众厅", "展览厅", "展厅", "多功能厅", "餐厅", "营业厅")
HALL_LIMIT_M = 30.0
CONNECTOR_M = 0.35  # half the width of the passage drawn through a wall at a door
BRIDGE_M = 0.4  # walls up to this thick are crossed when looking for doorless openings
MIN_OPENING_M2 = 0.1
SHAFT = "井"


def _source(door: Door, poly: BaseGeometry) -> tuple[float, float]:
    """Where the door meets the room: the point of the room nearest the opening's middle."""
    mid = door.opening.interpolate(0.5, normalized=True)
    p = nearest_points(poly, mid)[0]
    return (p.x, p.y)


def _dwellings(
    all_doors: list[Door],
    all_rooms: list[tuple[Item, str]],
    solid: dict[tuple[str, int | None], _Solid],
) -> list[tuple[list[Item], list[Door], list[Door], list[BaseGeometry]]]:
    """Dwellings: rooms joined by doors between non-common rooms, or touching each other (an
    opening without a door), found with union-find; with their internal and entrance doors."""
    parent: dict[int, int] = {}
    rooms: dict[int, Item] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    internal: list[Door] = []
    entering: list[tuple[Door, Item]] = []
    for d in all_doors:
        if d.to_shaft:
            continue
        (a, b), (na, nb) = d.rooms, d.sides
        if a is not None and b is not None and na is not None and nb is not None:
            if not is_common(na, True) and not is_common(nb, True):
                rooms[id(a)], rooms[id(b)] = a, b
                parent[find(id(a))] = find(id(b))
                internal.append(d)
                continue
        if d.room_door(True):
            for r, n in zip(d.rooms, d.sides, strict=True):
                if r is not None and n is not None and not is_common(n, True):
                    rooms[id(r)] = r
                    entering.append((d, r))
    private = [(r, n) for r, n in all_rooms if not is_common(n, True) and SHAFT not in n]
    bridges: dict[int, list[BaseGeometry]] = {}
    if private:
        tree = shapely.STRtree([r.geometry for r, _ in private])
        left, right = tree.query(
            [r.geometry for r, _ in private], predicate="dwithin", distance=2 * BRIDGE_M
        )
        pairs = [
            (private[a][0], private[b][0])
            for a, b in zip(left.tolist(), right.tolist(), strict=True)
            if a < b
            and private[a][0].drawing is private[b][0].drawing
            and private[a][0].obj.sheet == private[b][0].obj.sheet
        ]
        for (ra, rb), gap in zip(pairs, _openings_between(pairs, solid), strict=True):
            if id(ra) not in rooms and id(rb) not in rooms:
                continue
            if gap is not None:
                rooms[id(ra)], rooms[id(rb)] = ra, rb
                parent[find(id(ra))] = find(id(rb))
                bridges.setdefault(id(ra), []).append(gap)
    groups: dict[int, list[Item]] = {}
    for key, item in rooms.items():
        groups.setdefault(find(key), []).append(item)
    entrances: dict[int, list[Door]] = {}
    for d, r in entering:
        entrances.setdefault(find(id(r)), []).append(d)
    inner_of: dict[int, list[Door]] = {}
    for d in internal:
        assert d.rooms[0] is not None
        inner_of.setdefault(find(id(d.rooms[0])), []).append(d)
    return [
        (
            m,
            inner_of.get(k, []),
            entrances.get(k, []),
            [g for r in m for g in bridges.get(id(r), [])],
        )
        for k, m in groups.items()
    ]


class _Solid:
    """Walls and rooms of one sheet, indexed: each opening test unions only the nearby parts,
    so the cost per pair of rooms does not grow with the size of the sheet."""

    def __init__(self, parts: Sequence[BaseGeometry]) -> None:
        self.parts = np.asarray(list(parts), dtype=object)
        self.tree = shapely.STRtree(self.parts)

    def near(self, areas: Sequence[BaseGeometry]) -> list[BaseGeometry]:
        """For each area, the union of the parts whose bounds meet it (one tree query)."""
        a_idx, p_idx = self.tree.query(np.asarray(areas, dtype=object))
        hits: dict[int, list[int]] = defaultdict(list)
        for a, p in zip(a_idx.tolist(), p_idx.tolist(), strict=True):
            hits[a].append(p)
        return [shapely.union_all(self.parts[hits.get(k, [])]) for k in range(len(areas))]


def _openings_between(
    pairs: Sequence[tuple[Item, Item]], solid: dict[tuple[str, int | None], _Solid]
) -> list[BaseGeometry | None]:
    """For each pair of rooms of one sheet, the doorless opening (门洞) in the wall between
    them, if there is one: the largest piece of at least ``MIN_OPENING_M2`` of the space
    within ``BRIDGE_M`` of both rooms that is neither wall nor any room.

    The rooms are buffered once each and the pairs of a sheet meet its solid in one query,
    so only the union of the parts near each pair is built one by one.
    """
    out: list[BaseGeometry | None] = [None] * len(pairs)
    by_sheet: dict[tuple[str, int | None], list[int]] = defaultdict(list)
    for k, (a, _) in enumerate(pairs):
        if (a.drawing.file, a.obj.sheet) in solid:
            by_sheet[(a.drawing.file, a.obj.sheet)].append(k)
    involved = {id(r): r for k in range(len(pairs)) for r in pairs[k]}
    halos = shapely.buffer([r.geometry for r in involved.values()], BRIDGE_M)
    halo = dict(zip(involved, halos, strict=True))
    for key, ks in by_sheet.items():
        strips = shapely.intersection(
            [halo[id(pairs[k][0])] for k in ks], [halo[id(pairs[k][1])] for k in ks]
        )
        free = shapely.difference(strips, solid[key].near(strips))
        parts, owner = shapely.get_parts(free, return_index=True)
        best = dict.fromkeys(range(len(ks)), 0.0)
        for part, o, area in zip(parts, owner.tolist(), shapely.area(parts).tolist(), strict=True):
            if area >= MIN_OPENING_M2 and (out[ks[o]] is None or area > best[o]):
                out[ks[o]], best[o] = part, area
    return out


@rule(
    "FIRE-013",
    "room-interior-distance",
    severity=Severity.ERROR,
    params=("building.use", "fire.resistance_grade", "fire.sprinklers"),
)
def room_too_deep(ctx: CheckContext) -> Iterator[Violation]:
    """Distance inside a room (or dwelling) to its evacuation door

    Dwelling storeys: a dwelling is the set of A-AREA rooms joined by internal doors; from any
    point of it (vertices and a 0.5 m grid), the shortest path inside the rooms and through the
    door openings to its entrance door. Other storeys: from any point of each room to its
    nearest evacuation door (a door onto a common space). Halls (观众厅 / 展览厅 / 多功能厅 /
    餐厅 / 营业厅) with two or more such doors in grade 1/2 buildings: straight line to the
    nearest door. Limit: the dead-end value of FIRE-003 for the use (halls 30 m); +25 % with
    full sprinklers.

    Clause: GB 55037-2022 7.1.3(2); GB 50016-2014 (2018) 5.5.17(3), 5.5.17(4), 5.5.29(3)

    **Fails when** the farthest point is farther from the door than the limit.

    **Passes when** every point of every room or dwelling is within the limit.

    **Known limits** Internal duplex stairs are not counted at 1.5 × their projection (the
    reviewer adds them). Furniture and fixed obstacles are ignored. The ≤ 10 m corridor from a
    hall door that does not open outside or into a stair is left to FIRE-003 and the reviewer.
    Rooms whose doors cannot be found are skipped.
    """
    all_doors = doors(ctx)
    if not all_doors:
        ctx.require("fire", "A-DOOR", kinds=("INSERT",))
    f = facts(ctx)
    fp = ctx.params.fire_of(f.name)
    need(f.use, "building.use", "建筑使用性质")
    need(f.height_m, "building.height_m", "建筑高度")
    need(fp.sprinklers, "fire.sprinklers", "自动喷水灭火系统设置情况")
    high_rise = f.high_rise()
    if not high_rise:
        need(fp.resistance_grade, "fire.resistance_grade", "耐火等级")
    grade = fp.resistance_grade or 1
    factor = 1.25 if fp.sprinklers == "full" else 1.0
    dwelling_doors = [
        d for d in all_doors if is_residential(f.use) and not is_basement(d.item.floor)
    ]
    dwelling_ids = {id(d) for d in dwelling_doors}
    other_doors = [d for d in all_doors if id(d) not in dwelling_ids]
    _, dead, row = evacuation_limits(f.use, high_rise, grade)
    dwelling_rooms = [
        (r, n)
        for r, n in labelled_areas(ctx, "fire", "A-AREA", "A-AREA-IDEN")
        if is_residential(f.use) and not is_basement(r.floor)
    ]
    solid_parts: dict[tuple[str, int | None], list[BaseGeometry]] = {}
    for key, items in by_sheet(ctx.items("fire", "A-WALL", closed=True, texts=False)).items():
        solid_parts.setdefault(key, []).extend(i.geometry for i in items)
    for key, items in by_sheet([r for r, _ in dwelling_rooms]).items():
        solid_parts.setdefault(key, []).extend(i.geometry for i in items)
    solid = {key: _Solid(geoms) for key, geoms in solid_parts.items()}
    limit = round(dead * factor, 3)
    spaces = [
        _Space(entrances, "户内", "the dwelling", src, poly, limit, row)
        for entrances, src, poly in _dwelling_spaces(dwelling_doors, dwelling_rooms, solid)
    ]
    measured = len(spaces)
    yield from _findings(ctx, spaces, factor)
    spaces = list(_room_spaces(ctx, f.use, high_rise, grade, factor, all_doors, other_doors))
    measured += len(spaces)
    yield from _findings(ctx, spaces, factor)
    if measured == 0:
        raise NotChecked(
            "未识别出带疏散门的房间或住宅（A-AREA 房间与 A-DOOR 门）",
            "no rooms or dwellings with an evacuation door found (A-AREA rooms and A-DOOR)",
        )


@dataclass
class _Space:
    """A room or dwelling to measure: its evacuation doors and the points where they meet
    it (``src``), its polygon, the limit and table row, and, for halls, the straight-line
    result measured already."""

    doors: list[Door]
    zh_name: str
    en_name: str
    src: list[tuple[float, float]]
    poly: Polygon
    limit: float
    row: str
    result: Farthest | None = None


def _dwelling_spaces(
    dwelling_doors: list[Door],
    dwelling_rooms: list[tuple[Item, str]],
    solid: dict[tuple[str, int | None], _Solid],
) -> Iterator[tuple[list[Door], list[tuple[float, float]], Polygon]]:
    """Each dwelling with an entrance: its entrance doors, where they meet it, and the largest
    part of its rooms joined through the internal door openings and doorless openings."""
    for members, inner, entrances, gaps in _dwellings(dwelling_doors, dwelling_rooms, solid):
        if not entrances:
            continue
        parts = (
            [m.geometry for m in members]
            + [d.opening.buffer(CONNECTOR_M, cap_style="flat") for d in inner]
            + gaps
        )
        space = shapely.union_all(parts)
        src = [_source(d, space) for d in entrances]
        yield entrances, src, max(shapely.get_parts(space), key=lambda g: g.area)


def _room_spaces(
    ctx: CheckContext,
    use: str | None,
    high_rise: bool,
    grade: int,
    factor: float,
    all_doors: list[Door],
    other_doors: list[Door],
) -> Iterator[_Space]:
    """Each room of the other storeys with its evacuation doors (onto a common space, or
    safe exits); halls with two or more doors in grade 1/2 buildings measured already, by
    straight lines to the nearest door."""
    by_room: dict[int, tuple[Item, str, list[Door]]] = {}
    exit_ids = {id(all_doors[k]) for k in exit_doors(ctx, all_doors)}
    for d in other_doors:
        if not d.room_door(False) and id(d) not in exit_ids:
            continue
        for r, n in zip(d.rooms, d.sides, strict=True):
            if r is not None and n is not None and not is_common(n, False):
                by_room.setdefault(id(r), (r, n, []))[2].append(d)
    for room, name, ds in by_room.values():
        poly = room.geometry
        if poly.geom_type != "Polygon":
            continue
        src = [_source(d, poly) for d in ds]
        hall = any(h in name for h in HALL_NAMES) and len(ds) >= 2 and grade in (1, 2)
        room_use = use if not is_basement(room.floor) else "basement"
        _, dead, row = evacuation_limits(room_use, high_rise, grade, "病房" in name)
        if not hall:
            yield _Space(ds, name, name, src, poly, round(dead * factor, 3), row)
            continue
        row = "观众厅、展览厅、多功能厅、餐厅、营业厅 / halls with two or more exits"
        pts = candidates([poly], [src], 0.5)[0]
        arr = shapely.points(pts)
        d_all = np.stack([shapely.distance(arr, Point(s)) for s in src], axis=1)
        k = int(np.argmax(d_all.min(axis=1)))
        far = (float(pts[k, 0]), float(pts[k, 1]))
        result = (float(d_all[k].min()), far, src[int(np.argmin(d_all[k]))])
        yield _Space(ds, name, name, src, poly, round(HALL_LIMIT_M * factor, 3), row, result)


def _findings(ctx: CheckContext, spaces: list[_Space], factor: float) -> Iterator[Violation]:
    """Measure the spaces not measured yet (all at once) and report those beyond the limit."""
    walked = iter(farthest_points([(s.poly, s.src) for s in spaces if s.result is None]))
    for s in spaces:
        dist, far, to = s.result if s.result is not None else next(walked)
        if dist > s.limit + 1e-6 and far is not None and to is not None:
            door = s.doors[s.src.index(to)] if to in s.src else s.doors[0]
            yield _finding(
                ctx, door.item, s.zh_name, s.en_name, dist, s.limit, far, to, s.row, factor
            )


def _finding(
    ctx: CheckContext,
    item: Item,
    zh_name: str,
    en_name: str,
    dist: float,
    limit: float,
    far: tuple[float, float],
    to: tuple[float, float],
    row: str,
    factor: float,
) -> Violation:
    return ctx.violation(
        item,
        f"{item.floor or '?'}层{zh_name}任一点至疏散门的距离最大为 {dist:.2f} m，大于 {limit:g} m"
        f"（{row.split(' / ')[0]}）",
        f"On storey {item.floor or '?'}, a point of {en_name} is {dist:.2f} m from its "
        f"evacuation door, above {limit:g} m ({row.split(' / ')[-1]})",
        geometry=LineString([far, to]),
        measured=dist,
        limit=limit,
        unit="m",
        params={"row": row, "sprinkler_factor": factor},
    )

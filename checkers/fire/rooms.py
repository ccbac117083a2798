"""FIRE-013: the distance from any point of a room (or a dwelling) to its evacuation door.

Inside a room people walk around walls, not through them, so in an L-shaped room or a dwelling
of several rooms the distance is a shortest path inside the space: a visibility graph over
the polygon's reflex corners, solved with Dijkstra.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Sequence

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
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

__all__ = ["farthest_point", "room_too_deep"]

HALL_NAMES = ("观众厅", "展览厅", "展厅", "多功能厅", "餐厅", "营业厅")
HALL_LIMIT_M = 30.0
CONNECTOR_M = 0.35  # half the width of the passage drawn through a wall at a door
BRIDGE_M = 0.4  # walls up to this thick are crossed when looking for doorless openings
MIN_OPENING_M2 = 0.1
SHAFT = "井"
TIE_M = 1e-9  # candidates this close to the farthest estimate are measured exactly


def _reflex(poly: Polygon) -> list[tuple[float, float]]:
    """Corners where the interior angle exceeds 180° (the only turning points of paths)."""
    out: list[tuple[float, float]] = []
    p = orient(poly, 1.0)
    for ring, sign in [(p.exterior, 1.0)] + [(r, 1.0) for r in p.interiors]:
        xy = np.asarray(ring.coords)[:-1]
        n = len(xy)
        for k in range(n):
            a, b, c = xy[k - 1], xy[k], xy[(k + 1) % n]
            cross = (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0])
            if sign * cross < -1e-9:
                out.append((float(b[0]), float(b[1])))
    return out


def _grid(poly: BaseGeometry, step: float) -> np.ndarray:
    """Centres of a ``step`` grid over the bounds that lie inside the polygon, as (n, 2)."""
    minx, miny, maxx, maxy = poly.bounds
    xs = np.arange(minx + step / 2, maxx, step)
    ys = np.arange(miny + step / 2, maxy, step)
    if xs.size == 0 or ys.size == 0:
        return np.empty((0, 2))
    mx, my = np.meshgrid(xs, ys)
    gx, gy = mx.ravel(), my.ravel()
    inside = shapely.contains_xy(poly, gx, gy)
    return np.column_stack([gx[inside], gy[inside]])


def _bisector_points(poly: Polygon, sources: Sequence[tuple[float, float]]) -> np.ndarray:
    """Points of the boundary equidistant from two sources, as (n, 2)."""
    pts: list[tuple[float, float]] = []
    minx, miny, maxx, maxy = poly.bounds
    reach = math.hypot(maxx - minx, maxy - miny) + 1.0
    for k, (ax, ay) in enumerate(sources):
        for bx, by in sources[k + 1 :]:
            dx, dy = bx - ax, by - ay
            norm = math.hypot(dx, dy)
            if norm < 1e-9:
                continue
            mx, my = (ax + bx) / 2, (ay + by) / 2
            ux, uy = -dy / norm, dx / norm
            bisector = LineString(
                [(mx - reach * ux, my - reach * uy), (mx + reach * ux, my + reach * uy)]
            )
            cut = bisector.intersection(poly.exterior)
            pts += [
                (float(p.x), float(p.y)) for p in shapely.get_parts(cut) if p.geom_type == "Point"
            ]
    return np.asarray(pts, dtype=float).reshape(-1, 2)


def _candidates(poly: Polygon, sources: Sequence[tuple[float, float]], step: float) -> np.ndarray:
    """Points where the farthest distance can lie, as (n, 2): the vertices, the boundary every
    ``step``, a grid inside, and the points of the boundary equidistant from two sources
    (where the distance to the nearer source peaks)."""
    dense = shapely.segmentize(poly.exterior, step)
    return np.concatenate(
        [
            np.asarray(poly.exterior.coords)[:-1, :2],
            _grid(poly, step),
            np.asarray(dense.coords)[:-1, :2],
            _bisector_points(poly, sources),
        ]
    )


def _inside(room: BaseGeometry, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether each segment ``a[i]`` → ``b[i]`` lies in ``room`` (one vectorised predicate)."""
    if len(a) == 0:
        return np.zeros(0, dtype=bool)
    return np.asarray(shapely.covers(room, shapely.linestrings(np.stack([a, b], axis=1))))


def _nearest_seen(
    room: BaseGeometry, targets: np.ndarray, ends: np.ndarray, lengths: np.ndarray
) -> np.ndarray:
    """Per target, the least of ``lengths[t, k]`` over the nodes ``k`` it sees (inf if none).

    Nodes are tried in order of length, all targets at once, and a target stops at the first
    node it sees: that one gives its least length. Most targets see their best node, so this
    tests about one segment per target instead of one per node. When the room covers the
    convex hull of all the points, every segment between two of them lies in the room and
    nothing is tested (convex rooms).
    """
    every = np.concatenate([targets, ends])
    if room.covers(shapely.multipoints(every).convex_hull):
        return np.asarray(lengths.min(axis=1))
    order = np.argsort(lengths, axis=1, kind="stable")
    least = np.full(len(targets), np.inf)
    pending = np.arange(len(targets))
    for rank in range(lengths.shape[1]):
        if pending.size == 0:
            break
        k = order[pending, rank]
        ok = _inside(room, targets[pending], ends[k])
        least[pending[ok]] = lengths[pending[ok], k[ok]]
        pending = pending[~ok]
    return least


def _sight(room: BaseGeometry, targets: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``seen[t, k]``: whether target ``t`` sees node ``k`` along a straight line in ``room``."""
    tt = np.repeat(np.arange(len(targets)), len(ends))
    kk = np.tile(np.arange(len(ends)), len(targets))
    return _inside(room, targets[tt], ends[kk]).reshape(len(targets), len(ends))


def _node_distances(
    room: BaseGeometry, nodes: list[tuple[float, float]], n_src: int
) -> tuple[list[float], list[int]]:
    """Dijkstra over the visibility graph of the sources (the first ``n_src`` nodes) and the
    reflex corners: each node's path length to its nearest source, and that source."""
    dist = [0.0] * n_src + [math.inf] * (len(nodes) - n_src)
    origin = list(range(n_src)) + [-1] * (len(nodes) - n_src)
    if len(nodes) == n_src:
        return dist, origin
    xy = np.asarray(nodes)
    ii, jj = np.triu_indices(len(nodes), k=1)
    seen = _inside(room, xy[ii], xy[jj])
    adj: dict[int, list[tuple[int, float]]] = {}
    for i, j, ok in zip(ii.tolist(), jj.tolist(), seen.tolist(), strict=True):
        if ok:
            w = math.dist(nodes[i], nodes[j])
            adj.setdefault(i, []).append((j, w))
            adj.setdefault(j, []).append((i, w))
    heap = [(0.0, k) for k in range(n_src)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist[u]:
            continue
        for v, w in adj.get(u, []):
            if d + w < dist[v]:
                dist[v] = d + w
                origin[v] = origin[u]
                heapq.heappush(heap, (d + w, v))
    return dist, origin


def _walk(
    target: tuple[float, float],
    nodes: list[tuple[float, float]],
    reach: list[int],
    seen: list[bool],
    dist: list[float],
    origin: list[int],
) -> tuple[float, int]:
    """A target's path length (through the first node seen giving the least) and its source."""
    total, via = math.inf, -1
    for k, ok in zip(reach, seen, strict=True):
        if ok:
            d = dist[k] + math.dist(target, nodes[k])
            if d < total:
                total, via = d, origin[k]
    return total, via


def farthest_point(
    poly: Polygon, sources: Sequence[tuple[float, float]], step: float = 0.5
) -> tuple[float, tuple[float, float] | None, tuple[float, float] | None]:
    """Largest shortest-path distance inside ``poly`` from any point to the nearest source.

    Returns the distance, the farthest point and the source it walks to. Candidate points are
    the polygon's vertices and a grid of ``step`` metres; paths bend only at reflex corners.

    Path lengths of all candidates are estimated at once with numpy (``_nearest_seen``); only
    the candidates within ``TIE_M`` of the largest are walked again one by one with
    ``math.dist`` over every node they see, so the distance, the point and the tie-breaking
    (first candidate, first node) are exactly those of a walk over all candidates.
    """
    room = poly.buffer(1e-6, join_style="mitre")
    shapely.prepare(room)
    nodes: list[tuple[float, float]] = [(float(x), float(y)) for x, y in sources]
    nodes += _reflex(poly)
    n_src = len(sources)
    if not n_src:
        return 0.0, None, None
    dist, origin = _node_distances(room, nodes, n_src)
    targets = _candidates(poly, sources, step)
    reach = [k for k in range(len(nodes)) if math.isfinite(dist[k])]
    ends = np.asarray([nodes[k] for k in reach])
    legs = np.hypot(targets[:, None, 0] - ends[None, :, 0], targets[:, None, 1] - ends[None, :, 1])
    approx = _nearest_seen(room, targets, ends, legs + np.asarray([dist[k] for k in reach]))
    finite = np.isfinite(approx)
    if not finite.any():
        return 0.0, None, None
    top = float(approx[finite].max())
    near = np.flatnonzero(finite & (approx >= top - TIE_M))
    seen = _sight(room, targets[near], ends)
    best, best_pt, best_src = -math.inf, None, None
    for t, row in zip(near.tolist(), seen.tolist(), strict=True):
        point = (float(targets[t, 0]), float(targets[t, 1]))
        total, via = _walk(point, nodes, reach, row, dist, origin)
        if total > best:
            best, best_pt, best_src = total, point, nodes[via]
    return best, best_pt, best_src


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
        for a, b in zip(left.tolist(), right.tolist(), strict=True):
            ra, rb = private[a][0], private[b][0]
            if a >= b or ra.drawing is not rb.drawing or ra.obj.sheet != rb.obj.sheet:
                continue
            if id(ra) not in rooms and id(rb) not in rooms:
                continue
            gap = _opening_between(ra, rb, solid.get((ra.drawing.file, ra.obj.sheet)))
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

    def near(self, area: BaseGeometry) -> BaseGeometry:
        """The union of the parts that meet ``area``."""
        return shapely.union_all(self.parts[self.tree.query(area)])


def _opening_between(a: Item, b: Item, solid: _Solid | None) -> BaseGeometry | None:
    """The doorless opening (门洞) in the wall between two rooms, if there is one: the space
    within ``BRIDGE_M`` of both rooms that is neither wall nor any room."""
    if solid is None:
        return None
    strip = a.geometry.buffer(BRIDGE_M).intersection(b.geometry.buffer(BRIDGE_M))
    free = strip.difference(solid.near(strip))
    parts = [g for g in shapely.get_parts(free) if g.area >= MIN_OPENING_M2]
    return max(parts, key=lambda g: g.area) if parts else None


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
    measured = 0
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
        poly = max(shapely.get_parts(space), key=lambda g: g.area)
        measured += 1
        limit = round(dead * factor, 3)
        dist, far, to = farthest_point(poly, src)
        if dist > limit + 1e-6 and far is not None and to is not None:
            door = entrances[src.index(to)] if to in src else entrances[0]
            yield _finding(
                ctx, door.item, "户内", "the dwelling", dist, limit, far, to, row, factor
            )
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
        measured += 1
        hall = any(h in name for h in HALL_NAMES) and len(ds) >= 2 and grade in (1, 2)
        use = f.use if not is_basement(room.floor) else "basement"
        _, dead, row = evacuation_limits(use, high_rise, grade, "病房" in name)
        if hall:
            limit = round(HALL_LIMIT_M * factor, 3)
            row = "观众厅、展览厅、多功能厅、餐厅、营业厅 / halls with two or more exits"
            pts = _candidates(poly, src, 0.5)
            arr = shapely.points(pts)
            d_all = np.stack([shapely.distance(arr, Point(s)) for s in src], axis=1)
            k = int(np.argmax(d_all.min(axis=1)))
            far = (float(pts[k, 0]), float(pts[k, 1]))
            dist, to = float(d_all[k].min()), src[int(np.argmin(d_all[k]))]
        else:
            limit = round(dead * factor, 3)
            dist, far, to = farthest_point(poly, src)
        if dist > limit + 1e-6 and far is not None and to is not None:
            door = ds[src.index(to)] if to in src else ds[0]
            yield _finding(ctx, door.item, name, name, dist, limit, far, to, row, factor)
    if measured == 0:
        raise NotChecked(
            "未识别出带疏散门的房间或住宅（A-AREA 房间与 A-DOOR 门）",
            "no rooms or dwellings with an evacuation door found (A-AREA rooms and A-DOOR)",
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

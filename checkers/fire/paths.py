"""Walking distances inside rooms (FIRE-013): the point of a polygon farthest from its doors
along paths that stay inside, for many polygons at once.

Inside a room people walk around walls, not through them, so in an L-shaped room or a dwelling
of several rooms the distance is a shortest path inside the space: a visibility graph over
the polygon's reflex corners, solved with Dijkstra, then from every candidate point (vertices,
a grid, the boundary) the best node it sees.

A review holds hundreds of rooms and dwellings, each with a few hundred candidate points, so
every geometric test (segment inside the room, point inside the polygon) of all the polygons
is one vectorised shapely call; only the graph search and the final exact walk are Python.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon

__all__ = ["Farthest", "candidates", "farthest_point", "farthest_points"]

Point2 = tuple[float, float]
Farthest = tuple[float, Point2 | None, Point2 | None]
"""The largest walking distance, the point where it occurs and the source it walks to."""

TIE_M = 1e-9
"""Candidates this close to the farthest estimate are measured again exactly."""
CHUNK = 512
"""Segments tested per vectorised call (below the collector's 700-allocation threshold)."""


def _reflex(polys: Sequence[Polygon] | np.ndarray) -> list[list[Point2]]:
    """Per polygon, the corners where the interior angle exceeds 180° (the only turning points
    of paths), ring by ring (exterior first) in the order of the rings oriented with the
    exterior counter-clockwise."""
    oriented = shapely.orient_polygons(np.asarray(polys, dtype=object), exterior_cw=False)
    rings, ring_owner = shapely.get_rings(oriented, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    closing = np.cumsum(np.bincount(ring_of, minlength=len(rings))) - 1
    keep = np.ones(len(xy), dtype=bool)
    keep[closing] = False
    xy, ring_of = xy[keep], ring_of[keep]
    size = np.bincount(ring_of, minlength=len(rings))
    start = np.concatenate([[0], np.cumsum(size)[:-1]])[ring_of]
    local = np.arange(len(xy)) - start
    a = xy[start + (local - 1) % size[ring_of]]
    c = xy[start + (local + 1) % size[ring_of]]
    cross = (xy[:, 0] - a[:, 0]) * (c[:, 1] - xy[:, 1]) - (xy[:, 1] - a[:, 1]) * (
        c[:, 0] - xy[:, 0]
    )
    out: list[list[Point2]] = [[] for _ in polys]
    corner = cross < -1e-9
    for k, (x, y) in zip(ring_owner[ring_of[corner]].tolist(), xy[corner].tolist(), strict=True):
        out[k].append((x, y))
    return out


def _grid_points(poly: Polygon, step: float) -> np.ndarray:
    """Centres of a ``step`` grid over the polygon's bounds (inside or not), as (n, 2)."""
    minx, miny, maxx, maxy = poly.bounds
    xs = np.arange(minx + step / 2, maxx, step)
    ys = np.arange(miny + step / 2, maxy, step)
    if xs.size == 0 or ys.size == 0:
        return np.empty((0, 2))
    return np.column_stack([np.tile(xs, len(ys)), np.repeat(ys, len(xs))])


def _bisector_points(poly: Polygon, sources: Sequence[Point2]) -> np.ndarray:
    """Points of the boundary equidistant from two sources, as (n, 2)."""
    pts: list[Point2] = []
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


def _ring_points(rings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The coordinates of closed rings without their closing points, and the ring of each."""
    xy, owner = shapely.get_coordinates(rings, return_index=True)
    closing = np.cumsum(np.bincount(owner, minlength=len(rings))) - 1
    keep = np.ones(len(xy), dtype=bool)
    keep[closing[closing >= 0]] = False
    return xy[keep], owner[keep]


def _flat_candidates(
    polys: np.ndarray, sources: Sequence[Sequence[Point2]], step: float
) -> tuple[np.ndarray, np.ndarray]:
    """The candidates of all polygons in one (n, 2) array, polygon after polygon, and the
    polygon of each: per polygon its vertices, a grid inside, the boundary every ``step`` and
    the points of the boundary equidistant from two sources (see ``candidates``)."""
    rings = shapely.get_exterior_ring(polys)
    vertices, v_own = _ring_points(rings)
    grids = [_grid_points(p, step) for p in polys]
    g_own = np.repeat(np.arange(len(polys)), [len(g) for g in grids])
    grid = np.concatenate([np.empty((0, 2)), *grids])
    inside = np.asarray(shapely.contains_xy(polys[g_own], grid[:, 0], grid[:, 1]), dtype=bool)
    dense, d_own = _ring_points(shapely.segmentize(rings, step))
    cuts = [
        _bisector_points(p, s) if len(s) > 1 else np.empty((0, 2))
        for p, s in zip(polys, sources, strict=True)
    ]
    c_own = np.repeat(np.arange(len(polys)), [len(c) for c in cuts])
    xy = np.concatenate([vertices, grid[inside], dense, np.concatenate([np.empty((0, 2)), *cuts])])
    owner = np.concatenate([v_own, g_own[inside], d_own, c_own])
    part = np.repeat(np.arange(4), [len(v_own), int(inside.sum()), len(d_own), len(c_own)])
    order = np.lexsort((part, owner))
    return xy[order], owner[order]


def candidates(
    polys: Sequence[Polygon], sources: Sequence[Sequence[Point2]], step: float
) -> list[np.ndarray]:
    """Per polygon, the points where the farthest distance can lie, as (n, 2): the vertices,
    a grid of ``step`` inside, the boundary every ``step``, and the points of the boundary
    equidistant from two sources (where the distance to the nearer source peaks)."""
    xy, owner = _flat_candidates(np.asarray(polys, dtype=object), sources, step)
    return np.split(xy, np.cumsum(np.bincount(owner, minlength=len(polys)))[:-1])


def _inside(rooms: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether each segment ``a[i]`` → ``b[i]`` lies in ``rooms[i]``.

    Tested ``CHUNK`` segments at a time: each chunk's lines are dropped before the next is
    built, so hundreds of thousands of short-lived geometries never pile up into the
    collector's oldest generation (whose collections walk the whole drawing model).
    """
    out = np.zeros(len(a), dtype=bool)
    for lo in range(0, len(a), CHUNK):
        hi = lo + CHUNK
        lines = shapely.linestrings(np.stack([a[lo:hi], b[lo:hi]], axis=1))
        out[lo:hi] = shapely.covers(rooms[lo:hi], lines)
    return out


def _edges(rooms: np.ndarray, nodes: Sequence[list[Point2]]) -> list[list[tuple[int, int]]]:
    """Per room, the pairs of its nodes that see each other (in ``triu_indices`` order); rooms
    without reflex corners are given no nodes, as their sources need no graph."""
    pairs = [np.triu_indices(len(n), k=1) for n in nodes]
    owner = np.repeat(np.arange(len(nodes)), [len(i) for i, _ in pairs])
    xy = [np.asarray(n, dtype=float).reshape(-1, 2) for n in nodes]
    a = np.concatenate([np.empty((0, 2)), *(x[i] for x, (i, _) in zip(xy, pairs, strict=True))])
    b = np.concatenate([np.empty((0, 2)), *(x[j] for x, (_, j) in zip(xy, pairs, strict=True))])
    seen = np.split(_inside(rooms[owner], a, b), np.cumsum([len(i) for i, _ in pairs])[:-1])
    return [
        [(i, j) for i, j, ok in zip(ii.tolist(), jj.tolist(), s.tolist(), strict=True) if ok]
        for (ii, jj), s in zip(pairs, seen, strict=True)
    ]


def _dijkstra(
    nodes: list[Point2], n_src: int, edges: list[tuple[int, int]]
) -> tuple[list[float], list[int]]:
    """Path length of each node to its nearest source (the first ``n_src`` nodes) along the
    visible ``edges``, and that source."""
    dist = [0.0] * n_src + [math.inf] * (len(nodes) - n_src)
    origin = list(range(n_src)) + [-1] * (len(nodes) - n_src)
    adj: dict[int, list[tuple[int, float]]] = {}
    for i, j in edges:
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


@dataclass
class _Graph:
    """One polygon's nodes (sources first, then reflex corners), their path lengths to the
    nearest source and that source, and the nodes reached (``reach``)."""

    nodes: list[Point2]
    dist: list[float]
    origin: list[int]

    @property
    def reach(self) -> list[int]:
        """The nodes with a path to a source."""
        return [k for k in range(len(self.nodes)) if math.isfinite(self.dist[k])]

    def walk(self, point: Point2, seen: list[bool]) -> tuple[float, int]:
        """A point's exact path length through the first node it sees giving the least, and
        the source it walks to; ``seen`` is per reached node."""
        total, via = math.inf, -1
        for k, ok in zip(self.reach, seen, strict=True):
            if ok:
                d = self.dist[k] + math.dist(point, self.nodes[k])
                if d < total:
                    total, via = d, self.origin[k]
        return total, via


@dataclass
class _Stack:
    """The candidates of the polygons that reach the same number of nodes, in one array:
    ``points`` and ``case`` are each candidate and its polygon, ``ends[i, k]`` the point of
    its ``k``-th reached node and ``lengths[i, k]`` the walk through it if seen."""

    points: np.ndarray
    case: np.ndarray
    ends: np.ndarray
    lengths: np.ndarray

    @classmethod
    def of(
        cls, ks: list[int], graphs: Sequence[_Graph], xy: np.ndarray, owner: np.ndarray
    ) -> _Stack:
        """The stack of polygons ``ks``, which reach the same number of nodes."""
        reach = [graphs[k].reach for k in ks]
        ends = np.asarray([[graphs[k].nodes[n] for n in r] for k, r in zip(ks, reach, strict=True)])
        dist = np.asarray([[graphs[k].dist[n] for n in r] for k, r in zip(ks, reach, strict=True)])
        local = np.full(len(graphs), -1)
        local[ks] = np.arange(len(ks))
        rows = np.flatnonzero(local[owner] >= 0)
        at = local[owner[rows]]
        pts = xy[rows]
        e = ends[at]
        legs = np.hypot(pts[:, None, 0] - e[:, :, 0], pts[:, None, 1] - e[:, :, 1])
        return cls(pts, owner[rows], e, legs + dist[at])


def _convex(rooms: np.ndarray, polys: np.ndarray, graphs: Sequence[_Graph]) -> np.ndarray:
    """Whether each room covers the convex hull of its candidates and reached nodes: then
    every segment between two of them lies in the hull and so in the room.

    The candidates lie in the polygon and include its vertices, so their hull is the
    polygon's; when the nodes lie in that hull too (they are doors on the polygon's edge and
    its corners), the hull of everything is the polygon's hull, tested without building any
    point. Otherwise the hull of the polygon's vertices and the nodes is built.
    """
    hulls = np.asarray(shapely.convex_hull(polys), dtype=object)
    ends = [np.asarray([g.nodes[n] for n in g.reach], dtype=float).reshape(-1, 2) for g in graphs]
    owner = np.repeat(np.arange(len(graphs)), [len(e) for e in ends])
    flat = np.concatenate(ends)
    held = np.asarray(shapely.intersects_xy(hulls[owner], flat[:, 0], flat[:, 1]))
    outside = np.unique(owner[~held])
    if outside.size:
        points = [
            np.concatenate([np.asarray(polys[k].exterior.coords)[:, :2], ends[k]])
            for k in outside.tolist()
        ]
        own = np.repeat(np.arange(len(points)), [len(p) for p in points])
        hulls[outside] = shapely.convex_hull(
            shapely.multipoints(np.concatenate(points), indices=own)
        )
    return np.asarray(shapely.covers(rooms, hulls))


def _nearest_seen(stack: _Stack, rooms: np.ndarray, convex: np.ndarray) -> np.ndarray:
    """Per row, the least of ``lengths[i, k]`` over the nodes ``k`` it sees (inf if none).

    In convex rooms (``_convex``) every node is seen. Elsewhere nodes are tried in order of
    length, every row at once, and a row stops at the first node it sees: that one gives its
    least length. Most candidates see their best node, so this tests about one segment per
    candidate instead of one per node.
    """
    least = stack.lengths.min(axis=1)
    bent = np.flatnonzero(~convex[stack.case])
    if bent.size:
        least[bent] = _first_seen(
            rooms[stack.case[bent]], stack.points[bent], stack.ends[bent], stack.lengths[bent]
        )
    return np.asarray(least)


def _first_seen(
    rooms: np.ndarray, targets: np.ndarray, ends: np.ndarray, lengths: np.ndarray
) -> np.ndarray:
    """Per row, ``lengths[i, k]`` of the shortest ``k`` whose segment ``targets[i]`` →
    ``ends[i, k]`` lies in ``rooms[i]`` (the first such ``k`` among equal lengths); inf where
    none does."""
    order = np.argsort(lengths, axis=1, kind="stable")
    least = np.full(len(targets), np.inf)
    pending = np.arange(len(targets))
    for rank in range(lengths.shape[1]):
        if pending.size == 0:
            break
        k = order[pending, rank]
        ok = _inside(rooms[pending], targets[pending], ends[pending, k])
        least[pending[ok]] = lengths[pending[ok], k[ok]]
        pending = pending[~ok]
    return least


def farthest_points(
    cases: Sequence[tuple[Polygon, Sequence[Point2]]], step: float = 0.5
) -> list[Farthest]:
    """``farthest_point`` of many polygons, each with its sources, in one pass.

    Path lengths of all candidates are estimated with numpy (``_nearest_seen``); only the
    candidates within ``TIE_M`` of a polygon's largest are walked again one by one with
    ``math.dist`` over every node they see, so the distance, the point and the tie-breaking
    (first candidate, first node) are exactly those of a walk over all candidates.
    """
    out: list[Farthest] = [(0.0, None, None)] * len(cases)
    live = [k for k, (_, src) in enumerate(cases) if len(src)]
    if not live:
        return out
    polys = np.asarray([cases[k][0] for k in live], dtype=object)
    sources = [[(float(x), float(y)) for x, y in cases[k][1]] for k in live]
    rooms = np.asarray(shapely.buffer(polys, 1e-6, join_style="mitre"), dtype=object)
    shapely.prepare(rooms)
    nodes = [src + corners for src, corners in zip(sources, _reflex(polys), strict=True)]
    corners = [n if len(n) > len(src) else [] for n, src in zip(nodes, sources, strict=True)]
    graphs = [
        _Graph(n, *_dijkstra(n, len(src), e))
        for n, src, e in zip(nodes, sources, _edges(rooms, corners), strict=True)
    ]
    xy, owner = _flat_candidates(polys, sources, step)
    convex = _convex(rooms, polys, graphs)
    widths: dict[int, list[int]] = {}
    for k, g in enumerate(graphs):
        widths.setdefault(len(g.reach), []).append(k)
    best: list[Farthest] = [(-math.inf, None, None)] * len(graphs)
    for ks in widths.values():
        stack = _Stack.of(ks, graphs, xy, owner)
        for i, k, seen in _picks(stack, rooms, _nearest_seen(stack, rooms, convex)):
            point = (float(stack.points[i, 0]), float(stack.points[i, 1]))
            total, via = graphs[k].walk(point, seen)
            if total > best[k][0]:
                best[k] = (total, point, graphs[k].nodes[via])
    for k, b in zip(live, best, strict=True):
        out[k] = b if b[1] is not None else (0.0, None, None)
    return out


def _picks(
    stack: _Stack, rooms: np.ndarray, approx: np.ndarray
) -> Iterator[tuple[int, int, list[bool]]]:
    """The rows within ``TIE_M`` of their polygon's largest estimate, in order, each with its
    polygon and whether it sees each of the polygon's reached nodes."""
    finite = np.isfinite(approx)
    top = np.full(int(stack.case.max()) + 1, -np.inf)
    np.maximum.at(top, stack.case[finite], approx[finite])
    rows = np.flatnonzero(finite & (approx >= top[stack.case] - TIE_M))
    width = stack.ends.shape[1]
    seen = _inside(
        rooms[np.repeat(stack.case[rows], width)],
        np.repeat(stack.points[rows], width, axis=0),
        stack.ends[rows].reshape(-1, 2),
    ).reshape(len(rows), width)
    for i, row in zip(rows.tolist(), seen.tolist(), strict=True):
        yield i, int(stack.case[i]), row


def farthest_point(poly: Polygon, sources: Sequence[Point2], step: float = 0.5) -> Farthest:
    """Largest shortest-path distance inside ``poly`` from any point to the nearest source.

    Returns the distance, the farthest point and the source it walks to. Candidate points are
    the polygon's vertices and a grid of ``step`` metres; paths bend only at reflex corners.
    """
    return farthest_points([(poly, sources)], step)[0]

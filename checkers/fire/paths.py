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
from collections.abc import Sequence
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


def _reflex(polys: Sequence[Polygon]) -> list[list[Point2]]:
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


def candidates(
    polys: Sequence[Polygon], sources: Sequence[Sequence[Point2]], step: float
) -> list[np.ndarray]:
    """Per polygon, the points where the farthest distance can lie, as (n, 2): the vertices,
    the boundary every ``step``, a grid inside, and the points of the boundary equidistant
    from two sources (where the distance to the nearer source peaks)."""
    grids = [_grid_points(p, step) for p in polys]
    owner = np.repeat(np.arange(len(polys)), [len(g) for g in grids])
    every = np.concatenate([np.empty((0, 2)), *grids])
    geoms = np.asarray(polys, dtype=object)
    inside = np.split(
        shapely.contains_xy(geoms[owner], every[:, 0], every[:, 1]),
        np.cumsum([len(g) for g in grids])[:-1],
    )
    dense = shapely.segmentize(shapely.get_exterior_ring(geoms), step)
    return [
        np.concatenate(
            [
                np.asarray(p.exterior.coords)[:-1, :2],
                g[ok],
                np.asarray(d.coords)[:-1, :2],
                _bisector_points(p, s),
            ]
        )
        for p, g, ok, d, s in zip(polys, grids, inside, dense, sources, strict=True)
    ]


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
class _Search:
    """One polygon's search: its nodes (sources first, then reflex corners), their path
    lengths to the nearest source and that source, the candidate points, the nodes reached
    (``reach``, their points ``ends``) and ``lengths[t, k]``, the walk from candidate ``t``
    through reached node ``k`` if ``t`` sees it."""

    nodes: list[Point2]
    dist: list[float]
    origin: list[int]
    targets: np.ndarray
    reach: list[int]
    ends: np.ndarray
    lengths: np.ndarray

    @classmethod
    def start(
        cls, nodes: list[Point2], dist: list[float], origin: list[int], targets: np.ndarray
    ) -> _Search:
        """The search once the nodes' path lengths are known."""
        reach = [k for k in range(len(nodes)) if math.isfinite(dist[k])]
        ends = np.asarray([nodes[k] for k in reach], dtype=float).reshape(-1, 2)
        legs = np.hypot(
            targets[:, None, 0] - ends[None, :, 0], targets[:, None, 1] - ends[None, :, 1]
        )
        lengths = legs + np.asarray([dist[k] for k in reach])
        return cls(nodes, dist, origin, targets, reach, ends, lengths)

    def walk(self, t: int, seen: list[bool]) -> tuple[float, Point2, int]:
        """Candidate ``t``'s exact path length through the first node seen giving the least,
        the candidate's point and the source it walks to."""
        point = (float(self.targets[t, 0]), float(self.targets[t, 1]))
        total, via = math.inf, -1
        for k, ok in zip(self.reach, seen, strict=True):
            if ok:
                d = self.dist[k] + math.dist(point, self.nodes[k])
                if d < total:
                    total, via = d, self.origin[k]
        return total, point, via


def _convex(rooms: np.ndarray, polys: Sequence[Polygon], searches: Sequence[_Search]) -> np.ndarray:
    """Whether each room covers the convex hull of its candidates and reached nodes: then
    every segment between two of them lies in the hull and so in the room.

    The candidates lie in the polygon and include its vertices, so their hull is the
    polygon's; when the nodes lie in that hull too (they are doors on the polygon's edge and
    its corners), the hull of everything is the polygon's hull, tested without building any
    point. Otherwise the hull of the polygon's vertices and the nodes is built.
    """
    hulls = np.asarray(shapely.convex_hull(np.asarray(polys, dtype=object)), dtype=object)
    owner = np.repeat(np.arange(len(searches)), [len(s.ends) for s in searches])
    ends = np.concatenate([s.ends for s in searches])
    held = np.asarray(shapely.intersects_xy(hulls[owner], ends[:, 0], ends[:, 1]))
    outside = np.unique(owner[~held])
    if outside.size:
        points = [
            np.concatenate([np.asarray(polys[k].exterior.coords)[:, :2], searches[k].ends])
            for k in outside.tolist()
        ]
        sizes = [len(p) for p in points]
        own = np.repeat(np.arange(len(points)), sizes)
        hulls[outside] = shapely.convex_hull(
            shapely.multipoints(np.concatenate(points), indices=own)
        )
    return np.asarray(shapely.covers(rooms, hulls))


def _nearest_seen(
    rooms: np.ndarray, polys: Sequence[Polygon], searches: Sequence[_Search]
) -> list[np.ndarray]:
    """Per search and candidate, the least of ``lengths[t, k]`` over the nodes ``k`` it sees
    (inf if none).

    Nodes are tried in order of length, every candidate of every room at once, and a candidate
    stops at the first node it sees: that one gives its least length. Most candidates see
    their best node, so this tests about one segment per candidate instead of one per node.
    In convex rooms (``_convex``) nothing is tested. Rooms are stacked by their number of
    reached nodes, so that each stack is one array.
    """
    convex = _convex(rooms, polys, searches).tolist()
    least = {k: np.asarray(s.lengths.min(axis=1)) for k, s in enumerate(searches) if convex[k]}
    stacks: dict[int, list[int]] = {}
    for k, s in enumerate(searches):
        if not convex[k]:
            stacks.setdefault(len(s.reach), []).append(k)
    for width, ks in stacks.items():
        counts = [len(searches[k].targets) for k in ks]
        ends = np.concatenate(
            [
                np.broadcast_to(searches[k].ends, (n, width, 2))
                for k, n in zip(ks, counts, strict=True)
            ]
        )
        found = _first_seen(
            rooms[np.repeat(np.asarray(ks), counts)],
            np.concatenate([searches[k].targets for k in ks]),
            ends,
            np.concatenate([searches[k].lengths for k in ks]),
        )
        least.update(zip(ks, np.split(found, np.cumsum(counts)[:-1]), strict=True))
    return [least[k] for k in range(len(searches))]


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


def _sight(
    rooms: np.ndarray, searches: Sequence[_Search], picks: Sequence[np.ndarray]
) -> list[list[list[bool]]]:
    """Per search, ``seen[t][k]`` for its picked candidates: whether each sees each reached
    node along a straight line inside the room."""
    owner, a, b, sizes = [], [], [], []
    for k, (s, pick) in enumerate(zip(searches, picks, strict=True)):
        n = len(s.reach)
        a.append(np.repeat(s.targets[pick], n, axis=0))
        b.append(np.tile(s.ends, (len(pick), 1)))
        owner.append(np.full(len(pick) * n, k))
        sizes.append(len(pick) * n)
    seen = _inside(rooms[np.concatenate(owner)], np.concatenate(a), np.concatenate(b))
    parts = np.split(seen, np.cumsum(sizes)[:-1])
    return [
        p.reshape(len(pick), len(s.reach)).tolist()
        for p, pick, s in zip(parts, picks, searches, strict=True)
    ]


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
    polys = [cases[k][0] for k in live]
    sources = [[(float(x), float(y)) for x, y in cases[k][1]] for k in live]
    rooms = np.asarray(shapely.buffer(polys, 1e-6, join_style="mitre"), dtype=object)
    shapely.prepare(rooms)
    nodes = [src + corners for src, corners in zip(sources, _reflex(polys), strict=True)]
    graphs = [n if len(n) > len(src) else [] for n, src in zip(nodes, sources, strict=True)]
    searches = [
        _Search.start(n, *_dijkstra(n, len(src), e), t)
        for n, src, e, t in zip(
            nodes, sources, _edges(rooms, graphs), candidates(polys, sources, step), strict=True
        )
    ]
    approx = _nearest_seen(rooms, polys, searches)
    picks = []
    for a in approx:
        finite = np.isfinite(a)
        top = float(a[finite].max()) if finite.any() else math.inf
        picks.append(np.flatnonzero(finite & (a >= top - TIE_M)))
    for k, s, pick, seen in zip(live, searches, picks, _sight(rooms, searches, picks), strict=True):
        best: Farthest = (-math.inf, None, None)
        for t, row in zip(pick.tolist(), seen, strict=True):
            total, point, via = s.walk(t, row)
            if total > best[0]:
                best = (total, point, s.nodes[via])
        out[k] = best if best[1] is not None else (0.0, None, None)
    return out


def farthest_point(poly: Polygon, sources: Sequence[Point2], step: float = 0.5) -> Farthest:
    """Largest shortest-path distance inside ``poly`` from any point to the nearest source.

    Returns the distance, the farthest point and the source it walks to. Candidate points are
    the polygon's vertices and a grid of ``step`` metres; paths bend only at reflex corners.
    """
    return farthest_points([(poly, sources)], step)[0]

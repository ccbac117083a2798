"""Shared facts for the fire rules: building class, storeys, labelled areas, exits and doors.

The fire rules read the same few things again and again — the height class of a building, the
compartments of a storey, the names of rooms, which doors are safe exits or evacuation doors —
so these are derived once here, with the catalogue's conventions in one place.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from checkers.context import CheckContext, Item
from checkers.findings import NotChecked

__all__ = [
    "COMMON_ROOMS",
    "Door",
    "Facts",
    "SHAFT_MARK",
    "SheetKey",
    "building_of",
    "by_sheet",
    "doors",
    "exits",
    "facts",
    "is_basement",
    "is_common",
    "is_high_rise",
    "is_residential",
    "labelled_areas",
    "min_distance_pairs",
    "need",
    "site_outlines",
]

SheetKey = tuple[str, int | None]

#: Names of common circulation spaces: a door into one of them is an evacuation door.
COMMON_ROOMS = (
    "走道",
    "走廊",
    "内廊",
    "外廊",
    "公共走廊",
    "疏散走道",
    "前室",
    "楼梯间",
    "电梯厅",
    "候梯厅",
    "大堂",
    "门厅",
    "中庭",
)
#: Rooms whose doors are not evacuation doors (shafts, ducts).
SHAFT_MARK = "井"
#: Door numbers: ``M0921`` 0.90 × 2.10 m, ``FM甲1021`` 1.00 × 2.10 m.
DOOR_NUMBER = re.compile(r"(?:FM|M)[甲乙丙]?\s*(\d{2})(\d{2})")
#: A point this near a door block is within its 1 mm buffer, this far is outside it.
SURE_IN_M = 0.98e-3
SURE_OUT_M = 1.02e-3


def need(value: object, key: str, zh: str) -> None:
    """Raise ``NotChecked`` naming a missing project parameter."""
    if value is None:
        raise NotChecked(
            f"project.toml 未给出 {key}（{zh}），无法检查",
            f"{key} is not given in project.toml; the rule cannot be evaluated",
        )


def is_residential(use: str | None) -> bool:
    """Residential buildings follow the residential rows; dormitories and apartments do not."""
    return use == "residential"


def is_high_rise(height: float, use: str | None, floors_above: int | None) -> bool:
    """GB 50352-2019 3.1.2: residential > 27 m; public > 24 m unless single-storey."""
    if is_residential(use):
        return height > 27.0
    return height > 24.0 and floors_above != 1


def is_basement(floor: str | None) -> bool:
    """Storeys ``-1``, ``-2`` ... are basements."""
    return floor is not None and floor.startswith("-")


@dataclass(frozen=True, slots=True)
class Facts:
    """What the fire rules need to know about one building."""

    name: str | None
    height_m: float | None
    use: str | None
    floors_above: int | None
    floors_below: int | None

    def high_rise(self) -> bool:
        """Whether the building is high-rise (requires the height)."""
        assert self.height_m is not None
        return is_high_rise(self.height_m, self.use, self.floors_above)


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None


def facts(ctx: CheckContext, name: str | None = None) -> Facts:
    """Declared facts of building ``name`` (the only one by default), else its ``BLDG`` block."""
    attrs: dict[str, str] = {}
    for _, b in ctx.buildings():
        if name is None or b.name == name:
            attrs = dict(b.attrs)
            name = name or b.name
            break
    bp = ctx.params.building(name)
    height = bp.height_m
    if height is None:
        height = _float(attrs.get("HEIGHT")) if attrs else ctx.height_m
    use = bp.use or (attrs.get("USE", "").strip().lower() or None) or ctx.use
    return Facts(
        name=name,
        height_m=height,
        use=use,
        floors_above=bp.floors_above
        if bp.floors_above is not None
        else _int(attrs.get("FLOORS_ABOVE")),
        floors_below=bp.floors_below
        if bp.floors_below is not None
        else _int(attrs.get("FLOORS_BELOW")),
    )


def by_sheet(items: Iterable[Item]) -> dict[SheetKey, list[Item]]:
    """Items grouped by drawing file and sheet."""
    out: dict[SheetKey, list[Item]] = defaultdict(list)
    for i in items:
        out[(i.drawing.file, i.obj.sheet)].append(i)
    return out


def labelled_areas(
    ctx: CheckContext, discipline: str, group: str, label_group: str | None = None
) -> list[tuple[Item, str]]:
    """Closed polygons of ``group`` with the texts inside them (same drawing and sheet).

    One STR-tree query over all label points instead of a scan per polygon, once per context
    (several rules ask for the same rooms, stairs and compartments).
    """
    key = ("fire-labelled", discipline, group, label_group)
    cached = ctx._cache.get(key)
    if cached is None:
        cached = ctx._cache[key] = tuple(_labelled_areas(ctx, discipline, group, label_group))
    return list(cached)


def _labelled_areas(
    ctx: CheckContext, discipline: str, group: str, label_group: str | None
) -> list[tuple[Item, str]]:
    areas = [
        i
        for i in ctx.items(discipline, group, closed=True, texts=False)
        if not i.obj.in_block and i.geometry.geom_type in ("Polygon", "MultiPolygon")
    ]
    labels = ctx.items(discipline, label_group or group, texts=True)
    names: dict[int, list[str]] = defaultdict(list)
    if areas and labels:
        tree = shapely.STRtree([lb.geometry for lb in labels])
        a_idx, l_idx = tree.query([a.geometry for a in areas], predicate="covers")
        for a, lab in zip(a_idx.tolist(), l_idx.tolist(), strict=True):
            area, label = areas[a], labels[lab]
            if label.drawing is area.drawing and label.obj.sheet == area.obj.sheet:
                names[a].append(label.text.strip())
    return [(a, " ".join(names.get(k, []))) for k, a in enumerate(areas)]


def exits(ctx: CheckContext) -> list[Item]:
    """Safe-exit markers on F-EXIT (the INSERT or POINT, not the lines inside the block)."""
    return [
        i
        for i in ctx.items("fire", "F-EXIT", texts=False)
        if not i.obj.in_block and not i.geometry.is_empty
    ]


def site_outlines(ctx: CheckContext) -> list[Item]:
    """Building outlines of the fire site plan, else of the planning site plan."""
    for disc in ("fire", "planning"):
        found = [
            i
            for i in ctx.items(disc, "G-BLDG-OUTL", closed=True, texts=False)
            if not i.obj.in_block
        ]
        if found:
            return found
    return []


def building_of(ctx: CheckContext, outline: Item) -> str | None:
    """The ``BLDG`` name of an outline: the block on the same drawing nearest to it."""
    blocks = list(outline.drawing.model.buildings) or [b for _, b in ctx.buildings()]
    if not blocks:
        return None
    best = min(blocks, key=lambda b: outline.geometry.distance(Point(b.point)))
    return best.name


# --- doors --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Door:
    """A door INSERT with its opening line, clear width source and the rooms on either side."""

    item: Item
    width: float | None
    width_source: str
    opening: LineString
    sides: tuple[str | None, str | None]  # room names; None = no room (outside)
    rooms: tuple[Item | None, Item | None] = (None, None)

    @property
    def external(self) -> bool:
        """One side has no room: the door opens outside (or onto an undrawn space)."""
        return self.sides[0] is None or self.sides[1] is None

    @property
    def to_shaft(self) -> bool:
        """One side is a shaft (管道井 ...): an access door, not an evacuation door."""
        return any(s is not None and SHAFT_MARK in s for s in self.sides)

    def common(self, residential: bool) -> bool:
        """One side is a common circulation space."""
        return any(s is not None and is_common(s, residential) for s in self.sides)

    def room_door(self, residential: bool) -> bool:
        """A common space on one side and a room on the other: the room's evacuation door
        (in a dwelling storey, the dwelling's entrance door 户门)."""
        a, b = self.sides
        if a is None or b is None or self.to_shaft:
            return False
        return is_common(a, residential) != is_common(b, residential)


def is_common(name: str, residential: bool) -> bool:
    """Whether a room name is a common circulation space (门厅 is inside a dwelling)."""
    if residential and "门厅" in name and "大" not in name:
        return False
    return any(c in name for c in COMMON_ROOMS)


def _near_mm(geoms: Sequence[BaseGeometry], points: Sequence[Point]) -> np.ndarray:
    """``geom.buffer(1e-3).covers(point)`` for each pair, buffering only the doubtful ones.

    The round buffer lies between 0.98 mm (chords of its 16-segment quarter circles, after
    GEOS's 1 % input simplification) and 1.02 mm of the geometry, so a point nearer than the
    one or farther than the other is decided by its distance alone.
    """
    g = np.asarray(geoms, dtype=object)
    p = np.asarray(points, dtype=object)
    dist = np.asarray(shapely.distance(g, p))
    near = dist <= SURE_IN_M
    doubt = ~near & (dist <= SURE_OUT_M)
    if doubt.any():
        near[doubt] = shapely.covers(shapely.buffer(g[doubt], 1e-3), p[doubt])
    return near


def _openings(items: Sequence[Item], widths: Sequence[float | None]) -> list[LineString]:
    """The doors' opening lines: from the insertion point along the block's x axis, the way
    (forward, else backward) whose middle lies on the block's geometry within 1 mm; forward
    when neither does. A door without insertion point or width gets its centroid."""
    out: list[LineString] = []
    ways: list[int] = []
    for item, width in zip(items, widths, strict=True):
        o = item.obj
        if o.point is None or not width:
            c = item.geometry.centroid
            out.append(LineString([(c.x, c.y), (c.x, c.y)]))
            continue
        ux, uy = math.cos(math.radians(o.rotation)), math.sin(math.radians(o.rotation))
        px, py = o.point
        ways.append(len(out))
        out.append(LineString([(px, py), (px + width * ux, py + width * uy)]))
    if not ways:
        return out
    geoms = [items[k].geometry for k in ways]
    mids = shapely.line_interpolate_point([out[k] for k in ways], 0.5, normalized=True)
    for i in np.flatnonzero(~_near_mm(geoms, mids)).tolist():
        k = ways[i]
        o, width = items[k].obj, widths[k]
        assert o.point is not None and width
        ux, uy = math.cos(math.radians(o.rotation)), math.sin(math.radians(o.rotation))
        px, py = o.point
        backward = LineString([(px, py), (px - width * ux, py - width * uy)])
        if _near_mm([geoms[i]], [backward.interpolate(0.5, normalized=True)])[0]:
            out[k] = backward
    return out


def _number_width(text: str) -> float | None:
    m = DOOR_NUMBER.search(text.replace(" ", ""))
    return int(m.group(1)) / 10.0 if m else None


def _door_width(
    item: Item, numbers: Sequence[Item], num_tree: shapely.STRtree | None
) -> tuple[float | None, str]:
    """The block width, else the width of the nearest door number within 1.5 m."""
    if item.obj.size is not None and item.obj.size[0] > 0:
        return float(item.obj.size[0]), "block"
    if num_tree is not None:
        idx = num_tree.query(item.geometry, predicate="dwithin", distance=1.5)
        near = [numbers[k] for k in idx.tolist() if numbers[k].obj.sheet == item.obj.sheet]
        near.sort(key=lambda n: n.geometry.distance(item.geometry))
        for n in near:
            width = _number_width(n.text)
            if width is not None:
                return width, f"number {n.text.strip()}"
    return None, "block"


def _probes(openings: Sequence[LineString]) -> np.ndarray:
    """Per opening, the points 0.3 m and 0.6 m either side of its midpoint (first side
    first), as (4 n, 2)."""
    lines = np.asarray(openings, dtype=object)
    mx, my = shapely.get_coordinates(shapely.line_interpolate_point(lines, 0.5, normalized=True)).T
    ends = shapely.get_coordinates(lines).reshape(len(lines), 2, 2)
    (x0, y0), (x1, y1) = ends[:, 0].T, ends[:, 1].T
    length = shapely.length(lines)
    nx, ny = -(y1 - y0) / length, (x1 - x0) / length
    return np.stack(
        [
            np.column_stack([mx + sign * d * nx, my + sign * d * ny])
            for sign in (1.0, -1.0)
            for d in (0.3, 0.6)
        ],
        axis=1,
    ).reshape(-1, 2)


def _sides(
    items: Sequence[Item],
    openings: Sequence[LineString],
    rooms: Sequence[tuple[Item, str]],
) -> tuple[list[list[str | None]], list[list[Item | None]]]:
    """The room names and items on the first and on the second side of each opening: on
    each side, the first probe (0.3 m, else 0.6 m) within a room of the door's drawing and
    sheet. All probes are one STR-tree query; its hits come per probe in the order of a
    query of that probe alone."""
    names: list[list[str | None]] = [[None] * len(items), [None] * len(items)]
    found: list[list[Item | None]] = [[None] * len(items), [None] * len(items)]
    probed = [k for k, o in enumerate(openings) if o.length > 0] if rooms else []
    if not probed:
        return names, found
    xy = _probes([openings[k] for k in probed])
    tree = shapely.STRtree([r.geometry for r, _ in rooms])
    p_idx, r_idx = tree.query(shapely.points(xy), predicate="within")
    hits: dict[int, list[int]] = defaultdict(list)
    for p, r in zip(p_idx.tolist(), r_idx.tolist(), strict=True):
        hits[p].append(r)
    for n, k in enumerate(probed):
        it = items[k]
        for side in range(2):
            for probe in (4 * n + 2 * side, 4 * n + 2 * side + 1):
                inside = [
                    rooms[h]
                    for h in hits.get(probe, [])
                    if rooms[h][0].drawing is it.drawing and rooms[h][0].obj.sheet == it.obj.sheet
                ]
                if inside:
                    names[side][k] = inside[0][1] or "?"
                    found[side][k] = inside[0][0]
                    break
    return names, found


def doors(ctx: CheckContext, discipline: str = "fire") -> list[Door]:
    """Door INSERTs on A-DOOR with width and the rooms (A-AREA names) on both sides.

    Width is the block width; else the number text (A-DOOR-IDEN) within 1.5 m. The rooms are
    found by probing 0.3 m and 0.6 m either side of the opening's midpoint, which crosses walls
    up to about 0.5 m thick.
    """
    key = ("fire-doors", discipline)
    cached = ctx._cache.get(key)
    if cached is not None:
        return list(cached)
    inserts = [i for i in ctx.items(discipline, "A-DOOR", kinds=("INSERT",)) if not i.obj.in_block]
    numbers = ctx.items(discipline, "A-DOOR-IDEN", texts=True)
    rooms = labelled_areas(ctx, discipline, "A-AREA", "A-AREA-IDEN")
    num_tree = shapely.STRtree([n.geometry for n in numbers]) if numbers else None
    widths = [_door_width(it, numbers, num_tree) for it in inserts]
    openings = _openings(inserts, [w for w, _ in widths])
    (a_names, b_names), (a_rooms, b_rooms) = _sides(inserts, openings, rooms)
    out = [
        Door(it, width, source, opening, (na, nb), (ra, rb))
        for it, (width, source), opening, na, nb, ra, rb in zip(
            inserts, widths, openings, a_names, b_names, a_rooms, b_rooms, strict=True
        )
    ]
    ctx._cache[key] = tuple(out)
    return out


def min_distance_pairs(
    geoms: Sequence[BaseGeometry], distance: float
) -> list[tuple[int, int, float]]:
    """Pairs ``i < j`` closer than ``distance`` (STR-tree query, no all-pairs loop)."""
    if len(geoms) < 2:
        return []
    tree = shapely.STRtree(list(geoms))
    left, right = tree.query(list(geoms), predicate="dwithin", distance=distance)
    keep = left < right
    left, right = left[keep], right[keep]
    if left.size == 0:
        return []
    arr = np.asarray(geoms, dtype=object)
    dist = shapely.distance(arr[left], arr[right])
    return [
        (int(a), int(b), float(d))
        for a, b, d in zip(left.tolist(), right.tolist(), dist.tolist(), strict=True)
        if d < distance
    ]

"""Lightning protection (防雷) rules LTNG-001 … LTNG-006 of the rule catalogue.

The roof plan carries the roof outline on E-LTNG-ROOF, the air-termination band and mesh
(接闪带 / 接闪网) as lines on E-LTNG-TERM and the down conductors (引下线) as blocks, circles
or points on E-LTNG-DOWN. Each connected roof outline is one building. Conductor line ends are
snapped within 0.05 m and the lines noded before they are polygonised into mesh cells, so
drafting gaps of a few centimetres do not open a cell.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from checkers.context import CheckContext, Item, rect_sides
from checkers.findings import NotChecked, Violation
from checkers.registry import rule
from drawings.model import Severity

__all__ = [
    "class_too_weak",
    "down_conductor_spacing_too_large",
    "mesh_cell_too_large",
    "perimeter_ring_missing",
    "roof_not_covered",
    "too_few_down_conductors",
]

LT = "lightning"
SNAP_M = 0.05  # catalogue: conductor lines are snapped at 0.05 m before polygonising
STRIP_M = 0.5  # LTNG-002: uncovered strips narrower than this along the edge are ignored
RING_M = 0.5  # LTNG-005: the band lies within this distance of the roof outline
NEAR_ROOF_M = 2.0  # a down conductor within this distance of a roof serves that building
TEXT_SYMBOL_M = 1.5  # a 引下线 text within this distance of a symbol labels it, not a new one
SAME_POINT_M = 0.1  # two conductors closer than this along the perimeter are one
MIN_UNCOVERED_M2 = 0.01
MIN_GAP_M = 0.05  # LTNG-005: uncovered perimeter pieces up to the snapping tolerance
MESH = {
    1: ((5.0, 5.0), (4.0, 6.0)),
    2: ((10.0, 10.0), (8.0, 12.0)),
    3: ((20.0, 20.0), (16.0, 24.0)),
}
SPACING = {2: 18.0, 3: 25.0}
ZH_CLASS = {1: "一", 2: "二", 3: "三"}
_DIGIT = {"一": 1, "二": 2, "三": 3, "1": 1, "2": 2, "3": 3}
_CLASS_RE = re.compile(
    r"防雷类别\s*[：:为]?\s*第?([一二三123])类|第?([一二三123])类防雷(?:建筑|类别)?"
)
_DOWN_TEXT_RE = re.compile(r"引下线|利用柱内主筋")

SheetKey = tuple[int, int | None]


def _key(item: Item) -> SheetKey:
    return (id(item.drawing), item.obj.sheet)


def _declared(ctx: CheckContext) -> tuple[int | None, str]:
    """The declared class: ``lightning.class_declared``, else the class in the design notes."""
    declared = ctx.params.lightning.class_declared
    if declared is not None:
        return declared, "lightning.class_declared"
    for drawing in ctx.of(LT):
        texts = [t.text for t in drawing.model.texts]
        texts += [o.text for o in drawing.model.objects if o.text is not None]
        for text in texts:
            m = _CLASS_RE.search(text)
            if m:
                return _DIGIT[m.group(1) or m.group(2)], "design notes"
    return None, ""


def _class_or_skip(ctx: CheckContext) -> int:
    declared, _ = _declared(ctx)
    if declared is None:
        raise NotChecked(
            "未声明防雷类别（lightning.class_declared 或防雷设计说明），见 LTNG-006",
            "no lightning-protection class is declared (lightning.class_declared or the "
            "design notes); see LTNG-006",
        )
    return declared


@dataclass
class Roof:
    """One building's roof: a connected part of the roof outlines of one sheet."""

    key: SheetKey
    polygon: Polygon
    items: list[Item]
    down: list[Point] = field(default_factory=list)
    down_handles: list[str] = field(default_factory=list)

    @property
    def item(self) -> Item:
        return self.items[0]

    @property
    def ring(self) -> LineString:
        """The outer perimeter as a line (arc length runs along it)."""
        return LineString(self.polygon.exterior.coords)

    @property
    def handles(self) -> list[str]:
        return [i.obj.handle for i in self.items]


def _roofs(ctx: CheckContext) -> list[Roof]:
    """Roof outlines (E-LTNG-ROOF) per sheet, merged into connected parts (one per building)."""
    items = ctx.require(LT, "E-LTNG-ROOF", closed=True, texts=False)
    by_sheet: dict[SheetKey, list[Item]] = defaultdict(list)
    for i in items:
        by_sheet[_key(i)].append(i)
    roofs = []
    for key, members in by_sheet.items():
        merged = shapely.union_all([m.geometry for m in members])
        parts = [p for p in shapely.get_parts(merged) if isinstance(p, Polygon) and p.area > 0]
        p_idx, m_idx = shapely.STRtree([m.geometry for m in members]).query(
            parts, predicate="intersects"
        )
        owned: dict[int, list[Item]] = defaultdict(list)
        for p, m in zip(p_idx.tolist(), m_idx.tolist(), strict=True):
            owned[p].append(members[m])
        roofs += [Roof(key, part, owned[k]) for k, part in enumerate(parts)]
    return roofs


def _down_conductors(ctx: CheckContext, roofs: Sequence[Roof]) -> list[Roof]:
    """Attach the down-conductor points (E-LTNG-DOWN) to the roofs within 2 m of them.

    Symbols (INSERT, CIRCLE, POINT, closed shapes) count once each; a text 引下线 /
    利用柱内主筋 counts only where no symbol lies within 1.5 m (otherwise it labels it).
    """
    symbols = [
        i
        for i in ctx.require(LT, "E-LTNG-DOWN")
        if not i.is_text
        and not i.obj.in_block
        and (i.obj.kind in ("INSERT", "CIRCLE", "POINT") or i.obj.closed)
    ]
    texts = [i for i in ctx.items(LT, "E-LTNG-DOWN", texts=True) if _DOWN_TEXT_RE.search(i.text)]
    points = [
        Point(i.obj.point) if i.obj.kind == "INSERT" and i.obj.point else i.geometry.centroid
        for i in symbols
    ]
    owners = list(symbols)
    if texts and symbols:
        t_idx, s_idx = shapely.STRtree(points).query_nearest(
            [t.geometry for t in texts], max_distance=TEXT_SYMBOL_M
        )
        labelled = {
            t
            for t, s in zip(t_idx.tolist(), s_idx.tolist(), strict=True)
            if _key(texts[t]) == _key(symbols[s])
        }
    else:
        labelled = set()
    for t, text in enumerate(texts):
        if t not in labelled:
            points.append(text.geometry.centroid)
            owners.append(text)
    if not points:
        return list(roofs)
    r_idx, p_idx = shapely.STRtree(points).query(
        [r.polygon for r in roofs], predicate="dwithin", distance=NEAR_ROOF_M
    )
    for r, p in sorted(zip(r_idx.tolist(), p_idx.tolist(), strict=True)):
        if _key(owners[p]) == roofs[r].key:
            roofs[r].down.append(points[p])
            roofs[r].down_handles.append(owners[p].obj.handle)
    return list(roofs)


def _linework(ctx: CheckContext) -> dict[SheetKey, BaseGeometry]:
    """Air-termination lines (E-LTNG-TERM) per sheet, snapped within 0.05 m and noded."""
    items = ctx.require(LT, "E-LTNG-TERM", texts=False)
    by_sheet: dict[SheetKey, list[BaseGeometry]] = defaultdict(list)
    for i in items:
        g = i.geometry
        by_sheet[_key(i)].append(g.boundary if g.geom_type in ("Polygon", "MultiPolygon") else g)
    return {key: _close_gaps(shapely.union_all(geoms)) for key, geoms in by_sheet.items()}


def _close_gaps(noded: BaseGeometry) -> BaseGeometry:
    """Snap dangling line ends onto the nearest other conductor within 0.05 m.

    After noding, a line end that meets nothing is a dangle; drawn a few centimetres short of
    a conductor it would leave its cell open. Dangles within 0.05 m of each other are joined;
    any other dangle gets a connector (≤ 0.05 m) to the nearest other segment. STR-tree
    queries: n log n, not all pairs.
    """
    segs = shapely.get_parts(noded)
    if len(segs) == 0:
        return noded
    ends = np.concatenate([shapely.get_point(segs, 0), shapely.get_point(segs, -1)])
    xy = np.round(shapely.get_coordinates(ends), 6)
    _, inverse, counts = np.unique(xy, axis=0, return_inverse=True, return_counts=True)
    dangles = ends[counts[inverse.ravel()] == 1]
    if len(dangles) == 0:
        return noded
    # two ends that nearly meet (a corner drawn open) are joined to each other
    a, b = shapely.STRtree(dangles).query(dangles, predicate="dwithin", distance=SNAP_M)
    pair = a < b
    links = [shapely.shortest_line(dangles[a[pair]], dangles[b[pair]])]
    alone = np.ones(len(dangles), dtype=bool)
    alone[a[pair]] = alone[b[pair]] = False
    # any other end is joined to the nearest segment (a T-junction drawn short)
    lone = dangles[alone]
    d_idx, s_idx = shapely.STRtree(segs).query(lone, predicate="dwithin", distance=SNAP_M)
    dist = shapely.distance(lone[d_idx], segs[s_idx])
    apart = dist > 1e-9  # a dangle lies on its own segment (distance 0)
    d_idx, s_idx, dist = d_idx[apart], s_idx[apart], dist[apart]
    order = np.lexsort((dist, d_idx))
    _, first = np.unique(d_idx[order], return_index=True)
    pick = order[first]
    links.append(shapely.shortest_line(lone[d_idx[pick]], segs[s_idx[pick]]))
    return shapely.union_all(np.concatenate([segs, *links]))


def _roof_cells(ctx: CheckContext) -> list[tuple[Roof, np.ndarray]]:
    """Each roof with the mesh cells that overlap it: the polygons the noded conductor lines
    of its sheet enclose (one STR-tree query per roof)."""
    trees: dict[SheetKey, tuple[np.ndarray, shapely.STRtree]] = {}
    for key, lines in _linework(ctx).items():
        cells = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
        cells = cells[shapely.area(cells) > 0]
        trees[key] = (cells, shapely.STRtree(cells))
    out = []
    for roof in _roofs(ctx):
        cells, tree = trees.get(roof.key, (np.empty(0, dtype=object), shapely.STRtree([])))
        hit = tree.query(roof.polygon, predicate="intersects")
        out.append((roof, cells[np.sort(hit)]))
    return out


def _cls_params(cls: int, **extra: Any) -> dict[str, Any]:
    return {"lightning.class_declared": cls, **extra}


# --- LTNG-006 ------------------------------------------------------------------------------------


@rule(
    "LTNG-006",
    "class-declared",
    params=(
        "lightning.class_declared",
        "lightning.n_per_year",
        "lightning.important_crowded",
        "building.use",
        "project.code_edition",
    ),
)
def class_too_weak(ctx: CheckContext) -> Iterator[Violation]:
    """Lightning-protection class missing or weaker than required (防雷类别不足)

    Compares the declared class (``lightning.class_declared``, else the class in the design
    notes, e.g. 防雷类别：二类 / 第二类防雷建筑物) with the minimum derived from the use and the
    expected annual strikes N (``lightning.n_per_year``). Class 1 is the strictest.

    Clause: GB 50057-2010 3.0.3, 3.0.4; GB 55038-2025 7.4.6

    **Fails when** no class is declared (error); or the declared class is weaker than the
    minimum (error): class 2 when N > 0.05/a for ministry or provincial offices and important
    crowded public buildings (``lightning.important_crowded``) or N > 0.25/a for residential,
    office and general civil buildings; class 3 when 0.01 ≤ N ≤ 0.05 and 0.05 ≤ N ≤ 0.25
    respectively; residential buildings under edition 2025 need at least class 3 whatever N.

    **Passes when** the declared class is the minimum or stricter.

    **Known limits** N is not computed from the drawings: when ``lightning.n_per_year`` is
    missing the rule reports an info finding. Class 1 (explosive contents) and the special
    buildings of 3.0.3 other than those named above are for the reviewer.
    """
    declared, source = _declared(ctx)
    roofs = ctx.items(LT, "E-LTNG-ROOF", closed=True, texts=False)
    where = roofs[0] if roofs else None  # the finding concerns the building: its roof
    if declared is None:
        yield ctx.violation(
            where,
            "未声明防雷类别（lightning.class_declared 或防雷设计说明中的“防雷类别”）",
            "no lightning-protection class is declared (lightning.class_declared or the "
            "class in the design notes)",
        )
        return
    lp = ctx.params.lightning
    n = lp.n_per_year
    use = ctx.use
    residential_2025 = use == "residential" and ctx.params.code_edition == "2025"
    used: dict[str, Any] = {
        "lightning.class_declared": declared,
        "source": source,
        "lightning.important_crowded": lp.important_crowded,
        "building.use": use,
        "project.code_edition": ctx.params.code_edition,
    }
    if n is None:
        yield ctx.violation(
            where,
            f"未给出年预计雷击次数 N（lightning.n_per_year），无法核验所声明的{ZH_CLASS[declared]}类防雷",
            f"the expected annual strikes N (lightning.n_per_year) are not given: the declared "
            f"class {declared} cannot be checked against N",
            severity=Severity.INFO,
            params=used,
        )
        return
    t2, t3 = (0.05, 0.01) if lp.important_crowded else (0.25, 0.05)
    minimum: int | None = 2 if n > t2 else 3 if n >= t3 else None
    if minimum is None and residential_2025:
        minimum = 3
    used.update({"lightning.n_per_year": n, "class2_above": t2, "class3_from": t3})
    if minimum is not None and declared > minimum:
        yield ctx.violation(
            where,
            f"声明为{ZH_CLASS[declared]}类防雷，但 N = {n:g} 次/a 要求不低于{ZH_CLASS[minimum]}类",
            f"declared class {declared}, but N = {n:g}/a requires class {minimum} or stricter",
            measured=declared,
            limit=minimum,
            unit="class",
            params=used,
        )


# --- LTNG-003 / 004: down conductors -----------------------------------------------------------


@rule("LTNG-003", "down-conductor-count", params=("lightning.class_declared",))
def too_few_down_conductors(ctx: CheckContext) -> Iterator[Violation]:
    """Too few down conductors (引下线数量不足)

    Counts, per building (connected roof outline on E-LTNG-ROOF), the down conductors within
    2 m of the roof: blocks, circles or points on E-LTNG-DOWN, or a text 引下线 /
    利用柱内主筋 on that layer that labels no symbol.

    Clause: GB 50057-2010 4.3.3, 4.4.3

    **Fails when** a class 2 or class 3 building has fewer than 2 down conductors.

    **Passes when** there are at least 2 (their even spread is LTNG-004).

    **Known limits** not evaluated for class 1 (the class-1 provisions of 4.2 differ).
    Conductors drawn further than 2 m from every roof outline are not counted. No roof
    outline, no E-LTNG-DOWN or no declared class: not checked.
    """
    cls = _class_or_skip(ctx)
    if cls == 1:
        raise NotChecked("第一类防雷建筑物不按本条计数", "not evaluated for class 1")
    for roof in _down_conductors(ctx, _roofs(ctx)):
        count = len(roof.down)
        if count < 2:
            yield ctx.violation(
                roof.item,
                f"屋面（{ZH_CLASS[cls]}类防雷）只有 {count} 根引下线，应不少于 2 根",
                f"the roof (class {cls}) has {count} down conductors; at least 2 are required",
                geometry=roof.polygon,
                handles=roof.handles + roof.down_handles,
                measured=count,
                limit=2,
                unit="conductors",
                params=_cls_params(cls),
            )


def _gap_line(ring: LineString, start: float, end: float) -> BaseGeometry:
    """The part of the perimeter from arc length ``start`` to ``end`` (wrapping round)."""
    if end > ring.length:
        return MultiLineString(
            [substring(ring, start, ring.length), substring(ring, 0.0, end - ring.length)]
        )
    return substring(ring, start, end)


@rule(
    "LTNG-004",
    "down-conductor-spacing",
    params=("lightning.class_declared", "lightning.down_spacing_class1_m"),
)
def down_conductor_spacing_too_large(ctx: CheckContext) -> Iterator[Violation]:
    """Down conductors too far apart (引下线间距过大)

    Projects the down conductors of each building (see LTNG-003) onto the roof perimeter and
    takes the arc-length gaps between consecutive points, wrapping round, and the average
    spacing (perimeter ÷ count).

    Clause: GB 50057-2010 4.3.3, 4.4.3; class 1: 4.2.4

    **Fails when** the average spacing exceeds the limit: class 2 18 m, class 3 25 m (error);
    class 1 ``lightning.down_spacing_class1_m`` (threshold unverified: configurable, default
    12 m; always a warning). A single gap above the limit while the average is within it is a
    warning (the large-span exception of the code).

    **Passes when** every gap, and so the average, is within the limit (equal passes).

    **Known limits** the perimeter is the outer roof outline; conductors on courtyard edges
    are projected onto it. A building without any conductor is reported with the whole
    perimeter as its gap. No roof outline, no E-LTNG-DOWN or no declared class: not checked.
    """
    cls = _class_or_skip(ctx)
    limit = SPACING.get(cls, ctx.params.lightning.down_spacing_class1_m)
    avg_severity = Severity.WARNING if cls == 1 else Severity.ERROR
    used = _cls_params(cls, spacing_limit_m=limit)
    for roof in _down_conductors(ctx, _roofs(ctx)):
        ring = roof.ring
        length = ring.length
        located = shapely.line_locate_point(ring, np.array(roof.down, dtype=object))
        pos: list[float] = sorted({round(float(v), 6) for v in np.atleast_1d(located)})
        kept = [float(p) for i, p in enumerate(pos) if i == 0 or p - pos[i - 1] >= SAME_POINT_M]
        if len(kept) > 1 and kept[-1] - kept[0] > length - SAME_POINT_M:
            kept.pop()
        n = len(kept)
        average = length / n if n else length
        if average > limit:
            yield ctx.violation(
                roof.item,
                f"屋面周长 {length:.1f} m、引下线 {n} 根，平均间距 {average:.2f} m，"
                f"超过{ZH_CLASS[cls]}类防雷的 {limit:g} m",
                f"perimeter {length:.1f} m with {n} down conductors: average spacing "
                f"{average:.2f} m exceeds {limit:g} m for class {cls}",
                geometry=ring,
                handles=roof.handles + roof.down_handles,
                measured=average,
                limit=limit,
                unit="m",
                severity=avg_severity,
                params=used,
            )
            continue
        for i, start in enumerate(kept):
            end = kept[i + 1] if i + 1 < n else kept[0] + length
            gap = end - start
            if gap > limit:
                yield ctx.violation(
                    roof.item,
                    f"相邻引下线沿屋面周长相距 {gap:.2f} m，超过 {limit:g} m（平均间距 "
                    f"{average:.2f} m 满足要求，按大跨度例外请复核）",
                    f"two consecutive down conductors are {gap:.2f} m apart along the "
                    f"perimeter, more than {limit:g} m (the average {average:.2f} m is within "
                    "the limit: large-span exception, review)",
                    geometry=_gap_line(ring, start, end),
                    handles=roof.handles,
                    measured=gap,
                    limit=limit,
                    unit="m",
                    severity=Severity.WARNING,
                    params=used,
                )


# --- LTNG-005: perimeter ring -------------------------------------------------------------------


@rule(
    "LTNG-005",
    "perimeter-ring",
    params=("lightning.class_declared", "building.height_m"),
)
def perimeter_ring_missing(ctx: CheckContext) -> Iterator[Violation]:
    """Air-termination band missing along part of the roof perimeter (屋面周边接闪带不连续)

    For class 2 buildings higher than 45 m and class 3 buildings higher than 60 m, the
    air-termination lines on E-LTNG-TERM must run along the whole roof perimeter
    (E-LTNG-ROOF), within 0.5 m of the outline, to intercept side flashes at the roof edge.

    Clause: GB 50057-2010 4.3.1, 4.4.1

    **Fails when** part of the perimeter is farther than 0.5 m from every conductor (pieces up
    to the 0.05 m snapping tolerance are ignored); the measured value is the covered share.

    **Passes when** the band follows 100 % of the perimeter, or the building is not high
    enough for the requirement (class 1 has its own provisions).

    **Known limits** the band is accepted on either side of the outline within 0.5 m; that it
    sits at or outside the wall face or eave plane is for the reviewer. No roof outline, no
    E-LTNG-TERM, no declared class or unknown height: not checked.
    """
    cls = _class_or_skip(ctx)
    height = ctx.height_m
    if height is None:
        raise NotChecked(
            "建筑高度未知（building.height_m 或 BLDG 块的 HEIGHT）",
            "the building height is unknown (building.height_m or the BLDG HEIGHT)",
        )
    threshold = {2: 45.0, 3: 60.0}.get(cls)
    if threshold is None or height <= threshold:
        return
    lines = _linework(ctx)
    used = _cls_params(cls, **{"building.height_m": height, "height_threshold_m": threshold})
    for roof in _roofs(ctx):
        ring = roof.ring
        zone = ring.buffer(RING_M + 1e-6)
        # only conductors near the perimeter matter: clip before buffering the mesh
        band = (
            lines[roof.key].intersection(zone).buffer(RING_M + 1e-6) if roof.key in lines else None
        )
        rest = ring.difference(band) if band is not None else ring
        pieces = [p for p in shapely.get_parts(rest) if p.length > MIN_GAP_M]
        missing = float(sum(p.length for p in pieces))
        if missing > 0:
            share = 100.0 * (1.0 - missing / ring.length)
            yield ctx.violation(
                roof.item,
                f"建筑高度 {height:g} m（{ZH_CLASS[cls]}类防雷，> {threshold:g} m）：屋面周边有 "
                f"{missing:.2f} m 未设接闪带，覆盖 {share:.1f}%，应为 100%",
                f"height {height:g} m (class {cls}, > {threshold:g} m): {missing:.2f} m of the "
                f"roof perimeter has no air-termination band; covered {share:.1f}%, "
                "required 100%",
                geometry=shapely.union_all(pieces),
                handles=roof.handles,
                measured=share,
                limit=100.0,
                unit="%",
                params=used,
            )


# --- LTNG-001 / 002: mesh -----------------------------------------------------------------------


def _edge_strips(geoms: np.ndarray, ring: LineString) -> np.ndarray:
    """Which polygons are strips along the roof edge: mean width (2 × area ÷ perimeter, exact
    for a band of constant width) below 0.5 m, and touching the roof outline."""
    if len(geoms) == 0:
        return np.zeros(0, dtype=bool)
    length = shapely.length(geoms)
    width = np.divide(2.0 * shapely.area(geoms), length, out=np.zeros(len(geoms)), where=length > 0)
    near = np.asarray(shapely.distance(geoms, ring) <= SNAP_M, dtype=bool)
    strips: np.ndarray = np.asarray(width < STRIP_M, dtype=bool) & near
    return strips


def _mesh_limit(cls: int, a: float, b: float) -> tuple[float, float] | None:
    """``None`` when the a × b cell fits; else (measured, limit) of the side that fails."""
    (s1, _), (s2, l2) = MESH[cls]
    eps = 1e-6
    if (a <= s1 + eps and b <= s1 + eps) or (a <= s2 + eps and b <= l2 + eps):
        return None
    if a > s1 + eps:
        return a, s1
    return b, (l2 if a <= s2 + eps else s1)


@rule("LTNG-001", "mesh-size", params=("lightning.class_declared",))
def mesh_cell_too_large(ctx: CheckContext) -> Iterator[Violation]:
    """Air-termination mesh cell too large (接闪网格尺寸超限)

    Polygonises the conductor lines on E-LTNG-TERM (the band along the roof edge included;
    line ends within 0.05 m of another conductor are snapped onto it) into mesh cells and, for every cell on the roof, takes the sides
    a ≤ b of its minimum rotated rectangle.

    Clause: GB 50057-2010 4.2.1(1), 4.3.1, 4.4.1

    **Fails when** a cell fits neither rectangle of its class: class 1 5 × 5 or 6 × 4 m,
    class 2 10 × 10 or 12 × 8 m, class 3 20 × 20 or 24 × 16 m (class 2 passes if (a ≤ 10 and
    b ≤ 10) or (a ≤ 8 and b ≤ 12)). The measured value is the failing side with its limit.

    **Passes when** every cell fits (equal passes).

    **Known limits** cells of mean width (2 × area ÷ perimeter) below 0.5 m that touch the
    roof edge are parapet strips between edge conductors, not mesh cells, and are ignored. Natural air-terminations (metal
    roofing, parapet copings) are not recognised. No roof outline, no E-LTNG-TERM, no closed
    cell or no declared class: not checked.
    """
    cls = _class_or_skip(ctx)
    roofs = _roof_cells(ctx)
    if not any(len(arr) for _, arr in roofs):
        raise NotChecked(
            "E-LTNG-TERM 上的接闪线未围合成任何网格",
            "the lines on E-LTNG-TERM enclose no mesh cell",
        )
    dims = MESH[cls]
    used = _cls_params(cls, mesh_m=[list(d) for d in dims])
    for roof, arr in roofs:
        if not len(arr):
            continue
        on_roof = shapely.covers(roof.polygon, shapely.point_on_surface(arr))
        strip = _edge_strips(arr, roof.ring)
        for cell, inside, thin in zip(arr, on_roof.tolist(), strip.tolist(), strict=True):
            if not inside or thin:
                continue
            a, b = rect_sides(cell)
            failed = _mesh_limit(cls, a, b)
            if failed is None:
                continue
            measured, limit = failed
            yield ctx.violation(
                roof.item,
                f"接闪网格 {a:.2f} m × {b:.2f} m 超出{ZH_CLASS[cls]}类防雷的 "
                f"{dims[0][0]:g}×{dims[0][1]:g} m 或 {dims[1][0]:g}×{dims[1][1]:g} m",
                f"mesh cell {a:.2f} m × {b:.2f} m fits neither {dims[0][0]:g} × {dims[0][1]:g} m "
                f"nor {dims[1][0]:g} × {dims[1][1]:g} m (class {cls})",
                geometry=cell,
                handles=roof.handles,
                measured=measured,
                limit=limit,
                unit="m",
                params=used,
            )


@rule("LTNG-002", "mesh-coverage", params=("lightning.class_declared",))
def roof_not_covered(ctx: CheckContext) -> Iterator[Violation]:
    """Roof area outside the air-termination mesh (屋面未被接闪网覆盖)

    Subtracts the union of the mesh cells (see LTNG-001) from each roof outline
    (E-LTNG-ROOF): every part of the roof must lie in a cell.

    Clause: GB 50057-2010 4.3.1, 4.4.1 (Appendix B)

    **Fails when** an uncovered piece remains; one finding per piece, measured in m².

    **Passes when** the uncovered area is 0. Pieces along the roof edge narrower than 0.5 m
    (mean width 2 × area ÷ perimeter; conductors on the parapet, inside the outline) and
    pieces up to 0.01 m² are ignored.

    **Known limits** that conductors run along roof corners, ridges, eaves and eave corners is
    checked only for the perimeter (LTNG-005); ridges and corners of pitched roofs are for the
    reviewer. No roof outline, no E-LTNG-TERM or no declared class: not checked.
    """
    cls = _class_or_skip(ctx)
    for roof, mine in _roof_cells(ctx):
        rest = roof.polygon.difference(shapely.union_all(mine)) if len(mine) else roof.polygon
        pieces = shapely.get_parts(rest)
        strips = _edge_strips(pieces, roof.ring)
        for piece, strip in zip(pieces, strips.tolist(), strict=True):
            if strip or piece.area <= MIN_UNCOVERED_M2:
                continue
            yield ctx.violation(
                roof.item,
                f"屋面有 {piece.area:.2f} m² 不在接闪网格内",
                f"{piece.area:.2f} m² of the roof lies outside the air-termination mesh",
                geometry=piece,
                handles=roof.handles,
                measured=piece.area,
                limit=0.0,
                unit="m²",
                params=_cls_params(cls),
            )

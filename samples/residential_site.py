"""The site of 3#楼: land boundary, roads, fire lane, rescue site, green, parking, indicators.

The site is designed in the building's own frame (axis 1/A at the origin, millimetres), which is
how the submission standard registers drawings: on the sheet it is rotated by the building's
rotation (12°) and placed with the ``BLDG`` block at the axis 1/A point. Every indicator
(site area, FAR, density, green ratio, parking) is computed from these polygons, so the table
on the site plan cannot drift from the geometry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shapely import union_all
from shapely.geometry import LineString, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import split

from samples.dxfkit import Canvas, LayerScheme, Xform, ensure_block
from samples.residential_design import (
    BASEMENT_OUTLINE,
    FLOORS_ABOVE,
    FLOORS_BELOW,
    NAME,
    TOWER_OUTLINE,
)
from samples.residential_floors import TowerNumbers

__all__ = [
    "PLANNING",
    "ROTATION",
    "SURVEY_ORIGIN",
    "Planning",
    "Site",
    "bldg_block",
    "draw_indicators",
    "draw_site",
    "indicator_lines",
    "site",
    "site_xform",
    "survey",
]

ROTATION = 12.0
"""Rotation of the building on the site plan, degrees counter-clockwise."""
SURVEY_ORIGIN = (3881250.000, 39515680.000)
"""Survey coordinates (X northing, Y easting, CGCS2000 3° zone) of the axis 1/A point, m."""


@dataclass(frozen=True, slots=True)
class Planning:
    """The planning conditions (规划条件) of the site, as written to project.toml."""

    far_max: float = 1.8
    density_max: float = 0.25
    green_ratio_min: float = 0.35
    height_max_m: float = 60.0
    setback_road_m: float = 10.0
    setback_boundary_m: float = 8.0
    parking_per_100m2: float = 0.5


PLANNING = Planning()

STALL = (2500.0, 5300.0)
ROW_Y = ((30400.0, 35700.0), (41700.0, 47000.0))
ROW_X0 = -35500.0
STALLS_PER_ROW = 34


@dataclass(frozen=True, slots=True)
class Site:
    """Every polygon of the site plan, in the building frame (mm)."""

    redline: Polygon
    control: Polygon
    road_edges: tuple[LineString, LineString]
    road_centre: LineString
    lane: Polygon
    rescue: Polygon
    internal_road: Polygon
    apron: Polygon
    paths: tuple[Polygon, ...]
    playground: Polygon
    stalls: tuple[Polygon, ...]
    green: tuple[Polygon, ...]
    lane_width: float = 6000.0

    @property
    def area_m2(self) -> float:
        """Site area (用地面积) from the land boundary."""
        return float(self.redline.area) / 1e6

    @property
    def green_m2(self) -> float:
        """Green area: the union of the green polygons."""
        return float(union_all(list(self.green)).area) / 1e6


def _buffer_path(points: list[tuple[float, float]], half: float) -> Polygon:
    """A road of width ``2 * half`` along a centre line, square ends and mitred corners."""
    geom = LineString(points).buffer(half, cap_style="flat", join_style="mitre")
    return _clean(geom)


def _clean(geom: BaseGeometry) -> Polygon:
    poly = geom.simplify(1.0)
    coords = [(round(x, 3), round(y, 3)) for x, y in poly.exterior.coords]
    return Polygon(coords)


def _without_holes(geom: BaseGeometry) -> list[Polygon]:
    """Polygons of ``geom`` with every hole removed by cutting through it.

    A closed polyline cannot carry a hole, so a green area around a paved island is drawn as two
    polygons meeting along a cut through the island.
    """
    out: list[Polygon] = []
    todo = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon"]
    while todo:
        poly = todo.pop(0)
        if not len(poly.interiors):
            out.append(_clean(poly))
            continue
        hx = poly.interiors[0].centroid.x
        x0, y0, x1, y1 = poly.bounds
        cut = LineString([(hx, y0 - 1), (hx, y1 + 1)])
        todo.extend(g for g in split(poly, cut).geoms if g.geom_type == "Polygon")
    return out


def site(
    *,
    lane_width: float = 6000.0,
    rescue: tuple[float, float, float, float] = (-1100.0, -16000.0, 40700.0, -6000.0),
    extra_stalls: tuple[Polygon, ...] = (),
) -> Site:
    """The site design.

    The keywords exist for the package with seeded violations, which draws the same site with a
    narrower fire lane, a rescue site further from the wall and a few more stalls; the defaults
    are the clean design.
    """
    red = Polygon([(-45000, -24000), (62000, -24000), (62000, 40000), (54000, 48000),
                   (-45000, 48000)])
    inner = red.buffer(-PLANNING.setback_boundary_m * 1000, join_style="mitre")
    road_line = -24000.0
    control = _clean(inner.intersection(box(-1e6, road_line + PLANNING.setback_road_m * 1000,
                                            1e6, 1e6)))
    edges = (
        LineString([(-75000, road_line), (95000, road_line)]),
        LineString([(-75000, road_line - 24000), (95000, road_line - 24000)]),
    )
    centre = LineString([(-75000, road_line - 12000), (95000, road_line - 12000)])
    lane = _clean(_buffer_path([(-39000, road_line), (-39000, -19000), (57000, -19000),
                                (57000, road_line)], lane_width / 2).intersection(red))
    rescue_site = box(*rescue)
    ring = _buffer_path([(-39000, -19000), (-39000, 38700), (57000, 38700), (57000, -19000)],
                        3000)
    internal = ring.difference(lane)
    apron = box(-1600, -6000, 41200, 17200)
    paths = (box(-36000, 7900, -1600, 9800), box(41200, 7900, 54000, 9800))
    playground = box(-30000, 20000, -15000, 28000)
    stalls = tuple(
        box(ROW_X0 + k * STALL[0], y0, ROW_X0 + (k + 1) * STALL[0], y1)
        for y0, y1 in ROW_Y
        for k in range(STALLS_PER_ROW)
    ) + extra_stalls
    hard = union_all([lane, internal, rescue_site, apron, *paths, playground, *stalls])
    green = tuple(p for p in _without_holes(red.difference(hard)) if p.area > 5e6)
    return Site(
        redline=red,
        control=control,
        road_edges=edges,
        road_centre=centre,
        lane=lane,
        rescue=rescue_site,
        internal_road=_clean(internal) if internal.geom_type == "Polygon" else _clean(
            max(internal.geoms, key=lambda g: g.area)
        ),
        apron=apron,
        paths=paths,
        playground=playground,
        stalls=stalls,
        green=green,
        lane_width=lane_width,
    )


def survey(pt: tuple[float, float]) -> tuple[float, float]:
    """Survey coordinates (X northing, Y easting, metres) of a building-frame point (mm)."""
    a = math.radians(ROTATION)
    east = (pt[0] * math.cos(a) - pt[1] * math.sin(a)) / 1000.0
    north = (pt[0] * math.sin(a) + pt[1] * math.cos(a)) / 1000.0
    return SURVEY_ORIGIN[0] + north, SURVEY_ORIGIN[1] + east


def indicator_lines(s: Site, n: TowerNumbers) -> list[str]:
    """The indicator table (经济技术指标), one ``名称：值`` line each, values from geometry.

    ``总建筑面积`` is the FAR-counted area (计容建筑面积), which is what the planning checks
    compare it with; the basement, not counted, has its own line.
    """
    stalls = len(s.stalls)
    return [
        f"用地面积：{s.area_m2:.2f}㎡",
        f"总建筑面积：{n.gfa_m2:.2f}㎡",
        f"计容建筑面积：{n.gfa_m2:.2f}㎡",
        f"地下建筑面积（不计容）：{n.basement_m2:.2f}㎡",
        f"人防建筑面积：{n.shelter_m2:.2f}㎡",
        f"建筑基底面积：{n.footprint_m2:.2f}㎡",
        f"容积率：{n.gfa_m2 / s.area_m2:.2f}",
        f"建筑密度：{n.footprint_m2 / s.area_m2 * 100:.1f}%",
        f"绿地率：{s.green_m2 / s.area_m2 * 100:.1f}%",
        f"绿地面积：{s.green_m2:.2f}㎡",
        f"建筑高度：{n.height_m:.1f}m",
        f"层数：{FLOORS_ABOVE}/-{FLOORS_BELOW}",
        f"住宅户数：{n.dwellings}户",
        f"机动车停车位：{stalls}个",
    ]


def bldg_block(c: Canvas, floors_above: int = FLOORS_ABOVE) -> str:
    """The ``BLDG`` block: registration mark, building label and the standard's attributes.

    ``floors_above`` is the storey count of the visible label (``18F/-2``); it follows the
    ``FLOORS_ABOVE`` attribute, which the package with seeded violations sets wrong.
    """
    block, new = ensure_block(c.doc, "BLDG")
    if new:
        block.add_line((-1500, 0), (1500, 0))
        block.add_line((0, -1500), (0, 1500))
        block.add_text(
            f"住宅楼 {floors_above}F/-{FLOORS_BELOW}",
            dxfattribs={"height": 1750, "style": "HZ", "insert": (15000, 5200)},
        )
        tags = ("NAME", "FLOORS_ABOVE", "FLOORS_BELOW", "HEIGHT", "USE", "GFA")
        for k, tag in enumerate(tags):
            flags = 0 if tag == "NAME" else 1
            at = (12000, 9000) if tag == "NAME" else (2000, 2000 + 800 * k)
            block.add_attdef(tag, at, "", height=2500 if tag == "NAME" else 500,
                             dxfattribs={"flags": flags, "style": "HZ", "prompt": tag})
    return "BLDG"


def draw_site(
    c: Canvas,
    sheet: Canvas,
    s: Site,
    n: TowerNumbers,
    layers: LayerScheme,
    *,
    planning: bool,
    outline: Polygon = TOWER_OUTLINE,
    basement: Polygon = BASEMENT_OUTLINE,
    floors_above: int = FLOORS_ABOVE,
) -> None:
    """Draw the site plan: ``c`` is placed and rotated with the building, ``sheet`` is not.

    ``planning`` draws the full planning site plan (green, parking, basement); otherwise the
    fire site plan (fire lane, rescue site and the outlines they refer to). Both share the same
    polygons, which is what the cross-drawing check of fire lanes and rescue sites expects.
    ``outline``, ``basement`` and ``floors_above`` are what the site plan shows of the building;
    the defaults agree with the floor plans.
    """
    c.polygon(s.redline, layers.redline)
    for edge in s.road_edges:
        c.polyline([(float(x), float(y)) for x, y in edge.coords], layers.road_redline,
                   closed=False)
    c.polyline([(float(x), float(y)) for x, y in s.road_centre.coords], layers.road,
               closed=False)
    c.polygon(s.control, layers.control_line)
    c.polygon(outline, layers.outline)
    c.polygon(s.internal_road, layers.road)
    c.polygon(s.lane, layers.lane)
    c.polygon(s.rescue, layers.rescue)
    c.insert(
        bldg_block(c, floors_above),
        (0.0, 0.0),
        layers.building_tag,
        attribs={
            "NAME": NAME,
            "FLOORS_ABOVE": str(floors_above),
            "FLOORS_BELOW": str(FLOORS_BELOW),
            "HEIGHT": f"{n.height_m:.1f}",
            "USE": "residential",
            "GFA": f"{n.gfa_m2:.2f}",
        },
        hidden=("FLOORS_ABOVE", "FLOORS_BELOW", "HEIGHT", "USE", "GFA"),
    )
    c.text(f"H={n.height_m:.1f}m", (19800, 2500), layers.notes, size=3.0)
    c.text("沂河路（城市主干道，道路红线宽24m）", (20000, -36000 + 2500), layers.notes, size=4.0)
    rx0, ry0, rx1, ry1 = s.rescue.bounds
    c.text(f"消防车道（宽{s.lane_width / 1000:.1f}m）", (20000, -19000), layers.notes, size=2.5)
    c.text(f"消防车登高操作场地 {(rx1 - rx0) / 1000:.1f}m×{(ry1 - ry0) / 1000:.1f}m",
           ((rx0 + rx1) / 2, (ry0 + ry1) / 2), layers.notes, size=2.5)
    c.text("用地红线", (-44000, 20000), layers.notes, size=2.5, angle=90.0, align="BOTTOM_CENTER")
    c.text("建筑控制线", (-36500, 20000), layers.notes, size=2.5, angle=90.0,
           align="BOTTOM_CENTER")
    for corner in ((-100.0, -100.0), (39700.0, 15700.0)):
        x, y = survey(corner)
        dy = -2500.0 if corner[1] < 0 else 2500.0
        c.text(f"X={x:.3f}", (corner[0], corner[1] + dy), layers.notes, size=2.0)
        c.text(f"Y={y:.3f}", (corner[0], corner[1] + dy - 1200), layers.notes, size=2.0)
    c.text("±0.000=86.450", (19800, 12500), layers.notes, size=2.5)
    # setbacks and the rescue site
    c.dim((19800, -100), (19800, -24000), (19800, -12000), layers.dims, angle=90.0)
    c.dim((-100, 4000), (-45000, 4000), (-20000, 4000), layers.dims)
    c.dim((30000, -100), (30000, ry1), (30000, ry1 / 2), layers.dims, angle=90.0)
    c.dim((rx0, ry0), (rx1, ry0), (0, ry0 - 1500), layers.dims)
    if planning:
        c.polygon(basement, layers.basement)
        for g in s.green:
            c.polygon(g, layers.green)
        for stall in s.stalls:
            c.polygon(stall, layers.parking)
        c.polygon(s.apron, layers.paving)
        for p in s.paths:
            c.polygon(p, layers.paving)
        c.polygon(s.playground, layers.paving)
        c.hatch([(float(x), float(y)) for x, y in s.playground.exterior.coords[:-1]],
                layers.paving, pattern="ANSI37", pattern_scale=200.0)
        c.text("儿童活动场地", (-22500, 24000), layers.notes, size=2.5)
        c.text(f"地面停车位{len(s.stalls)}个", (7000, 38700), layers.notes, size=3.0)
        c.text("地下室范围（地下二层）", (-18000, -6500), layers.notes, size=2.5)
    _north_arrow(sheet, layers.notes)


def _north_arrow(c: Canvas, layer: str) -> None:
    """North arrow in the sheet's right half: the sheet's +y is north."""
    r = 12.0 * c.scale
    x, y = 255000.0, 50000.0
    c.circle((x, y), r, layer)
    c.polyline([(x, y + r), (x - r * 0.25, y - r), (x, y - r * 0.6), (x + r * 0.25, y - r)],
               layer)
    c.text("北", (x, y + r + 4.0 * c.scale), layer, size=5.0)


def draw_indicators(c: Canvas, lines: list[str], layer: str, notes: str, at: tuple[float, float]
                    ) -> None:
    """The indicator table: a ruled box with one TEXT per line on the indicator layer."""
    x0, y0 = at
    row = 8.0 * c.scale
    width = 110.0 * c.scale
    c.text("经济技术指标", (x0 + width / 2, y0 + row / 2), notes, size=5.0)
    top = y0
    bottom = y0 - row * len(lines)
    c.rect(x0, bottom, x0 + width, top + row, layer)
    for k in range(len(lines) + 1):
        c.line((x0, top - k * row), (x0 + width, top - k * row), layer)
    for k, line in enumerate(lines):
        c.text(line, (x0 + 3.0 * c.scale, top - (k + 0.5) * row), layer, size=3.5,
               align="MIDDLE_LEFT")


def site_xform(sheet_origin: tuple[float, float]) -> Xform:
    """Where the building frame lies on a site-plan sheet placed at ``sheet_origin``."""
    return Xform(sheet_origin[0] + 112000.0, sheet_origin[1] + 100000.0, ROTATION)

"""The site of 1#办公楼: land boundary, road, fire lane, rescue site, green, parking, indicators.

Designed in the building frame (axis 1/A at the origin, millimetres) like the residential site,
and placed on the sheet rotated by :data:`ROTATION`. The fire lane runs round the north of the
building with the rescue site (登高操作场地) between lane and north façade, along the whole long
side; the basement with the shelter lies under the southern forecourt. Every indicator is
computed from these polygons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shapely import union_all
from shapely.geometry import LineString, Polygon, box

from samples.dxfkit import Canvas, LayerScheme, Xform, ensure_block
from samples.office_design import (
    BASEMENT_OUTLINE,
    DATUM,
    FLOORS_ABOVE,
    FLOORS_BELOW,
    NAME,
    OFFICE_OUTLINE,
    OfficeNumbers,
)
from samples.residential_site import _buffer_path, _clean, _without_holes

__all__ = ["PLANNING", "ROTATION", "OfficePlanning", "OfficeSite", "draw_site", "indicator_lines",
           "site", "site_xform"]

ROTATION = -6.0
"""Rotation of the building on the site plan, degrees counter-clockwise."""
SURVEY_ORIGIN = (4391620.000, 40437250.000)
"""Survey coordinates (X northing, Y easting, CGCS2000 3° zone) of the axis 1/A point, m."""
STALL = (2500.0, 5300.0)
STALL_BANDS = ((-21000.0, -15700.0), (-38500.0, -33200.0))
STALL_RUNS = ((-10000.0, 13), (27500.0, 13))
"""Each band of stalls: runs of (first x, count) left and right of the entrance walk."""


@dataclass(frozen=True, slots=True)
class OfficePlanning:
    """The planning conditions (规划条件) of the site, as written to project.toml."""

    far_max: float = 1.6
    density_max: float = 0.35
    green_ratio_min: float = 0.30
    height_max_m: float = 50.0
    setback_road_m: float = 10.0
    setback_boundary_m: float = 8.0
    parking_per_100m2: float = 0.4


PLANNING = OfficePlanning()


@dataclass(frozen=True, slots=True)
class OfficeSite:
    """Every polygon of the site plan, in the building frame (mm)."""

    redline: Polygon
    control: Polygon
    road_edges: tuple[LineString, LineString]
    lane: Polygon
    rescue: Polygon
    plaza: Polygon
    walk: Polygon
    stalls: tuple[Polygon, ...]
    green: tuple[Polygon, ...]
    lane_width: float

    @property
    def area_m2(self) -> float:
        """Site area (用地面积) from the land boundary."""
        return float(self.redline.area) / 1e6

    @property
    def green_m2(self) -> float:
        """Green area: the union of the green polygons."""
        return float(union_all(list(self.green)).area) / 1e6


def site(*, lane_width: float = 6000.0,
         rescue: tuple[float, float, float, float] = (-600.0, 24750.0, 51000.0, 35000.0),
         stall_bands: tuple[tuple[float, float], ...] = STALL_BANDS) -> OfficeSite:
    """The site design; the keywords let the package with seeded violations change it."""
    red = box(-20000, -40000, 70000, 46000)
    road_line = -40000.0
    inner = red.buffer(-PLANNING.setback_boundary_m * 1000, join_style="mitre")
    control = _clean(inner.intersection(box(-1e6, road_line + PLANNING.setback_road_m * 1000,
                                            1e6, 1e6)))
    edges = (LineString([(-50000, road_line), (100000, road_line)]),
             LineString([(-50000, road_line - 30000), (100000, road_line - 30000)]))
    lane = _clean(_buffer_path([(-14000, road_line), (-14000, 38000), (64000, 38000),
                                (64000, road_line)], lane_width / 2).intersection(red))
    rescue_site = box(*rescue)
    plaza = box(-3000, -6000, 53400, 24750)
    walk = box(23700, road_line, 26700, -6000)
    stalls = tuple(
        box(x0 + k * STALL[0], y0, x0 + (k + 1) * STALL[0], y1)
        for y0, y1 in stall_bands
        for x0, count in STALL_RUNS
        for k in range(count)
    )
    hard = union_all([lane, rescue_site, plaza, walk, *stalls])
    green = tuple(p for p in _without_holes(red.difference(hard)) if p.area > 5e6)
    return OfficeSite(red, control, edges, lane, rescue_site, plaza, walk, stalls, green,
                      lane_width)


def survey(pt: tuple[float, float]) -> tuple[float, float]:
    """Survey coordinates (X northing, Y easting, metres) of a building-frame point (mm)."""
    a = math.radians(ROTATION)
    east = (pt[0] * math.cos(a) - pt[1] * math.sin(a)) / 1000.0
    north = (pt[0] * math.sin(a) + pt[1] * math.cos(a)) / 1000.0
    return SURVEY_ORIGIN[0] + north, SURVEY_ORIGIN[1] + east


def indicator_lines(s: OfficeSite, n: OfficeNumbers) -> list[str]:
    """The indicator table (经济技术指标): ``名称：值`` lines, values from the geometry."""
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
        f"机动车停车位：{len(s.stalls)}个（另设地下车位）",
    ]


def bldg_block(c: Canvas, floors_above: int) -> str:
    """The ``BLDG`` block: registration mark, label ``办公楼 9F/-1`` and the attributes."""
    block, new = ensure_block(c.doc, "BLDG")
    if new:
        block.add_line((-1500, 0), (1500, 0))
        block.add_line((0, -1500), (0, 1500))
        block.add_text(f"办公楼 {floors_above}F/-{FLOORS_BELOW}",
                       dxfattribs={"height": 1750, "style": "HZ", "insert": (18000, 6000)})
        tags = ("NAME", "FLOORS_ABOVE", "FLOORS_BELOW", "HEIGHT", "USE", "GFA")
        for k, tag in enumerate(tags):
            at = (14000, 9500) if tag == "NAME" else (2000, 2000 + 800 * k)
            block.add_attdef(tag, at, "", height=2500 if tag == "NAME" else 500,
                             dxfattribs={"flags": 0 if tag == "NAME" else 1, "style": "HZ",
                                         "prompt": tag})
    return "BLDG"


def draw_site(c: Canvas, s: OfficeSite, n: OfficeNumbers, layers: LayerScheme, *,
              planning: bool, outline: Polygon = OFFICE_OUTLINE,
              floors_above: int = FLOORS_ABOVE) -> None:
    """Draw the site plan in the building frame; ``planning`` adds green, parking, basement.

    Both site plans draw the same boundary, lane and rescue-site polygons, as the cross-drawing
    checks expect; ``outline`` and ``floors_above`` are what the plan shows of the building.
    """
    c.polygon(s.redline, layers.redline)
    for edge in s.road_edges:
        c.polyline([(float(x), float(y)) for x, y in edge.coords], layers.road_redline,
                   closed=False)
    c.polyline([(-50000.0, -55000.0), (100000.0, -55000.0)], layers.road, closed=False)
    c.polygon(s.control, layers.control_line)
    c.polygon(outline, layers.outline)
    c.polygon(s.lane, layers.lane)
    c.polygon(s.rescue, layers.rescue)
    c.insert(
        bldg_block(c, floors_above), (0.0, 0.0), layers.building_tag,
        attribs={"NAME": NAME, "FLOORS_ABOVE": str(floors_above),
                 "FLOORS_BELOW": str(FLOORS_BELOW), "HEIGHT": f"{n.height_m:.1f}",
                 "USE": "office", "GFA": f"{n.gfa_m2:.2f}"},
        hidden=("FLOORS_ABOVE", "FLOORS_BELOW", "HEIGHT", "USE", "GFA"),
    )
    rx0, ry0, rx1, ry1 = s.rescue.bounds
    c.text(f"H={n.height_m:.1f}m", (25200, 3000), layers.notes, size=3.0)
    c.text("滨河大道（城市主干道，道路红线宽30m）", (25000, -52000), layers.notes, size=4.0)
    c.text(f"消防车道（宽{s.lane_width / 1000:.1f}m）", (25000, 38000), layers.notes, size=2.5)
    c.text(f"消防车登高操作场地 {(rx1 - rx0) / 1000:.1f}m×{(ry1 - ry0) / 1000:.1f}m",
           ((rx0 + rx1) / 2, (ry0 + ry1) / 2), layers.notes, size=2.5)
    c.text(f"±0.000={DATUM:.3f}", (25200, 15000), layers.notes, size=2.5)
    for corner in ((-150.0, -150.0), (50550.0, 18750.0)):
        x, y = survey(corner)
        dy = -2500.0 if corner[1] < 0 else 2500.0
        c.text(f"X={x:.3f}", (corner[0], corner[1] + dy), layers.notes, size=2.0)
        c.text(f"Y={y:.3f}", (corner[0], corner[1] + dy - 1200), layers.notes, size=2.0)
    c.dim((25200, -150), (25200, -40000), (30000, -20000), layers.dims, angle=90.0)
    c.dim((40000, 18750), (40000, ry0), (40000, (18750 + ry0) / 2), layers.dims, angle=90.0)
    if planning:
        c.polygon(BASEMENT_OUTLINE, layers.basement)
        for g in s.green:
            c.polygon(g, layers.green)
        for stall in s.stalls:
            c.polygon(stall, layers.parking)
        c.polygon(s.plaza, layers.paving)
        c.polygon(s.walk, layers.paving)
        c.text(f"地面停车位{len(s.stalls)}个", (5000, -24000), layers.notes, size=3.0)
        c.text("地下室范围（地下一层，含人防）", (25200, -12000), layers.notes, size=2.5)


def site_xform(sheet_origin: tuple[float, float]) -> Xform:
    """Where the building frame lies on a site-plan sheet placed at ``sheet_origin``."""
    return Xform(sheet_origin[0] + 105000.0, sheet_origin[1] + 115000.0, ROTATION)

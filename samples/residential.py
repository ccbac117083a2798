"""The residential tower package: five drawings, project.toml and layers.toml for 3#楼.

Each drawing uses a different layer convention on purpose, because real packages do: the
architecture in TArch names, fire and civil defence in institute names (civil defence with a
firm's own room and axis-label layers, declared in ``layers.toml``), the planning site plan in
the Chinese TArch names as an R2000 file in GBK, the lightning plan in TArch names. Every figure
written anywhere (notes, indicator table, block attributes, project.toml) comes from
:mod:`samples.residential_floors` and :mod:`samples.residential_site`.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ezdxf.document import Drawing
from shapely import union_all
from shapely.geometry import LineString, Polygon, box
from shapely.ops import polygonize

from samples.dxfkit import (
    PAPERS,
    Canvas,
    LayerScheme,
    Point,
    Xform,
    define_frame,
    door_size,
    new_document,
    write_dxf,
)
from samples.residential_design import (
    BASEMENT_OUTLINE,
    DATUM,
    FLOORS_ABOVE,
    FLOORS_BELOW,
    GRADE,
    NAME,
    PARAPET,
    STOREY,
    TOWER_OUTLINE,
    Floor,
)
from samples.residential_floors import FLOORS, TowerNumbers, numbers
from samples.residential_plans import PlanOptions, draw_floor, fire_notes_for
from samples.residential_site import (
    PLANNING,
    Site,
    draw_indicators,
    draw_site,
    indicator_lines,
    site,
    site_xform,
)

__all__ = [
    "LAYER_SCHEMES",
    "UNMAPPED",
    "Placements",
    "Tower",
    "build",
    "clean_tower",
    "down_conductors",
    "mesh_lines",
    "write_package",
]

PROJECT = "临沂市某住宅小区 3#楼"
FIRM = "某建筑设计研究院有限公司"
STAMP = datetime(2025, 3, 18, 9, 0, tzinfo=UTC)
SHEET_GAP = 20000.0

ARCHITECTURE = LayerScheme(
    frame="图框",
    dims="PUB_DIM",
    notes="标注文字",
    furniture="FURNITURE",
    wall="WALL",
    column="COLUMN",
    door="DOOR_FIRE",
    door_iden="DOOR_FIRE_TEXT",
    window="WINDOW",
    window_iden="WINDOW_TEXT",
    stair="STAIR",
    lift="EVTR",
    fixture="LATRINE",
    room="SPACE",
    room_iden="SPACE",
    axis="DOTE",
    axis_iden="AXIS_TEXT",
)
FIRE = LayerScheme(
    frame="G-ANNO-TTLB",
    dims="A-ANNO-DIMS",
    notes="A-ANNO-TEXT",
    furniture="A-FURN",
    wall="A-WALL",
    column="A-COLU",
    door="A-DOOR",
    door_iden="A-DOOR-IDEN",
    window="A-WIND",
    window_iden="A-WIND-IDEN",
    stair="A-STRS",
    lift="A-EVTR",
    fixture="A-FIXT",
    room="AD-AREA-OUTL",
    room_iden="AD-NAME-ROOM",
    axis="A-DOTE",
    axis_iden="A-AXIS-IDEN",
    compartment="F-AREA",
    exit="F-EXIT",
    stair_core="F-STRS",
    front_room="F-FRNT",
    fire_lift="F-EVTR",
    lane="F-LANE",
    rescue="F-SITE",
    redline="A-REDL",
    road_redline="A-ROAD-RED",
    control_line="A-REDL-ARCH",
    outline="A-MAST-ROOF",
    basement="A-MAST-BASE",
    building_tag="A-ANNO-BLDG",
    road="A-ANNO-ROAD",
)
CIVIL_DEFENCE = LayerScheme(
    frame="G-ANNO-TTLB",
    dims="A-ANNO-DIMS",
    notes="A-ANNO-TEXT",
    wall="A-WALL",
    column="A-COLU",
    door="A-DOOR",
    door_iden="A-DOOR-IDEN",
    window="A-WIND",
    window_iden="A-WIND-IDEN",
    stair="A-STRS",
    lift="A-EVTR",
    room="房间轮廓",
    room_iden="房间名称",
    axis="A-DOTE",
    axis_iden="A-AXIS-IDEN",
    unit="R-UNIT",
    blast_unit="R-BLST",
    entrance="R-ENTR",
)
PLANNING_LAYERS = LayerScheme(
    frame="图框",
    dims="尺寸标注",
    notes="标注文字",
    redline="用地红线",
    road_redline="道路红线",
    control_line="建筑控制线",
    outline="建筑轮廓",
    basement="地下室轮廓",
    green="绿地",
    parking="车位",
    indicators="经济技术指标",
    lane="消防车道",
    rescue="登高场地",
    building_tag="楼号",
    road="道路",
    paving="铺装",
)
LIGHTNING = LayerScheme(
    frame="图框",
    dims="尺寸标注",
    notes="标注文字",
    wall="WALL",
    axis="DOTE",
    axis_iden="AXIS_TEXT",
    roof="屋面轮廓",
    air_termination="接闪带",
    down_conductor="引下线",
)
LAYER_SCHEMES: dict[str, LayerScheme] = {
    "planning": PLANNING_LAYERS,
    "architecture": ARCHITECTURE,
    "fire": FIRE,
    "civil_defence": CIVIL_DEFENCE,
    "lightning": LIGHTNING,
}
"""The layer convention of each drawing of the package."""

UNMAPPED: dict[str, tuple[str, ...]] = {
    "planning": ("Defpoints", "尺寸标注", "图框", "标注文字", "楼号", "道路", "铺装"),
    "architecture": ("Defpoints", "FURNITURE", "PUB_DIM", "图框", "标注文字"),
    "fire": (
        "A-ANNO-BLDG",
        "A-ANNO-DIMS",
        "A-ANNO-ROAD",
        "A-ANNO-TEXT",
        "Defpoints",
        "G-ANNO-TTLB",
    ),
    "civil_defence": ("A-ANNO-DIMS", "A-ANNO-TEXT", "Defpoints", "G-ANNO-TTLB"),
    "lightning": ("Defpoints", "尺寸标注", "图框", "标注文字"),
}
"""Layers deliberately left out of every alias map: frames, dimensions, notes, furniture, roads."""

LAYERS_TOML = """\
# Firm-specific layer names (企业自定义图层别名), added to the tarch and institute presets.
# The civil-defence drawing draws its room outlines and room names on these layers.
[aliases]
"A-AREA" = ["房间轮廓"]
"A-AREA-IDEN" = ["房间名称"]
"""

Placements = dict[str, dict[str, float]]
"""Per drawing (path in the package), the model-space x of each sheet's lower-left corner."""


@dataclass(frozen=True, slots=True)
class Tower:
    """Everything the five drawings are made from.

    The clean package uses :func:`clean_tower`; the package with seeded violations passes a
    modified copy (other storeys, site, roof conductors, what the site plan says of the
    building), so both packages come out of the same drawing code and differ only where a
    mistake was seeded.
    """

    floors: dict[str, Floor]
    numbers: TowerNumbers
    site: Site
    mesh: tuple[LineString, ...]
    down: tuple[Point, ...]
    site_outline: Polygon = TOWER_OUTLINE
    """Footprint drawn on both site plans (G-BLDG-OUTL)."""
    site_basement: Polygon = BASEMENT_OUTLINE
    """Basement outline drawn on the planning site plan (G-BLDG-BASE)."""
    bldg_floors_above: int = FLOORS_ABOVE
    """``FLOORS_ABOVE`` of the planning site plan's ``BLDG`` block and its label."""
    indicator_edits: tuple[tuple[str, str], ...] = ()
    """Indicator-table lines replaced by hand: (name, written value)."""


def clean_tower() -> Tower:
    """The reference design of 3#楼, every figure derived from the geometry."""
    return Tower(FLOORS, numbers(), site(), tuple(mesh_lines()), tuple(down_conductors()))


# --------------------------------------------------------------------------------------------
# Sheets
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Sheets:
    """Lays title-block frames left to right along model space, one per sheet."""

    doc: Drawing
    layer: str
    x: float = 0.0
    placed: list[tuple[str, float, float]] = field(default_factory=list)

    def add(self, no: str, title: str, floor: str, scale: float, paper: str = "A1") -> Xform:
        """Insert a frame and return the placement of the sheet's lower-left corner."""
        p = PAPERS[paper]
        frame = define_frame(self.doc, p, firm=FIRM)
        origin = Xform(self.x, 0.0)
        sheet = Canvas(self.doc, origin, scale)
        sheet.insert(
            frame,
            (0.0, 0.0),
            self.layer,
            xscale=scale,
            yscale=scale,
            attribs={
                "SHEET_NO": no,
                "TITLE": title,
                "FLOOR": floor,
                "SCALE": f"1:{int(scale)}",
                "PROJECT": PROJECT,
                "DATE": "2025.03",
            },
        )
        self.placed.append((no, self.x, scale))
        self.x += p.width * scale + SHEET_GAP
        return origin


def _mtext(title: str, lines: Sequence[str]) -> str:
    """Design notes as MTEXT: a bold SimSun heading, then one paragraph per line."""
    head = "{\\fSimSun|b1|i0|c134;\\H1.4x;" + title + "}"
    return "\\P".join([head, *lines])


def _notes(
    c: Canvas,
    title: str,
    lines: Sequence[str],
    at: tuple[float, float],
    layer: str,
    width: float = 230.0,
) -> None:
    c.mtext(_mtext(title, lines), at, layer, size=3.5, width=width)


def _plan_origin(sheet: Xform, floor: Floor) -> Xform:
    """Where axis 1/A lies on a plan sheet: fixed per scale, so sheets of a storey match."""
    if floor.scale >= 150:
        return Xform(sheet.dx + 48000.0, sheet.dy + 42000.0)
    return Xform(sheet.dx + 12000.0, sheet.dy + 28000.0)


def _plan_title(c: Canvas, floor: Floor, title: str, layer: str) -> None:
    y = min(y for _, y in floor.ys) - 45.0 * c.scale
    x = (min(x for _, x in floor.xs) + max(x for _, x in floor.xs)) / 2
    c.text(f"{title}  1:{int(c.scale)}", (x, y), layer, size=7.0)
    half = 70.0 * c.scale
    c.line((x - half, y - 5.0 * c.scale), (x + half, y - 5.0 * c.scale), layer)


def _side_notes_at(sheet: Xform, floor: Floor) -> tuple[Xform, tuple[float, float]]:
    if floor.scale >= 150:
        return sheet, (97000.0, 85000.0)
    return sheet, (58000.0, 56000.0)


def _floor_area_note(floor: Floor) -> str:
    return f"本层建筑面积{floor.outline.area / 1e6:.2f}㎡"


# --------------------------------------------------------------------------------------------
# The five drawings
# --------------------------------------------------------------------------------------------


def _architecture(path: Path, t: Tower, seed: str) -> Sheets:
    n = t.numbers
    doc = new_document("R2018")
    layers = ARCHITECTURE
    sheets = Sheets(doc, layers.frame)
    notes = Canvas(doc, sheets.add("A-01", "建筑设计说明", "", 100.0), 100.0)
    _notes(
        notes, "建筑设计说明", _architecture_notes(n), (30000.0, 56000.0), layers.notes, width=380.0
    )
    _notes(notes, "门窗表", _door_schedule(t.floors), (30000.0, 30000.0), layers.notes, width=380.0)
    plans = (
        ("A-02", "-2", "地下二层平面图", "-2"),
        ("A-03", "-1", "地下一层平面图", "-1"),
        ("A-04", "1", "一层平面图", ""),  # storey read from the title
        ("A-05", "2", "二层平面图", "2"),
        ("A-06", "RF", "屋顶平面图", "RF"),
    )
    for no, key, title, attr in plans:
        floor = t.floors[key]
        sheet = sheets.add(no, title, attr, floor.scale)
        c = Canvas(doc, _plan_origin(sheet, floor), floor.scale)
        draw_floor(c, floor, layers, PlanOptions(furniture=True, room_areas=True))
        _plan_title(c, floor, title, layers.notes)
        place, at = _side_notes_at(sheet, floor)
        extra = ["三~十八层同本层。"] if key == "2" else []
        if key == "RF":
            lines = [
                f"屋面结构标高{n.roof_level_m:.3f}，女儿墙顶标高"
                f"{n.roof_level_m + PARAPET / 1000:.3f}；屋面排水坡度2%。",
                "突出屋面的楼梯间及电梯机房面积不超过屋面面积的1/4。",
            ]
        else:
            lines = [_floor_area_note(floor) + "。", *extra, "卫生间、厨房地面比同层楼地面低20mm。"]
        _notes(Canvas(doc, place, floor.scale), "注", lines, at, layers.notes, width=160.0)
    write_dxf(doc, path, stamp=STAMP, seed=seed)
    return sheets


def _architecture_notes(n: TowerNumbers) -> list[str]:
    return [
        "一、工程概况",
        f"1. 工程名称：{PROJECT}；建设地点：山东省临沂市。",
        "2. 建筑类别：二类高层住宅；设计使用年限50年；耐火等级：一级。",
        f"3. 建筑层数：地上{FLOORS_ABOVE}层，地下{FLOORS_BELOW}层；建筑高度{n.height_m:.1f}m"
        f"（室外设计地坪{GRADE / 1000:.3f}至女儿墙顶{n.roof_level_m + PARAPET / 1000:.3f}）。",
        f"4. 总建筑面积{n.gfa_m2:.2f}㎡（计容），地下建筑面积{n.basement_m2:.2f}㎡，"
        f"人防建筑面积{n.shelter_m2:.2f}㎡。",
        f"5. 住宅层高{STOREY / 1000:.3f}m，地下室层高3.600m；每层4户，共{n.dwellings}户。",
        "二、设计标高",
        f"1. 本工程±0.000相当于绝对标高{DATUM:.3f}m，室外设计地坪{GRADE / 1000:.3f}"
        f"（绝对标高{DATUM + GRADE / 1000:.3f}m）。",
        "2. 各层标注标高为建筑完成面标高，屋面标高为结构面标高。",
        "三、墙体：外墙及分户墙为200厚钢筋混凝土剪力墙或加气混凝土砌块，地下室外墙300厚防水混凝土。",
        "四、防火：地上每层为一个防火分区，设两部防烟楼梯间（合用前室、前室）及消防电梯一部。",
        f"五、人防：地下二层设甲类核6级常6级二等人员掩蔽所，防护单元1个，抗爆单元2个，"
        f"掩蔽人数{n.capacity}人。",
    ]


def _door_schedule(floors: dict[str, Floor]) -> list[str]:
    """门窗表: every door and window number with its size and count over all storeys."""
    repeats = {"-2": 1, "-1": 1, "1": 1, "2": FLOORS_ABOVE - 1, "RF": 1}
    counts: Counter[str] = Counter()
    for key, floor in floors.items():
        for d in floor.doors:
            counts[d.number] += repeats[key]
        for w in floor.windows:
            counts[w.number] += repeats[key]
    lines = ["编号    洞口尺寸（宽×高，mm）    数量"]
    for number in sorted(counts):
        width, height = door_size(number)
        lines.append(f"{number}    {width:.0f}×{height:.0f}    {counts[number]}")
    return lines


def _fire(path: Path, t: Tower, seed: str) -> Sheets:
    s, n = t.site, t.numbers
    doc = new_document("R2013")
    layers = FIRE
    sheets = Sheets(doc, layers.frame)
    sheet = sheets.add("F-01", "消防总平面图", "", 500.0, paper="A2")
    sheet_canvas = Canvas(doc, sheet, 500.0)
    draw_site(
        Canvas(doc, site_xform((sheet.dx, sheet.dy)), 500.0),
        sheet_canvas,
        s,
        n,
        layers,
        planning=False,
        outline=t.site_outline,
    )
    _notes(
        sheet_canvas,
        "消防车道及登高操作场地",
        _site_fire_lines(s, t.site_outline),
        (215000.0, 195000.0),
        layers.notes,
        width=140.0,
    )
    plans = (
        ("F-02", "-2", "地下二层防火分区平面图", "-2"),
        ("F-03", "-1", "地下一层防火分区平面图", ""),  # storey read from the title
        ("F-04", "1", "一层防火分区平面图", "1"),
        ("F-05", "2", "二层防火分区平面图", "2"),
    )
    for no, key, title, attr in plans:
        floor = t.floors[key]
        sheet = sheets.add(no, title, attr, floor.scale)
        c = Canvas(doc, _plan_origin(sheet, floor), floor.scale)
        draw_floor(c, floor, layers, PlanOptions(furniture=False, room_areas=False, fire=True))
        _plan_title(c, floor, title, layers.notes)
        place, at = _side_notes_at(sheet, floor)
        lines = list(fire_notes_for(floor))
        if key == "2":
            lines.append("三~十八层同本层。")
        _notes(Canvas(doc, place, floor.scale), "注", lines, at, layers.notes, width=160.0)
    notes = Canvas(doc, sheets.add("F-06", "消防设计说明", "", 100.0), 100.0)
    _notes(
        notes,
        "消防设计说明",
        _fire_notes(s, n, t.floors),
        (30000.0, 56000.0),
        layers.notes,
        width=500.0,
    )
    write_dxf(doc, path, stamp=STAMP, seed=seed)
    return sheets


def _site_fire_lines(s: Site, outline: Polygon) -> list[str]:
    x0, y0, x1, y1 = s.rescue.bounds
    gap = s.rescue.distance(outline) / 1000.0
    return [
        f"1. 沿建筑南侧设消防车道，宽{s.lane_width / 1000:.1f}m，与城市道路连通。",
        f"2. 消防车登高操作场地{(x1 - x0) / 1000:.1f}m×{(y1 - y0) / 1000:.1f}m，"
        f"靠建筑一侧距外墙{gap:.1f}m，坡度不大于3%。",
        "3. 场地与建筑之间不设妨碍登高操作的树木、架空管线等障碍物。",
    ]


def _max_door_to_exit(floor: Floor) -> float:
    """Largest straight distance (m) from a dwelling entrance door to its nearest safe exit."""
    exits = [d.at for d in floor.exits]
    entrances = [d.at for d in floor.doors if d.number.startswith("FM乙10") and d.along == "x"]
    return max(min(math.dist(e, x) for x in exits) for e in entrances) / 1000.0


def _fire_notes(s: Site, n: TowerNumbers, floors: dict[str, Floor]) -> list[str]:
    b = n.compartments["-1"]
    std = floors["2"]
    front = {sp.name: std.clear(sp) for sp in std.spaces if sp.name in ("合用前室", "前室")}
    fr = front["合用前室"]
    fx0, fy0, fx1, fy1 = fr.bounds
    return [
        f"一、建筑分类：二类高层住宅，建筑高度{n.height_m:.1f}m，地上{FLOORS_ABOVE}层，"
        f"地下{FLOORS_BELOW}层；耐火等级：一级。",
        f"二、总平面：沿建筑南侧设宽{s.lane_width / 1000:.1f}m消防车道及消防车登高操作场地，"
        "详见消防总平面图。",
        f"三、防火分区：全楼设自动喷水灭火系统（全保护）。地上每层1个防火分区，面积"
        f"{n.compartments['2'][0][1]:.2f}㎡（≤3000㎡）；地下每层{len(b)}个防火分区，面积分别为"
        + "、".join(f"{a:.2f}㎡" for _, a in b)
        + "（≤1000㎡）。",
        f"四、安全疏散：每层设2部防烟楼梯间，合用前室{fr.area / 1e6:.2f}㎡"
        f"（短边{min(fx1 - fx0, fy1 - fy0) / 1000:.1f}m），前室{front['前室'].area / 1e6:.2f}㎡；"
        f"消防电梯1部。户门至最近安全出口的直线距离最大{_max_door_to_exit(std):.1f}m。",
        "五、地下室疏散楼梯为封闭楼梯间，相邻防火分区之间设甲级防火门作为第二安全出口。",
        f"六、±0.000相当于绝对标高{DATUM:.3f}m，室外设计地坪{GRADE / 1000:.3f}。",
    ]


def _civil(path: Path, t: Tower, seed: str) -> Sheets:
    n = t.numbers
    doc = new_document("R2013", ltscale=150.0)
    layers = CIVIL_DEFENCE
    sheets = Sheets(doc, layers.frame)
    floor = t.floors["-2"]
    title = "地下二层人防平面图"
    sheet = sheets.add("R-01", title, "-2", floor.scale)
    c = Canvas(doc, _plan_origin(sheet, floor), floor.scale)
    draw_floor(c, floor, layers, PlanOptions(furniture=False, room_areas=True, civil=True))
    _plan_title(c, floor, title, layers.notes)
    place, at = _side_notes_at(sheet, floor)
    _notes(
        Canvas(doc, place, floor.scale),
        "注",
        [
            "1. 图中虚线范围为防护单元及抗爆单元。",
            "2. 防护密闭门、密闭门均向外开启。",
        ],
        at,
        layers.notes,
        width=160.0,
    )
    notes = Canvas(doc, sheets.add("R-02", "人防设计说明", "", 100.0), 100.0)
    _notes(
        notes, "人防设计说明", _civil_notes(n, floor), (30000.0, 56000.0), layers.notes, width=500.0
    )
    write_dxf(doc, path, stamp=STAMP, seed=seed)
    return sheets


def _civil_notes(n: TowerNumbers, floor: Floor) -> list[str]:
    main = next(e for e in floor.entrances if e.kind == "main")
    dist = box(*main.box).distance(TOWER_OUTLINE) / 1000.0
    blasts = "、".join(f"{z.shape.area / 1e6:.2f}㎡" for z in floor.blast_units)
    return [
        f"1. 本工程地上{FLOORS_ABOVE}层，地下{FLOORS_BELOW}层，建筑高度{n.height_m:.1f}m；"
        "人防工程设于地下二层。",
        "2. 防护类别：甲类；抗力级别：核6级、常6级；战时用途：二等人员掩蔽所。",
        f"3. 人防建筑面积{n.shelter_m2:.2f}㎡，不小于首层建筑面积{n.footprint_m2:.2f}㎡；"
        f"防护单元1个（防护单元一，{n.shelter_m2:.2f}㎡）；抗爆单元{len(floor.blast_units)}个，"
        f"面积{blasts}。",
        f"4. 掩蔽面积{n.shelter_usable_m2:.2f}㎡，掩蔽人数{n.capacity}人（1.0㎡/人）。",
        f"5. 主要出入口为西侧室外出入口，距地面建筑外墙{dist:.2f}m，大于倒塌范围"
        f"0.5H={0.5 * n.height_m:.1f}m；次要出入口为西北角室外楼梯出入口。",
        f"6. ±0.000相当于绝对标高{DATUM:.3f}m，室外设计地坪{GRADE / 1000:.3f}。",
    ]


MESH_X = (6600.0, 13200.0, 19800.0, 26400.0, 33000.0)
MESH_Y = (7800.0,)
DOWN_X = (-100.0, 13200.0, 26400.0, 39700.0)


def mesh_lines() -> list[LineString]:
    """Air-termination conductors: the perimeter band, the roof mesh, the roof-structure bands."""
    x0, y0, x1, y1 = TOWER_OUTLINE.bounds
    lines = [LineString(list(TOWER_OUTLINE.exterior.coords))]
    lines += [LineString([(x, y0), (x, y1)]) for x in MESH_X]
    lines += [LineString([(x0, y), (x1, y)]) for y in MESH_Y]
    lines += [
        LineString(
            [(12700, y1), (12700, 9500), (15700, 9500), (15700, 12500), (21300, 12500), (21300, y1)]
        ),
        LineString([(23900, y1), (23900, 9500), (26900, 9500), (26900, y1)]),
    ]
    return lines


def down_conductors() -> list[tuple[float, float]]:
    """Down conductors on the roof perimeter (column rebars), at most 18 m apart."""
    _, y0, _, y1 = TOWER_OUTLINE.bounds
    return [(x, y0) for x in DOWN_X] + [(x, y1) for x in reversed(DOWN_X)]


def _mesh_cells(mesh: Sequence[LineString]) -> list[tuple[float, float]]:
    """Sides (short, long) in metres of every mesh cell, for the notes."""
    out = []
    for cell in polygonize(union_all(list(mesh)).geoms):
        rect = cell.minimum_rotated_rectangle
        xs = [p[0] for p in rect.exterior.coords]
        ys = [p[1] for p in rect.exterior.coords]
        a, b = (max(xs) - min(xs)) / 1000.0, (max(ys) - min(ys)) / 1000.0
        out.append((min(a, b), max(a, b)))
    return out


def _lightning(path: Path, t: Tower, seed: str) -> Sheets:
    n = t.numbers
    doc = new_document("R2018")
    layers = LIGHTNING
    sheets = Sheets(doc, layers.frame)
    floor = t.floors["RF"]
    title = "屋顶防雷平面图"
    sheet = sheets.add("E-01", title, "RF", floor.scale)
    c = Canvas(doc, _plan_origin(sheet, floor), floor.scale)
    c.axis_grid(
        floor.xs, floor.ys, axis_layer=layers.axis, label_layer=layers.axis_iden, overshoot=24.0
    )
    xs = [x for _, x in floor.xs]
    c.dim((xs[0], 0.0), (xs[-1], 0.0), (xs[0], -1900.0), layers.dims)
    c.dim((0.0, 0.0), (0.0, 15600.0), (-1900.0, 0.0), layers.dims, angle=90.0)
    for piece in floor.wall_pieces():
        c.polygon(piece, layers.wall)
    c.polygon(TOWER_OUTLINE, layers.roof)
    for line in t.mesh:
        pts = [(float(x), float(y)) for x, y in line.coords]
        closed = pts[0] == pts[-1]
        c.polyline(pts[:-1] if closed else pts, layers.air_termination, closed=closed)
    for k, p in enumerate(t.down, start=1):
        c.circle(p, 200.0, layers.down_conductor)
        dy = -600.0 if p[1] < 0 else 600.0
        c.text(f"YX{k}", (p[0], p[1] + dy), layers.notes, size=2.5)
    c.text("接闪带φ10热镀锌圆钢，沿女儿墙敷设", (19800.0, 4000.0), layers.notes, size=3.0)
    c.text("屋面接闪网格", (3300.0, 11500.0), layers.notes, size=2.5)
    _plan_title(c, floor, title, layers.notes)
    place, at = _side_notes_at(sheet, floor)
    _notes(
        Canvas(doc, place, floor.scale),
        "图例",
        [
            "●  引下线（利用柱内主筋）",
            "——  接闪带 / 接闪网",
        ],
        at,
        layers.notes,
        width=160.0,
    )
    notes = Canvas(doc, sheets.add("E-02", "防雷设计说明", "", 100.0), 100.0)
    _notes(
        notes,
        "防雷设计说明",
        _lightning_notes(n, t.mesh, t.down),
        (30000.0, 56000.0),
        layers.notes,
        width=500.0,
    )
    write_dxf(doc, path, stamp=STAMP, seed=seed)
    return sheets


def _lightning_notes(
    n: TowerNumbers, mesh: Sequence[LineString], down: Sequence[Point]
) -> list[str]:
    cells = _mesh_cells(mesh)
    big = max(cells, key=lambda ab: ab[0] * ab[1])
    pts = list(down)
    perimeter = TOWER_OUTLINE.exterior.length / 1000.0
    gaps = [math.dist(a, b) / 1000.0 for a, b in zip(pts, pts[1:] + pts[:1], strict=True)]
    return [
        f"1. 本工程建筑高度{n.height_m:.1f}m，地上{FLOORS_ABOVE}层，地下{FLOORS_BELOW}层，"
        f"屋面结构标高{n.roof_level_m:.3f}。",
        f"2. 年预计雷击次数N={n.lightning_n:.3f}次/a（Td=30d/a，k=1.0）；建筑高度超过45m，"
        "按防雷类别：二类 设计。",
        "3. 接闪器：沿女儿墙及突出屋面的楼梯间、电梯机房敷设φ10热镀锌圆钢接闪带，屋面设不大于"
        f"10m×10m或12m×8m的接闪网格，本工程网格最大{big[0]:.1f}m×{big[1]:.1f}m。",
        f"4. 引下线：利用结构柱内两根φ16主筋，共{len(pts)}处，沿屋面周长{perimeter:.1f}m"
        f"均匀布置，间距最大{max(gaps):.1f}m（≤18m）。",
        "5. 接地：利用基础底板钢筋作接地装置，接地电阻不大于1Ω。",
        f"6. ±0.000相当于绝对标高{DATUM:.3f}m。",
    ]


def _planning(path: Path, t: Tower, seed: str) -> Sheets:
    s, n = t.site, t.numbers
    doc = new_document("R2000", ltscale=500.0)
    layers = PLANNING_LAYERS
    sheets = Sheets(doc, layers.frame)
    sheet = sheets.add("G-01", "总平面图", "", 500.0, paper="A2")
    sheet_canvas = Canvas(doc, sheet, 500.0)
    draw_site(
        Canvas(doc, site_xform((sheet.dx, sheet.dy)), 500.0),
        sheet_canvas,
        s,
        n,
        layers,
        planning=True,
        outline=t.site_outline,
        basement=t.site_basement,
        floors_above=t.bldg_floors_above,
    )
    draw_indicators(
        sheet_canvas,
        _edited(indicator_lines(s, n), t.indicator_edits),
        layers.indicators,
        layers.notes,
        INDICATORS_AT,
    )
    notes = Canvas(doc, sheets.add("G-02", "总图设计说明", "", 100.0), 100.0)
    _notes(
        notes, "总图设计说明", _planning_notes(s, n), (30000.0, 56000.0), layers.notes, width=500.0
    )
    write_dxf(doc, path, stamp=STAMP, seed=seed)
    return sheets


INDICATORS_AT = (215000.0, 190000.0)
"""Upper-left corner of the indicator table on the planning site plan (sheet mm)."""


def _edited(lines: list[str], edits: Sequence[tuple[str, str]]) -> list[str]:
    """Indicator lines with some values replaced: ``名称：值`` keeps its name, takes the value."""
    out = list(lines)
    for name, value in edits:
        k = next(i for i, line in enumerate(out) if line.split("：")[0] == name)
        out[k] = f"{name}：{value}"
    return out


def _planning_notes(s: Site, n: TowerNumbers) -> list[str]:
    p = PLANNING
    return [
        "1. 坐标系统：2000国家大地坐标系（3°带）；高程系统：1985国家高程基准。",
        f"2. ±0.000相当于绝对标高{DATUM:.3f}m，室外设计地坪{GRADE / 1000:.3f}"
        f"（绝对标高{DATUM + GRADE / 1000:.3f}m）。",
        f"3. 规划条件：容积率≤{p.far_max}，建筑密度≤{p.density_max * 100:.0f}%，绿地率≥"
        f"{p.green_ratio_min * 100:.0f}%，建筑限高{p.height_max_m:.0f}m，退道路红线≥"
        f"{p.setback_road_m:.0f}m，退用地红线≥{p.setback_boundary_m:.0f}m，机动车停车位"
        f"{p.parking_per_100m2}个/100㎡。",
        f"4. {NAME}楼：住宅，地上{FLOORS_ABOVE}层，地下{FLOORS_BELOW}层，建筑高度"
        f"{n.height_m:.1f}m，总建筑面积{n.gfa_m2:.2f}㎡，人防建筑面积{n.shelter_m2:.2f}㎡。",
        f"5. 用地面积{s.area_m2:.2f}㎡，绿地面积{s.green_m2:.2f}㎡，地面停车位{len(s.stalls)}个。",
        f"6. 沿建筑南侧设宽{s.lane_width / 1000:.1f}m消防车道及消防车登高操作场地。",
    ]


# --------------------------------------------------------------------------------------------
# project.toml and the package
# --------------------------------------------------------------------------------------------


def project_toml(
    *,
    project: str,
    name: str,
    use: str,
    planning: Any,
    height_m: float,
    floors_above: int,
    floors_below: int,
    gfa_m2: float,
    capacity: int,
    lightning_class: int,
    lightning_n: float,
) -> str:
    """``project.toml`` of a sample package (submission standard §5, catalogue names)."""
    p = planning
    return f"""\
# 送审项目参数 (submission standard section 5); names from the rule catalogue.
[project]
name = "{project}"
code_edition = "2025"
drawing_unit = "mm"
retrofit = false

[planning]
far_max = {p.far_max}
density_max = {p.density_max}
green_ratio_min = {p.green_ratio_min}
height_max_m = {p.height_max_m}
setback_road_m = {p.setback_road_m}
setback_boundary_m = {p.setback_boundary_m}
parking_per_100m2 = {p.parking_per_100m2}

[building."{name}"]
use = "{use}"
height_m = {height_m:.1f}
floors_above = {floors_above}
floors_below = {floors_below}
gross_floor_area_m2 = {gfa_m2:.2f}

[fire."{name}"]
building_class = "class2"
resistance_grade = 1
sprinklers = "full"

[civil_defence]
rule = "ground_floor_area"
use = "personnel_shelter"
capacity_persons = {capacity}
collapse_factor = 0.5

[lightning]
class_declared = {lightning_class}
n_per_year = {lightning_n:.3f}
"""


def _project_toml(n: TowerNumbers) -> str:
    return project_toml(
        project=PROJECT,
        name=NAME,
        use="residential",
        planning=PLANNING,
        height_m=n.height_m,
        floors_above=FLOORS_ABOVE,
        floors_below=FLOORS_BELOW,
        gfa_m2=n.gfa_m2,
        capacity=n.capacity,
        lightning_class=2,
        lightning_n=n.lightning_n,
    )


FILES = (
    "project.toml",
    "layers.toml",
    "planning/site.dxf",
    "architecture/plans.dxf",
    "fire/plans.dxf",
    "civil_defence/shelter.dxf",
    "lightning/roof.dxf",
    "expected_findings.json",
)
"""Every file of the package, relative to its folder, in the order they are written."""


def write_expected(path: Path, findings: Sequence[dict[str, object]]) -> None:
    """``expected_findings.json``: what the checkers should report, one object per finding."""
    text = json.dumps(list(findings), ensure_ascii=False, indent=2) + "\n"
    path.write_text(text, encoding="utf-8", newline="\n")


def write_package(folder: Path, t: Tower) -> Placements:
    """Write the project files and the five drawings of ``t``; return the sheet placements.

    The placements let the package with seeded violations locate each mistake in the model
    space of the drawing that carries it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    seed = f"lianshen-sample/{folder.name}"
    (folder / "project.toml").write_text(_project_toml(t.numbers), encoding="utf-8", newline="\n")
    (folder / "layers.toml").write_text(LAYERS_TOML, encoding="utf-8", newline="\n")
    writers = (
        ("planning/site.dxf", _planning),
        ("architecture/plans.dxf", _architecture),
        ("fire/plans.dxf", _fire),
        ("civil_defence/shelter.dxf", _civil),
        ("lightning/roof.dxf", _lightning),
    )
    placed: Placements = {}
    for rel, writer in writers:
        sheets = writer(folder / rel, t, f"{seed}/{rel}")
        placed[rel] = {no: x for no, x, _ in sheets.placed}
    return placed


def build(folder: Path) -> list[Path]:
    """Write the package into ``folder`` (created if needed); return the files written."""
    write_package(folder, clean_tower())
    write_expected(folder / "expected_findings.json", [])
    return [folder / f for f in FILES]

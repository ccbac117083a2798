"""The office building package: five drawings and project.toml for 1#办公楼.

The second sample project gives the checkers a public building (二类高层公共建筑, fully
sprinklered, fire-resistance grade 1) next to the residential tower, and swaps the layer
conventions: architecture, planning and lightning in institute names (architecture as R2010,
planning as R2000 in GBK), fire and civil defence in TArch names. It needs no firm aliases, so it
has no ``layers.toml``. Every figure written anywhere comes from :mod:`samples.office_design`
and :mod:`samples.office_site`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

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
from samples.office_design import (
    DATUM,
    FLOORS,
    FLOORS_ABOVE,
    FLOORS_BELOW,
    GRADE,
    GROUND_STOREY,
    NAME,
    OFFICE_OUTLINE,
    PARAPET,
    STOREY,
    OfficeNumbers,
    numbers,
)
from samples.office_site import (
    PLANNING,
    OfficeSite,
    draw_site,
    indicator_lines,
    site,
    site_xform,
)
from samples.residential import project_toml, write_expected
from samples.residential_design import Floor
from samples.residential_plans import PlanOptions, draw_floor, fire_notes_for
from samples.residential_site import draw_indicators

__all__ = ["FILES", "LAYER_SCHEMES", "Office", "build", "clean_office", "write_package"]

PROJECT = "滨江科创园1#办公楼"
FIRM = "某城市规划建筑设计院有限公司"
STAMP = datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
SHEET_GAP = 20000.0
INDICATORS_AT = (215000.0, 190000.0)

ARCHITECTURE = LayerScheme(
    frame="G-ANNO-TTLB",
    dims="A-ANNO-DIMS",
    notes="A-ANNO-TEXT",
    furniture="A-FURN",
    wall="AE-WALL",
    column="S_COLU",
    door="AE-DOOR",
    door_iden="A-DOOR-IDEN",
    window="AE-WIND",
    window_iden="A-WIND-IDEN",
    stair="A-STRS",
    lift="A-EVTR",
    fixture="A-FIXT",
    room="AD-AREA-OUTL",
    room_iden="AD-NAME-ROOM",
    axis="AD-AXIS-AXIS",
    axis_iden="A-AXIS",
)
FIRE = LayerScheme(
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
    room_iden="PUB_TEXT",
    axis="DOTE",
    axis_iden="AXIS_TEXT",
    compartment="防火分区",
    exit="安全出口",
    stair_core="疏散楼梯",
    front_room="前室",
    fire_lift="消防电梯",
    lane="消防车道",
    rescue="登高场地",
    redline="用地红线",
    road_redline="道路红线",
    control_line="建筑控制线",
    outline="建筑轮廓",
    building_tag="楼号",
    road="道路",
)
CIVIL_DEFENCE = LayerScheme(
    frame="图框",
    dims="PUB_DIM",
    notes="标注文字",
    wall="WALL",
    column="COLUMN",
    door="DOOR_FIRE",
    door_iden="DOOR_FIRE_TEXT",
    window="WINDOW",
    window_iden="WINDOW_TEXT",
    stair="STAIR",
    lift="EVTR",
    room="SPACE",
    room_iden="SPACE",
    axis="DOTE",
    axis_iden="AXIS_TEXT",
    unit="人防-防护单元",
    blast_unit="人防-抗爆单元",
    entrance="人防-出入口",
)
PLANNING_LAYERS = LayerScheme(
    frame="G-ANNO-TTLB",
    dims="A-ANNO-DIMS",
    notes="A-ANNO-TEXT",
    redline="A-REDL",
    road_redline="A-ROAD-RED",
    control_line="A-REDL-ARCH",
    outline="A-MAST-ROOF",
    basement="A-MAST-BASE",
    green="A-HATC-GREEN",
    parking="A-PARK",
    indicators="A-ANNO-INDX",
    lane="F-LANE",
    rescue="F-SITE",
    building_tag="A-ANNO-BLDG",
    road="A-ANNO-ROAD",
    paving="A-ANNO-PAVE",
)
LIGHTNING = LayerScheme(
    frame="G-ANNO-TTLB",
    dims="A-ANNO-DIMS",
    notes="A-ANNO-TEXT",
    wall="AE-WALL",
    axis="A-DOTE",
    axis_iden="A-AXIS",
    roof="E-LTNG-ROOF",
    air_termination="E-LTNG-TERM",
    down_conductor="E-LTNG-DOWN",
)
LAYER_SCHEMES: dict[str, LayerScheme] = {
    "planning": PLANNING_LAYERS,
    "architecture": ARCHITECTURE,
    "fire": FIRE,
    "civil_defence": CIVIL_DEFENCE,
    "lightning": LIGHTNING,
}
"""The layer convention of each drawing of the package."""

FILES = (
    "project.toml",
    "planning/site.dxf",
    "architecture/plans.dxf",
    "fire/plans.dxf",
    "civil_defence/shelter.dxf",
    "lightning/roof.dxf",
    "expected_findings.json",
)
"""Every file of the package, relative to its folder, in the order they are written."""

Placements = dict[str, dict[str, float]]


@dataclass(frozen=True, slots=True)
class Office:
    """Everything the drawings are made from; the violations package passes a modified copy."""

    floors: dict[str, Floor]
    numbers: OfficeNumbers
    site: OfficeSite
    mesh: tuple[LineString, ...]
    down: tuple[Point, ...]
    site_outline: Polygon = OFFICE_OUTLINE
    bldg_floors_above: int = FLOORS_ABOVE
    lightning_class: int = 3
    indicator_edits: tuple[tuple[str, str], ...] = ()
    """Indicator-table lines replaced by hand: (name, written value)."""


MESH_X = (16800.0, 33600.0)
MESH_Y = (9300.0,)
DOWN_X = (-150.0, 16800.0, 33600.0, 50550.0)


def mesh_lines() -> list[LineString]:
    """Roof band, a mesh of at most 17 m x 9.5 m cells, bands round the roof structures."""
    x0, y0, x1, y1 = OFFICE_OUTLINE.bounds
    lines = [LineString(list(OFFICE_OUTLINE.exterior.coords))]
    lines += [LineString([(x, y0), (x, y1)]) for x in MESH_X]
    lines += [LineString([(x0, y), (x1, y)]) for y in MESH_Y]
    lines += [
        LineString([(3300, y1), (3300, 10400), (-150, 10400)]),
        LineString([(3300, 14900), (8500, 14900), (8500, y1)]),
        LineString([(25100, y1), (25100, 14900), (29500, 14900), (29500, y1)]),
        LineString([(47100, y1), (47100, 10400), (x1, 10400)]),
    ]
    return lines


def down_conductors() -> list[Point]:
    """Eight down conductors (column rebars) at the corners and the thirds of the long sides."""
    _, y0, _, y1 = OFFICE_OUTLINE.bounds
    return [(x, y0) for x in DOWN_X] + [(x, y1) for x in reversed(DOWN_X)]


def clean_office() -> Office:
    """The reference design of 1#办公楼."""
    return Office(FLOORS, numbers(), site(), tuple(mesh_lines()), tuple(down_conductors()))


# --------------------------------------------------------------------------------------------
# Sheets and notes
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Sheets:
    """Lays title-block frames left to right along model space, one per sheet."""

    doc: Drawing
    layer: str
    x: float = 0.0
    placed: dict[str, float] = field(default_factory=dict)

    def add(self, no: str, title: str, floor: str, scale: float, paper: str = "A1") -> Xform:
        """Insert a frame and return the placement of the sheet's lower-left corner."""
        p = PAPERS[paper]
        frame = define_frame(self.doc, p, firm=FIRM)
        Canvas(self.doc, Xform(self.x, 0.0), scale).insert(
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
                "DATE": "2025.06",
            },
        )
        origin = Xform(self.x, 0.0)
        self.placed[no] = self.x
        self.x += p.width * scale + SHEET_GAP
        return origin


def plan_origin(sheet_x: float, floor: Floor) -> Xform:
    """Where axis 1/A lies on a plan sheet: fixed per scale, so sheets of a storey match."""
    if floor.scale >= 150:
        return Xform(sheet_x + 30000.0, 48000.0)
    return Xform(sheet_x + 14000.0, 24000.0)


def _notes(
    c: Canvas,
    title: str,
    lines: Sequence[str],
    at: tuple[float, float],
    layer: str,
    width: float = 230.0,
) -> None:
    head = "{\\fSimSun|b1|i0|c134;\\H1.4x;" + title + "}"
    c.mtext("\\P".join([head, *lines]), at, layer, size=3.5, width=width)


def _plan_sheet(
    doc: Drawing,
    sheets: Sheets,
    no: str,
    title: str,
    attr: str,
    floor: Floor,
    layers: LayerScheme,
    options: PlanOptions,
    lines: Sequence[str],
) -> None:
    """One plan sheet: the storey, its title and the side notes."""
    sheet = sheets.add(no, title, attr, floor.scale)
    c = Canvas(doc, plan_origin(sheet.dx, floor), floor.scale)
    draw_floor(c, floor, layers, options)
    y = min(y for _, y in floor.ys) - 45.0 * c.scale
    x = (min(x for _, x in floor.xs) + max(x for _, x in floor.xs)) / 2
    c.text(f"{title}  1:{int(c.scale)}", (x, y), layers.notes, size=7.0)
    c.line(
        (x - 70.0 * c.scale, y - 5.0 * c.scale),
        (x + 70.0 * c.scale, y - 5.0 * c.scale),
        layers.notes,
    )
    at = (97000.0, 85000.0) if floor.scale >= 150 else (70000.0, 56000.0)
    _notes(Canvas(doc, sheet, floor.scale), "注", lines, at, layers.notes, width=120.0)


def _heights(n: OfficeNumbers) -> str:
    return (
        f"建筑高度{n.height_m:.1f}m（室外设计地坪{GRADE / 1000:.3f}至女儿墙顶"
        f"{n.roof_level_m + PARAPET / 1000:.3f}）"
    )


# --------------------------------------------------------------------------------------------
# The five drawings
# --------------------------------------------------------------------------------------------


def _architecture(path: Path, o: Office, seed: str) -> Sheets:
    n = o.numbers
    doc = new_document("R2010")
    layers = ARCHITECTURE
    sheets = Sheets(doc, layers.frame)
    notes = Canvas(doc, sheets.add("A-01", "建筑设计说明", "", 100.0), 100.0)
    _notes(
        notes,
        "建筑设计说明",
        [
            "一、工程概况",
            f"1. 工程名称：{PROJECT}；建设地点：江苏省南京市。",
            "2. 建筑类别：二类高层公共建筑（办公）；设计使用年限50年；耐火等级：一级。",
            f"3. 建筑层数：地上{FLOORS_ABOVE}层，地下{FLOORS_BELOW}层；{_heights(n)}。",
            f"4. 总建筑面积{n.gfa_m2:.2f}㎡（计容），地下建筑面积{n.basement_m2:.2f}㎡，"
            f"人防建筑面积{n.shelter_m2:.2f}㎡。",
            f"5. 首层层高{GROUND_STOREY / 1000:.3f}m，二~九层层高{STOREY / 1000:.3f}m，"
            "地下室层高4.200m。",
            "二、设计标高",
            f"1. 本工程±0.000相当于绝对标高{DATUM:.3f}m，室外设计地坪{GRADE / 1000:.3f}"
            f"（绝对标高{DATUM + GRADE / 1000:.3f}m）。",
            "三、防火：地上每层为一个防火分区，设两部防烟楼梯间（合用前室、前室）及消防电梯一部。",
            f"四、人防：地下一层南侧设甲类核6级常6级二等人员掩蔽所，防护单元2个，抗爆单元4个，"
            f"掩蔽人数{n.capacity}人。",
        ],
        (30000.0, 56000.0),
        layers.notes,
        width=380.0,
    )
    _notes(notes, "门窗表", _door_schedule(o.floors), (30000.0, 28000.0), layers.notes, width=380.0)
    for no, key, title, attr in (
        ("A-02", "-1", "地下一层平面图", "-1"),
        ("A-03", "1", "一层平面图", "1"),
        ("A-04", "2", "二层平面图", "2"),
        ("A-05", "RF", "屋顶平面图", ""),
    ):  # storey from the title
        floor = o.floors[key]
        if key == "RF":
            lines = [
                f"屋面结构标高{n.roof_level_m:.3f}，女儿墙顶标高"
                f"{n.roof_level_m + PARAPET / 1000:.3f}；屋面排水坡度2%。"
            ]
        else:
            lines = [f"本层建筑面积{floor.outline.area / 1e6:.2f}㎡。"]
            if key == "2":
                lines.append("三~九层同本层。")
        _plan_sheet(
            doc,
            sheets,
            no,
            title,
            attr,
            floor,
            layers,
            PlanOptions(furniture=True, room_areas=True),
            lines,
        )
    write_dxf(doc, path, stamp=STAMP, seed=seed)
    return sheets


def _door_schedule(floors: dict[str, Floor]) -> list[str]:
    """门窗表: every door and window number with its size and count over all storeys."""
    repeats = {"-1": 1, "1": 1, "2": FLOORS_ABOVE - 1, "RF": 1}
    counts: Counter[str] = Counter()
    for key, floor in floors.items():
        for number in [d.number for d in floor.doors] + [w.number for w in floor.windows]:
            counts[number] += repeats[key]
    lines = ["编号    洞口尺寸（宽×高，mm）    数量"]
    for number in sorted(counts):
        width, height = door_size(number)
        lines.append(f"{number}    {width:.0f}×{height:.0f}    {counts[number]}")
    return lines


def _fire(path: Path, o: Office, seed: str) -> Sheets:
    s, n = o.site, o.numbers
    doc = new_document("R2013")
    layers = FIRE
    sheets = Sheets(doc, layers.frame)
    sheet = sheets.add("F-01", "消防总平面图", "", 500.0, paper="A2")
    draw_site(
        Canvas(doc, site_xform((sheet.dx, sheet.dy)), 500.0),
        s,
        n,
        layers,
        planning=False,
        outline=o.site_outline,
    )
    gap = s.rescue.distance(o.site_outline) / 1000.0
    x0, y0, x1, y1 = s.rescue.bounds
    _notes(
        Canvas(doc, sheet, 500.0),
        "消防车道及登高操作场地",
        [
            f"1. 沿建筑北侧设环形消防车道，宽{s.lane_width / 1000:.1f}m，两端与城市道路连通。",
            f"2. 消防车登高操作场地沿北侧长边设置，{(x1 - x0) / 1000:.1f}m×{(y1 - y0) / 1000:.1f}m，"
            f"靠建筑一侧距外墙{gap:.1f}m，坡度不大于3%。",
        ],
        (215000.0, 195000.0),
        layers.notes,
        width=140.0,
    )
    for no, key, title, attr in (
        ("F-02", "-1", "地下一层防火分区平面图", "-1"),
        ("F-03", "1", "一层防火分区平面图", "1"),
        ("F-04", "2", "二层防火分区平面图", "2"),
    ):
        floor = o.floors[key]
        lines = list(fire_notes_for(floor))
        if key == "2":
            lines.append("三~九层同本层。")
        _plan_sheet(
            doc,
            sheets,
            no,
            title,
            attr,
            floor,
            layers,
            PlanOptions(furniture=False, room_areas=False, fire=True),
            lines,
        )
    b = n.compartments["-1"]
    notes = Canvas(doc, sheets.add("F-05", "消防设计说明", "", 100.0), 100.0)
    _notes(
        notes,
        "消防设计说明",
        [
            f"一、建筑分类：二类高层公共建筑（办公），建筑高度{n.height_m:.1f}m，"
            f"地上{FLOORS_ABOVE}层，地下{FLOORS_BELOW}层；耐火等级：一级。",
            "二、总平面：沿建筑北侧设消防车道及消防车登高操作场地，详见消防总平面图。",
            f"三、防火分区：全楼设自动喷水灭火系统（全保护）。地上每层1个防火分区，面积"
            f"{n.compartments['2'][0][1]:.2f}㎡（≤3000㎡）；地下一层{len(b)}个防火分区，面积分别为"
            + "、".join(f"{a:.2f}㎡" for _, a in b)
            + "（≤1000㎡）。",
            "四、安全疏散：每层设2部防烟楼梯间，西侧为合用前室（兼消防电梯前室），东侧为前室；"
            "消防电梯1部。",
            "五、地下一层人防区设2部封闭楼梯间，相邻防火分区之间设甲级防火门作为第二安全出口。",
            f"六、±0.000相当于绝对标高{DATUM:.3f}m，室外设计地坪{GRADE / 1000:.3f}。",
        ],
        (30000.0, 56000.0),
        layers.notes,
        width=500.0,
    )
    write_dxf(doc, path, stamp=STAMP, seed=seed)
    return sheets


def _civil(path: Path, o: Office, seed: str) -> Sheets:
    n = o.numbers
    doc = new_document("R2013", ltscale=150.0)
    layers = CIVIL_DEFENCE
    sheets = Sheets(doc, layers.frame)
    floor = o.floors["-1"]
    _plan_sheet(
        doc,
        sheets,
        "R-01",
        "地下一层人防平面图",
        "-1",
        floor,
        layers,
        PlanOptions(furniture=False, room_areas=True, civil=True),
        ["1. 图中虚线范围为防护单元及抗爆单元。", "2. 防护密闭门、密闭门均向外开启。"],
    )
    mains = [e for e in floor.entrances if e.kind == "main"]
    dist = min(box(*e.box).distance(o.site_outline) for e in mains) / 1000.0
    units = "、".join(f"{z.label}{z.shape.area / 1e6:.2f}㎡" for z in floor.units)
    notes = Canvas(doc, sheets.add("R-02", "人防设计说明", "", 100.0), 100.0)
    _notes(
        notes,
        "人防设计说明",
        [
            f"1. 本工程地上{FLOORS_ABOVE}层，地下{FLOORS_BELOW}层，建筑高度{n.height_m:.1f}m；"
            "人防工程设于地下一层南侧。",
            "2. 防护类别：甲类；抗力级别：核6级、常6级；战时用途：二等人员掩蔽所。",
            f"3. 人防建筑面积{n.shelter_m2:.2f}㎡，不小于首层建筑面积{n.footprint_m2:.2f}㎡；"
            f"防护单元{len(floor.units)}个（{units}）；抗爆单元{len(floor.blast_units)}个。",
            f"4. 掩蔽面积{n.shelter_usable_m2:.2f}㎡，掩蔽人数{n.capacity}人（1.0㎡/人）。",
            f"5. 每个防护单元设一个南侧室外主要出入口，距地面建筑外墙不小于{dist:.2f}m，大于倒塌范围"
            f"0.5H={0.5 * n.height_m:.2f}m；次要出入口为单元内封闭楼梯间。",
            f"6. ±0.000相当于绝对标高{DATUM:.3f}m，室外设计地坪{GRADE / 1000:.3f}。",
        ],
        (30000.0, 56000.0),
        layers.notes,
        width=500.0,
    )
    write_dxf(doc, path, stamp=STAMP, seed=seed)
    return sheets


def _mesh_cells(mesh: Sequence[LineString]) -> list[tuple[float, float]]:
    out = []
    for cell in polygonize(union_all(list(mesh)).geoms):
        x0, y0, x1, y1 = cell.minimum_rotated_rectangle.bounds
        a, b = (x1 - x0) / 1000.0, (y1 - y0) / 1000.0
        out.append((min(a, b), max(a, b)))
    return out


def _lightning(path: Path, o: Office, seed: str) -> Sheets:
    n = o.numbers
    doc = new_document("R2018")
    layers = LIGHTNING
    sheets = Sheets(doc, layers.frame)
    floor = o.floors["RF"]
    sheet = sheets.add("E-01", "屋顶防雷平面图", "RF", floor.scale)
    c = Canvas(doc, plan_origin(sheet.dx, floor), floor.scale)
    c.axis_grid(
        floor.xs, floor.ys, axis_layer=layers.axis, label_layer=layers.axis_iden, overshoot=24.0
    )
    c.dim((0.0, 0.0), (50400.0, 0.0), (0.0, -1900.0), layers.dims)
    for piece in floor.wall_pieces():
        c.polygon(piece, layers.wall)
    c.polygon(OFFICE_OUTLINE, layers.roof)
    for line in o.mesh:
        pts = [(float(x), float(y)) for x, y in line.coords]
        closed = pts[0] == pts[-1]
        c.polyline(pts[:-1] if closed else pts, layers.air_termination, closed=closed)
    for k, p in enumerate(o.down, start=1):
        c.circle(p, 200.0, layers.down_conductor)
        c.text(f"YX{k}", (p[0], p[1] + (-700.0 if p[1] < 0 else 700.0)), layers.notes, size=2.5)
    c.text("接闪带φ10热镀锌圆钢，沿女儿墙敷设", (25200.0, 5000.0), layers.notes, size=3.0)
    c.text("屋面接闪网格", (8400.0, 4600.0), layers.notes, size=2.5)
    _notes(
        Canvas(doc, sheet, floor.scale),
        "图例",
        ["●  引下线（利用柱内主筋）", "——  接闪带 / 接闪网"],
        (70000.0, 56000.0),
        layers.notes,
        width=160.0,
    )
    cells = _mesh_cells(o.mesh)
    big = max(cells, key=lambda ab: ab[0] * ab[1])
    pts = list(o.down)
    gaps = [math.dist(a, b) / 1000.0 for a, b in zip(pts, pts[1:] + pts[:1], strict=True)]
    cls = {2: "二类", 3: "三类"}[o.lightning_class]
    notes = Canvas(doc, sheets.add("E-02", "防雷设计说明", "", 100.0), 100.0)
    _notes(
        notes,
        "防雷设计说明",
        [
            f"1. 本工程建筑高度{n.height_m:.1f}m，地上{FLOORS_ABOVE}层，地下{FLOORS_BELOW}层，"
            f"屋面结构标高{n.roof_level_m:.3f}。",
            f"2. 年预计雷击次数N={n.lightning_n:.3f}次/a（Td=30d/a，k=1.0），按防雷类别：{cls} 设计。",
            f"3. 接闪器：沿女儿墙及突出屋面的楼梯间、电梯机房敷设φ10热镀锌圆钢接闪带，屋面接闪网格"
            f"最大{big[0]:.1f}m×{big[1]:.1f}m。",
            f"4. 引下线：利用结构柱内两根φ16主筋，共{len(pts)}处，沿屋面周长"
            f"{OFFICE_OUTLINE.exterior.length / 1000:.1f}m布置，间距最大{max(gaps):.1f}m。",
            "5. 接地：利用基础底板钢筋作接地装置，接地电阻不大于1Ω。",
            f"6. ±0.000相当于绝对标高{DATUM:.3f}m。",
        ],
        (30000.0, 56000.0),
        layers.notes,
        width=500.0,
    )
    write_dxf(doc, path, stamp=STAMP, seed=seed)
    return sheets


def _planning(path: Path, o: Office, seed: str) -> Sheets:
    s, n = o.site, o.numbers
    doc = new_document("R2000", ltscale=500.0)
    layers = PLANNING_LAYERS
    sheets = Sheets(doc, layers.frame)
    sheet = sheets.add("G-01", "总平面图", "", 500.0, paper="A2")
    sheet_canvas = Canvas(doc, sheet, 500.0)
    draw_site(
        Canvas(doc, site_xform((sheet.dx, sheet.dy)), 500.0),
        s,
        n,
        layers,
        planning=True,
        outline=o.site_outline,
        floors_above=o.bldg_floors_above,
    )
    lines = indicator_lines(s, n)
    for name, value in o.indicator_edits:
        k = next(i for i, line in enumerate(lines) if line.split("：")[0] == name)
        lines[k] = f"{name}：{value}"
    draw_indicators(sheet_canvas, lines, layers.indicators, layers.notes, INDICATORS_AT)
    p = PLANNING
    notes = Canvas(doc, sheets.add("G-02", "总图设计说明", "", 100.0), 100.0)
    _notes(
        notes,
        "总图设计说明",
        [
            "1. 坐标系统：2000国家大地坐标系（3°带）；高程系统：1985国家高程基准。",
            f"2. ±0.000相当于绝对标高{DATUM:.3f}m，室外设计地坪{GRADE / 1000:.3f}"
            f"（绝对标高{DATUM + GRADE / 1000:.3f}m）。",
            f"3. 规划条件：容积率≤{p.far_max}，建筑密度≤{p.density_max * 100:.0f}%，绿地率≥"
            f"{p.green_ratio_min * 100:.0f}%，建筑限高{p.height_max_m:.0f}m，退道路红线≥"
            f"{p.setback_road_m:.0f}m，退用地红线≥{p.setback_boundary_m:.0f}m，机动车停车位"
            f"{p.parking_per_100m2}个/100㎡。",
            f"4. {NAME}楼：办公，地上{FLOORS_ABOVE}层，地下{FLOORS_BELOW}层，建筑高度"
            f"{n.height_m:.1f}m，总建筑面积{n.gfa_m2:.2f}㎡，人防建筑面积{n.shelter_m2:.2f}㎡。",
            f"5. 用地面积{s.area_m2:.2f}㎡，绿地面积{s.green_m2:.2f}㎡，地面停车位{len(s.stalls)}个。",
        ],
        (30000.0, 56000.0),
        layers.notes,
        width=500.0,
    )
    write_dxf(doc, path, stamp=STAMP, seed=seed)
    return sheets


def _project_toml(o: Office) -> str:
    n = o.numbers
    return project_toml(
        project=PROJECT,
        name=NAME,
        use="office",
        planning=PLANNING,
        height_m=n.height_m,
        floors_above=FLOORS_ABOVE,
        floors_below=FLOORS_BELOW,
        gfa_m2=n.gfa_m2,
        capacity=n.capacity,
        lightning_class=o.lightning_class,
        lightning_n=n.lightning_n,
    )


def write_package(folder: Path, o: Office) -> Placements:
    """Write project.toml and the five drawings of ``o``; return the sheet placements."""
    folder.mkdir(parents=True, exist_ok=True)
    seed = f"lianshen-sample/{folder.name}"
    (folder / "project.toml").write_text(_project_toml(o), encoding="utf-8", newline="\n")
    writers = (
        ("planning/site.dxf", _planning),
        ("architecture/plans.dxf", _architecture),
        ("fire/plans.dxf", _fire),
        ("civil_defence/shelter.dxf", _civil),
        ("lightning/roof.dxf", _lightning),
    )
    placed: Placements = {}
    for rel, writer in writers:
        placed[rel] = dict(writer(folder / rel, o, f"{seed}/{rel}").placed)
    return placed


def build(folder: Path) -> list[Path]:
    """Write the clean office package into ``folder``; return the files written."""
    write_package(folder, clean_office())
    write_expected(folder / "expected_findings.json", [])
    return [folder / f for f in FILES]

"""The storeys of 3#楼: two basements with the shelter, ground and standard floors, the roof.

One half of the dwellings is written out and mirrored about the tower's centre line, the core
and the corridor are shared, and the basement adds three fire compartments around the same
stair cores. :data:`FLOORS` holds every drawn storey by its FLOOR value and :func:`numbers`
derives every figure that notes, tables and ``project.toml`` quote, so they never disagree with
the drawings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

from shapely import union_all
from shapely.geometry import Polygon, box

from samples.dxfkit import FIXTURES, FURNITURE, Point
from samples.residential_design import (
    BASEMENT_AXIS_BOX,
    BASEMENT_OUTLINE,
    BASEMENT_WALL,
    BASEMENT_X_AXES,
    BASEMENT_Y_AXES,
    COLUMN,
    COMPARTMENT_X,
    DEPTH,
    FLOORS_ABOVE,
    FLOORS_BELOW,
    GRADE,
    PARAPET,
    STOREY,
    TOWER_OUTLINE,
    TREAD,
    WALL,
    WIDTH,
    X_AXES,
    Y_AXES,
    Door,
    Entrance,
    Floor,
    Item,
    Lift,
    Opening,
    Space,
    Window,
    Zone,
    derive_walls,
    rect_polygon,
)

__all__ = ["FLOORS", "TowerNumbers", "numbers"]

# --------------------------------------------------------------------------------------------
# The tower: one half of the dwellings, mirrored
# --------------------------------------------------------------------------------------------


def _poly(points: Iterable[Point]) -> Polygon:
    return Polygon(list(points))


def _mx(x: float) -> float:
    return WIDTH - x


def _mirror_shape(shape: Polygon) -> Polygon:
    return rect_polygon(Polygon([(_mx(x), y) for x, y in shape.exterior.coords]))


def _mirror_door(d: Door) -> Door:
    if d.along == "x":
        return replace(d, at=(_mx(d.at[0]), d.at[1]), hinge=-d.hinge)
    return replace(d, at=(_mx(d.at[0]), d.at[1]), swing=-d.swing)


def _mirror_window(w: Window) -> Window:
    if w.along == "x":
        return replace(w, at=(_mx(w.at[0]), w.at[1]))
    return replace(w, at=(_mx(w.at[0]), w.at[1]), outward=-w.outward)


def _item_width(kind: str) -> float:
    if kind in FIXTURES:
        return FIXTURES[kind][1]
    return FURNITURE[kind][0]


def _mirror_item(item: Item) -> Item:
    return Item(item.kind, (_mx(item.at[0]) - _item_width(item.kind), item.at[1]))


def _west_dwellings() -> tuple[list[Space], list[Door], list[Opening], list[Window], list[Item],
                               list[Item], list[Polygon]]:
    """The two western dwellings: south (three bedrooms) and north (two bedrooms)."""
    spaces = [
        Space("次卧", box(0, 0, 3600, 4500)),
        Space("主卧", box(3600, 0, 7500, 4500)),
        Space("起居室", box(7500, 0, 12800, 5700)),
        Space("卧室", box(12800, 0, 15600, 4500)),
        Space("厨房", box(15600, 0, 19800, 3300)),
        Space("过道", box(0, 4500, 7500, 5700)),
        Space("卫生间", box(0, 5700, 2400, 8100)),
        Space("卫生间", box(2400, 5700, 4800, 8100)),
        Space("储藏间", box(4800, 5700, 7500, 8100)),
        Space("门厅", box(7500, 5700, 12800, 8100)),
        Space(
            "餐厅",
            _poly([(12800, 4500), (15600, 4500), (15600, 3300), (19800, 3300), (19800, 8100),
                   (12800, 8100)]),
        ),
        Space("厨房", box(0, 9600, 2400, 12000)),
        Space("门厅", box(2400, 9600, 10200, 12000)),
        Space("卫生间", box(10200, 9600, 12800, 12000)),
        Space("次卧", box(0, 12000, 3900, 15600)),
        Space("主卧", box(3900, 12000, 7500, 15600)),
        Space("起居室", box(7500, 12000, 12800, 15600)),
    ]
    doors = [
        Door("FM乙1021", (11500, 8100), "x", -1, +1),
        Door("M0921", (2700, 4500), "x", -1, +1),
        Door("M0921", (6600, 4500), "x", -1, -1),
        Door("M0821", (1300, 5700), "x", +1, -1),
        Door("M0821", (3700, 5700), "x", +1, +1),
        Door("M0821", (6100, 5700), "x", +1, +1),
        Door("M0921", (14200, 4500), "x", -1, -1),
        Door("M0821", (17700, 3300), "x", -1, +1),
        Door("FM乙1021", (8800, 9600), "x", +1, -1),
        Door("M0821", (2400, 10800), "y", -1, +1),
        Door("M0821", (10200, 10800), "y", +1, +1),
        Door("M0921", (3100, 12000), "x", +1, -1),
        Door("M0921", (5700, 12000), "x", +1, +1),
    ]
    openings = [
        Opening((7500, 5100), "y", 1000),
        Opening((10150, 5700), "x", 4300),
        Opening((12800, 6900), "y", 2000),
        Opening((8850, 12000), "x", 2300),
    ]
    windows = [
        Window("C1518", (1800, 0), "x", -1),
        Window("C1818", (5550, 0), "x", -1),
        Window("C3018", (10150, 0), "x", -1),
        Window("C1518", (14200, 0), "x", -1),
        Window("C1515", (17700, 0), "x", -1),
        Window("C0609", (0, 6900), "y", -1),
        Window("C0915", (0, 10800), "y", -1),
        Window("C1518", (1950, 15600), "x", +1),
        Window("C1518", (5700, 15600), "x", +1),
        Window("C2418", (10150, 15600), "x", +1),
    ]
    fixtures = [
        Item("WC", (150, 7200)),
        Item("BASIN", (700, 7500)),
        Item("SHOWER", (1350, 7050)),
        Item("WC", (2550, 7200)),
        Item("BASIN", (3100, 7500)),
        Item("SHOWER", (3750, 7050)),
        Item("WASHER", (6700, 7300)),
        Item("WC", (12150, 11100)),
        Item("BASIN", (11450, 11400)),
        Item("SHOWER", (11700, 9750)),
    ]
    furniture = [
        Item("BED-1200", (300, 300)),
        Item("BED-1800", (4600, 300)),
        Item("SOFA-3", (8900, 3800)),
        Item("BED-1200", (13100, 300)),
        Item("TABLE-6", (15800, 5200)),
        Item("BED-1200", (300, 13300)),
        Item("BED-1800", (4800, 13300)),
        Item("SOFA-3", (9000, 14500)),
    ]
    counters = [
        _poly([(15700, 100), (19700, 100), (19700, 700), (16300, 700), (16300, 3200),
               (15700, 3200)]),
        _poly([(100, 9700), (700, 9700), (700, 11300), (2300, 11300), (2300, 11900),
               (100, 11900)]),
    ]
    return spaces, doors, openings, windows, fixtures, furniture, counters


def _core() -> tuple[list[Space], list[Door], list[Opening], list[Lift]]:
    """Two smoke-proof stairs with front rooms, the fire lift, a passenger lift, a duct shaft."""
    spaces = [
        Space("楼梯间", box(12800, 9600, 15600, 15600), fire_label="防烟楼梯间"),
        Space("合用前室", box(15600, 9600, 18400, 12600)),
        Space("消防电梯", box(15600, 12600, 18400, 15600), room=False),
        Space("电梯厅", box(18400, 9600, 21200, 12600)),
        Space("电梯", box(18400, 12600, 21200, 15600), room=False),
        Space("前室", box(21200, 9600, 24000, 12600)),
        Space("管道井", box(21200, 12600, 24000, 15600)),
        Space("楼梯间", box(24000, 9600, 26800, 15600), fire_label="防烟楼梯间"),
    ]
    doors = [
        Door("FM乙1221", (16400, 9600), "x", +1, -1, exit=True),
        Door("FM乙1021", (15600, 11000), "y", -1, -1),
        Door("FM乙1221", (23200, 9600), "x", +1, +1, exit=True),
        Door("FM乙1021", (24000, 11000), "y", +1, -1),
        Door("FM丙0618", (22600, 12600), "x", -1, -1),
    ]
    openings = [
        Opening((17000, 12600), "x", 1100),
        Opening((19800, 12600), "x", 1100),
        Opening((19800, 9600), "x", 2400),
    ]
    lifts = [Lift((15700, 12700, 18300, 15500), True), Lift((18500, 12700, 21100, 15500), False)]
    return spaces, doors, openings, lifts


def _tower_flights(treads: int) -> tuple[tuple[float, float, float, float], ...]:
    """The two flights of each tower stair (clear stair 2.6 m: 1.2 + 0.2 well + 1.2)."""
    length = treads * TREAD
    start = 11800.0 if treads <= 8 else 11300.0
    out: list[tuple[float, float, float, float]] = []
    for x0 in (12900.0, 24100.0):
        out.append((x0, start, x0 + 1200, start + length))
        out.append((x0 + 1400, start, x0 + 2600, start + length))
    return tuple(out)


def _columns(outline: Polygon, points: Iterable[Point], size: float) -> tuple[Polygon, ...]:
    """Square columns at perimeter points, pushed inside so they are flush with the outer face."""
    x0, y0, x1, y1 = outline.bounds
    out = []
    for x, y in points:
        cx = min(max(x - size / 2, x0), x1 - size)
        cy = min(max(y - size / 2, y0), y1 - size)
        out.append(box(cx, cy, cx + size, cy + size))
    return tuple(out)


PERIMETER_COLUMNS_X = (0.0, 7500.0, 13200.0, 19800.0, 26400.0, 32100.0, WIDTH)
"""Columns of the long façades; the down conductors use the rebars of some of them."""


def _tower_columns() -> tuple[Polygon, ...]:
    pts = [(x, y) for y in (0.0, DEPTH) for x in PERIMETER_COLUMNS_X]
    pts += [(0.0, 7800.0), (WIDTH, 7800.0)]
    return _columns(TOWER_OUTLINE, pts, COLUMN)


def _tower_floor(key: str, title: str) -> Floor:
    """An above-ground storey: 1 (ground, exits at the corridor ends) or 2 (standard)."""
    spaces, doors, openings, windows, fixtures, furniture, counters = _west_dwellings()
    spaces += [replace(s, shape=_mirror_shape(s.shape)) for s in list(spaces)]
    doors += [_mirror_door(d) for d in list(doors)]
    openings += [replace(o, at=(_mx(o.at[0]), o.at[1])) for o in list(openings)]
    windows += [_mirror_window(w) for w in list(windows)]
    fixtures += [_mirror_item(i) for i in list(fixtures)]
    furniture += [_mirror_item(i) for i in list(furniture)]
    counters += [_mirror_shape(c) for c in list(counters)]
    core_spaces, core_doors, core_openings, lifts = _core()
    spaces += core_spaces
    doors += core_doors
    openings += core_openings
    spaces.append(Space("走道", box(0, 8100, WIDTH, 9600)))
    windows += [Window("C1215", (14200, DEPTH), "x", +1), Window("C1215", (25400, DEPTH), "x", +1)]
    if key == "1":
        doors += [
            Door("M1221", (0, 8850), "y", -1, -1, exit=True),
            Door("M1221", (WIDTH, 8850), "y", +1, -1, exit=True),
        ]
    else:
        windows += [Window("C0915", (0, 8850), "y", -1), Window("C0915", (WIDTH, 8850), "y", +1)]
    floor = Floor(
        key=key,
        title=title,
        scale=100.0,
        xs=X_AXES,
        ys=Y_AXES,
        spaces=tuple(spaces),
        doors=tuple(doors),
        openings=tuple(openings),
        windows=tuple(windows),
        flights=_tower_flights(8),
        treads=8,
        lifts=tuple(lifts),
        fixtures=tuple(fixtures),
        furniture=tuple(furniture),
        counters=tuple(counters),
        columns=_tower_columns(),
        external_wall=WALL,
        compartments=(Zone("防火分区1", TOWER_OUTLINE),),
    )
    return replace(floor, walls=derive_walls(floor.spaces, WALL, WALL))


def _roof_floor() -> Floor:
    """The roof: parapet, the two stair heads and the lift machine room (突出屋面部分)."""
    s1 = box(12800, 9600, 15600, DEPTH)
    machine = box(15600, 12600, 21200, DEPTH)
    s2 = box(24000, 9600, 26800, DEPTH)
    roof = box(0, 0, WIDTH, DEPTH).difference(union_all([s1, machine, s2]))
    spaces = (
        Space("屋面", rect_polygon(roof), room=False),
        Space("楼梯间", s1),
        Space("电梯机房", machine),
        Space("楼梯间", s2),
    )
    doors = (
        Door("FM乙1021", (14200, 9600), "x", -1, -1),
        Door("FM乙1021", (25400, 9600), "x", -1, +1),
        Door("FM甲1021", (18400, 12600), "x", -1, -1),
    )
    floor = Floor(
        key="RF",
        title="屋顶平面图",
        scale=100.0,
        xs=X_AXES,
        ys=Y_AXES,
        spaces=spaces,
        doors=doors,
        openings=(),
        windows=(Window("C1215", (14200, DEPTH), "x", +1), Window("C1215", (25400, DEPTH), "x", +1)),
        flights=_tower_flights(8),
        treads=8,
        lifts=(),
        fixtures=(),
        furniture=(),
        counters=(),
        columns=_tower_columns(),
        external_wall=WALL,
    )
    return replace(floor, walls=derive_walls(floor.spaces, WALL, WALL))


# --------------------------------------------------------------------------------------------
# The basement
# --------------------------------------------------------------------------------------------

S3 = box(-30000, 17400, -27200, 23400)
S4 = box(39200, -7800, 42000, -1800)
CORE_WEST = box(12800, 9600, 21200, 15600)
CORE_EAST = box(21200, 9600, 26800, 15600)
BX0, BY0, BX1, BY1 = BASEMENT_AXIS_BOX
C1_AXIS = box(BX0, BY0, COMPARTMENT_X[0], BY1)
C2_AXIS = box(COMPARTMENT_X[0], BY0, COMPARTMENT_X[1], BY1)
C3_AXIS = box(COMPARTMENT_X[1], BY0, BX1, BY1)
SHELTER_SPLIT_Y = 7800.0
"""The anti-blast wall between the two anti-blast units of the shelter (level -2)."""


def _basement_compartments() -> tuple[Zone, ...]:
    ox0, oy0, ox1, oy1 = BASEMENT_OUTLINE.bounds
    xa, xb = COMPARTMENT_X
    return (
        Zone("防火分区1", box(ox0, oy0, xa, oy1)),
        Zone("防火分区2", box(xa, oy0, xb, oy1)),
        Zone("防火分区3", box(xb, oy0, ox1, oy1)),
    )


def _basement_floor(key: str) -> Floor:
    """Level -1 (bicycles, storage, switch room) or -2 (shelter, water, plant rooms)."""
    core_spaces, core_doors, core_openings, lifts = _core()
    spaces: list[Space] = list(core_spaces)
    spaces += [
        Space("楼梯间", S3, fire_label="封闭楼梯间"),
        Space("楼梯间", S4, fire_label="封闭楼梯间"),
    ]
    doors: list[Door] = list(core_doors)
    doors += [
        Door("FM甲1021", (-28600, 17400), "x", +1, -1, exit=True),
        Door("FM甲1021", (40600, -1800), "x", -1, +1, exit=True),
        Door("FM甲1221", (21200, 0), "y", +1, -1, exit=True),
    ]
    fixtures: list[Item] = []
    furniture: list[Item] = []
    units: tuple[Zone, ...] = ()
    blasts: tuple[Zone, ...] = ()
    entrances: tuple[Entrance, ...] = ()
    east_rest = C3_AXIS.difference(CORE_EAST).difference(S4)
    if key == "-1":
        # The switch room sits against the west core so that the west bicycle store can have a
        # second fire-wall door at its south end, and the east store has one at its north end:
        # no point of either is farther than 25 m (the dead-end limit of a sprinklered
        # high-rise, FIRE-013) from a door.
        switch = box(4800, 9600, 12800, 15600)
        spaces += [
            Space("配电室", switch),
            Space("自行车库", rect_polygon(C1_AXIS.difference(S3))),
            Space("自行车库", rect_polygon(C2_AXIS.difference(CORE_WEST).difference(switch))),
            Space("储藏间", rect_polygon(east_rest)),
        ]
        doors += [
            Door("FM甲1221", (-6000, 15000), "y", -1, +1, exit=True),
            Door("FM甲1221", (-6000, -6000), "y", -1, +1, exit=True),
            Door("FM甲1221", (21200, 20400), "y", +1, -1, exit=True),
            Door("FM甲1021", (8800, 9600), "x", -1, -1),
        ]
        furniture += [Item("BIKE", (-25000 + 800 * k, -6000)) for k in range(12)]
        title = "地下一层平面图"
    else:
        gas_lock = box(-30000, 1200, -26400, 4800)
        decon = box(-30000, -2400, -26400, 1200)
        filters = box(-30000, 4800, -26400, 7800)
        toilet = box(-9600, -7800, -6000, -4200)
        south = box(BX0, BY0, COMPARTMENT_X[0], SHELTER_SPLIT_Y)
        north = box(BX0, SHELTER_SPLIT_Y, COMPARTMENT_X[0], BY1)
        tank = box(-6000, -7800, 6000, 4200)
        pumps = box(-6000, 4200, 6000, 9600)
        spaces += [
            Space("防毒通道", gas_lock),
            Space("洗消间", decon),
            Space("滤毒室", filters),
            Space("干厕", toilet),
            Space("人员掩蔽区", rect_polygon(
                south.difference(union_all([gas_lock, decon, filters, toilet])))),
            Space("人员掩蔽区", rect_polygon(north.difference(S3))),
            Space("消防水池", tank),
            Space("水泵房", pumps),
            Space("设备用房", rect_polygon(
                C2_AXIS.difference(CORE_WEST).difference(union_all([tank, pumps])))),
            Space("储藏间", rect_polygon(east_rest)),
        ]
        doors += [
            Door("HFM1220", (-6000, 15000), "y", -1, +1, exit=True),
            Door("HFM1520", (-30000, 3000), "y", -1, -1, exit=True),
            Door("HM1520", (-26400, 3000), "y", -1, +1),
            Door("M0821", (-28200, 1200), "x", -1, -1),
            Door("M0821", (-26400, 6300), "y", -1, +1),
            Door("M0821", (-7800, -4200), "x", -1, +1),
            Door("M1521", (-18000, SHELTER_SPLIT_Y), "x", +1, -1),
            Door("FM甲1021", (6000, 6900), "y", -1, -1),
        ]
        fixtures += [Item("WC", (-9400, -7600)), Item("WC", (-8700, -7600))]
        ox0, oy0, _, oy1 = BASEMENT_OUTLINE.bounds
        xa = COMPARTMENT_X[0]
        units = (Zone("防护单元一", box(ox0, oy0, xa, oy1)),)
        blasts = (
            Zone("抗爆单元1", box(ox0, oy0, xa, SHELTER_SPLIT_Y)),
            Zone("抗爆单元2", box(ox0, SHELTER_SPLIT_Y, xa, oy1)),
        )
        entrances = (
            Entrance("main", "主要出入口", (-34650, 1250, -29850, 4750)),
            Entrance("secondary", "次要出入口", (-30000, 17400, -27200, 23400)),
        )
        title = "地下二层平面图"
    openings = list(core_openings)
    flights = _tower_flights(10) + (
        (-29850, 19100, -28650, 21800),
        (-28500, 19100, -27300, 21800),
        (39300, -6200, 40500, -3500),
        (40650, -6200, 41850, -3500),
    )
    column_points = [(x, y) for x in (-22000.0, -14000.0, 7500.0, 32100.0) for y in (0.0, 15600.0)]
    columns = tuple(
        box(x - 250, y - 250, x + 250, y + 250) for x, y in column_points
    )
    floor = Floor(
        key=key,
        title=title,
        scale=150.0,
        xs=BASEMENT_X_AXES,
        ys=BASEMENT_Y_AXES,
        spaces=tuple(spaces),
        doors=tuple(doors),
        openings=tuple(openings),
        windows=(),
        flights=flights,
        treads=10,
        lifts=tuple(lifts),
        fixtures=tuple(fixtures),
        furniture=tuple(furniture),
        counters=(),
        columns=columns,
        external_wall=BASEMENT_WALL,
        compartments=_basement_compartments(),
        units=units,
        blast_units=blasts,
        entrances=entrances,
    )
    return replace(floor, walls=derive_walls(floor.spaces, BASEMENT_WALL, WALL))


def _build_floors() -> dict[str, Floor]:
    return {
        "-2": _basement_floor("-2"),
        "-1": _basement_floor("-1"),
        "1": _tower_floor("1", "一层平面图"),
        "2": _tower_floor("2", "二层平面图"),
        "RF": _roof_floor(),
    }


FLOORS: dict[str, Floor] = _build_floors()
"""Every drawn storey by its FLOOR value."""


# --------------------------------------------------------------------------------------------
# Derived numbers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TowerNumbers:
    """Areas and values derived from the geometry, used in notes, tables and project.toml."""

    footprint_m2: float
    gfa_m2: float
    basement_m2: float
    shelter_m2: float
    shelter_usable_m2: float
    capacity: int
    dwellings: int
    height_m: float
    roof_level_m: float
    lightning_n: float
    compartments: dict[str, list[tuple[str, float]]]


def numbers(floors: dict[str, Floor] | None = None) -> TowerNumbers:
    """Every derived figure of the tower, from ``floors`` (default :data:`FLOORS`)."""
    floors = FLOORS if floors is None else floors
    footprint = TOWER_OUTLINE.area / 1e6
    gfa = round(footprint, 2) * FLOORS_ABOVE
    basement = BASEMENT_OUTLINE.area / 1e6 * FLOORS_BELOW
    b2 = floors["-2"]
    shelter = sum(z.shape.area for z in b2.units) / 1e6
    usable = sum(p.area for _, p in b2.rooms("人员掩蔽区")) / 1e6
    capacity = int(math.floor(usable * 0.9 / 10.0) * 10)
    height = (FLOORS_ABOVE * STOREY + PARAPET - GRADE) / 1000.0
    # GB 50057-2010 appendix A: N = k * Ng * Ae, Ng = 0.1 * Td; Td = 30 thunderstorm days.
    length = TOWER_OUTLINE.bounds[2] - TOWER_OUTLINE.bounds[0]
    width = TOWER_OUTLINE.bounds[3] - TOWER_OUTLINE.bounds[1]
    ln, wd, h = length / 1000, width / 1000, height
    ae = (ln * wd + 2 * (ln + wd) * math.sqrt(h * (200 - h)) + math.pi * h * (200 - h)) * 1e-6
    n = 1.0 * 0.1 * 30.0 * ae
    comps = {
        key: [(z.label, z.shape.area / 1e6) for z in f.compartments]
        for key, f in floors.items()
        if f.compartments
    }
    return TowerNumbers(
        footprint_m2=footprint,
        gfa_m2=round(gfa, 2),
        basement_m2=basement,
        shelter_m2=shelter,
        shelter_usable_m2=usable,
        capacity=capacity,
        dwellings=4 * FLOORS_ABOVE,
        height_m=height,
        roof_level_m=FLOORS_ABOVE * STOREY / 1000.0,
        lightning_n=n,
        compartments=comps,
    )

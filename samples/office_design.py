"""The storeys of the office building 1#办公楼: ground, standard and roof floors, the basement.

A nine-storey office building (二类高层公共建筑, H 39.3 m) of 50.4 m x 18.6 m on a 7-axis x
4-axis grid: offices and meeting rooms (会议室) on both sides of a 2.4 m corridor (走道), two
smoke-proof stair cores with front rooms (the western one shared with the fire lift), two
passenger lifts and the toilets. The basement is a garage under the tower and, south of it, a
civil-defence personnel shelter of two protective units (防护单元) that are also the two southern
fire compartments; each unit has an outdoor main entrance beyond the collapse zone.

The storeys reuse the data model of :mod:`samples.residential_design` (spaces, doors, derived
walls), so the plans are drawn by :func:`samples.residential_plans.draw_floor` like the
residential ones; every figure in notes, tables and ``project.toml`` is computed here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

from shapely import union_all
from shapely.geometry import Polygon, box

from samples.dxfkit import Point
from samples.residential_design import (
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

__all__ = ["FLOORS", "OFFICE_OUTLINE", "OfficeNumbers", "numbers"]

Axes = tuple[tuple[str, float], ...]

NAME = "1#"
FLOORS_ABOVE = 9
FLOORS_BELOW = 1
GROUND_STOREY = 4500.0
STOREY = 4200.0
BASEMENT_STOREY = 4200.0
PARAPET = 900.0
GRADE = -300.0
DATUM = 52.800
WALL = 200.0
EXTERNAL_WALL = 300.0
TREAD = 280.0
TREADS = 13
COLUMN = 600.0

WIDTH = 50400.0
DEPTH = 18600.0
CORRIDOR = (8100.0, 10500.0)
X_AXES: Axes = tuple((str(k + 1), 8400.0 * k) for k in range(7))
Y_AXES: Axes = (("A", 0.0), ("B", 8100.0), ("C", 10500.0), ("D", DEPTH))
BASEMENT_Y_AXES: Axes = (("3/0A", -25200.0), ("2/0A", -16800.0), ("1/0A", -8400.0), *Y_AXES)
OFFICE_OUTLINE = box(-150.0, -150.0, WIDTH + 150.0, DEPTH + 150.0)
"""Outer face of the external walls: the footprint on the site plan (building frame, mm)."""
BASEMENT_OUTLINE = box(-150.0, -25350.0, WIDTH + 150.0, DEPTH + 150.0)
"""Outer face of the basement walls."""

STAIR_W = box(0, 10500, 3200, DEPTH)
STAIR_E = box(47200, 10500, WIDTH, DEPTH)
S3 = box(0, -25200, 3200, -18000)
S4 = box(47200, -25200, WIDTH, -18000)


def _flights(stairs: Iterable[Polygon], length: float) -> tuple[tuple[float, float, float, float],
                                                                  ...]:
    """Two 1.30 m flights per stair room, centred in its clear depth, 0.35 m well between."""
    out: list[tuple[float, float, float, float]] = []
    for s in stairs:
        x0, y0, x1, y1 = s.bounds
        cx0 = x0 + (EXTERNAL_WALL / 2 if x0 == 0 else WALL / 2)
        cx1 = x1 - (EXTERNAL_WALL / 2 if x1 == WIDTH else WALL / 2)
        cy0 = y0 + (EXTERNAL_WALL / 2 if y0 == -25200 else WALL / 2)
        cy1 = y1 - (EXTERNAL_WALL / 2 if y1 == DEPTH else WALL / 2)
        start = cy0 + (cy1 - cy0 - length) / 2
        out.append((cx0, start, cx0 + 1300.0, start + length))
        out.append((cx1 - 1300.0, start, cx1, start + length))
    return tuple(out)


def _columns(points: Iterable[Point], outline: Polygon) -> tuple[Polygon, ...]:
    """Square columns, pushed inside the outline where they sit on the perimeter."""
    x0, y0, x1, y1 = outline.bounds
    out = []
    for x, y in points:
        cx = min(max(x - COLUMN / 2, x0), x1 - COLUMN)
        cy = min(max(y - COLUMN / 2, y0), y1 - COLUMN)
        out.append(box(cx, cy, cx + COLUMN, cy + COLUMN))
    return tuple(out)


def _core() -> tuple[list[Space], list[Door], list[Opening], list[Lift]]:
    """Both stair cores with their front rooms, the fire lift and the two passenger lifts."""
    spaces = [
        Space("楼梯间", STAIR_W, fire_label="防烟楼梯间"),
        Space("合用前室", box(3200, 10500, 8400, 15000)),
        Space("消防电梯", box(3200, 15000, 5800, DEPTH), room=False),
        Space("管道井", box(5800, 15000, 8400, DEPTH)),
        Space("电梯厅", box(25200, 10500, 29400, 15000)),
        Space("电梯", box(25200, 15000, 27300, DEPTH), room=False),
        Space("电梯", box(27300, 15000, 29400, DEPTH), room=False),
        Space("前室", box(44400, 10500, 47200, 14100)),
        Space("管道井", box(44400, 14100, 47200, DEPTH)),
        Space("楼梯间", STAIR_E, fire_label="防烟楼梯间"),
    ]
    doors = [
        Door("FM乙1221", (5800, 10500), "x", +1, -1, exit=True),
        Door("FM乙1221", (3200, 12300), "y", -1, -1),
        Door("FM丙0618", (7100, 15000), "x", -1, +1),
        Door("FM乙1221", (45800, 10500), "x", +1, +1, exit=True),
        Door("FM乙1221", (47200, 12300), "y", +1, -1),
        Door("FM丙0618", (45800, 14100), "x", -1, -1),
    ]
    openings = [
        Opening((4500, 15000), "x", 1100),
        Opening((27300, 10500), "x", 3000),
        Opening((26250, 15000), "x", 1000),
        Opening((28350, 15000), "x", 1000),
    ]
    lifts = [
        Lift((3300, 15100, 5700, 18450), True),
        Lift((25300, 15100, 27200, 18450), False),
        Lift((27400, 15100, 29300, 18450), False),
    ]
    return spaces, doors, openings, lifts


def _office_floor(key: str, title: str) -> Floor:
    """Storey 1 (entrance hall) or 2 (standard floor: offices and meeting rooms)."""
    spaces, doors, openings, lifts = _core()
    south = [(0.0, 8400.0), (8400.0, 16800.0), (16800.0, 33600.0), (33600.0, 42000.0),
             (42000.0, WIDTH)]
    for x0, x1 in south:
        name = "办公室"
        if x0 == 16800.0:
            name = "门厅" if key == "1" else "会议室"
        spaces.append(Space(name, box(x0, 0, x1, CORRIDOR[0])))
    spaces += [
        Space("会议室", box(8400, 10500, 16800, DEPTH)),
        Space("男卫生间", box(16800, 10500, 21000, DEPTH)),
        Space("女卫生间", box(21000, 10500, 25200, DEPTH)),
        Space("办公室", box(29400, 10500, 42000, DEPTH)),
        Space("茶水间", box(42000, 10500, 44400, DEPTH)),
        Space("走道", box(0, CORRIDOR[0], WIDTH, CORRIDOR[1])),
    ]
    doors += [Door("M1021", (x, CORRIDOR[0]), "x", -1, +1) for x in (6600, 15000, 40200, 48600)]
    if key == "1":
        doors += [
            Door("M1527", (18600, CORRIDOR[0]), "x", -1, +1),
            Door("M1527", (31800, CORRIDOR[0]), "x", -1, -1),
            Door("M3027", (25200, 0), "x", -1, +1, exit=True),
        ]
    else:
        doors += [
            Door("M1521", (18600, CORRIDOR[0]), "x", -1, +1),
            Door("M1521", (31800, CORRIDOR[0]), "x", -1, -1),
        ]
    doors += [
        Door("M1021", (12600, CORRIDOR[1]), "x", +1, -1),
        Door("M1021", (18000, CORRIDOR[1]), "x", +1, -1),
        Door("M1021", (24000, CORRIDOR[1]), "x", +1, +1),
        Door("M1021", (33600, CORRIDOR[1]), "x", +1, -1),
        Door("M0921", (43200, CORRIDOR[1]), "x", +1, -1),
    ]
    windows = [Window("C3020", (x, 0), "x", -1) for x in (4200, 12600, 37800, 46200)]
    if key == "1":
        windows += [Window("C3020", (20400, 0), "x", -1), Window("C3020", (30000, 0), "x", -1)]
    else:
        windows += [Window("C3020", (x, 0), "x", -1) for x in (20400, 25200, 30000)]
    windows += [Window("C3020", (x, DEPTH), "x", +1) for x in (12600, 33000, 38400)]
    windows += [Window("C1515", (x, DEPTH), "x", +1) for x in (1600, 18900, 23100, 43200, 48800)]
    windows += [Window("C1220", (0, 9300), "y", -1), Window("C1220", (WIDTH, 9300), "y", +1)]
    fixtures = [Item("WC", (17100 + 900 * k, 17600)) for k in range(4)]
    fixtures += [Item("WC", (21300 + 900 * k, 17600)) for k in range(4)]
    fixtures += [Item("BASIN", (17100 + 800 * k, 14000)) for k in range(3)]
    fixtures += [Item("BASIN", (21300 + 800 * k, 14000)) for k in range(3)]
    furniture = [Item("TABLE-6", (11900, 13800))]
    if key != "1":
        furniture += [Item("TABLE-6", (x, 3300)) for x in (21000, 24500, 28000)]
    columns = _columns([(x, y) for _, x in X_AXES for y in (0.0, DEPTH)], OFFICE_OUTLINE)
    floor = Floor(
        key=key, title=title, scale=100.0, xs=X_AXES, ys=Y_AXES, spaces=tuple(spaces),
        doors=tuple(doors), openings=tuple(openings), windows=tuple(windows),
        flights=_flights((STAIR_W, STAIR_E), TREADS * TREAD), treads=TREADS, lifts=tuple(lifts),
        fixtures=tuple(fixtures), furniture=tuple(furniture), counters=(), columns=columns,
        external_wall=EXTERNAL_WALL, compartments=(Zone("防火分区1", OFFICE_OUTLINE),),
    )
    return replace(floor, walls=derive_walls(floor.spaces, EXTERNAL_WALL, WALL))


def _roof_floor() -> Floor:
    """The roof: parapet, both stair heads and the two lift machine rooms."""
    machine_fire = box(3200, 15000, 8400, DEPTH)
    machine = box(25200, 15000, 29400, DEPTH)
    structures = [STAIR_W, machine_fire, machine, STAIR_E]
    roof = box(0, 0, WIDTH, DEPTH).difference(union_all(structures))
    spaces = (
        Space("屋面", rect_polygon(roof), room=False),
        Space("楼梯间", STAIR_W),
        Space("电梯机房", machine_fire),
        Space("电梯机房", machine),
        Space("楼梯间", STAIR_E),
    )
    doors = (
        Door("FM乙1021", (1600, 10500), "x", -1, -1),
        Door("FM乙1021", (48800, 10500), "x", -1, +1),
        Door("FM甲1021", (5800, 15000), "x", -1, -1),
        Door("FM甲1021", (27300, 15000), "x", -1, +1),
    )
    floor = Floor(
        key="RF", title="屋顶平面图", scale=100.0, xs=X_AXES, ys=Y_AXES, spaces=spaces,
        doors=doors, openings=(), windows=(), flights=_flights((STAIR_W, STAIR_E),
                                                               TREADS * TREAD),
        treads=TREADS, lifts=(), fixtures=(), furniture=(), counters=(),
        columns=_columns([(x, y) for _, x in X_AXES for y in (0.0, DEPTH)], OFFICE_OUTLINE),
        external_wall=EXTERNAL_WALL,
    )
    return replace(floor, walls=derive_walls(floor.spaces, EXTERNAL_WALL, WALL))


# --------------------------------------------------------------------------------------------
# The basement: garage under the tower, shelter of two protective units to the south
# --------------------------------------------------------------------------------------------

GAS_LOCKS = (box(7800, -25200, 11700, -21600), box(38700, -25200, 42600, -21600))
"""The gas-tight passages (防毒通道) behind the two main entrances."""
MAIN_ENTRANCES = ((8000.0, -30150.0, 11500.0, -25350.0), (38900.0, -30150.0, 42400.0, -25350.0))
"""Outdoor main entrances (stair and passage), south of the basement wall."""


def _basement_floor() -> Floor:
    """Level -1: the garage (汽车库) and the personnel shelter (人员掩蔽区) of two units."""
    spaces, doors, openings, lifts = _core()
    cores = union_all([box(0, 10500, 8400, DEPTH), box(25200, 10500, 29400, DEPTH),
                       box(44400, 10500, WIDTH, DEPTH)])
    spaces += [
        Space("汽车库", rect_polygon(box(0, 0, WIDTH, DEPTH).difference(cores))),
        Space("楼梯间", S3, fire_label="封闭楼梯间"),
        Space("楼梯间", S4, fire_label="封闭楼梯间"),
        Space("防毒通道", GAS_LOCKS[0]),
        Space("防毒通道", GAS_LOCKS[1]),
        Space("人员掩蔽区", rect_polygon(box(0, -25200, 25200, 0).difference(
            union_all([S3, GAS_LOCKS[0]])))),
        Space("人员掩蔽区", rect_polygon(box(25200, -25200, WIDTH, 0).difference(
            union_all([S4, GAS_LOCKS[1]])))),
    ]
    doors += [
        Door("FM甲1221", (12600, 0), "x", +1, -1, exit=True),
        Door("FM甲1221", (37800, 0), "x", +1, +1, exit=True),
        Door("FM甲1221", (25200, -12600), "y", +1, -1),
        Door("FM甲1021", (1600, -18000), "x", -1, -1, exit=True),
        Door("FM甲1021", (48800, -18000), "x", -1, +1, exit=True),
        Door("HFM1520", (9750, -25200), "x", +1, -1, exit=True),
        Door("HFM1520", (40650, -25200), "x", +1, +1, exit=True),
        Door("HM1520", (9750, -21600), "x", +1, -1),
        Door("HM1520", (40650, -21600), "x", +1, +1),
    ]
    ox0, oy0, ox1, oy1 = BASEMENT_OUTLINE.bounds
    compartments = (
        Zone("防火分区1", box(ox0, oy0, 25200, 0)),
        Zone("防火分区2", box(25200, oy0, ox1, 0)),
        Zone("防火分区3", box(ox0, 0, ox1, oy1)),
    )
    units = (Zone("防护单元一", compartments[0].shape), Zone("防护单元二", compartments[1].shape))
    blasts = (
        Zone("抗爆单元1", box(ox0, oy0, 12600, 0)),
        Zone("抗爆单元2", box(12600, oy0, 25200, 0)),
        Zone("抗爆单元3", box(25200, oy0, 37800, 0)),
        Zone("抗爆单元4", box(37800, oy0, ox1, 0)),
    )
    entrances = (
        Entrance("main", "主要出入口", MAIN_ENTRANCES[0]),
        Entrance("secondary", "次要出入口", S3.bounds),
        Entrance("main", "主要出入口", MAIN_ENTRANCES[1]),
        Entrance("secondary", "次要出入口", S4.bounds),
    )
    points = [(x, y) for _, x in X_AXES for y in (-25200.0, -16800.0, -8400.0, 0.0)]
    columns = tuple(box(x - 300, y - 300, x + 300, y + 300) for x, y in points
                    if 0 < x < WIDTH and -25200 < y)
    floor = Floor(
        key="-1", title="地下一层平面图", scale=150.0, xs=X_AXES, ys=BASEMENT_Y_AXES,
        spaces=tuple(spaces), doors=tuple(doors), openings=tuple(openings), windows=(),
        flights=_flights((STAIR_W, STAIR_E, S3, S4), TREADS * TREAD), treads=TREADS,
        lifts=tuple(lifts), fixtures=(), furniture=(), counters=(), columns=columns,
        external_wall=EXTERNAL_WALL, compartments=compartments, units=units, blast_units=blasts,
        entrances=entrances,
    )
    return replace(floor, walls=derive_walls(floor.spaces, EXTERNAL_WALL, WALL))


FLOORS: dict[str, Floor] = {
    "-1": _basement_floor(),
    "1": _office_floor("1", "一层平面图"),
    "2": _office_floor("2", "二层平面图"),
    "RF": _roof_floor(),
}
"""Every drawn storey by its FLOOR value."""


@dataclass(frozen=True, slots=True)
class OfficeNumbers:
    """Areas and values derived from the geometry, used in notes, tables and project.toml."""

    footprint_m2: float
    gfa_m2: float
    basement_m2: float
    shelter_m2: float
    unit_m2: tuple[float, ...]
    shelter_usable_m2: float
    capacity: int
    height_m: float
    roof_level_m: float
    lightning_n: float
    compartments: dict[str, list[tuple[str, float]]]


def numbers(floors: dict[str, Floor] | None = None) -> OfficeNumbers:
    """Every derived figure of the building, from ``floors`` (default :data:`FLOORS`)."""
    floors = FLOORS if floors is None else floors
    footprint = OFFICE_OUTLINE.area / 1e6
    b1 = floors["-1"]
    units = tuple(z.shape.area / 1e6 for z in b1.units)
    usable = sum(p.area for _, p in b1.rooms("人员掩蔽区")) / 1e6
    roof = GROUND_STOREY + (FLOORS_ABOVE - 1) * STOREY
    height = (roof + PARAPET - GRADE) / 1000.0
    x0, y0, x1, y1 = OFFICE_OUTLINE.bounds
    ln, wd, h = (x1 - x0) / 1000, (y1 - y0) / 1000, height
    # GB 50057-2010 appendix A: N = k * Ng * Ae, Ng = 0.1 * Td; Td = 30 thunderstorm days.
    ae = (ln * wd + 2 * (ln + wd) * math.sqrt(h * (200 - h)) + math.pi * h * (200 - h)) * 1e-6
    return OfficeNumbers(
        footprint_m2=footprint,
        gfa_m2=round(round(footprint, 2) * FLOORS_ABOVE, 2),
        basement_m2=BASEMENT_OUTLINE.area / 1e6 * FLOORS_BELOW,
        shelter_m2=sum(units),
        unit_m2=units,
        shelter_usable_m2=usable,
        capacity=int(math.floor(usable * 0.9 / 10.0) * 10),
        height_m=height,
        roof_level_m=roof / 1000.0,
        lightning_n=1.0 * 0.1 * 30.0 * ae,
        compartments={key: [(z.label, z.shape.area / 1e6) for z in f.compartments]
                      for key, f in floors.items() if f.compartments},
    )

"""3#楼 with seeded violations: the reference package with realistic design mistakes.

The checkers need a package where every rule has something to find, and a list of what it
should find. This package is the clean residential tower (:mod:`samples.residential`) drawn by
the same code from a modified :class:`~samples.residential.Tower`: each change below is one
mistake a designer could really make, chosen clearly beyond its threshold, and everything else
stays as in the clean package, so each mistake produces only the finding it is meant to.

``expected_findings.json`` lists them with the location in the model space (metres) of the
drawing that carries the mistake; :data:`VIOLATIONS` holds the same list with the values, for
the README and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from shapely import affinity, union_all
from shapely.geometry import LineString, Polygon, box

from samples.dxfkit import Point, Xform
from samples.residential import (
    FILES,
    INDICATORS_AT,
    Placements,
    Tower,
    clean_tower,
    write_expected,
    write_package,
)
from samples.residential_design import (
    BASEMENT_OUTLINE,
    FLOORS_ABOVE,
    TOWER_OUTLINE,
    WALL,
    Door,
    Floor,
    Item,
    Space,
    Window,
    Zone,
    derive_walls,
    rect_polygon,
)
from samples.residential_floors import FLOORS, numbers
from samples.residential_site import indicator_lines, site, site_xform

__all__ = ["VIOLATIONS", "Violation", "build", "violation_tower"]

GFA_DECLARED = 14600.0
"""Declared FAR-counted area (m²): FAR 14600 / 7672 = 1.90 > 1.8."""
GREEN_WRITTEN = "35.0%"
"""The green ratio written in the indicator table (the geometry gives 46.4 %)."""
SITE_SHIFT = 800.0
"""The site-plan footprint lies this far (mm) east of the architecture ground floor."""
LANE_WIDTH = 3600.0
RESCUE_GAP = 13000.0
"""Distance (mm) from the tower's south wall to the near edge of the rescue site."""
FIRE_WALL_DOOR = (21200.0, 4600.0)
"""The fire-wall door between compartments 2 and 3 on level -2, moved next to the stair."""
BASEMENT_EXTENSION = box(-45500.0, 8000.0, -30150.0, 16000.0)
"""An underground plant-room extension that runs 0.5 m past the west land boundary."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One seeded mistake: the finding it should produce and where, plus value and limit."""

    code: str
    file: str
    sheet: str
    severity: str
    local: Point
    """Location in the sheet's local frame: building frame (mm) on plans and site plans."""
    frame: str
    """``plan`` (floor plan, storey key in ``storey``), ``site`` (site plan) or ``table``."""
    storey: str
    value: str
    limit: str
    what: str


VIOLATIONS: tuple[Violation, ...] = (
    Violation("PLAN-001", "planning/site.dxf", "G-01", "error", (-45250.0, 12000.0), "site", "",
              "crosses the land boundary by 0.5 m", "> 0.01 m outside: error",
              "basement outline (地下室轮廓) with a plant-room extension past the west boundary"),
    Violation("PLAN-003", "planning/site.dxf", "G-01", "error", (0.0, 0.0), "site", "",
              "FAR 1.90 (declared GFA 14600 m² / site 7672 m²)", "far_max 1.8",
              "declared FAR-counted area (project.toml, BLDG GFA, indicator table)"),
    Violation("PLAN-010", "planning/site.dxf", "G-01", "error", (0.0, 0.0), "table", "",
              "绿地率 written 35.0 %, geometry 46.4 %", "difference ≤ 0.5 points",
              "indicator table value that disagrees with the green polygons"),
    Violation("ARCH-004", "architecture/plans.dxf", "A-05", "error", (11550.0, 1100.0), "plan",
              "2", "bedroom 4.60 m² (2.3 m × 2.0 m clear)", "≥ 5 m² (edition 2025)",
              "small bedroom (卧室) cut from the living room of the south-west dwelling"),
    Violation("ARCH-006", "architecture/plans.dxf", "A-05", "error", (825.0, 10800.0), "plan",
              "2", "kitchen 3.19 m² (1.45 m × 2.2 m clear)", "≥ 3.5 m² (edition 2025)",
              "kitchen (厨房) of the north-west dwelling narrowed to widen the hall"),
    Violation("ARCH-001", "architecture/plans.dxf", "A-05", "error", (24625.0, 12880.0), "plan",
              "2", "flight 1.05 m wide", "≥ 1.10 m (residential, H 54 m > 18 m)",
              "first flight of the east stair"),
    Violation("FIRE-001", "fire/plans.dxf", "F-03", "error", (18075.0, 7800.0), "plan", "-1",
              "compartment 1516.73 m²", "≤ 1000 m² (basement 500 × 2, sprinklered)",
              "compartments 2 and 3 of level -1 drawn as one (fire wall omitted)"),
    Violation("FIRE-005", "fire/plans.dxf", "F-02", "error", FIRE_WALL_DOOR, "plan", "-2",
              "4.2 m between the exit marks (door openings 4.6 m apart)", "≥ 5 m",
              "fire-wall door of compartment 3 moved next to the east stair's exit"),
    Violation("FIRE-007", "fire/plans.dxf", "F-01", "error", (55000.0, -19000.0), "site", "",
              "fire lane 3.6 m wide", "≥ 4.0 m", "fire lane (消防车道) along the south side"),
    Violation("FIRE-009", "fire/plans.dxf", "F-01", "error", (40500.0, -13100.0), "site", "",
              "rescue site 13.0 m from the wall", "≤ 10 m",
              "rescue site (登高操作场地) moved onto the fire lane"),
    Violation("CDEF-002", "civil_defence/shelter.dxf", "R-01", "warning", (6000.0, 7800.0),
              "plan", "-2", "protective unit 2277.45 m²", "≤ 2000 m² (personnel shelter)",
              "the whole of level -2 declared one protective unit"),
    Violation("LTNG-001", "lightning/roof.dxf", "E-01", "error", (33700.0, 5900.0), "plan", "RF",
              "mesh cell 12.0 m × 12.0 m", "class 2: 10 × 10 or 12 × 8 m",
              "mesh line y = 7.8 m stopped at x = 27.7 m, the cell closed at y = 11.9 m"),
    Violation("LTNG-004", "lightning/roof.dxf", "E-01", "warning", (13150.0, -100.0), "plan",
              "RF", "gap 26.5 m (average 15.9 m)", "class 2: ≤ 18 m",
              "down conductor YX2 on the south façade omitted"),
    Violation("JOINT-001", "architecture/plans.dxf", "A-04", "error", (-100.0, -100.0), "plan",
              "1", "ground floor 0.8 m west of the site-plan footprint (IoU 0.96, Hausdorff 0.8 m)",
              "IoU ≥ 0.98 and Hausdorff ≤ 0.5 m",
              "footprint on both site plans drawn 0.8 m east of axis 1/A"),
    Violation("JOINT-002", "planning/site.dxf", "G-01", "error", (15000.0, 5200.0), "site", "",
              "BLDG FLOORS_ABOVE = 17 (label 17F/-2)", "18 (architecture, project.toml)",
              "storey count on the planning BLDG block; located at its label"),
)
"""Every seeded mistake of the package, in the order of expected_findings.json."""


# --------------------------------------------------------------------------------------------
# The modified storeys
# --------------------------------------------------------------------------------------------


def _standard_floor(floor: Floor) -> Floor:
    """Storey 2: a 4.6 m² bedroom, a 3.19 m² kitchen and a 1.05 m stair flight (west half)."""
    living = box(7500, 0, 12800, 5700)
    small = box(10300, 0, 12800, 2200)
    kitchen = box(0, 9600, 2400, 12000)
    hall = box(2400, 9600, 10200, 12000)
    spaces: list[Space] = []
    for s in floor.spaces:
        if s.shape.equals(living):
            spaces += [replace(s, shape=rect_polygon(living.difference(small))),
                       Space("卧室", small)]
        elif s.shape.equals(kitchen):
            spaces.append(replace(s, shape=box(0, 9600, 1650, 12000)))
        elif s.shape.equals(hall):
            spaces.append(replace(s, shape=box(1650, 9600, 10200, 12000)))
        else:
            spaces.append(s)
    doors = [replace(d, at=(1650.0, 10800.0)) if d.at == (2400, 10800) else d
             for d in floor.doors]
    doors.append(Door("M0921", (10900.0, 2200.0), "x", -1, +1))
    windows = [w for w in floor.windows if not (w.number == "C3018" and w.at == (10150, 0))]
    windows += [Window("C2418", (8850.0, 0.0), "x", -1), Window("C1218", (11550.0, 0.0), "x", -1)]
    counters = [
        Polygon([(100, 9700), (700, 9700), (700, 11300), (1550, 11300), (1550, 11900),
                 (100, 11900)]) if c.bounds == (100, 9700, 2300, 11900) else c
        for c in floor.counters
    ]
    flights = list(floor.flights)
    x0, y0, _, y1 = flights[2]
    flights[2] = (x0, y0, x0 + 1050.0, y1)
    changed = replace(
        floor, spaces=tuple(spaces), doors=tuple(doors), windows=tuple(windows),
        counters=tuple(counters), flights=tuple(flights),
        furniture=(*floor.furniture, Item("BED-1200", (11450.0, 100.0))),
    )
    return replace(changed, walls=derive_walls(changed.spaces, WALL, WALL))


def _level_minus_1(floor: Floor) -> Floor:
    """Level -1: compartments 2 and 3 drawn as one, so their fire-wall door is no exit."""
    first, second, third = floor.compartments
    merged = Zone(second.label, rect_polygon(union_all([second.shape, third.shape])))
    doors = tuple(replace(d, exit=False) if d.at == (21200, 0) else d for d in floor.doors)
    return replace(floor, compartments=(first, merged), doors=doors)


def _level_minus_2(floor: Floor) -> Floor:
    """Level -2: the fire-wall door moved north; the whole storey one protective unit."""
    doors = tuple(
        replace(d, at=FIRE_WALL_DOOR) if d.at == (21200, 0) else d for d in floor.doors
    )
    ox0, oy0, ox1, oy1 = BASEMENT_OUTLINE.bounds
    split_y = 7800.0
    edges = [ox0, -6000.0, 21200.0, ox1]
    blasts = []
    for k, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        blasts += [Zone(f"抗爆单元{2 * k + 1}", box(a, oy0, b, split_y)),
                   Zone(f"抗爆单元{2 * k + 2}", box(a, split_y, b, oy1))]
    return replace(floor, doors=doors, units=(Zone("防护单元一", BASEMENT_OUTLINE),),
                   blast_units=tuple(blasts))


# --------------------------------------------------------------------------------------------
# Roof conductors and the site
# --------------------------------------------------------------------------------------------


def _mesh() -> tuple[LineString, ...]:
    """The roof mesh with one 12 m × 12 m cell in the east bay."""
    x0, y0, x1, y1 = TOWER_OUTLINE.bounds
    lines = [LineString(list(TOWER_OUTLINE.exterior.coords))]
    lines += [LineString([(x, y0), (x, y1)]) for x in (6600.0, 13200.0, 19800.0, 27700.0)]
    lines += [
        LineString([(x0, 7800.0), (27700.0, 7800.0)]),
        LineString([(27700.0, 11900.0), (x1, 11900.0)]),
        LineString([(33700.0, 11900.0), (33700.0, y1)]),
        LineString([(12700, y1), (12700, 9500), (15700, 9500), (15700, 12500), (21300, 12500),
                    (21300, y1)]),
        LineString([(23900, y1), (23900, 9500), (26900, 9500), (26900, y1)]),
    ]
    return tuple(lines)


def _down() -> tuple[Point, ...]:
    """Seven down conductors: the one at axis 4 on the south façade is missing."""
    _, y0, _, y1 = TOWER_OUTLINE.bounds
    south = (-100.0, 26400.0, 39700.0)
    north = (39700.0, 26400.0, 13200.0, -100.0)
    return tuple([(x, y0) for x in south] + [(x, y1) for x in north])


def violation_tower() -> Tower:
    """The tower with every mistake of :data:`VIOLATIONS` seeded."""
    clean = clean_tower()
    floors = dict(FLOORS)
    floors["2"] = _standard_floor(FLOORS["2"])
    floors["-1"] = _level_minus_1(FLOORS["-1"])
    floors["-2"] = _level_minus_2(FLOORS["-2"])
    top = -100.0 - RESCUE_GAP
    extra = tuple(box(-35000.0 + 2500.0 * k, -14000.0, -32500.0 + 2500.0 * k, -8700.0)
                  for k in range(8))
    s = site(lane_width=LANE_WIDTH, rescue=(-1100.0, top - 10000.0, 40700.0, top),
             extra_stalls=extra)
    n = replace(numbers(floors), gfa_m2=GFA_DECLARED)
    basement = rect_polygon(union_all([BASEMENT_OUTLINE, BASEMENT_EXTENSION]))
    return replace(
        clean,
        floors=floors,
        numbers=n,
        site=s,
        mesh=_mesh(),
        down=_down(),
        site_outline=affinity.translate(TOWER_OUTLINE, SITE_SHIFT, 0.0),
        site_basement=basement,
        bldg_floors_above=FLOORS_ABOVE - 1,
        indicator_edits=(("绿地率", GREEN_WRITTEN),),
    )


# --------------------------------------------------------------------------------------------
# Locations and the package
# --------------------------------------------------------------------------------------------


def _near(v: Violation, t: Tower, placed: Placements) -> list[float]:
    """The violation's location in model-space metres of its drawing."""
    sheet_x = placed[v.file][v.sheet]
    if v.frame == "site":
        x, y = site_xform((sheet_x, 0.0)).p(v.local)
    elif v.frame == "table":
        lines = indicator_lines(t.site, t.numbers)
        k = next(i for i, line in enumerate(lines) if line.startswith("绿地率"))
        row = 8.0 * 500.0
        x = sheet_x + INDICATORS_AT[0] + 3.0 * 500.0
        y = INDICATORS_AT[1] - (k + 0.5) * row
    else:
        floor = t.floors[v.storey]
        if floor.scale >= 150:
            origin = Xform(sheet_x + 48000.0, 42000.0)
        else:
            origin = Xform(sheet_x + 12000.0, 28000.0)
        x, y = origin.p(v.local)
    return [round(x / 1000.0, 3), round(y / 1000.0, 3)]


def build(folder: Path) -> list[Path]:
    """Write the package with seeded violations and its expected findings into ``folder``."""
    t = violation_tower()
    placed = write_package(folder, t)
    findings: list[dict[str, object]] = [
        {"code": v.code, "file": v.file, "sheet": v.sheet, "severity": v.severity,
         "near": _near(v, t, placed)}
        for v in VIOLATIONS
    ]
    write_expected(folder / "expected_findings.json", findings)
    return [folder / f for f in FILES]

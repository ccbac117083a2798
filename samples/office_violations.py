"""1#办公楼 with seeded violations: the office package with realistic design mistakes.

Like :mod:`samples.residential_violations`, this is the clean office package drawn from a
modified :class:`~samples.office.Office`; each change is one mistake, clearly beyond its
threshold, in planning, architecture, fire, civil defence, lightning and one cross-drawing
check. :data:`VIOLATIONS` lists them with values; ``expected_findings.json`` gives the code,
file, sheet, severity and location (model-space metres) of each.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from shapely.geometry import LineString, box

from samples.office import (
    FILES,
    INDICATORS_AT,
    Office,
    Placements,
    clean_office,
    plan_origin,
    write_package,
)
from samples.office_design import EXTERNAL_WALL, FLOORS, OFFICE_OUTLINE, WALL
from samples.office_site import STALL_BANDS, indicator_lines, site, site_xform
from samples.residential import write_expected
from samples.residential_design import (
    Door,
    Entrance,
    Floor,
    Space,
    derive_walls,
    rect_polygon,
)
from samples.residential_violations import Violation

__all__ = ["VIOLATIONS", "build", "violation_office"]

CORRIDOR_SHAFT = box(36600.0, 9400.0, 39000.0, 10500.0)
"""A riser shaft added into the corridor: 1.10 m clear left beside it."""
SHELTER_WRITTEN = "1200.00㎡"
"""人防建筑面积 in the indicator table; the two protective units measure 1285.24 m²."""
EAST_MAIN_ENTRANCE = (50550.0, -12000.0, 55350.0, -8500.0)
"""Main entrance of protective unit 2 moved to the east wall, 8.4 m from the tower."""

VIOLATIONS: tuple[Violation, ...] = (
    Violation("PLAN-009", "planning/site.dxf", "G-01", "error", (6250.0, -18350.0), "site", "",
              "26 surface stalls", "≥ 35 (0.4 per 100 m² × 8624.07 m², rounded up)",
              "the southern band of stalls was dropped"),
    Violation("ARCH-002", "architecture/plans.dxf", "A-04", "error", (37800.0, 8750.0), "plan",
              "2", "corridor 1.10 m clear beside a riser shaft", "≥ 1.30 m (public building)",
              "shaft (管道井) built into the corridor (走道) of the standard floor"),
    Violation("FIRE-010", "fire/plans.dxf", "F-04", "error", (45800.0, 11550.0), "plan", "2",
              "front room 4.94 m² (2.6 m × 1.9 m clear)", "≥ 6.0 m² (public building)",
              "east stair front room (前室) shortened to enlarge the shaft behind it"),
    Violation("FIRE-014", "fire/plans.dxf", "F-01", "error", (20000.0, 18750.0), "site", "",
              "rescue site along 29.55 m of the 50.7 m long side",
              "continuous along a long side, or ≥ 1/4 of the perimeter (34.8 m)",
              "rescue site (登高操作场地) cut short at axis 4"),
    Violation("CDEF-005", "civil_defence/shelter.dxf", "R-01", "warning", (52950.0, -10250.0),
              "plan", "-1", "main entrance 8.35 m from the tower",
              "outside the collapse zone 0.5 × 39.3 = 19.65 m",
              "main entrance of protective unit 2 moved to the east wall"),
    Violation("LTNG-001", "lightning/roof.dxf", "E-01", "error", (33675.0, 4575.0), "plan", "RF",
              "mesh cell 33.75 m × 9.45 m", "class 3: 20 × 20 or 24 × 16 m",
              "mesh line at axis 5 stopped at y = 9.3 m"),
    Violation("JOINT-004", "planning/site.dxf", "G-01", "error", (0.0, 0.0), "table", "",
              "indicator table 1200.00 m², units 1285.24 m² (6.6 %)", "difference ≤ 0.5 %",
              "人防建筑面积 in the indicator table from an earlier scheme"),
)
"""Every seeded mistake of the package, in the order of expected_findings.json."""


def _standard_floor(floor: Floor) -> Floor:
    """Storey 2: a shaft in the corridor and a 4.94 m² east front room."""
    spaces: list[Space] = []
    for s in floor.spaces:
        if s.name == "走道":
            spaces += [replace(s, shape=rect_polygon(s.shape.difference(CORRIDOR_SHAFT))),
                       Space("管道井", CORRIDOR_SHAFT)]
        elif s.name == "前室":
            spaces.append(replace(s, shape=box(44400, 10500, 47200, 12600)))
        elif s.name == "管道井" and s.shape.bounds[0] == 44400:
            spaces.append(replace(s, shape=box(44400, 12600, 47200, 18600)))
        else:
            spaces.append(s)
    moved: dict[tuple[float, float], tuple[float, float]] = {
        (47200.0, 12300.0): (47200.0, 11550.0), (45800.0, 14100.0): (45800.0, 12600.0)}
    doors = [replace(d, at=moved.get(d.at, d.at)) for d in floor.doors]
    doors.append(Door("FM丙0618", (37800.0, 9400.0), "x", -1, +1))
    changed = replace(floor, spaces=tuple(spaces), doors=tuple(doors))
    return replace(changed, walls=derive_walls(changed.spaces, EXTERNAL_WALL, WALL))


def _basement(floor: Floor) -> Floor:
    """Level -1: unit 2's main entrance on the east wall, inside the collapse zone."""
    entrances = tuple(
        Entrance(e.kind, e.label, EAST_MAIN_ENTRANCE) if e.kind == "main" and e.box[0] > 25200
        else e
        for e in floor.entrances
    )
    doors = (*floor.doors, Door("HFM1520", (50400.0, -10250.0), "y", +1, -1))
    return replace(floor, entrances=entrances, doors=doors)


def _mesh() -> tuple[LineString, ...]:
    """The clean mesh without the southern half of the line at axis 5."""
    x0, y0, x1, y1 = OFFICE_OUTLINE.bounds
    out: list[LineString] = []
    for line in clean_office().mesh:
        if line.coords[0] == (33600.0, y0):
            out.append(LineString([(33600.0, 9300.0), (33600.0, y1)]))
        else:
            out.append(line)
    return tuple(out)


def violation_office() -> Office:
    """The office building with every mistake of :data:`VIOLATIONS` seeded."""
    floors = dict(FLOORS)
    floors["2"] = _standard_floor(FLOORS["2"])
    floors["-1"] = _basement(FLOORS["-1"])
    s = site(rescue=(-600.0, 24750.0, 29400.0, 35000.0), stall_bands=STALL_BANDS[:1])
    return replace(clean_office(), floors=floors, site=s, mesh=_mesh(),
                   indicator_edits=(("人防建筑面积", SHELTER_WRITTEN),))


def _near(v: Violation, o: Office, placed: Placements) -> list[float]:
    """The violation's location in model-space metres of its drawing."""
    sheet_x = placed[v.file][v.sheet]
    x: float
    y: float
    if v.frame == "site":
        x, y = site_xform((sheet_x, 0.0)).p(v.local)
    elif v.frame == "table":
        lines = indicator_lines(o.site, o.numbers)
        k = next(i for i, line in enumerate(lines) if line.startswith("人防建筑面积"))
        x = sheet_x + INDICATORS_AT[0] + 3.0 * 500.0
        y = INDICATORS_AT[1] - (k + 0.5) * 8.0 * 500.0
    else:
        x, y = plan_origin(sheet_x, o.floors[v.storey]).p(v.local)
    return [round(x / 1000.0, 3), round(y / 1000.0, 3)]


def build(folder: Path) -> list[Path]:
    """Write the office package with seeded violations and its expected findings."""
    o = violation_office()
    placed = write_package(folder, o)
    write_expected(folder / "expected_findings.json", [
        {"code": v.code, "file": v.file, "sheet": v.sheet, "severity": v.severity,
         "near": _near(v, o, placed)}
        for v in VIOLATIONS
    ])
    return [folder / f for f in FILES]


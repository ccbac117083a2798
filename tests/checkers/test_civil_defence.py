"""Civil-defence rules CDEF-001 … CDEF-007: pass, fail, boundary and not-checked cases.

Every case builds a small context from plain geometry (metres). The shelter sheet has its axis
1/A point at (0, 0) and the site plan's ``BLDG`` block sits at (0, 0) unrotated, so shelter and
site coordinates coincide unless a case says otherwise. The ground building's outline on the
site plan is 40 m × 16 m at the origin.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import shapely

import checkers.civil_defence  # noqa: F401 - registers the rules
from checkers.engine import run
from checkers.package import load_package
from checkers.registry import REGISTRY
from checkers.testing import ObjSpec, make_context, obj, rectangle
from drawings.model import Building, Severity
from samples import build_package

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
SHELTER = '[civil_defence]\nuse = "personnel_shelter"\n'
BLDG = Building("3#", "B1", (0.0, 0.0), 0.0, {"NAME": "3#", "HEIGHT": "54"})
OUTLINE = obj("G-BLDG-OUTL", rectangle(0, 0, 40, 16))


def unit(x0: float, y0: float, x1: float, y1: float, label: str = "防护单元一") -> list[ObjSpec]:
    """A protective unit and its label, on the shelter sheet (floor -2, origin 0/0)."""
    return [
        obj("R-UNIT", rectangle(x0, y0, x1, y1), floor="-2", origin=(0.0, 0.0)),
        obj("R-UNIT", f"POINT ({(x0 + x1) / 2} {(y0 + y1) / 2})", text=label, floor="-2"),
    ]


def blast(x0: float, y0: float, x1: float, y1: float) -> ObjSpec:
    return obj("R-BLST", rectangle(x0, y0, x1, y1), floor="-2")


def entrance(x0: float, y0: float, x1: float, y1: float, kind: str = "secondary") -> ObjSpec:
    return obj("R-ENTR", rectangle(x0, y0, x1, y1), block="ENTR", attrs={"KIND": kind}, floor="-2")


def room(x0: float, y0: float, x1: float, y1: float, name: str) -> list[ObjSpec]:
    return [
        obj("A-AREA", rectangle(x0, y0, x1, y1), floor="-2"),
        obj("A-AREA-IDEN", f"POINT ({(x0 + x1) / 2} {(y0 + y1) / 2})", text=name, floor="-2"),
    ]


Expect = tuple[Severity, float | None, float | None]


@dataclass
class Case:
    """One table row: drawings, parameters and the findings expected (or not checked)."""

    id: str
    shelter: Sequence[ObjSpec]
    project: str = SHELTER
    planning: Sequence[ObjSpec] = (OUTLINE,)
    buildings: Sequence[Building] = (BLDG,)
    expect: Sequence[Expect] = ()
    not_checked: bool = False


def check(code: str, case: Case) -> None:
    drawings = {"civil_defence": list(case.shelter)}
    if case.planning:
        drawings["planning"] = list(case.planning)
    ctx = make_context(
        drawings,
        project=case.project,
        buildings={"planning": list(case.buildings)} if case.buildings else None,
    )
    result = run(ctx, [REGISTRY[code]])
    if case.not_checked:
        assert [c for c, _, _ in result.not_checked] == [code]
        assert result.findings == []
        return
    assert result.not_checked == []
    assert {f.code for f in result.findings} <= {code}
    got = sorted(
        ((f.severity, f.measured, f.limit) for f in result.findings),
        key=lambda t: (t[0].value, t[1] or 0.0),
    )
    want = sorted(case.expect, key=lambda t: (t[0].value, t[1] or 0.0))
    assert len(got) == len(want), [f.message_en for f in result.findings]
    for (gs, gm, gl), (ws, wm, wl) in zip(got, want, strict=True):
        assert gs == ws
        assert gm == (None if wm is None else pytest.approx(wm, abs=0.01))
        assert gl == (None if wl is None else pytest.approx(wl, abs=0.01))


def ids(case: Case) -> str:
    return case.id


# --- CDEF-002 protective-unit-area -----------------------------------------------------------------

CDEF_002 = [
    Case("pass-1600", unit(0, 0, 40, 40)),
    Case("boundary-2000-inside", unit(0, 0, 40, 50)),
    Case("boundary-2000.4-outside", unit(0, 0, 40, 50.01), expect=[(W, 2000.4, 2000.0)]),
    Case(
        "declared-limit-1000",
        unit(0, 0, 40, 30),
        project=SHELTER + "unit_area_max_m2 = 1000.0\n",
        expect=[(W, 1200.0, 1000.0)],
    ),
    Case(
        "medical-aid-default-1000",
        unit(0, 0, 40, 30),
        project='[civil_defence]\nuse = "medical_aid"\n',
        expect=[(W, 1200.0, 1000.0)],
    ),
    Case(
        "two-units-one-too-large",
        [*unit(0, 0, 40, 40), *unit(50, 0, 100, 41, "防护单元二")],
        expect=[(W, 2050.0, 2000.0)],
    ),
    Case("not-checked-no-unit", [blast(0, 0, 10, 10)], not_checked=True),
]


@pytest.mark.parametrize("case", CDEF_002, ids=ids)
def test_cdef_002_protective_unit_area(case: Case) -> None:
    check("CDEF-002", case)


# --- CDEF-003 blast-unit-area ---------------------------------------------------------------------

CDEF_003 = [
    Case("pass-400", [*unit(0, 0, 40, 40), blast(0, 0, 20, 20)]),
    Case("boundary-500-inside", [*unit(0, 0, 40, 40), blast(0, 0, 20, 25)]),
    Case(
        "boundary-500.2-outside",
        [*unit(0, 0, 40, 40), blast(0, 0, 20, 25.01)],
        expect=[(W, 500.2, 500.0)],
    ),
    Case(
        "supporting-2000-inside",
        [*unit(0, 0, 40, 60), blast(0, 0, 40, 50)],
        project='[civil_defence]\nuse = "supporting"\n',
    ),
    Case(
        "declared-limit-300",
        [*unit(0, 0, 40, 40), blast(0, 0, 20, 20)],
        project=SHELTER + "blast_unit_area_max_m2 = 300.0\n",
        expect=[(W, 400.0, 300.0)],
    ),
    Case("not-checked-no-blast-unit", unit(0, 0, 40, 40), not_checked=True),
]


@pytest.mark.parametrize("case", CDEF_003, ids=ids)
def test_cdef_003_blast_unit_area(case: Case) -> None:
    check("CDEF-003", case)


# --- CDEF-001 required-area -----------------------------------------------------------------------

GROUND = SHELTER + 'rule = "ground_floor_area"\n'
PERCENT = SHELTER + 'rule = "percent"\npercent = 0.05\n[building]\ngross_floor_area_m2 = 10000.0\n'

CDEF_001 = [
    Case("ground-floor-pass", unit(0, 0, 30, 30), project=GROUND),
    Case("ground-floor-boundary-equal", unit(0, 0, 40, 16), project=GROUND),
    Case(
        "ground-floor-boundary-short",
        unit(0, 0, 40, 15.99),
        project=GROUND,
        expect=[(E, 639.6, 640.0)],
    ),
    Case(
        "ground-floor-union-of-two-outlines",
        unit(0, 0, 40, 20),
        project=GROUND,
        planning=[OUTLINE, obj("G-BLDG-OUTL", rectangle(50, 0, 70, 10))],
        expect=[(E, 800.0, 840.0)],
    ),
    Case(
        "second-site-sheet-not-counted-twice",
        unit(0, 0, 40, 16),
        project=GROUND,
        planning=[OUTLINE, obj("G-BLDG-OUTL", rectangle(200, 0, 240, 16), sheet="G-03")],
        buildings=[Building("3#", "B1", (0.0, 0.0), 0.0, {"NAME": "3#"}, sheet=0)],
    ),
    Case("percent-boundary-equal", unit(0, 0, 25, 20), project=PERCENT),
    Case(
        "percent-boundary-short",
        unit(0, 0, 25, 19.99),
        project=PERCENT,
        expect=[(E, 499.75, 500.0)],
    ),
    Case(
        "percent-gfa-from-bldg-block",
        unit(0, 0, 20, 20),
        project=SHELTER + 'rule = "percent"\npercent = 0.05\n',
        buildings=[Building("3#", "B1", (0.0, 0.0), 0.0, {"NAME": "3#", "GFA": "10000"})],
        expect=[(E, 400.0, 500.0)],
    ),
    Case("not-checked-no-rule", unit(0, 0, 30, 30), not_checked=True),
    Case(
        "not-checked-no-outline", unit(0, 0, 30, 30), project=GROUND, planning=(), not_checked=True
    ),
    Case(
        "not-checked-no-gfa",
        unit(0, 0, 30, 30),
        project=SHELTER + 'rule = "percent"\npercent = 0.05\n',
        not_checked=True,
    ),
    Case("not-checked-no-unit", [blast(0, 0, 10, 10)], project=GROUND, not_checked=True),
]


@pytest.mark.parametrize("case", CDEF_001, ids=ids)
def test_cdef_001_required_area(case: Case) -> None:
    check("CDEF-001", case)


# --- CDEF-006 blast-units-tile-unit ----------------------------------------------------------------

CDEF_006 = [
    Case("pass-two-halves", [*unit(0, 0, 40, 20), blast(0, 0, 20, 20), blast(20, 0, 40, 20)]),
    Case(
        "boundary-0.15-beyond-inside",
        [*unit(0, 0, 40, 20), blast(0, 0, 20, 20), blast(20, 0, 40.15, 20)],
    ),
    Case(
        "boundary-0.25-beyond-straddles",
        [*unit(0, 0, 40, 20), blast(0, 0, 20, 20), blast(20, 0, 40.25, 20)],
        expect=[(E, 0, 1), (W, 0.5, 0.03)],
    ),
    Case(
        "straddles-two-units",
        [
            *unit(0, 0, 40, 20),
            *unit(40, 0, 80, 20, "防护单元二"),
            blast(0, 0, 20, 20),
            blast(20, 0, 40, 20),
            blast(40, 0, 60, 20),
            blast(30, 0, 50, 20),
            blast(60, 0, 80, 20),
        ],
        expect=[(E, 0, 1), (W, 200.0, 0.01), (W, 200.0, 0.01)],
    ),
    Case(
        "coverage-boundary-0.03-inside",
        [*unit(0, 0, 100, 10), blast(0, 0, 50, 10), blast(50, 0, 97, 10)],
    ),
    Case(
        "coverage-boundary-0.031-outside",
        [*unit(0, 0, 100, 10), blast(0, 0, 50, 10), blast(50, 0, 96.9, 10)],
        expect=[(W, 0.031, 0.03)],
    ),
    Case(
        "overlap",
        [*unit(0, 0, 40, 20), blast(0, 0, 21, 20), blast(20, 0, 40, 20)],
        expect=[(W, 20.0, 0.01)],
    ),
    Case(
        "large-unit-without-blast-units",
        [
            *unit(0, 0, 40, 20),
            blast(0, 0, 20, 20),
            blast(20, 0, 40, 20),
            *unit(50, 0, 80, 20, "防护单元二"),
        ],
        expect=[(W, 1.0, 0.03)],
    ),
    Case(
        "small-unit-without-blast-units",
        [
            *unit(0, 0, 40, 20),
            blast(0, 0, 20, 20),
            blast(20, 0, 40, 20),
            *unit(50, 0, 70, 20, "防护单元二"),
        ],
    ),
    Case("not-checked-no-blast-unit", unit(0, 0, 40, 20), not_checked=True),
    Case("not-checked-no-unit", [blast(0, 0, 20, 20)], not_checked=True),
]


@pytest.mark.parametrize("case", CDEF_006, ids=ids)
def test_cdef_006_blast_units_tile_unit(case: Case) -> None:
    check("CDEF-006", case)


# --- CDEF-007 shelter-capacity --------------------------------------------------------------------

SHELTER_ROOMS = [
    *unit(0, 0, 20, 10),
    *room(0, 0, 10, 10, "人员掩蔽区"),
    *room(10, 0, 20, 10, "干厕"),
]

CDEF_007 = [
    Case("pass-90", SHELTER_ROOMS, project=SHELTER + "capacity_persons = 90\n"),
    Case("boundary-100-inside", SHELTER_ROOMS, project=SHELTER + "capacity_persons = 100\n"),
    Case(
        "boundary-101-outside",
        SHELTER_ROOMS,
        project=SHELTER + "capacity_persons = 101\n",
        expect=[(W, 100.0, 101)],
    ),
    Case(
        "team-personnel-3m2",
        SHELTER_ROOMS,
        project='[civil_defence]\nuse = "team_personnel"\ncapacity_persons = 34\n',
        expect=[(W, 33.33, 34)],
    ),
    Case(
        "room-clipped-to-unit",
        [*unit(0, 0, 20, 10), *room(0, 0, 10, 12, "人员掩蔽区")],
        project=SHELTER + "capacity_persons = 101\n",
        expect=[(W, 100.0, 101)],
    ),
    Case("not-checked-no-capacity", SHELTER_ROOMS, not_checked=True),
    Case(
        "not-checked-no-rooms",
        unit(0, 0, 20, 10),
        project=SHELTER + "capacity_persons = 10\n",
        not_checked=True,
    ),
    Case(
        "not-checked-no-sheltering-room",
        [*unit(0, 0, 20, 10), *room(10, 0, 20, 10, "干厕")],
        project=SHELTER + "capacity_persons = 10\n",
        not_checked=True,
    ),
]


@pytest.mark.parametrize("case", CDEF_007, ids=ids)
def test_cdef_007_shelter_capacity(case: Case) -> None:
    check("CDEF-007", case)


# --- CDEF-004 unit-entrances ----------------------------------------------------------------------

WEST = unit(-30, 0, 0, 20)  # a unit just west of the ground building, touching its wall
MAIN_OUT = entrance(-34, 5, -30, 8, "main")  # touches the unit's west side, outdoors
SECOND_OUT = entrance(-10, 18, -8, 21)  # touches the unit's north side, outdoors

CDEF_004 = [
    Case("pass-two-outdoor", [*WEST, MAIN_OUT, SECOND_OUT]),
    Case(
        "main-entrance-under-building",
        [*WEST, entrance(-1, 5, 2, 8, "main"), SECOND_OUT],
        expect=[(E, 6.0, 0.0)],
    ),
    Case(
        "no-outdoor-entrance",
        [*unit(0, 0, 30, 10), entrance(5, 9, 7, 11), entrance(10, 9, 12, 11, "main")],
        expect=[(E, 0, 1), (E, 4.0, 0.0)],
    ),
    Case("count-one-below-two", [*WEST, MAIN_OUT], expect=[(W, 1, 2)]),
    Case(
        "count-boundary-min-3",
        [*WEST, MAIN_OUT, SECOND_OUT],
        project=SHELTER + "min_entrances = 3\n",
        expect=[(W, 2, 3)],
    ),
    Case(
        "shaft-not-counted",
        [*WEST, MAIN_OUT, entrance(-10, 18, -8, 21, "shaft")],
        expect=[(W, 1, 2)],
    ),
    Case(
        "connection-not-counted",
        [
            *WEST,
            *unit(-30, 20, 0, 40, "防护单元二"),
            MAIN_OUT,
            entrance(-20, 19, -18, 21),
            entrance(-34, 25, -30, 28, "main"),
            entrance(-10, 39, -8, 42),
        ],
        expect=[(W, 1, 2)],
    ),
    Case("touch-boundary-0.04-inside", [*WEST, MAIN_OUT, entrance(-10, 20.04, -8, 23)]),
    Case(
        "touch-boundary-0.06-outside",
        [*WEST, MAIN_OUT, entrance(-10, 20.06, -8, 23)],
        expect=[(W, 1, 2)],
    ),
    Case(
        "unregistered-outdoor-info",
        [*WEST, MAIN_OUT, SECOND_OUT],
        planning=(),
        buildings=(),
        expect=[(INFO, None, None)],
    ),
    Case("not-checked-no-entrance", WEST, not_checked=True),
    Case("not-checked-no-unit", [MAIN_OUT], not_checked=True),
]


@pytest.mark.parametrize("case", CDEF_004, ids=ids)
def test_cdef_004_unit_entrances(case: Case) -> None:
    check("CDEF-004", case)


def test_cdef_004_registers_through_a_rotated_bldg_block() -> None:
    """The shelter sheet is turned into site coordinates before the outline test."""
    turned = Building("3#", "B1", (100.0, 50.0), 90.0, {"NAME": "3#", "HEIGHT": "54"})
    outline = obj("G-BLDG-OUTL", rectangle(84, 50, 100, 90))  # the 40 × 16 m outline, turned
    case = Case(
        "rotated",
        [*WEST, entrance(-1, 5, 2, 8, "main"), SECOND_OUT],
        planning=[outline],
        buildings=[turned],
        expect=[(E, 6.0, 0.0)],
    )
    check("CDEF-004", case)


# --- CDEF-005 main-entrance-collapse --------------------------------------------------------------

HEIGHT = SHELTER + "[building]\nheight_m = 54.0\n"

CDEF_005 = [
    Case("pass-far", [*WEST, entrance(-40, 5, -36, 8, "main")], project=HEIGHT),
    Case("boundary-27.00-inside", [*WEST, entrance(-31, 5, -27, 8, "main")], project=HEIGHT),
    Case(
        "boundary-26.99-outside",
        [*WEST, entrance(-30.99, 5, -26.99, 8, "main")],
        project=HEIGHT,
        expect=[(W, 26.99, 27.0)],
    ),
    Case(
        "factor-0.6",
        [*WEST, entrance(-31, 5, -27, 8, "main")],
        project=SHELTER + "collapse_factor = 0.6\n[building]\nheight_m = 54.0\n",
        expect=[(W, 27.0, 32.4)],
    ),
    Case(
        "height-from-bldg-block",
        [*WEST, entrance(-20, 5, -16, 8, "main")],
        expect=[(W, 16.0, 27.0)],
    ),
    Case(
        "canopy-noted-at-entrance",
        [
            *WEST,
            entrance(-20, 5, -16, 8, "main"),
            obj("R-ENTR", "POINT (-18 9)", text="设防倒塌棚架", floor="-2"),
        ],
        project=HEIGHT,
    ),
    Case(
        "secondary-entrance-ignored",
        [*WEST, entrance(-40, 5, -36, 8, "main"), entrance(-10, 18, -8, 21)],
        project=HEIGHT,
    ),
    Case("not-checked-no-main", [*WEST, SECOND_OUT], project=HEIGHT, not_checked=True),
    Case(
        "not-checked-no-outline", [*WEST, MAIN_OUT], project=HEIGHT, planning=(), not_checked=True
    ),
    Case(
        "not-checked-no-height",
        [*WEST, MAIN_OUT],
        buildings=[Building("3#", "B1", (0.0, 0.0), 0.0, {"NAME": "3#"})],
        not_checked=True,
    ),
    Case(
        "not-checked-unregistered",
        [*WEST, MAIN_OUT],
        project=HEIGHT,
        buildings=(),
        not_checked=True,
    ),
]


@pytest.mark.parametrize("case", CDEF_005, ids=ids)
def test_cdef_005_main_entrance_collapse(case: Case) -> None:
    check("CDEF-005", case)


# --- the clean sample package ---------------------------------------------------------------------

CODES = ("CDEF-001", "CDEF-002", "CDEF-003", "CDEF-004", "CDEF-005", "CDEF-006", "CDEF-007")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_package(tmp_path_factory.mktemp("sample"))


def test_sample_package_passes_every_cdef_rule(sample: Path) -> None:
    ctx = load_package(sample).context
    result = run(ctx, [REGISTRY[c] for c in CODES])
    assert [f for f in result.findings if f.severity == Severity.ERROR] == []
    assert result.findings == []
    assert result.not_checked == []


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_package(tmp_path_factory.mktemp("seeded"), "residential_tower_violations")


def test_seeded_package_gives_exactly_the_expected_cdef_findings(seeded: Path) -> None:
    """The package with seeded mistakes: each CDEF mistake found once, where it was made."""
    expected = [
        e
        for e in json.loads((seeded / "expected_findings.json").read_text(encoding="utf-8"))
        if e["code"].startswith("CDEF-")
    ]
    result = run(load_package(seeded).context, [REGISTRY[c] for c in CODES])
    got = sorted(result.findings, key=lambda f: f.code)
    assert [(f.code, f.file, f.sheet, f.severity.value) for f in got] == sorted(
        (e["code"], e["file"], e["sheet"], e["severity"]) for e in expected
    )
    for finding, want in zip(got, sorted(expected, key=lambda e: e["code"]), strict=True):
        assert finding.location is not None
        where = shapely.geometry.shape(finding.location)
        assert where.distance(shapely.Point(want["near"])) <= 1.0, finding.code

"""Fire rules FIRE-001 … FIRE-014: pass, fail, boundary and not-checked cases per rule, and the
clean sample package.

Each case builds a small drawing with ``make_context`` (geometry in metres) and a
``project.toml`` text; ``outcome`` runs one rule and returns its findings or its not-checked
reason, so every table row states exactly what it expects: nothing, or one finding with its
severity, measured value and limit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
import shapely

import checkers.fire  # noqa: F401  (registers the rules)
from checkers.context import CheckContext
from checkers.engine import CheckResult, run
from checkers.fire import CODES
from checkers.fire.geometry import fits_rectangle, narrowest_width, perimeter_cover
from checkers.fire.paths import farthest_points
from checkers.fire.rooms import farthest_point
from checkers.registry import REGISTRY
from checkers.testing import ObjSpec, make_context, obj, rectangle
from drawings.model import Building, Severity

E, W = Severity.ERROR, Severity.WARNING


def project(
    use: str = "residential",
    height: float | None = 54.0,
    floors: int | None = 18,
    below: int | None = None,
    cls: str | None = "class2",
    grade: int | None = 1,
    sprinklers: str | None = "none",
    extra: str = "",
    fire_extra: str = "",
) -> str:
    """A one-building ``project.toml``."""
    b = [f'use = "{use}"']
    if height is not None:
        b.append(f"height_m = {height}")
    if floors is not None:
        b.append(f"floors_above = {floors}")
    if below is not None:
        b.append(f"floors_below = {below}")
    f = []
    if cls is not None:
        f.append(f'building_class = "{cls}"')
    if grade is not None:
        f.append(f"resistance_grade = {grade}")
    if sprinklers is not None:
        f.append(f'sprinklers = "{sprinklers}"')
    if fire_extra:
        f.append(fire_extra)
    return extra + "[building]\n" + "\n".join(b) + "\n[fire]\n" + "\n".join(f) + "\n"


def ctx_of(
    fire: Sequence[ObjSpec],
    proj: str,
    planning: Sequence[ObjSpec] | None = None,
    blocks: Sequence[Building] = (),
) -> CheckContext:
    drawings: dict[str, Sequence[ObjSpec]] = {"fire": list(fire)}
    if planning is not None:
        drawings["planning"] = list(planning)
    return make_context(drawings, project=proj, buildings={"planning": blocks} if blocks else None)


def check(code: str, ctx: CheckContext) -> CheckResult:
    return run(ctx, [REGISTRY[code]])


Expected = tuple[Severity, float, float] | None | str


def assert_outcome(code: str, ctx: CheckContext, expected: Expected, tol: float = 1e-3) -> None:
    """``None``: passes; ``"not checked"``: not evaluated; else one finding (sev, measured,
    limit)."""
    result = check(code, ctx)
    if expected == "not checked":
        assert [c for c, _, _ in result.not_checked] == [code], result.findings
        return
    assert not result.not_checked, result.not_checked
    if expected is None:
        assert result.findings == [], [f.message for f in result.findings]
        return
    assert isinstance(expected, tuple)
    assert len(result.findings) == 1, [f.message for f in result.findings]
    (f,) = result.findings
    sev, measured, limit = expected
    assert f.code == code and f.severity == sev, f.message
    assert f.measured == pytest.approx(measured, abs=tol), f.message
    assert f.limit == pytest.approx(limit, abs=1e-6), f.message
    assert f.message and f.message_en and f.clause == REGISTRY[code].clause


def area(
    x0: float, y0: float, x1: float, y1: float, label: str, group: str, floor: str = "1"
) -> list[ObjSpec]:
    """A closed polygon of ``group`` with its label text inside."""
    return [
        obj(group, rectangle(x0, y0, x1, y1), floor=floor),
        obj(group, f"POINT ({(x0 + x1) / 2} {(y0 + y1) / 2})", text=label, floor=floor),
    ]


def room(x0: float, y0: float, x1: float, y1: float, name: str, floor: str = "1") -> list[ObjSpec]:
    """A room on A-AREA with its name on A-AREA-IDEN."""
    return [
        obj("A-AREA", rectangle(x0, y0, x1, y1), floor=floor),
        obj("A-AREA-IDEN", f"POINT ({(x0 + x1) / 2} {(y0 + y1) / 2})", text=name, floor=floor),
    ]


def door(x: float, y: float, width: float, rotation: float = 0.0, floor: str = "1") -> ObjSpec:
    """A door INSERT hinged at (x, y), opening along ``rotation`` for ``width``."""
    return obj(
        "A-DOOR",
        f"POINT ({x} {y})",
        block="DOOR",
        size=(width, width),
        rotation=rotation,
        floor=floor,
    )


def exit_mark(x0: float, y0: float, x1: float, y1: float, floor: str = "1") -> ObjSpec:
    """A safe-exit marker INSERT on F-EXIT."""
    return obj("F-EXIT", rectangle(x0, y0, x1, y1), block="EXIT", floor=floor)


# --- FIRE-012 building class ----------------------------------------------------------------

CLASS_CASES = [
    pytest.param(project(), None, id="residential-54m-class2-pass"),
    pytest.param(project(height=54.1), (E, 54.1, None), id="residential-54.1m-is-class1"),
    pytest.param(project(height=27.0, cls="single_multi"), None, id="residential-27m-single-multi"),
    pytest.param(project(height=27.1, cls="single_multi"), (E, 27.1, None), id="residential-27.1m"),
    pytest.param(project("office", 24.0, 8, cls="single_multi"), None, id="office-24m-pass"),
    pytest.param(project("office", 24.1, 1, cls="single_multi"), None, id="single-storey-public"),
    pytest.param(project("office", 50.0, 12), None, id="office-50m-class2"),
    pytest.param(project("office", 50.1, 12), (E, 50.1, None), id="office-50.1m-is-class1"),
    pytest.param(project("medical", 30.0, 8), (E, 30.0, None), id="medical-high-rise-class1"),
    pytest.param(project(grade=2), None, id="class2-grade2-pass"),
    pytest.param(project(grade=3), (E, 3, 2), id="class2-grade3-fail"),
    pytest.param(project(height=60, cls="class1", grade=2), (E, 2, 1), id="class1-grade2-fail"),
    pytest.param(
        project(height=20, cls="single_multi", grade=3, below=1),
        (E, 3, 1),
        id="basement-grade3-fail",
    ),
    pytest.param(project(height=None), "not checked", id="no-height"),
    pytest.param(project(cls=None, grade=None), "not checked", id="no-declarations"),
]


@pytest.mark.parametrize(("proj", "expected"), CLASS_CASES)
def test_building_class(proj: str, expected: Expected) -> None:
    ctx = ctx_of([], proj)
    if isinstance(expected, tuple) and expected[2] is None:
        result = check("FIRE-012", ctx)
        (f,) = result.findings
        assert f.severity == expected[0] and f.measured == pytest.approx(expected[1])
        assert f.params["derived_class"] != f.params["declared_class"]
        return
    assert_outcome("FIRE-012", ctx, expected)


@pytest.mark.parametrize(
    ("floor_area", "expected_class"),
    [
        pytest.param(1000.0, "class2", id="1000m2-class2"),
        pytest.param(1000.5, "class1", id="1000.5m2-class1"),
    ],
)
def test_building_class_big_upper_storey(floor_area: float, expected_class: str) -> None:
    side = math.sqrt(floor_area)
    fire = area(0, 0, side, side, "防火分区1", "F-AREA", floor="10")
    ctx = ctx_of(fire, project("shop", 40.0, 10, cls="class2", grade=1))
    result = check("FIRE-012", ctx)
    derived = result.findings[0].params["derived_class"] if result.findings else "class2"
    assert derived == expected_class


# --- FIRE-001 compartment area --------------------------------------------------------------


def compartment(a: float, floor: str = "1", label: str = "防火分区1") -> list[ObjSpec]:
    """A compartment of area ``a`` (10 m deep)."""
    return area(0, 0, a / 10.0, 10, label, "F-AREA", floor)


COMPARTMENT_CASES = [
    pytest.param(compartment(1500), project(), None, id="high-rise-1500-pass"),
    pytest.param(compartment(1500.5), project(), (E, 1500.5, 1500), id="high-rise-1500.5-fail"),
    pytest.param(compartment(3000), project(sprinklers="full"), None, id="sprinklered-3000"),
    pytest.param(
        compartment(3000.5), project(sprinklers="full"), (E, 3000.5, 3000), id="sprinklered-3000.5"
    ),
    pytest.param(compartment(500, "-1"), project(), None, id="basement-500"),
    pytest.param(compartment(500.5, "-1"), project(), (E, 500.5, 500), id="basement-500.5"),
    pytest.param(
        compartment(1000, "-1") + room(0, 0, 100, 10, "水泵房", "-1"),
        project(),
        None,
        id="basement-equipment-1000",
    ),
    pytest.param(
        compartment(1200),
        project("office", 18, 5, cls="single_multi", grade=3),
        None,
        id="grade3-1200",
    ),
    pytest.param(
        compartment(1200.5),
        project("office", 18, 5, cls="single_multi", grade=3),
        (E, 1200.5, 1200),
        id="grade3-1200.5",
    ),
    pytest.param(
        compartment(2500),
        project("office", 18, 5, cls="single_multi", grade=2),
        None,
        id="grade2-2500",
    ),
    pytest.param(
        compartment(600.5),
        project("office", 8, 2, cls="single_multi", grade=4),
        (E, 600.5, 600),
        id="grade4-600.5",
    ),
    pytest.param(
        compartment(2000) + [obj("F-SPRK", rectangle(0, 0, 100, 10), floor="1")],
        project(sprinklers="partial"),
        None,
        id="partial-1000+0.5x1000",
    ),
    pytest.param(
        compartment(2000) + [obj("F-SPRK", rectangle(0, 0, 99.8, 10), floor="1")],
        project(sprinklers="partial"),
        (E, 1501.0, 1500),
        id="partial-1501",
    ),
    pytest.param(
        compartment(10000) + room(0, 0, 1000, 10, "营业厅"),
        project("shop", 12, 1, cls="single_multi", grade=2, sprinklers="full"),
        None,
        id="ground-floor-hall-10000",
    ),
    pytest.param(
        compartment(4000.5) + room(0, 0, 400.05, 10, "营业厅"),
        project("shop", 40, 8, cls="class1", grade=1, sprinklers="full"),
        (E, 4000.5, 4000),
        id="high-rise-hall-4000.5",
    ),
    pytest.param([], project(), "not checked", id="no-compartments"),
    pytest.param(compartment(100), project(sprinklers=None), "not checked", id="no-sprinklers"),
]


@pytest.mark.parametrize(("fire", "proj", "expected"), COMPARTMENT_CASES)
def test_compartment_area(fire: list[ObjSpec], proj: str, expected: Expected) -> None:
    assert_outcome("FIRE-001", ctx_of(fire, proj), expected)


# --- FIRE-010 / FIRE-011 front rooms -----------------------------------------------------------


def lobby(
    a: float,
    name: str,
    *,
    stair: str | None = "防烟楼梯间",
    lift: bool = False,
    depth: float = 2.5,
    floor: str = "1",
) -> list[ObjSpec]:
    """A front room of area ``a`` and ``depth``, a stair west of it, a fire lift north of it."""
    w = a / depth
    objs = area(0, 0, w, depth, name, "F-FRNT", floor)
    if stair is not None:
        objs += area(-2.8, 0, -0.2, 6, stair, "F-STRS", floor)
    if lift:
        objs += area(0, depth + 0.2, 2.6, depth + 2.8, "消防电梯", "F-EVTR", floor)
    return objs


FRONT_CASES = [
    pytest.param(lobby(4.5, "前室"), "residential", None, id="residential-4.5"),
    pytest.param(lobby(4.49, "前室"), "residential", (E, 4.49, 4.5), id="residential-4.49"),
    pytest.param(
        lobby(5.99, "前室", floor="-1"), "residential", (E, 5.99, 6.0), id="underground-5.99"
    ),
    pytest.param(lobby(6.0, "前室"), "office", None, id="public-6.0"),
    pytest.param(lobby(5.99, "前室"), "office", (E, 5.99, 6.0), id="public-5.99"),
    pytest.param(lobby(6.0, "合用前室", lift=True), "residential", None, id="shared-res-6.0"),
    pytest.param(
        lobby(5.99, "合用前室", lift=True), "residential", (E, 5.99, 6.0), id="shared-res-5.99"
    ),
    pytest.param(lobby(10.0, "前室", lift=True), "office", None, id="shared-public-10"),
    pytest.param(
        lobby(9.99, "前室", lift=True), "office", (E, 9.99, 10.0), id="shared-public-9.99"
    ),
    pytest.param(lobby(6.0, "共用前室", stair="剪刀楼梯间"), "residential", None, id="scissor-6.0"),
    pytest.param(
        lobby(12.0, "合用前室", stair="剪刀楼梯间", lift=True, depth=2.4),
        "residential",
        None,
        id="three-in-one-12-by-2.4",
    ),
    pytest.param(
        lobby(11.99, "合用前室", stair="剪刀楼梯间", lift=True),
        "residential",
        (E, 11.99, 12.0),
        id="three-in-one-11.99",
    ),
    pytest.param(
        lobby(12.0, "合用前室", stair="剪刀楼梯间", lift=True, depth=2.39),
        "residential",
        (E, 2.39, 2.4),
        id="three-in-one-short-side-2.39",
    ),
    pytest.param([], "residential", "not checked", id="no-front-rooms"),
]


@pytest.mark.parametrize(("fire", "use", "expected"), FRONT_CASES)
def test_front_room_area(fire: list[ObjSpec], use: str, expected: Expected) -> None:
    assert_outcome("FIRE-010", ctx_of(fire, project(use, 54, 18)), expected)


LIFT_CASES = [
    pytest.param(lobby(6.0, "消防电梯前室", stair=None, lift=True, depth=2.4), None, id="6.0x2.4"),
    pytest.param(
        lobby(5.99, "消防电梯前室", stair=None, lift=True, depth=2.45), (E, 5.99, 6.0), id="5.99"
    ),
    pytest.param(
        lobby(7.0, "消防电梯前室", stair=None, lift=True, depth=2.39),
        (E, 2.39, 2.4),
        id="short-side-2.39",
    ),
    pytest.param(
        lobby(7.0, "前室", stair=None, lift=False) + area(0, 5, 2.6, 7.6, "消防电梯", "F-EVTR"),
        (E, 0.0, 6.0),
        id="lift-without-lobby",
    ),
    pytest.param(
        lobby(5.0, "消防电梯前室", stair=None, lift=True, depth=2.3),
        (E, 5.0, 6.0),
        id="small-and-narrow-one-finding",
    ),
    pytest.param(lobby(7.0, "前室"), "not checked", id="no-fire-lift"),
]


@pytest.mark.parametrize(("fire", "expected"), LIFT_CASES)
def test_fire_lift_lobby(fire: list[ObjSpec], expected: Expected) -> None:
    assert_outcome("FIRE-011", ctx_of(fire, project()), expected)


# --- FIRE-007 fire lane ------------------------------------------------------------------------

L_LANE = "POLYGON ((0 0, 60 0, 60 50, 56.5 50, 56.5 4, 0 4, 0 0))"
LANE_CASES = [
    pytest.param([obj("F-LANE", rectangle(0, 0, 80, 4.0))], None, id="4.0-pass"),
    pytest.param([obj("F-LANE", rectangle(0, 0, 80, 3.99))], (E, 3.99, 4.0), id="3.99-fail"),
    pytest.param([obj("F-LANE", L_LANE)], (E, 3.5, 4.0), id="L-shaped-3.5-arm"),
    pytest.param(
        [
            obj(
                "F-LANE",
                shapely.Point(0, 0).buffer(20).difference(shapely.Point(0, 0).buffer(15)).wkt,
            )
        ],
        None,
        id="ring-5m",
    ),
    pytest.param([], "not checked", id="no-lane"),
]


@pytest.mark.parametrize(("fire", "expected"), LANE_CASES)
def test_fire_lane_width(fire: list[ObjSpec], expected: Expected) -> None:
    assert_outcome("FIRE-007", ctx_of(fire, project()), expected, tol=0.01)


# --- FIRE-008 / FIRE-009 / FIRE-014 rescue sites ----------------------------------------------

OUTLINE = obj("G-BLDG-OUTL", rectangle(0, 0, 40, 15))


def site(x0: float, y0: float, x1: float, y1: float) -> ObjSpec:
    return obj("F-SITE", rectangle(x0, y0, x1, y1))


SIZE_CASES = [
    pytest.param([site(0, -16, 15, -6)], 50.0, None, id="15x10-H50"),
    pytest.param([site(0, -16, 14.9, -6)], 50.0, (E, 14.9, 15.0), id="14.9x10-H50"),
    pytest.param([site(0, -15.9, 15, -6)], 50.0, (E, 9.9, 10.0), id="15x9.9"),
    pytest.param([site(0, -16, 20, -6)], 50.1, None, id="20x10-H50.1"),
    pytest.param([site(0, -16, 19.9, -6)], 50.1, (E, 19.9, 20.0), id="19.9x10-H50.1"),
    pytest.param(
        [obj("F-SITE", "POLYGON ((0 -16, 20 -16, 20 -11, 10 -11, 10 -6, 0 -6, 0 -16))")],
        30.0,
        (E, 10.0, 15.0),
        id="L-shape-fails-despite-bounding-box",
    ),
    pytest.param([], 30.0, "not checked", id="no-site"),
]


@pytest.mark.parametrize(("sites", "height", "expected"), SIZE_CASES)
def test_rescue_site_size(sites: list[ObjSpec], height: float, expected: Expected) -> None:
    ctx = ctx_of([OUTLINE, *sites], project(height=height, cls=None))
    assert_outcome("FIRE-008", ctx, expected, tol=0.06)


def test_rescue_site_without_outline_is_not_checked() -> None:
    assert_outcome("FIRE-008", ctx_of([site(0, -16, 15, -6)], project()), "not checked")


OFFSET_CASES = [
    pytest.param(-5.0, None, id="5m"),
    pytest.param(-10.0, None, id="10m"),
    pytest.param(-10.01, (E, 10.01, 10.0), id="10.01m-error"),
    pytest.param(-4.99, (W, 4.99, 5.0), id="4.99m-warning"),
]


@pytest.mark.parametrize(("edge", "expected"), OFFSET_CASES)
def test_rescue_site_offset(edge: float, expected: Expected) -> None:
    ctx = ctx_of([OUTLINE, site(0, edge - 10, 40, edge)], project())
    assert_outcome("FIRE-009", ctx, expected)


def test_rescue_site_offset_not_checked() -> None:
    assert_outcome("FIRE-009", ctx_of([OUTLINE], project()), "not checked")


LONG = obj("G-BLDG-OUTL", rectangle(0, 0, 60, 15))
LENGTH_CASES = [
    pytest.param([site(0, -16, 60, -6)], 60.0, None, id="whole-long-side"),
    pytest.param([site(0.1, -16, 60, -6)], 60.0, (E, 59.9, 60.0), id="59.9-of-60"),
    pytest.param(
        [site(0, -16, 30, -6), site(30.5, -16, 60, -6)],
        60.0,
        (E, 30.0, 60.0),
        id="H60-must-be-continuous",
    ),
    pytest.param(
        [site(0, -16, 50, -6), site(66, 0, 76, 15)], 40.0, None, id="H40-intermittent-total-65"
    ),
    pytest.param([site(0, -16, 60, -6), site(15, 21, 25, 31)], 40.0, None, id="gap-30"),
    pytest.param(
        [site(0, -16, 60, -6), site(15.1, 21, 25.1, 31)],
        40.0,
        (W, 30.1, 30.0),
        id="gap-30.1-warning",
    ),
    pytest.param([site(0, -16, 20, -6)], 20.0, None, id="not-high-rise"),
    pytest.param([], 60.0, "not checked", id="no-site"),
]


@pytest.mark.parametrize(("sites", "height", "expected"), LENGTH_CASES)
def test_rescue_site_length(sites: list[ObjSpec], height: float, expected: Expected) -> None:
    ctx = ctx_of([LONG, *sites], project(height=height, cls=None))
    assert_outcome("FIRE-014", ctx, expected, tol=0.01)


# --- FIRE-002 separation ---------------------------------------------------------------------


def two_buildings(gap: float, grade_b: int, height_b: float) -> CheckContext:
    plan = [
        obj("G-BLDG-OUTL", rectangle(0, 0, 20, 15)),
        obj("G-BLDG-OUTL", rectangle(20 + gap, 0, 40 + gap, 15)),
    ]
    blocks = [
        Building("A", "B1", (1.0, 1.0), 0.0, {"NAME": "A"}),
        Building("B", "B2", (21.0 + gap, 1.0), 0.0, {"NAME": "B"}),
    ]
    proj = (
        '[building."A"]\nuse = "residential"\nheight_m = 54.0\n'
        f'[building."B"]\nuse = "office"\nheight_m = {height_b}\nfloors_above = 3\n'
        '[fire."A"]\nresistance_grade = 1\n'
        f'[fire."B"]\nresistance_grade = {grade_b}\n'
    )
    return make_context({"planning": plan}, project=proj, buildings={"planning": blocks})


SEPARATION_CASES = [
    pytest.param(13.0, 1, 30.0, None, id="high-high-13"),
    pytest.param(12.99, 1, 30.0, (E, 12.99, 13.0), id="high-high-12.99"),
    pytest.param(9.0, 2, 12.0, None, id="high-to-grade2-9"),
    pytest.param(8.99, 2, 12.0, (E, 8.99, 9.0), id="high-to-grade2-8.99"),
    pytest.param(10.99, 3, 12.0, (E, 10.99, 11.0), id="high-to-grade3-10.99"),
    pytest.param(13.99, 4, 12.0, (E, 13.99, 14.0), id="high-to-grade4-13.99"),
]


@pytest.mark.parametrize(("gap", "grade", "height", "expected"), SEPARATION_CASES)
def test_separation(gap: float, grade: int, height: float, expected: Expected) -> None:
    assert_outcome("FIRE-002", two_buildings(gap, grade, height), expected)


def test_separation_single_multi_pair_and_not_checked() -> None:
    from checkers.fire.site import separation_limit

    assert separation_limit(1, 1) == 6.0 and separation_limit(3, 2) == 7.0
    assert separation_limit(4, 1) == 9.0 and separation_limit(3, 3) == 8.0
    assert separation_limit(4, 3) == 10.0 and separation_limit(4, 4) == 12.0
    ctx = make_context(
        {
            "planning": [
                obj("G-BLDG-OUTL", rectangle(0, 0, 20, 15)),
                obj("G-BLDG-OUTL", rectangle(25, 0, 45, 15)),
            ]
        },
        project='[building]\nuse = "office"\nheight_m = 12.0\n',
    )
    assert_outcome("FIRE-002", ctx, "not checked")
    assert_outcome("FIRE-002", make_context({"fire": []}, project=project()), "not checked")


# --- storeys with a corridor: FIRE-003, 004, 005, 006, 013 -------------------------------------


def storey(length: float = 60.0, floor: str = "1", label: str = "防火分区1") -> list[ObjSpec]:
    """A compartment ``length`` × 10 m with a corridor (走道) along y 4.2–5.8."""
    return area(0, 0, length, 10, label, "F-AREA", floor) + room(0, 4.2, length, 5.8, "走道", floor)


def south_door(
    x: float, width: float, name: str, x1: float | None = None, floor: str = "1"
) -> list[ObjSpec]:
    """A room south of the corridor (x … x1, y 0–4) with a door hinged at (x, 4.1)."""
    return room(x, 0, x1 if x1 is not None else x + max(width, 3.0), 4.0, name, floor) + [
        door(x, 4.1, width, floor=floor)
    ]


OFFICE = project("office", 20.0, 5, cls="single_multi", grade=2)


SPACING_CASES = [
    pytest.param([exit_mark(0, 4.2, 1, 5.8), exit_mark(6, 4.2, 7, 5.8)], OFFICE, None, id="5.0"),
    pytest.param(
        [exit_mark(0, 4.2, 1, 5.8), exit_mark(5.99, 4.2, 7, 5.8)], OFFICE, (E, 4.99, 5.0), id="4.99"
    ),
    pytest.param(
        [exit_mark(0, 4.2, 1, 5.8)]
        + room(10, 0, 30, 4, "办公室")
        + [door(11, 4.1, 1.0), door(17, 4.1, 1.0)],
        OFFICE,
        None,
        id="room-doors-5.0",
    ),
    pytest.param(
        [exit_mark(0, 4.2, 1, 5.8)]
        + room(10, 0, 30, 4, "办公室")
        + [door(11, 4.1, 1.0), door(16.99, 4.1, 1.0)],
        OFFICE,
        (E, 4.99, 5.0),
        id="room-doors-4.99",
    ),
    pytest.param(
        [exit_mark(0, 4.2, 1, 5.8)]
        + room(10, 0, 30, 4, "卧室")
        + [door(11, 4.1, 1.0), door(13, 4.1, 1.0)],
        project(),
        None,
        id="dwelling-doors-not-compared",
    ),
    pytest.param([], OFFICE, "not checked", id="no-exits"),
]


@pytest.mark.parametrize(("objs", "proj", "expected"), SPACING_CASES)
def test_exit_spacing(objs: list[ObjSpec], proj: str, expected: Expected) -> None:
    assert_outcome("FIRE-005", ctx_of(storey() + objs, proj), expected)


def west_door(width: float) -> ObjSpec:
    """A door in the west external wall, into the corridor."""
    return door(-0.1, 4.5, width, rotation=90.0)


DOOR_CASES = [
    pytest.param(south_door(10, 0.9, "办公室"), OFFICE, None, id="0.90"),
    pytest.param(south_door(10, 0.85, "办公室"), OFFICE, (W, 0.85, 0.9), id="0.85-warning"),
    pytest.param(south_door(10, 0.79, "办公室"), OFFICE, (E, 0.79, 0.8), id="0.79-error"),
    pytest.param(
        south_door(10, 1.0, "办公室"),
        project(
            "office",
            20.0,
            5,
            cls="single_multi",
            grade=2,
            extra="[project]\ndoor_frame_deduction_m = 0.1\n",
        ),
        None,
        id="1.0-minus-0.1-frame",
    ),
    pytest.param(
        south_door(10, 0.95, "办公室"),
        project(
            "office",
            20.0,
            5,
            cls="single_multi",
            grade=2,
            extra="[project]\ndoor_frame_deduction_m = 0.1\n",
        ),
        (W, 0.85, 0.9),
        id="0.95-minus-0.1-frame",
    ),
    pytest.param([west_door(1.1)], OFFICE, None, id="ground-external-1.10"),
    pytest.param([west_door(1.09)], OFFICE, (E, 1.09, 1.1), id="ground-external-1.09"),
    pytest.param([west_door(1.2)], project("office", 30.0, 8), None, id="high-rise-public-1.20"),
    pytest.param(
        [west_door(1.19)], project("office", 30.0, 8), (W, 1.19, 1.2), id="high-rise-public-1.19"
    ),
    pytest.param(
        [west_door(1.29)],
        project("medical", 30.0, 8, cls="class1"),
        (W, 1.29, 1.3),
        id="high-rise-medical-1.29",
    ),
    pytest.param(
        room(-5, 0, -0.2, 4, "起居室") + [door(-0.1, 1.0, 0.9, rotation=90.0)],
        project(height=20.0, cls="single_multi"),
        None,
        id="dwelling-door-outside-0.90",
    ),
    pytest.param(
        room(-5, 0, -0.2, 4, "起居室") + [door(-0.1, 1.0, 0.79, rotation=90.0)],
        project(height=20.0, cls="single_multi"),
        (E, 0.79, 0.8),
        id="dwelling-door-outside-0.79",
    ),
    pytest.param(south_door(10, 0.6, "管道井"), OFFICE, None, id="shaft-door-skipped"),
    pytest.param(
        [
            obj("A-DOOR", "POINT (10 4.1)", block="DOOR", floor="1"),
            obj("A-DOOR-IDEN", "POINT (10.4 3.6)", text="FM甲0821", floor="1"),
            *room(10, 0, 13, 4, "办公室"),
        ],
        OFFICE,
        (W, 0.8, 0.9),
        id="width-from-number",
    ),
    pytest.param([], OFFICE, "not checked", id="no-doors"),
]


@pytest.mark.parametrize(("objs", "proj", "expected"), DOOR_CASES)
def test_exit_door_width(objs: list[ObjSpec], proj: str, expected: Expected) -> None:
    assert_outcome("FIRE-006", ctx_of(storey() + objs, proj), expected)


def dwelling_door_at(d: float, width: float = 1.0, name: str = "门厅") -> list[ObjSpec]:
    """A dwelling (room ``name``) whose entrance door's middle is ``d`` from the west exit."""
    x = 0.5 + d - width / 2
    return room(x, 0, x + 3, 4.0, name) + [door(x, 4.1, width)]


WEST_EXIT = exit_mark(0, 4.0, 0.5, 6.0)
COUNT_CASES = [
    pytest.param(
        storey(30, "2") + [exit_mark(0, 4.2, 0.5, 5.8, "2"), exit_mark(29.5, 4.2, 30, 5.8, "2")],
        OFFICE,
        None,
        id="public-two-exits",
    ),
    pytest.param(
        storey(30, "2") + [exit_mark(0, 4.2, 0.5, 5.8, "2")],
        OFFICE,
        (E, 1, 2),
        id="public-one-exit",
    ),
    pytest.param(
        storey(30, "2")
        + area(0, 20, 30, 30, "防火分区2", "F-AREA", "2")
        + [exit_mark(0, 24, 0.5, 26, "2"), exit_mark(29.5, 24, 30, 26, "2")],
        OFFICE,
        (E, 0, 2),
        id="public-no-exit",
    ),
    pytest.param(
        storey(20) + [WEST_EXIT],
        project("office", 20.0, 5, cls="single_multi", fire_extra="occupants = 50"),
        None,
        id="ground-200m2-50-persons",
    ),
    pytest.param(
        storey(20) + [WEST_EXIT],
        project("office", 20.0, 5, cls="single_multi", fire_extra="occupants = 51"),
        (E, 1, 2),
        id="ground-200m2-51-persons",
    ),
    pytest.param(
        storey(20.05) + [WEST_EXIT],
        project("office", 20.0, 5, cls="single_multi", fire_extra="occupants = 50"),
        (E, 1, 2),
        id="ground-200.5m2",
    ),
    pytest.param(
        storey(20) + [WEST_EXIT],
        project("office", 20.0, 5, cls="single_multi"),
        (W, 1, 2),
        id="ground-200m2-persons-unknown",
    ),
    pytest.param(
        storey(20, "2") + [exit_mark(0, 4.0, 0.5, 6.0, "2")],
        project("office", 10.0, 3, cls="single_multi", fire_extra="occupants = 25"),
        None,
        id="small-building-2x25",
    ),
    pytest.param(
        storey(20, "2") + [exit_mark(0, 4.0, 0.5, 6.0, "2")],
        project("office", 10.0, 3, cls="single_multi", fire_extra="occupants = 26"),
        (E, 1, 2),
        id="small-building-2x26",
    ),
    pytest.param(
        storey(20, "2") + [exit_mark(0, 4.0, 0.5, 6.0, "2")],
        project("office", 8.0, 2, cls="single_multi", grade=4, fire_extra="occupants = 15"),
        None,
        id="grade4-2-storeys-15",
    ),
    pytest.param(
        storey(20, "2") + [exit_mark(0, 4.0, 0.5, 6.0, "2")],
        project("office", 8.0, 2, cls="single_multi", grade=4, fire_extra="occupants = 16"),
        (E, 1, 2),
        id="grade4-2-storeys-16",
    ),
    pytest.param(
        storey(65) + [WEST_EXIT] + dwelling_door_at(10.0),
        project(),
        None,
        id="dwelling-650m2-door-10m",
    ),
    pytest.param(
        storey(65.05) + [WEST_EXIT] + dwelling_door_at(10.0),
        project(),
        (E, 1, 2),
        id="dwelling-650.5m2",
    ),
    pytest.param(
        storey(65) + [WEST_EXIT] + dwelling_door_at(10.01),
        project(),
        (E, 1, 2),
        id="dwelling-door-10.01m",
    ),
    pytest.param(
        storey(65) + [WEST_EXIT] + dwelling_door_at(15.0),
        project(height=27.0, cls="single_multi"),
        None,
        id="dwelling-H27-door-15m",
    ),
    pytest.param(
        storey(65) + [WEST_EXIT] + dwelling_door_at(10.0),
        project(height=54.1),
        (E, 1, 2),
        id="dwelling-H54.1",
    ),
    pytest.param(storey(65) + [WEST_EXIT], project(), (W, 1, 2), id="dwelling-doors-unknown"),
    pytest.param(storey(30), project(), "not checked", id="no-exits"),
]


@pytest.mark.parametrize(("objs", "proj", "expected"), COUNT_CASES)
def test_exit_count(objs: list[ObjSpec], proj: str, expected: Expected) -> None:
    assert_outcome("FIRE-004", ctx_of(objs, proj), expected)


RES_NONE = project()
DISTANCE_CASES = [
    pytest.param([WEST_EXIT] + dwelling_door_at(20.0), RES_NONE, None, id="dead-end-20"),
    pytest.param(
        [WEST_EXIT] + dwelling_door_at(20.01), RES_NONE, (E, 20.01, 20.0), id="dead-end-20.01"
    ),
    pytest.param(
        [WEST_EXIT] + dwelling_door_at(25.0), project(sprinklers="full"), None, id="sprinklered-25"
    ),
    pytest.param(
        [WEST_EXIT] + dwelling_door_at(25.01),
        project(sprinklers="full"),
        (E, 25.01, 25.0),
        id="sprinklered-25.01",
    ),
    pytest.param(
        [WEST_EXIT, exit_mark(80.5, 4.0, 81, 6.0)] + dwelling_door_at(40.0),
        RES_NONE,
        None,
        id="between-exits-40",
    ),
    pytest.param(
        [WEST_EXIT, exit_mark(81.02, 4.0, 81.52, 6.0)] + dwelling_door_at(40.01),
        RES_NONE,
        (E, 40.01, 40.0),
        id="between-exits-40.01",
    ),
    pytest.param(
        [WEST_EXIT] + dwelling_door_at(20.01, name="办公室"),
        project("office", 20.0, 5, cls="single_multi", grade=3),
        (E, 20.01, 20.0),
        id="office-grade3-dead-end-20.01",
    ),
    pytest.param(
        [WEST_EXIT] + dwelling_door_at(22.0),
        project(height=20.0, cls="single_multi"),
        None,
        id="multi-storey-dwelling-22",
    ),
    pytest.param(
        [WEST_EXIT, *area(-3, 3, -0.2, 7, "敞开楼梯", "F-STRS")] + dwelling_door_at(20.01),
        project(height=20.0, cls="single_multi"),
        (E, 20.01, 20.0),
        id="open-stair-minus-2",
    ),
    pytest.param([WEST_EXIT], RES_NONE, "not checked", id="no-doors"),
]


@pytest.mark.parametrize(("objs", "proj", "expected"), DISTANCE_CASES)
def test_evacuation_distance(objs: list[ObjSpec], proj: str, expected: Expected) -> None:
    assert_outcome("FIRE-003", ctx_of(storey(82) + objs, proj), expected)


def dwelling(length: float, name: str = "起居室") -> list[ObjSpec]:
    """A one-room dwelling south of the corridor, entered by a 1 m door at its west end."""
    return room(0, 0, length, 4.0, name) + [door(0, 4.1, 1.0)]


EDGE_20 = 0.5 + math.sqrt(20.0**2 - 16.0)  # farthest corner exactly 20 m from the door
HALL_30 = 2 * (0.5 + math.sqrt(30.0**2 - 16.0))  # middle of the far side 30 m from both doors
ROOM_CASES = [
    pytest.param(dwelling(EDGE_20), RES_NONE, None, id="dwelling-20"),
    pytest.param(
        dwelling(EDGE_20 + 0.02),
        RES_NONE,
        (E, math.hypot(EDGE_20 + 0.02 - 0.5, 4.0), 20.0),
        id="dwelling-20.02",
    ),
    pytest.param(
        dwelling(EDGE_20 + 0.02), project(sprinklers="full"), None, id="dwelling-sprinklered-25"
    ),
    pytest.param(
        room(0, 0, HALL_30, 4, "餐厅") + [door(0, 4.1, 1.0), door(HALL_30 - 1.0, 4.1, 1.0)],
        project("office", 20.0, 5, cls="single_multi", grade=1),
        None,
        id="hall-30",
    ),
    pytest.param(
        room(0, 0, HALL_30 + 0.04, 4, "餐厅") + [door(0, 4.1, 1.0), door(HALL_30 - 0.96, 4.1, 1.0)],
        project("office", 20.0, 5, cls="single_multi", grade=1),
        (E, math.hypot(HALL_30 / 2 + 0.02 - 0.5, 4.0), 30.0),
        id="hall-30.02",
    ),
    pytest.param(
        room(0, 0, 30, 4, "办公室") + [door(0, 4.1, 1.0)],
        project("office", 20.0, 5, cls="single_multi", grade=1),
        (E, math.hypot(29.5, 4.0), 22.0),
        id="office-room-dead-end-22",
    ),
    pytest.param([], RES_NONE, "not checked", id="no-doors"),
]


@pytest.mark.parametrize(("objs", "proj", "expected"), ROOM_CASES)
def test_room_interior_distance(objs: list[ObjSpec], proj: str, expected: Expected) -> None:
    assert_outcome("FIRE-013", ctx_of(storey(82) + objs, proj), expected)


def test_room_distance_walks_round_corners() -> None:
    ell = shapely.Polygon([(0, 0), (10, 0), (10, 10), (8, 10), (8, 2), (0, 2)])
    dist, far, _ = farthest_point(ell, [(0.0, 1.0)])
    assert far == (10.0, 10.0)
    assert dist == pytest.approx(math.hypot(8, 1) + math.hypot(2, 8))


@pytest.mark.parametrize(
    ("poly", "sources", "expected"),
    [
        pytest.param(
            shapely.box(0, 0, 10, 4),
            [(5.0, 0.0)],
            (math.hypot(5, 4), (10.0, 4.0), (5.0, 0.0)),
            id="tie-first-vertex",
        ),
        pytest.param(
            shapely.Polygon([(0, 0), (10, 0), (10, 10), (8, 10), (8, 2), (2, 2), (2, 10), (0, 10)]),
            [(5.0, 0.0)],
            (math.hypot(3, 2) + math.hypot(2, 8), (10.0, 10.0), (5.0, 0.0)),
            id="U-tie-first-arm",
        ),
        pytest.param(
            shapely.box(0, 0, 10, 4),
            [(0.0, 2.0), (10.0, 2.0)],
            (math.hypot(5, 2), (5.0, 4.0), (0.0, 2.0)),
            id="two-doors-bisector",
        ),
        pytest.param(shapely.box(0, 0, 10, 4), [(5.0, -3.0)], (0.0, None, None), id="unseen"),
    ],
)
def test_room_distance_ties_and_unseen_sources(
    poly: shapely.Polygon,
    sources: list[tuple[float, float]],
    expected: tuple[float, tuple[float, float] | None, tuple[float, float] | None],
) -> None:
    """Equal distances go to the first candidate (vertices first) and the first source; a
    source no point sees gives no distance."""
    dist, far, to = farthest_point(poly, sources)
    assert (far, to) == expected[1:]
    assert dist == pytest.approx(expected[0], abs=1e-12)


def test_rooms_measured_together_as_one_by_one() -> None:
    """One batch over rooms of every kind (convex, bent, with a hole, without a source) gives
    what each room gives alone."""
    ell = shapely.Polygon([(0, 0), (10, 0), (10, 10), (8, 10), (8, 2), (0, 2)])
    holed = shapely.box(0, 0, 12, 8).difference(shapely.box(4, 3, 8, 5))
    cases = [
        (shapely.box(0, 0, 10, 4), [(5.0, 0.0)]),
        (ell, [(0.0, 1.0)]),
        (holed, [(0.0, 4.0), (12.0, 1.0)]),
        (ell, []),
        (shapely.box(0, 0, 10, 4), [(0.0, 2.0), (10.0, 2.0)]),
    ]
    assert farthest_points(cases) == [farthest_point(p, s) for p, s in cases]


def test_dwelling_rooms_joined_by_a_doorless_opening() -> None:
    """Two rooms with a gap in the wall between them form one dwelling."""
    walls = [obj("A-WALL", rectangle(10, 0, 10.2, 1.5)), obj("A-WALL", rectangle(10, 2.5, 10.2, 4))]
    objs = dwelling(10.0) + room(10.2, 0, 25, 4, "卧室") + walls
    result = check("FIRE-013", ctx_of(storey(82) + objs, RES_NONE))
    (f,) = result.findings  # the far corner of the bedroom, reached through the opening
    assert f.measured == pytest.approx(
        math.hypot(10 - 0.5, 2.5 - 4.0) + math.hypot(15, 2.5), abs=0.01
    )


# --- measurements ----------------------------------------------------------------------------


def test_geometry_helpers() -> None:
    width, line = narrowest_width(shapely.box(0, 0, 30, 6))
    assert width == pytest.approx(6.0) and line is not None
    assert fits_rectangle(shapely.box(0, 0, 15, 10), 15, 10)
    turned = shapely.affinity.rotate(shapely.box(0, 0, 15, 10), 33)
    assert fits_rectangle(turned, 15, 10) and not fits_rectangle(turned, 15.1, 10)
    runs = perimeter_cover(shapely.box(0, 0, 60, 15), [shapely.box(-6, -16, 66, 21)])
    assert runs == []  # a site around the corner faces no edge wholly


# --- the clean sample package ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_context(tmp_path_factory: pytest.TempPathFactory) -> CheckContext:
    from checkers.package import load_package
    from samples import build_package

    return load_package(build_package(tmp_path_factory.mktemp("sample"))).context


#: The sample's one known finding: on storey −1 the western bicycle store (自行车库, 717.5 m²)
#: has points 26.46 m from its nearer door, above the high-rise dead-end 20 m × 1.25 = 25 m.
def test_sample_package(sample_context: CheckContext) -> None:
    result = run(sample_context, [REGISTRY[c] for c in CODES])
    assert result.not_checked == []
    assert [(f.code, f.sheet, f.measured) for f in result.findings] == []


def test_seeded_violations_package(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every seeded fire mistake of the violations sample is found, and nothing else new."""
    from checkers.package import load_package
    from samples import build_package
    from samples.residential_violations import VIOLATIONS

    folder = build_package(tmp_path_factory.mktemp("violations"), "residential_tower_violations")
    result = run(load_package(folder).context, [REGISTRY[c] for c in CODES])
    found = {(f.code, f.sheet, f.severity.value) for f in result.findings}
    seeded = {(v.code, v.sheet, v.severity) for v in VIOLATIONS if v.code.startswith("FIRE")}
    assert seeded and seeded <= found
    assert found == seeded
    measured = {f.code: round(f.measured or 0.0, 2) for f in result.findings}
    assert measured["FIRE-001"] == 1516.73 and measured["FIRE-007"] == 3.6
    assert measured["FIRE-009"] == 13.0 and measured["FIRE-005"] < 5.0

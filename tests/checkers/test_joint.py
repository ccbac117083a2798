"""Joint-review rules JOINT-001 … JOINT-010: pass, fail, boundary and not-checked cases.

Every case builds the same small building (axis 1/A at the local origin, 30 m × 12 m) and
places it on each sheet through a sheet origin, and on the site through a rotated ``BLDG``
block, so registration is exercised by every test.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely import affinity
from shapely.geometry.base import BaseGeometry

import checkers.joint  # noqa: F401 - registers the rules
from checkers.context import CheckContext
from checkers.engine import CheckResult, run
from checkers.joint import sheet_registrations
from checkers.joint.common import cn_number, outline
from checkers.registry import REGISTRY
from checkers.testing import ObjSpec, make_context, obj
from drawings.model import Building, Severity

BLDG_POINT = (100.0, 50.0)
BLDG_ROT = 12.0
ARCH_ORIGIN = (10.0, 8.0)
FIRE_ORIGIN = (210.0, 8.0)
Expected = list[tuple[Severity, float | None, float | None]]
JOINT_CODES = tuple(f"JOINT-{n:03d}" for n in range(1, 11))


def bldg(**attrs: str) -> Building:
    return Building(name="3#", handle="B1", point=BLDG_POINT, rotation=BLDG_ROT, attrs=attrs)


def site(geom: BaseGeometry) -> str:
    """Local building coordinates → site coordinates (the BLDG block's placement)."""
    turned = affinity.rotate(geom, BLDG_ROT, origin=(0, 0))
    return str(affinity.translate(turned, *BLDG_POINT).wkt)


def on_sheet(geom: BaseGeometry, origin: tuple[float, float]) -> str:
    """Local building coordinates → drawing coordinates of a sheet with that axis origin."""
    return str(affinity.translate(geom, *origin).wkt)


def box(x0: float, y0: float, x1: float, y1: float) -> BaseGeometry:
    return shapely.box(x0, y0, x1, y1)


def check(code: str, ctx: CheckContext) -> CheckResult:
    return run(ctx, [REGISTRY[code]])


def not_checked(result: CheckResult) -> list[str]:
    return [code for code, _, _ in result.not_checked]


def assert_findings(
    result: CheckResult,
    code: str,
    expected: Sequence[tuple[Severity, float | None, float | None]],
) -> None:
    """Findings (ignoring info) match (severity, measured, limit) in order."""
    got = [f for f in result.findings if f.severity != Severity.INFO]
    assert not result.not_checked
    assert len(got) == len(expected), [f.message for f in got]
    for f, (sev, measured, limit) in zip(got, expected, strict=True):
        assert f.code == code
        assert f.severity == sev
        if measured is None:
            assert f.measured is None
        else:
            assert f.measured == pytest.approx(measured, abs=1e-4)
        assert f.limit == pytest.approx(limit) if limit is not None else f.limit is None


# -- JOINT-008 axis grid ------------------------------------------------------------------------


def axes(
    origin: tuple[float, float], floor: str, *, shift_2: float = 0.0, labels: str = "12AB"
) -> list[ObjSpec]:
    """Axes 1, 2 (vertical, x = 0 / 30) and A, B (horizontal, y = 0 / 12) with labels."""
    out = []
    where = {
        "1": (shapely.LineString([(0, -2), (0, 14)]), (0.0, -2.5)),
        "2": (shapely.LineString([(30 + shift_2, -2), (30 + shift_2, 14)]), (30 + shift_2, -2.5)),
        "A": (shapely.LineString([(-2, 0), (32, 0)]), (-2.5, 0.0)),
        "B": (shapely.LineString([(-2, 12), (32, 12)]), (-2.5, 12.0)),
        "C": (shapely.LineString([(-2, 6), (32, 6)]), (-2.5, 6.0)),
    }
    for name in labels:
        line, (x, y) = where[name]
        out.append(obj("A-AXIS", on_sheet(line, origin), floor=floor, origin=origin))
        out.append(
            obj("A-AXIS-IDEN", on_sheet(shapely.Point(x, y), origin), text=name, floor=floor)
        )
    return out


GRID_CASES = {
    "same-grid": ({}, [], False),
    "shift-4.9mm-inside": ({"shift_2": 0.0049}, [], False),
    "shift-5.1mm-outside": ({"shift_2": 0.0051}, [(Severity.ERROR, 0.0051, 0.005)], False),
    "shift-20mm": ({"shift_2": 0.02}, [(Severity.ERROR, 0.02, 0.005)], False),
    "missing-label-B": ({"labels": "12A"}, [(Severity.ERROR, None, None)], False),
    "extra-label-C": ({"labels": "12ABC"}, [(Severity.ERROR, None, None)], False),
    "fire-unregistrable": ({}, [], True),
}


@pytest.mark.parametrize(
    ("fire_kw", "expected", "fire_no_origin"), GRID_CASES.values(), ids=GRID_CASES
)
def test_axis_grid_match(fire_kw: dict[str, Any], expected: Expected, fire_no_origin: bool) -> None:
    fire = axes(FIRE_ORIGIN, "1", **fire_kw)
    if fire_no_origin:
        fire = [obj(s.group, s.wkt, text=s.text, floor=s.floor) for s in fire]
    ctx = make_context(
        {"architecture": axes(ARCH_ORIGIN, "1"), "fire": fire},
        buildings={"planning": [bldg()]},
    )
    result = check("JOINT-008", ctx)
    if fire_no_origin:
        assert not_checked(result) == ["JOINT-008"]
        assert "fire/test.dxf" in result.not_checked[0][2]
        return
    assert_findings(result, "JOINT-008", expected)


@pytest.mark.parametrize("rotation", [0.0, 33.3, 90.0, -180.0])
def test_registration_of_many_items_is_that_of_each(rotation: float) -> None:
    """``to_site_all`` gives exactly the coordinates of ``to_site``: two sheets with their
    own origins, a site plan, an empty geometry, and a drawing that cannot be registered."""
    shapes = [box(0, 0, 12.3, 4.56), shapely.LineString([(-1.1, 2), (30.7, 2.2)])]
    specs = [obj("A-WALL", on_sheet(g, ARCH_ORIGIN), floor="1", origin=ARCH_ORIGIN) for g in shapes]
    specs += [
        obj("A-WALL", on_sheet(g, FIRE_ORIGIN), floor="2", origin=FIRE_ORIGIN) for g in shapes
    ]
    specs.append(obj("A-WALL", "LINESTRING EMPTY", floor="2", origin=FIRE_ORIGIN))
    ctx = make_context(
        {
            "architecture": specs,
            "planning": [obj("G-BLDG-OUTL", site(shapes[0]))],
            "fire": [obj("A-WALL", shapes[1].wkt)],
        },
        buildings={"planning": [Building("3#", "B1", BLDG_POINT, rotation, {})]},
    )
    items = [i for d in ("architecture", "planning", "fire") for i in ctx.items(d, "A-WALL")]
    items += ctx.items("planning", "G-BLDG-OUTL")
    one_by_one = [ctx.to_site(i) for i in items]
    together = ctx.to_site_all(items)
    assert [g is None for g in together] == [g is None for g in one_by_one]
    assert together.count(None) == 1  # the fire drawing: no axis origin, no BLDG block
    for a, b in zip(one_by_one, together, strict=True):
        assert a is None or (b is not None and a.equals_exact(b, 0.0))


def test_axis_grid_across_storeys_compares_positions_only() -> None:
    ctx = make_context(
        {
            "architecture": axes(ARCH_ORIGIN, "1")
            + axes((110.0, 8.0), "-1", labels="12ABC", shift_2=0.01)
        },
        buildings={"planning": [bldg()]},
    )
    assert_findings(check("JOINT-008", ctx), "JOINT-008", [(Severity.ERROR, 0.01, 0.005)])


def test_axis_grid_reports_unregistrable_sheet_as_info() -> None:
    shelter = [obj(s.group, s.wkt, text=s.text, floor=s.floor) for s in axes((0.0, 0.0), "1")]
    ctx = make_context(
        {
            "architecture": axes(ARCH_ORIGIN, "1"),
            "fire": axes(FIRE_ORIGIN, "1"),
            "civil_defence": shelter,
        },
        buildings={"planning": [bldg()]},
    )
    result = check("JOINT-008", ctx)
    assert not result.not_checked
    assert [(f.severity, f.file) for f in result.findings] == [
        (Severity.INFO, "civil_defence/test.dxf")
    ]


def test_axis_grid_not_checked_with_one_sheet() -> None:
    ctx = make_context({"architecture": axes(ARCH_ORIGIN, "1")}, buildings={"planning": [bldg()]})
    assert not_checked(check("JOINT-008", ctx)) == ["JOINT-008"]


# -- JOINT-001 footprint ----------------------------------------------------------------------------


def walls(
    origin: tuple[float, float], floor: str, w: float = 30.0, d: float = 12.0
) -> list[ObjSpec]:
    """Four 0.2 m walls with outer faces on the w × d rectangle; a 1.0 m door in the south."""
    t = 0.2
    parts = [
        box(0, 0, 5, t),
        box(6, 0, w, t),
        box(0, d - t, w, d),
        box(0, 0, t, d),
        box(w - t, 0, w, d),
    ]
    return [obj("A-WALL", on_sheet(p, origin), floor=floor, origin=origin) for p in parts]


def footprint_ctx(
    plan_outline: BaseGeometry, fire_outline: BaseGeometry | None = None
) -> CheckContext:
    drawings: dict[str, list[ObjSpec]] = {
        "planning": [obj("G-BLDG-OUTL", site(plan_outline))],
        "architecture": walls(ARCH_ORIGIN, "1"),
    }
    if fire_outline is not None:
        drawings["fire"] = [obj("G-BLDG-OUTL", site(fire_outline))]
    return make_context(drawings, buildings={"planning": [bldg()], "fire": [bldg()]})


FOOTPRINT_CASES = {
    "identical": (box(0, 0, 30, 12), []),
    "longer-0.49m-inside": (box(0, 0, 30.49, 12), []),
    "longer-0.51m-hausdorff": (box(0, 0, 30.51, 12), [(Severity.ERROR, 0.51, 0.5)]),
    "strip-0.23m-iou-inside": (box(0, 0.23, 30, 12), []),
    "strip-0.25m-iou-outside": (box(0, 0.25, 30, 12), [(Severity.ERROR, 11.75 / 12, 0.98)]),
    "far-off": (box(5, 0, 35, 12), [(Severity.ERROR, 25 / 35, 0.98)]),
}


@pytest.mark.parametrize(("plan", "expected"), FOOTPRINT_CASES.values(), ids=FOOTPRINT_CASES)
def test_footprint_match(plan: BaseGeometry, expected: Expected) -> None:
    assert_findings(check("JOINT-001", footprint_ctx(plan)), "JOINT-001", expected)


def test_footprint_fire_site_plan_outline() -> None:
    ctx = footprint_ctx(box(0, 0, 30, 12), fire_outline=box(0, 0, 31, 12))
    assert_findings(check("JOINT-001", ctx), "JOINT-001", [(Severity.ERROR, 30 / 31, 0.98)])


def test_footprint_lightning_roof_against_roof_plan() -> None:
    ctx = make_context(
        {
            "architecture": walls(ARCH_ORIGIN, "RF"),
            "lightning": [
                obj(
                    "E-LTNG-ROOF",
                    on_sheet(box(0, 0, 30, 12.6), (5.0, 5.0)),
                    floor="RF",
                    origin=(5.0, 5.0),
                )
            ],
        },
        buildings={"planning": [bldg()]},
    )
    assert_findings(check("JOINT-001", ctx), "JOINT-001", [(Severity.ERROR, 12 / 12.6, 0.98)])


def test_footprint_not_checked_without_architecture() -> None:
    ctx = make_context(
        {"planning": [obj("G-BLDG-OUTL", site(box(0, 0, 30, 12)))]},
        buildings={"planning": [bldg()]},
    )
    assert not_checked(check("JOINT-001", ctx)) == ["JOINT-001"]


def test_outline_bridges_door_openings() -> None:
    parts = [shapely.from_wkt(s.wkt) for s in walls((0.0, 0.0), "1")]
    shape = outline(parts, 1.0)
    assert shape is not None
    assert shape.area == pytest.approx(360.0)


# -- JOINT-009 site lines and JOINT-006 fire lanes ---------------------------------------------------

REDLINE = box(-40, -30, 80, 60)


def site_lines_ctx(group: str, shift: float | None, *, discipline: str = "fire") -> CheckContext:
    other = [] if shift is None else [obj(group, str(affinity.translate(REDLINE, shift, 0).wkt))]
    return make_context(
        {
            "planning": [obj(group, str(REDLINE.wkt))],
            discipline: other or [obj("G-GREN", "POINT (0 0)")],
        },
        buildings={"planning": [bldg()], discipline: [bldg()]},
    )


SITE_LINE_CASES = {
    "same": (0.0, []),
    "shift-0.09-inside": (0.09, []),
    "shift-0.11-outside": (0.11, [(Severity.ERROR, 0.11, 0.1), (Severity.ERROR, 0.11, 0.1)]),
}


@pytest.mark.parametrize("group", ["G-SITE-REDL", "G-ROAD-REDL", "G-SITE-CTRL"])
@pytest.mark.parametrize(("shift", "expected"), SITE_LINE_CASES.values(), ids=SITE_LINE_CASES)
def test_site_boundary_match(group: str, shift: float, expected: Expected) -> None:
    assert_findings(check("JOINT-009", site_lines_ctx(group, shift)), "JOINT-009", expected)


def test_site_boundary_not_checked_when_only_planning_draws_it() -> None:
    assert not_checked(check("JOINT-009", site_lines_ctx("G-SITE-REDL", None))) == ["JOINT-009"]


LANE = box(0, -10, 40, -4)
FIRE_SITE_CASES = {
    "same": (0.0, []),
    "shift-0.19-inside": (0.19, []),
    "shift-0.21-outside": (0.21, [(Severity.ERROR, 0.21, 0.2), (Severity.ERROR, 0.21, 0.2)]),
    "missing-in-fire": (None, [(Severity.ERROR, None, 0.2)]),
}


@pytest.mark.parametrize("group", ["F-LANE", "F-SITE"])
@pytest.mark.parametrize(("shift", "expected"), FIRE_SITE_CASES.values(), ids=FIRE_SITE_CASES)
def test_fire_site_match(group: str, shift: float | None, expected: Expected) -> None:
    fire = [obj("G-GREN", "POINT (0 0)")]
    if shift is not None:
        fire.append(obj(group, str(affinity.translate(LANE, 0, shift).wkt)))
    ctx = make_context(
        {"planning": [obj(group, str(LANE.wkt))], "fire": fire},
        buildings={"planning": [bldg()], "fire": [bldg()]},
    )
    assert_findings(check("JOINT-006", ctx), "JOINT-006", expected)


def test_fire_site_not_checked_without_lanes_or_fire_drawings() -> None:
    none_drawn = make_context(
        {"planning": [obj("G-GREN", "POINT (0 0)")], "fire": [obj("G-GREN", "POINT (0 0)")]},
        buildings={"planning": [bldg()]},
    )
    assert not_checked(check("JOINT-006", none_drawn)) == ["JOINT-006"]
    no_fire = make_context({"planning": [obj("F-LANE", str(LANE.wkt))]})
    assert not_checked(check("JOINT-006", no_fire)) == ["JOINT-006"]


# -- JOINT-002 storeys --------------------------------------------------------------------------

PROJECT = '[building."3#"]\nheight_m = {h}\nfloors_above = 18\nfloors_below = 2\n'


def note(text: str, discipline_sheet: str = "N-01") -> ObjSpec:
    return obj("G-ANNO-INDX", "POINT (500 500)", text=text, sheet=discipline_sheet)


STOREY_CASES = {
    "all-agree": ("地上18层，地下2层", []),
    "chinese-numerals": ("地上十八层、地下二层", []),
    "above-17": ("地上17层，地下2层", [(Severity.ERROR, 17.0, 18.0)]),
    "above-19": ("地上19层，地下2层", [(Severity.ERROR, 19.0, 18.0)]),
    "below-1": ("地上18层，地下1层", [(Severity.ERROR, 1.0, 2.0)]),
}


@pytest.mark.parametrize(("text", "expected"), STOREY_CASES.values(), ids=STOREY_CASES)
def test_storey_count_match(text: str, expected: Expected) -> None:
    ctx = make_context(
        {"planning": [note("住宅楼 18F/-2")], "fire": [note(text)]},
        project=PROJECT.format(h=54.0),
        buildings={"planning": [bldg(FLOORS_ABOVE="18", FLOORS_BELOW="2")]},
    )
    assert_findings(check("JOINT-002", ctx), "JOINT-002", expected)


@pytest.mark.parametrize(
    ("same_as", "expected"),
    [("三~十八层同本层", []), ("三~十七层同本层", [(Severity.ERROR, 17.0, 18.0)])],
    ids=["standard-floors-to-18", "standard-floors-to-17"],
)
def test_storey_count_from_architecture_sheets(same_as: str, expected: Expected) -> None:
    sheets = [obj("A-WALL", "POINT (0 0)", floor=f, sheet=f"A-{f}") for f in ("-2", "-1", "1")]
    sheets.append(obj("A-AREA-IDEN", "POINT (0 0)", text=f"注\n{same_as}", floor="2", sheet="A-2"))
    ctx = make_context({"architecture": sheets}, project=PROJECT.format(h=54.0))
    assert_findings(check("JOINT-002", ctx), "JOINT-002", expected)


def test_storey_count_not_checked_with_one_source() -> None:
    ctx = make_context({"planning": [note("无")]}, project=PROJECT.format(h=54.0))
    assert not_checked(check("JOINT-002", ctx)) == ["JOINT-002"]


# -- JOINT-003 height -------------------------------------------------------------------------------

HEIGHT_CASES = {
    "same": (54.0, "fire", "建筑高度54.0m", []),
    "0.04-inside": (50.5, "fire", "建筑高度：50.54m", []),
    "0.06-warning": (50.5, "fire", "建筑高度：50.56m", [(Severity.WARNING, 0.06, 0.05)]),
    "crosses-54-error": (54.0, "fire", "建筑高度54.06m", [(Severity.ERROR, 0.06, 0.05)]),
    "crosses-50-error": (50.5, "fire", "建筑高度49.9m", [(Severity.ERROR, 0.6, 0.05)]),
    "45-in-fire-warning": (44.9, "fire", "建筑高度45.2m", [(Severity.WARNING, 0.3, 0.05)]),
    "45-in-lightning-error": (44.9, "lightning", "建筑高度45.2m", [(Severity.ERROR, 0.3, 0.05)]),
}


@pytest.mark.parametrize(
    ("declared", "where", "text", "expected"), HEIGHT_CASES.values(), ids=HEIGHT_CASES
)
def test_height_match(declared: float, where: str, text: str, expected: Expected) -> None:
    ctx = make_context({where: [note(text)]}, project=PROJECT.format(h=declared))
    assert_findings(check("JOINT-003", ctx), "JOINT-003", expected)


def test_height_computed_from_levels_is_the_reference() -> None:
    ctx = make_context(
        {
            "architecture": [note("建筑高度54.0m（室外设计地坪-0.300至女儿墙顶53.700）")],
            "planning": [note("建筑高度：54.2m")],
        },
        project=PROJECT.format(h=54.0),
    )
    result = check("JOINT-003", ctx)
    assert_findings(result, "JOINT-003", [(Severity.ERROR, 0.2, 0.05)])
    assert result.findings[0].file == "planning/test.dxf"


@pytest.mark.parametrize("code", ["JOINT-002", "JOINT-003"])
def test_storeys_and_height_not_checked_with_several_buildings(code: str) -> None:
    second = Building(name="4#", handle="B2", point=(200.0, 50.0), rotation=0.0, attrs={})
    ctx = make_context(
        {
            "fire": [
                note("地上18层，地下2层，建筑高度54.0m"),
                note("地上17层，地下2层，建筑高度50.0m"),
            ]
        },
        buildings={"planning": [bldg(), second]},
    )
    assert not_checked(check(code, ctx)) == [code]


def test_height_not_checked_with_one_source() -> None:
    ctx = make_context({"fire": [note("无高度")]}, project=PROJECT.format(h=54.0))
    assert not_checked(check("JOINT-003", ctx)) == ["JOINT-003"]


# -- JOINT-010 level datum ---------------------------------------------------------------------------

DATUM_CASES = {
    "same": ("±0.000相当于绝对标高86.450m，室外设计地坪-0.300", []),
    "datum-0.009-inside": ("±0.000相当于绝对标高86.459m，室外设计地坪-0.300", []),
    "datum-0.011-outside": (
        "±0.000相当于绝对标高86.461m，室外设计地坪-0.300",
        [(Severity.ERROR, 0.011, 0.01)],
    ),
    "grade-absolute-not-compared": ("±0.000=86.450，室外设计地坪86.150", []),
    "grade-0.02-outside": (
        "±0.000=86.450，室外设计地坪-0.320",
        [(Severity.ERROR, 0.02, 0.01)],
    ),
}


@pytest.mark.parametrize(("text", "expected"), DATUM_CASES.values(), ids=DATUM_CASES)
def test_level_datum_match(text: str, expected: Expected) -> None:
    ctx = make_context(
        {"planning": [note("±0.000=86.450"), note("室外设计地坪 -0.300")], "fire": [note(text)]}
    )
    assert_findings(check("JOINT-010", ctx), "JOINT-010", expected)


def test_level_datum_not_checked_with_one_text() -> None:
    ctx = make_context({"planning": [note("±0.000=86.450")]})
    assert not_checked(check("JOINT-010", ctx)) == ["JOINT-010"]


# -- JOINT-007 stair cores ----------------------------------------------------------------------------

CORE = box(12.9, 9.7, 15.5, 15.5)  # 2.6 m × 5.8 m
FLIGHT = box(13.0, 11.8, 14.1, 13.9)


def arch_core(floor: str, origin: tuple[float, float], dy: float = 0.0) -> list[ObjSpec]:
    core = affinity.translate(CORE, 0, dy)
    return [
        obj("A-AREA", on_sheet(core, origin), floor=floor, origin=origin),
        obj("A-STRS", on_sheet(affinity.translate(FLIGHT, 0, dy), origin), floor=floor),
    ]


def iou_shift(d: float) -> float:
    return (5.8 - d) / (5.8 + d)


STAIR_CASES = {
    "same": (0.0, []),
    "shift-0.14-inside": (0.14, []),
    "shift-0.16-outside": (
        0.16,
        [(Severity.ERROR, iou_shift(0.16), 0.95), (Severity.ERROR, iou_shift(0.16), 0.95)],
    ),
}


@pytest.mark.parametrize(("dy", "expected"), STAIR_CASES.values(), ids=STAIR_CASES)
def test_stair_core_match(dy: float, expected: Expected) -> None:
    fire_core = affinity.translate(CORE, 0, dy)
    ctx = make_context(
        {
            "architecture": arch_core("1", ARCH_ORIGIN),
            "fire": [
                obj("F-STRS", on_sheet(fire_core, FIRE_ORIGIN), floor="1", origin=FIRE_ORIGIN)
            ],
        },
        buildings={"planning": [bldg()]},
    )
    assert_findings(check("JOINT-007", ctx), "JOINT-007", expected)


def test_stair_core_storey_to_storey() -> None:
    ctx = make_context(
        {"architecture": arch_core("1", ARCH_ORIGIN) + arch_core("2", (110.0, 8.0), dy=0.3)},
        buildings={"planning": [bldg()]},
    )
    assert_findings(check("JOINT-007", ctx), "JOINT-007", [(Severity.ERROR, iou_shift(0.3), 0.95)])


def test_stair_core_not_checked_without_cores() -> None:
    ctx = make_context({"architecture": walls(ARCH_ORIGIN, "1")}, buildings={"planning": [bldg()]})
    assert not_checked(check("JOINT-007", ctx)) == ["JOINT-007"]


# -- JOINT-005 compartments and protective units -------------------------------------------------------

UNIT = box(0, 0, 20, 10)
SHELTER_ORIGIN = (400.0, 8.0)

COMPARTMENT_CASES = {
    "same-as-unit": (0.0, []),
    "beyond-0.19-inside": (0.19, []),
    "beyond-0.21-outside": (0.21, [(Severity.WARNING, 0.01 * 9.6, 0.0)]),
    "beyond-0.30": (0.30, [(Severity.WARNING, 0.10 * 9.6, 0.0)]),
}


@pytest.mark.parametrize(("beyond", "expected"), COMPARTMENT_CASES.values(), ids=COMPARTMENT_CASES)
def test_compartment_unit_alignment(beyond: float, expected: Expected) -> None:
    comp = box(0, 0, 20 + beyond, 10)
    ctx = make_context(
        {
            "fire": [obj("F-AREA", on_sheet(comp, FIRE_ORIGIN), floor="-1", origin=FIRE_ORIGIN)],
            "civil_defence": [
                obj("R-UNIT", on_sheet(UNIT, SHELTER_ORIGIN), floor="-1", origin=SHELTER_ORIGIN)
            ],
        },
        buildings={"planning": [bldg()]},
    )
    assert_findings(check("JOINT-005", ctx), "JOINT-005", expected)


def test_compartment_unit_not_checked_without_units() -> None:
    ctx = make_context(
        {"fire": [obj("F-AREA", on_sheet(UNIT, FIRE_ORIGIN), floor="-1", origin=FIRE_ORIGIN)]},
        buildings={"planning": [bldg()]},
    )
    assert not_checked(check("JOINT-005", ctx)) == ["JOINT-005"]


# -- JOINT-004 shelter area ---------------------------------------------------------------------------

SHELTER_CASES = {
    "same": ("人防建筑面积：200.00㎡", []),
    "0.49pct-inside": ("人防建筑面积：200.98㎡", []),
    "0.51pct-outside": ("人防建筑面积：201.02㎡", [(Severity.ERROR, 0.51, 0.5)]),
    "notes-wording": ("人防建筑面积190㎡", [(Severity.ERROR, 5.0, 0.5)]),
}


@pytest.mark.parametrize(("text", "expected"), SHELTER_CASES.values(), ids=SHELTER_CASES)
def test_shelter_area_match(text: str, expected: Expected) -> None:
    ctx = make_context(
        {"planning": [note(text)], "civil_defence": [obj("R-UNIT", str(UNIT.wkt), floor="-1")]}
    )
    assert_findings(check("JOINT-004", ctx), "JOINT-004", expected)


@pytest.mark.parametrize(
    "drawings",
    [
        {"planning": [note("人防建筑面积：200㎡")]},
        {"civil_defence": [obj("R-UNIT", str(UNIT.wkt), floor="-1")]},
    ],
    ids=["no-units", "no-declared-area"],
)
def test_shelter_area_not_checked(drawings: dict[str, list[ObjSpec]]) -> None:
    assert not_checked(check("JOINT-004", make_context(drawings))) == ["JOINT-004"]


# -- registration, helpers, documentation and the clean sample ------------------------------------------


def test_sheet_registrations_report_each_sheet() -> None:
    specs = {"architecture": axes(ARCH_ORIGIN, "1") + [note("说明", "A-00")]}
    one = sheet_registrations(make_context(specs, buildings={"planning": [bldg()]}))
    methods = {r.label: r.method for r in one if r.drawing.discipline == "architecture"}
    assert methods == {"A-01": "axis", "A-00": "none"}
    two = make_context(specs, buildings={"planning": [bldg(), bldg()]})
    assert {r.ok for r in sheet_registrations(two) if r.drawing.discipline == "architecture"} == {
        False
    }


@pytest.mark.parametrize(
    ("text", "value"), [("18", 18), ("十八", 18), ("二", 2), ("一百零二", 102), ("x", None)]
)
def test_cn_number(text: str, value: int | None) -> None:
    assert cn_number(text) == value


@pytest.mark.parametrize("code", JOINT_CODES)
def test_rule_documentation(code: str) -> None:
    r = REGISTRY[code]
    doc = r.doc
    for part in ("Clause:", "**Fails when**", "**Passes when**", "**Known limits**"):
        assert part in doc
    assert r.title


@pytest.fixture(scope="module")
def sample_context(tmp_path_factory: pytest.TempPathFactory) -> CheckContext:
    from checkers.package import load_package
    from samples import build_package

    pkg: Path = build_package(tmp_path_factory.mktemp("joint"))
    return load_package(pkg).context


def test_clean_sample_has_no_joint_findings(sample_context: CheckContext) -> None:
    result = run(sample_context, [REGISTRY[c] for c in JOINT_CODES])
    assert [f.message for f in result.findings] == []
    assert result.not_checked == []


def test_sample_registrations(sample_context: CheckContext) -> None:
    regs = {(r.drawing.file, r.label): r.method for r in sheet_registrations(sample_context)}
    assert regs[("planning/site.dxf", "G-01")] == "site"
    assert regs[("architecture/plans.dxf", "A-04")] == "axis"
    assert regs[("architecture/plans.dxf", "A-01")] == "none"

"""Planning rules PLAN-001 … PLAN-010: pass, fail, boundary and not-checked cases per rule,
and the clean sample package.

The base site is a 100 m × 100 m land boundary (10 000 m²) with one 20 m × 30 m building
(600 m²) 20 m from the south road red line, a 1 600 m² green area and a BLDG block
``1#`` of 10 storeys and 30 m.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

import checkers.planning  # noqa: F401  (registers the rules)
from checkers.context import CheckContext, Drawing
from checkers.engine import CheckResult, run
from checkers.planning import CODES
from checkers.registry import REGISTRY
from checkers.testing import ObjSpec, make_context, obj, rectangle
from drawings.model import Building, Severity, TextItem

SITE = obj("G-SITE-REDL", rectangle(0, 0, 100, 100))
OUTLINE = obj("G-BLDG-OUTL", rectangle(20, 20, 40, 50))
ROAD = obj("G-ROAD-REDL", "LINESTRING (-10 0, 110 0)")
CONTROL = obj("G-SITE-CTRL", rectangle(10, 10, 90, 90))
GREEN = obj("G-GREN", rectangle(50, 50, 90, 90))
BLDG = Building("1#", "B1", (20.0, 20.0), 0.0, {"NAME": "1#", "FLOORS_ABOVE": "10", "HEIGHT": "30"})
BASE = [SITE, OUTLINE, ROAD, CONTROL, GREEN]


def ctx_of(
    objs: Sequence[ObjSpec], project: str = "", blocks: Sequence[Building] = (BLDG,)
) -> CheckContext:
    """A planning-only context with the given objects, parameters and BLDG blocks."""
    return make_context({"planning": list(objs)}, project=project, buildings={"planning": blocks})


def check(code: str, ctx: CheckContext) -> CheckResult:
    """Run one rule."""
    return run(ctx, [REGISTRY[code]])


def stalls(n: int, y0: float = 60.0) -> list[ObjSpec]:
    """``n`` stall rectangles of 2.5 m × 5.3 m in rows of 10."""
    return [
        obj(
            "G-PARK",
            rectangle(
                12 + (k % 10) * 2.5,
                y0 + (k // 10) * 6,
                12 + (k % 10 + 1) * 2.5,
                y0 + (k // 10) * 6 + 5.3,
            ),
        )
        for k in range(n)
    ]


def assert_finding(
    result: CheckResult,
    code: str,
    severity: Severity | None,
    measured: float | None,
    limit: float | None,
) -> None:
    """No finding when ``severity`` is None; else exactly one with these values."""
    assert not result.not_checked, result.not_checked
    if severity is None:
        assert result.findings == [], [f.message for f in result.findings]
        return
    assert len(result.findings) == 1, [f.message for f in result.findings]
    f = result.findings[0]
    assert f.code == code
    assert f.severity == severity
    if measured is None:
        assert f.measured is None
    else:
        assert f.measured == pytest.approx(measured, abs=1e-3)
    assert f.limit == (pytest.approx(limit, abs=1e-9) if limit is not None else None)
    assert f.message and f.message_en and f.file == "planning/test.dxf"


def assert_not_checked(result: CheckResult, code: str, *words: str) -> None:
    """The rule reported "not checked", naming ``words`` in its English reason."""
    assert result.findings == []
    assert [c for c, _, _ in result.not_checked] == [code]
    reason = result.not_checked[0][2]
    for w in words:
        assert w in reason, reason


# --- documentation --------------------------------------------------------------------------

CLAUSES = {
    "PLAN-001": ("redline-containment", "GB 55031-2022 4.2.1; GB 50352-2019 4.3.1"),
    "PLAN-002": ("control-line", "GB 55031-2022 4.2.2; GB 50352-2019 4.3.3"),
    "PLAN-003": (
        "far-limit",
        "GB 50352-2019 4.1.1 (limit from the regulatory plan 控制性详细规划 via the planning "
        "conditions 规划条件)",
    ),
    "PLAN-004": ("density-limit", "GB 50352-2019 4.1.1"),
    "PLAN-005": ("green-ratio", "GB 50352-2019 4.1.1"),
    "PLAN-006": ("height-limit", "GB 55031-2022 3.2.1–3.2.6; GB 50352-2019 4.1.1"),
    "PLAN-007": (
        "road-setback",
        "planning conditions; local planning technical regulation (规划管理技术规定)",
    ),
    "PLAN-008": ("boundary-setback", "planning conditions; local planning technical regulation"),
    "PLAN-009": (
        "parking-count",
        "local parking standard (停车配建标准) via the planning conditions",
    ),
    "PLAN-010": (
        "indicator-consistency",
        "GB 55031-2022 3.1.1–3.1.7 (area method); planning conditions",
    ),
}


@pytest.mark.parametrize("code", CODES)
def test_rule_is_registered_with_catalogue_slug_clause_and_docs(code: str) -> None:
    r = REGISTRY[code]
    slug, clause = CLAUSES[code]
    assert (r.slug, r.clause, r.severity) == (slug, clause, Severity.ERROR)
    for part in ("**Fails when**", "**Passes when**", "**Known limits**"):
        assert part in r.doc, part


# --- PLAN-001 redline-containment -----------------------------------------------------------

PLAN_001 = [
    pytest.param(BASE, None, None, id="inside-passes"),
    pytest.param(
        [SITE, obj("G-BLDG-OUTL", rectangle(80, 20, 110, 50))], Severity.ERROR, 10.0, id="10m-out"
    ),
    pytest.param(
        [SITE, obj("G-BLDG-OUTL", rectangle(20, 20, 40, 100.009))], None, None, id="0.009-inside"
    ),
    pytest.param(
        [SITE, obj("G-BLDG-OUTL", rectangle(20, 20, 40, 100.02))],
        Severity.ERROR,
        0.02,
        id="0.02-outside",
    ),
    pytest.param(
        [SITE, OUTLINE, obj("G-BLDG-BASE", rectangle(-5, 10, 30, 40))],
        Severity.ERROR,
        5.0,
        id="basement-out",
    ),
    pytest.param(
        [
            SITE,
            obj("G-ROAD-REDL", "LINESTRING (-10 60, 110 60)"),
            obj("G-BLDG-OUTL", rectangle(20, 55, 40, 70)),
        ],
        Severity.ERROR,
        5.0,
        id="crosses-road-red-line-inside-site",
    ),
    pytest.param(
        [
            SITE,
            obj("G-ROAD-REDL", "LINESTRING (-10 60, 110 60)"),
            obj("G-BLDG-OUTL", rectangle(20, 40, 40, 60)),
        ],
        None,
        None,
        id="touches-road-red-line",
    ),
]


@pytest.mark.parametrize(("objs", "severity", "measured"), PLAN_001)
def test_plan001_redline_containment(
    objs: list[ObjSpec], severity: Severity | None, measured: float | None
) -> None:
    assert_finding(check("PLAN-001", ctx_of(objs)), "PLAN-001", severity, measured, 0.01)


# --- PLAN-002 control-line --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outline", "severity", "measured"),
    [
        pytest.param(rectangle(20, 20, 40, 50), None, None, id="inside-passes"),
        pytest.param(rectangle(5, 20, 30, 50), Severity.ERROR, 5.0, id="5m-out"),
        pytest.param(rectangle(10, 20, 30, 90), None, None, id="touching-passes"),
        pytest.param(rectangle(9.991, 20, 30, 50), None, None, id="0.009-out-tolerated"),
        pytest.param(rectangle(9.98, 20, 30, 50), Severity.ERROR, 0.02, id="0.02-out-fails"),
    ],
)
def test_plan002_control_line(
    outline: str, severity: Severity | None, measured: float | None
) -> None:
    objs = [SITE, CONTROL, obj("G-BLDG-OUTL", outline)]
    assert_finding(check("PLAN-002", ctx_of(objs)), "PLAN-002", severity, measured, 0.0)


# --- PLAN-003 far-limit -----------------------------------------------------------------------

NO_BLOCK: tuple[Building, ...] = ()
UNNUMBERED = Building("1#", "B1", (20.0, 20.0), 0.0, {"NAME": "1#", "HEIGHT": "30"})


LABEL_12F = obj("G-BLDG-OUTL", "POINT (30 30)", text="住宅 12F/-1")
GFA = '[building."1#"]\ngross_floor_area_m2 = '
FAR_CASES = [  # id, planning section, building section, extra objects, blocks, measured, limit
    ("declared-area-at-limit", "far_max = 1.8", GFA + "18000", [], (BLDG,), None, None),
    ("declared-area-just-inside", "far_max = 1.8", GFA + "17999", [], (BLDG,), None, None),
    ("declared-area-just-outside", "far_max = 1.8", GFA + "18001", [], (BLDG,), 1.8001, 1.8),
    ("below-far-min", "far_max = 1.8\nfar_min = 0.6", GFA + "5000", [], (BLDG,), 0.5, 0.6),
    ("bldg-floors-attr", "far_max = 0.5", "", [], (BLDG,), 0.6, 0.5),
    (
        "declared-floors-win",
        "far_max = 0.5",
        '[building."1#"]\nfloors_above = 5',
        [],
        (BLDG,),
        None,
        None,
    ),
    ("site-plan-label", "far_max = 0.7", "", [LABEL_12F], NO_BLOCK, 0.72, 0.7),
]


@pytest.mark.parametrize(
    ("planning", "building", "extra", "blocks", "measured", "limit"),
    [pytest.param(*case[1:], id=case[0]) for case in FAR_CASES],
)
def test_plan003_far(
    planning: str,
    building: str,
    extra: list[ObjSpec],
    blocks: tuple[Building, ...],
    measured: float | None,
    limit: float | None,
) -> None:
    ctx = ctx_of([*BASE, *extra], f"[planning]\n{planning}\n{building}", blocks)
    result = check("PLAN-003", ctx)
    sev = Severity.ERROR if measured is not None else None
    assert_finding(result, "PLAN-003", sev, measured, limit)
    if measured is not None:
        assert result.findings[0].params["planning.far_max"] is not None


def with_texts(ctx: CheckContext, *texts: TextItem) -> CheckContext:
    """The context with plain texts (any layer) added to its planning drawing."""
    d = ctx.drawings[0]
    model = replace(d.model, texts=tuple(texts))
    return CheckContext(params=ctx.params, drawings=(Drawing(d.discipline, d.file, model),))


@pytest.mark.parametrize(
    ("text", "handle", "blocks", "measured"),
    [
        pytest.param("住宅楼 12F/-1", "77", NO_BLOCK, 0.72, id="label-inside-outline"),
        pytest.param("住宅楼 12F", "B1", (UNNUMBERED,), 0.72, id="label-of-bldg-block"),
        pytest.param("B2F", "77", NO_BLOCK, None, id="basement-label-is-no-storey-count"),
    ],
)
def test_plan003_storeys_from_unmapped_label(
    text: str, handle: str, blocks: tuple[Building, ...], measured: float | None
) -> None:
    label = TextItem("楼号", text, 30.0 if blocks == NO_BLOCK else 500.0, 30.0, 2.0, 0.0, handle)
    ctx = with_texts(ctx_of(BASE, "[planning]\nfar_max = 0.7", blocks), label)
    result = check("PLAN-003", ctx)
    if measured is None:
        assert_not_checked(result, "PLAN-003", "floors_above")
    else:
        assert_finding(result, "PLAN-003", Severity.ERROR, measured, 0.7)


def test_plan003_two_buildings_each_with_its_own_basis() -> None:
    other = Building("2#", "B2", (60.0, 20.0), 0.0, {"NAME": "2#", "FLOORS_ABOVE": "4"})
    objs = [*BASE, obj("G-BLDG-OUTL", rectangle(60, 20, 70, 30))]
    project = '[planning]\nfar_max = 0.5\n[building."1#"]\ngross_floor_area_m2 = 5000'
    result = check("PLAN-003", ctx_of(objs, project, (BLDG, other)))
    assert_finding(result, "PLAN-003", Severity.ERROR, 0.54, 0.5)  # (5000 + 100 × 4) / 10000
    basis = result.findings[0].params["basis"]
    assert "gross_floor_area_m2" in basis["1#"] and "BLDG FLOORS_ABOVE" in basis["2#"]


# --- PLAN-004 density-limit -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("objs", "density_max", "measured"),
    [
        pytest.param(BASE, 0.25, None, id="passes"),
        pytest.param(BASE, 0.06, None, id="at-limit-passes"),
        pytest.param(BASE, 0.0599, 6.0, id="just-above-fails"),
        pytest.param(
            [*BASE, obj("G-BLDG-OUTL", rectangle(30, 20, 40, 50))],
            0.06,
            None,
            id="overlap-counts-once",
        ),
        pytest.param(
            [*BASE, obj("G-BLDG-OUTL", rectangle(60, 20, 70, 30))], 0.06, 7.0, id="two-buildings"
        ),
    ],
)
def test_plan004_density(objs: list[ObjSpec], density_max: float, measured: float | None) -> None:
    result = check("PLAN-004", ctx_of(objs, f"[planning]\ndensity_max = {density_max}"))
    sev = Severity.ERROR if measured is not None else None
    assert_finding(result, "PLAN-004", sev, measured, density_max * 100)


# --- PLAN-005 green-ratio ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("objs", "green_min", "measured"),
    [
        pytest.param(BASE, 0.10, None, id="passes"),
        pytest.param(BASE, 0.16, None, id="at-limit-passes"),
        pytest.param(BASE, 0.1601, 16.0, id="just-below-fails"),
        pytest.param(
            [*BASE, obj("G-GREN", rectangle(90, 0, 150, 10))],
            0.18,
            17.0,
            id="green-outside-site-not-counted",
        ),
        pytest.param(
            [*BASE, obj("G-GREN", rectangle(50, 50, 70, 70), kind="HATCH")],
            0.16,
            None,
            id="overlapping-hatch-counts-once",
        ),
    ],
)
def test_plan005_green(objs: list[ObjSpec], green_min: float, measured: float | None) -> None:
    result = check("PLAN-005", ctx_of(objs, f"[planning]\ngreen_ratio_min = {green_min}"))
    sev = Severity.ERROR if measured is not None else None
    assert_finding(result, "PLAN-005", sev, measured, green_min * 100)


# --- PLAN-006 height-limit --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("project", "measured", "limit", "source"),
    [
        pytest.param("[planning]\nheight_max_m = 60", None, 60.0, "", id="passes"),
        pytest.param("[planning]\nheight_max_m = 30", None, 30.0, "", id="at-limit-passes"),
        pytest.param(
            "[planning]\nheight_max_m = 29.99", 30.0, 29.99, "BLDG HEIGHT", id="bldg-height-fails"
        ),
        pytest.param(
            '[planning]\nheight_max_m = 32\n[building."1#"]\nheight_m = 32.01',
            32.01,
            32.0,
            "building.height_m",
            id="declared-height-just-above",
        ),
        pytest.param(
            '[planning]\nheight_max_m = 32\n[building."1#"]\nheight_m = 31.99',
            None,
            32.0,
            "",
            id="declared-height-wins",
        ),
    ],
)
def test_plan006_height(project: str, measured: float | None, limit: float, source: str) -> None:
    result = check("PLAN-006", ctx_of(BASE, project))
    sev = Severity.ERROR if measured is not None else None
    assert_finding(result, "PLAN-006", sev, measured, limit)
    if measured is not None:
        assert source in result.findings[0].params["height_source"]
        assert result.findings[0].params["building.height_m"] == measured


def test_plan006_building_without_height_is_info() -> None:
    other = Building("2#", "B2", (70.0, 20.0), 0.0, {"NAME": "2#"})
    objs = [*BASE, obj("G-BLDG-OUTL", rectangle(70, 20, 80, 30))]
    result = check("PLAN-006", ctx_of(objs, "[planning]\nheight_max_m = 60", (BLDG, other)))
    assert [(f.code, f.severity) for f in result.findings] == [("PLAN-006", Severity.INFO)]
    assert "2#" in result.findings[0].message


# --- PLAN-007 road-setback --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("objs", "setback", "measured"),
    [
        pytest.param(BASE, 10.0, None, id="passes"),
        pytest.param(BASE, 20.0, None, id="at-limit-passes"),
        pytest.param(BASE, 20.01, 20.0, id="just-short-fails"),
        pytest.param(
            [SITE, ROAD, obj("G-BLDG-OUTL", rectangle(20, -2, 40, 10))],
            10.0,
            0.0,
            id="crossing-is-0",
        ),
    ],
)
def test_plan007_road_setback(objs: list[ObjSpec], setback: float, measured: float | None) -> None:
    result = check("PLAN-007", ctx_of(objs, f"[planning]\nsetback_road_m = {setback}"))
    sev = Severity.ERROR if measured is not None else None
    assert_finding(result, "PLAN-007", sev, measured, setback)


# --- PLAN-008 boundary-setback ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("objs", "setback", "measured"),
    [
        pytest.param(BASE, 8.0, None, id="passes"),
        pytest.param(BASE, 20.0, None, id="at-limit-passes"),
        pytest.param(BASE, 20.01, 20.0, id="just-short-fails"),
        pytest.param(
            [SITE, obj("G-BLDG-OUTL", rectangle(95, 20, 105, 30))], 8.0, 0.0, id="crossing-is-0"
        ),
    ],
)
def test_plan008_boundary_setback(
    objs: list[ObjSpec], setback: float, measured: float | None
) -> None:
    result = check("PLAN-008", ctx_of(objs, f"[planning]\nsetback_boundary_m = {setback}"))
    sev = Severity.ERROR if measured is not None else None
    assert_finding(result, "PLAN-008", sev, measured, setback)


# --- PLAN-009 parking-count -------------------------------------------------------------------

STALL_BLOCK = [
    obj("G-PARK", rectangle(60 + k * 2.5, 10, 62.5 + k * 2.5, 15.3), block="STALL")
    for k in range(5)
]


@pytest.mark.parametrize(
    ("park", "rate", "measured", "limit"),
    [
        pytest.param(stalls(60), 1.0, None, 60, id="exactly-required-passes"),
        pytest.param(stalls(59), 1.0, 59, 60, id="one-short-fails"),
        pytest.param(
            [*stalls(20), obj("G-PARK", "POINT (30 90)", text="机械车位 40 个")],
            1.0,
            None,
            60,
            id="mechanical-text-counts",
        ),
        pytest.param(
            [*stalls(55), *STALL_BLOCK, obj("G-PARK", rectangle(10, 55, 60, 95))],
            1.0,
            None,
            60,
            id="blocks-count-area-outline-ignored",
        ),
        pytest.param(stalls(30), 0.5001, 30, 31, id="rounded-up"),
        pytest.param(stalls(30), 0.5, None, 30, id="exact-product-not-rounded-up"),
    ],
)
def test_plan009_parking(
    park: list[ObjSpec], rate: float, measured: int | None, limit: int
) -> None:
    result = check("PLAN-009", ctx_of([*BASE, *park], f"[planning]\nparking_per_100m2 = {rate}"))
    sev = Severity.ERROR if measured is not None else None
    assert_finding(result, "PLAN-009", sev, measured, limit)


# --- PLAN-010 indicator-consistency ---------------------------------------------------------
# computed: FAR 0.6 (600 m² × 10 storeys ÷ 10 000 m²), density 6 %, green 16 %, area 6 000 m²


def table(*lines: str) -> list[ObjSpec]:
    """Indicator table texts."""
    return [obj("G-ANNO-INDX", f"POINT (150 {100 - k * 4})", text=t) for k, t in enumerate(lines)]


@pytest.mark.parametrize(
    ("lines", "measured", "limit"),
    [
        pytest.param(("容积率：0.60",), None, None, id="far-equal"),
        pytest.param(("容积率：0.61",), None, None, id="far-0.01-inside"),
        pytest.param(("容积率:0.62",), 0.02, 0.01, id="far-0.02-fails"),
        pytest.param(("1. 容积率：0.62",), 0.02, 0.01, id="numbered-line"),
        pytest.param(("容积率：0.60", "容积率：≤0.5"), None, None, id="condition-is-not-a-value"),
        pytest.param(("建筑密度：6.5%",), None, None, id="density-0.5pp-inside"),
        pytest.param(("建筑密度：6.6%",), 0.6, 0.5, id="density-0.6pp-fails"),
        pytest.param(("绿地率：15.5％",), None, None, id="green-fullwidth-percent-inside"),
        pytest.param(("绿地率：15.4%",), 0.6, 0.5, id="green-fails"),
        pytest.param(("绿地率：0.16",), None, None, id="green-as-fraction"),
        pytest.param(("总建筑面积：6030㎡",), None, None, id="area-0.5pct-inside"),
        pytest.param(("总建筑面积：6031m2",), 31.0, 30.0, id="area-just-outside"),
        pytest.param(
            ("总建筑面积：9000㎡", "地下建筑面积（不计容）：3000㎡"),
            None,
            None,
            id="total-with-underground-accepted",
        ),
        pytest.param(("计容建筑面积：0.62万㎡",), 200.0, 30.0, id="wan-unit-fails"),
        pytest.param(("用地面积：10000.00㎡", "建筑基底面积：600㎡"), None, None, id="areas-match"),
        pytest.param(
            ("经济技术指标\n容积率：0.60\n建筑密度：6.0%\n绿地率：16.0%",), None, None, id="mtext"
        ),
    ],
)
def test_plan010_indicators(
    lines: tuple[str, ...], measured: float | None, limit: float | None
) -> None:
    result = check("PLAN-010", ctx_of([*BASE, *table(*lines)]))
    sev = Severity.ERROR if measured is not None else None
    assert_finding(result, "PLAN-010", sev, measured, limit)


def test_plan010_value_that_cannot_be_computed_is_info() -> None:
    result = check("PLAN-010", ctx_of([SITE, OUTLINE, *table("绿地率：35%", "容积率：0.6")]))
    assert [(f.code, f.severity) for f in result.findings] == [("PLAN-010", Severity.INFO)]
    assert "G-GREN" in result.findings[0].message_en


# --- not checked: inputs absent ------------------------------------------------------------

NOTE_ONLY = obj("G-PARK", "POINT (30 90)", text="地面停车位68个")
NOT_CHECKED = [
    ("PLAN-001", [OUTLINE], "", "G-SITE-REDL", "no-land-boundary"),
    ("PLAN-001", [SITE, GREEN], "", "G-BLDG-OUTL", "no-outline"),
    ("PLAN-002", [SITE, OUTLINE], "", "G-SITE-CTRL", "no-control-line"),
    ("PLAN-003", BASE, "", "planning.far_max", "no-far-max"),
    ("PLAN-004", BASE, "", "planning.density_max", "no-density-max"),
    ("PLAN-004", [SITE], "density_max = 0.3", "G-BLDG-OUTL", "no-outline"),
    ("PLAN-005", BASE, "", "planning.green_ratio_min", "no-green-min"),
    ("PLAN-005", [SITE, OUTLINE], "green_ratio_min = 0.3", "G-GREN", "no-green"),
    ("PLAN-006", BASE, "", "planning.height_max_m", "no-height-max"),
    ("PLAN-007", BASE, "", "planning.setback_road_m", "no-setback"),
    ("PLAN-007", [SITE, OUTLINE], "setback_road_m = 10", "G-ROAD-REDL", "no-road"),
    ("PLAN-008", BASE, "", "planning.setback_boundary_m", "no-setback"),
    ("PLAN-008", [SITE], "setback_boundary_m = 8", "G-BLDG-OUTL", "no-outline"),
    ("PLAN-009", [*BASE, *stalls(5)], "", "planning.parking_per_100m2", "no-rate"),
    ("PLAN-009", BASE, "parking_per_100m2 = 1.0", "G-PARK", "no-stalls"),
    ("PLAN-009", [*BASE, NOTE_ONLY], "parking_per_100m2 = 1.0", "G-PARK", "only-a-note"),
    ("PLAN-010", BASE, "", "G-ANNO-INDX", "no-table"),
    ("PLAN-010", [*BASE, *table("住宅户数：72户")], "", "recognisable", "no-known-line"),
]


@pytest.mark.parametrize(
    ("code", "objs", "planning", "word"),
    [pytest.param(*case[:4], id=f"{case[0]}-{case[4]}") for case in NOT_CHECKED],
)
def test_not_checked_when_input_is_absent(
    code: str, objs: list[ObjSpec], planning: str, word: str
) -> None:
    assert_not_checked(check(code, ctx_of(objs, f"[planning]\n{planning}")), code, word)


@pytest.mark.parametrize(
    ("code", "blocks", "project", "word"),
    [
        pytest.param("PLAN-003", NO_BLOCK, "[planning]\nfar_max = 1.0", "floors_above", id="3"),
        pytest.param("PLAN-006", NO_BLOCK, "[planning]\nheight_max_m = 60", "height", id="6"),
    ],
)
def test_not_checked_without_storeys_or_height(
    code: str, blocks: tuple[Building, ...], project: str, word: str
) -> None:
    assert_not_checked(check(code, ctx_of(BASE, project, blocks)), code, word)


# --- the clean sample package -----------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_result(tmp_path_factory: pytest.TempPathFactory) -> CheckResult:
    from checkers.package import load_package
    from samples import build_package

    pkg: Path = build_package(tmp_path_factory.mktemp("planning-sample"))
    ctx = load_package(pkg).context
    return run(ctx, [REGISTRY[c] for c in CODES])


def test_sample_package_passes_every_planning_rule(sample_result: CheckResult) -> None:
    assert [f for f in sample_result.findings if f.severity == Severity.ERROR] == []
    assert sample_result.findings == []
    assert sample_result.not_checked == []


def test_violations_package_gives_exactly_its_planning_findings() -> None:
    """The sample with seeded mistakes gives exactly its listed PLAN findings, where listed."""
    import json
    import tempfile

    import shapely

    from checkers.package import load_package
    from samples import SAMPLES, build_package

    name = "residential_tower_violations"
    if name not in SAMPLES:
        pytest.skip("no sample package with seeded violations")
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_package(Path(tmp), name)
        expected = [
            e
            for e in json.loads((folder / "expected_findings.json").read_text(encoding="utf-8"))
            if e["code"].startswith("PLAN-")
        ]
        result = run(load_package(folder).context, [REGISTRY[c] for c in CODES])
    found = [f for f in result.findings if f.severity != Severity.INFO]
    assert sorted((f.code, f.sheet, f.severity.value) for f in found) == sorted(
        (e["code"], e["sheet"], e["severity"]) for e in expected
    )
    for e in expected:
        near = shapely.Point(e["near"])
        assert any(
            f.code == e["code"] and shapely.geometry.shape(f.location).distance(near) < 1.0
            for f in found
        ), e

"""Lightning rules LTNG-001 … LTNG-006: pass, fail, boundary and not-checked cases.

Every case draws one roof plan (floor RF) from plain geometry in metres: the roof outline on
E-LTNG-ROOF, conductor lines on E-LTNG-TERM (a closed rectangle there is a band), down
conductors as small circles on E-LTNG-DOWN.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import shapely

import checkers.lightning  # noqa: F401 - registers the rules
from checkers.engine import run
from checkers.package import load_package
from checkers.registry import REGISTRY
from checkers.testing import ObjSpec, make_context, obj, rectangle
from drawings.model import Severity
from samples import build_package

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def cls(n: int, extra: str = "") -> str:
    return f"[lightning]\nclass_declared = {n}\n{extra}"


def roof(x0: float, y0: float, x1: float, y1: float) -> ObjSpec:
    return obj("E-LTNG-ROOF", rectangle(x0, y0, x1, y1), floor="RF")


def band(x0: float, y0: float, x1: float, y1: float) -> ObjSpec:
    """A closed air-termination band (its outline is the conductor)."""
    return obj("E-LTNG-TERM", rectangle(x0, y0, x1, y1), floor="RF")


def line(*xy: float) -> ObjSpec:
    pts = ", ".join(f"{xy[i]} {xy[i + 1]}" for i in range(0, len(xy), 2))
    return obj("E-LTNG-TERM", f"LINESTRING ({pts})", floor="RF")


def down(x: float, y: float) -> ObjSpec:
    return obj("E-LTNG-DOWN", shapely.Point(x, y).buffer(0.2).wkt, floor="RF")


def along(x0: float, y0: float, x1: float, y1: float, at: Sequence[float]) -> list[ObjSpec]:
    """Down conductors at the given arc lengths along the rectangle's perimeter."""
    ring = shapely.box(x0, y0, x1, y1).exterior
    return [down(p.x, p.y) for p in (ring.interpolate(d) for d in at)]


Expect = tuple[Severity, float | None, float | None]


@dataclass
class Case:
    """One table row: the roof-plan objects, parameters and expected findings."""

    id: str
    objects: Sequence[ObjSpec]
    project: str = ""
    expect: Sequence[Expect] = ()
    not_checked: bool = False


def check(code: str, case: Case) -> None:
    ctx = make_context({"lightning": list(case.objects)}, project=case.project)
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


BASIC = [roof(0, 0, 20, 10), band(0, 0, 20, 10), line(10, 0, 10, 10)]

# --- LTNG-006 class-declared -----------------------------------------------------------------------

RES = '[building]\nuse = "residential"\n'
OFFICE = '[building]\nuse = "office"\n'

LTNG_006 = [
    Case("residential-class2-N0.106", BASIC, cls(2, "n_per_year = 0.106\n") + RES),
    Case("general-boundary-N0.25-class3", BASIC, cls(3, "n_per_year = 0.25\n") + OFFICE),
    Case(
        "general-boundary-N0.2501-class3-too-weak",
        BASIC,
        cls(3, "n_per_year = 0.2501\n") + OFFICE,
        expect=[(E, 3, 2)],
    ),
    Case(
        "important-boundary-N0.05-class3",
        BASIC,
        cls(3, "n_per_year = 0.05\nimportant_crowded = true\n") + OFFICE,
    ),
    Case(
        "important-boundary-N0.0501-class3-too-weak",
        BASIC,
        cls(3, "n_per_year = 0.0501\nimportant_crowded = true\n") + OFFICE,
        expect=[(E, 3, 2)],
    ),
    Case("stricter-than-needed", BASIC, cls(1, "n_per_year = 0.5\n") + OFFICE),
    Case("residential-2025-low-N", BASIC, cls(3, "n_per_year = 0.001\n") + RES),
    Case(
        "class-from-design-notes",
        [*BASIC, obj("E-LTNG-DOWN", "POINT (50 50)", text="按防雷类别：三类 设计", floor="N")],
        "[lightning]\nn_per_year = 0.3\n" + OFFICE,
        expect=[(E, 3, 2)],
    ),
    Case("missing-declaration", BASIC, "[lightning]\nn_per_year = 0.3\n", expect=[(E, None, None)]),
    Case("not-checked-n-missing-info", BASIC, cls(2) + RES, expect=[(INFO, None, None)]),
]


@pytest.mark.parametrize("case", LTNG_006, ids=ids)
def test_ltng_006_class_declared(case: Case) -> None:
    check("LTNG-006", case)


# --- LTNG-003 down-conductor-count ----------------------------------------------------------------

LTNG_003 = [
    Case("two-conductors", [*BASIC, down(0, 0), down(20, 10)], cls(2)),
    Case("one-conductor", [*BASIC, down(0, 0)], cls(2), expect=[(E, 1, 2)]),
    Case("class3-one-conductor", [*BASIC, down(0, 0)], cls(3), expect=[(E, 1, 2)]),
    Case("far-legend-symbol-not-counted", [*BASIC, down(0, 0), down(60, 60)], cls(2), [(E, 1, 2)]),
    Case("boundary-1.9m-from-roof-counted", [*BASIC, down(0, 0), down(21.9, 5)], cls(2)),
    Case(
        "boundary-2.1m-from-roof-not-counted",
        [*BASIC, down(0, 0), down(22.1, 5)],
        cls(2),
        [(E, 1, 2)],
    ),
    Case(
        "texts-count-where-no-symbol",
        [
            *BASIC,
            obj("E-LTNG-DOWN", "POINT (0 0)", text="引下线", floor="RF"),
            obj("E-LTNG-DOWN", "POINT (20 10)", text="利用柱内主筋", floor="RF"),
        ],
        cls(2),
    ),
    Case(
        "text-labelling-a-symbol-not-counted",
        [*BASIC, down(0, 0), obj("E-LTNG-DOWN", "POINT (1 0.5)", text="引下线", floor="RF")],
        cls(2),
        [(E, 1, 2)],
    ),
    Case(
        "insert-symbols",
        [
            *BASIC,
            obj("E-LTNG-DOWN", "POINT (0 0)", block="YX", floor="RF"),
            obj("E-LTNG-DOWN", "POINT (20 10)", block="YX", floor="RF"),
        ],
        cls(2),
    ),
    Case("not-checked-class1", [*BASIC, down(0, 0)], cls(1), not_checked=True),
    Case("not-checked-no-class", [*BASIC, down(0, 0)], not_checked=True),
    Case("not-checked-no-down-layer", BASIC, cls(2), not_checked=True),
    Case("not-checked-no-roof", [band(0, 0, 20, 10), down(0, 0)], cls(2), not_checked=True),
]


@pytest.mark.parametrize("case", LTNG_003, ids=ids)
def test_ltng_003_down_conductor_count(case: Case) -> None:
    check("LTNG-003", case)


# --- LTNG-004 down-conductor-spacing --------------------------------------------------------------

R90 = (0.0, 0.0, 36.0, 9.0)  # perimeter 90 m
R100 = (0.0, 0.0, 40.0, 10.0)  # perimeter 100 m

LTNG_004 = [
    Case("boundary-average-18-even", [roof(*R90), *along(*R90, [0, 18, 36, 54, 72])], cls(2)),
    Case(
        "boundary-average-18.04-too-far",
        [roof(0, 0, 36.1, 9), *along(0, 0, 36.1, 9, [0, 18.04, 36.08, 54.12, 72.16])],
        cls(2),
        [(E, 18.04, 18.0)],
    ),
    Case(
        "single-gap-18.5-warning",
        [roof(*R90), *along(*R90, [0, 18.5, 36, 54, 72])],
        cls(2),
        [(W, 18.5, 18.0)],
    ),
    Case(
        "single-gap-18.5-across-the-ring-start",
        [roof(*R90), *along(*R90, [5, 23, 41, 59, 76.5])],
        cls(2),
        [(W, 18.5, 18.0)],
    ),
    Case("class3-average-25", [roof(*R100), *along(*R100, [0, 25, 50, 75])], cls(3)),
    Case(
        "class3-average-33.3",
        [roof(*R100), *along(*R100, [0, 33, 66])],
        cls(3),
        [(E, 33.33, 25.0)],
    ),
    Case(
        "class1-default-12-warning",
        [roof(*R100), *along(*R100, [12.5 * k for k in range(8)])],
        cls(1),
        [(W, 12.5, 12.0)],
    ),
    Case(
        "class1-declared-13",
        [roof(*R100), *along(*R100, [12.5 * k for k in range(8)])],
        cls(1, "down_spacing_class1_m = 13.0\n"),
    ),
    Case("no-conductor-near-roof", [roof(*R90), down(80, 80)], cls(2), [(E, 90.0, 18.0)]),
    Case("not-checked-no-class", [roof(*R90), *along(*R90, [0, 45])], not_checked=True),
    Case("not-checked-no-down-layer", [roof(*R90)], cls(2), not_checked=True),
]


@pytest.mark.parametrize("case", LTNG_004, ids=ids)
def test_ltng_004_down_conductor_spacing(case: Case) -> None:
    check("LTNG-004", case)


# --- LTNG-005 perimeter-ring ----------------------------------------------------------------------

H50 = "[building]\nheight_m = 50.0\n"
MID = line(10, 2, 10, 8)  # some conductor that is not on the perimeter

LTNG_005 = [
    Case("band-on-outline", [roof(0, 0, 20, 10), band(0, 0, 20, 10)], cls(2) + H50),
    Case(
        "boundary-band-0.5-outside",
        [roof(0, 0, 20, 10), band(-0.5, -0.5, 20.5, 10.5)],
        cls(2) + H50,
    ),
    Case(
        "boundary-band-0.6-outside",
        [roof(0, 0, 20, 10), band(-0.6, -0.6, 20.6, 10.6)],
        cls(2) + H50,
        [(E, 0.0, 100.0)],
    ),
    Case(
        "band-missing-on-one-side",
        [roof(0, 0, 20, 10), line(20, 0, 20, 10, 0, 10, 0, 0)],
        cls(2) + H50,
        [(E, 68.33, 100.0)],
    ),
    Case(
        "class2-boundary-45m-not-required",
        [roof(0, 0, 20, 10), MID],
        cls(2, "") + "[building]\nheight_m = 45.0\n",
    ),
    Case(
        "class3-boundary-60m-not-required",
        [roof(0, 0, 20, 10), MID],
        cls(3) + "[building]\nheight_m = 60.0\n",
    ),
    Case(
        "class3-60.1m-required",
        [roof(0, 0, 20, 10), MID],
        cls(3) + "[building]\nheight_m = 60.1\n",
        [(E, 0.0, 100.0)],
    ),
    Case("not-checked-no-height", [roof(0, 0, 20, 10), MID], cls(2), not_checked=True),
    Case("not-checked-no-class", [roof(0, 0, 20, 10), MID], H50, not_checked=True),
]


@pytest.mark.parametrize("case", LTNG_005, ids=ids)
def test_ltng_005_perimeter_ring(case: Case) -> None:
    check("LTNG-005", case)


# --- LTNG-001 mesh-size ---------------------------------------------------------------------------


def mesh(x1: float, y1: float, *xs: float) -> list[ObjSpec]:
    """Roof 0..x1 × 0..y1 with a band on its outline and cross lines at ``xs``."""
    return [roof(0, 0, x1, y1), band(0, 0, x1, y1), *(line(x, 0, x, y1) for x in xs)]


LTNG_001 = [
    Case("class2-boundary-10x10", mesh(20, 10, 10), cls(2)),
    Case("class2-boundary-12x8", mesh(24, 8, 12), cls(2)),
    Case("class2-10.05x10", mesh(20.1, 10, 10.05), cls(2), [(E, 10.05, 10.0)] * 2),
    Case("class2-12x8.05", mesh(24, 8.05, 12), cls(2), [(E, 12.0, 10.0), (E, 12.0, 10.0)]),
    Case("class2-12.05x8", mesh(24.1, 8, 12.05), cls(2), [(E, 12.05, 12.0), (E, 12.05, 12.0)]),
    Case("class2-short-side-11", mesh(22, 11), cls(2), [(E, 11.0, 10.0)]),
    Case("class1-boundary-6x4", mesh(12, 4, 6), cls(1)),
    Case("class1-5.05x5", mesh(10.1, 5, 5.05), cls(1), [(E, 5.05, 5.0)] * 2),
    Case("class3-boundary-24x16", mesh(48, 16, 24), cls(3)),
    Case("class3-24.05x16", mesh(48.1, 16, 24.05), cls(3), [(E, 24.05, 24.0), (E, 24.05, 24.0)]),
    Case(
        "line-ends-snapped-within-0.05",
        [roof(0, 0, 18, 9), band(0, 0, 18, 9), line(9, 0.03, 9, 8.97)],
        cls(2),
    ),
    Case(
        "line-ends-0.2-short-not-snapped",
        [roof(0, 0, 18, 9), band(0, 0, 18, 9), line(9, 0.2, 9, 8.8)],
        cls(2),
        [(E, 18.0, 10.0)],
    ),
    Case(
        "corner-gap-0.04-closed",
        [roof(0, 0, 10, 10), line(0, 0, 10, 0, 10, 10, 0, 10, 0, 0.04)],
        cls(2),
    ),
    Case(
        "corner-gap-0.2-open",
        [roof(0, 0, 10, 10), line(0, 0, 10, 0, 10, 10, 0, 10, 0, 0.2)],
        cls(2),
        not_checked=True,
    ),
    Case(
        "parapet-strip-ignored",
        [*mesh(20, 10), band(0.3, 0.3, 19.7, 9.7), line(10, 0.3, 10, 9.7)],
        cls(2),
    ),
    Case("not-checked-no-cell", [roof(0, 0, 20, 10), line(0, 5, 20, 5)], cls(2), not_checked=True),
    Case("not-checked-no-class", mesh(20, 10, 10), not_checked=True),
    Case("not-checked-no-term", [roof(0, 0, 20, 10)], cls(2), not_checked=True),
]


@pytest.mark.parametrize("case", LTNG_001, ids=ids)
def test_ltng_001_mesh_size(case: Case) -> None:
    check("LTNG-001", case)


# --- LTNG-002 mesh-coverage -----------------------------------------------------------------------

LTNG_002 = [
    Case("covered", mesh(20, 10, 10), cls(2)),
    Case("half-covered", [roof(0, 0, 20, 10), band(0, 0, 10, 10)], cls(2), [(E, 100.0, 0.0)]),
    Case(
        "boundary-strip-0.49-ignored", [roof(0, 0, 20, 10), band(0.49, 0.49, 19.51, 9.51)], cls(2)
    ),
    Case(
        "boundary-strip-0.6-reported",
        [roof(0, 0, 20, 10), band(0.6, 0.6, 19.4, 9.4)],
        cls(2),
        [(E, 34.56, 0.0)],
    ),
    Case(
        "open-lines-cover-nothing",
        [roof(0, 0, 20, 10), line(0, 5, 20, 5)],
        cls(2),
        [(E, 200.0, 0.0)],
    ),
    Case("not-checked-no-class", mesh(20, 10, 10), not_checked=True),
    Case("not-checked-no-roof", [band(0, 0, 20, 10)], cls(2), not_checked=True),
]


@pytest.mark.parametrize("case", LTNG_002, ids=ids)
def test_ltng_002_mesh_coverage(case: Case) -> None:
    check("LTNG-002", case)


# --- the clean sample package ---------------------------------------------------------------------

CODES = ("LTNG-001", "LTNG-002", "LTNG-003", "LTNG-004", "LTNG-005", "LTNG-006")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_package(tmp_path_factory.mktemp("sample"))


def test_sample_package_passes_every_ltng_rule(sample: Path) -> None:
    ctx = load_package(sample).context
    result = run(ctx, [REGISTRY[c] for c in CODES])
    assert [f for f in result.findings if f.severity == Severity.ERROR] == []
    assert result.findings == []
    assert result.not_checked == []


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_package(tmp_path_factory.mktemp("seeded"), "residential_tower_violations")


def test_seeded_package_gives_exactly_the_expected_ltng_findings(seeded: Path) -> None:
    """The package with seeded mistakes: each LTNG mistake found once, where it was made."""
    expected = [
        e
        for e in json.loads((seeded / "expected_findings.json").read_text(encoding="utf-8"))
        if e["code"].startswith("LTNG-")
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

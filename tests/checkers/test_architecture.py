"""Architecture rules ARCH-001 to ARCH-012: pass, fail, boundary and not-checked cases per rule,
and the clean sample package.

Each case states a small plan as WKT (metres) and the expected result: ``None`` (no finding),
``"nc"`` (the rule reports not checked), or ``(severity, measured, limit)`` of the single finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely

import checkers.architecture  # noqa: F401 - registers the rules
from checkers.architecture import _widths
from checkers.architecture._squares import square_bounds
from checkers.architecture.circulation import narrowest_width
from checkers.engine import CheckResult, run
from checkers.registry import REGISTRY
from checkers.testing import ObjSpec, make_context, obj, rectangle

ARCH_CODES = [f"ARCH-{n:03d}" for n in range(1, 13)]


def project(
    edition: str = "2025",
    use: str | None = "residential",
    height: float | None = 54.0,
    extra: str = "",
    building: str = "",
) -> str:
    """A project.toml text."""
    lines = ["[project]", f'code_edition = "{edition}"', extra, "[building]"]
    if use is not None:
        lines.append(f'use = "{use}"')
    if height is not None:
        lines.append(f"height_m = {height}")
    lines.append(building)
    return "\n".join(lines)


P2025 = project()
P2011 = project("2011")


def room(
    name: str, x0: float, y0: float, x1: float, y1: float, floor: str | None = "2", **kw: Any
) -> list[ObjSpec]:
    """A named rectangular room (outline on A-AREA, name on A-AREA-IDEN)."""
    c = ((x0 + x1) / 2, (y0 + y1) / 2)
    return [
        obj("A-AREA", rectangle(x0, y0, x1, y1), floor=floor, **kw),
        obj("A-AREA-IDEN", f"POINT ({c[0]} {c[1]})", text=name, floor=floor, **kw),
    ]


def poly_room(name: str, wkt: str, floor: str = "2") -> list[ObjSpec]:
    """A named room of any shape."""
    p = shapely.from_wkt(wkt).representative_point()
    return [
        obj("A-AREA", wkt, floor=floor),
        obj("A-AREA-IDEN", f"POINT ({p.x} {p.y})", text=name, floor=floor),
    ]


def flight(
    x0: float, y0: float, width: float, lines: int, tread: float = 0.27, floor: str = "2"
) -> list[ObjSpec]:
    """A flight running in +y: outline and ``lines`` tread lines ``tread`` apart."""
    length = (lines + 1) * tread
    out = [obj("A-STRS", rectangle(x0, y0, x0 + width, y0 + length), floor=floor)]
    for k in range(1, lines + 1):
        y = y0 + k * tread
        out.append(obj("A-STRS", f"LINESTRING ({x0} {y}, {x0 + width} {y})", floor=floor))
    return out


def stair_hall(
    width: float = 1.2,
    lines: int = 8,
    tread: float = 0.27,
    name: str = "楼梯间",
    top: float = 1.5,
    bottom: float = 1.5,
    pair: bool = True,
) -> list[ObjSpec]:
    """A double-run stair (two flights side by side, 0.2 m apart) in a named hall."""
    length = (lines + 1) * tread
    hall_w = 2 * width + 0.2 if pair else width
    specs = room(name, 0, 0, hall_w, bottom + length + top)
    specs += flight(0, bottom, width, lines, tread)
    if pair:
        specs += flight(width + 0.2, bottom, width, lines, tread)
    return specs


def fixture(kind: str, x: float, y: float) -> ObjSpec:
    """A sanitary-fixture block."""
    return obj("A-FIXT", f"POINT ({x} {y})", block=kind, floor="2")


BATH3 = [
    fixture("WC-坐便器", 0.3, 0.3),
    fixture("BASIN-洗面器", 0.8, 0.3),
    fixture("SHOWER-淋浴", 0.5, 1.5),
]


def window(x0: float, width: float, number: str | None, floor: str = "2") -> list[ObjSpec]:
    """A window block in the wall below y = 0, with its number."""
    out = [
        obj(
            "A-WIND",
            rectangle(x0, -0.2, x0 + width, 0),
            block="WINDOW",
            size=(width, 0.2),
            floor=floor,
        )
    ]
    if number is not None:
        out.append(obj("A-WIND-IDEN", f"POINT ({x0 + width / 2} -0.6)", text=number, floor=floor))
    return out


def door(
    x: float, y: float, width: float, rotation: float = 0.0, number: str | None = None
) -> list[ObjSpec]:
    """A door block inserted at ``(x, y)`` with its opening along the block's x axis."""
    out = [
        obj(
            "A-DOOR",
            f"POINT ({x} {y})",
            block="DOOR",
            size=(width, width),
            rotation=rotation,
            floor="2",
        )
    ]
    if number:
        out.append(obj("A-DOOR-IDEN", f"POINT ({x} {y + 0.5})", text=number, floor="2"))
    return out


def bedroom_door(width: float) -> list[ObjSpec]:
    """A bedroom below a dwelling corridor (过道), with a door between them."""
    return room("卧室", 0, 0, 3, 3) + room("过道", 0, 3.2, 3, 4.2) + door(1.0, 3.0, width)


def entrance(width: float) -> list[ObjSpec]:
    """A dwelling foyer (门厅) below the common corridor (走道), the entrance door between."""
    return room("门厅", 0, 0, 3, 2) + room("走道", 0, 2.2, 10, 3.5) + door(1.0, 2.0, width)


def corridor_with_rooms(width: float, both_sides: bool) -> list[ObjSpec]:
    """A 20 m corridor with offices on one or both sides."""
    specs = room("走道", 0, 0, 20, width) + room("办公室", 0, width + 0.2, 6, width + 6)
    if both_sides:
        specs += room("办公室", 0, -6.2, 6, -0.2)
    return specs


Case = tuple[str, str, Sequence[ObjSpec], str, Any]

CASES: list[Case] = [
    # ARCH-001 stair-width
    ("001-residential-pass-1.10", "ARCH-001", stair_hall(1.10), P2025, None),
    ("001-residential-fail-1.09", "ARCH-001", stair_hall(1.09), P2025, ("error", 1.09, 1.10)),
    (
        "001-low-rise-railing-warning-1.05",
        "ARCH-001",
        stair_hall(1.05),
        project(height=18.0),
        ("warning", 1.05, 1.10),
    ),
    (
        "001-low-rise-at-1.00-warning",
        "ARCH-001",
        stair_hall(1.00),
        project(height=18.0),
        ("warning", 1.00, 1.10),
    ),
    (
        "001-low-rise-fail-0.99",
        "ARCH-001",
        stair_hall(0.99),
        project(height=18.0),
        ("error", 0.99, 1.00),
    ),
    (
        "001-public-fail-1.09",
        "ARCH-001",
        stair_hall(1.09),
        project(use="office", height=20.0),
        ("error", 1.09, 1.10),
    ),
    (
        "001-public-pass-1.10",
        "ARCH-001",
        stair_hall(1.10),
        project(use="office", height=20.0),
        None,
    ),
    (
        "001-high-rise-office-warning-1.19",
        "ARCH-001",
        stair_hall(1.19),
        project(use="office", height=30.0),
        ("warning", 1.19, 1.20),
    ),
    (
        "001-high-rise-office-pass-1.20",
        "ARCH-001",
        stair_hall(1.20),
        project(use="office", height=30.0),
        None,
    ),
    (
        "001-high-rise-medical-warning-1.29",
        "ARCH-001",
        stair_hall(1.29),
        project(use="medical", height=30.0),
        ("warning", 1.29, 1.30),
    ),
    (
        "001-external-fail-0.79",
        "ARCH-001",
        stair_hall(0.79, name="室外疏散楼梯"),
        P2025,
        ("error", 0.79, 0.80),
    ),
    (
        "001-external-warning-0.85",
        "ARCH-001",
        stair_hall(0.85, name="室外疏散楼梯"),
        P2025,
        ("warning", 0.85, 0.90),
    ),
    ("001-external-pass-0.90", "ARCH-001", stair_hall(0.90, name="室外疏散楼梯"), P2025, None),
    ("001-dwelling-stair-skipped", "ARCH-001", stair_hall(0.80, name="起居室"), P2025, None),
    ("001-nc-no-use", "ARCH-001", stair_hall(1.2), project(use=None), "nc"),
    ("001-nc-no-stairs", "ARCH-001", room("卧室", 0, 0, 3, 3), P2025, "nc"),
    # ARCH-003 stair-tread
    ("003-residential-pass-0.26", "ARCH-003", stair_hall(tread=0.26), P2025, None),
    (
        "003-residential-fail-0.259",
        "ARCH-003",
        stair_hall(tread=0.259),
        P2025,
        ("error", 0.259, 0.26),
    ),
    (
        "003-lift-high-rise-pass-0.25",
        "ARCH-003",
        stair_hall(tread=0.25) + [obj("A-EVTR", rectangle(5, 0, 7, 2), floor="2")],
        project(use="office", height=30.0),
        None,
    ),
    (
        "003-lift-high-rise-fail-0.249",
        "ARCH-003",
        stair_hall(tread=0.249) + [obj("A-EVTR", rectangle(5, 0, 7, 2), floor="2")],
        project(use="office", height=30.0),
        ("error", 0.249, 0.25),
    ),
    (
        "003-no-lift-fail-0.25",
        "ARCH-003",
        stair_hall(tread=0.25),
        project(use="office", height=30.0),
        ("error", 0.25, 0.26),
    ),
    (
        "003-shop-warning-0.279",
        "ARCH-003",
        stair_hall(tread=0.279),
        project(use="shop", height=10.0),
        ("warning", 0.279, 0.28),
    ),
    (
        "003-shop-pass-0.28",
        "ARCH-003",
        stair_hall(tread=0.28),
        project(use="shop", height=10.0),
        None,
    ),
    (
        "003-kindergarten-warning-0.25",
        "ARCH-003",
        stair_hall(tread=0.25),
        project(use="kindergarten", height=10.0),
        ("warning", 0.25, 0.26),
    ),
    (
        "003-dwelling-stair-warning-0.21",
        "ARCH-003",
        stair_hall(tread=0.21, name="起居室"),
        P2025,
        ("warning", 0.21, 0.22),
    ),
    (
        "003-dwelling-stair-pass-0.22",
        "ARCH-003",
        stair_hall(tread=0.22, name="起居室"),
        P2025,
        None,
    ),
    ("003-nc-no-use", "ARCH-003", stair_hall(), project(use=None), "nc"),
    # ARCH-011 stair-riser-count
    ("011-pass-18-risers", "ARCH-011", stair_hall(lines=16), P2025, None),
    ("011-fail-19-risers", "ARCH-011", stair_hall(lines=17, pair=False), P2025, ("error", 19, 18)),
    (
        "011-pass-2-risers",
        "ARCH-011",
        room("楼梯间", 0, 0, 2, 3)
        + [
            obj("A-STRS", rectangle(0, 1, 1.2, 1.27), floor="2"),
            obj("A-STRS", "LINESTRING (0 1.27, 1.2 1.27)", floor="2"),
        ],
        P2025,
        None,
    ),
    (
        "011-nc-no-tread-lines",
        "ARCH-011",
        room("楼梯间", 0, 0, 2, 3) + [obj("A-STRS", rectangle(0, 1, 1.2, 2), floor="2")],
        P2025,
        "nc",
    ),
    # ARCH-012 stair-landing
    ("012-turn-pass-1.20", "ARCH-012", stair_hall(top=1.2), P2025, None),
    ("012-turn-fail-1.19", "ARCH-012", stair_hall(top=1.19), P2025, ("error", 1.19, 1.20)),
    (
        "012-turn-wide-flight-fail-1.25",
        "ARCH-012",
        stair_hall(width=1.3, top=1.25),
        P2025,
        ("error", 1.25, 1.30),
    ),
    (
        "012-straight-pass-0.90",
        "ARCH-012",
        stair_hall(top=0.9, bottom=0.9, pair=False),
        P2025,
        None,
    ),
    (
        "012-straight-fail-0.89",
        "ARCH-012",
        stair_hall(top=0.89, bottom=0.9, pair=False),
        P2025,
        ("error", 0.89, 0.90),
    ),
    ("012-nc-no-hall", "ARCH-012", flight(0, 0, 1.2, 8) + room("卧室", 5, 5, 8, 8), P2025, "nc"),
    # ARCH-004 bedroom-area
    ("004-pass-5.0", "ARCH-004", room("次卧", 0, 0, 2.0, 2.5), P2025, None),
    ("004-fail-4.98", "ARCH-004", room("次卧", 0, 0, 2.0, 2.49), P2025, ("error", 4.98, 5.0)),
    (
        "004-short-side-fail-1.79",
        "ARCH-004",
        room("卧室", 0, 0, 1.79, 4),
        P2025,
        ("error", 1.79, 1.8),
    ),
    ("004-short-side-pass-1.80", "ARCH-004", room("卧室", 0, 0, 1.80, 4), P2025, None),
    (
        "004-doubles-living-fail-8.97",
        "ARCH-004",
        room("卧室兼起居室", 0, 0, 3, 2.99),
        P2025,
        ("error", 8.97, 9.0),
    ),
    ("004-doubles-living-pass-9.0", "ARCH-004", room("卧室兼起居室", 0, 0, 3, 3), P2025, None),
    (
        "004-2011-double-fail-8.97",
        "ARCH-004",
        room("主卧", 0, 0, 3, 2.99),
        P2011,
        ("error", 8.97, 9.0),
    ),
    (
        "004-2011-doubles-living-fail-11.97",
        "ARCH-004",
        room("卧室兼起居室", 0, 0, 3, 3.99),
        P2011,
        ("error", 11.97, 12.0),
    ),
    ("004-2011-no-short-side", "ARCH-004", room("次卧", 0, 0, 1.5, 4), P2011, None),
    ("004-nc-no-bedroom", "ARCH-004", room("厨房", 0, 0, 2, 2), P2025, "nc"),
    ("004-nc-office", "ARCH-004", room("卧室", 0, 0, 1, 1), project(use="office"), "nc"),
    (
        "004-nc-no-rooms",
        "ARCH-004",
        [obj("A-WALL", "LINESTRING (0 0, 1 0)", floor="2")],
        P2025,
        "nc",
    ),
    # ARCH-005 living-room-area
    ("005-pass-10.0", "ARCH-005", room("起居室", 0, 0, 4, 2.5), P2025, None),
    ("005-fail-9.99", "ARCH-005", room("客厅", 0, 0, 4, 2.4975), P2011, ("error", 9.99, 10.0)),
    ("005-nc-none", "ARCH-005", room("卧室", 0, 0, 3, 3), P2025, "nc"),
    # ARCH-006 kitchen-area
    ("006-pass-3.5", "ARCH-006", room("厨房", 0, 0, 1.75, 2), P2025, None),
    ("006-fail-3.49", "ARCH-006", room("厨房", 0, 0, 1.745, 2), P2025, ("error", 3.49, 3.5)),
    ("006-2011-fail-3.9", "ARCH-006", room("厨房", 0, 0, 1.95, 2), P2011, ("error", 3.9, 4.0)),
    ("006-2011-pass-4.0", "ARCH-006", room("厨房", 0, 0, 2, 2), P2011, None),
    (
        "006-2011-smallest-type-warning",
        "ARCH-006",
        room("厨房", 0, 0, 1.95, 2) + room("卧室兼起居室", 3, 0, 7, 4),
        P2011,
        ("warning", 3.9, 4.0),
    ),
    ("006-2011-fail-3.4", "ARCH-006", room("厨房", 0, 0, 1.7, 2), P2011, ("error", 3.4, 3.5)),
    ("006-nc-none", "ARCH-006", room("卧室", 0, 0, 3, 3), P2025, "nc"),
    # ARCH-007 bathroom-area
    ("007-three-pass-2.5", "ARCH-007", room("卫生间", 0, 0, 1.25, 2) + BATH3, P2025, None),
    (
        "007-three-fail-2.49",
        "ARCH-007",
        room("卫生间", 0, 0, 1.245, 2) + BATH3,
        P2025,
        ("error", 2.49, 2.5),
    ),
    (
        "007-wc-only-pass-1.1",
        "ARCH-007",
        room("卫", 0, 0, 1, 1.1) + [fixture("WC", 0.5, 0.5)],
        P2025,
        None,
    ),
    (
        "007-wc-only-fail-1.09",
        "ARCH-007",
        room("厕所", 0, 0, 1, 1.09) + [fixture("蹲便器", 0.5, 0.5)],
        P2025,
        ("error", 1.09, 1.1),
    ),
    (
        "007-wc-basin-fail-1.79",
        "ARCH-007",
        room("卫生间", 0, 0, 1, 1.79) + BATH3[:2],
        P2011,
        ("error", 1.79, 1.8),
    ),
    (
        "007-no-fixtures-info",
        "ARCH-007",
        room("卫生间", 0, 0, 2, 2) + [fixture("WC", 9, 9)],
        P2025,
        ("info", 4.0, None),
    ),
    ("007-nc-no-fixtures", "ARCH-007", room("卫生间", 0, 0, 2, 2), P2025, "nc"),
    # ARCH-008 window-floor-ratio
    (
        "008-pass-1/7",
        "ARCH-008",
        room("卧室", 0, 0, 2, 3.5) + window(0.5, 1.0, "C1010"),
        P2025,
        None,
    ),
    (
        "008-fail-below-1/7",
        "ARCH-008",
        room("卧室", 0, 0, 2, 3.51) + window(0.5, 1.0, "C1010"),
        P2025,
        ("error", 1 / 7.02, round(1 / 7, 4)),
    ),
    (
        "008-no-window-2025-error",
        "ARCH-008",
        room("厨房", 0, 0, 2, 2) + window(5, 1.0, "C1010"),
        P2025,
        ("error", 0.0, round(1 / 7, 4)),
    ),
    (
        "008-no-window-2011-warning",
        "ARCH-008",
        room("厨房", 0, 0, 2, 2) + window(5, 1.0, "C1010"),
        P2011,
        ("warning", 0.0, round(1 / 7, 4)),
    ),
    (
        "008-stair-pass-1/12",
        "ARCH-008",
        room("楼梯间", 0, 0, 3, 4) + window(1, 1.0, "C1010"),
        P2025,
        None,
    ),
    (
        "008-stair-fail-below-1/12",
        "ARCH-008",
        room("楼梯间", 0, 0, 3, 4.01) + window(1, 1.0, "C1010"),
        P2025,
        ("error", 1 / 12.03, round(1 / 12, 4)),
    ),
    (
        "008-window-without-number-info",
        "ARCH-008",
        room("卧室", 0, 0, 3, 3) + window(1, 1.5, None),
        P2025,
        ("info", None, None),
    ),
    ("008-nc-no-windows", "ARCH-008", room("卧室", 0, 0, 3, 3), P2025, "nc"),
    # ARCH-009 basement-habitable-room
    (
        "009-fail-bedroom-below-ground",
        "ARCH-009",
        room("卧室", 0, 0, 3, 3, floor="-1"),
        P2025,
        ("error", None, None),
    ),
    (
        "009-fail-title-basement",
        "ARCH-009",
        room("居室", 0, 0, 3, 3, floor=None, title="地下一层平面图"),
        P2025,
        ("error", None, None),
    ),
    (
        "009-pass-storage-below-ground",
        "ARCH-009",
        room("储藏间", 0, 0, 3, 3, floor="-1") + room("卧室", 0, 0, 3, 3),
        P2025,
        None,
    ),
    (
        "009-nc-basement-not-drawn",
        "ARCH-009",
        room("卧室", 0, 0, 3, 3),
        project(building="floors_below = 2"),
        "nc",
    ),
    ("009-nc-no-storeys", "ARCH-009", room("卧室", 0, 0, 3, 3, floor=None), P2025, "nc"),
    # ARCH-002 corridor-width
    ("002-residential-pass-1.20", "ARCH-002", room("走道", 0, 0, 20, 1.2), P2025, None),
    (
        "002-residential-fail-1.19",
        "ARCH-002",
        room("公共走廊", 0, 0, 20, 1.19),
        P2025,
        ("error", 1.19, 1.2),
    ),
    ("002-2011-pass-1.10", "ARCH-002", room("走道", 0, 0, 20, 1.1), P2011, None),
    ("002-2011-fail-1.09", "ARCH-002", room("走道", 0, 0, 20, 1.09), P2011, ("error", 1.09, 1.1)),
    (
        "002-public-fail-1.29",
        "ARCH-002",
        room("内廊", 0, 0, 20, 1.29),
        project(use="office", height=20.0),
        ("error", 1.29, 1.3),
    ),
    (
        "002-high-rise-double-warning-1.35",
        "ARCH-002",
        corridor_with_rooms(1.35, True),
        project(use="office", height=30.0),
        ("warning", 1.35, 1.4),
    ),
    (
        "002-high-rise-single-pass-1.35",
        "ARCH-002",
        corridor_with_rooms(1.35, False),
        project(use="office", height=30.0),
        None,
    ),
    (
        "002-high-rise-medical-single-warning-1.45",
        "ARCH-002",
        corridor_with_rooms(1.39, False),
        project(use="medical", height=30.0),
        ("warning", 1.39, 1.4),
    ),
    (
        "002-neck-fail",
        "ARCH-002",
        poly_room(
            "走廊", "POLYGON ((0 0, 10 0, 10 0.4, 10.5 0.4, 10.5 0, 20 0, 20 1.5, 0 1.5, 0 0))"
        ),
        project(use="office", height=20.0),
        ("error", 1.1, 1.3),
    ),
    (
        "002-door-niche-ignored",
        "ARCH-002",
        poly_room(
            "走道", "POLYGON ((0 0, 20 0, 20 1.3, 5.9 1.3, 5.9 1.5, 5 1.5, 5 1.3, 0 1.3, 0 0))"
        ),
        project(use="office", height=20.0),
        None,
    ),
    ("002-nc-no-corridor", "ARCH-002", room("卧室", 0, 0, 3, 3), P2025, "nc"),
    ("002-nc-no-use", "ARCH-002", room("走道", 0, 0, 20, 1.0), project(use=None), "nc"),
    # ARCH-010 door-clear-width
    ("010-bedroom-pass-0.80", "ARCH-010", bedroom_door(0.80), P2025, None),
    ("010-bedroom-fail-0.79", "ARCH-010", bedroom_door(0.79), P2025, ("error", 0.79, 0.8)),
    ("010-bedroom-2011-warning", "ARCH-010", bedroom_door(0.79), P2011, ("warning", 0.79, 0.8)),
    ("010-entrance-pass-0.90", "ARCH-010", entrance(0.90), P2025, None),
    ("010-entrance-fail-0.89", "ARCH-010", entrance(0.89), P2025, ("error", 0.89, 0.9)),
    (
        "010-entrance-retrofit-pass-0.80",
        "ARCH-010",
        entrance(0.80),
        project(extra="retrofit = true"),
        None,
    ),
    (
        "010-entrance-frame-deduction-fail",
        "ARCH-010",
        entrance(0.90),
        project(extra="door_frame_deduction_m = 0.05"),
        ("error", 0.85, 0.9),
    ),
    (
        "010-kitchen-pass-0.70",
        "ARCH-010",
        room("厨房", 0, 0, 3, 3) + room("餐厅", 0, 3.2, 3, 6) + door(1.0, 3.0, 0.70),
        P2025,
        None,
    ),
    (
        "010-kitchen-fail-0.69",
        "ARCH-010",
        room("厨房", 0, 0, 3, 3) + room("餐厅", 0, 3.2, 3, 6) + door(1.0, 3.0, 0.69),
        P2025,
        ("error", 0.69, 0.7),
    ),
    (
        "010-2011-custom-minimum",
        "ARCH-010",
        bedroom_door(0.80),
        project("2011", building="dwelling_door_min_m = [1.0, 0.9, 0.85, 0.75]"),
        ("warning", 0.80, 0.85),
    ),
    ("010-nc-no-doors", "ARCH-010", room("卧室", 0, 0, 3, 3), P2025, "nc"),
    (
        "010-nc-no-dwelling-door",
        "ARCH-010",
        room("前室", 0, 0, 3, 3) + room("走道", 0, 3.2, 3, 6) + door(1.0, 3.0, 0.6),
        P2025,
        "nc",
    ),
]


def check(code: str, specs: Sequence[ObjSpec], toml: str) -> CheckResult:
    """Run one rule on an architecture drawing made of ``specs``."""
    ctx = make_context({"architecture": list(specs)}, project=toml)
    return run(ctx, [REGISTRY[code]])


@pytest.mark.parametrize(
    ("code", "specs", "toml", "expected"), [pytest.param(*c[1:], id=c[0]) for c in CASES]
)
def test_rule(code: str, specs: Sequence[ObjSpec], toml: str, expected: Any) -> None:
    result = check(code, specs, toml)
    crashed = [n for n in result.not_checked if "crash" in n[2]]
    assert not crashed, crashed
    if expected == "nc":
        assert [n[0] for n in result.not_checked] == [code]
        assert result.findings == []
        return
    assert result.not_checked == []
    if expected is None:
        assert result.findings == [], [f.message_en for f in result.findings]
        return
    severity, measured, limit = expected
    assert result.findings, "expected a finding"
    for f in result.findings:  # one per offending object (e.g. both flights of a stair)
        assert f.code == code
        assert f.slug == REGISTRY[code].slug
        assert f.severity.value == severity, f.message_en
        assert f.message and f.message_en
        if measured is None:
            assert f.measured is None or severity == "info"
        else:
            assert f.measured == pytest.approx(measured, abs=2e-3), f.message_en
        if limit is None:
            assert f.limit is None
        else:
            assert f.limit == pytest.approx(limit)
        if severity != "info":
            assert f.location is not None and f.handles


def test_every_rule_has_cases() -> None:
    covered = {c[1] for c in CASES}
    assert covered == set(ARCH_CODES)
    for code in ARCH_CODES:
        expectations = [c[4] for c in CASES if c[1] == code]
        assert None in expectations, code
        assert "nc" in expectations, code
        assert any(isinstance(e, tuple) for e in expectations), code


@pytest.mark.parametrize("code", ARCH_CODES)
def test_docstrings_follow_catalogue(code: str) -> None:
    r = REGISTRY[code]
    doc = r.doc
    for part in ("Clause:", "**Fails when**", "**Passes when**", "**Known limits**"):
        assert part in doc, (code, part)
    assert r.discipline == "architecture"


@pytest.mark.parametrize(
    ("wkt", "width"),
    [
        pytest.param("POLYGON ((0 0, 30 0, 30 1.4, 0 1.4, 0 0))", 1.4, id="rectangle"),
        pytest.param(
            "POLYGON ((0 0, 10 0, 10 -8, 11.5 -8, 11.5 1.5, 0 1.5, 0 0))", 1.5, id="L-shape"
        ),
        pytest.param(
            "POLYGON ((0 0, 10 0, 10 0.3, 10.2 0.3, 10.2 0, 20 0, 20 1.5, 0 1.5, 0 0))",
            1.2,
            id="thin-column-neck",
        ),
        pytest.param(
            "POLYGON ((0 0, 10 0, 10 1.1, 14 1.1, 14 1.6, 0 1.6, 0 0))", 0.5, id="narrow-dead-end"
        ),
    ],
)
def test_narrowest_width(wkt: str, width: float) -> None:
    measured, where = narrowest_width(shapely.from_wkt(wkt))
    assert measured == pytest.approx(width, abs=2e-3)
    assert not where.is_empty


T_CORRIDOR = "POLYGON ((0 0, 8 0, 8 1.6, 5 1.6, 5 4, 4 4, 4 1.6, 0 1.6, 0 0))"


@pytest.mark.parametrize(
    ("wkt", "bounds"),
    [
        pytest.param(T_CORRIDOR, (1.0, 1.6), id="T"),
        pytest.param("POLYGON ((0 0, 10 0, 10 -8, 11.5 -8, 11.5 1.5, 0 1.5, 0 0))", (1.5, 1.5)),
        pytest.param(
            "POLYGON ((0 0, 6 0, 6 3, 0 3, 0 0), (2 1, 3 1, 3 2, 2 2, 2 1))", (1.0, 3.0), id="hole"
        ),
        pytest.param("POLYGON ((0 0, 10 0, 10 2, 0 1.5, 0 0))", None, id="slanted"),
    ],
)
def test_square_bounds(wkt: str, bounds: tuple[float, float] | None) -> None:
    got = square_bounds(shapely.from_wkt(wkt))
    assert got == (pytest.approx(bounds) if bounds is not None else None)


def test_square_bounds_turn_with_the_polygon() -> None:
    turned = shapely.affinity.rotate(shapely.from_wkt(T_CORRIDOR), 30, origin=(0, 0))
    assert square_bounds(turned) == pytest.approx((1.0, 1.6))


def _rectilinear(seed: int) -> shapely.Polygon | None:
    """A union of a few boxes on a 5 cm grid, sometimes turned and moved far from the origin."""
    rng = np.random.default_rng(seed)
    boxes = [
        shapely.box(x, y, x + w, y + h)
        for x, y, w, h in rng.integers((0, 0, 4, 4), (40, 40, 60, 60), (rng.integers(2, 5), 4))
        * 0.05
    ]
    shape = shapely.simplify(shapely.union_all(boxes), 0)
    if shape.geom_type != "Polygon":
        return None
    if seed % 3 == 0:
        shape = shapely.affinity.rotate(shape, 17.3 * (seed % 7), origin=(0, 0))
    return shapely.affinity.translate(shape, 400.123, 37.77) if seed % 2 else shape


def test_square_bounds_do_not_change_the_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skipping the buffering below and above the square bounds, and bisecting all corridors
    in lockstep, gives exactly the width and place of the plain bisection of each."""
    shapes = [s for s in map(_rectilinear, range(120)) if s is not None]
    fast = _widths.narrowest_widths(shapes)
    monkeypatch.setattr(_widths, "square_bounds", lambda _: None)
    plain = [narrowest_width(s) for s in shapes]
    assert len(shapes) > 60
    for (w1, g1), (w2, g2) in zip(fast, plain, strict=True):
        assert w1 == w2 and g1.equals_exact(g2, 0.0)


def test_landing_reported_once_per_landing() -> None:
    result = check("ARCH-012", stair_hall(top=1.0), P2025)
    assert len(result.findings) == 1
    assert len(result.findings[0].handles) > 2  # both flights that share the landing


def test_fan_steps_reported_as_info() -> None:
    specs = room("楼梯间", 0, 0, 4, 4) + [obj("A-STRS", rectangle(0, 0, 2, 2), floor="2")]
    specs += [obj("A-STRS", f"LINESTRING (0 0, {x} 2)", floor="2") for x in (0.5, 1.0, 1.5, 2.0)]
    specs += [obj("A-STRS", f"LINESTRING (0 0, 2 {y})", floor="2") for y in (0.5, 1.0)]
    result = check("ARCH-003", specs, P2025)
    assert [f.severity.value for f in result.findings] == ["info"]


@pytest.fixture(scope="module")
def sample_result(tmp_path_factory: pytest.TempPathFactory) -> CheckResult:
    from checkers.package import load_package
    from samples import build_package

    folder = build_package(Path(tmp_path_factory.mktemp("sample")))
    ctx = load_package(folder).context
    return run(ctx, [REGISTRY[c] for c in ARCH_CODES])


def test_sample_package_has_no_errors(sample_result: CheckResult) -> None:
    errors = [f for f in sample_result.findings if f.severity.value == "error"]
    assert errors == [], [f.message_en for f in errors]
    assert [f for f in sample_result.findings if f.severity.value == "warning"] == []


def test_sample_package_evaluates_every_rule(sample_result: CheckResult) -> None:
    assert sample_result.not_checked == []


def test_violations_package_findings() -> None:
    """The sample with seeded mistakes gives exactly its listed ARCH findings, where listed."""
    import json
    import tempfile

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
            if e["code"].startswith("ARCH-")
        ]
        result = run(load_package(folder).context, [REGISTRY[c] for c in ARCH_CODES])
    found = [f for f in result.findings if f.severity.value in ("error", "warning")]
    assert sorted((f.code, f.sheet, f.severity.value) for f in found) == sorted(
        (e["code"], e["sheet"], e["severity"]) for e in expected
    )
    for e in expected:
        near = shapely.Point(e["near"])
        assert any(
            f.code == e["code"] and shapely.geometry.shape(f.location).distance(near) < 1.0
            for f in found
        ), e

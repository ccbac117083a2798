"""Generate large, realistic architectural floor-plan DXF files for the ingestion benchmarks.

Why a generator: real project drawings cannot be committed, and benchmark figures are only
comparable when every machine reads the very same file. The plan below imitates what TArch exports
for a corridor-type residential building: wall faces as LINE and LWPOLYLINE, columns as closed
polylines filled with SOLID hatches, door and window blocks with their numbers (``M0921``,
``C1518``), rooms as closed polylines on ``SPACE`` with Chinese names, axis lines with bubbles,
three chains of linear dimensions, ANSI31 floor hatches, furniture and sanitary fixtures, a fire
compartment outline and Chinese MTEXT notes. One storey holds ~2,000 model-space entities; storeys
are tiled over model space until exactly ``N`` entities have been emitted, so 10k, 100k and 1M
entities differ in size only, not in character.

Output is deterministic (same ``N`` gives the same bytes) so that cached files are reproducible.

Writing a million entities through ezdxf's object model takes about three times as long and
three times the memory (see README.md), so the default ``text`` writer uses ezdxf only for what
must be exactly right (header, tables, block definitions, and DIMENSION entities with their
rendered geometry blocks), and streams every other entity into the ENTITIES section as DXF text
formatted exactly like ezdxf formats it. The ``ezdxf`` writer builds the same drawing through
the object model; it is kept as the reference the tests compare the text writer against.

Usage::

    python -m benchmarks.make_large                    # 10k, 100k and 1M into benchmarks/.cache
    python -m benchmarks.make_large --entities 2000 --out plan.dxf
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple, TextIO

import ezdxf
from ezdxf.document import Drawing
from ezdxf.enums import TextEntityAlignment
from ezdxf.layouts import Modelspace

__all__ = [
    "CACHE_DIR",
    "DEFAULT_SIZES",
    "GENERATOR_VERSION",
    "GenerationInfo",
    "cache_path",
    "cached_info",
    "ensure",
    "generate",
    "iter_plan",
    "main",
    "parse_sizes",
]

#: Bump whenever the generated content changes, so cached files are rebuilt.
GENERATOR_VERSION = 1
CACHE_DIR = Path(__file__).resolve().parent / ".cache"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)

# ---------------------------------------------------------------------------------------------
# Entity specifications: plain tuples, so that a million of them cost little to create and the
# two writers cannot disagree about what the drawing contains. All coordinates are millimetres.
# ---------------------------------------------------------------------------------------------

Point = tuple[float, float]


class Line(NamedTuple):
    layer: str
    x1: float
    y1: float
    x2: float
    y2: float


class Poly(NamedTuple):
    layer: str
    points: tuple[Point, ...]
    closed: bool


class Circle(NamedTuple):
    layer: str
    x: float
    y: float
    r: float


class Text(NamedTuple):
    layer: str
    text: str
    x: float
    y: float
    height: float
    centered: bool


class MText(NamedTuple):
    layer: str
    text: str
    x: float
    y: float
    height: float
    width: float


class Insert(NamedTuple):
    layer: str
    block: str
    x: float
    y: float
    sx: float
    sy: float
    rotation: float


class Hatch(NamedTuple):
    layer: str
    pattern: str  # "SOLID" or a pattern from ezdxf's ISO pattern library
    points: tuple[Point, ...]


class Dim(NamedTuple):
    layer: str
    base: Point
    p1: Point
    p2: Point
    angle: float  # 0 = horizontal, 90 = vertical


Spec = Line | Poly | Circle | Text | MText | Insert | Hatch | Dim

_DXF_TYPE: dict[type, str] = {
    Line: "LINE",
    Poly: "LWPOLYLINE",
    Circle: "CIRCLE",
    Text: "TEXT",
    MText: "MTEXT",
    Insert: "INSERT",
    Hatch: "HATCH",
    Dim: "DIMENSION",
}

# ---------------------------------------------------------------------------------------------
# Drawing conventions (TArch-like names, 1:100, millimetres)
# ---------------------------------------------------------------------------------------------

TEXT_STYLE = "TCH_TEXT"
DIM_STYLE = "_TCH_ARCH"
DOOR_BLOCK = "$DorLib2D$00000001"
WINDOW_BLOCK = "$WinLib2D$00000001"
TOILET_BLOCK = "$LATRINE$TOILET"
BASIN_BLOCK = "$LATRINE$BASIN"
SINK_BLOCK = "$LATRINE$SINK"
HATCH_PATTERN = "ANSI31"
HATCH_SCALE = 50.0

# name -> (ACI colour, linetype)
LAYERS: dict[str, tuple[int, str]] = {
    "WALL": (9, "Continuous"),
    "COLUMN": (8, "Continuous"),
    "DOOR_FIRE": (4, "Continuous"),
    "DOOR_FIRE_TEXT": (7, "Continuous"),
    "WINDOW": (4, "Continuous"),
    "WINDOW_TEXT": (7, "Continuous"),
    "SPACE": (6, "Continuous"),
    "DOTE": (1, "CENTER"),
    "AXIS": (3, "Continuous"),
    "AXIS_TEXT": (3, "Continuous"),
    "PUB_DIM": (3, "Continuous"),
    "PUB_TEXT": (7, "Continuous"),
    "PUB_HATCH": (8, "Continuous"),
    "STAIR": (2, "Continuous"),
    "EVTR": (2, "Continuous"),
    "BALCONY": (4, "Continuous"),
    "LATRINE": (5, "Continuous"),
    "FURNITURE": (8, "Continuous"),
    "防火分区": (1, "Continuous"),
}

# Storey geometry: a row of UNITS apartments on each side of a 1.8 m corridor, a stair and a lift
# lobby at either end. North-row units are the south-row units mirrored about the corridor.
UNIT_W = 8400.0
ROW_D = 9000.0
CORRIDOR_D = 1800.0
UNITS = 6
END_W = 3000.0
FLOOR_D = 2 * ROW_D + CORRIDOR_D  # 19800
X_WEST = -END_W
X_EAST = UNITS * UNIT_W + END_W  # 53400
WALL_T = 200.0
PART_T = 100.0
COLUMN = 500.0
TEXT_H = 250.0
ROOM_TEXT_H = 350.0
BUBBLE_R = 400.0
DIM_OFFSETS = (2500.0, 3300.0, 4100.0)  # distance of the three dimension chains from the wall
BUBBLE_OFFSET = 5500.0
NOTES_X = X_EAST + 7000.0
NOTES_W = 9000.0
STOREYS_PER_BUILDING = 30
#: Storeys are tiled on this pitch; one storey with its dimensions and notes fits in 78 x 34 m.
FLOOR_PITCH = (85_000.0, 42_000.0)
FLOOR_BOX = (X_WEST - BUBBLE_OFFSET - BUBBLE_R, -8_200.0, NOTES_X + NOTES_W, FLOOR_D + 6_000.0)

AXIS_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXY"

NOTES = (
    "说明：\\P1. 本层为一个防火分区，设自动喷水灭火系统。"
    "\\P2. 图中未注明的墙体厚度均为200mm，门垛均为100mm。"
    "\\P3. 防火门均应设置闭门器，常开防火门应能在火灾时自行关闭。",
    "{\\fSimSun|b1|i0|c134;疏散说明}\\P本层设两部疏散楼梯，"
    "户门至最近安全出口的距离不大于20m。\\P走道净宽不小于1.4m。",
)


def _door_label(width: float, fire: bool) -> str:
    """Door number as TArch writes it: M + width and height in decimetres (``M0921``)."""
    return f"{'FM乙' if fire else 'M'}{round(width / 100):02d}21"


def _window_label(width: float, height: int) -> str:
    """Window number: C + width and height in decimetres (``C1518``)."""
    return f"C{round(width / 100):02d}{height:02d}"


# ---------------------------------------------------------------------------------------------
# Plan content
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Opening:
    """A door or window in a wall: centre along the wall, width, and what fills it."""

    center: float
    width: float
    kind: str  # "door" | "fire_door" | "window" | "gap"
    swing: int = 1  # +1: a door opens towards +y (+x for vertical walls), -1 the other way
    window_h: int = 18


@dataclass(frozen=True, slots=True)
class _Wall:
    """A straight wall by its centre line, thickness and openings (axis-aligned only).

    Opening centres are coordinates along the wall's axis (x for horizontal walls), not
    distances from its start, so that they read the same as the dimension chains.
    """

    x1: float
    y1: float
    x2: float
    y2: float
    thickness: float
    outline: bool  # True: each wall piece is one closed LWPOLYLINE; False: two LINE faces
    openings: tuple[_Opening, ...] = ()


class _Frame:
    """Places local coordinates on the storey, optionally mirrored (local y -> -y).

    North-row units are the south-row units mirrored, so whatever has a handedness (door swings
    in block references) is transformed here rather than in the unit description; texts keep
    reading left to right.
    """

    __slots__ = ("ox", "oy", "mirror")

    def __init__(self, ox: float, oy: float, mirror: bool = False) -> None:
        self.ox = ox
        self.oy = oy
        self.mirror = mirror

    def p(self, x: float, y: float) -> Point:
        return (self.ox + x, self.oy - y) if self.mirror else (self.ox + x, self.oy + y)

    def pts(self, points: Iterable[Point]) -> tuple[Point, ...]:
        return tuple(self.p(x, y) for x, y in points)

    def line(self, layer: str, x1: float, y1: float, x2: float, y2: float) -> Line:
        a, b = self.p(x1, y1), self.p(x2, y2)
        return Line(layer, a[0], a[1], b[0], b[1])

    def poly(self, layer: str, points: Iterable[Point], closed: bool) -> Poly:
        return Poly(layer, self.pts(points), closed)

    def rect(self, layer: str, x1: float, y1: float, x2: float, y2: float) -> Poly:
        return self.poly(layer, ((x1, y1), (x2, y1), (x2, y2), (x1, y2)), True)

    def text(self, layer: str, text: str, x: float, y: float, h: float, centered: bool) -> Text:
        px, py = self.p(x, y)
        return Text(layer, text, px, py, h, centered)

    def insert(
        self, layer: str, block: str, x: float, y: float, sx: float, sy: float, rot: float
    ) -> Insert:
        px, py = self.p(x, y)
        if self.mirror:  # F * R(r) * S(sx, sy) == R(-r) * S(sx, -sy) for F = mirror about x
            rot, sy = (-rot) % 360.0, -sy
        return Insert(layer, block, px, py, sx, sy, rot)

    def hatch(self, layer: str, pattern: str, points: Iterable[Point]) -> Hatch:
        return Hatch(layer, pattern, self.pts(points))


def _intervals(
    start: float, end: float, openings: Iterable[_Opening]
) -> list[tuple[float, float]]:
    """The solid pieces of a wall from ``start`` to ``end`` once its openings are cut out."""
    pieces: list[tuple[float, float]] = []
    for op in sorted(openings, key=lambda o: o.center):
        a, b = op.center - op.width / 2, op.center + op.width / 2
        if a > start:
            pieces.append((start, a))
        start = b
    if start < end:
        pieces.append((start, end))
    return pieces


def _wall(f: _Frame, w: _Wall) -> Iterator[Spec]:
    """Wall faces, jambs, and the doors and windows in the wall's openings."""
    horizontal = w.y1 == w.y2
    start, end = (w.x1, w.x2) if horizontal else (w.y1, w.y2)
    h = w.thickness / 2

    def at(s: float, d: float) -> Point:  # position s along the wall, offset d across it
        return (s, w.y1 + d) if horizontal else (w.x1 + d, s)

    for a, b in _intervals(start, end, w.openings):
        if w.outline:
            yield f.poly("WALL", (at(a, -h), at(b, -h), at(b, h), at(a, h)), True)
        else:
            for d in (-h, h):
                (x1, y1), (x2, y2) = at(a, d), at(b, d)
                yield f.line("WALL", x1, y1, x2, y2)
    for op in w.openings:
        a, b = op.center - op.width / 2, op.center + op.width / 2
        if not w.outline:
            for s in (a, b):
                (x1, y1), (x2, y2) = at(s, -h), at(s, h)
                yield f.line("WALL", x1, y1, x2, y2)
        if op.kind == "gap":
            continue
        rot = 0.0 if horizontal else 90.0
        if op.kind == "window":
            x, y = at(a, 0.0)
            yield f.insert("WINDOW", WINDOW_BLOCK, x, y, op.width / 1000, w.thickness / 200, rot)
            tx, ty = at(a, -(h + 650.0))
            yield f.text("WINDOW_TEXT", _window_label(op.width, op.window_h), tx, ty, TEXT_H, False)
        else:
            # Hinge on the jamb at the face the door swings to; for a vertical wall the block's
            # +y axis points to -x, hence the sign flip.
            x, y = at(a, op.swing * h)
            scale = op.width / 1000
            sy = scale * (op.swing if horizontal else -op.swing)
            yield f.insert("DOOR_FIRE", DOOR_BLOCK, x, y, scale, sy, rot)
            tx, ty = at(b + 100.0, -op.swing * (h + 150.0) - (TEXT_H if op.swing > 0 else 0.0))
            label = _door_label(op.width, op.kind == "fire_door")
            yield f.text("DOOR_FIRE_TEXT", label, tx, ty, TEXT_H, False)


def _column(f: _Frame, x: float, y: float) -> Iterator[Spec]:
    c = COLUMN / 2
    pts = ((x - c, y - c), (x + c, y - c), (x + c, y + c), (x - c, y + c))
    yield f.poly("COLUMN", pts, True)
    yield f.hatch("COLUMN", "SOLID", pts)


def _room(f: _Frame, name: str, pts: tuple[Point, ...], label: Point) -> Iterator[Spec]:
    yield f.poly("SPACE", pts, True)
    yield f.text("SPACE", name, label[0], label[1], ROOM_TEXT_H, True)


def _rect_pts(x1: float, y1: float, x2: float, y2: float) -> tuple[Point, ...]:
    return ((x1, y1), (x2, y1), (x2, y2), (x1, y2))


# South-row unit, local coordinates: x 0..8400 along the corridor, y 0 (facade) .. 9000
# (corridor wall). Rooms are inset from the wall centre lines by half the wall thickness.
_UNIT_WALLS = (
    _Wall(0, 0, UNIT_W, 0, WALL_T, True, (
        _Opening(1950, 1500, "window"), _Opening(6150, 2400, "window"))),
    _Wall(0, 4500, UNIT_W, 4500, WALL_T, False, (
        _Opening(2900, 900, "door", swing=-1), _Opening(6000, 2400, "gap"))),
    _Wall(0, 6300, 4500, 6300, PART_T, False, (
        _Opening(1350, 800, "door"), _Opening(3600, 800, "door"))),
    _Wall(5700, 6300, UNIT_W, 6300, PART_T, False, (_Opening(7050, 900, "door"),)),
    _Wall(0, ROW_D, UNIT_W, ROW_D, WALL_T, True, (
        _Opening(1350, 900, "window", window_h=15), _Opening(5100, 1000, "fire_door", swing=-1),
        _Opening(7050, 1200, "window", window_h=15))),
    _Wall(0, 0, 0, ROW_D, WALL_T, True),
    _Wall(3900, 0, 3900, 4500, WALL_T, False),
    _Wall(2700, 6300, 2700, ROW_D, PART_T, False),
    _Wall(4500, 6300, 4500, ROW_D, WALL_T, False),
    _Wall(5700, 6300, 5700, ROW_D, WALL_T, False),
)
_UNIT_ROOMS: tuple[tuple[str, tuple[Point, ...], Point], ...] = (
    ("卧室", _rect_pts(100, 100, 3800, 4400), (1950, 2250)),
    ("起居室", _rect_pts(4000, 100, 8300, 4400), (6150, 2250)),
    ("厨房", _rect_pts(100, 6350, 2650, 8900), (1375, 7300)),
    ("卫生间", _rect_pts(2750, 6350, 4400, 8900), (3575, 7300)),
    ("卧室", _rect_pts(5800, 6350, 8300, 8900), (7050, 7625)),
    ("走道", ((100, 4600), (8300, 4600), (8300, 6250), (5600, 6250), (5600, 8900),
              (4600, 8900), (4600, 6250), (100, 6250)), (2500, 5425)),
)
# Dimension points of the first chain along the facade (window jambs), per unit.
_UNIT_FACADE_POINTS = (1200.0, 2700.0, 3900.0, 4950.0, 7350.0)


def _unit(f: _Frame, last: bool) -> Iterator[Spec]:
    """One apartment: walls with doors and windows, columns, rooms, hatches, fixtures."""
    for w in _UNIT_WALLS:
        yield from _wall(f, w)
    if last:  # the party wall at x = 8400 belongs to the next unit, except at the row's end
        yield from _wall(f, _Wall(UNIT_W, 0, UNIT_W, ROW_D, WALL_T, True))
    for x, y in ((0, 0), (0, 4500), (0, ROW_D), (3900, 0)):
        yield from _column(f, x, y)
    if last:
        for y in (0, 4500, ROW_D):
            yield from _column(f, UNIT_W, y)
    for name, pts, label in _UNIT_ROOMS:
        yield from _room(f, name, pts, label)
    yield f.hatch("PUB_HATCH", HATCH_PATTERN, _UNIT_ROOMS[2][1])
    yield f.hatch("PUB_HATCH", HATCH_PATTERN, _UNIT_ROOMS[3][1])
    # balcony in front of the living room
    yield f.poly("BALCONY", ((4000, -100), (4000, -1400), (8300, -1400), (8300, -100)), False)
    yield f.poly("BALCONY", ((4100, -100), (4100, -1300), (8200, -1300), (8200, -100)), False)
    yield f.line("BALCONY", 4000, -1400, 4100, -1300)
    yield f.line("BALCONY", 8300, -1400, 8200, -1300)
    # kitchen counter and fixtures
    yield f.poly("LATRINE", ((100, 8300), (2000, 8300), (2000, 7400), (2650, 7400)), False)
    yield f.insert("LATRINE", SINK_BLOCK, 700, 8600, 1, 1, 0)
    yield f.insert("LATRINE", TOILET_BLOCK, 4000, 8400, 1, 1, 90)
    yield f.insert("LATRINE", BASIN_BLOCK, 3100, 8600, 1, 1, 0)
    yield f.rect("LATRINE", 2750, 6350, 3650, 7250)  # shower tray
    yield f.line("LATRINE", 2750, 6350, 3650, 7250)
    yield f.line("LATRINE", 2750, 7250, 3650, 6350)
    for x, y in ((3200, 6800), (4200, 7600)):  # floor drains
        cx, cy = f.p(x, y)
        yield Circle("LATRINE", cx, cy, 50.0)
    yield f.rect("LATRINE", 1300, 6350, 1900, 6950)  # washing machine
    cx, cy = f.p(1600, 6650)
    yield Circle("LATRINE", cx, cy, 220.0)
    yield from _furniture(f)
    # external insulation along the facade, broken at the windows
    for a, b in _intervals(0.0, UNIT_W, _UNIT_WALLS[0].openings):
        yield f.line("WALL", a, -160, b, -160)


def _furniture(f: _Frame) -> Iterator[Spec]:
    """Furniture outlines: the bulk of a real plan's line work besides the walls."""
    layer = "FURNITURE"
    # wardrobes in both bedrooms
    yield f.rect(layer, 100, 3800, 2300, 4400)
    yield f.line(layer, 100, 3800, 2300, 4400)
    yield f.rect(layer, 7700, 6350, 8300, 8300)
    yield f.line(layer, 7700, 6350, 8300, 8300)
    # beds with pillows, headboard, folded blanket and night stands
    for x0, y0, w, d in ((1050, 1100, 1800, 2000), (5900, 6450, 1500, 2000)):
        yield f.rect(layer, x0, y0, x0 + w, y0 + d)
        yield f.line(layer, x0, y0 + d - 80, x0 + w, y0 + d - 80)
        yield f.rect(layer, x0 + 100, y0 + d - 500, x0 + w / 2 - 50, y0 + d - 150)
        yield f.rect(layer, x0 + w / 2 + 50, y0 + d - 500, x0 + w - 100, y0 + d - 150)
        yield f.line(layer, x0, y0 + d - 700, x0 + w, y0 + d - 700)
        yield f.poly(layer, ((x0, y0 + 600), (x0 + w * 0.6, y0 + 600), (x0 + w, y0 + 900)), False)
        yield f.rect(layer, x0 - 450, y0 + d - 450, x0 - 50, y0 + d)
        yield f.rect(layer, x0 + w + 50, y0 + d - 450, x0 + w + 450, y0 + d)
    # living room: sofa, tea table, TV cabinet, dining table with four chairs
    yield f.poly(layer, ((4300, 3900), (4300, 1500), (5100, 1500), (5100, 3900)), True)
    yield f.line(layer, 4500, 1500, 4500, 3900)
    yield f.line(layer, 4500, 2300, 5100, 2300)
    yield f.line(layer, 4500, 3100, 5100, 3100)
    yield f.rect(layer, 5600, 2100, 6800, 3300)
    yield f.rect(layer, 5700, 2200, 6700, 3200)
    yield f.rect(layer, 7800, 1500, 8250, 3900)
    yield f.rect(layer, 4600, 300, 6000, 1100)
    for cx in (4900, 5700):
        yield f.rect(layer, cx - 200, 1150, cx + 200, 1500)
        yield f.rect(layer, cx - 200, -100 + 250, cx + 200, 250 + 200)
    # desk and chair in the second bedroom, shoe cabinet in the hall
    yield f.rect(layer, 7700, 8350, 8300, 8900)
    yield f.rect(layer, 7300, 8450, 7650, 8800)
    yield f.rect(layer, 4650, 7600, 5000, 8850)
    yield f.line(layer, 4650, 7600, 5000, 8850)
    # curtains at the facade windows
    for a, b in ((1200, 2700), (4950, 7350)):
        pts = [(a + i * (b - a) / 12, 250 + (60 if i % 2 else 0)) for i in range(13)]
        yield f.poly(layer, pts, False)


def _stair(f: _Frame, outer_x: float) -> Iterator[Spec]:
    """Scissor-free double-flight stair in a 3 m bay; ``outer_x`` is the gable side (0 or 3000)."""
    yield from _wall(f, _Wall(outer_x, 0, outer_x, ROW_D, WALL_T, True))
    yield from _wall(f, _Wall(0, 0, END_W, 0, WALL_T, True, (_Opening(1500, 1200, "window"),)))
    yield from _wall(f, _Wall(0, ROW_D, END_W, ROW_D, WALL_T, True, (
        _Opening(1500, 1200, "fire_door", swing=-1),)))
    for y in (0, 4500, ROW_D):
        yield from _column(f, outer_x, y)
    tread = 260.0
    y0 = 2000.0
    for i in range(14):
        y = y0 + i * tread
        yield f.line("STAIR", 100, y, 1450, y)
        yield f.line("STAIR", 1550, y, 2900, y)
    y1 = y0 + 13 * tread
    yield f.rect("STAIR", 1400, y0 - 50, 1600, y1 + 50)
    yield f.poly("STAIR", ((775, 7400), (775, y0 + 300), (700, y0 + 500), (850, y0 + 500),
                           (775, y0 + 300)), False)
    yield f.poly("STAIR", ((2225, 7400), (2225, y0 + 300)), False)
    yield f.line("STAIR", 100, y0 + 6 * tread, 1450, y0 + 7 * tread)  # break line
    yield f.text("STAIR", "上", 775, 7700, TEXT_H, True)
    yield f.text("STAIR", "下", 2225, 7700, TEXT_H, True)
    yield from _room(f, "楼梯间", _rect_pts(100, 100, 2900, 8900), (1500, 8200))


def _lift(f: _Frame, outer_x: float) -> Iterator[Spec]:
    """Fire lift with its lobby in a 3 m bay; ``outer_x`` is the gable side (0 or 3000)."""
    yield from _wall(f, _Wall(outer_x, 0, outer_x, ROW_D, WALL_T, True))
    yield from _wall(f, _Wall(0, 0, END_W, 0, WALL_T, True))
    yield from _wall(f, _Wall(0, 4500, END_W, 4500, WALL_T, False, (
        _Opening(1500, 1100, "gap"),)))
    yield from _wall(f, _Wall(0, ROW_D, END_W, ROW_D, WALL_T, True, (
        _Opening(1500, 1200, "fire_door", swing=-1),)))
    for y in (0, 4500, ROW_D):
        yield from _column(f, outer_x, y)
    yield f.rect("EVTR", 300, 600, 2700, 3900)
    yield f.line("EVTR", 300, 600, 2700, 3900)
    yield f.line("EVTR", 300, 3900, 2700, 600)
    yield f.rect("EVTR", 500, 800, 2500, 3300)
    yield from _room(f, "电梯", _rect_pts(100, 100, 2900, 4400), (1500, 4000))
    yield from _room(f, "前室", _rect_pts(100, 4600, 2900, 8900), (1500, 6750))


def _storey_axes() -> tuple[list[float], list[float]]:
    xs = [X_WEST, 0.0]
    for i in range(UNITS):
        xs += [i * UNIT_W + 3900.0, (i + 1) * UNIT_W]
    xs.append(X_EAST)
    ys = [0.0, 4500.0, ROW_D, ROW_D + CORRIDOR_D, ROW_D + CORRIDOR_D + 4500.0, FLOOR_D]
    return xs, ys


def _dims(layer: str, points: list[float], offset: float, fixed: float, vertical: bool,
          ox: float, oy: float) -> Iterator[Dim]:
    """A chain of linear dimensions between consecutive ``points`` along one facade."""
    for a, b in zip(points, points[1:], strict=False):
        if vertical:
            yield Dim(layer, (ox + fixed + offset, oy + a), (ox + fixed, oy + a),
                      (ox + fixed, oy + b), 90.0)
        else:
            yield Dim(layer, (ox + a, oy + fixed + offset), (ox + a, oy + fixed),
                      (ox + b, oy + fixed), 0.0)


def _storey(index: int, ox: float, oy: float) -> Iterator[Spec]:
    """One complete storey plan at offset (ox, oy).

    Annotation comes first so that a storey cut short by the entity budget still has every
    entity type; the building itself follows unit by unit.
    """
    south = _Frame(ox, oy)
    # title and notes
    building, storey = divmod(index, STOREYS_PER_BUILDING)
    yield Text("PUB_TEXT", f"{building + 1}#楼 {storey + 1}层平面图", ox, oy - 7500.0, 700.0, False)
    yield Text("PUB_TEXT", "1:100", ox + 14000.0, oy - 7500.0, 500.0, False)
    for i, note in enumerate(NOTES):
        yield MText("PUB_TEXT", note, ox + NOTES_X, oy + FLOOR_D - i * 4000.0, 350.0, NOTES_W)
    h = WALL_T / 2
    yield south.rect("防火分区", X_WEST - h, -h, X_EAST + h, FLOOR_D + h)
    area = (X_EAST - X_WEST + WALL_T) * (FLOOR_D + WALL_T) / 1e6
    label = f"防火分区一  建筑面积{area:.2f}㎡"
    yield Text("防火分区", label, ox + 22000.0, oy - 7500.0, 500.0, False)

    # axes with bubbles at both ends
    xs, ys = _storey_axes()
    reach = BUBBLE_OFFSET - BUBBLE_R
    for i, x in enumerate(xs):
        yield south.line("DOTE", x, -reach, x, FLOOR_D + reach)
        for y in (-BUBBLE_OFFSET, FLOOR_D + BUBBLE_OFFSET):
            cx, cy = south.p(x, y)
            yield Circle("AXIS", cx, cy, BUBBLE_R)
            yield Text("AXIS_TEXT", str(i + 1), cx, cy, 500.0, True)
    for i, y in enumerate(ys):
        yield south.line("DOTE", X_WEST - reach, y, X_EAST + reach, y)
        for x in (X_WEST - BUBBLE_OFFSET, X_EAST + BUBBLE_OFFSET):
            cx, cy = south.p(x, y)
            yield Circle("AXIS", cx, cy, BUBBLE_R)
            yield Text("AXIS_TEXT", AXIS_LETTERS[i], cx, cy, 500.0, True)

    # three dimension chains on the south facade, two on the others
    facade = [X_WEST, 0.0]
    for u in range(UNITS):
        facade += [u * UNIT_W + p for p in _UNIT_FACADE_POINTS] + [(u + 1) * UNIT_W]
    facade.append(X_EAST)
    d1, d2, d3 = DIM_OFFSETS
    yield from _dims("PUB_DIM", facade, -d1, 0.0, False, ox, oy)
    yield from _dims("PUB_DIM", xs, -d2, 0.0, False, ox, oy)
    yield from _dims("PUB_DIM", [X_WEST, X_EAST], -d3, 0.0, False, ox, oy)
    yield from _dims("PUB_DIM", xs, d2, FLOOR_D, False, ox, oy)
    yield from _dims("PUB_DIM", [X_WEST, X_EAST], d3, FLOOR_D, False, ox, oy)
    for fixed, sign in ((X_WEST, -1.0), (X_EAST, 1.0)):
        yield from _dims("PUB_DIM", ys, sign * d2, fixed, True, ox, oy)
        yield from _dims("PUB_DIM", [0.0, FLOOR_D], sign * d3, fixed, True, ox, oy)

    for u in range(UNITS):
        yield from _unit(_Frame(ox + u * UNIT_W, oy), last=u == UNITS - 1)
        yield from _unit(_Frame(ox + u * UNIT_W, oy + FLOOR_D, mirror=True), last=u == UNITS - 1)
    yield from _stair(_Frame(ox + X_WEST, oy), outer_x=0)
    yield from _lift(_Frame(ox + X_WEST, oy + FLOOR_D, mirror=True), outer_x=0)
    yield from _lift(_Frame(ox + UNITS * UNIT_W, oy), outer_x=END_W)
    yield from _stair(_Frame(ox + UNITS * UNIT_W, oy + FLOOR_D, mirror=True), outer_x=END_W)
    # corridor: end walls with windows, and the corridor itself as a room
    for x in (X_WEST, X_EAST):
        yield from _wall(south, _Wall(x, ROW_D, x, ROW_D + CORRIDOR_D, WALL_T, True, (
            _Opening(ROW_D + CORRIDOR_D / 2, 1200, "window", window_h=15),)))
    corridor = _rect_pts(X_WEST + 100, ROW_D + 100, X_EAST - 100, ROW_D + CORRIDOR_D - 100)
    yield from _room(south, "走道", corridor, (UNITS * UNIT_W / 2, ROW_D + CORRIDOR_D / 2))


def _count_storey() -> int:
    return sum(1 for _ in _storey(0, 0.0, 0.0))


PER_STOREY = _count_storey()


def _layout(n: int) -> tuple[int, int]:
    """Number of storeys needed for ``n`` entities and how many are tiled per row."""
    storeys = max(1, math.ceil(n / PER_STOREY))
    return storeys, math.ceil(math.sqrt(storeys))


def iter_plan(n: int) -> Iterator[Spec]:
    """Exactly ``n`` entity specifications: whole storeys, the last one cut short."""
    storeys, cols = _layout(n)
    emitted = 0
    for k in range(storeys):
        row, col = divmod(k, cols)
        for spec in _storey(k, col * FLOOR_PITCH[0], row * FLOOR_PITCH[1]):
            if emitted == n:
                return
            yield spec
            emitted += 1


def _extents(n: int) -> tuple[Point, Point]:
    storeys, cols = _layout(n)
    rows = math.ceil(storeys / cols)
    x0, y0, x1, y1 = FLOOR_BOX
    used_cols = min(cols, storeys)
    return (x0, y0), ((used_cols - 1) * FLOOR_PITCH[0] + x1, (rows - 1) * FLOOR_PITCH[1] + y1)


# ---------------------------------------------------------------------------------------------
# The document shell: header, tables, blocks
# ---------------------------------------------------------------------------------------------


def _new_document(n: int) -> Drawing:
    """A drawing with everything except model-space content, set up like a TArch export."""
    doc = ezdxf.new("R2018", units=4)  # $INSUNITS = 4: millimetres, $MEASUREMENT = 1
    doc.header["$LUNITS"] = 2
    doc.header["$LTSCALE"] = 100.0
    doc.header["$DIMSCALE"] = 100.0
    doc.header["$TEXTSTYLE"] = TEXT_STYLE
    doc.header["$DIMSTYLE"] = DIM_STYLE
    (x0, y0), (x1, y1) = _extents(n)
    doc.header["$EXTMIN"] = (x0, y0, 0.0)
    doc.header["$EXTMAX"] = (x1, y1, 0.0)
    msp = doc.modelspace()
    msp.dxf.extmin = (x0, y0, 0.0)
    msp.dxf.extmax = (x1, y1, 0.0)

    doc.linetypes.add(
        "CENTER", pattern=[2.0, 1.25, -0.25, 0.25, -0.25], description="Center ____ _ ____ _"
    )
    for name, (color, linetype) in LAYERS.items():
        doc.layers.add(name, color=color, linetype=linetype)
    style = doc.styles.add(TEXT_STYLE, font="tssdeng.shx")
    style.dxf.bigfont = "hztxt.shx"
    style.dxf.width = 0.7

    ds = doc.dimstyles.new(DIM_STYLE)
    ds.dxf.dimscale = 100.0
    ds.dxf.dimtxt = 2.5
    ds.dxf.dimtsz = 1.0  # oblique ticks instead of arrows
    ds.dxf.dimexe = 2.0
    ds.dxf.dimexo = 2.0
    ds.dxf.dimgap = 1.0
    ds.dxf.dimtad = 1  # text above the dimension line
    ds.dxf.dimtix = 1  # text always between the extension lines: its width never matters
    ds.dxf.dimtih = 0
    ds.dxf.dimtoh = 0
    ds.dxf.dimdec = 0
    ds.dxf.dimtxsty = TEXT_STYLE

    door = doc.blocks.new(DOOR_BLOCK)
    door.add_line((0, 0), (0, 1000))
    door.add_arc((0, 0), 1000, 0, 90)
    window = doc.blocks.new(WINDOW_BLOCK)
    for y in (-100, -35, 35, 100):
        window.add_line((0, y), (1000, y))
    window.add_line((0, -100), (0, 100))
    window.add_line((1000, -100), (1000, 100))
    toilet = doc.blocks.new(TOILET_BLOCK)
    toilet.add_lwpolyline([(-200, -250), (200, -250), (200, -50), (-200, -50)], close=True)
    toilet.add_ellipse((0, 200), major_axis=(0, 250), ratio=0.72)
    basin = doc.blocks.new(BASIN_BLOCK)
    basin.add_lwpolyline([(-300, -250), (300, -250), (300, 250), (-300, 250)], close=True)
    basin.add_ellipse((0, -20), major_axis=(220, 0), ratio=0.7)
    basin.add_circle((0, 170), 25)
    sink = doc.blocks.new(SINK_BLOCK)
    sink.add_lwpolyline([(-400, -250), (400, -250), (400, 250), (-400, 250)], close=True)
    sink.add_lwpolyline([(-350, -200), (-30, -200), (-30, 200), (-350, 200)], close=True)
    sink.add_lwpolyline([(30, -200), (350, -200), (350, 200), (30, 200)], close=True)
    return doc


def _save(doc: Drawing, path: Path) -> None:
    """``doc.saveas`` with a reproducible CLASSES section.

    ezdxf registers the classes of the entity types in use by iterating a set, so their order
    would follow the interpreter's hash seed; registering them sorted first pins it.
    """
    for dxftype in sorted(doc.entitydb.dxf_types_in_use()):
        doc.classes.add_class(dxftype)
    doc.saveas(path)


def _add_dimension(msp: Modelspace, d: Dim) -> None:
    dim = msp.add_linear_dim(
        base=d.base, p1=d.p1, p2=d.p2, angle=d.angle, dimstyle=DIM_STYLE,
        dxfattribs={"layer": d.layer},
    )
    dim.render()


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------


def _add_with_ezdxf(msp: Modelspace, spec: Spec) -> None:
    """Reference writer: the object-model call for one specification."""
    if isinstance(spec, Line):
        msp.add_line((spec.x1, spec.y1), (spec.x2, spec.y2), dxfattribs={"layer": spec.layer})
    elif isinstance(spec, Poly):
        msp.add_lwpolyline(spec.points, close=spec.closed, dxfattribs={"layer": spec.layer})
    elif isinstance(spec, Circle):
        msp.add_circle((spec.x, spec.y), spec.r, dxfattribs={"layer": spec.layer})
    elif isinstance(spec, Text):
        attribs = {"layer": spec.layer, "style": TEXT_STYLE, "width": 0.7}
        if spec.centered:
            text = msp.add_text(spec.text, height=spec.height, dxfattribs=attribs)
            text.set_placement((spec.x, spec.y), align=TextEntityAlignment.MIDDLE_CENTER)
        else:
            attribs["insert"] = (spec.x, spec.y)
            msp.add_text(spec.text, height=spec.height, dxfattribs=attribs)
    elif isinstance(spec, MText):
        msp.add_mtext(spec.text, dxfattribs={
            "layer": spec.layer, "style": TEXT_STYLE, "char_height": spec.height,
            "width": spec.width, "insert": (spec.x, spec.y), "attachment_point": 1,
        })
    elif isinstance(spec, Insert):
        attribs = {"layer": spec.layer}
        if spec.sx != 1:
            attribs["xscale"] = spec.sx
        if spec.sy != 1:
            attribs["yscale"] = spec.sy
        if spec.rotation:
            attribs["rotation"] = spec.rotation
        msp.add_blockref(spec.block, (spec.x, spec.y), dxfattribs=attribs)
    elif isinstance(spec, Hatch):
        hatch = msp.add_hatch(color=256, dxfattribs={"layer": spec.layer})
        if spec.pattern != "SOLID":
            hatch.set_pattern_fill(spec.pattern, color=256, scale=HATCH_SCALE)
        hatch.paths.add_polyline_path(spec.points, is_closed=True)
    elif isinstance(spec, Dim):
        _add_dimension(msp, spec)
    else:  # pragma: no cover - exhaustive
        raise TypeError(spec)


def _num(v: float) -> str:
    """Format a coordinate the way ezdxf does (``repr`` of a float); ``+ 0.0`` drops ``-0.0``."""
    return repr(float(v) + 0.0)


def _hatch_tails(doc: Drawing) -> dict[str, str]:
    """The DXF text after the boundary path of a SOLID and a pattern hatch, made by ezdxf.

    Pattern definition lines (angles, offsets scaled to the drawing's ISO measurement) are
    tedious to reproduce; a throw-away drawing with the same units gives them verbatim.
    """
    scratch = ezdxf.new(doc.dxfversion, units=doc.units)
    msp = scratch.modelspace()
    tails: dict[str, str] = {}
    for pattern in ("SOLID", HATCH_PATTERN):
        hatch = msp.add_hatch(color=256)
        if pattern != "SOLID":
            hatch.set_pattern_fill(pattern, color=256, scale=HATCH_SCALE)
        hatch.paths.add_polyline_path([(0, 0), (1, 0), (1, 1)], is_closed=True)
        stream = io.StringIO()
        scratch.write(stream)
        text = stream.getvalue()
        start = text.index(" 97\n0\n", text.index("\nAcDbHatch\n", text.index("\nENTITIES\n")))
        end = text.index("  0\n", start)
        tails[pattern] = text[start:end]
        msp.delete_entity(hatch)
    return tails


class _TextWriter:
    """Formats entity specifications as DXF text, tag for tag as ezdxf would export them."""

    def __init__(self, owner: str, first_handle: int, hatch_tails: dict[str, str]) -> None:
        self.owner = owner
        self.handle = first_handle
        self.tails = hatch_tails

    def _head(self, dxftype: str, layer: str, subclass: str) -> str:
        handle = f"{self.handle:X}"
        self.handle += 1
        return (
            f"  0\n{dxftype}\n  5\n{handle}\n330\n{self.owner}\n100\nAcDbEntity\n"
            f"  8\n{layer}\n100\n{subclass}\n"
        )

    def line(self, s: Line) -> str:
        return (
            f"{self._head('LINE', s.layer, 'AcDbLine')} 10\n{_num(s.x1)}\n 20\n{_num(s.y1)}\n"
            f" 30\n0.0\n 11\n{_num(s.x2)}\n 21\n{_num(s.y2)}\n 31\n0.0\n"
        )

    def poly(self, s: Poly) -> str:
        vertices = "".join(f" 10\n{_num(x)}\n 20\n{_num(y)}\n" for x, y in s.points)
        return (
            f"{self._head('LWPOLYLINE', s.layer, 'AcDbPolyline')} 90\n{len(s.points)}\n"
            f" 70\n{1 if s.closed else 0}\n{vertices}"
        )

    def circle(self, s: Circle) -> str:
        return (
            f"{self._head('CIRCLE', s.layer, 'AcDbCircle')} 10\n{_num(s.x)}\n 20\n{_num(s.y)}\n"
            f" 30\n0.0\n 40\n{_num(s.r)}\n"
        )

    def text(self, s: Text) -> str:
        x, y = _num(s.x), _num(s.y)
        head = (
            f"{self._head('TEXT', s.layer, 'AcDbText')} 10\n{x}\n 20\n{y}\n 30\n0.0\n"
            f" 40\n{_num(s.height)}\n  1\n{s.text}\n  7\n{TEXT_STYLE}\n 41\n0.7\n"
        )
        if s.centered:
            return f"{head} 72\n1\n 11\n{x}\n 21\n{y}\n 31\n0.0\n100\nAcDbText\n 73\n2\n"
        return f"{head}100\nAcDbText\n"

    def mtext(self, s: MText) -> str:
        if len(s.text) > 250:  # ezdxf would split it into group-code-3 chunks; keep notes short
            raise ValueError("MTEXT notes must stay within 250 characters")
        return (
            f"{self._head('MTEXT', s.layer, 'AcDbMText')} 10\n{_num(s.x)}\n 20\n{_num(s.y)}\n"
            f" 30\n0.0\n 40\n{_num(s.height)}\n 41\n{_num(s.width)}\n 71\n1\n"
            f"  1\n{s.text}\n  7\n{TEXT_STYLE}\n"
        )

    def insert(self, s: Insert) -> str:
        out = (
            f"{self._head('INSERT', s.layer, 'AcDbBlockReference')}  2\n{s.block}\n"
            f" 10\n{_num(s.x)}\n 20\n{_num(s.y)}\n 30\n0.0\n"
        )
        if s.sx != 1:
            out += f" 41\n{_num(s.sx)}\n"
        if s.sy != 1:
            out += f" 42\n{_num(s.sy)}\n"
        if s.rotation:
            out += f" 50\n{_num(s.rotation)}\n"
        return out

    def hatch(self, s: Hatch) -> str:
        solid = s.pattern == "SOLID"
        vertices = "".join(f" 10\n{_num(x)}\n 20\n{_num(y)}\n" for x, y in s.points)
        return (
            f"{self._head('HATCH', s.layer, 'AcDbHatch')} 10\n0.0\n 20\n0.0\n 30\n0.0\n"
            f"210\n0.0\n220\n0.0\n230\n1.0\n  2\n{s.pattern}\n 70\n{1 if solid else 0}\n"
            f" 71\n0\n 91\n1\n 92\n3\n 72\n0\n 73\n1\n 93\n{len(s.points)}\n{vertices}"
            f"{self.tails[s.pattern]}"
        )

    def formatters(self) -> dict[type, Callable[[Any], str]]:
        """Spec type -> bound formatting method, for a dictionary lookup per entity."""
        return {
            Line: self.line, Poly: self.poly, Circle: self.circle, Text: self.text,
            MText: self.mtext, Insert: self.insert, Hatch: self.hatch,
        }


def _pairs(stream: TextIO) -> Iterator[tuple[str, str]]:
    """(group code line, value line) pairs of a DXF text file, line ends kept."""
    it = iter(stream)
    return zip(it, it, strict=True)


def _write_text(n: int, path: Path) -> None:
    """Hybrid writer: ezdxf for the shell and the dimensions, DXF text for everything else.

    ezdxf saves the document with only the dimensions in model space; its ENTITIES section is
    then rewritten in plan order, dimensions copied from the shell and every other entity
    formatted directly, with the handles reserved for them before the shell was saved.
    """
    doc = _new_document(n)
    msp = doc.modelspace()
    others = 0
    for spec in iter_plan(n):
        if isinstance(spec, Dim):
            _add_dimension(msp, spec)
        else:
            others += 1
    first = int(str(doc.entitydb.handles), 16)
    # Reserve handles for the streamed entities; $HANDSEED is written after everything.
    doc.entitydb.handles.reset(f"{first + others:X}")
    writer = _TextWriter(msp.layout_key, first, _hatch_tails(doc))
    formatters = writer.formatters()

    shell = path.with_name(path.name + ".shell")  # path is already unique to this process
    try:
        _save(doc, shell)
        del doc, msp
        with (
            open(shell, encoding="utf-8") as src,
            open(path, "w", encoding="utf-8", newline="\n") as out,
        ):
            pairs = _pairs(src)
            previous = ("", "")
            for code, value in pairs:
                out.write(code + value)
                if previous == ("  0\n", "SECTION\n") and (code, value) == ("  2\n", "ENTITIES\n"):
                    break
                previous = (code, value)
            dims: list[str] = []
            chunk: list[str] = []
            for code, value in pairs:
                if code == "  0\n":
                    if chunk:
                        dims.append("".join(chunk))
                        chunk = []
                    if value == "ENDSEC\n":
                        break
                chunk += (code, value)
            dims.reverse()
            buffer: list[str] = []
            for spec in iter_plan(n):
                if isinstance(spec, Dim):
                    buffer.append(dims.pop())
                else:
                    buffer.append(formatters[type(spec)](spec))
                if len(buffer) >= 4096:
                    out.write("".join(buffer))
                    buffer.clear()
            out.write("".join(buffer))
            if dims or writer.handle != first + others:
                raise RuntimeError("plan changed between the two passes")
            out.write("  0\nENDSEC\n")
            for code, value in pairs:
                out.write(code + value)
    finally:
        shell.unlink(missing_ok=True)


def _write_ezdxf(n: int, path: Path) -> None:
    doc = _new_document(n)
    msp = doc.modelspace()
    for spec in iter_plan(n):
        _add_with_ezdxf(msp, spec)
    _save(doc, path)


WRITERS: dict[str, Callable[[int, Path], None]] = {"text": _write_text, "ezdxf": _write_ezdxf}


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GenerationInfo:
    """What was written, kept next to a cached file as ``plan_<N>.json``."""

    version: int
    entities: int
    storeys: int
    writer: str
    bytes: int
    seconds: float
    mix: dict[str, int]
    layers: dict[str, int]


def plan_mix(n: int) -> tuple[dict[str, int], dict[str, int]]:
    """Entity counts by DXF type and by layer, straight from the plan (no file needed)."""
    types: Counter[str] = Counter()
    layers: Counter[str] = Counter()
    for spec in iter_plan(n):
        types[_DXF_TYPE[type(spec)]] += 1
        layers[spec.layer] += 1
    return dict(types.most_common()), dict(sorted(layers.items()))


def generate(n: int, path: Path, *, writer: str = "text") -> GenerationInfo:
    """Write a plan with exactly ``n`` model-space entities to ``path`` (atomically)."""
    if n < 1:
        raise ValueError("the entity count must be positive")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")  # concurrent runs never clash
    fixed = ezdxf.options.write_fixed_meta_data_for_testing
    ezdxf.options.write_fixed_meta_data_for_testing = True  # fixed dates and GUIDs
    start = time.perf_counter()
    try:
        WRITERS[writer](n, partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        ezdxf.options.write_fixed_meta_data_for_testing = fixed
    seconds = time.perf_counter() - start
    os.replace(partial, path)
    mix, layers = plan_mix(n)
    return GenerationInfo(
        version=GENERATOR_VERSION, entities=n, storeys=_layout(n)[0], writer=writer,
        bytes=path.stat().st_size, seconds=round(seconds, 3), mix=mix, layers=layers,
    )


def cache_path(n: int, cache_dir: Path = CACHE_DIR) -> Path:
    return cache_dir / f"plan_{n}.dxf"


def cached_info(path: Path) -> GenerationInfo | None:
    """The record of a cached plan, or ``None`` when missing, stale or from an older generator."""
    try:
        data = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        info = GenerationInfo(**data)
    except (OSError, ValueError, TypeError):
        return None
    ok = info.version == GENERATOR_VERSION and path.exists() and path.stat().st_size == info.bytes
    return info if ok else None


def ensure(
    n: int, *, cache_dir: Path = CACHE_DIR, force: bool = False
) -> tuple[Path, GenerationInfo]:
    """The cached plan for ``n`` entities, generated first if missing or out of date."""
    path = cache_path(n, cache_dir)
    info = None if force else cached_info(path)
    if info is None:
        info = generate(n, path)
        path.with_suffix(".json").write_text(
            json.dumps(asdict(info), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    return path, info


def parse_sizes(text: str) -> list[int]:
    """``"10k,100000,1M"`` -> ``[10000, 100000, 1000000]``."""
    sizes = []
    for item in text.split(","):
        item = item.strip().lower().replace("_", "")
        if not item:
            continue
        factor = 1
        if item[-1] in "km":
            factor = 1_000 if item[-1] == "k" else 1_000_000
            item = item[:-1]
        sizes.append(int(float(item) * factor))
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"invalid sizes: {text!r}")
    return sizes


def _mix_line(mix: dict[str, int], total: int) -> str:
    return ", ".join(f"{k} {v / total:.1%}" for k, v in mix.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.make_large", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--entities", type=parse_sizes, default=None,
                        help="entity count(s), e.g. 2000 or 10k,100k (default: 10k,100k,1M)")
    parser.add_argument("--out", type=Path, default=None,
                        help="write to this file instead of the cache (one size only)")
    parser.add_argument("--writer", choices=sorted(WRITERS), default="text",
                        help="text (fast, default) or ezdxf (object model, reference)")
    parser.add_argument("--force", action="store_true", help="regenerate cached files")
    args = parser.parse_args(argv)
    sizes: list[int] = args.entities or list(DEFAULT_SIZES)
    if args.out is not None and len(sizes) != 1:
        parser.error("--out takes exactly one size")
    if args.writer != "text" and args.out is None:
        parser.error("--writer ezdxf is only for --out files; the cache holds text-writer output")
    for n in sizes:
        if args.out is not None:
            info = generate(n, args.out, writer=args.writer)
            path = args.out
        else:
            path, info = ensure(n, force=args.force)
        try:
            shown = path.resolve().relative_to(Path.cwd())
        except ValueError:
            shown = path
        print(
            f"{n:>9,} entities  {info.storeys:>4} storeys  {info.bytes / 2**20:8.1f} MiB  "
            f"{info.seconds:7.1f} s  {shown}"
        )
        print(f"          {_mix_line(info.mix, n)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

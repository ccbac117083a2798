"""Block library of the sample drawings: title-block frames, doors, windows, fixtures, furniture.

Real drawings carry their doors, windows and sanitary fixtures as block references, and every
sheet sits in a title-block frame whose attributes say what the sheet is; the platform reads
widths from block extents and storeys from frame attributes, so the samples must do the same.
Each function defines its block once per drawing (on first use) and returns the block name.
Content is drawn on layer 0 so that it takes the layer of the INSERT, as CAD libraries do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ezdxf.document import Drawing
from ezdxf.layouts.blocklayout import BlockLayout

__all__ = [
    "FIXTURES",
    "FRAME_TAGS",
    "FURNITURE",
    "PAPERS",
    "TITLE_BLOCK",
    "Paper",
    "define_frame",
    "door_block",
    "door_size",
    "ensure_block",
    "fixture_block",
    "furniture_block",
    "window_block",
]


def ensure_block(doc: Drawing, name: str) -> tuple[BlockLayout, bool]:
    """The block ``name`` and whether it was just created (and so still needs its content)."""
    if name in doc.blocks:
        return doc.blocks.get(name), False
    return doc.blocks.new(name), True


@dataclass(frozen=True, slots=True)
class Paper:
    """A drawing sheet size in paper millimetres (GB/T 50001: A0 ... A3, landscape)."""

    name: str
    width: float
    height: float


PAPERS: Mapping[str, Paper] = {
    "A0": Paper("A0", 1189.0, 841.0),
    "A1": Paper("A1", 841.0, 594.0),
    "A2": Paper("A2", 594.0, 420.0),
    "A3": Paper("A3", 420.0, 297.0),
}

FRAME_TAGS: tuple[str, ...] = ("SHEET_NO", "TITLE", "FLOOR", "SCALE", "PROJECT", "DATE")
TITLE_BLOCK = (180.0, 56.0)
"""Width and height of the title block at the frame's lower right corner, paper mm."""


def define_frame(doc: Drawing, paper: Paper, *, firm: str) -> str:
    """The title-block frame block ``TK-<paper>`` (border, title block, attribute definitions).

    The attributes ``SHEET_NO``, ``TITLE``, ``FLOOR`` and ``SCALE`` are what the submission
    standard reads; ``PROJECT`` and ``DATE`` are there because every real title block has them.
    The block is drawn at paper size and inserted scaled by the sheet's scale.
    """
    name = f"TK-{paper.name}"
    block, new = ensure_block(doc, name)
    if not new:
        return name
    w, h = paper.width, paper.height
    block.add_lwpolyline([(0, 0), (w, 0), (w, h), (0, h)], close=True)
    block.add_lwpolyline(
        [(25, 10), (w - 10, 10), (w - 10, h - 10), (25, h - 10)],
        close=True,
        dxfattribs={"lineweight": 70},
    )
    tw, th = TITLE_BLOCK
    x0, y0 = w - 10 - tw, 10.0
    block.add_lwpolyline(
        [(x0, y0), (x0 + tw, y0), (x0 + tw, y0 + th), (x0, y0 + th)], close=True
    )
    rows = (0.0, 8.0, 16.0, 24.0, 32.0, 44.0)
    for r in rows[1:]:
        block.add_line((x0, y0 + r), (x0 + tw, y0 + r))
    block.add_line((x0 + 30, y0), (x0 + 30, y0 + 44))
    block.add_line((x0 + 110, y0), (x0 + 110, y0 + 16))
    block.add_line((x0 + 135, y0), (x0 + 135, y0 + 16))
    labels = (
        ("图号", x0 + 112, y0 + 10.5),
        ("比例", x0 + 112, y0 + 2.5),
        ("楼层", x0 + 2, y0 + 2.5),
        ("图名", x0 + 2, y0 + 18.5),
        ("工程名称", x0 + 2, y0 + 26.5),
        ("日期", x0 + 2, y0 + 34.5),
    )
    for text, x, y in labels:
        block.add_text(text, dxfattribs={"height": 3.0, "style": "HZ", "insert": (x, y)})
    block.add_text(firm, dxfattribs={"height": 5.0, "style": "HZ", "insert": (x0 + 4, y0 + 47)})
    spots = {
        "SHEET_NO": (x0 + 137, y0 + 10.5),
        "SCALE": (x0 + 137, y0 + 2.5),
        "FLOOR": (x0 + 32, y0 + 2.5),
        "TITLE": (x0 + 32, y0 + 18.5),
        "PROJECT": (x0 + 32, y0 + 26.5),
        "DATE": (x0 + 32, y0 + 34.5),
    }
    for tag in FRAME_TAGS:
        block.add_attdef(
            tag, spots[tag], "", height=3.5, dxfattribs={"style": "HZ", "prompt": tag}
        )
    return name


_NUMBER = re.compile(r"(\d{2})(\d{2})$")


def door_size(number: str) -> tuple[float, float]:
    """Width and height (mm) from a door or window number: ``M0921`` -> 900 x 2100.

    The drafting convention of the submission standard (section 4): the last four digits are
    width and height in decimetres, whatever the prefix (``M``, ``FM甲``, ``C``, ``HFM``).
    """
    m = _NUMBER.search(number)
    if m is None:
        raise ValueError(f"not a door or window number: {number!r}")
    return float(m.group(1)) * 100.0, float(m.group(2)) * 100.0


def door_block(doc: Drawing, width: float) -> str:
    """A swing door of ``width`` mm: hinge at the origin, opening along +x, leaf along +y.

    Openings of 1.2 m and more get two leaves. The block's x extent is exactly the opening,
    which is how the platform reads a door's width.
    """
    double = width >= 1200
    name = f"DOOR{2 if double else 1}_{int(width):04d}"
    block, new = ensure_block(doc, name)
    if new:
        if double:
            half = width / 2
            block.add_line((0, 0), (0, half))
            block.add_line((width, 0), (width, half))
            block.add_arc((0, 0), half, 0, 90)
            block.add_arc((width, 0), half, 90, 180)
        else:
            block.add_lwpolyline([(0, 0), (40, 0), (40, width), (0, width)], close=True)
            block.add_arc((0, 0), width, 0, 90)
    return name


def window_block(doc: Drawing, width: float, thickness: float) -> str:
    """A window of ``width`` mm in a wall of ``thickness`` mm: four lines across the wall."""
    name = f"WINDOW_{int(width):04d}_{int(thickness)}"
    block, new = ensure_block(doc, name)
    if new:
        t = thickness / 2
        for y in (-t, -t / 3, t / 3, t):
            block.add_line((0, y), (width, y))
        block.add_line((0, -t), (0, t))
        block.add_line((width, -t), (width, t))
    return name


FIXTURES: Mapping[str, tuple[str, float, float]] = {
    "WC": ("WC-坐便器", 450.0, 750.0),
    "BASIN": ("BASIN-洗面器", 600.0, 450.0),
    "SHOWER": ("SHOWER-淋浴", 900.0, 900.0),
    "WASHER": ("WASHER-洗衣机", 600.0, 600.0),
}
"""Sanitary fixtures: block name (English and Chinese keyword), width and depth in mm."""


def fixture_block(doc: Drawing, kind: str) -> str:
    """A sanitary fixture block, lower-left corner at the origin; see :data:`FIXTURES`."""
    name, w, d = FIXTURES[kind]
    block, new = ensure_block(doc, name)
    if new:
        if kind == "WC":
            block.add_lwpolyline([(0, d - 200), (w, d - 200), (w, d), (0, d)], close=True)
            block.add_lwpolyline(
                [(40, d - 200, 1.4), (w - 40, d - 200, 0.0)], format="xyb", close=True
            )
        elif kind == "BASIN":
            block.add_lwpolyline([(0, 0), (w, 0), (w, d), (0, d)], close=True)
            block.add_circle((w / 2, d / 2 - 30), 160)
        elif kind == "SHOWER":
            block.add_lwpolyline([(0, 0), (w, 0), (w, d), (0, d)], close=True)
            block.add_line((0, 0), (w, d))
            block.add_line((0, d), (w, 0))
            block.add_circle((w / 2, d / 2), 40)
        else:  # WASHER
            block.add_lwpolyline([(0, 0), (w, 0), (w, d), (0, d)], close=True)
            block.add_circle((w / 2, d / 2), 220)
    return name


FURNITURE: Mapping[str, tuple[float, float]] = {
    "BED-1800": (1800.0, 2000.0),
    "BED-1200": (1200.0, 2000.0),
    "SOFA-3": (2400.0, 850.0),
    "TABLE-6": (1400.0, 1500.0),
    "BIKE": (600.0, 1800.0),
}
"""Furniture blocks (width, depth in mm), drawn on an unmapped furniture layer."""


def furniture_block(doc: Drawing, kind: str) -> str:
    """A furniture block, lower-left corner at the origin; see :data:`FURNITURE`."""
    w, d = FURNITURE[kind]
    block, new = ensure_block(doc, kind)
    if new:
        block.add_lwpolyline([(0, 0), (w, 0), (w, d), (0, d)], close=True)
        if kind.startswith("BED"):
            pillows = 2 if w > 1500 else 1
            pw = (w - 150) / pillows - 75
            for k in range(pillows):
                x = 75 + k * (pw + 75)
                block.add_lwpolyline(
                    [(x, d - 450), (x + pw, d - 450), (x + pw, d - 100), (x, d - 100)],
                    close=True,
                )
            block.add_line((0, d - 600), (w, d - 600))
        elif kind.startswith("SOFA"):
            block.add_lwpolyline(
                [(150, 0), (150, d - 200), (w - 150, d - 200), (w - 150, 0)], close=False
            )
        elif kind.startswith("TABLE"):
            block.add_lwpolyline(
                [(250, 300), (w - 250, 300), (w - 250, d - 300), (250, d - 300)], close=True
            )
            for x in (w * 0.3, w * 0.7):
                block.add_circle((x, 150), 150)
                block.add_circle((x, d - 150), 150)
        else:  # BIKE
            block.add_circle((w / 2, 350), 300)
            block.add_circle((w / 2, d - 350), 300)
            block.add_line((w / 2, 350), (w / 2, d - 350))
    return kind

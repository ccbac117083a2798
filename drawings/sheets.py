"""Sheets, storeys, registration and buildings (submission standard §2).

A drawing may hold several sheets in model space, each inside a title-block frame (an INSERT of a
block whose name matches the frame pattern). Paper-space layouts with viewports are sheets too
when model space has no frames. Each sheet is registered through the intersection of axis 1 and
axis A, so every sheet of every discipline can be mapped into site coordinates.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from drawings.content import InsertRec, apply
from drawings.model import Building, SemanticObject, Sheet
from drawings.text import normalize_floor, parse_floor

__all__ = [
    "FRAME_PATTERNS",
    "FrameInfo",
    "sheet_index",
    "find_buildings",
    "find_frames",
    "is_frame_block",
    "register_sheet",
]

FRAME_PATTERNS: tuple[str, ...] = ("tk*", "*图框*", "a0*", "a1*", "a2*", "a3*", "a4*", "frame*")

# Attribute tags accepted for the standard ones (Chinese title blocks often use these).
_ATTR_ALIASES: Mapping[str, tuple[str, ...]] = {
    "SHEET_NO": ("SHEET_NO", "SHEETNO", "SHEET-NO", "DRAWING_NO", "图号", "图纸编号"),
    "TITLE": ("TITLE", "SHEET_TITLE", "图名", "图纸名称"),
    "FLOOR": ("FLOOR", "STOREY", "楼层", "层号", "层"),
    "SCALE": ("SCALE", "比例"),
}
# Sheets on which no storey is expected: site plans, elevations, sections, details, notes.
_NO_STOREY = re.compile(
    r"总平面|总图|场地|立面|剖面|详图|大样|说明|目录|系统图|节点|示意|索引|SITE|ELEV|SECT",
    re.IGNORECASE,
)


def is_frame_block(name: str) -> bool:
    """Whether a block name matches the title-block frame pattern (case-insensitive)."""
    low = name.lower()
    return any(fnmatch.fnmatchcase(low, pat) for pat in FRAME_PATTERNS)


@dataclass(slots=True)
class FrameInfo:
    """A frame before it becomes a ``Sheet``: where it is and what its attributes say."""

    bbox: tuple[float, float, float, float]
    attrs: dict[str, str]
    handle: str
    source: str


def _attr(attrs: Mapping[str, str], key: str) -> str | None:
    for alias in _ATTR_ALIASES[key]:
        value = attrs.get(alias.upper())
        if value is not None and value.strip():
            return value.strip()
    return None


def find_frames(
    inserts: Sequence[InsertRec],
    extents_of: Mapping[str, tuple[float, float, float, float] | None],
) -> list[FrameInfo]:
    """Title-block frames among the INSERTs of model space (metres)."""
    frames: list[FrameInfo] = []
    for ins in inserts:
        if ins.kind != "INSERT" or not is_frame_block(ins.name):
            continue
        ext = extents_of.get(ins.name.lower())
        if ext is None:
            continue
        x0, y0, x1, y1 = ext
        pts = [apply(ins.matrix, x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        bbox = (min(xs), min(ys), max(xs), max(ys))
        if bbox[2] - bbox[0] <= 0 or bbox[3] - bbox[1] <= 0:
            continue
        frames.append(FrameInfo(bbox, dict(ins.attribs), ins.handle, "frame"))
    # Nested frames (a frame block drawn inside another) would double sheets: keep outer ones.
    frames.sort(key=lambda f: -(f.bbox[2] - f.bbox[0]) * (f.bbox[3] - f.bbox[1]))
    kept: list[FrameInfo] = []
    for f in frames:
        if any(_inside(f.bbox, k.bbox) for k in kept):
            continue
        kept.append(f)
    # Sheet-number order (A-2 before A-10); frames without a number after them, by position.
    kept.sort(key=lambda f: (_natural(_attr(f.attrs, "SHEET_NO")), -round(f.bbox[3], 0), f.bbox[0]))
    return kept


def _natural(text: str | None) -> tuple[tuple[int, int | str], ...]:
    """Sort key reading digit runs as numbers; ``None`` sorts last."""
    if text is None:
        return ((2, ""),)
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.upper())
        for part in re.findall(r"\d+|\D+", text)
    )


def _inside(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return (
        a[0] >= b[0] - 1e-6 and a[1] >= b[1] - 1e-6 and a[2] <= b[2] + 1e-6 and a[3] <= b[3] + 1e-6
    )


def make_sheet(index: int, frame: FrameInfo) -> tuple[Sheet, bool]:
    """A ``Sheet`` from a frame; the flag says whether it is unidentified (``DXF-011``)."""
    sheet_no = _attr(frame.attrs, "SHEET_NO")
    title = _attr(frame.attrs, "TITLE")
    floor_attr = _attr(frame.attrs, "FLOOR")
    floor = normalize_floor(floor_attr) if floor_attr else None
    if floor is None and title:
        floor = parse_floor(title)
    scale = _attr(frame.attrs, "SCALE")
    storey_expected = not (title and _NO_STOREY.search(title))
    unidentified = not sheet_no or not title or (floor is None and storey_expected)
    if frame.source == "layout" and not frame.handle:
        unidentified = False  # a layout without a title block: nothing was meant to be read
    return (
        Sheet(
            index=index,
            sheet_no=sheet_no,
            title=title,
            floor=floor,
            scale=scale,
            bbox=frame.bbox,
            source=frame.source,
            handle=frame.handle,
        ),
        unidentified,
    )


def sheet_index(points: npt.NDArray[np.float64], sheets: Sequence[Sheet]) -> list[int | None]:
    """Sheet of each representative point: the first sheet whose box holds it, else ``None``."""
    n = len(points)
    if not sheets:
        return [None] * n
    if len(sheets) == 1 and sheets[0].source == "model":
        return [0] * n
    out = np.full(n, -1, dtype=np.int64)
    if n:
        xs, ys = points[:, 0], points[:, 1]
        for sheet in reversed(sheets):  # earlier sheets win: they are written last
            x0, y0, x1, y1 = sheet.bbox
            out[(xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)] = sheet.index
    return [None if k < 0 else k for k in out.tolist()]


def _label(obj: SemanticObject) -> str:
    text = obj.text if obj.text is not None else next(iter(obj.attrs.values()), "")
    return text.strip().upper().translate(_FULLWIDTH)


_FULLWIDTH = str.maketrans(
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ",
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
)


def register_sheet(
    labels: Sequence[SemanticObject], axes: Sequence[SemanticObject]
) -> tuple[float, float] | None:
    """The intersection of axis 1 and axis A on one sheet, or ``None``.

    Each label sits at one end of its axis line (usually in a circle). The axis belonging to a
    label is the axis line with an end point nearest to the label; the two lines are intersected
    as infinite lines, since axis lines often stop short of each other.
    """
    lines = [a.geometry for a in axes if a.geometry.geom_type == "LineString"]
    if not lines:
        return None
    one = [lab for lab in labels if _label(lab) == "1"]
    a_lab = [lab for lab in labels if _label(lab) == "A"]
    if not one or not a_lab:
        return None
    l1 = _axis_for(one[0], lines)
    la = _axis_for(a_lab[0], lines)
    if l1 is None or la is None or l1 is la:
        return None
    return _intersect(l1, la)


def _axis_for(
    label: SemanticObject, lines: Sequence[shapely.LineString]
) -> shapely.LineString | None:
    p = label.geometry.centroid
    best: shapely.LineString | None = None
    best_d = math.inf
    for line in lines:
        c = line.coords
        for q in (c[0], c[-1]):
            d = math.hypot(q[0] - p.x, q[1] - p.y)
            if d < best_d:
                best_d, best = d, line
    return best


def _intersect(a: shapely.LineString, b: shapely.LineString) -> tuple[float, float] | None:
    (x1, y1), (x2, y2) = a.coords[0], a.coords[-1]
    (x3, y3), (x4, y4) = b.coords[0], b.coords[-1]
    den = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
    if abs(den) < 1e-12 * max(1.0, abs(x1 - x2) + abs(y1 - y2)) ** 2:
        return None
    t = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / den
    return (x1 + t * (x2 - x1), y1 + t * (y2 - y1))


def find_buildings(inserts: Sequence[InsertRec]) -> list[Building]:
    """``BLDG`` blocks (site plans): the building's axis 1/A point, rotation and attributes."""
    out: list[Building] = []
    for ins in inserts:
        if ins.kind != "INSERT":
            continue
        low = ins.name.lower()
        if low != "bldg" and not low.startswith(("bldg-", "bldg_")):
            continue
        point = ins.point
        rot = math.degrees(math.atan2(ins.matrix[2], ins.matrix[0]))
        attrs = {k.upper(): v for k, v in ins.attribs.items()}
        name = attrs.get("NAME") or ins.name
        out.append(Building(name=name, handle=ins.handle, point=point, rotation=rot, attrs=attrs))
    return out

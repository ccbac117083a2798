"""Shared helpers of the joint-review rules: registration of every sheet into site coordinates,
matching of geometry between drawings, and reading values from the drawings' texts.

Joint rules compare like with like only after each sheet is placed in the site coordinate
system (submission standard §2): a floor plan through its axis-1/A origin and the ``BLDG``
block of the site plan, a site plan as it is. Sheets that cannot be placed are reported, never
silently dropped, so a reviewer knows which drawings did not take part in a comparison.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely import affinity
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from checkers.context import CheckContext, Drawing, Item
from checkers.findings import NotChecked, Violation
from drawings.model import Discipline, Severity, Sheet

__all__ = [
    "DISCIPLINE_ZH",
    "Pool",
    "SheetRegistration",
    "TextSource",
    "cn_number",
    "from_site",
    "hausdorff",
    "iou",
    "outline",
    "registered",
    "sheet_registrations",
    "text_sources",
    "text_violation",
    "unregistered_notices",
]

DISCIPLINE_ZH = {
    Discipline.PLANNING: "规划",
    Discipline.ARCHITECTURE: "建筑",
    Discipline.FIRE: "消防",
    Discipline.CIVIL_DEFENCE: "人防",
    Discipline.LIGHTNING: "防雷",
}


@dataclass(frozen=True, slots=True)
class SheetRegistration:
    """Whether one sheet of one drawing can be placed in site coordinates, and how.

    ``method`` is ``"axis"`` (axis-1/A origin + ``BLDG`` block), ``"site"`` (a site plan,
    already in site coordinates) or ``"none"`` with the reason in ``reason``/``reason_en``.
    """

    drawing: Drawing
    sheet: Sheet | None
    method: str
    reason: str = ""
    reason_en: str = ""

    @property
    def ok(self) -> bool:
        """The sheet can be registered."""
        return self.method != "none"

    @property
    def label(self) -> str:
        """The sheet's label for messages."""
        return self.sheet.label if self.sheet is not None else "-"


def _register_sheet(ctx: CheckContext, drawing: Drawing, sheet: Sheet | None) -> SheetRegistration:
    """Decide, with the same logic as ``ctx.to_site``, whether ``sheet`` can be registered."""
    if sheet is not None and sheet.origin is not None:
        count = len(ctx.buildings())
        if count == 1:
            return SheetRegistration(drawing, sheet, "axis")
        if count == 0:
            return SheetRegistration(
                drawing,
                sheet,
                "none",
                "总图上没有 BLDG 建筑定位块，无法将轴网基点配准到总图坐标",
                "no BLDG block on the site plan: the axis origin cannot be placed on the site",
            )
        return SheetRegistration(
            drawing,
            sheet,
            "none",
            f"总图上有 {count} 个 BLDG 建筑定位块，无法确定本图属于哪栋建筑",
            f"{count} BLDG blocks on the site plan: the sheet's building cannot be told",
        )
    if drawing.discipline == Discipline.PLANNING or drawing.model.buildings:
        return SheetRegistration(drawing, sheet, "site")
    return SheetRegistration(
        drawing,
        sheet,
        "none",
        "图纸既无轴线1/A交点基点，也不是带 BLDG 块的总平面图，无法配准",
        "the sheet has no axis-1/A origin and is not a site plan with a BLDG block",
    )


def sheet_registrations(ctx: CheckContext) -> list[SheetRegistration]:
    """For every drawing and sheet of the package: can it be registered into site coordinates?"""
    key = ("joint.registrations",)
    cached = ctx._cache.get(key)
    if cached is None:
        cached = []
        for drawing in ctx.drawings:
            sheets: Sequence[Sheet | None] = drawing.model.sheets or (None,)
            for sheet in sheets:
                cached.append(_register_sheet(ctx, drawing, sheet))
        ctx._cache[key] = cached
    return list(cached)


def registration_of(ctx: CheckContext, item: Item) -> SheetRegistration:
    """The registration of the item's sheet."""
    return _register_sheet(ctx, item.drawing, item.sheet)


def registered(
    ctx: CheckContext, items: Iterable[Item]
) -> tuple[list[tuple[Item, BaseGeometry]], list[Item]]:
    """Split ``items`` into (item, site geometry) pairs and the items that cannot be placed."""
    placed: list[tuple[Item, BaseGeometry]] = []
    lost: list[Item] = []
    listed = list(items)
    for item, geom in zip(listed, ctx.to_site_all(listed), strict=True):
        if geom is None:
            lost.append(item)
        else:
            placed.append((item, geom))
    return placed, lost


def unregistered_notices(ctx: CheckContext, lost: Iterable[Item], what: str) -> Iterator[Violation]:
    """One info finding per drawing and sheet whose ``what`` objects could not be compared."""
    seen: set[tuple[str, int | None]] = set()
    for item in lost:
        key = (item.drawing.file, item.obj.sheet)
        if key in seen:
            continue
        seen.add(key)
        reg = registration_of(ctx, item)
        yield ctx.violation(
            item,
            f"图纸 {item.sheet_label or '-'} 的{what}无法配准到总图坐标，未参与比对：{reg.reason}",
            f"{what} on sheet {item.sheet_label or '-'} could not be registered into site "
            f"coordinates and was not compared: {reg.reason_en}",
            severity=Severity.INFO,
        )


def from_site(ctx: CheckContext, sheet: Sheet | None, geom: BaseGeometry) -> BaseGeometry:
    """Inverse of ``ctx.to_site`` for an axis-registered sheet (identity for site plans)."""
    if sheet is None or sheet.origin is None:
        return geom
    placed = ctx.buildings()
    if len(placed) != 1:
        return geom
    building = placed[0][1]
    moved = affinity.translate(geom, -building.point[0], -building.point[1])
    turned = affinity.rotate(moved, -building.rotation, origin=(0, 0))
    return affinity.translate(turned, sheet.origin[0], sheet.origin[1])


# -- geometry comparison ------------------------------------------------------------------------


def iou(a: BaseGeometry, b: BaseGeometry) -> float:
    """Intersection over union of two areas (0 when both are empty)."""
    union = shapely.union(a, b).area
    return float(shapely.intersection(a, b).area / union) if union > 0 else 0.0


def _lines(geom: BaseGeometry) -> BaseGeometry:
    """The linework of a geometry: polygon boundaries, lines as they are."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom.boundary
    return geom


def hausdorff(a: BaseGeometry, b: BaseGeometry) -> float:
    """Hausdorff distance between the linework of two geometries, densified to 1/20 of each
    segment so that a vertex-only comparison cannot miss a bent edge."""
    return float(shapely.hausdorff_distance(_lines(a), _lines(b), densify=0.05))


def outline(parts: Sequence[BaseGeometry], closing: float) -> BaseGeometry | None:
    """The outer outline of a storey from its wall geometry.

    Wall polygons are taken as they are and wall lines are thickened by 5 cm; their union is
    closed morphologically (buffer out then in by ``closing``, mitred joins so right-angled
    corners stay exact), which bridges door and window openings up to ``2 × closing`` wide.
    The largest resulting part, with its holes (courtyards, rooms) filled, is the outline.
    """
    shapes = [g if g.geom_type in ("Polygon", "MultiPolygon") else g.buffer(0.05) for g in parts]
    shapes = [g for g in shapes if not g.is_empty]
    if not shapes:
        return None
    merged = shapely.union_all(shapes)
    closed = merged.buffer(closing, join_style="mitre", mitre_limit=10.0).buffer(
        -closing, join_style="mitre", mitre_limit=10.0
    )
    polys = [p for p in getattr(closed, "geoms", [closed]) if p.geom_type == "Polygon"]
    if not polys:
        return None
    biggest = max(polys, key=lambda p: p.area)
    return shapely.Polygon(biggest.exterior)


# -- values from text ----------------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS |= {"七": 7, "八": 8, "九": 9}


def cn_number(text: str) -> int | None:
    """An integer written in Arabic digits or Chinese numerals up to 999 (``十八`` → 18)."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(c not in _CN_DIGITS and c not in "十百" for c in text):
        return None
    total, current = 0, 0
    for c in text:
        if c == "百":
            total += (current or 1) * 100
            current = 0
        elif c == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _CN_DIGITS[c]
    return total + current


@dataclass(frozen=True, slots=True)
class TextSource:
    """One text of one drawing, with where it lies (drawing coordinates) and on which sheet."""

    drawing: Drawing
    text: str
    x: float
    y: float
    handle: str
    sheet: Sheet | None

    @property
    def sheet_label(self) -> str | None:
        """The sheet's label, if the text lies on a sheet."""
        return self.sheet.label if self.sheet is not None else None

    @property
    def where(self) -> str:
        """``file`` or ``file sheet`` for messages."""
        return f"{self.drawing.file} {self.sheet_label}" if self.sheet else self.drawing.file


def _sheet_at(drawing: Drawing, x: float, y: float) -> Sheet | None:
    for sheet in drawing.model.sheets:
        x0, y0, x1, y1 = sheet.bbox
        if x0 <= x <= x1 and y0 <= y <= y1:
            return sheet
    return drawing.model.sheets[0] if len(drawing.model.sheets) == 1 else None


def text_sources(
    ctx: CheckContext, disciplines: Iterable[Discipline] | None = None
) -> list[TextSource]:
    """Every text of the drawings: the drawing's text list (mapped and unmapped layers, e.g.
    design notes on annotation layers) plus text objects of mapped groups not in that list.

    The texts of all drawings are collected once; a subset of disciplines is a filter of them,
    in the same order, so no text is read or wrapped twice."""
    cached = ctx._cache.get(("joint.texts",))
    if cached is None:
        cached = tuple(src for drawing in ctx.drawings for src in _drawing_texts(drawing))
        ctx._cache[("joint.texts",)] = cached
    if disciplines is None:
        return list(cached)
    wanted = set(disciplines)
    return [src for src in cached if src.drawing.discipline in wanted]


def _drawing_texts(drawing: Drawing) -> Iterator[TextSource]:
    """The texts of one drawing (see ``text_sources``)."""
    seen: set[str] = set()
    for t in drawing.model.texts:
        seen.add(t.handle)
        yield TextSource(drawing, t.text, t.x, t.y, t.handle, _sheet_at(drawing, t.x, t.y))
    for o in drawing.model.objects:
        if o.text is None or o.handle in seen:
            continue
        c = o.point or (o.geometry.centroid.x, o.geometry.centroid.y)
        sheet = drawing.model.sheets[o.sheet] if o.sheet is not None else None
        yield TextSource(drawing, o.text, c[0], c[1], o.handle, sheet)


def text_violation(
    source: TextSource,
    message: str,
    message_en: str,
    *,
    measured: float | None,
    limit: float | None,
    unit: str | None,
    severity: Severity | None = None,
    params: dict[str, Any] | None = None,
) -> Violation:
    """A violation located at a text of a drawing."""
    return Violation(
        message=message,
        message_en=message_en,
        file=source.drawing.file,
        sheet=source.sheet_label,
        geometry=Point(source.x, source.y),
        handles=(source.handle,),
        measured=measured,
        limit=limit,
        unit=unit,
        severity=severity,
        params=params or {},
    )


def number(pattern: re.Pattern[str], text: str) -> list[float]:
    """Every float captured by group 1 of ``pattern`` in ``text``."""
    out = []
    for m in pattern.finditer(text):
        try:
            value = float(m.group(1))
        except ValueError:
            continue
        if math.isfinite(value):
            out.append(value)
    return out


def require_disciplines(ctx: CheckContext, *disciplines: Discipline) -> None:
    """Raise ``NotChecked`` naming every discipline of ``disciplines`` without drawings."""
    missing = [d for d in disciplines if not ctx.of(d)]
    if missing:
        zh = "、".join(DISCIPLINE_ZH.get(d, d.value) for d in missing)
        en = ", ".join(d.value for d in missing)
        raise NotChecked(f"缺少{zh}图纸，无法比对", f"no {en} drawings to compare")


def not_checked(ctx: CheckContext, zh: str, en: str, lost: Iterable[Item] = ()) -> NotChecked:
    """``NotChecked`` whose reason also names the sheets that could not be registered (the
    engine drops findings of a rule that ends "not checked", so they must travel here)."""
    names: dict[str, tuple[str, str]] = {}
    for item in lost:
        reg = registration_of(ctx, item)
        names.setdefault(
            f"{item.drawing.file} {item.sheet_label or '-'}", (reg.reason, reg.reason_en)
        )
    if not names:
        return NotChecked(zh, en)
    zh_extra = "；".join(f"{k}：{r}" for k, (r, _) in names.items())
    en_extra = "; ".join(f"{k}: {r}" for k, (_, r) in names.items())
    return NotChecked(
        f"{zh}（无法配准的图纸：{zh_extra}）", f"{en} (sheets not registrable: {en_extra})"
    )


class Pool:
    """Registered geometries with one STR-tree, built once and queried many times (n log n)."""

    def __init__(self, placed: Sequence[tuple[Item, BaseGeometry]]) -> None:
        self.placed = list(placed)
        self.tree = STRtree([g for _, g in self.placed]) if self.placed else None

    def __bool__(self) -> bool:
        return bool(self.placed)

    def overlapping(self, geom: BaseGeometry) -> list[tuple[Item, BaseGeometry]]:
        """Members whose geometry intersects ``geom``."""
        if self.tree is None:
            return []
        return [self.placed[int(i)] for i in self.tree.query(geom, predicate="intersects")]

    def within(self, geom: BaseGeometry, distance: float) -> list[tuple[Item, BaseGeometry]]:
        """Members within ``distance`` of ``geom``, else the nearest member alone."""
        if self.tree is None:
            return []
        hits = self.tree.query(geom, predicate="dwithin", distance=distance)
        if not len(hits):
            hits = self.tree.query_nearest(geom)[:1]
        return [self.placed[int(i)] for i in hits]

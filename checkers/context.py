"""``CheckContext``: what every rule sees — the package's drawings as semantic models, the
project parameters, and small helpers to find objects, labels and storeys.

Rules never touch DXF. An ``Item`` pairs a semantic object with its drawing, so a violation
can name the file, the sheet and the handles without each rule repeating that bookkeeping.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from checkers.findings import NotChecked, Violation
from checkers.params import ProjectParams
from drawings.layers import GROUPS
from drawings.model import Building, Discipline, DrawingModel, SemanticObject, Severity, Sheet

__all__ = ["CheckContext", "Drawing", "Item"]

TEXT_KINDS = frozenset({"TEXT", "MTEXT", "ATTRIB", "MLEADER", "PROXY"})


@dataclass(frozen=True, slots=True)
class Drawing:
    """One file of the package: its discipline, its path inside the package, its model."""

    discipline: Discipline
    file: str
    model: DrawingModel


@dataclass(frozen=True, slots=True)
class Item:
    """A semantic object together with the drawing it comes from."""

    drawing: Drawing
    obj: SemanticObject

    @property
    def geometry(self) -> BaseGeometry:
        """Shapely geometry in metres, drawing coordinates."""
        return self.obj.geometry

    @property
    def sheet(self) -> Sheet | None:
        """The sheet the object lies on."""
        s = self.obj.sheet
        return self.drawing.model.sheets[s] if s is not None else None

    @property
    def sheet_label(self) -> str | None:
        """The sheet's number (or title) for messages and findings."""
        sheet = self.sheet
        return sheet.label if sheet is not None else None

    @property
    def floor(self) -> str | None:
        """The storey of the object's sheet (``"1"``, ``"-2"``, ``"RF"``) or ``None``."""
        sheet = self.sheet
        return sheet.floor if sheet is not None else None

    @property
    def text(self) -> str:
        """The object's text (TEXT/MTEXT), else its attributes joined, else ``""``."""
        if self.obj.text is not None:
            return self.obj.text
        return " ".join(self.obj.attrs.values())

    @property
    def is_text(self) -> bool:
        """Whether the object is a text."""
        return self.obj.kind in TEXT_KINDS


@dataclass
class CheckContext:
    """The whole package as the rules see it."""

    params: ProjectParams
    drawings: tuple[Drawing, ...]
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    # -- finding objects -------------------------------------------------------------------
    def of(self, discipline: Discipline | str) -> tuple[Drawing, ...]:
        """The drawings of one discipline."""
        d = Discipline(discipline)
        return tuple(x for x in self.drawings if x.discipline == d)

    def items(
        self,
        discipline: Discipline | str,
        group: str,
        *,
        closed: bool | None = None,
        texts: bool | None = None,
        kinds: Iterable[str] | None = None,
    ) -> list[Item]:
        """Objects of ``group`` in the drawings of ``discipline``.

        ``closed=True`` keeps closed boundaries (polygons) only; ``texts=True`` texts only,
        ``texts=False`` everything but texts; ``kinds`` restricts the DXF types. An object has
        one ``Item`` whatever the query that found it, so large groups asked for with several
        filters are not wrapped again.
        """
        key = ("items", str(discipline), group, closed, texts, tuple(sorted(kinds or ())))
        cached = self._cache.get(key)
        if cached is not None:
            return list(cached)
        wanted = frozenset(kinds) if kinds is not None else None
        out: list[Item] = []
        shared: dict[int, Item] = self._cache.setdefault(("item-of",), {})
        for drawing, objects in self._grouped(Discipline(discipline)).get(group, ()):
            for obj in objects:
                if closed is not None and obj.closed != closed:
                    continue
                is_text = obj.kind in TEXT_KINDS
                if texts is not None and is_text != texts:
                    continue
                if wanted is not None and obj.kind not in wanted:
                    continue
                item = shared.get(id(obj))
                if item is None:
                    item = shared[id(obj)] = Item(drawing, obj)
                out.append(item)
        self._cache[key] = tuple(out)
        return out

    def _grouped(
        self, discipline: Discipline
    ) -> dict[str, list[tuple[Drawing, list[SemanticObject]]]]:
        """The objects of a discipline's drawings by group and drawing, in drawing order: one
        pass over every object serves all ``items`` queries, which then scan their group only.
        One list per group and drawing, not one entry per object, so the index adds next to
        nothing for the garbage collector to walk (most groups are never queried)."""
        key = ("grouped", discipline)
        grouped: dict[str, list[tuple[Drawing, list[SemanticObject]]]] | None = self._cache.get(key)
        if grouped is None:
            grouped = {}
            for drawing in self.of(discipline):
                mine: dict[str, list[SemanticObject]] = {}
                for obj in drawing.model.objects:
                    mine.setdefault(obj.group, []).append(obj)
                for group, objects in mine.items():
                    grouped.setdefault(group, []).append((drawing, objects))
            self._cache[key] = grouped
        return grouped

    def require(self, discipline: Discipline | str, group: str, **filters: Any) -> list[Item]:
        """Like ``items`` but raises ``NotChecked`` ("no X") when there are none."""
        found = self.items(discipline, group, **filters)
        if not found:
            spec = GROUPS.get(group)
            zh = spec.meaning_zh if spec else group
            en = spec.meaning_en if spec else group
            raise NotChecked(
                f"{Discipline(discipline).value} 图纸中没有 {group}（{zh}）",
                f"no {group} ({en}) in the {Discipline(discipline).value} drawings",
            )
        return found

    def labels_in(self, area: Item, group: str | None = None) -> list[Item]:
        """Texts inside a closed boundary, on the same drawing and sheet (same group by default)."""
        group = group or area.obj.group
        candidates = [
            i
            for i in self.items(area.drawing.discipline, group, texts=True)
            if i.drawing is area.drawing and i.obj.sheet == area.obj.sheet
        ]
        if not candidates:
            return []
        poly = area.geometry
        return [i for i in candidates if poly.covers(i.geometry)]

    def index(self, items: Sequence[Item]) -> STRtree:
        """An STR-tree over the items' geometries (query results index into ``items``)."""
        return STRtree([i.geometry for i in items])

    def buildings(self) -> list[tuple[Drawing, Building]]:
        """``BLDG`` blocks of the planning drawings (else any drawing)."""
        out = [(d, b) for d in self.of(Discipline.PLANNING) for b in d.model.buildings]
        if not out:
            out = [(d, b) for d in self.drawings for b in d.model.buildings]
        return out

    # -- registration ------------------------------------------------------------------------
    def to_site(self, item: Item, geometry: BaseGeometry | None = None) -> BaseGeometry | None:
        """The item's geometry in site coordinates, through the sheet's axis-1/A origin and the
        ``BLDG`` block of the site plan; ``None`` when the sheet cannot be registered.

        Sheets of the planning drawings and sheets without an axis grid but with a ``BLDG``
        block are site plans: their coordinates are site coordinates already.
        """
        geom = item.geometry if geometry is None else geometry
        sheet = item.sheet
        if sheet is not None and sheet.origin is not None:
            placed = self.buildings()
            if len(placed) != 1:
                return None
            _, building = placed[0]
            moved = affinity.translate(geom, -sheet.origin[0], -sheet.origin[1])
            turned = affinity.rotate(moved, building.rotation, origin=(0, 0))
            return affinity.translate(turned, building.point[0], building.point[1])
        if item.drawing.discipline == Discipline.PLANNING or item.drawing.model.buildings:
            return geom
        return None

    def to_site_all(self, items: Sequence[Item]) -> list[BaseGeometry | None]:
        """``to_site`` of many items, with exactly the same coordinates: the three affine steps
        of each sheet are applied to all its geometries in one vectorised transform, with
        shapely's own formulas (``_site_coords``), instead of three transforms per geometry."""
        out: list[BaseGeometry | None] = [None] * len(items)
        by_origin: dict[tuple[float, float], list[int]] = {}
        for k, item in enumerate(items):
            sheet = item.sheet
            if sheet is not None and sheet.origin is not None:
                if item.geometry.has_z:
                    out[k] = self.to_site(item)
                else:
                    by_origin.setdefault(sheet.origin, []).append(k)
            elif item.drawing.discipline == Discipline.PLANNING or item.drawing.model.buildings:
                out[k] = item.geometry
        placed = self.buildings() if by_origin else []
        if len(placed) != 1:
            return out
        building = placed[0][1]
        for origin, ks in by_origin.items():
            geoms = np.asarray([items[k].geometry for k in ks], dtype=object)
            moved = shapely.transform(
                geoms, lambda xy, o=origin: _site_coords(xy, o, building), include_z=False
            )
            for k, geom, new in zip(ks, geoms, moved, strict=True):
                out[k] = geom if geom.is_empty else new
        return out

    # -- building facts ------------------------------------------------------------------------
    @cached_property
    def height_m(self) -> float | None:
        """Building height H: declared ``building.height_m``, else the ``BLDG`` HEIGHT."""
        declared = self.params.building().height_m
        if declared is not None:
            return declared
        for _, b in self.buildings():
            try:
                return float(b.attrs.get("HEIGHT", ""))
            except ValueError:
                continue
        return None

    @cached_property
    def use(self) -> str | None:
        """Building use: declared ``building.use``, else the ``BLDG`` USE attribute."""
        declared = self.params.building().use
        if declared is not None:
            return declared
        for _, b in self.buildings():
            if b.attrs.get("USE"):
                return b.attrs["USE"].strip().lower()
        return None

    def violation(
        self,
        item: Item | None,
        message: str,
        message_en: str,
        *,
        geometry: BaseGeometry | None = None,
        handles: Sequence[str] = (),
        measured: float | None = None,
        limit: float | None = None,
        unit: str | None = None,
        severity: Severity | None = None,
        params: dict[str, Any] | None = None,
    ) -> Violation:
        """A violation located at ``item`` (file, sheet, handle and geometry filled in)."""
        return Violation(
            message=message,
            message_en=message_en,
            file=item.drawing.file if item is not None else None,
            sheet=item.sheet_label if item is not None else None,
            geometry=geometry if geometry is not None else (item.geometry if item else None),
            handles=tuple(handles) if handles else ((item.obj.handle,) if item else ()),
            measured=None if measured is None else float(measured),
            limit=limit,
            unit=unit,
            severity=severity,
            params=params or {},
        )


def _affine(
    xy: np.ndarray, matrix: tuple[float, float, float, float, float, float]
) -> np.ndarray:
    """``shapely.affinity.affine_transform`` of 2D coordinates, with its formula."""
    a, b, d, e, xoff, yoff = matrix
    x, y = xy[:, 0], xy[:, 1]
    return np.stack([a * x + b * y + xoff, d * x + e * y + yoff]).T


def _site_coords(xy: np.ndarray, origin: tuple[float, float], building: Building) -> np.ndarray:
    """``to_site`` of drawing coordinates on a sheet with the axis origin ``origin``: the
    translate, rotate (about 0, 0) and translate of ``shapely.affinity``, same arithmetic."""
    angle = building.rotation * math.pi / 180.0
    cosp, sinp = math.cos(angle), math.sin(angle)
    cosp = 0.0 if abs(cosp) < 2.5e-16 else cosp
    sinp = 0.0 if abs(sinp) < 2.5e-16 else sinp
    x0, y0 = 0, 0
    moved = _affine(xy, (1.0, 0.0, 0.0, 1.0, -origin[0], -origin[1]))
    turned = _affine(
        moved, (cosp, -sinp, sinp, cosp, x0 - x0 * cosp + y0 * sinp, y0 - x0 * sinp - y0 * cosp)
    )
    return _affine(turned, (1.0, 0.0, 0.0, 1.0, building.point[0], building.point[1]))


def rect_sides(geometry: BaseGeometry) -> tuple[float, float]:
    """Short and long side of the minimum rotated rectangle (0, 0 for empty input)."""
    if geometry.is_empty:
        return 0.0, 0.0
    rect = shapely.minimum_rotated_rectangle(geometry)
    coords = list(rect.exterior.coords) if rect.geom_type == "Polygon" else list(rect.coords)
    if len(coords) < 3:
        length = rect.length
        return 0.0, float(length)
    a = math.dist(coords[0], coords[1])
    b = math.dist(coords[1], coords[2])
    return (min(a, b), max(a, b))

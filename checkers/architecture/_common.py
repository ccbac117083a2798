"""Shared reading of the architecture plans: rooms with their names, storeys, numbers, geometry.

A room is a closed A-AREA polygon; its type comes from the A-AREA-IDEN texts inside it. Each
name text belongs to the smallest room that covers it on the same sheet, so a dwelling outline
drawn around its rooms does not take their names. Everything is computed once per context and
kept in the context's cache, because several rules read the same rooms.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from checkers.context import CheckContext, Item
from checkers.findings import NotChecked

__all__ = [
    "ARCH",
    "Room",
    "SheetKey",
    "classify",
    "edition",
    "is_basement",
    "near_pairs",
    "parse_number",
    "residential_or_unknown",
    "rooms",
    "sheet_key",
]

ARCH = "architecture"
SheetKey = tuple[str, int | None]

_BEDROOM = re.compile(r"卧")
_DOUBLES_LIVING = re.compile(r"兼.*(起居|客厅)|(起居|客厅).*兼.*卧")
_DOUBLE_BEDROOM = re.compile(r"主卧|双人卧")
_LIVING = re.compile(r"起居室|客厅|起居厅")
_KITCHEN = re.compile(r"厨房")
_BATHROOM = re.compile(r"卫生间|卫|厕所")
_CORRIDOR = re.compile(r"走道|走廊|内廊|公共走廊")
_STAIR_HALL = re.compile(r"楼梯")
_EXTERNAL = re.compile(r"室外|外部")
_COMMON = re.compile(r"走道|走廊|内廊|外廊|连廊|前室|电梯厅|候梯厅|楼梯|大堂|公共|门斗")
_DWELLING_INTERIOR = re.compile(r"卧|起居|客厅|餐厅|书房|家庭厅|套内")
_PUBLIC_PREFIX = re.compile(r"公共|公用|无障碍")


def classify(name: str) -> frozenset[str]:
    """The room types a name stands for (several when a name combines them).

    Types: ``bedroom`` (with ``doubles_living`` for 卧室兼起居 and ``double_bedroom`` for 主卧 /
    双人卧室), ``living``, ``kitchen``, ``bathroom``, ``corridor``, ``stair_hall``, ``external``,
    ``common`` (shared circulation: corridors, front rooms, lift halls, stair halls, lobbies),
    ``dwelling_interior`` (rooms only found inside a dwelling) and ``habitable`` (居室).
    """
    out: set[str] = set()
    public = bool(_PUBLIC_PREFIX.search(name))
    if _BEDROOM.search(name):
        out.add("bedroom")
        if _DOUBLES_LIVING.search(name):
            out.add("doubles_living")
        if _DOUBLE_BEDROOM.search(name):
            out.add("double_bedroom")
    elif _LIVING.search(name):
        out.add("living")
    if _KITCHEN.search(name):
        out.add("kitchen")
    if _BATHROOM.search(name) and not public:
        out.add("bathroom")
    if _CORRIDOR.search(name):
        out.add("corridor")
    if _STAIR_HALL.search(name):
        out.add("stair_hall")
    if _EXTERNAL.search(name):
        out.add("external")
    if _COMMON.search(name):
        out.add("common")
    if _DWELLING_INTERIOR.search(name) and "common" not in out:
        out.add("dwelling_interior")
    if "居室" in name:
        out.add("habitable")
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class Room:
    """A closed A-AREA polygon with the names written inside it."""

    item: Item
    name: str
    types: frozenset[str]
    label_handles: tuple[str, ...]

    @property
    def geometry(self) -> BaseGeometry:
        """The room polygon (usable area: inside the wall faces)."""
        return self.item.geometry

    @property
    def key(self) -> SheetKey:
        """Drawing and sheet the room lies on."""
        return sheet_key(self.item)

    @property
    def handles(self) -> tuple[str, ...]:
        """The outline's handle followed by its name texts' handles."""
        return (self.item.obj.handle, *self.label_handles)


def sheet_key(item: Item) -> SheetKey:
    """Identity of the sheet an item lies on (sheets of different drawings never match)."""
    return (item.drawing.file, item.obj.sheet)


def near_pairs(
    queries: Sequence[BaseGeometry], targets: Sequence[BaseGeometry], predicate: str
) -> list[tuple[int, int]]:
    """``(i, j)`` pairs with ``predicate(queries[i], targets[j])``, through one STR-tree."""
    if not queries or not targets:
        return []
    tree = shapely.STRtree(list(targets))
    idx = tree.query(np.asarray(list(queries), dtype=object), predicate=predicate)
    return [(int(a), int(b)) for a, b in zip(idx[0], idx[1], strict=True)]


def rooms(ctx: CheckContext) -> list[Room]:
    """Every named room of the architecture drawings (unnamed outlines get an empty name).

    Raises:
        NotChecked: there are no room outlines (A-AREA) or no room names (A-AREA-IDEN).
    """
    cached = ctx._cache.get("arch.rooms")
    if cached is not None:
        return list(cached)
    areas = ctx.require(ARCH, "A-AREA", closed=True)
    labels = ctx.require(ARCH, "A-AREA-IDEN", texts=True)
    label_points = [lab.geometry.representative_point() for lab in labels]
    best: dict[int, int] = {}
    for li, ri in near_pairs(label_points, [a.geometry for a in areas], "covered_by"):
        if sheet_key(labels[li]) != sheet_key(areas[ri]):
            continue
        if li not in best or areas[ri].geometry.area < areas[best[li]].geometry.area:
            best[li] = ri
    names: dict[int, list[int]] = {}
    for li, ri in sorted(best.items()):
        names.setdefault(ri, []).append(li)
    out: list[Room] = []
    for ri, area in enumerate(areas):
        texts = [labels[li] for li in names.get(ri, [])]
        words = [t.text.strip() for t in texts if t.text.strip() and not _is_figure(t.text)]
        name = " ".join(words)
        out.append(Room(area, name, classify(name), tuple(t.obj.handle for t in texts)))
    ctx._cache["arch.rooms"] = tuple(out)
    return out


_FIGURE = re.compile(r"^[\s\d.,:：=A-Za-z²㎡]*$")


def _is_figure(text: str) -> bool:
    """An area figure or code (``12.5㎡``, ``S=9.6m2``) written next to the name, not a name."""
    return bool(_FIGURE.match(text.strip()))


def is_basement(item: Item) -> bool:
    """The item lies on a storey below ground (FLOOR ``-1`` ..., or a title 地下…层 / 半地下)."""
    floor = item.floor
    if floor is not None and floor.strip().startswith("-"):
        return True
    sheet = item.sheet
    title = sheet.title if sheet is not None else None
    return bool(title and re.search(r"地下.*层|半地下", title))


def edition(ctx: CheckContext) -> str:
    """The residential code edition, "2025" or "2011"."""
    return ctx.params.code_edition


def residential_or_unknown(ctx: CheckContext, code: str) -> None:
    """Residential rules run on residential (or mixed, or undeclared) buildings.

    Raises:
        NotChecked: the declared use is neither residential nor mixed.
    """
    use = ctx.use
    if use not in (None, "residential", "mixed"):
        raise NotChecked(
            f"{code} 仅适用于住宅，本建筑用途为 {use}",
            f"{code} applies to dwellings; the building's use is {use}",
        )


_NUMBER = {
    "door": re.compile(r"M[甲乙丙]?[-_]?(\d{2})(\d{2})(?!\d)"),
    "window": re.compile(r"C[-_]?(\d{2})(\d{2})(?!\d)"),
}


def parse_number(text: str, what: str) -> tuple[float, float] | None:
    """Width and height in metres from a door or window number (M0921, FM甲1021, C1518)."""
    match = _NUMBER[what].search(text.upper())
    if match is None:
        return None
    return int(match.group(1)) / 10.0, int(match.group(2)) / 10.0


def numbers_for(
    inserts: Sequence[Item], texts: Sequence[Item], what: str, radius: float = 1.5
) -> dict[int, tuple[float, float]]:
    """The number (width, height) of each INSERT: the nearest number text within ``radius``.

    Each text goes to its nearest INSERT on the same sheet (submission standard §4). The
    candidates of all texts come from one tree query (the bounds of a ``radius`` buffer round
    each text's point) and their distances from one vectorised call.
    """
    if not inserts or not texts:
        return {}
    sized = [(t, size) for t in texts if (size := parse_number(t.text, what)) is not None]
    if not sized:
        return {}
    tree = shapely.STRtree([i.geometry for i in inserts])
    points = shapely.point_on_surface([t.geometry for t, _ in sized])
    t_idx, c_idx = tree.query(shapely.buffer(points, radius))
    dist = shapely.distance(
        np.asarray([inserts[c].geometry for c in c_idx.tolist()], dtype=object), points[t_idx]
    )
    cands: dict[int, list[tuple[int, float]]] = {}
    for t, c, d in zip(t_idx.tolist(), c_idx.tolist(), dist.tolist(), strict=True):
        cands.setdefault(t, []).append((c, d))
    out: dict[int, tuple[float, float]] = {}
    out_dist: dict[int, float] = {}
    for k, (t, size) in enumerate(sized):
        best: tuple[float, int] | None = None
        for c, d in cands.get(k, []):
            if sheet_key(inserts[c]) != sheet_key(t):
                continue
            if d <= radius and (best is None or d < best[0]):
                best = (d, c)
        if best is not None and (best[1] not in out_dist or best[0] < out_dist[best[1]]):
            out[best[1]] = size
            out_dist[best[1]] = best[0]
    return out


def unit_vector(angle_deg: float) -> tuple[float, float]:
    """Unit vector at ``angle_deg`` (counter-clockwise from +x)."""
    a = math.radians(angle_deg)
    return math.cos(a), math.sin(a)


def extent(coords: Iterable[tuple[float, float]], axis: tuple[float, float]) -> tuple[float, float]:
    """Smallest and largest projection of points onto ``axis``."""
    values = [x * axis[0] + y * axis[1] for x, y in coords]
    return min(values), max(values)


def fmt(value: float, digits: int = 2) -> str:
    """A number for messages: rounded, without trailing zeros."""
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")

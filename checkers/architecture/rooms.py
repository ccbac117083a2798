"""Dwelling room sizes and basements: ARCH-004 to ARCH-007 and ARCH-009.

Areas are the usable areas of the A-AREA polygons (drawn on the wall faces); the room's type is
its name. Edition "2025" applies GB 55038-2025 where it sets a value and GB 50096-2011 elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import shapely

from checkers.architecture._common import (
    ARCH,
    Room,
    edition,
    fmt,
    is_basement,
    near_pairs,
    residential_or_unknown,
    rooms,
    sheet_key,
)
from checkers.context import CheckContext, rect_sides
from checkers.findings import NotChecked, Violation
from checkers.registry import rule
from drawings.model import Severity

EPS = 1e-6
"""Tolerance of comparisons with limits (floating-point noise of drawing coordinates)."""

__all__ = [
    "bathroom_too_small",
    "bedroom_too_small",
    "habitable_room_in_basement",
    "kitchen_too_small",
    "living_room_too_small",
]


def _of_type(ctx: CheckContext, kind: str, code: str, what_zh: str, what_en: str) -> list[Room]:
    """Rooms of one type, or ``NotChecked`` when the drawings have none."""
    found = [r for r in rooms(ctx) if kind in r.types]
    if not found:
        raise NotChecked(
            f"建筑图中没有名称为{what_zh}的房间（A-AREA / A-AREA-IDEN），{code} 未检查",
            f"no room named {what_en} on A-AREA / A-AREA-IDEN; {code} not checked",
        )
    return found


@rule("ARCH-004", "bedroom-area", params=("project.code_edition",))
def bedroom_too_small(ctx: CheckContext) -> Iterator[Violation]:
    """Bedroom usable area and short side.

    Each dwelling room named 卧室 / 主卧 / 次卧 (any name containing 卧) is measured: its usable
    area (the A-AREA polygon) and, under edition 2025, the short side of its minimum rotated
    rectangle, because a bedroom must hold a bed as well as reach an area.

    Clause: GB 55038-2025 4.1.1; GB 50096-2011 5.2.1

    **Fails when** (2025) the area is below 5 m² (9 m² for a bedroom doubling as living room,
    named with 兼起居 / 兼客厅) or the short side is below 1.80 m; (2011) a double bedroom
    (主卧 / 双人卧室) is below 9 m², another bedroom below 5 m², a bedroom doubling as living
    room below 12 m².

    **Passes when** every bedroom reaches its area (and, in 2025, its short side).

    **Known limits** Whether a bedroom is a double bedroom or doubles as the living room is read
    from its name only. The short side of the minimum rotated rectangle overstates the width of
    L-shaped rooms. Not evaluated for declared non-residential buildings.
    """
    residential_or_unknown(ctx, "ARCH-004")
    ed = edition(ctx)
    for room in _of_type(ctx, "bedroom", "ARCH-004", "卧室", "卧室 (bedroom)"):
        area = room.geometry.area
        short, _ = rect_sides(room.geometry)
        if "doubles_living" in room.types:
            limit, kind_zh, kind_en = (
                (9.0 if ed == "2025" else 12.0),
                "兼起居的卧室",
                "bedroom doubling as living room",
            )
        elif ed == "2011" and "double_bedroom" in room.types:
            limit, kind_zh, kind_en = 9.0, "双人卧室", "double bedroom"
        else:
            limit, kind_zh, kind_en = 5.0, "卧室", "bedroom"
        short_limit = 1.80 if ed == "2025" else None
        area_bad = area < limit - EPS
        short_bad = short_limit is not None and short < short_limit - EPS
        if not (area_bad or short_bad):
            continue
        params = {
            "code_edition": ed,
            "area_min_m2": limit,
            "short_side_min_m": short_limit,
            "short_side_m": round(short, 3),
        }
        if area_bad:
            extra_zh = f"，短边 {fmt(short)} m 亦小于 1.8 m" if short_bad else ""
            extra_en = f"; its short side {fmt(short)} m is also below 1.8 m" if short_bad else ""
            yield ctx.violation(
                room.item,
                f"{kind_zh}「{room.name}」使用面积 {fmt(area)} m²，小于 {fmt(limit)} m²{extra_zh}",
                f"{kind_en} '{room.name}' has a usable area of {fmt(area)} m², below {fmt(limit)} m²{extra_en}",
                measured=area,
                limit=limit,
                unit="m²",
                params=params,
                handles=room.handles,
            )
        else:
            assert short_limit is not None
            yield ctx.violation(
                room.item,
                f"卧室「{room.name}」短边 {fmt(short)} m，小于 {fmt(short_limit)} m",
                f"bedroom '{room.name}' has a short side of {fmt(short)} m, below {fmt(short_limit)} m",
                measured=short,
                limit=short_limit,
                unit="m",
                params=params,
                handles=room.handles,
            )


@rule("ARCH-005", "living-room-area")
def living_room_too_small(ctx: CheckContext) -> Iterator[Violation]:
    """Living-room usable area.

    Each dwelling room named 起居室 / 客厅 / 起居厅 is measured. No GB 55038-2025 value is known,
    so both editions apply GB 50096-2011.

    Clause: GB 50096-2011 5.2.2

    **Fails when** the usable area is below 10 m².

    **Passes when** it is 10 m² or more.

    **Known limits** A living room merged with the dining room into one undivided polygon is
    measured as a whole. Not evaluated for declared non-residential buildings.
    """
    residential_or_unknown(ctx, "ARCH-005")
    limit = 10.0
    for room in _of_type(ctx, "living", "ARCH-005", "起居室或客厅", "起居室 / 客厅 (living room)"):
        area = room.geometry.area
        if area < limit - EPS:
            yield ctx.violation(
                room.item,
                f"起居室「{room.name}」使用面积 {fmt(area)} m²，小于 {fmt(limit)} m²",
                f"living room '{room.name}' has a usable area of {fmt(area)} m², below {fmt(limit)} m²",
                measured=area,
                limit=limit,
                unit="m²",
                params={"area_min_m2": limit},
                handles=room.handles,
            )


@rule("ARCH-006", "kitchen-area", params=("project.code_edition",))
def kitchen_too_small(ctx: CheckContext) -> Iterator[Violation]:
    """Kitchen usable area.

    Each dwelling room named 厨房 is measured.

    Clause: GB 55038-2025 4.1.4; GB 50096-2011 5.3.1

    **Fails when** (2025) the usable area is below 3.5 m²; (2011) below 4.0 m², or below 3.5 m²
    in the smallest dwelling type (one whose bedroom doubles as living room).

    **Passes when** the area reaches the limit.

    **Known limits** Dwellings are not delimited on the drawings, so under edition 2011 a kitchen
    of 3.5–4.0 m² on a storey that has a bedroom doubling as living room (兼起居) is reported as
    a warning for the reviewer to confirm that it belongs to that dwelling type; elsewhere such a
    kitchen is an error. Not evaluated for declared non-residential buildings.
    """
    residential_or_unknown(ctx, "ARCH-006")
    ed = edition(ctx)
    kitchens = _of_type(ctx, "kitchen", "ARCH-006", "厨房", "厨房 (kitchen)")
    small_type_sheets = {r.key for r in rooms(ctx) if "doubles_living" in r.types}
    for room in kitchens:
        area = room.geometry.area
        severity: Severity | None = None
        if ed == "2025":
            limit = 3.5
        elif area < 3.5 - EPS:
            limit = 3.5
        else:
            limit = 4.0
            if room.key in small_type_sheets:
                severity = Severity.WARNING
        if area >= limit - EPS:
            continue
        note_zh = (
            "（本层有兼起居的卧室；若属该最小套型，限值为 3.5 m²，请复核）" if severity else ""
        )
        note_en = (
            (
                " (this storey has a bedroom doubling as living room; if the kitchen belongs to "
                "that smallest dwelling type the limit is 3.5 m²: confirm)"
            )
            if severity
            else ""
        )
        yield ctx.violation(
            room.item,
            f"厨房「{room.name}」使用面积 {fmt(area)} m²，小于 {fmt(limit)} m²{note_zh}",
            f"kitchen '{room.name}' has a usable area of {fmt(area)} m², below {fmt(limit)} m²{note_en}",
            measured=area,
            limit=limit,
            unit="m²",
            severity=severity,
            params={"code_edition": ed, "area_min_m2": limit},
            handles=room.handles,
        )


FIXTURE_PATTERNS: dict[str, re.Pattern[str]] = {
    "wc": re.compile(r"便器|坐便|蹲便|马桶|大便|WC|TOILET|CLOSESTOOL|LATRINE", re.IGNORECASE),
    "basin": re.compile(r"洗面|洗脸|面盆|台盆|洗手盆|BASIN|LAVATORY|LAV\b", re.IGNORECASE),
    "shower": re.compile(r"淋浴|浴缸|浴盆|洗浴|SHOWER|BATH|TUB", re.IGNORECASE),
    "washer": re.compile(r"洗衣机|WASHER|WASHING", re.IGNORECASE),
}
"""Block names of sanitary fixtures, by fixture (Chinese names and common English ones)."""

BATHROOM_LIMITS: tuple[tuple[frozenset[str], float, str], ...] = (
    (frozenset({"wc", "basin", "shower"}), 2.5, "便器、洗面器、洗浴器"),
    (frozenset({"wc", "shower"}), 2.0, "便器、洗浴器"),
    (frozenset({"basin", "shower"}), 2.0, "洗面器、洗浴器"),
    (frozenset({"wc", "basin"}), 1.8, "便器、洗面器"),
    (frozenset({"basin", "washer"}), 1.8, "洗面器、洗衣机"),
    (frozenset({"wc"}), 1.1, "便器"),
)
"""Minimum area by fixture set (m²); a room is held to the largest set its fixtures include."""


def fixture_kind(block: str | None) -> str | None:
    """The fixture a block stands for (``wc``, ``basin``, ``shower``, ``washer``) or ``None``."""
    if not block:
        return None
    for kind, pattern in FIXTURE_PATTERNS.items():
        if pattern.search(block):
            return kind
    return None


@rule("ARCH-007", "bathroom-area", params=("project.code_edition",))
def bathroom_too_small(ctx: CheckContext) -> Iterator[Violation]:
    """Bathroom usable area for the fixtures it holds.

    Each dwelling room named 卫生间 / 卫 / 厕所 is measured, and its fixtures are counted from
    the blocks on A-FIXT whose insertion point lies inside it: WC (便器), basin (洗面器),
    shower or bath (洗浴器), washing machine (洗衣机), recognised by block name.

    Clause: GB 55038-2025 4.1.6; GB 50096-2011 5.4.1, 5.4.2

    **Fails when** the area is below the value for the fixtures: WC + basin + shower/bath 2.5 m²;
    WC + shower 2.0; basin + shower 2.0; WC + basin 1.8; basin + washer 1.8; WC only 1.1 m². A
    room with more fixtures is held to the largest listed set it includes.

    **Passes when** the area reaches that value.

    **Known limits** A bathroom whose fixtures cannot be recognised (no fixture blocks inside,
    or a set that includes none of the listed ones) is reported as info, not checked. Fixtures
    drawn as plain lines are not recognised. Public toilets (公共卫生间) are not dwelling rooms.
    """
    residential_or_unknown(ctx, "ARCH-007")
    baths = _of_type(ctx, "bathroom", "ARCH-007", "卫生间", "卫生间 (bathroom)")
    fixtures = ctx.require(ARCH, "A-FIXT", kinds=("INSERT",))
    fixtures = [f for f in fixtures if not f.obj.in_block]
    points = [
        f.geometry.centroid if f.obj.point is None else shapely.Point(f.obj.point) for f in fixtures
    ]
    found: dict[int, set[str]] = {}
    for fi, ri in near_pairs(points, [b.geometry for b in baths], "within"):
        if sheet_key(fixtures[fi]) != baths[ri].key:
            continue
        kind = fixture_kind(fixtures[fi].obj.block)
        if kind is not None:
            found.setdefault(ri, set()).add(kind)
    ed = edition(ctx)
    for ri, room in enumerate(baths):
        kinds = frozenset(found.get(ri, set()))
        area = room.geometry.area
        match = [(lim, zh) for need, lim, zh in BATHROOM_LIMITS if need <= kinds]
        if not match:
            yield ctx.violation(
                room.item,
                f"卫生间「{room.name}」内未识别出卫生器具（A-FIXT），未检查面积，请人工复核",
                f"bathroom '{room.name}': no recognisable fixtures on A-FIXT; area not checked, review manually",
                measured=area,
                unit="m²",
                severity=Severity.INFO,
                params={"code_edition": ed, "fixtures": sorted(kinds)},
                handles=room.handles,
            )
            continue
        limit, set_zh = max(match)
        if area < limit - EPS:
            yield ctx.violation(
                room.item,
                f"卫生间「{room.name}」设{set_zh}，使用面积 {fmt(area)} m²，小于 {fmt(limit)} m²",
                f"bathroom '{room.name}' with {', '.join(sorted(kinds))} has a usable area of "
                f"{fmt(area)} m², below {fmt(limit)} m²",
                measured=area,
                limit=limit,
                unit="m²",
                params={"code_edition": ed, "fixtures": sorted(kinds), "area_min_m2": limit},
                handles=room.handles,
            )


@rule("ARCH-009", "basement-habitable-room")
def habitable_room_in_basement(ctx: CheckContext) -> Iterator[Violation]:
    """Habitable rooms on basement storeys.

    Rooms named 卧室 / 起居室 / 客厅 / 厨房 (dwelling rooms) and 居室 (dwelling rooms of other
    buildings) are looked for on storeys below ground: sheets with FLOOR -1, -2 ..., or titled
    地下…层 / 半地下.

    Clause: GB 50352-2019 6.4.7; GB 55038-2025 4.1.3; GB 50096-2011 6.9.1

    **Fails when** such a room lies on a basement storey.

    **Passes when** no such room lies on a basement storey.

    **Known limits** Rooms are recognised by name only. Whether a storey is a basement or a
    semi-basement is taken from the sheet's storey, not from levels. Not checked when the
    building declares storeys below ground (``building.floors_below``) but no basement sheet is
    drawn, or when no room lies on a sheet with a known storey.
    """
    all_rooms = rooms(ctx)
    with_floor = [r for r in all_rooms if r.item.floor is not None or is_basement(r.item)]
    if not with_floor:
        raise NotChecked(
            "建筑平面图均无可识别的楼层，无法判断地下室，ARCH-009 未检查",
            "no architecture sheet has a known storey; basements cannot be found, ARCH-009 not checked",
        )
    basement = [r for r in with_floor if is_basement(r.item)]
    below = ctx.params.building().floors_below
    if not basement and below:
        raise NotChecked(
            f"项目声明地下 {below} 层，但建筑图中没有地下层平面，ARCH-009 未检查",
            f"{below} storeys below ground are declared but no basement plan is drawn; ARCH-009 not checked",
        )
    forbidden = {"bedroom", "living", "kitchen", "habitable"}
    for room in basement:
        if room.types & forbidden:
            yield ctx.violation(
                room.item,
                f"地下室（{room.item.floor or room.item.sheet_label} 层）布置了「{room.name}」，"
                "住宅的卧室、起居室、厨房及居室不应布置在地下室",
                f"'{room.name}' lies on a basement storey ({room.item.floor or room.item.sheet_label}); "
                "bedrooms, living rooms, kitchens and habitable rooms must not be below ground",
                handles=room.handles,
            )

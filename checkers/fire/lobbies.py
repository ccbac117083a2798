"""FIRE-010 and FIRE-011: front rooms (前室) of smoke-proof stairs and fire lifts.

A front room is the smoke lock between the storey and the stair or fire lift; its area is what
lets fire fighters gather and evacuees queue without opening the stair to smoke.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import shapely

from checkers.context import CheckContext, Item, rect_sides
from checkers.findings import NotChecked, Violation
from checkers.registry import rule
from drawings.model import Severity

from .common import facts, is_basement, is_residential, labelled_areas

__all__ = ["FrontRoom", "fire_lift_lobby_too_small", "front_room_too_small", "front_rooms"]

#: Gap allowed between a front room and the stair or lift it serves (one wall).
ADJACENT_M = 0.6
FRONT_NAMES = ("前室",)


@dataclass(frozen=True, slots=True)
class FrontRoom:
    """A front room with its name and what it adjoins on the same sheet."""

    item: Item
    name: str
    stairs: int
    scissor: bool
    fire_lift: bool

    @property
    def shared(self) -> bool:
        """Serves a stair and the fire lift (合用前室), by name or by adjacency."""
        return ("合用" in self.name or "三合一" in self.name) or (
            self.stairs > 0 and self.fire_lift
        )

    @property
    def serves_lift(self) -> bool:
        """Serves a fire lift (消防电梯前室, shared ones included)."""
        return self.fire_lift or "消防电梯" in self.name or self.shared


def _rooms_named(ctx: CheckContext, discipline: str, marks: tuple[str, ...]) -> list[Item]:
    return [
        r
        for r, n in labelled_areas(ctx, discipline, "A-AREA", "A-AREA-IDEN")
        if any(m in n for m in marks)
    ]


def _near_counts(rooms: list[Item], others: list[tuple[Item, str]]) -> list[list[str]]:
    """For each room, the labels of ``others`` within one wall of it on the same sheet."""
    out: list[list[str]] = [[] for _ in rooms]
    if not rooms or not others:
        return out
    tree = shapely.STRtree([o.geometry for o, _ in others])
    r_idx, o_idx = tree.query([r.geometry for r in rooms], predicate="dwithin", distance=ADJACENT_M)
    for r, o in zip(r_idx.tolist(), o_idx.tolist(), strict=True):
        room, other = rooms[r], others[o][0]
        if other.drawing is room.drawing and other.obj.sheet == room.obj.sheet:
            out[r].append(others[o][1])
    return out


def front_rooms(ctx: CheckContext) -> list[FrontRoom]:
    """Front rooms of the fire drawings (F-FRNT), else rooms named 前室 on A-AREA.

    Stairs come from F-STRS (else rooms named 楼梯间), fire lifts from F-EVTR (else rooms
    named 消防电梯), on the same drawing and sheet.
    """
    found: list[tuple[Item, str]] = labelled_areas(ctx, "fire", "F-FRNT")
    discipline = "fire"
    if not found:
        for disc in ("fire", "architecture"):
            found = [
                (r, n)
                for r, n in labelled_areas(ctx, disc, "A-AREA", "A-AREA-IDEN")
                if any(m in n for m in FRONT_NAMES)
            ]
            if found:
                discipline = disc
                break
    if not found:
        return []
    stairs = labelled_areas(ctx, discipline, "F-STRS") if discipline == "fire" else []
    if not stairs:
        stairs = [(r, "楼梯间") for r in _rooms_named(ctx, discipline, ("楼梯",))]
    lifts = labelled_areas(ctx, discipline, "F-EVTR") if discipline == "fire" else []
    if not lifts:
        lifts = [(r, "消防电梯") for r in _rooms_named(ctx, discipline, ("消防电梯",))]
        lifts = [(r, n) for r, n in lifts if "前室" not in n]
    items = [r for r, _ in found]
    near_stairs = _near_counts(items, stairs)
    near_lifts = _near_counts(items, lifts)
    return [
        FrontRoom(
            item=r,
            name=n or "前室",
            stairs=len(near_stairs[k]),
            scissor="剪刀" in n or any("剪刀" in s for s in near_stairs[k]),
            fire_lift=bool(near_lifts[k]),
        )
        for k, (r, n) in enumerate(found)
    ]


def front_room_requirement(fr: FrontRoom, residential: bool) -> tuple[float, float | None, str]:
    """Minimum area, minimum short side (or None) and the case, for FIRE-010."""
    underground = is_basement(fr.item.floor)
    if fr.scissor and fr.serves_lift and fr.shared:
        return 12.0, 2.4, "剪刀楼梯间共用前室与消防电梯前室合用（三合一） / scissor three-in-one"
    if fr.shared:
        if residential:
            return 6.0, None, "住宅合用前室 / residential shared with fire lift"
        return 10.0, None, "公共建筑合用前室 / public shared with fire lift"
    if fr.scissor or "共用" in fr.name:
        return 6.0, None, "剪刀楼梯间共用前室 / scissor-stair shared front room"
    if residential and not underground:
        return 4.5, None, "住宅防烟楼梯间前室 / residential smoke-proof stair"
    return 6.0, None, "公共建筑、地下空间防烟楼梯间前室 / public or underground smoke-proof stair"


@rule("FIRE-010", "front-room-area", severity=Severity.ERROR, params=("building.use",))
def front_room_too_small(ctx: CheckContext) -> Iterator[Violation]:
    """Front-room area of smoke-proof stairs

    Measures the usable area of every front room: F-FRNT polygons of the fire drawings with
    their labels, else A-AREA rooms named 前室 / 合用前室 / 共用前室. The type comes from the name
    and from what the room adjoins within one wall (0.6 m): stair cores (F-STRS) and fire lifts
    (F-EVTR). Smoke-proof stair front room: public buildings and underground storeys 6.0 m²,
    residential 4.5 m². Shared with the fire lift: public 10.0 m², residential 6.0 m².
    Scissor-stair shared front room 6.0 m²; shared by scissor stairs and the fire lift
    (三合一) 12.0 m² with a short side of 2.4 m.

    Clause: GB 55037-2022 7.1.8(7); GB 50016-2014 (2018) 6.4.3, 5.5.28

    **Fails when** a front room's area (or, for 三合一, its short side) is below the minimum.

    **Passes when** every front room meets the minimum for its type.

    **Known limits** The area is the polygon's area; a polygon drawn on wall centre lines
    overstates it. Scissor stairs are recognised by 剪刀 in the stair or room label. A front room
    that serves only a fire lift is checked by FIRE-011. Civil-defence works are not recognised
    separately (they take the underground value). Not checked when no front room is drawn or
    the building use is unknown.
    """
    rooms = front_rooms(ctx)
    if not rooms:
        raise NotChecked(
            "消防图纸中没有前室（F-FRNT 或名为前室的房间）",
            "no front rooms (F-FRNT, or rooms named 前室) in the drawings",
        )
    f = facts(ctx)
    if f.use is None:
        raise NotChecked("未给出建筑使用性质 building.use", "building.use is not given")
    residential = is_residential(f.use)
    for fr in rooms:
        if fr.stairs == 0 and not fr.shared and (fr.fire_lift or "消防电梯" in fr.name):
            continue  # a fire-lift lobby only: FIRE-011
        area_min, side_min, case = front_room_requirement(fr, residential)
        area = float(fr.item.geometry.area)
        short, _ = rect_sides(fr.item.geometry)
        params = {"use": f.use, "case": case, "floor": fr.item.floor, "area_min_m2": area_min}
        zh_case, en_case = case.split(" / ")
        if area < area_min - 1e-6:
            yield ctx.violation(
                fr.item,
                f"{fr.item.floor or '?'}层{fr.name}使用面积 {area:.2f} m² 小于{zh_case}的最小值"
                f" {area_min:g} m²",
                f"Front room {fr.name} on storey {fr.item.floor or '?'}: {area:.2f} m² is below "
                f"the minimum of {area_min:g} m² ({en_case})",
                measured=area,
                limit=area_min,
                unit="m²",
                params=params,
            )
        elif side_min is not None and short < side_min - 1e-6:
            yield ctx.violation(
                fr.item,
                f"{fr.item.floor or '?'}层{fr.name}短边 {short:.2f} m 小于 {side_min:g} m"
                f"（{zh_case}）",
                f"Front room {fr.name} on storey {fr.item.floor or '?'}: short side "
                f"{short:.2f} m is below {side_min:g} m ({en_case})",
                measured=short,
                limit=side_min,
                unit="m",
                params=params,
            )


@rule("FIRE-011", "fire-lift-lobby", severity=Severity.ERROR)
def fire_lift_lobby_too_small(ctx: CheckContext) -> Iterator[Violation]:
    """Fire-lift front room (消防电梯前室)

    Every front room that serves a fire lift — adjoining a fire lift on F-EVTR within one wall
    (0.6 m), named 消防电梯前室, or a shared front room (合用前室) — must have a usable area of at
    least 6.0 m² and a short side (of the minimum rotated rectangle) of at least 2.4 m. A fire
    lift with no front room next to it is reported too.

    Clause: GB 55037-2022 2.2.8; GB 50016-2014 (2018) 7.3.5

    **Fails when** a fire-lift front room is smaller than 6.0 m² or narrower than 2.4 m, or a
    fire lift has no front room.

    **Passes when** every fire lift has a front room of at least 6.0 m² and 2.4 m short side.

    **Known limits** Shared front rooms must also meet FIRE-010 (checked there). The short side
    of an L-shaped room is that of its bounding rectangle, which may overstate the usable depth.
    Fire lifts in the architecture drawings are only used when the fire drawings carry none.
    Not checked when neither fire lifts nor fire-lift front rooms are drawn.
    """
    rooms = front_rooms(ctx)
    lifts = [i for i, _ in labelled_areas(ctx, "fire", "F-EVTR")]
    lobbies = [fr for fr in rooms if fr.serves_lift]
    if not lobbies and not lifts:
        raise NotChecked(
            "图纸中没有消防电梯（F-EVTR）或消防电梯前室",
            "no fire lifts (F-EVTR) or fire-lift front rooms in the drawings",
        )
    for fr in lobbies:
        area = float(fr.item.geometry.area)
        short, _ = rect_sides(fr.item.geometry)
        params = {"floor": fr.item.floor, "area_min_m2": 6.0, "short_side_min_m": 2.4}
        narrow = short < 2.4 - 1e-6
        if area < 6.0 - 1e-6:
            also_zh = f"，短边 {short:.2f} m 也小于 2.4 m" if narrow else ""
            also_en = f"; its short side of {short:.2f} m is below 2.4 m too" if narrow else ""
            yield ctx.violation(
                fr.item,
                f"{fr.item.floor or '?'}层{fr.name}（消防电梯前室）使用面积 {area:.2f} m² 小于"
                f" 6.0 m²{also_zh}",
                f"Fire-lift front room {fr.name} on storey {fr.item.floor or '?'}: "
                f"{area:.2f} m² is below 6.0 m²{also_en}",
                measured=area,
                limit=6.0,
                unit="m²",
                params={**params, "short_side_m": round(short, 3)},
            )
        elif narrow:
            yield ctx.violation(
                fr.item,
                f"{fr.item.floor or '?'}层{fr.name}（消防电梯前室）短边 {short:.2f} m 小于 2.4 m",
                f"Fire-lift front room {fr.name} on storey {fr.item.floor or '?'}: short side "
                f"{short:.2f} m is below 2.4 m",
                measured=short,
                limit=2.4,
                unit="m",
                params=params,
            )
    served = [fr.item for fr in lobbies]
    if rooms and rooms[0].item.drawing.discipline.value != "fire":
        return  # front rooms from another drawing: adjacency to F-EVTR cannot be judged
    near = _near_counts(lifts, [(fr, "前室") for fr in served])
    for lift, found in zip(lifts, near, strict=True):
        if not found:
            yield ctx.violation(
                lift,
                f"{lift.floor or '?'}层消防电梯未设前室（{ADJACENT_M:g} m 范围内无前室）",
                f"Fire lift on storey {lift.floor or '?'} has no front room within "
                f"{ADJACENT_M:g} m",
                measured=0.0,
                limit=6.0,
                unit="m²",
                params={"floor": lift.floor, "adjacent_m": ADJACENT_M},
            )

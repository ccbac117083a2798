"""Corridors, daylight and doors: ARCH-002, ARCH-008 and ARCH-010.

Corridor width is the narrowest clear width of the corridor polygon, found by morphological
opening (see ``_widths``); daylight sums the windows on a room's walls; door types
come from the two rooms a door connects.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import shapely

from checkers.architecture._common import (
    ARCH,
    Room,
    edition,
    fmt,
    is_basement,
    near_pairs,
    numbers_for,
    residential_or_unknown,
    rooms,
    sheet_key,
)
from checkers.architecture._widths import narrowest_width, narrowest_widths
from checkers.context import CheckContext, Item
from checkers.findings import NotChecked, Violation
from checkers.registry import rule
from drawings.model import Severity

__all__ = ["corridor_too_narrow", "door_too_narrow", "narrowest_width", "window_area_too_small"]

PUBLIC_HIGH_RISE_M = 24.0
EPS = 1e-6
"""Tolerance of comparisons with limits (floating-point noise of drawing coordinates)."""


def _loading(room: Room, others: list[Room]) -> str:
    """``double`` when rooms line both sides of the corridor, else ``single``."""
    poly = room.geometry
    box = shapely.minimum_rotated_rectangle(poly)
    pts = list(box.exterior.coords)
    a = (pts[1][0] - pts[0][0], pts[1][1] - pts[0][1])
    b = (pts[2][0] - pts[1][0], pts[2][1] - pts[1][1])
    long_axis = a if math.hypot(*a) >= math.hypot(*b) else b
    n = math.hypot(*long_axis) or 1.0
    normal = (-long_axis[1] / n, long_axis[0] / n)
    c = poly.centroid
    sides = set()
    for other in others:
        p = other.geometry.centroid
        s = (p.x - c.x) * normal[0] + (p.y - c.y) * normal[1]
        if abs(s) > 0.1:
            sides.add(s > 0)
    return "double" if len(sides) == 2 else "single"


@rule(
    "ARCH-002",
    "corridor-width",
    params=("building.use", "building.height_m", "project.code_edition"),
)
def corridor_too_narrow(ctx: CheckContext) -> Iterator[Violation]:
    """Clear width of public corridors.

    Rooms named 走道 / 走廊 / 内廊 / 公共走廊 on A-AREA are measured at their narrowest: a
    rectangle by its short side, any other shape by morphological opening (the widest square
    that passes everywhere), which ignores door niches and other recesses shallower than they
    are wide.

    Clause: GB 55031-2022 5.3.12; GB 55038-2025 4.2.1; GB 55037-2022 7.1.4; GB 50016-2014 (2018) 5.5.18

    **Fails when** a public-building corridor is narrower than 1.30 m, a residential common
    corridor narrower than 1.20 m (2025) or 1.10 m (2011). Warnings (GB 50016) for public
    buildings above 24 m: medical 1.40 m single-loaded / 1.50 m double-loaded, others 1.30 /
    1.40 m.

    **Passes when** every corridor reaches its width.

    **Known limits** A corridor is double-loaded when named rooms within 0.5 m lie on both sides
    of its long axis; bent corridors may be misjudged. Columns and other obstacles count only
    when they are cut out of the room polygon. Corridors inside dwellings (过道) are not public
    corridors.
    """
    use = ctx.use
    if use is None:
        raise NotChecked(
            "未声明建筑用途（building.use），ARCH-002 未检查",
            "the building's use (building.use) is not declared; ARCH-002 not checked",
        )
    all_rooms = rooms(ctx)
    corridors = [r for r in all_rooms if "corridor" in r.types]
    if not corridors:
        raise NotChecked(
            "建筑图中没有名称为走道、走廊或内廊的房间，ARCH-002 未检查",
            "no room named 走道 / 走廊 / 内廊 (corridor) on A-AREA; ARCH-002 not checked",
        )
    height = ctx.height_m
    ed = edition(ctx)
    named = [r for r in all_rooms if r.name and "corridor" not in r.types]
    near = near_pairs(
        [c.geometry.buffer(0.5) for c in corridors], [r.geometry for r in named], "intersects"
    )
    beside: dict[int, list[Room]] = {}
    for ci, ri in near:
        if named[ri].key == corridors[ci].key:
            beside.setdefault(ci, []).append(named[ri])
    widths = narrowest_widths([c.geometry for c in corridors])
    for ci, (room, (width, where)) in enumerate(zip(corridors, widths, strict=True)):
        warning: float | None = None
        loading = None
        if use == "residential":
            error = 1.20 if ed == "2025" else 1.10
        else:
            error = 1.30
            if height is not None and height > PUBLIC_HIGH_RISE_M:
                loading = _loading(room, beside.get(ci, []))
                double = loading == "double"
                warning = (
                    (1.50 if double else 1.40) if use == "medical" else (1.40 if double else 1.30)
                )
        params: dict[str, Any] = {
            "use": use,
            "height_m": height,
            "code_edition": ed,
            "error_min_m": error,
            "warning_min_m": warning,
            "loading": loading,
        }
        if width < error - EPS:
            limit, sev, note_zh, note_en = error, None, "", ""
        elif warning is not None and width < warning - EPS:
            limit, sev = warning, Severity.WARNING
            side = "双面布房" if loading == "double" else "单面布房"
            note_zh, note_en = (
                f"（高层公共建筑{side}走道，GB 50016 建议值）",
                f" ({loading}-loaded corridor of a high-rise public building, GB 50016)",
            )
        else:
            continue
        yield ctx.violation(
            room.item,
            f"「{room.name}」最窄处净宽 {fmt(width, 3)} m，小于 {fmt(limit)} m{note_zh}",
            f"corridor '{room.name}' is {fmt(width, 3)} m wide at its narrowest, below {fmt(limit)} m{note_en}",
            measured=width,
            limit=limit,
            unit="m",
            severity=sev,
            params=params,
            geometry=where,
            handles=room.handles,
        )


def _inserts(ctx: CheckContext, group: str) -> list[Item]:
    return [i for i in ctx.items(ARCH, group, kinds=("INSERT",)) if not i.obj.in_block]


@rule("ARCH-008", "window-floor-ratio", params=("project.code_edition",))
def window_area_too_small(ctx: CheckContext) -> Iterator[Violation]:
    """Window-to-floor area ratio of bedrooms, living rooms, kitchens and stair halls.

    The windows of a room are the A-WIND blocks on its walls (touching the room and no other
    room, i.e. in external walls). A window's width is the block's width, else the number's; its
    height comes from the number on A-WIND-IDEN (C1518 = 1.50 m × 1.80 m, a drafting
    convention). The ratio is Σ width × height ÷ usable area.

    Clause: GB 50096-2011 7.1.5, 7.1.6; GB 55038-2025 6.2.2

    **Fails when** a bedroom, living room or kitchen has a ratio below 1/7, or a stair hall
    (楼梯间) that has windows a ratio below 1/12. Under edition 2025 a bedroom, living room or
    kitchen without any window is an error (direct daylight is required); under 2011 it is a
    warning for the reviewer.

    **Passes when** every room reaches its ratio.

    **Known limits** The window area is the nominal opening, not the glazed daylight area (the
    part below 0.80 m above floor is not deducted). A window whose height cannot be read from a
    number is reported as info and the room is not evaluated. Windows in internal walls and
    borrowed light are not counted.
    """
    residential_or_unknown(ctx, "ARCH-008")
    ed = edition(ctx)
    windows = _inserts(ctx, "A-WIND")
    if not windows:
        raise NotChecked(
            "建筑图中没有窗（A-WIND 图块），ARCH-008 未检查",
            "no window blocks on A-WIND; ARCH-008 not checked",
        )
    all_rooms = rooms(ctx)
    habitable = {"bedroom", "living", "kitchen"}
    targets = [r for r in all_rooms if r.types & habitable or "stair_hall" in r.types]
    if not targets:
        raise NotChecked(
            "建筑图中没有卧室、起居室、厨房或楼梯间，ARCH-008 未检查",
            "no bedroom, living room, kitchen or stair hall; ARCH-008 not checked",
        )
    numbers = numbers_for(windows, ctx.items(ARCH, "A-WIND-IDEN", texts=True), "window")
    touching: dict[int, list[int]] = {}
    shapes = [w.geometry for w in windows]
    grown = shapely.buffer(shapes, [0.05 if g.area > 0 else 0.3 for g in shapes]).tolist()
    for wi, ri in near_pairs(grown, [r.geometry for r in all_rooms], "intersects"):
        if sheet_key(windows[wi]) == all_rooms[ri].key:
            touching.setdefault(wi, []).append(ri)
    per_room: dict[int, list[int]] = {}
    for wi, rs in touching.items():
        if len(rs) == 1:
            per_room.setdefault(rs[0], []).append(wi)
    index = {id(r): k for k, r in enumerate(all_rooms)}
    for room in targets:
        stair = not (room.types & habitable)
        limit = 1 / 12 if stair else 1 / 7
        area = room.geometry.area
        mine = per_room.get(index[id(room)], [])
        params: dict[str, Any] = {"code_edition": ed, "ratio_min": round(limit, 4)}
        if not mine:
            if stair:
                continue
            yield ctx.violation(
                room.item,
                f"「{room.name}」没有外窗，无直接采光",
                f"'{room.name}' has no window in an external wall: no direct daylight",
                measured=0.0,
                limit=round(limit, 4),
                unit="ratio",
                params=params,
                severity=None if ed == "2025" else Severity.WARNING,
                handles=room.handles,
            )
            continue
        total, unknown = 0.0, []
        for wi in mine:
            w = windows[wi]
            number = numbers.get(wi)
            width = w.obj.size[0] if w.obj.size else (number[0] if number else None)
            if width is None or number is None:
                unknown.append(w.obj.handle)
                continue
            total += width * number[1]
        handles = (*room.handles, *(windows[wi].obj.handle for wi in mine))
        if unknown:
            yield ctx.violation(
                room.item,
                f"「{room.name}」的窗缺少可识别的编号（如 C1518），无法计算窗地面积比，请人工复核",
                f"'{room.name}': a window has no readable number (e.g. C1518); the ratio cannot be computed",
                severity=Severity.INFO,
                params=params,
                handles=handles,
            )
            continue
        ratio = total / area if area > 0 else 0.0
        params["window_area_m2"] = round(total, 3)
        if ratio < limit - EPS:
            yield ctx.violation(
                room.item,
                f"「{room.name}」窗地面积比 {fmt(ratio, 3)}（窗 {fmt(total)} m² / 地面 {fmt(area)} m²），"
                f"小于 1/{12 if stair else 7}",
                f"'{room.name}' has a window-to-floor ratio of {fmt(ratio, 3)} ({fmt(total)} m² / "
                f"{fmt(area)} m²), below 1/{12 if stair else 7}",
                measured=ratio,
                limit=round(limit, 4),
                unit="ratio",
                params=params,
                handles=handles,
            )


_DWELLING = re.compile(r"卧|起居|客厅|餐厅|厨房|卫|厕|门厅|玄关|过道|书房")
"""Rooms that only a dwelling has; a door from one of them to a common area is the entrance."""


def _door_kind(a: Room, b: Room | None) -> str | None:
    """``entrance``, ``bedroom`` or ``wet`` (kitchen / bathroom) from the rooms a door joins."""
    sides = [a] if b is None else [a, b]
    common = [r for r in sides if "common" in r.types]
    dwelling = [r for r in sides if "common" not in r.types and _DWELLING.search(r.name)]
    if len(sides) == 2 and len(common) == 1 and len(dwelling) == 1:
        return "entrance"
    if common or not dwelling:
        return None
    if any("bedroom" in r.types for r in dwelling):
        return "bedroom"
    if any(r.types & {"kitchen", "bathroom"} for r in dwelling):
        return "wet"
    return None


def _opening_mids(doors: list[Item]) -> list[Any]:
    """Middle of each door opening: half the block width along its x axis from the insertion
    (all such points made in one call), else the centroid of the block."""
    out: list[Any] = [None] * len(doors)
    placed: list[int] = []
    xy: list[tuple[float, float]] = []
    for k, door in enumerate(doors):
        o = door.obj
        if o.point is not None and o.size is not None:
            a = math.radians(o.rotation)
            placed.append(k)
            xy.append(
                (
                    o.point[0] + 0.5 * o.size[0] * math.cos(a),
                    o.point[1] + 0.5 * o.size[0] * math.sin(a),
                )
            )
        else:
            out[k] = door.geometry.centroid
    for k, point in zip(
        placed, shapely.points(np.asarray(xy).reshape(-1, 2)).tolist(), strict=True
    ):
        out[k] = point
    return out


@rule(
    "ARCH-010",
    "door-clear-width",
    params=(
        "project.code_edition",
        "project.retrofit",
        "project.door_frame_deduction_m",
        "building.dwelling_door_min_m",
    ),
)
def door_too_narrow(ctx: CheckContext) -> Iterator[Violation]:
    """Clear width of dwelling doors.

    The opening width is the door block's width on A-DOOR, else the number on A-DOOR-IDEN
    (M0921 = 0.90 m); the clear width deducts ``project.door_frame_deduction_m``. A door's type
    comes from the rooms within 0.45 m of the middle of its opening: the entrance door joins a
    dwelling room with a common area (走道, 前室, 电梯厅, 楼梯间 …); bedroom, kitchen and bathroom
    doors open into those rooms.

    Clause: GB 55038-2025 4.1.14; GB 50096-2011 5.8.7

    **Fails when** (2025) the entrance door is below 0.90 m (0.80 m when ``project.retrofit``),
    a bedroom door below 0.80 m, a kitchen or bathroom door below 0.70 m. Under 2011 the minima
    are ``building.dwelling_door_min_m`` (default the same values, unverified) and findings are
    warnings.

    **Passes when** every dwelling door reaches its width.

    **Known limits** Doors whose rooms are unnamed or not recognised (storerooms, balconies,
    shafts) are skipped, and so are doors on basement storeys (no dwelling lies below ground,
    see ARCH-009). A door on a wall shared by three rooms may be typed by the nearest two.
    """
    residential_or_unknown(ctx, "ARCH-010")
    doors = _inserts(ctx, "A-DOOR")
    if not doors:
        raise NotChecked(
            "建筑图中没有门（A-DOOR 图块），ARCH-010 未检查",
            "no door blocks on A-DOOR; ARCH-010 not checked",
        )
    all_rooms = [r for r in rooms(ctx) if r.name]
    ed = edition(ctx)
    p = ctx.params
    if ed == "2025":
        entrance, retro, bedroom, wet = 0.90, 0.80, 0.80, 0.70
        sev: Severity | None = None
    else:
        entrance, retro, bedroom, wet = p.building().dwelling_door_min_m
        sev = Severity.WARNING
    limits = {"entrance": retro if p.retrofit else entrance, "bedroom": bedroom, "wet": wet}
    names = {
        "entrance": ("户门", "entrance door"),
        "bedroom": ("卧室门", "bedroom door"),
        "wet": ("厨房、卫生间门", "kitchen or bathroom door"),
    }
    numbers = numbers_for(doors, ctx.items(ARCH, "A-DOOR-IDEN", texts=True), "door")
    mids = _opening_mids(doors)
    pairs = [
        (di, ri)
        for di, ri in near_pairs(
            shapely.buffer(mids, 0.45).tolist(), [r.geometry for r in all_rooms], "intersects"
        )
        if all_rooms[ri].key == sheet_key(doors[di])
    ]
    gaps = shapely.distance(
        [all_rooms[ri].geometry for _, ri in pairs], [mids[di] for di, _ in pairs]
    )
    near: dict[int, list[tuple[float, Room]]] = {}
    for (di, ri), gap in zip(pairs, gaps.tolist(), strict=True):
        near.setdefault(di, []).append((gap, all_rooms[ri]))
    typed = 0
    for di, door in enumerate(doors):
        if is_basement(door):
            continue  # no dwelling below ground (ARCH-009): basement doors are not dwelling doors
        found = sorted(near.get(di, []), key=lambda t: t[0])[:2]
        if not found:
            continue
        kind = _door_kind(found[0][1], found[1][1] if len(found) > 1 else None)
        if kind is None:
            continue
        typed += 1
        number = numbers.get(di)
        width = door.obj.size[0] if door.obj.size else (number[0] if number else None)
        if width is None:
            continue
        clear = width - p.door_frame_deduction_m
        limit = limits[kind]
        if clear >= limit - EPS:
            continue
        zh, en = names[kind]
        joined = "、".join(r.name for _, r in found)
        yield ctx.violation(
            door,
            f"{zh}（{joined}）净宽 {fmt(clear)} m，小于 {fmt(limit)} m",
            f"{en} ({' / '.join(r.name for _, r in found)}) has a clear width of {fmt(clear)} m, "
            f"below {fmt(limit)} m",
            measured=clear,
            limit=limit,
            unit="m",
            severity=sev,
            params={
                "code_edition": ed,
                "retrofit": p.retrofit,
                "door_type": kind,
                "opening_m": width,
                "frame_deduction_m": p.door_frame_deduction_m,
            },
        )
    if typed == 0:
        raise NotChecked(
            "未能识别住宅套内或户门（门两侧房间无法识别），ARCH-010 未检查",
            "no dwelling door recognised from the rooms it joins; ARCH-010 not checked",
        )

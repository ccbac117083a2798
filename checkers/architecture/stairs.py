"""Stairs: flight width, tread depth, risers per flight and landing depth (ARCH-001, 003, 011, 012).

Flights are read by :mod:`checkers.architecture._flights`: closed A-STRS outlines holding tread
lines. The room around a flight (A-AREA) tells an external stair (室外楼梯) and a stair inside a
dwelling (套内, in a living room, bedroom ...) from evacuation and public stairs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checkers.architecture._common import ARCH, fmt
from checkers.architecture._flights import Flight, flights, strip
from checkers.context import CheckContext
from checkers.findings import NotChecked, Violation
from checkers.registry import rule
from drawings.model import Severity

__all__ = ["flight_too_narrow", "landing_too_shallow", "too_many_risers", "tread_too_shallow"]

PUBLIC_HIGH_RISE_M = 24.0
EPS = 1e-6
"""Tolerance of comparisons with limits (floating-point noise of drawing coordinates)."""
RESIDENTIAL_RAILING_H_M = 18.0
CROWDED_USES = frozenset({"shop", "medical", "hotel", "entertainment", "exhibition"})


def _use(ctx: CheckContext, code: str) -> str:
    use = ctx.use
    if use is None:
        raise NotChecked(
            f"未声明建筑用途（building.use），{code} 未检查",
            f"the building's use (building.use) is not declared; {code} not checked",
        )
    return use


def _interior(flight: Flight) -> bool:
    """The flight lies inside a dwelling (套内楼梯), not on an evacuation or public stair."""
    return flight.room is not None and "dwelling_interior" in flight.room.types


def _where(flight: Flight) -> tuple[str, str]:
    name = flight.enclosure_name
    return (f"「{name}」内的梯段" if name else "梯段", f"flight in '{name}'" if name else "flight")


@rule(
    "ARCH-001",
    "stair-width",
    params=("building.use", "building.height_m", "project.code_edition"),
)
def flight_too_narrow(ctx: CheckContext) -> Iterator[Violation]:
    """Clear width of evacuation and public stair flights.

    The clear width of each flight is the extent of its A-STRS outline along the tread lines
    (the outline is drawn from the wall face or railing to the handrail centre line). Flights
    in rooms named 室外… are external stairs; flights inside dwelling rooms are not checked.

    Clause: GB 55037-2022 7.1.4; GB 55031-2022 5.3.2, 5.3.3; GB 55038-2025 4.2.2; GB 50016-2014 (2018) 5.5.18, 6.4.5

    **Fails when** an indoor flight is narrower than 1.10 m (public and residential buildings),
    an external evacuation stair narrower than 0.80 m. Warnings (GB 50016): high-rise
    (H > 24 m) medical buildings below 1.30 m, other high-rise public buildings below 1.20 m,
    external evacuation stairs below 0.90 m. In a residential building with H ≤ 18 m a flight
    of 1.00–1.10 m is a warning: it is allowed only with a railing on one side (edition 2025:
    and the top entrance floor at most 15 m high), which the reviewer confirms.

    **Passes when** every flight reaches its width.

    **Known limits** Railings, handrail positions and the height of the top entrance floor are
    not read; H is the declared height. Fan and spiral flights are measured on their outline.
    Stairs inside dwellings (套内楼梯) are skipped.
    """
    use = _use(ctx, "ARCH-001")
    height = ctx.height_m
    ed = ctx.params.code_edition
    for f in flights(ctx):
        if _interior(f):
            continue
        zh, en = _where(f)
        params: dict[str, Any] = {"use": use, "height_m": height, "code_edition": ed}
        relaxed: float | None = None
        if f.room is not None and "external" in f.room.types:
            error, warning, kind_zh, kind_en = (
                0.80,
                0.90,
                "室外疏散楼梯",
                "external evacuation stair",
            )
        elif use == "residential":
            error, warning, kind_zh, kind_en = 1.10, None, "住宅疏散楼梯", "residential stair"
            if height is not None and height <= RESIDENTIAL_RAILING_H_M:
                relaxed = 1.00
        else:
            error, kind_zh, kind_en = 1.10, "公共建筑疏散楼梯", "public-building stair"
            warning = None
            if height is not None and height > PUBLIC_HIGH_RISE_M:
                warning = 1.30 if use == "medical" else 1.20
        params.update(error_min_m=error, warning_min_m=warning, relaxed_min_m=relaxed)
        w = f.width
        if w < (relaxed or error) - EPS:
            limit, sev = (relaxed or error), None
            note_zh = note_en = ""
        elif relaxed is not None and w < error - EPS:
            limit, sev = error, Severity.WARNING
            note_zh = (
                "；仅当一侧为栏杆"
                + ("且最高入口层楼面不高于 15 m" if ed == "2025" else "")
                + "时可为 1.00 m，请复核"
            )
            note_en = (
                "; 1.00 m is allowed only with a railing on one side"
                + (" and the top entrance floor at most 15 m high" if ed == "2025" else "")
                + ": confirm"
            )
        elif warning is not None and w < warning - EPS:
            limit, sev = warning, Severity.WARNING
            note_zh, note_en = "（GB 50016 建议值）", " (GB 50016 value)"
        else:
            continue
        yield ctx.violation(
            f.item,
            f"{kind_zh}{zh}净宽 {fmt(w)} m，小于 {fmt(limit)} m{note_zh}",
            f"{kind_en}: {en} has a clear width of {fmt(w)} m, below {fmt(limit)} m{note_en}",
            measured=w,
            limit=limit,
            unit="m",
            severity=sev,
            params=params,
            handles=f.handles,
        )


def _tread_limits(ctx: CheckContext, use: str, f: Flight) -> tuple[float | None, float | None, str]:
    """(error minimum, warning minimum, row) for a flight's tread depth."""
    if _interior(f):
        return None, 0.22, "套内楼梯"
    if use == "residential":
        return 0.26, None, "住宅公共楼梯"
    if use in ("dormitory", "apartment"):
        return 0.26, (0.27 if use == "dormitory" else None), "非住宅类居住建筑"
    if use in ("kindergarten", "nursery"):
        return None, 0.26, "托儿所、幼儿园"
    if use in ("school", "teaching"):
        return None, 0.28, "中小学、高校"
    if use == "elderly":
        return None, 0.30, "老年人住宅"
    if use == "elderly_care":
        return None, 0.32, "老年人公共建筑"
    lifts = bool(ctx.items(ARCH, "A-EVTR"))
    height = ctx.height_m
    error = 0.25 if lifts and height is not None and height > PUBLIC_HIGH_RISE_M else 0.26
    warning = 0.28 if use in CROWDED_USES else None
    row = "以电梯为主的高层公共建筑" if error == 0.25 else "公共建筑"
    return error, warning, row


@rule("ARCH-003", "stair-tread", params=("building.use", "building.height_m"))
def tread_too_shallow(ctx: CheckContext) -> Iterator[Violation]:
    """Tread depth of stair flights.

    The tread depth is the perpendicular spacing of consecutive parallel tread lines inside a
    flight outline on A-STRS, the outline's ends counting as the first and last nosing; the
    smallest depth of each flight is reported.

    Clause: GB 55031-2022 5.3.9; GB 50352-2019 Table 6.8.10

    **Fails when** the smallest tread is below Table 5.3.9: 0.26 m for residential common
    stairs, non-residential dwellings (宿舍 …) and public buildings, 0.25 m for lift-served
    (lifts on A-EVTR) public buildings above 24 m. Warnings (GB 50352 Table 6.8.10): nursery
    and kindergarten 0.26, schools 0.28, elderly housing 0.30, elderly public buildings 0.32,
    dormitories 0.27, crowded buildings (shops, hospitals, hotels, theatres, exhibitions) 0.28,
    stairs inside a dwelling 0.22.

    **Passes when** every tread reaches the depth for the building's use.

    **Known limits** Spiral and fan steps (tread lines not parallel) are not measured at 0.25 m
    from the inner handrail: they are reported as info for manual review. Schools are held to
    0.28 m (primary schools need only 0.26 m). Tread lines shorter than half the flight width
    are ignored.
    """
    use = _use(ctx, "ARCH-003")
    for f in flights(ctx):
        zh, en = _where(f)
        error, warning, row = _tread_limits(ctx, use, f)
        params = {
            "use": use,
            "height_m": ctx.height_m,
            "error_min_m": error,
            "warning_min_m": warning,
            "row": row,
        }
        if f.fan:
            yield ctx.violation(
                f.item,
                f"{zh}为螺旋或扇形踏步，须在距内侧扶手中心线 0.25 m 处人工复核踏步宽度（≥ 0.22 m）",
                f"{en} has spiral or fan steps; check the tread 0.25 m from the inner handrail "
                "manually (≥ 0.22 m)",
                severity=Severity.INFO,
                limit=0.22,
                unit="m",
                params=params,
                handles=f.handles,
            )
            continue
        treads = f.treads
        if not treads:
            continue
        depth = min(treads)
        if error is not None and depth < error - EPS:
            limit, sev = error, None
        elif warning is not None and depth < warning - EPS:
            limit, sev = warning, Severity.WARNING
        else:
            continue
        yield ctx.violation(
            f.item,
            f"{zh}踏步宽度最小 {fmt(depth, 3)} m，小于{row}的 {fmt(limit)} m",
            f"{en} has a tread of {fmt(depth, 3)} m, below {fmt(limit)} m ({row})",
            measured=depth,
            limit=limit,
            unit="m",
            severity=sev,
            params=params,
            handles=f.handles,
        )


@rule("ARCH-011", "stair-riser-count")
def too_many_risers(ctx: CheckContext) -> Iterator[Violation]:
    """Risers per stair flight.

    Risers = treads + 1, where the treads are the spaces between consecutive tread lines of a
    flight on A-STRS, the outline's ends counting as the first and last nosing.

    Clause: GB 55031-2022 5.3.8

    **Fails when** a flight has more than 18 risers or fewer than 2.

    **Passes when** every flight has 2 to 18 risers.

    **Known limits** Tread lines that coincide (within 0.01 m) count once; a flight drawn
    across a storey break line is counted as drawn on the plan. Outlines without tread lines are
    not read as flights, so the lower bound (2 risers) is reached only by a flight whose single
    tread line lies on its end.
    """
    for f in flights(ctx):
        n = f.risers
        if 2 <= n <= 18:
            continue
        zh, en = _where(f)
        limit = 18.0 if n > 18 else 2.0
        word_zh, word_en = ("多于", "more than") if n > 18 else ("少于", "fewer than")
        yield ctx.violation(
            f.item,
            f"{zh}踏步数 {n} 级，{word_zh} {int(limit)} 级",
            f"{en} has {n} risers, {word_en} {int(limit)}",
            measured=n,
            limit=limit,
            unit="risers",
            params={"min": 2, "max": 18},
            handles=f.handles,
        )


@rule("ARCH-012", "stair-landing")
def landing_too_shallow(ctx: CheckContext) -> Iterator[Violation]:
    """Landing depth at both ends of every flight.

    Landings are not drawn as objects of their own: a landing is the part of the stair hall
    beyond a flight's end. Its depth is measured along the flight from the flight's end to the
    first wall face of the room around it (A-AREA room or stair-core outline on A-STRS), or to
    the next flight in line. Where other flights share the stair hall side by side, the landing
    serves a turn; where the next flight continues in line, it is the intermediate landing of a
    straight stair.

    Clause: GB 55031-2022 5.3.5; GB 50352-2019 6.8.4

    **Fails when** a landing at a turn is shallower than 1.20 m or than the widest flight of the
    stair hall, or a landing of a straight stair (flights in line, or a single flight in its
    hall) is shallower than 0.90 m.

    **Passes when** every landing reaches its depth.

    **Known limits** The 1.30 m required where the turning end has a solid wall with a handrail
    is not applied (walls and handrails between flights are not read); the reviewer confirms.
    Floor landings of a single flight are held to 0.90 m. Flights with no room around them are
    skipped; when no flight has one, the rule is not checked.
    """
    all_flights = flights(ctx)
    by_hall: dict[int, list[Flight]] = {}
    for f in all_flights:
        if f.enclosure is not None:
            by_hall.setdefault(id(f.enclosure), []).append(f)
    if not by_hall:
        raise NotChecked(
            "梯段外没有楼梯间房间轮廓（A-AREA）或楼梯间轮廓，无法量取平台深度，ARCH-012 未检查",
            "no stair hall (A-AREA room or stair-core outline) around the flights; ARCH-012 not checked",
        )
    for hall in by_hall.values():
        encl = hall[0].enclosure
        assert encl is not None
        x0, y0, x1, y1 = encl.geometry.bounds
        reach = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 + 1.0
        seen: dict[tuple[Any, ...], list[Any]] = {}
        for f in hall:
            others = [g for g in hall if g is not f]
            for at_end in (False, True):
                band = strip(f, at_end, reach)
                in_line = [g for g in others if band.intersects(g.geometry)]
                hits = band.intersection(encl.geometry.exterior)
                for g in in_line:
                    hits = hits.union(band.intersection(g.geometry))
                if hits.is_empty:
                    continue
                end = f.nosings[-1] if at_end else f.nosings[0]
                sign = 1.0 if at_end else -1.0
                depth = min(
                    sign * (x * f.travel[0] + y * f.travel[1] - end) for x, y in _coords(hits)
                )
                if in_line or not others:
                    limit = 0.90
                else:
                    limit = max(1.20, f.width, *(g.width for g in others))
                key = (round(f.travel[0], 2), round(f.travel[1], 2), at_end, round(end, 1))
                prev = seen.get(key)
                if prev is None:
                    seen[key] = [depth, limit, f, at_end, list(f.handles)]
                    continue
                prev[4].extend(f.handles)
                prev[1] = max(prev[1], limit)
                if depth < prev[0]:
                    prev[0], prev[2], prev[3] = depth, f, at_end
        for depth, limit, f, at_end, handles in seen.values():
            if depth >= limit - EPS:
                continue
            zh, en = _where(f)
            turn = limit > 0.90
            kind_zh = "转向处平台" if turn else "直跑楼梯平台"
            kind_en = "landing at a turn" if turn else "landing of a straight stair"
            yield ctx.violation(
                f.item,
                f"{zh}端部的{kind_zh}深度 {fmt(depth)} m，小于 {fmt(limit)} m",
                f"{kind_en} at the end of the {en} is {fmt(depth)} m deep, below {fmt(limit)} m",
                measured=depth,
                limit=limit,
                unit="m",
                geometry=strip(f, at_end, max(depth, 0.01)),
                handles=tuple(dict.fromkeys(handles)),
                params={"turn": turn, "flight_width_m": round(f.width, 3)},
            )


def _coords(geom: Any) -> Iterator[tuple[float, float]]:
    """All vertices of a geometry of any type."""
    if hasattr(geom, "geoms"):
        for part in geom.geoms:
            yield from _coords(part)
    elif geom.geom_type == "Polygon":
        yield from ((float(x), float(y)) for x, y, *_ in geom.exterior.coords)
    else:
        yield from ((float(x), float(y)) for x, y, *_ in geom.coords)

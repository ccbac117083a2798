"""Evacuation rules: exit count (FIRE-004), exit spacing (FIRE-005) and exit-door width
(FIRE-006); the evacuation distance (FIRE-003) is in ``distances``.

They share one picture of each storey: its compartments (F-AREA), the safe exits (F-EXIT) in
or on the edge of each compartment, and the doors (A-DOOR) with the rooms on either side.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import shapely

from checkers.context import CheckContext, Item
from checkers.findings import Violation
from checkers.params import FireParams
from checkers.registry import rule
from drawings.model import Severity

from .common import (
    Door,
    Facts,
    doors,
    exits,
    facts,
    is_basement,
    is_common,
    is_residential,
    labelled_areas,
    min_distance_pairs,
    need,
)

__all__ = [
    "Storey",
    "dwelling_storey",
    "exit_door_too_narrow",
    "exit_doors",
    "exits_too_close",
    "nearest_exit",
    "storey_doors",
    "storeys",
    "too_few_exits",
]

#: An exit drawn on a compartment's edge (or in its external wall) belongs to it.
EXIT_REACH_M = 0.3
SPACING_MIN_M = 5.0


@dataclass(frozen=True, slots=True)
class Storey:
    """One compartment of one storey with its exits."""

    compartment: Item
    label: str
    exits: tuple[Item, ...]


def storeys(ctx: CheckContext) -> list[Storey]:
    """Every compartment with the safe exits on or inside it (STR-tree query)."""
    comps = labelled_areas(ctx, "fire", "F-AREA")
    if not comps:
        ctx.require("fire", "F-AREA", closed=True)
    marks = exits(ctx)
    found: dict[int, list[Item]] = {}
    if marks:
        tree = shapely.STRtree([m.geometry for m in marks])
        c_idx, m_idx = tree.query(
            [c.geometry for c, _ in comps], predicate="dwithin", distance=EXIT_REACH_M
        )
        for c, m in zip(c_idx.tolist(), m_idx.tolist(), strict=True):
            comp, mark = comps[c][0], marks[m]
            if mark.drawing is comp.drawing and mark.obj.sheet == comp.obj.sheet:
                found.setdefault(c, []).append(mark)
    return [Storey(c, label, tuple(found.get(k, []))) for k, (c, label) in enumerate(comps)]


def dwelling_storey(f: Facts, floor: str | None) -> bool:
    return is_residential(f.use) and not is_basement(floor)


def exit_doors(ctx: CheckContext, all_doors: list[Door]) -> set[int]:
    """Indices of doors whose opening meets a safe-exit marker on the same sheet."""
    marks = exits(ctx)
    if not marks or not all_doors:
        return set()
    tree = shapely.STRtree([m.geometry for m in marks])
    d_idx, m_idx = tree.query(
        [d.opening for d in all_doors], predicate="dwithin", distance=EXIT_REACH_M
    )
    return {
        int(d)
        for d, m in zip(d_idx.tolist(), m_idx.tolist(), strict=True)
        if marks[m].drawing is all_doors[d].item.drawing
        and marks[m].obj.sheet == all_doors[d].item.obj.sheet
    }


@rule("FIRE-005", "exit-spacing", severity=Severity.ERROR)
def exits_too_close(ctx: CheckContext) -> Iterator[Violation]:
    """Spacing of safe exits and of room doors

    Measures the distance between the nearest edges of every two safe exits (F-EXIT) of the
    same compartment and storey (F-AREA; exits on a shared edge belong to both), and, in
    non-residential storeys, of every two evacuation doors of the same room (A-DOOR INSERTs
    between the room and a common space, rooms on A-AREA). Pairs come from an STR-tree query.

    Clause: GB 50016-2014 (2018) 5.5.2

    **Fails when** two exits of one compartment, or two evacuation doors of one room, are less
    than 5 m apart.

    **Passes when** all such pairs are at least 5 m apart.

    **Known limits** Residential units (单元) are not drawn: the compartment stands for the unit.
    Doors inside dwellings are not evacuation doors and are not compared. Doors are compared by
    their opening lines (insertion point along the block's x axis for the door width); exits by
    their marker geometry. Not checked without compartments (F-AREA) and exits (F-EXIT).
    """
    ctx.require("fire", "F-EXIT")
    seen: set[tuple[str, ...]] = set()
    for st in storeys(ctx):
        for a, b, d in min_distance_pairs([e.geometry for e in st.exits], SPACING_MIN_M):
            ea, eb = st.exits[a], st.exits[b]
            key = tuple(sorted((ea.obj.handle, eb.obj.handle)))
            if key in seen:
                continue
            seen.add(key)
            yield ctx.violation(
                ea,
                f"{ea.floor or '?'}层{st.label or '防火分区'}的两个安全出口最近边缘间距 "
                f"{d:.2f} m，小于 {SPACING_MIN_M:g} m",
                f"Two safe exits of compartment {st.label} on storey {ea.floor or '?'} are "
                f"{d:.2f} m apart (nearest edges), below {SPACING_MIN_M:g} m",
                geometry=shapely.shortest_line(ea.geometry, eb.geometry),
                handles=key,
                measured=d,
                limit=SPACING_MIN_M,
                unit="m",
                params={"floor": ea.floor, "compartment": st.label},
            )
    f = facts(ctx)
    by_room: dict[int, list[Door]] = {}
    for door in doors(ctx):
        if dwelling_storey(f, door.item.floor) or not door.room_door(False):
            continue
        for name, room in zip(door.sides, door.rooms, strict=True):
            if room is not None and name is not None and not is_common(name, False):
                by_room.setdefault(id(room), []).append(door)
    for group in by_room.values():
        for a, b, d in min_distance_pairs([x.opening for x in group], SPACING_MIN_M):
            da, db = group[a], group[b]
            yield ctx.violation(
                da.item,
                f"{da.item.floor or '?'}层同一房间的两个疏散门间距 {d:.2f} m，小于 "
                f"{SPACING_MIN_M:g} m",
                f"Two evacuation doors of one room on storey {da.item.floor or '?'} are "
                f"{d:.2f} m apart, below {SPACING_MIN_M:g} m",
                geometry=shapely.shortest_line(da.opening, db.opening),
                handles=(da.item.obj.handle, db.item.obj.handle),
                measured=d,
                limit=SPACING_MIN_M,
                unit="m",
                params={"floor": da.item.floor},
            )


def _door_limits(
    door: Door, *, exit_door: bool, f: Facts, high_rise: bool
) -> tuple[float, float, str]:
    """(error minimum, warning minimum, case) for the clear width of one door."""
    ground = door.item.floor == "1"
    dwelling = dwelling_storey(f, door.item.floor)
    error_min, case = 0.80, "疏散门、安全出口 / evacuation or exit door"
    if ground and door.external:
        named = [s for s in door.sides if s is not None]
        if dwelling and named and not any(is_common(s, True) for s in named):
            case = "直通室外的户门 / dwelling door opening directly outside"
        else:
            error_min, case = 1.10, "首层疏散外门 / ground-floor external exit door"
    warn_min = 0.90
    if high_rise and ground and (exit_door or door.external) and not is_residential(f.use):
        if f.use == "medical":
            warn_min, case = 1.30, "高层医疗建筑首层疏散门 / high-rise medical ground-floor exit"
        else:
            warn_min, case = 1.20, "高层公共建筑首层疏散门 / high-rise public ground-floor exit"
    return error_min, max(warn_min, error_min), case


@rule(
    "FIRE-006",
    "exit-door-width",
    severity=Severity.ERROR,
    params=("project.door_frame_deduction_m", "building.use", "building.height_m"),
)
def exit_door_too_narrow(ctx: CheckContext) -> Iterator[Violation]:
    """Clear width of safe-exit and evacuation doors

    Takes every door INSERT on A-DOOR of the fire drawings that is a safe exit (its opening
    meets an F-EXIT marker), opens onto a common space (corridor, front room, stair, lift
    lobby), or is an external door of the ground storey. Its clear width is the block width
    (else the door number, e.g. FM甲1021 = 1.00 m) minus ``project.door_frame_deduction_m``.
    Minimum 0.80 m; ground-floor external exit doors 1.10 m, except dwelling doors opening
    directly outside (0.80 m). GB 50016 warnings: below 0.90 m; high-rise public buildings'
    ground-floor stair and exit doors below 1.20 m (medical 1.30 m).

    Clause: GB 55037-2022 7.1.4; GB 50016-2014 (2018) 5.5.18, 5.5.30

    **Fails when** a door's clear width is below its minimum (error), or below the GB 50016
    value (warning).

    **Passes when** every such door is at least as wide as both values.

    **Known limits** The rooms on either side are found 0.3–0.6 m from the opening; a room not
    drawn on A-AREA makes the door count as external. Doors into shafts (管道井 …) are access
    doors and are skipped. Double doors are measured over both leaves. A door without a block
    width or number is reported as info.
    """
    all_doors = doors(ctx)
    if not all_doors:
        ctx.require("fire", "A-DOOR", kinds=("INSERT",))
    f = facts(ctx)
    need(f.use, "building.use", "建筑使用性质")
    need(f.height_m, "building.height_m", "建筑高度")
    high_rise = f.high_rise()
    deduction = ctx.params.door_frame_deduction_m
    exit_idx = exit_doors(ctx, all_doors)
    for k, door in enumerate(all_doors):
        residential = dwelling_storey(f, door.item.floor)
        exit_door = k in exit_idx
        relevant = (
            exit_door
            or (door.common(residential) and not door.to_shaft)
            or (door.item.floor == "1" and door.external and not door.to_shaft)
        )
        if not relevant:
            continue
        where = f"{door.item.floor or '?'}层"
        if door.width is None:
            yield ctx.violation(
                door.item,
                f"{where}疏散门无法确定宽度（无块宽度、无门编号），请人工核对",
                f"Evacuation door on storey {door.item.floor or '?'}: width unknown (no block "
                "width or door number); check manually",
                severity=Severity.INFO,
            )
            continue
        clear = door.width - deduction
        error_min, warn_min, case = _door_limits(
            door, exit_door=exit_door, f=f, high_rise=high_rise
        )
        if clear >= warn_min - 1e-6:
            continue
        failed = clear < error_min - 1e-6
        limit = error_min if failed else warn_min
        zh, en = case.split(" / ")
        yield ctx.violation(
            door.item,
            f"{where}{zh}净宽 {clear:.2f} m，{'小于' if failed else '宜不小于'} {limit:.2f} m"
            f"（{door.sides[0] or '室外'} — {door.sides[1] or '室外'}）",
            f"{en.capitalize()} on storey {door.item.floor or '?'}: clear width {clear:.2f} m"
            f"{' is below' if failed else ', recommended at least'} {limit:.2f} m",
            geometry=door.opening,
            measured=clear,
            limit=limit,
            unit="m",
            severity=None if failed else Severity.WARNING,
            params={
                "width_m": door.width,
                "width_source": door.width_source,
                "door_frame_deduction_m": deduction,
                "case": case,
                "safe_exit": exit_door,
            },
        )


def nearest_exit(door: Door, marks: tuple[Item, ...]) -> tuple[Item | None, float]:
    mid = door.opening.interpolate(0.5, normalized=True)
    best: tuple[Item | None, float] = (None, math.inf)
    for m in marks:
        d = float(mid.distance(m.geometry))
        if d < best[1]:
            best = (m, d)
    return best


def storey_doors(ctx: CheckContext, st: Storey, residential: bool) -> list[Door]:
    """Room (or dwelling entrance) doors inside or on the edge of the compartment (an
    STR-tree over the door openings' midpoints, built once per context)."""
    all_doors = doors(ctx)
    if not all_doors:
        return []
    key = ("fire-door-midpoints",)
    tree = ctx._cache.get(key)
    if tree is None:
        tree = shapely.STRtree([d.opening.interpolate(0.5, normalized=True) for d in all_doors])
        ctx._cache[key] = tree
    grown = st.compartment.geometry.buffer(EXIT_REACH_M)
    hits = sorted(int(k) for k in tree.query(grown, predicate="covers"))
    return [
        all_doors[k]
        for k in hits
        if all_doors[k].item.drawing is st.compartment.drawing
        and all_doors[k].item.obj.sheet == st.compartment.obj.sheet
        and all_doors[k].room_door(residential)
    ]


@dataclass(frozen=True, slots=True)
class SingleExitCase:
    """A single-exit case of GB 50016 5.5.8 whose area and storey conditions hold."""

    limit: int  # most persons
    persons: int | None  # persons counted against it (None: fire.occupants not given)
    zh: str
    en: str


def single_exit_case(
    f: Facts, fp: FireParams, floor: str | None, area: float, largest_storey: float
) -> SingleExitCase | None:
    """Case (a), a single-storey building or the ground floor, or case (b), a small building
    with every storey within the area limit, when its area, grade and storey limits hold."""
    max_area = fp.single_exit_max_area_m2
    limits = fp.single_exit_max_persons
    floors, grade, per_storey = f.floors_above, fp.resistance_grade, fp.occupants
    if is_basement(floor) or area > max_area:
        return None
    if (floors == 1 or floor == "1") and f.use not in ("nursery", "kindergarten"):
        return SingleExitCase(limits[0], per_storey, "单层或首层", "single storey or ground floor")
    if largest_storey > max_area or grade is None or floors is None:
        return None
    upper = None if per_storey is None else per_storey * max(0, min(floors, 3) - 1)
    if grade in (1, 2) and floors <= 3:
        return SingleExitCase(
            limits[0],
            upper,
            "一、二级不超过 3 层，二、三层人数之和",
            "grade 1/2, ≤ 3 storeys, floors 2 + 3",
        )
    if grade == 3 and floors <= 3:
        return SingleExitCase(
            limits[1],
            upper,
            "三级不超过 3 层，二、三层人数之和",
            "grade 3, ≤ 3 storeys, floors 2 + 3",
        )
    if grade == 4 and floors <= 2:
        return SingleExitCase(
            limits[2], per_storey, "四级不超过 2 层，第二层人数", "grade 4, ≤ 2 storeys, floor 2"
        )
    return None


@rule(
    "FIRE-004",
    "exit-count",
    severity=Severity.ERROR,
    params=(
        "building.use",
        "fire.resistance_grade",
        "fire.single_exit_max_area_m2",
        "fire.single_exit_max_persons",
        "fire.occupants",
        "building.height_m",
    ),
)
def too_few_exits(ctx: CheckContext) -> Iterator[Violation]:
    """Number of safe exits per compartment and storey

    Counts the safe exits (F-EXIT) on or inside each fire compartment (F-AREA) of each storey.
    Public buildings and basements need two, except within the single-exit limits: (a) a
    single-storey building or the ground floor, ≤ ``fire.single_exit_max_area_m2`` and ≤ 50
    persons, not a nursery or kindergarten; (b) a building whose drawn storeys are each ≤ that
    area with grade 1/2 and ≤ 3 storeys (floors 2 + 3 ≤ 50 persons), grade 3 and ≤ 3 storeys
    (≤ 25 persons), or grade 4 and ≤ 2 storeys (floor 2 ≤ 15 persons); persons from
    ``fire.occupants`` (per storey). Dwelling storeys need two when the storey exceeds 650 m²,
    H > 54 m, or a dwelling entrance door lies farther from the nearest exit than 15 m
    (H ≤ 27 m) or 10 m (27 m < H ≤ 54 m).

    Clause: GB 55037-2022 7.4.1, 7.3.1; GB 50016-2014 (2018) 5.5.8, 5.5.25

    **Fails when** a compartment has no exit, or one exit outside the single-exit cases.
    Where only the number of persons is missing, a warning names the exception for manual
    review.

    **Passes when** every compartment has two exits or qualifies for one.

    **Known limits** Residential units (单元) are not drawn, so the compartment of a dwelling
    storey stands for the unit; a unit whose entrance doors cannot be found is reported as a
    warning. The exclusions of GB 50016 5.5.8(2) (medical, elderly, children's and
    entertainment rooms) are left to the reviewer. Exits shared by two compartments count for
    both.
    """
    ctx.require("fire", "F-EXIT")
    f = facts(ctx)
    fp = ctx.params.fire_of(f.name)
    need(f.use, "building.use", "建筑使用性质")
    all_st = storeys(ctx)
    storey_area: dict[str | None, float] = {}
    for st in all_st:
        storey_area[st.compartment.floor] = storey_area.get(st.compartment.floor, 0.0) + float(
            st.compartment.geometry.area
        )
    max_area = fp.single_exit_max_area_m2
    for st in all_st:
        comp, n = st.compartment, len(st.exits)
        floor = comp.floor
        area = float(comp.geometry.area)
        params: dict[str, object] = {"floor": floor, "exits": n, "area_m2": round(area, 2)}
        where_zh = f"{floor or '?'}层{st.label or '防火分区'}"
        where_en = f"compartment {st.label} on storey {floor or '?'}"
        if n >= 2:
            continue
        if n == 0:
            yield ctx.violation(
                comp,
                f"{where_zh}没有安全出口",
                f"{where_en} has no safe exit",
                measured=0,
                limit=2,
                unit="个",
                params=params,
            )
            continue
        if dwelling_storey(f, floor):
            need(f.height_m, "building.height_m", "建筑高度")
            assert f.height_m is not None
            reason: tuple[str, str] | None = None
            manual = False
            if storey_area.get(floor, area) > 650.0:
                reason = ("任一层建筑面积大于 650 m²", "a storey of the unit exceeds 650 m²")
            elif f.height_m > 54.0:
                reason = ("建筑高度大于 54 m", "H > 54 m")
            else:
                reach = 15.0 if f.height_m <= 27.0 else 10.0
                entrances = storey_doors(ctx, st, True)
                far = [(d, nearest_exit(d, st.exits)[1]) for d in entrances]
                worst = max((x for _, x in far), default=None)
                params.update({"entrance_doors": len(entrances), "door_reach_limit_m": reach})
                if worst is None:
                    manual = True
                    reason = (
                        "无法识别户门，需人工核对户门至安全出口的距离",
                        "dwelling doors not found; check their distance to the exit",
                    )
                elif worst > reach:
                    params["farthest_door_m"] = round(worst, 2)
                    reason = (
                        f"户门至安全出口最大距离 {worst:.2f} m > {reach:g} m",
                        f"a dwelling door is {worst:.2f} m from the exit (> {reach:g} m)",
                    )
            if reason is not None:
                yield ctx.violation(
                    comp,
                    f"{where_zh}只有 1 个安全出口，{reason[0]}，应不少于 2 个",
                    f"{where_en} has one safe exit, but {reason[1]}: at least 2 are required",
                    measured=1,
                    limit=2,
                    unit="个",
                    severity=Severity.WARNING if manual else None,
                    params=params,
                )
            continue
        # public buildings and basements
        drawn = [a for fl, a in storey_area.items() if not is_basement(fl)]
        case = single_exit_case(f, fp, floor, area, max(drawn, default=0.0))
        params.update({"single_exit_max_area_m2": max_area, "occupants": fp.occupants})
        if case is not None:
            params.update(
                {"single_exit_case": case.en, "persons": case.persons, "persons_max": case.limit}
            )
        if case is not None and case.persons is not None and case.persons <= case.limit:
            continue
        if case is not None and case.persons is None:
            yield ctx.violation(
                comp,
                f"{where_zh}只有 1 个安全出口；面积符合单出口条件（{case.zh}，"
                f"≤ {max_area:g} m²），但未给出人数 fire.occupants（限 {case.limit} 人），"
                "请人工复核",
                f"{where_en} has one safe exit; the area fits the single-exit case "
                f"({case.en}, ≤ {max_area:g} m²) but fire.occupants is not given "
                f"(limit {case.limit} persons): review manually",
                measured=1,
                limit=2,
                unit="个",
                severity=Severity.WARNING,
                params=params,
            )
            continue
        yield ctx.violation(
            comp,
            f"{where_zh}只有 1 个安全出口，不符合设置一个安全出口的条件，应不少于 2 个",
            f"{where_en} has one safe exit and does not meet the single-exit conditions: "
            "at least 2 are required",
            measured=1,
            limit=2,
            unit="个",
            params=params,
        )

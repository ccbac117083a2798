"""FIRE-003: straight-line evacuation distance from room and dwelling doors to the nearest
safe exit, with the limits of GB 50016 Tables 5.5.17 and 5.5.29.

The limits depend on the use, the height class, the grade and whether the door has exits in
two directions; ``evacuation_limits`` is shared with the room rule (FIRE-013).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import shapely
from shapely.geometry import LineString

from checkers.context import CheckContext, Item
from checkers.findings import NotChecked, Violation
from checkers.registry import rule
from drawings.model import Severity

from .common import exits, facts, is_basement, labelled_areas, need
from .exits import dwelling_storey, nearest_exit, storey_doors, storeys

__all__ = ["evacuation_limits", "too_far_to_exit"]


def evacuation_limits(
    use: str | None, high_rise: bool, grade: int, ward: bool = False
) -> tuple[float, float, str]:
    """Table 5.5.17 / 5.5.29: (between two exits, dead-end) in metres, and the row used."""
    col = {1: 0, 2: 0, 3: 1, 4: 2}[grade]

    def pick(
        between: tuple[float, ...], dead: tuple[float, ...], row: str
    ) -> tuple[float, float, str]:
        k = 0 if high_rise else col
        return between[min(k, len(between) - 1)], dead[min(k, len(dead) - 1)], row

    if use in ("nursery", "kindergarten", "elderly", "elderly_care"):
        return pick((25, 20, 15), (20, 15, 10), "托儿所、幼儿园、老年人照料设施 / nursery, elderly")
    if use == "entertainment":
        return pick((25, 20, 15), (9.0,), "歌舞娱乐放映游艺场所 / entertainment")
    if use == "medical":
        if high_rise and ward:
            return 24.0, 12.0, "高层病房部分 / high-rise wards"
        if high_rise:
            return 30.0, 15.0, "高层医疗建筑其他部分 / other high-rise medical"
        return pick((35, 30, 25), (20, 15, 10), "单、多层医疗建筑 / medical")
    if use in ("school", "teaching"):
        if high_rise:
            return 30.0, 15.0, "高层教学建筑 / high-rise teaching"
        return pick((35, 30, 25), (22, 20, 10), "单、多层教学建筑 / teaching")
    if high_rise and use in ("hotel", "exhibition"):
        return 30.0, 15.0, "高层旅馆、展览建筑 / high-rise hotel or exhibition"
    if use == "residential":
        if high_rise:
            return 40.0, 20.0, "高层住宅（表 5.5.29） / high-rise residential"
        return pick((40, 35, 25), (22, 20, 15), "单、多层住宅（表 5.5.29） / residential")
    if high_rise:
        return 40.0, 20.0, "其他高层建筑 / other high-rise"
    return pick((40, 35, 25), (22, 20, 15), "其他建筑 / others")


def _between_exits(point: shapely.Point, marks: tuple[Item, ...]) -> bool:
    """Exits in two directions: two exits seen from the door at more than 90° apart."""
    dirs = []
    for m in marks:
        c = m.geometry.centroid
        dx, dy = c.x - point.x, c.y - point.y
        r = math.hypot(dx, dy)
        if r > 1e-6:
            dirs.append((dx / r, dy / r))
    return any(a[0] * b[0] + a[1] * b[1] < 0.0 for i, a in enumerate(dirs) for b in dirs[i + 1 :])


def _open_stair_exits(ctx: CheckContext) -> set[str]:
    """Handles of exits next to an open stair (敞开楼梯) on F-STRS."""
    stairs = [s for s, n in labelled_areas(ctx, "fire", "F-STRS") if "敞开" in n]
    marks = exits(ctx)
    if not stairs or not marks:
        return set()
    tree = shapely.STRtree([m.geometry for m in marks])
    _, m_idx = tree.query([s.geometry for s in stairs], predicate="dwithin", distance=0.6)
    return {marks[int(m)].obj.handle for m in m_idx.tolist()}


@rule(
    "FIRE-003",
    "evacuation-distance",
    severity=Severity.ERROR,
    params=("building.use", "fire.resistance_grade", "fire.sprinklers", "building.height_m"),
)
def too_far_to_exit(ctx: CheckContext) -> Iterator[Violation]:
    """Evacuation distance from room doors to the nearest safe exit

    For every room door (public buildings and basements) or dwelling entrance door (dwelling
    storeys) — an A-DOOR INSERT between a room and a common space — measures the straight-line
    distance from the middle of its opening to the nearest safe exit (F-EXIT) of its
    compartment. A door with exits on two sides (two exits seen more than 90° apart) is
    between two exits, otherwise on a dead-end corridor. Limits follow Table 5.5.17 (public)
    and Table 5.5.29 (residential) by use, height class and grade; full sprinklers add 25 %;
    an exit through an open stair (敞开楼梯 on F-STRS) takes 5 m (between exits) or 2 m
    (dead-end) off.

    Clause: GB 50016-2014 (2018) 5.5.17 (Table 5.5.17), 5.5.29 (Table 5.5.29)

    **Fails when** a door is farther from its nearest exit than the limit.

    **Passes when** every door is within the limit.

    **Known limits** Distances are straight lines as the tables define them; walking distance
    along corridors is not computed. "Between two exits" is judged from directions, not from
    the corridor graph. Doors on open external corridors (+5 m) are not recognised. Wards are
    rooms named 病房. Entertainment rooms of grade 3/4 (no table value) take 9 m.
    """
    ctx.require("fire", "F-EXIT")
    f = facts(ctx)
    fp = ctx.params.fire_of(f.name)
    need(f.use, "building.use", "建筑使用性质")
    need(f.height_m, "building.height_m", "建筑高度")
    need(fp.sprinklers, "fire.sprinklers", "自动喷水灭火系统设置情况")
    high_rise = f.high_rise()
    if not high_rise:
        need(fp.resistance_grade, "fire.resistance_grade", "耐火等级")
    grade = fp.resistance_grade or 1
    factor = 1.25 if fp.sprinklers == "full" else 1.0
    open_exits = _open_stair_exits(ctx)
    checked: set[str] = set()
    any_doors = False
    for st in storeys(ctx):
        if not st.exits:
            continue
        dwelling = dwelling_storey(f, st.compartment.floor)
        use = f.use if not is_basement(st.compartment.floor) else "basement"
        for door in storey_doors(ctx, st, dwelling):
            any_doors = True
            if door.item.obj.handle in checked:
                continue
            checked.add(door.item.obj.handle)
            mark, dist = nearest_exit(door, st.exits)
            if mark is None:
                continue
            mid = door.opening.interpolate(0.5, normalized=True)
            ward = any(s is not None and "病房" in s for s in door.sides)
            between_lim, dead_lim, row = evacuation_limits(use, high_rise, grade, ward)
            between = _between_exits(mid, st.exits)
            base = between_lim if between else dead_lim
            cut = (5.0 if between else 2.0) if mark.obj.handle in open_exits else 0.0
            limit = round(base * factor - cut, 3)
            if dist <= limit + 1e-6:
                continue
            kind_zh = "位于两个安全出口之间" if between else "位于袋形走道两侧或尽端"
            kind_en = "between two exits" if between else "on a dead-end corridor"
            room = next((s for s in door.sides if s and not ("走" in s or "前室" in s)), "")
            yield ctx.violation(
                door.item,
                f"{door.item.floor or '?'}层{room}疏散门（{kind_zh}）至最近安全出口直线距离 "
                f"{dist:.2f} m，大于 {limit:g} m（{row.split(' / ')[0]}）",
                f"Door of {room or 'a room'} on storey {door.item.floor or '?'} ({kind_en}) is "
                f"{dist:.2f} m from the nearest safe exit, above {limit:g} m "
                f"({row.split(' / ')[-1]})",
                geometry=LineString([mid, shapely.shortest_line(mid, mark.geometry).coords[-1]]),
                handles=(door.item.obj.handle, mark.obj.handle),
                measured=dist,
                limit=limit,
                unit="m",
                params={
                    "row": row,
                    "between_exits": between,
                    "base_limit_m": base,
                    "sprinkler_factor": factor,
                    "open_stair_cut_m": cut,
                    "resistance_grade": fp.resistance_grade,
                    "high_rise": high_rise,
                },
            )
    if not any_doors:
        raise NotChecked(
            "消防平面图中未识别出房间疏散门或户门（A-DOOR 与 A-AREA 房间）",
            "no room or dwelling entrance doors found (A-DOOR between A-AREA rooms)",
        )

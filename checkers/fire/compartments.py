"""FIRE-001: the area of each fire compartment against GB 55037 / GB 50016 limits.

A compartment bounds how far a fire can spread before it meets fire walls; its permitted area
depends on the height class, the fire-resistance grade, the storey and the sprinklers.
"""

from __future__ import annotations

from collections.abc import Iterator

import shapely

from checkers.context import CheckContext, Item
from checkers.findings import Violation
from checkers.registry import rule
from drawings.model import Severity

from .common import facts, is_basement, labelled_areas, need

__all__ = ["compartment_limit", "compartment_too_large"]

HALL_NAMES = ("营业厅", "展厅", "展览厅")
EQUIPMENT_MARKS = ("设备", "机房", "泵房", "配电", "变电", "发电", "风机", "锅炉", "水箱", "换热")
GRADE_LIMITS = {1: 2500.0, 2: 2500.0, 3: 1200.0, 4: 600.0}


def compartment_limit(
    *,
    floor: str | None,
    high_rise: bool,
    grade: int | None,
    sprinklers: str,
    hall: bool,
    equipment: bool,
    single_storey: bool,
) -> tuple[float, str, bool]:
    """Limit in m², the row of the table it comes from, and whether sprinklers double it.

    Sales and exhibition halls of grade 1/2 with full sprinklers have their own limits, which
    already include the sprinklers.
    """
    basement = is_basement(floor)
    if hall and sprinklers == "full" and grade in (1, 2, None):
        if basement:
            return 2000.0, "地下营业厅、展览厅 / underground sales or exhibition hall", False
        if high_rise:
            return 4000.0, "高层营业厅、展览厅 / high-rise sales or exhibition hall", False
        if single_storey or floor == "1":
            return (
                10000.0,
                "单层或多层首层营业厅、展览厅 / single-storey or ground-floor hall",
                False,
            )
    if basement:
        if equipment:
            return 1000.0, "地下设备用房 / basement equipment rooms", False
        return 500.0, "地下或半地下 / basement", True
    if high_rise:
        return 1500.0, "高层建筑 / high-rise", True
    assert grade is not None
    return GRADE_LIMITS[grade], f"单、多层 {grade} 级 / single/multi-storey grade {grade}", True


def rooms_inside(
    comps: list[tuple[Item, str]], rooms: list[tuple[Item, str]]
) -> dict[int, list[str]]:
    """Names of the rooms whose representative point lies in each compartment (STR-tree)."""
    out: dict[int, list[str]] = {}
    if not comps or not rooms:
        return out
    tree = shapely.STRtree([r.geometry.representative_point() for r, _ in rooms])
    c_idx, r_idx = tree.query([c.geometry for c, _ in comps], predicate="covers")
    for c, r in zip(c_idx.tolist(), r_idx.tolist(), strict=True):
        comp, room = comps[c][0], rooms[r][0]
        if room.drawing is comp.drawing and room.obj.sheet == comp.obj.sheet:
            out.setdefault(c, []).append(rooms[r][1])
    return out


@rule(
    "FIRE-001",
    "compartment-area",
    severity=Severity.ERROR,
    params=("fire.resistance_grade", "fire.sprinklers", "building.use", "building.height_m"),
)
def compartment_too_large(ctx: CheckContext) -> Iterator[Violation]:
    """Fire compartment area

    Measures each closed fire-compartment polygon on F-AREA of each storey and compares it with
    the limit for the storey and the building: high-rise 1500 m²; single/multi-storey grade 1/2
    2500, grade 3 1200, grade 4 600 m²; basements 500 m² (1000 m² when the compartment holds only
    equipment rooms). Full sprinklers double the limit; partial sprinklers count
    A_unsprinklered + 0.5 × A_sprinklered (sprinklered parts on F-SPRK) against the limit.
    Sales and exhibition halls (营业厅 / 展厅) of grade 1/2 with full sprinklers: high-rise
    4000, single storey or ground floor 10000, underground 2000 m².

    Clause: GB 55037-2022 4.3.16, 4.3.15, 4.1.2(4); GB 50016-2014 (2018) 5.3.1, 5.3.2

    **Fails when** a compartment's (counted) area exceeds its limit.

    **Passes when** every compartment is within its limit.

    **Known limits** Storeys linked by atria, escalators or open stairs must be summed by the
    reviewer; deductions (water surfaces, open corridors and balconies) are manual. A podium
    separated from the tower by a fire wall is judged with the tower's class here: the reviewer
    may apply single/multi-storey limits. Halls are recognised by room names (A-AREA-IDEN) or the
    compartment label; the hall limits assume fire alarm and non-combustible finishes, which the
    reviewer confirms. Theatre and gym auditoria are manual. With ``fire.sprinklers`` =
    partial and no F-SPRK drawn, the whole compartment counts as unsprinklered. A compartment on a
    sheet without a storey is treated as above ground.
    """
    comps = labelled_areas(ctx, "fire", "F-AREA")
    if not comps:
        ctx.require("fire", "F-AREA", closed=True)
    f = facts(ctx)
    fp = ctx.params.fire_of(f.name)
    need(fp.sprinklers, "fire.sprinklers", "自动喷水灭火系统设置情况")
    sprinklers = str(fp.sprinklers)
    above = [c for c, _ in comps if not is_basement(c.floor)]
    high_rise = False
    if above:
        need(f.height_m, "building.height_m", "建筑高度")
        need(f.use, "building.use", "建筑使用性质")
        high_rise = f.high_rise()
        if not high_rise:
            need(fp.resistance_grade, "fire.resistance_grade", "耐火等级")
    rooms = labelled_areas(ctx, "fire", "A-AREA", "A-AREA-IDEN")
    zones = [i.geometry for i in ctx.items("fire", "F-SPRK", closed=True, texts=False)]
    zone_union = shapely.union_all(zones) if zones else None
    inside = rooms_inside(comps, rooms)
    for k, (comp, label) in enumerate(comps):
        names = inside.get(k, [])
        hall = any(h in label for h in HALL_NAMES) or any(
            any(h in n for h in HALL_NAMES) for n in names
        )
        equipment = bool(names) and all(any(m in n for m in EQUIPMENT_MARKS) for n in names)
        limit, row, doubles = compartment_limit(
            floor=comp.floor,
            high_rise=high_rise,
            grade=fp.resistance_grade,
            sprinklers=sprinklers,
            hall=hall,
            equipment=equipment,
            single_storey=f.floors_above == 1,
        )
        area = float(comp.geometry.area)
        counted = area
        if doubles and sprinklers == "full":
            limit *= 2.0
        elif doubles and sprinklers == "partial":
            wet = float(comp.geometry.intersection(zone_union).area) if zone_union else 0.0
            counted = (area - wet) + 0.5 * wet
        if counted <= limit + 1e-6:
            continue
        name = label or "防火分区"
        params = {
            "floor": comp.floor,
            "row": row,
            "resistance_grade": fp.resistance_grade,
            "sprinklers": sprinklers,
            "high_rise": high_rise,
            "area_m2": round(area, 2),
            "counted_area_m2": round(counted, 2),
        }
        yield ctx.violation(
            comp,
            f"{comp.floor or '?'}层{name}面积 {counted:.2f} m² 超过限值 {limit:g} m²"
            f"（{row.split(' / ')[0]}，喷淋：{sprinklers}）",
            f"Compartment {label or ''} on storey {comp.floor or '?'}: {counted:.2f} m² exceeds "
            f"the limit of {limit:g} m² ({row.split(' / ')[-1]}, sprinklers: {sprinklers})",
            measured=counted,
            limit=limit,
            unit="m²",
            params=params,
        )

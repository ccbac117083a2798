"""FIRE-012: the declared fire class and fire-resistance grade against the drawings.

Almost every other fire threshold depends on the class (高层 / 单多层, 一类 / 二类), so a wrong
declaration silently shifts all of them; this rule derives the class independently.
"""

from __future__ import annotations

from collections.abc import Iterator

import shapely

from checkers.context import CheckContext
from checkers.findings import Violation
from checkers.registry import rule
from drawings.model import Severity

from .common import Facts, by_sheet, facts, is_basement, is_residential, need, site_outlines

__all__ = ["derive_class", "wrong_building_class"]

CLASS_ZH = {"class1": "一类高层", "class2": "二类高层", "single_multi": "单、多层"}
CLASS_EN = {
    "class1": "class 1 high-rise",
    "class2": "class 2 high-rise",
    "single_multi": "single/multi-storey",
}
#: Uses whose storeys above 24 m make a high-rise public building class 1 when > 1000 m².
BIG_FLOOR_USES = frozenset({"shop", "exhibition", "mixed"})
ELDERLY_USES = frozenset({"elderly", "elderly_care"})


def derive_class(f: Facts, upper_floor_area: float | None, important: bool) -> tuple[str, str]:
    """The class of Table 5.1.1 and the reason, from H, use, storeys and storey area."""
    assert f.height_m is not None
    h = f.height_m
    if is_residential(f.use):
        if h > 54.0:
            return "class1", "住宅 H > 54 m / residential H > 54 m"
        if h > 27.0:
            return "class2", "住宅 27 m < H ≤ 54 m / residential 27 m < H ≤ 54 m"
        return "single_multi", "住宅 H ≤ 27 m / residential H ≤ 27 m"
    if h <= 24.0 or f.floors_above == 1:
        return "single_multi", "公共建筑 H ≤ 24 m 或单层 / public H ≤ 24 m or single storey"
    if h > 50.0:
        return "class1", "公共建筑 H > 50 m / public H > 50 m"
    if f.use == "medical":
        return "class1", "医疗建筑 / medical building"
    if important:
        return "class1", "重要公共建筑 / important public building"
    if f.use in ELDERLY_USES:
        return "class1", "独立建造的老年人照料设施 / stand-alone elderly care"
    if f.use in BIG_FLOOR_USES and upper_floor_area is not None and upper_floor_area > 1000.0:
        return "class1", (
            f"24 m 以上楼层面积 {upper_floor_area:.0f} m² > 1000 m² 的商店、展览、综合建筑 / "
            f"storey above 24 m of {upper_floor_area:.0f} m² > 1000 m² (shops, exhibitions, mixed)"
        )
    return "class2", "其他高层公共建筑 / other high-rise public building"


def upper_floor_area(ctx: CheckContext, f: Facts) -> float | None:
    """Largest storey area above 24 m, from the compartments (F-AREA) of each storey.

    The floor level of storey n is estimated as (n - 1) × H / storeys; when no drawn storey lies
    above 24 m, the highest drawn storey stands for the standard storeys above it.
    """
    areas: dict[int, float] = {}
    for _, items in by_sheet(ctx.items("fire", "F-AREA", closed=True, texts=False)).items():
        floor = items[0].floor
        if floor is None or is_basement(floor) or not floor.isdigit():
            continue
        union = shapely.union_all([i.geometry for i in items])
        areas[int(floor)] = max(areas.get(int(floor), 0.0), float(union.area))
    if not areas:
        return None
    if f.height_m is not None and f.floors_above:
        step = f.height_m / f.floors_above
        upper = [a for n, a in areas.items() if (n - 1) * step > 24.0]
        if upper:
            return max(upper)
    return areas[max(areas)]


@rule(
    "FIRE-012",
    "building-class",
    severity=Severity.ERROR,
    params=(
        "fire.building_class",
        "fire.resistance_grade",
        "fire.important_public_building",
        "building.use",
        "building.height_m",
    ),
)
def wrong_building_class(ctx: CheckContext) -> Iterator[Violation]:
    """Declared fire class and fire-resistance grade

    Derives the class of GB 50016 Table 5.1.1 from the building height H, the use, the number of
    storeys and the largest storey area above 24 m (F-AREA compartments of each storey), and
    compares it with the declared ``fire.building_class``. Then compares the declared
    ``fire.resistance_grade`` with the minimum for the class: basements and class 1 need grade 1;
    class 2 and important single/multi-storey public buildings need grade 2 or better.

    Clause: GB 50016-2014 (2018) 5.1.1 (Table 5.1.1), 5.1.3; GB 55037-2022 5.1.2, 5.3.1, 5.3.2

    **Fails when** the declared class differs from the derived one, or the declared grade is
    weaker than the minimum for the derived class (or for a building with basement storeys).

    **Passes when** both declarations agree with the drawings and the parameters.

    **Known limits** Provincial broadcasting, disaster-command and power-dispatch buildings,
    libraries with more than one million volumes and telecom, post or finance buildings cannot
    be recognised from the drawings: declare them as ``fire.important_public_building`` or the
    reviewer settles the class. The storey area above 24 m uses the drawn storeys (the highest
    drawn storey stands for undrawn standard storeys). Mixed buildings are classified by the one
    declared use. Not checked when H, the use, or both declarations are missing.
    """
    f = facts(ctx)
    fp = ctx.params.fire_of(f.name)
    need(f.height_m, "building.height_m", "建筑高度")
    need(f.use, "building.use", "建筑使用性质")
    if fp.building_class is None and fp.resistance_grade is None:
        need(None, "fire.building_class", "建筑分类")
    area = upper_floor_area(ctx, f) if f.use in BIG_FLOOR_USES else None
    outlines = site_outlines(ctx)
    where = outlines[0] if outlines else None  # the building's footprint locates the finding
    derived, why = derive_class(f, area, fp.important_public_building)
    params = {
        "height_m": f.height_m,
        "use": f.use,
        "floors_above": f.floors_above,
        "floors_below": f.floors_below,
        "important_public_building": fp.important_public_building,
        "upper_floor_area_m2": area,
        "derived_class": derived,
        "declared_class": fp.building_class,
        "resistance_grade": fp.resistance_grade,
    }
    if fp.building_class is not None and fp.building_class != derived:
        yield ctx.violation(
            where,
            f"申报的建筑分类为{CLASS_ZH[fp.building_class]}，但按图纸应为{CLASS_ZH[derived]}"
            f"（{why.split(' / ')[0]}，H = {f.height_m:g} m）",
            f"Declared fire class is {CLASS_EN[fp.building_class]}, but the drawings give "
            f"{CLASS_EN[derived]} ({why.split(' / ')[-1]}, H = {f.height_m:g} m)",
            measured=f.height_m,
            unit="m",
            params=params,
        )
    grade = fp.resistance_grade
    if grade is None:
        return
    has_basement = bool(f.floors_below) or any(
        is_basement(i.floor) for i in ctx.items("fire", "F-AREA", closed=True, texts=False)
    )
    needed, reason_zh, reason_en = 4, "", ""
    if derived == "class1":
        needed, reason_zh, reason_en = 1, "一类高层建筑", "class 1 high-rise buildings"
    elif has_basement:
        needed, reason_zh, reason_en = 1, "地下或半地下建筑（室）", "basements and semi-basements"
    elif derived == "class2":
        needed, reason_zh, reason_en = 2, "二类高层建筑", "class 2 high-rise buildings"
    elif fp.important_public_building and not is_residential(f.use):
        needed, reason_zh, reason_en = 2, "单、多层重要公共建筑", "important public buildings"
    if grade > needed:
        yield ctx.violation(
            where,
            f"耐火等级申报为{grade}级，{reason_zh}的耐火等级不应低于{needed}级",
            f"Declared fire-resistance grade {grade}; {reason_en} require grade {needed} or better",
            measured=grade,
            limit=needed,
            unit="级",
            params=params,
        )

"""Planning rules on the intensity indicators of the planning conditions (规划条件): floor-area
ratio, building density, green ratio and height (PLAN-003 to PLAN-006).

Each indicator is computed from the geometry of one site plan sheet (the one with the most
building outlines), with the site area taken from its land boundary, so that the values
PLAN-010 compares with the declared table are exactly the values judged here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry

from checkers.context import CheckContext
from checkers.findings import NotChecked, Violation
from checkers.params import BuildingParams
from checkers.planning._site import (
    EPS,
    BuildingGroup,
    SitePlan,
    building_groups,
    counted_area,
    fmt,
    primary_site_plan,
    require_param,
    site_plans,
)
from checkers.registry import rule
from drawings.model import Severity

__all__ = [
    "Ratio",
    "building_density_too_high",
    "building_too_high",
    "density",
    "far_out_of_range",
    "green_ratio",
    "green_ratio_too_low",
]


@dataclass(frozen=True, slots=True)
class Ratio:
    """A site indicator: numerator area over the site area, with the geometry behind it."""

    value: float
    area: float
    site_area: float
    geometry: BaseGeometry


def _site_area(plan: SitePlan) -> float:
    if plan.area <= 0:
        raise NotChecked(
            "用地红线（G-SITE-REDL）面积为 0，无法计算指标",
            "the land boundary (G-SITE-REDL) has no area; the indicator cannot be computed",
        )
    return plan.area


def density(plan: SitePlan) -> Ratio:
    """Building density: union of the outlines (G-BLDG-OUTL) ÷ site area.

    Raises:
        NotChecked: no outline on the site plan.
    """
    if not plan.outlines:
        raise NotChecked(
            "用地红线所在图纸上没有建筑轮廓（G-BLDG-OUTL），无法计算建筑密度",
            "no building outline (G-BLDG-OUTL) on the site plan; the density cannot be computed",
        )
    site = _site_area(plan)
    foot = shapely.union_all([i.geometry for i in plan.outlines])
    return Ratio(float(foot.area) / site, float(foot.area), site, foot)


def green_ratio(plan: SitePlan) -> Ratio:
    """Green ratio: union of the green polygons (G-GREN) inside the land boundary ÷ site area.

    Raises:
        NotChecked: no green polygon on the site plan.
    """
    if not plan.greens:
        raise NotChecked(
            "总平面图上没有绿地（G-GREN），无法计算绿地率",
            "no green area (G-GREN) on the site plan; the green ratio cannot be computed",
        )
    site = _site_area(plan)
    green = shapely.union_all([i.geometry for i in plan.greens]).intersection(plan.site)
    return Ratio(float(green.area) / site, float(green.area), site, green)


@rule(
    "PLAN-003",
    "far-limit",
    severity=Severity.ERROR,
    params=(
        "planning.far_max",
        "planning.far_min",
        "building.gross_floor_area_m2",
        "building.floors_above",
    ),
)
def far_out_of_range(ctx: CheckContext) -> Iterator[Violation]:
    """Floor-area ratio above the maximum (or below the minimum) of the planning conditions

    Computes the floor-area ratio (容积率) = Σ counted floor area of the buildings ÷ site area
    (area of the G-SITE-REDL polygon). A building's counted area is
    `building.gross_floor_area_m2` when declared; otherwise its footprint (G-BLDG-OUTL) × its
    storeys above ground (`building.floors_above`, else the BLDG block's FLOORS_ABOVE, else a
    site-plan label such as 18F/-2). The finding lists the basis of every building.

    Clause: GB 50352-2019 4.1.1 (limit from the regulatory plan 控制性详细规划 via the planning conditions 规划条件)

    **Fails when** FAR > `planning.far_max`, or FAR < `planning.far_min` when that is given.

    **Passes when** `planning.far_min` ≤ FAR ≤ `planning.far_max` (equality passes).

    **Known limits** Footprint × storeys ignores set-backs, podiums, and the area rules of
    GB 55031-2022 3.1 (balconies, mezzanines, tall storeys counted twice): declare
    `building.gross_floor_area_m2` for an exact value. Buildings are matched to their BLDG
    block by its registration point. Where the land boundary is drawn on several sheets, the
    sheet with the most building outlines is used. Without `planning.far_max`, or when a
    building's area and storeys are both unknown: not checked.
    """
    pl = ctx.params.planning
    far_max = float(
        require_param(pl.far_max, "planning.far_max", "容积率上限", "maximum floor-area ratio")
    )
    plan = primary_site_plan(ctx)
    site = _site_area(plan)
    area = counted_area(ctx, plan)
    far = area.total / site
    params = {
        "planning.far_max": far_max,
        "planning.far_min": pl.far_min,
        "site_area_m2": round(site, 2),
        "counted_area_m2": round(area.total, 2),
        "basis": area.basis,
        "sheet": plan.label,
    }
    if far > far_max + EPS:
        yield ctx.violation(
            plan.anchor,
            f"容积率 {fmt(far, 3)}（计容建筑面积 {fmt(area.total)} m² ÷ 用地面积 {fmt(site)} m²）"
            f"超过规划条件规定的上限 {fmt(far_max)}",
            f"The floor-area ratio is {fmt(far, 3)} ({fmt(area.total)} m² counted floor area ÷ "
            f"{fmt(site)} m² site area), above the maximum {fmt(far_max)} of the planning "
            "conditions",
            measured=far,
            limit=far_max,
            unit=None,
            geometry=plan.site,
            params=params,
        )
    elif pl.far_min is not None and far < pl.far_min - EPS:
        yield ctx.violation(
            plan.anchor,
            f"容积率 {fmt(far, 3)}（计容建筑面积 {fmt(area.total)} m² ÷ 用地面积 {fmt(site)} m²）"
            f"低于规划条件规定的下限 {fmt(pl.far_min)}",
            f"The floor-area ratio is {fmt(far, 3)} ({fmt(area.total)} m² counted floor area ÷ "
            f"{fmt(site)} m² site area), below the minimum {fmt(pl.far_min)} of the planning "
            "conditions",
            measured=far,
            limit=pl.far_min,
            unit=None,
            geometry=plan.site,
            params=params,
        )


@rule(
    "PLAN-004",
    "density-limit",
    severity=Severity.ERROR,
    params=("planning.density_max",),
)
def building_density_too_high(ctx: CheckContext) -> Iterator[Violation]:
    """Building density above the maximum of the planning conditions

    Computes the building density (建筑密度) = area of the union of the building footprints
    (ground-floor outer outlines on G-BLDG-OUTL) ÷ site area (G-SITE-REDL polygon). Overlapping
    outlines count once.

    Clause: GB 50352-2019 4.1.1

    **Fails when** the density exceeds `planning.density_max` (measured and limit are given in
    percent; the parameter is a fraction, 0.25 = 25 %).

    **Passes when** the density is at most `planning.density_max`.

    **Known limits** G-BLDG-OUTL is taken as the ground-floor outer outline; where it includes
    upper-floor overhangs the density is overstated and the reviewer decides. Without
    `planning.density_max` or without outlines: not checked.
    """
    limit = float(
        require_param(
            ctx.params.planning.density_max,
            "planning.density_max",
            "建筑密度上限",
            "maximum building density",
        )
    )
    plan = primary_site_plan(ctx)
    r = density(plan)
    if r.value <= limit + EPS:
        return
    yield ctx.violation(
        plan.anchor,
        f"建筑密度 {fmt(r.value * 100, 2)}%（建筑基底面积 {fmt(r.area)} m² ÷ 用地面积 "
        f"{fmt(r.site_area)} m²）超过规划条件规定的上限 {fmt(limit * 100, 1)}%",
        f"The building density is {fmt(r.value * 100, 2)}% ({fmt(r.area)} m² footprint ÷ "
        f"{fmt(r.site_area)} m² site area), above the maximum {fmt(limit * 100, 1)}% of the "
        "planning conditions",
        measured=r.value * 100,
        limit=limit * 100,
        unit="%",
        geometry=r.geometry,
        handles=tuple(i.obj.handle for i in plan.outlines),
        params={
            "planning.density_max": limit,
            "footprint_m2": round(r.area, 2),
            "site_area_m2": round(r.site_area, 2),
            "sheet": plan.label,
        },
    )


@rule(
    "PLAN-005",
    "green-ratio",
    severity=Severity.ERROR,
    params=("planning.green_ratio_min",),
)
def green_ratio_too_low(ctx: CheckContext) -> Iterator[Violation]:
    """Green ratio below the minimum of the planning conditions

    Computes the green ratio (绿地率) = area of the union of the green polygons (G-GREN, closed
    polylines and hatches) ÷ site area (G-SITE-REDL polygon). Overlapping polygons count once;
    green drawn outside the land boundary does not belong to the site and is not counted.

    Clause: GB 50352-2019 4.1.1

    **Fails when** the green ratio is below `planning.green_ratio_min` (measured and limit in
    percent; the parameter is a fraction, 0.35 = 35 %).

    **Passes when** the green ratio is at least `planning.green_ratio_min`.

    **Known limits** Local counting rules (soil depth over basements, roof gardens, distance
    from buildings and roads) are not evaluated: every drawn green polygon counts, and the
    reviewer confirms. Without `planning.green_ratio_min` or without G-GREN: not checked.
    """
    limit = float(
        require_param(
            ctx.params.planning.green_ratio_min,
            "planning.green_ratio_min",
            "绿地率下限",
            "minimum green ratio",
        )
    )
    plan = primary_site_plan(ctx)
    r = green_ratio(plan)
    if r.value >= limit - EPS:
        return
    yield ctx.violation(
        plan.anchor,
        f"绿地率 {fmt(r.value * 100, 2)}%（绿地面积 {fmt(r.area)} m² ÷ 用地面积 "
        f"{fmt(r.site_area)} m²）低于规划条件规定的下限 {fmt(limit * 100, 1)}%",
        f"The green ratio is {fmt(r.value * 100, 2)}% ({fmt(r.area)} m² green ÷ "
        f"{fmt(r.site_area)} m² site area), below the minimum {fmt(limit * 100, 1)}% of the "
        "planning conditions",
        measured=r.value * 100,
        limit=limit * 100,
        unit="%",
        geometry=r.geometry,
        handles=tuple(i.obj.handle for i in plan.greens),
        params={
            "planning.green_ratio_min": limit,
            "green_area_m2": round(r.area, 2),
            "site_area_m2": round(r.site_area, 2),
            "sheet": plan.label,
        },
    )


@rule(
    "PLAN-006",
    "height-limit",
    severity=Severity.ERROR,
    params=("planning.height_max_m", "building.height_m"),
)
def building_too_high(ctx: CheckContext) -> Iterator[Violation]:
    """Building height above the limit of the planning conditions

    Compares each building's height H with `planning.height_max_m`. H is defined from the
    outdoor design grade at the main entrance to the parapet top (flat roof; the eave if there
    is no parapet; eave and ridge separately for pitched roofs; roof structures of at most 1/4
    of the roof area ignored). The site plan carries no sections or elevations, so H cannot be
    measured from level texts here; as the catalogue allows, the rule uses the declared
    `building.height_m`, else the HEIGHT attribute of the building's BLDG block. The finding
    names the source.

    Clause: GB 55031-2022 3.2.1–3.2.6; GB 50352-2019 4.1.1

    **Fails when** H > `planning.height_max_m`.

    **Passes when** H ≤ `planning.height_max_m` for every building (equality passes).

    **Known limits** H is not measured from the section and elevation level texts: a declared
    height that differs from the drawings is caught by JOINT-003, not here. Separate eave and
    ridge heights of pitched roofs are not evaluated. A building with no declared height
    reports an info finding; with no height for any building, or without
    `planning.height_max_m`: not checked.
    """
    limit = float(
        require_param(
            ctx.params.planning.height_max_m,
            "planning.height_max_m",
            "建筑限高",
            "maximum building height",
        )
    )
    groups = _height_groups(ctx)
    seen: set[str] = set()
    found_any = False
    out: list[Violation] = []
    for g in groups:
        key = g.name or g.title_en
        if g.name is not None and key in seen:
            continue  # the same building on a second site plan sheet
        seen.add(key)
        h, source = g.height()
        anchor = g.outlines[0] if g.outlines else None
        geometry: BaseGeometry | None = None
        if g.outlines:
            geometry = g.footprint
        elif g.block is not None:
            geometry = shapely.Point(g.block.point)
        params = {
            "planning.height_max_m": limit,
            "building.height_m": h,
            "height_source": (
                f"{source} (declared; H not measured from sections or elevations)"
                if h is not None
                else "none"
            ),
        }
        if h is None:
            out.append(
                ctx.violation(
                    anchor,
                    f"建筑 {g.title} 未给出建筑高度（building.height_m 或 BLDG 块 HEIGHT），"
                    "限高未作检查",
                    f"Building {g.title_en} has no declared height (building.height_m or BLDG "
                    "HEIGHT); the height limit is not checked for it",
                    severity=Severity.INFO,
                    geometry=geometry,
                    params=params,
                )
            )
            continue
        found_any = True
        if h <= limit + EPS:
            continue
        out.append(
            ctx.violation(
                anchor,
                f"建筑 {g.title} 高度 {fmt(h)} m（取自 {source}）超过规划限高 {fmt(limit)} m",
                f"Building {g.title_en} is {fmt(h)} m high (from {source}), above the height "
                f"limit {fmt(limit)} m of the planning conditions",
                measured=h,
                limit=limit,
                unit="m",
                geometry=geometry,
                params=params,
            )
        )
    if not found_any:
        raise NotChecked(
            "没有任何建筑的高度（building.height_m 或总平面图 BLDG 块的 HEIGHT 属性），"
            "限高未作检查",
            "no building height is known (building.height_m or the HEIGHT of a BLDG block on "
            "the site plan); the height limit is not checked",
        )
    yield from out


def _height_groups(ctx: CheckContext) -> list[BuildingGroup]:
    """The buildings whose height is judged: those of the site plans, else the BLDG blocks,
    else the buildings declared in project.toml."""
    try:
        plans = site_plans(ctx)
    except NotChecked:
        plans = []
    groups = [g for plan in plans for g in building_groups(ctx, plan)]
    if groups:
        return groups
    declared = ctx.params.buildings
    blocks = [b for _, b in ctx.buildings()]
    if blocks:
        out = []
        for b in blocks:
            name = (b.attrs.get("NAME") or b.name or "").strip() or None
            bp = declared.get(name or "") or (
                next(iter(declared.values()))
                if len(declared) == 1 and len(blocks) == 1
                else BuildingParams()
            )
            out.append(BuildingGroup(name, b, [], bp))
        return out
    return [BuildingGroup(k or None, None, [], bp) for k, bp in declared.items()]

"""Planning rules about where buildings stand: red lines, control line and setbacks
(PLAN-001, PLAN-002, PLAN-007, PLAN-008).

All four compare outlines with lines of the same site plan sheet, so they share the sheet
grouping of ``_site.site_plans``. Distances use STR-trees (nearest road line per outline) or
vectorised shapely calls, never a loop over all pairs.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from checkers.context import CheckContext, Item
from checkers.findings import NotChecked, Violation
from checkers.planning._site import EPS, PLANNING, SitePlan, fmt, require_param, site_plans
from checkers.registry import rule
from drawings.model import Severity

__all__ = [
    "building_crosses_control_line",
    "building_outside_redline",
    "building_too_close_to_boundary",
    "building_too_close_to_road",
]

CONTAINMENT_TOL_M = 0.01
"""PLAN-001: a part more than this far outside fails (catalogue threshold); PLAN-002 uses the
same value as drawing precision."""
_SAMPLE_STEP_M = 0.25


def _reach(part: BaseGeometry, ref: BaseGeometry) -> float:
    """How far ``part`` reaches away from ``ref``: the largest distance of its boundary points
    (sampled every 0.25 m) from ``ref``."""
    if part.is_empty:
        return 0.0
    coords = shapely.get_coordinates(shapely.segmentize(part, _SAMPLE_STEP_M))
    if not len(coords):
        return 0.0
    return float(np.max(shapely.distance(shapely.points(coords), ref)))


def _penetration(outline: BaseGeometry, line: BaseGeometry) -> float:
    """How far an outline reaches across a road red line.

    The line cuts the outline into pieces; every piece but the largest lies across the line, and
    the depth is how far those pieces reach from it. A line that ends inside the outline cuts
    nothing: then the depth is how far the line runs into the outline.
    """
    pieces = outline.difference(line.buffer(1e-6))
    parts = sorted(getattr(pieces, "geoms", [pieces]), key=lambda g: g.area)
    if len(parts) >= 2:
        return max(_reach(p, line) for p in parts[:-1])
    inner = line.intersection(outline)
    return _reach(inner, outline.boundary)


def _outline_kind(item: Item) -> tuple[str, str]:
    """Chinese and English name of the outline's group for messages."""
    if item.obj.group == "G-BLDG-BASE":
        return "地下室轮廓", "basement outline"
    return "建筑轮廓", "building outline"


@rule("PLAN-001", "redline-containment", severity=Severity.ERROR)
def building_outside_redline(ctx: CheckContext) -> Iterator[Violation]:
    """Building outside the land boundary or across the road red line

    Checks that every building outline (G-BLDG-OUTL: the above-ground projection including
    balconies, canopies and steps) and every basement outline (G-BLDG-BASE) lies inside the land
    boundary (G-SITE-REDL) of its site plan sheet and does not cross a road red line
    (G-ROAD-REDL). Building on land outside the granted boundary, or on the road, is what the
    planning permit forbids first of all.

    Clause: GB 55031-2022 4.2.1; GB 50352-2019 4.3.1

    **Fails when** a part of an outline lies more than 0.01 m outside the land boundary (the
    finding gives how far it reaches out, and the outside part as geometry), or an outline
    reaches more than 0.01 m across a road red line (the finding gives the depth).

    **Passes when** every outline lies within 0.01 m of the inside of the land boundary and at
    most touches the road red lines.

    **Known limits** Only sheets with a closed land boundary are read; outlines are compared with
    the boundary of their own sheet. Underground parts other than the basement outline (piles,
    diaphragm walls, septic tanks) are checked only if drawn on G-BLDG-BASE. Connectors, metro
    links and pipelines approved by planning are exempt: the rule cannot tell them apart, so the
    reviewer decides on such findings. Without a road red line only the land boundary is checked.
    """
    plans = site_plans(ctx)
    if not any(p.outlines or p.basements for p in plans):
        raise NotChecked(
            "用地红线所在图纸上没有建筑轮廓（G-BLDG-OUTL）或地下室轮廓（G-BLDG-BASE）",
            "no building outline (G-BLDG-OUTL) or basement outline (G-BLDG-BASE) on the sheet "
            "of the land boundary",
        )
    for plan in plans:
        yield from _containment(ctx, plan)


def _containment(ctx: CheckContext, plan: SitePlan) -> Iterator[Violation]:
    site = plan.site
    grown = site.buffer(CONTAINMENT_TOL_M)
    items = plan.outlines + plan.basements
    params = {"tolerance_m": CONTAINMENT_TOL_M, "sheet": plan.label}
    for item in items:
        geom = item.geometry
        if geom.difference(grown).is_empty:
            continue
        outside = geom.difference(site)
        depth = _reach(outside, site)
        zh, en = _outline_kind(item)
        yield ctx.violation(
            item,
            f"{zh}超出用地红线，最远处超出 {fmt(depth, 3)} m（超出部分面积 "
            f"{fmt(outside.area)} m²）；建筑（含地下部分）不得超出用地红线",
            f"The {en} extends {fmt(depth, 3)} m beyond the land boundary (outside part "
            f"{fmt(outside.area)} m²); buildings, underground parts included, must stay inside it",
            measured=depth,
            limit=CONTAINMENT_TOL_M,
            unit="m",
            geometry=outside,
            params={**params, "outside_area_m2": round(float(outside.area), 3)},
        )
    roads = [r for r in plan.roads if not r.geometry.is_empty]
    if not roads or not items:
        return
    tree = ctx.index(roads)
    geoms = np.array([i.geometry for i in items], dtype=object)
    item_idx, road_idx = tree.query(geoms, predicate="intersects")
    hits: dict[int, list[int]] = {}
    for k, r in zip(item_idx.tolist(), road_idx.tolist(), strict=True):
        hits.setdefault(k, []).append(r)
    for k, road_ks in hits.items():
        item = items[k]
        line = shapely.union_all([roads[r].geometry for r in road_ks])
        depth = _penetration(item.geometry, line)
        if depth <= CONTAINMENT_TOL_M + EPS:
            continue
        zh, en = _outline_kind(item)
        yield ctx.violation(
            item,
            f"{zh}跨越道路红线，越过红线 {fmt(depth, 3)} m；建筑不得突入道路红线",
            f"The {en} crosses the road red line by {fmt(depth, 3)} m; buildings must not "
            "project into the road",
            measured=depth,
            limit=CONTAINMENT_TOL_M,
            unit="m",
            geometry=line.intersection(item.geometry),
            handles=(item.obj.handle, *(roads[r].obj.handle for r in road_ks)),
            params={**params, "line": "G-ROAD-REDL"},
        )


@rule("PLAN-002", "control-line", severity=Severity.ERROR)
def building_crosses_control_line(ctx: CheckContext) -> Iterator[Violation]:
    """Building main body outside the building control line

    Checks that the outline of each building's above-ground main body (G-BLDG-OUTL) lies inside
    the building control line polygon (建筑控制线, G-SITE-CTRL) of the same site plan sheet. The
    control line fixes where the main body may stand, inside the setbacks.

    Clause: GB 55031-2022 4.2.2; GB 50352-2019 4.3.3

    **Fails when** a part of an outline lies outside the control line by more than 0.01 m
    (drawing precision); the finding gives how far it reaches out and the outside part.

    **Passes when** every outline lies inside the control line polygon (touching it is allowed).

    **Known limits** No control line drawn: not checked (info). Basements, garage ramps, window
    wells, steps, ramps, canopies and eaves (挑檐) are exempt, but G-BLDG-OUTL is read as the
    main body: where it includes such parts the reviewer decides. Sheets without a control line
    are skipped.
    """
    plans = site_plans(ctx)
    with_ctrl = [p for p in plans if p.controls]
    if not with_ctrl:
        raise NotChecked(
            "未绘制建筑控制线（G-SITE-CTRL），本条不作检查",
            "no building control line (G-SITE-CTRL) is drawn; the rule is not evaluated",
        )
    if not any(p.outlines for p in with_ctrl):
        raise NotChecked(
            "建筑控制线所在图纸上没有建筑轮廓（G-BLDG-OUTL）",
            "no building outline (G-BLDG-OUTL) on the sheet of the building control line",
        )
    for plan in with_ctrl:
        ctrl = shapely.union_all([c.geometry for c in plan.controls])
        grown = ctrl.buffer(CONTAINMENT_TOL_M)
        for item in plan.outlines:
            geom = item.geometry
            if geom.difference(grown).is_empty:
                continue
            outside = geom.difference(ctrl)
            depth = _reach(outside, ctrl)
            yield ctx.violation(
                item,
                f"建筑主体轮廓超出建筑控制线 {fmt(depth, 3)} m（超出部分面积 "
                f"{fmt(outside.area)} m²）；地上建筑主体不得突破建筑控制线",
                f"The building's main body extends {fmt(depth, 3)} m beyond the building control "
                f"line (outside part {fmt(outside.area)} m²); it must stay inside the line",
                measured=depth,
                limit=0.0,
                unit="m",
                geometry=outside,
                params={
                    "tolerance_m": CONTAINMENT_TOL_M,
                    "sheet": plan.label,
                    "outside_area_m2": round(float(outside.area), 3),
                },
            )


@rule(
    "PLAN-007",
    "road-setback",
    severity=Severity.ERROR,
    params=("planning.setback_road_m",),
)
def building_too_close_to_road(ctx: CheckContext) -> Iterator[Violation]:
    """Building closer to the road red line than the required setback

    Measures the shortest distance from each above-ground building outline (G-BLDG-OUTL) to the
    nearest road red line (G-ROAD-REDL) of the same site plan sheet (后退道路红线距离).

    Clause: planning conditions; local planning technical regulation (规划管理技术规定)

    **Fails when** the distance is less than `planning.setback_road_m` (an outline that touches
    or crosses the road red line measures 0 m). The finding draws the shortest connection.

    **Passes when** every outline is at least `planning.setback_road_m` from every road red line.

    **Known limits** One value from the planning conditions is applied to every road; local
    rules that vary it by building height or road width must be expressed in that value.
    Basements (G-BLDG-BASE) are not measured. Without `planning.setback_road_m` or without a
    road red line: not checked.
    """
    limit = float(
        require_param(
            ctx.params.planning.setback_road_m,
            "planning.setback_road_m",
            "退道路红线距离",
            "minimum distance from the road red line",
        )
    )
    ctx.require(PLANNING, "G-ROAD-REDL", texts=False)
    plans = [p for p in site_plans(ctx) if p.roads and p.outlines]
    if not plans:
        raise NotChecked(
            "没有同时绘有道路红线（G-ROAD-REDL）与建筑轮廓（G-BLDG-OUTL）的总平面图",
            "no site plan sheet holds both a road red line (G-ROAD-REDL) and building "
            "outlines (G-BLDG-OUTL)",
        )
    params = {"planning.setback_road_m": limit}
    for plan in plans:
        roads = plan.roads
        tree = ctx.index(roads)
        geoms = np.array([i.geometry for i in plan.outlines], dtype=object)
        (o_idx, r_idx), dist = tree.query_nearest(geoms, return_distance=True, all_matches=False)
        for o, r, d in zip(o_idx.tolist(), r_idx.tolist(), dist.tolist(), strict=True):
            if d >= limit - EPS:
                continue
            item, road = plan.outlines[o], roads[r]
            yield ctx.violation(
                item,
                f"建筑退道路红线距离 {fmt(d)} m，小于规划条件要求的 {fmt(limit)} m",
                f"The building is {fmt(d)} m from the road red line; the planning conditions "
                f"require at least {fmt(limit)} m",
                measured=d,
                limit=limit,
                unit="m",
                geometry=shapely.shortest_line(item.geometry, road.geometry),
                handles=(item.obj.handle, road.obj.handle),
                params={**params, "sheet": plan.label},
            )


@rule(
    "PLAN-008",
    "boundary-setback",
    severity=Severity.ERROR,
    params=("planning.setback_boundary_m",),
)
def building_too_close_to_boundary(ctx: CheckContext) -> Iterator[Violation]:
    """Building closer to the land boundary than the required setback

    Measures the shortest distance from each building outline (G-BLDG-OUTL) to the land
    boundary (G-SITE-REDL) of the same site plan sheet (离界距离), so that neighbouring plots
    keep their light, fire separation and building rights.

    Clause: planning conditions; local planning technical regulation

    **Fails when** the distance is less than `planning.setback_boundary_m`. An outline that
    crosses or lies outside the boundary measures 0 m (PLAN-001 reports the crossing itself).

    **Passes when** every outline lies inside the boundary at least `planning.setback_boundary_m`
    from it.

    **Known limits** One value is applied to every side; local orientation rules (main façade
    vs gable) and the halving against roads or green belts are left to the reviewer. Basements
    (G-BLDG-BASE) are not measured. Without `planning.setback_boundary_m`: not checked.
    """
    limit = float(
        require_param(
            ctx.params.planning.setback_boundary_m,
            "planning.setback_boundary_m",
            "离界距离",
            "minimum distance from the land boundary",
        )
    )
    plans = [p for p in site_plans(ctx) if p.outlines]
    if not plans:
        raise NotChecked(
            "用地红线所在图纸上没有建筑轮廓（G-BLDG-OUTL）",
            "no building outline (G-BLDG-OUTL) on the sheet of the land boundary",
        )
    params = {"planning.setback_boundary_m": limit}
    for plan in plans:
        boundary = plan.site.boundary
        geoms = np.array([i.geometry for i in plan.outlines], dtype=object)
        inside = shapely.covers(plan.site, geoms)
        dist = shapely.distance(geoms, boundary)
        for k, item in enumerate(plan.outlines):
            d = float(dist[k]) if inside[k] else 0.0
            if d >= limit - EPS:
                continue
            where_zh = "" if inside[k] else "（轮廓超出用地红线，按 0 计）"
            where_en = "" if inside[k] else " (the outline crosses the boundary: 0 m)"
            yield ctx.violation(
                item,
                f"建筑离用地红线距离 {fmt(d)} m{where_zh}，小于规划条件要求的 {fmt(limit)} m",
                f"The building is {fmt(d)} m from the land boundary{where_en}; the planning "
                f"conditions require at least {fmt(limit)} m",
                measured=d,
                limit=limit,
                unit="m",
                geometry=shapely.shortest_line(item.geometry, boundary),
                handles=(item.obj.handle, plan.anchor.obj.handle),
                params={**params, "sheet": plan.label},
            )

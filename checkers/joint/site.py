"""JOINT-001, JOINT-006, JOINT-009: outlines and site lines shared by several drawings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from shapely.geometry.base import BaseGeometry

from checkers.context import CheckContext, Item
from checkers.findings import Violation
from checkers.joint.common import (
    DISCIPLINE_ZH,
    Pool,
    from_site,
    hausdorff,
    iou,
    not_checked,
    outline,
    registered,
    require_disciplines,
    unregistered_notices,
)
from checkers.registry import rule
from drawings.model import Discipline, Severity

__all__ = ["fire_site_mismatch", "footprint_mismatch", "site_boundary_mismatch"]

IOU_MIN = 0.98
FOOTPRINT_HAUSDORFF_M = 0.5
WALL_CLOSING_M = 1.0
FIRE_SITE_HAUSDORFF_M = 0.2
SITE_LINE_HAUSDORFF_M = 0.1


# -- JOINT-001 ------------------------------------------------------------------------------------


def _storey_outline(ctx: CheckContext, floors: Sequence[str]) -> tuple[Item, BaseGeometry] | None:
    """The architecture outer-wall outline (site coordinates) of the first of ``floors`` drawn."""
    walls = ctx.items(Discipline.ARCHITECTURE, "A-WALL", texts=False)
    for floor in floors:
        on_floor = [w for w in walls if w.floor == floor]
        placed, _ = registered(ctx, on_floor)
        if not placed:
            continue
        shape = outline([g for _, g in placed], WALL_CLOSING_M)
        if shape is not None:
            return placed[0][0], shape
    return None


def _top_floors(ctx: CheckContext) -> list[str]:
    """``RF`` first, then the numbered storeys from the highest down."""
    floors = {w.floor for w in ctx.items(Discipline.ARCHITECTURE, "A-WALL") if w.floor}
    numbered = sorted((f for f in floors if f.lstrip("-").isdigit()), key=int, reverse=True)
    return (["RF"] if "RF" in floors else []) + [f for f in numbered if int(f) > 0]


def _pair(
    ctx: CheckContext,
    item: Item,
    shape: BaseGeometry,
    ref_name: str,
    ref: BaseGeometry,
    what: str,
    what_en: str,
) -> Iterator[Violation]:
    """Compare one outline (``item``, site ``shape``) with its reference outline."""
    ratio = iou(shape, ref)
    dist = hausdorff(shape, ref)
    if ratio >= IOU_MIN and dist <= FOOTPRINT_HAUSDORFF_M:
        return
    params = {"iou_min": IOU_MIN, "hausdorff_max_m": FOOTPRINT_HAUSDORFF_M, "iou": round(ratio, 4)}
    params["hausdorff_m"] = round(dist, 4)
    geom = from_site(ctx, item.sheet, shape)
    if ratio < IOU_MIN:
        measured, limit, unit = ratio, IOU_MIN, None
    else:
        measured, limit, unit = dist, FOOTPRINT_HAUSDORFF_M, "m"
    yield ctx.violation(
        item,
        f"{what}与{ref_name}不一致：重合度 IoU = {ratio:.3f}（要求 ≥ 0.98），"
        f"最大偏差 {dist:.2f} m（要求 ≤ 0.5 m）",
        f"{what_en} differs from the {ref_name}: IoU = {ratio:.3f} (required ≥ 0.98), "
        f"Hausdorff distance {dist:.2f} m (required ≤ 0.5 m)",
        geometry=geom,
        measured=measured,
        limit=limit,
        unit=unit,
        params=params,
    )


def _best(ref: Pool, shape: BaseGeometry) -> BaseGeometry | None:
    """The reference outline overlapping ``shape`` most, else the nearest one."""
    hits = ref.overlapping(shape) or ref.within(shape, 0.0)
    if not hits:
        return None
    return max((g for _, g in hits), key=lambda g: g.intersection(shape).area)


@rule("JOINT-001", "footprint-match", severity=Severity.ERROR)
def footprint_mismatch(ctx: CheckContext) -> Iterator[Violation]:
    """Building outline differs between drawings (建筑轮廓不一致).

    The planning outline (G-BLDG-OUTL, site coordinates) is compared with (a) the outer wall
    outline of the architecture ground floor and (b) the outline on the fire site plan; the
    lightning roof outline (E-LTNG-ROOF) is compared with the outer wall outline of the
    architecture roof plan (``RF``, else the highest storey drawn). The outer wall outline
    is built from the A-WALL objects of that storey's sheet after registration: wall polygons,
    and wall lines thickened by 5 cm, are united and closed morphologically by 1.0 m (mitred,
    so right-angled corners stay exact), which bridges door and window openings up to 2 m
    wide; the largest part with its holes filled is the outline.

    Clause: consistency

    **Fails when** for a pair IoU < 0.98 or the Hausdorff distance between the outlines is
    more than 0.5 m. The finding reports IoU when that fails, else the Hausdorff distance.

    **Passes when** every pair has IoU ≥ 0.98 and Hausdorff distance ≤ 0.5 m.

    **Known limits** Recesses of the outer wall narrower than 2 m are filled by the closing,
    and openings wider than 2 m with no wall line across them open the outline (the largest
    part is then used). Balconies, canopies and steps drawn on G-BLDG-OUTL but not as walls
    show as differences; the reviewer judges them. With several BLDG blocks floor plans
    cannot be registered and are reported as info.
    """
    pairs = 0
    plan_items = ctx.items(Discipline.PLANNING, "G-BLDG-OUTL", closed=True)
    plan, lost = registered(ctx, plan_items)
    all_lost = list(lost)
    plan_pool = Pool(plan)
    yield from unregistered_notices(ctx, lost, "建筑轮廓")
    ground = _storey_outline(ctx, ["1"])
    if plan and ground is not None:
        pairs += 1
        ref = _best(plan_pool, ground[1])
        assert ref is not None
        yield from _pair(
            ctx,
            ground[0],
            ground[1],
            "规划总图建筑轮廓",
            ref,
            "建筑首层外墙轮廓",
            "the architecture ground-floor outer wall outline",
        )
    fire, lost = registered(ctx, ctx.items(Discipline.FIRE, "G-BLDG-OUTL", closed=True))
    all_lost += lost
    yield from unregistered_notices(ctx, lost, "建筑轮廓")
    for item, shape in fire if plan else []:
        pairs += 1
        ref = _best(plan_pool, shape)
        assert ref is not None
        yield from _pair(
            ctx,
            item,
            shape,
            "规划总图建筑轮廓",
            ref,
            "消防总平面图建筑轮廓",
            "the fire site-plan outline",
        )
    roof, lost = registered(ctx, ctx.items(Discipline.LIGHTNING, "E-LTNG-ROOF", closed=True))
    all_lost += lost
    yield from unregistered_notices(ctx, lost, "屋面轮廓")
    storey_walls = [
        w for w in ctx.items(Discipline.ARCHITECTURE, "A-WALL", texts=False) if w.floor is not None
    ]
    walls_lost = registered(ctx, storey_walls)[1]
    all_lost += walls_lost
    yield from unregistered_notices(ctx, walls_lost, "墙体")
    top = _storey_outline(ctx, _top_floors(ctx)) if roof else None
    if top is not None:
        for item, shape in roof:
            pairs += 1
            yield from _pair(
                ctx,
                item,
                shape,
                "建筑屋顶平面外墙轮廓",
                top[1],
                "防雷屋面轮廓",
                "the lightning roof outline",
            )
    if pairs == 0:
        raise not_checked(
            ctx,
            "缺少可比对的轮廓：需规划 G-BLDG-OUTL 与建筑首层 A-WALL（或消防总图轮廓），"
            "或防雷 E-LTNG-ROOF 与建筑屋顶 A-WALL，且图纸可配准",
            "no outline pair to compare: planning G-BLDG-OUTL with architecture ground-floor "
            "A-WALL (or the fire site-plan outline), or lightning E-LTNG-ROOF with the "
            "architecture roof A-WALL, on registrable sheets",
            all_lost,
        )


# -- matching sets of site geometry (JOINT-006, JOINT-009) ----------------------------------------


def _match(
    ctx: CheckContext,
    ref: Sequence[tuple[Item, BaseGeometry]],
    other: Sequence[tuple[Item, BaseGeometry]],
    names: tuple[str, str],
    tol: float,
    what: tuple[str, str],
    params: dict[str, object],
) -> Iterator[Violation]:
    """Each geometry of ``other`` needs a geometry of ``ref`` within Hausdorff ``tol``, and
    each geometry of ``ref`` one of ``other`` (``names`` = the two drawings, reference first).
    Candidates come from an STR-tree (n log n)."""
    for a, b, there in ((other, ref, names[0]), (ref, other, names[1])):
        pool = Pool(b)
        for item, geom in a:
            best: float | None = None
            if pool:
                best = min(hausdorff(geom, g) for _, g in pool.within(geom, tol))
            if best is not None and best <= tol:
                continue
            mine = DISCIPLINE_ZH.get(item.drawing.discipline, "")
            gap = f"，最近者偏差 {best:.3f} m" if best is not None else "，该图未绘制"
            gap_en = (
                f"; the nearest differs by {best:.3f} m"
                if best is not None
                else ("; that drawing does not draw any")
            )
            yield ctx.violation(
                item,
                f"{mine}图纸的{what[0]}在 {there} 中没有对应（允许偏差 ≤ {tol} m{gap}）",
                f"{what[1]} of the {item.drawing.discipline.value} drawing has no counterpart in "
                f"{there} (allowed Hausdorff distance ≤ {tol} m{gap_en})",
                measured=best,
                limit=tol,
                unit="m",
                params=dict(params),
            )


def _files(placed: Sequence[tuple[Item, BaseGeometry]], d: Discipline) -> str:
    """The drawing files of ``placed`` for messages (the discipline when there are none)."""
    files = sorted({i.drawing.file for i, _ in placed})
    return "、".join(files) if files else f"{d.value} drawings"


@rule("JOINT-006", "fire-site-match", severity=Severity.ERROR)
def fire_site_mismatch(ctx: CheckContext) -> Iterator[Violation]:
    """Fire lanes and rescue sites differ between planning and fire site plans (消防车道、
    登高场地不一致).

    The fire-lane polygons (F-LANE) and rescue-site polygons (F-SITE) of the planning site
    plan and of the fire site plan, both in site coordinates, must be the same set: every
    polygon of either drawing is paired with the polygon of the other drawing at the smallest
    Hausdorff distance (candidates from an STR-tree within 0.2 m).

    Clause: consistency (GB 50016-2014 (2018) 7.1, 7.2)

    **Fails when** a polygon has no counterpart within a Hausdorff distance of 0.2 m,
    including when one drawing shows the group and the other does not.

    **Passes when** both site plans show the same fire lanes and rescue sites within 0.2 m.

    **Known limits** Not checked when the planning or fire drawings are absent, or when
    neither shows F-LANE or F-SITE. Lanes split differently into polygons (one polygon on one
    plan, two on the other) are reported as unmatched; the reviewer merges them by eye.
    """
    require_disciplines(ctx, Discipline.PLANNING, Discipline.FIRE)
    compared = False
    all_lost: list[Item] = []
    for group, what, what_en in (
        ("F-LANE", "消防车道", "fire lane"),
        ("F-SITE", "消防登高操作场地", "rescue site"),
    ):
        plan, lost_p = registered(ctx, ctx.items(Discipline.PLANNING, group, closed=True))
        fire, lost_f = registered(ctx, ctx.items(Discipline.FIRE, group, closed=True))
        all_lost += lost_p + lost_f
        yield from unregistered_notices(ctx, lost_p + lost_f, what)
        if not plan and not fire:
            continue
        compared = True
        params: dict[str, object] = {"group": group, "hausdorff_max_m": FIRE_SITE_HAUSDORFF_M}
        names = (_files(plan, Discipline.PLANNING), _files(fire, Discipline.FIRE))
        yield from _match(ctx, plan, fire, names, FIRE_SITE_HAUSDORFF_M, (what, what_en), params)
    if not compared:
        raise not_checked(
            ctx,
            "规划与消防总平面图均无可配准的 F-LANE / F-SITE，无法比对",
            "neither the planning nor the fire site plan shows registrable F-LANE or F-SITE",
            all_lost,
        )


@rule("JOINT-009", "site-boundary-match", severity=Severity.ERROR)
def site_boundary_mismatch(ctx: CheckContext) -> Iterator[Violation]:
    """Site boundary, road red line or control line differs between site plans (用地红线、
    道路红线、建筑控制线不一致).

    The land boundary (G-SITE-REDL), road red lines (G-ROAD-REDL) and building control line
    (G-SITE-CTRL) of the planning site plan are the reference. Every other drawing that draws
    the group on a registrable sheet (fire and architecture site plans) must show the same
    lines: each line is paired with the line of the other drawing at the smallest Hausdorff
    distance (closed polylines compared by their boundary; candidates from an STR-tree).

    Clause: consistency (planning conditions)

    **Fails when** a line of either drawing has no counterpart within a Hausdorff distance
    of 0.1 m.

    **Passes when** every line matches within 0.1 m.

    **Known limits** A drawing that does not draw a group at all is not compared for it (the
    groups are optional outside the planning drawing). A line split into several polylines on
    one drawing is reported as unmatched. Not checked when no drawing besides the planning
    drawing carries any of the groups.
    """
    require_disciplines(ctx, Discipline.PLANNING)
    compared = False
    all_lost: list[Item] = []
    for group, what, what_en in (
        ("G-SITE-REDL", "用地红线", "land boundary"),
        ("G-ROAD-REDL", "道路红线", "road red line"),
        ("G-SITE-CTRL", "建筑控制线", "building control line"),
    ):
        ref, lost = registered(ctx, ctx.items(Discipline.PLANNING, group, texts=False))
        all_lost += lost
        yield from unregistered_notices(ctx, lost, what)
        if not ref:
            continue
        for d in Discipline:
            if d == Discipline.PLANNING:
                continue
            for drawing in ctx.of(d):
                items = [i for i in ctx.items(d, group, texts=False) if i.drawing is drawing]
                other, lost = registered(ctx, items)
                all_lost += lost
                yield from unregistered_notices(ctx, lost, what)
                if not other:
                    continue
                compared = True
                params: dict[str, object] = {
                    "group": group,
                    "hausdorff_max_m": SITE_LINE_HAUSDORFF_M,
                }
                names = (_files(ref, Discipline.PLANNING), drawing.file)
                yield from _match(
                    ctx, ref, other, names, SITE_LINE_HAUSDORFF_M, (what, what_en), params
                )
    if not compared:
        raise not_checked(
            ctx,
            "除规划总图外没有图纸（在可配准的图上）绘制用地红线、道路红线或建筑控制线，无法比对",
            "no drawing besides the planning site plan draws G-SITE-REDL, G-ROAD-REDL or "
            "G-SITE-CTRL",
            all_lost,
        )

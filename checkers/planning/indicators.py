"""Planning rules that count and compare: parking stalls (PLAN-009) and the declared indicator
table against the geometry (PLAN-010).

Both reuse the counted floor area and the ratios of PLAN-003 to PLAN-005, so a value that is
wrong in the table is reported once, against the same computation the limits were judged on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from checkers.context import CheckContext, Item, rect_sides
from checkers.findings import NotChecked, Violation
from checkers.planning._site import (
    EPS,
    SitePlan,
    ceil_stalls,
    counted_area,
    fmt,
    indicator_items,
    normalise,
    primary_site_plan,
    require_param,
)
from checkers.planning.ratios import density, green_ratio
from checkers.registry import rule
from drawings.model import Severity

__all__ = [
    "Declared",
    "StallCount",
    "count_stalls",
    "indicator_mismatch",
    "parse_indicators",
    "too_few_parking_stalls",
]

STALL_SHORT_M = (1.8, 6.0)
"""Short side of a drawn shape that counts as a stall (a car stall is 2.2–3.5 m wide)."""
STALL_LONG_M = (3.5, 15.0)
"""Long side of a drawn shape that counts as a stall (5.0–6.0 m for cars, up to 15 m for buses)."""
_MECH_RE = re.compile(r"机械(?:停车)?(?:车位|泊位)\D{0,8}?(\d+)\s*(?:个|辆|位)?")


# --- PLAN-009 --------------------------------------------------------------------------------


@dataclass(slots=True)
class StallCount:
    """Stalls found on a site plan, with what was counted and what was not."""

    drawn: int = 0
    mechanical: int = 0
    ignored: int = 0
    mechanical_texts: list[str] = field(default_factory=list)
    geometries: list[BaseGeometry] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Drawn plus mechanical stalls."""
        return self.drawn + self.mechanical


def _is_stall(geom: BaseGeometry) -> bool:
    short, long_ = rect_sides(geom)
    return (
        STALL_SHORT_M[0] <= short <= STALL_SHORT_M[1]
        and STALL_LONG_M[0] <= long_ <= STALL_LONG_M[1]
    )


def count_stalls(ctx: CheckContext, plan: SitePlan) -> StallCount:
    """Count stall rectangles and stall blocks on G-PARK, plus mechanical stalls in text.

    Expanded block content and the INSERT that placed it are the same stall: an INSERT whose
    footprint holds a counted rectangle of its own handle is not counted again, nor is an INSERT
    that holds several other stall INSERTs (a row block). Identical rectangles (a polyline and
    its hatch) count once.
    """
    count = StallCount()
    shapes = [i for i in plan.parking if not i.is_text]
    polys: list[Item] = []
    seen: set[tuple[float, float, float]] = set()
    for item in shapes:
        geom = item.geometry
        if item.obj.kind == "INSERT" or geom.geom_type not in ("Polygon", "MultiPolygon"):
            continue
        c = geom.centroid
        key = (round(c.x, 1), round(c.y, 1), round(float(geom.area), 1))
        if key in seen:
            continue
        seen.add(key)
        if _is_stall(geom):
            polys.append(item)
        else:
            count.ignored += 1
    count.drawn = len(polys)
    count.geometries = [p.geometry for p in polys]
    inserts = [i for i in shapes if i.obj.kind == "INSERT"]
    if inserts:
        reach = np.array([i.geometry.buffer(0.05) for i in inserts], dtype=object)
        own = np.zeros(len(inserts), dtype=bool)
        if polys:
            ins_idx, poly_idx = ctx.index(polys).query(reach, predicate="contains")
            for k, p in zip(ins_idx.tolist(), poly_idx.tolist(), strict=True):
                if polys[p].obj.handle == inserts[k].obj.handle:
                    own[k] = True
        points = [shapely.Point(i.obj.point or i.geometry.centroid.coords[0]) for i in inserts]
        ins_idx, pt_idx = shapely.STRtree(points).query(reach, predicate="contains")
        holds = np.bincount(ins_idx[ins_idx != pt_idx], minlength=len(inserts))
        for k, item in enumerate(inserts):
            if own[k] or holds[k] >= 2:
                continue
            count.drawn += 1
            count.geometries.append(item.geometry)
    texts = [i for i in plan.parking if i.is_text]
    mech = [(i, m) for i in texts for m in _MECH_RE.finditer(normalise(i.text))]
    if not mech:
        mech = [(i, m) for i in indicator_items(ctx) for m in _MECH_RE.finditer(normalise(i.text))]
    for item, m in mech:
        count.mechanical += int(m.group(1))
        count.mechanical_texts.append(item.text.strip())
    return count


@rule(
    "PLAN-009",
    "parking-count",
    severity=Severity.ERROR,
    params=("planning.parking_per_100m2", "building.gross_floor_area_m2"),
)
def too_few_parking_stalls(ctx: CheckContext) -> Iterator[Violation]:
    """Fewer parking stalls than the planning conditions require

    Counts the parking stalls of the site plan: stall rectangles (closed polylines or hatches
    of stall size) and stall blocks on G-PARK, plus mechanical stalls stated in text such as
    "机械车位 40 个" (on G-PARK, else in the indicator table). The requirement is
    `planning.parking_per_100m2` × gross floor area ÷ 100, rounded up, with the gross floor area
    taken as in PLAN-003 (declared `building.gross_floor_area_m2`, else footprint × storeys).

    Clause: local parking standard (停车配建标准) via the planning conditions

    **Fails when** the stalls counted are fewer than the required number.

    **Passes when** the stalls counted reach the required number.

    **Known limits** Only shapes whose minimum rectangle is 1.8–6 m by 3.5–15 m count as stalls;
    other closed shapes on G-PARK (parking area outlines) are ignored and their number is given
    in the finding. Underground stalls count only if drawn on G-PARK of the site plan or stated
    as mechanical stalls. Rates that differ by use (residential per dwelling, visitor,
    non-motorised parking) are not evaluated. Without `planning.parking_per_100m2`, without
    stalls or when the floor area is unknown: not checked.
    """
    rate = float(
        require_param(
            ctx.params.planning.parking_per_100m2,
            "planning.parking_per_100m2",
            "每百平方米建筑面积停车位配建指标",
            "parking stalls per 100 m² of floor area",
        )
    )
    plan = primary_site_plan(ctx)
    count = count_stalls(ctx, plan)
    if not (count.drawn or count.ignored or count.mechanical):
        raise NotChecked(
            "总平面图上没有车位（G-PARK），也没有机械车位说明，本条不作检查",
            "no parking stalls (G-PARK) and no mechanical stalls stated on the site plan; "
            "the rule is not evaluated",
        )
    area = counted_area(ctx, plan)
    required = ceil_stalls(rate * area.total / 100.0)
    if count.total >= required:
        return
    geometry = shapely.union_all(count.geometries) if count.geometries else plan.site
    yield ctx.violation(
        plan.anchor,
        f"停车位 {count.total} 个（地面车位 {count.drawn} 个、机械车位 {count.mechanical} 个），"
        f"少于规划条件要求的 {required} 个（{fmt(rate)} 个/100 m² × 建筑面积 {fmt(area.total)} m²）",
        f"{count.total} parking stalls ({count.drawn} drawn, {count.mechanical} mechanical), "
        f"fewer than the {required} required ({fmt(rate)} per 100 m² × {fmt(area.total)} m² "
        "floor area)",
        measured=count.total,
        limit=required,
        unit="个",
        geometry=geometry,
        params={
            "planning.parking_per_100m2": rate,
            "floor_area_m2": round(area.total, 2),
            "basis": area.basis,
            "drawn_stalls": count.drawn,
            "mechanical_stalls": count.mechanical,
            "mechanical_texts": count.mechanical_texts,
            "ignored_shapes": count.ignored,
            "sheet": plan.label,
        },
    )


# --- PLAN-010 --------------------------------------------------------------------------------

_LINE_RE = re.compile(r"^\s*([^:\s][^:]*?)\s*:\s*(\d+(?:\.\d+)?)\s*(万)?\s*(%|M2|平方米|公顷|HA)?")
_NAMES = {
    "容积率": "far",
    "建筑密度": "density",
    "建筑覆盖率": "density",
    "绿地率": "green",
    "总建筑面积": "gfa_total",
    "计容建筑面积": "gfa_counted",
    "计容面积": "gfa_counted",
    "用地面积": "site",
    "建设用地面积": "site",
    "净用地面积": "site",
    "建筑基底面积": "footprint",
    "建筑占地面积": "footprint",
    "基底面积": "footprint",
    "绿地面积": "green_area",
    "地下建筑面积": "underground",
}
_PERCENT = frozenset({"density", "green"})


@dataclass(frozen=True, slots=True)
class Declared:
    """One recognised line of the indicator table."""

    key: str
    name: str
    value: float
    item: Item


def parse_indicators(items: list[Item]) -> list[Declared]:
    """Recognised ``名称：值 单位`` lines of the indicator texts (MTEXT split into lines).

    Full- and half-width colons, ``㎡``/``m2``/``平方米``, ``万`` and ``%`` are accepted; a ratio
    written without ``%`` and at most 1 is read as a fraction; parenthesised remarks in the name
    (``地下建筑面积（不计容）``) are ignored.
    """
    out: list[Declared] = []
    for item in items:
        for line in normalise(item.text).splitlines():
            m = _LINE_RE.match(line)
            if m is None:
                continue
            name = re.sub(r"\([^)]*\)", "", m.group(1))
            name = re.sub(r"^[\d.、\s]+", "", name).strip()  # "1. 容积率", "2、绿地率"
            key = _NAMES.get(name)
            if key is None:
                continue
            value = float(m.group(2))
            unit = m.group(4) or ""
            if m.group(3):
                value *= 10000.0
            if unit in ("公顷", "HA"):
                value *= 10000.0
            if key in _PERCENT and unit != "%" and value <= 1.0:
                value *= 100.0
            out.append(Declared(key, name, value, item))
    return out


@dataclass(frozen=True, slots=True)
class _Check:
    """How one indicator is computed and compared."""

    zh: str
    en: str
    unit: str
    compute: Callable[[], float]
    tolerance: Callable[[float], float]
    tolerance_text: str


def _checks(ctx: CheckContext, plan: SitePlan) -> dict[str, _Check]:
    def area_tol(computed: float) -> float:
        return 0.005 * computed

    def counted() -> float:
        return counted_area(ctx, plan).total

    def far() -> float:
        if plan.area <= 0:
            raise NotChecked("用地面积为 0", "the site area is 0")
        return counted() / plan.area

    return {
        "far": _Check("容积率", "floor-area ratio", "", far, lambda _: 0.01, "0.01"),
        "density": _Check(
            "建筑密度",
            "building density",
            "%",
            lambda: density(plan).value * 100,
            lambda _: 0.5,
            "0.5 percentage points",
        ),
        "green": _Check(
            "绿地率",
            "green ratio",
            "%",
            lambda: green_ratio(plan).value * 100,
            lambda _: 0.5,
            "0.5 percentage points",
        ),
        "gfa_total": _Check("总建筑面积", "total floor area", "m²", counted, area_tol, "0.5 %"),
        "gfa_counted": _Check(
            "计容建筑面积", "counted floor area", "m²", counted, area_tol, "0.5 %"
        ),
        "site": _Check("用地面积", "site area", "m²", lambda: plan.area, area_tol, "0.5 %"),
        "footprint": _Check(
            "建筑基底面积",
            "building footprint",
            "m²",
            lambda: density(plan).area,
            area_tol,
            "0.5 %",
        ),
        "green_area": _Check(
            "绿地面积", "green area", "m²", lambda: green_ratio(plan).area, area_tol, "0.5 %"
        ),
    }


def _text_at(item: Item) -> BaseGeometry:
    """Where a table line is written: from its insertion point through its centre to its end,
    so the whole written line is highlighted (a point at either end would be misleading)."""
    centre = item.geometry
    if item.obj.point is None or centre.geom_type != "Point":
        return centre
    x0, y0 = item.obj.point
    if abs(centre.x - x0) < 1e-9 and abs(centre.y - y0) < 1e-9:
        return centre
    return shapely.LineString([(x0, y0), (2 * centre.x - x0, 2 * centre.y - y0)])


@rule(
    "PLAN-010",
    "indicator-consistency",
    severity=Severity.ERROR,
    params=("building.gross_floor_area_m2", "building.floors_above"),
)
def indicator_mismatch(ctx: CheckContext) -> Iterator[Violation]:
    """Indicator table value that differs from the value computed from the drawing

    Reads the declared indicator table (经济技术指标, texts on G-ANNO-INDX such as `容积率：2.35`,
    `建筑密度：28.5%`, `绿地率：35%`, `总建筑面积：45210.5㎡`) and compares each value with the
    value computed from the site plan geometry: FAR as in PLAN-003, density as in PLAN-004,
    green ratio as in PLAN-005, and the floor area (总建筑面积, 计容建筑面积) as the counted
    floor area of PLAN-003. The areas behind those ratios (用地面积, 建筑基底面积, 绿地面积)
    are compared too. The table is what the permit records, so it must match the drawing.

    Clause: GB 55031-2022 3.1.1–3.1.7 (area method); planning conditions

    **Fails when** the difference exceeds 0.01 for FAR, 0.5 percentage points for density and
    green ratio, or 0.5 % of the computed value for an area.

    **Passes when** every recognised line is within its tolerance.

    **Known limits** The floor area is computed, not measured storey by storey: where
    `building.gross_floor_area_m2` is declared the comparison checks the table against that
    declaration. 总建筑面积 is also accepted when it equals the counted area plus the declared
    underground area (地下建筑面积) of the table. A line whose value cannot be computed (no
    green drawn, unknown storeys) gives an info finding. Lines the rule does not know (人防建筑面积,
    建筑高度, 户数) are left to other rules and the reviewer. A name and its value must be in one
    text (the submission standard's `名称：值 单位`); a table whose values sit in separate cells
    is not read. No indicator table: not checked.
    """
    items = ctx.require("planning", "G-ANNO-INDX", texts=True)
    declared = parse_indicators(items)
    if not any(d.key != "underground" for d in declared):
        raise NotChecked(
            "经济技术指标表（G-ANNO-INDX）中没有可识别的指标行（如 容积率：2.35）",
            "the indicator table (G-ANNO-INDX) has no recognisable line (e.g. 容积率：2.35)",
        )
    plan = primary_site_plan(ctx)
    checks = _checks(ctx, plan)
    underground = [d.value for d in declared if d.key == "underground"]
    computed: dict[str, float] = {}
    for d in declared:
        check = checks.get(d.key)
        if check is None:
            continue
        try:
            if d.key not in computed:
                computed[d.key] = check.compute()
        except NotChecked as nc:
            yield ctx.violation(
                d.item,
                f"指标表中的{d.name}无法与图纸核对：{nc.reason}",
                f"The {check.en} of the indicator table cannot be checked against the "
                f"drawing: {nc.reason_en}",
                severity=Severity.INFO,
                geometry=_text_at(d.item),
                params={"declared": d.value, "sheet": plan.label},
            )
            continue
        value = computed[d.key]
        tol = check.tolerance(value)
        diff = abs(d.value - value)
        if d.key == "gfa_total" and underground:
            with_below = value + underground[0]
            if abs(d.value - with_below) <= check.tolerance(with_below) + EPS:
                continue
        if diff <= tol + EPS:
            continue
        digits = 3 if d.key == "far" else 2
        unit = check.unit
        yield ctx.violation(
            d.item,
            f"经济技术指标表中{d.name}为 {fmt(d.value, digits)}{unit}，按图纸计算为 "
            f"{fmt(value, digits)}{unit}，相差 {fmt(diff, digits)}{unit}，超过允许偏差 "
            f"{fmt(tol, digits)}{unit}",
            f"The indicator table gives the {check.en} as {fmt(d.value, digits)}{unit}; the "
            f"drawing gives {fmt(value, digits)}{unit}. The difference "
            f"{fmt(diff, digits)}{unit} exceeds the tolerance ({check.tolerance_text})",
            measured=diff,
            limit=tol,
            unit=unit or None,
            geometry=_text_at(d.item),
            params={
                "indicator": d.name,
                "declared": d.value,
                "computed": round(value, 4),
                "tolerance": check.tolerance_text,
                "sheet": plan.label,
            },
        )

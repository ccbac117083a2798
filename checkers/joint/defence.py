"""JOINT-004 and JOINT-005: the civil-defence shelter against the planning and fire drawings."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from shapely.geometry.base import BaseGeometry

from checkers.context import CheckContext, Item
from checkers.findings import NotChecked, Violation
from checkers.joint.common import (
    DISCIPLINE_ZH,
    Pool,
    from_site,
    not_checked,
    number,
    registered,
    text_sources,
    text_violation,
    unregistered_notices,
)
from checkers.registry import rule
from drawings.model import Discipline, Severity

__all__ = ["compartment_straddles_unit", "shelter_area_mismatch"]

SHRINK_M = 0.2
OVERLAP_EPS_M2 = 1e-6
AREA_TOL_PCT = 0.5
SHELTER_AREA = re.compile(r"人防(?:建筑)?面积\s*[：:为]?\s*(\d+(?:\.\d+)?)\s*(?:㎡|m2|m²|平方米)")


@rule("JOINT-005", "compartment-unit-alignment", severity=Severity.WARNING)
def compartment_straddles_unit(ctx: CheckContext) -> Iterator[Violation]:
    """Basement fire compartment straddles a protective unit (防火分区跨越防护单元).

    Basement fire compartments (F-AREA on storeys ``-1``, ``-2``, …) and protective units
    (R-UNIT) of the same storey are registered into site coordinates. A compartment that
    overlaps a unit, after shrinking the compartment by 0.2 m (drafting tolerance), must lie
    inside that unit; the compartment is paired with the unit it overlaps most (STR-tree).

    Clause: GB 50098-2009 4.1

    **Fails when** the shrunk compartment overlaps a unit but part of it lies outside the
    unit: the finding reports that outside area (m², limit 0).

    **Passes when** every overlapping compartment lies inside one unit after shrinking.

    **Known limits** Design practice, not a verified clause (catalogue: K), hence a warning.
    The rule follows the catalogue literally: a compartment holding two whole units is
    reported too; the reviewer judges whether the units are separated by fire walls.
    Storeys drawn in only one discipline are not compared.
    """
    comps = [
        i
        for i in ctx.items(Discipline.FIRE, "F-AREA", closed=True, texts=False)
        if i.floor is not None and i.floor.startswith("-")
    ]
    units = ctx.items(Discipline.CIVIL_DEFENCE, "R-UNIT", closed=True, texts=False)
    if not comps or not units:
        raise NotChecked(
            "缺少地下室防火分区（F-AREA）或人防防护单元（R-UNIT），无法比对",
            "no basement fire compartments (F-AREA) or protective units (R-UNIT) to compare",
        )
    placed_c, lost_c = registered(ctx, comps)
    placed_u, lost_u = registered(ctx, units)
    yield from unregistered_notices(ctx, lost_c + lost_u, "防火分区/防护单元")
    grouped: dict[str | None, list[tuple[Item, BaseGeometry]]] = defaultdict(list)
    for item, geom in placed_u:
        grouped[item.floor].append((item, geom))
    by_floor = {floor: Pool(members) for floor, members in grouped.items()}
    compared = False
    params = {"shrink_m": SHRINK_M}
    for item, geom in placed_c:
        pool = by_floor.get(item.floor)
        if not pool:
            continue
        compared = True
        shrunk = geom.buffer(-SHRINK_M, join_style="mitre")
        overlaps = [(u, shrunk.intersection(u[1]).area) for u in pool.overlapping(shrunk)]
        overlaps = [(u, a) for u, a in overlaps if a > OVERLAP_EPS_M2]
        if not overlaps:
            continue
        (unit, unit_geom), _ = max(overlaps, key=lambda x: x[1])
        outside = shrunk.difference(unit_geom).area
        if outside <= OVERLAP_EPS_M2:
            continue
        yield ctx.violation(
            item,
            f"地下 {item.floor} 层防火分区跨越人防防护单元边界：内缩 0.2 m 后仍有 "
            f"{outside:.2f} ㎡ 位于防护单元之外",
            f"basement fire compartment on storey {item.floor} straddles a protective unit: "
            f"{outside:.2f} m² lie outside the unit after shrinking by 0.2 m",
            geometry=from_site(ctx, item.sheet, shrunk.difference(unit_geom)),
            handles=(item.obj.handle, unit.obj.handle),
            measured=outside,
            limit=0.0,
            unit="m²",
            params=params,
        )
    if not compared:
        raise not_checked(
            ctx,
            "没有同时绘有可配准的地下防火分区与防护单元的楼层，无法比对",
            "no storey has both registrable basement fire compartments and protective units",
            lost_c + lost_u,
        )


@rule("JOINT-004", "shelter-area-match", severity=Severity.ERROR)
def shelter_area_mismatch(ctx: CheckContext) -> Iterator[Violation]:
    """Declared civil-defence area differs from the protective units (人防面积不一致).

    The civil-defence area declared in text (``人防建筑面积：760.73㎡`` in the planning
    indicator table, the civil-defence notes and any other design notes) is compared with the
    sum of the protective-unit polygons (R-UNIT) of the civil-defence drawings.

    Clause: consistency

    **Fails when** a declared value differs from Σ R-UNIT areas by more than 0.5 % of that sum.

    **Passes when** every declared value is within 0.5 %.

    **Known limits** The unit polygons are taken as drawn (axis or wall-face outlines, as the
    design firm's area method); the reviewer confirms the method. Not checked when there are
    no R-UNIT polygons or no declared civil-defence area.
    """
    units = ctx.require(Discipline.CIVIL_DEFENCE, "R-UNIT", closed=True, texts=False)
    total = sum(u.geometry.area for u in units)
    found = False
    for src in text_sources(ctx):
        for value in number(SHELTER_AREA, src.text):
            found = True
            diff_pct = abs(value - total) / total * 100.0 if total > 0 else float("inf")
            if diff_pct <= AREA_TOL_PCT:
                continue
            who = DISCIPLINE_ZH.get(src.drawing.discipline, "")
            yield text_violation(
                src,
                f"{who}图纸（{src.where}）标注人防建筑面积 {value:.2f} ㎡，与防护单元面积合计 "
                f"{total:.2f} ㎡ 相差 {diff_pct:.2f}%（允许 ≤ 0.5%）",
                f"{src.where} declares a civil-defence area of {value:.2f} m², the protective "
                f"units (R-UNIT) total {total:.2f} m²: {diff_pct:.2f} % apart (allowed ≤ 0.5 %)",
                measured=diff_pct,
                limit=AREA_TOL_PCT,
                unit="%",
                params={
                    "declared_m2": value,
                    "units_total_m2": round(total, 3),
                    "tolerance_pct": AREA_TOL_PCT,
                },
            )
    if not found:
        raise NotChecked(
            "图纸中未找到人防建筑面积的文字标注，无法比对",
            "no declared civil-defence area (人防建筑面积) in the drawings' texts",
        )

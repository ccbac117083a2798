"""Civil air defence (人防) rules CDEF-001 … CDEF-007 of the rule catalogue.

The shelter drawing carries protective units (防护单元) on R-UNIT, anti-blast units (抗爆单元)
on R-BLST, entrances (出入口) as INSERTs on R-ENTR with attribute ``KIND`` and rooms on A-AREA.
Only the outdoor-entrance requirement of GB 50038-2005 3.3.1 is verified; every other national
value is K (unverified) and therefore reported as a warning. Where a shelter is required and
how large it must be is local policy, which ``project.toml`` states (``[civil_defence]``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from checkers.context import CheckContext, Item
from checkers.findings import NotChecked, Violation
from checkers.registry import rule
from drawings.model import Severity

__all__ = [
    "blast_unit_too_large",
    "entrances_missing",
    "main_entrance_in_collapse_zone",
    "protective_unit_too_large",
    "shelter_area_short",
    "shelter_capacity_short",
    "units_not_tiled",
]

CD = "civil_defence"
SHRINK_M = 0.2  # CDEF-006: an anti-blast unit shrunk by this lies inside its protective unit
OVERLAP_M2 = 0.01  # CDEF-006: overlaps smaller than this are drafting noise
TOUCH_M = 0.05  # CDEF-004: an entrance within this distance of a unit serves it
TAG_TEXT_M = 1.5  # a tag text belongs to the nearest entrance within this distance
CANOPY_TEXT_M = 5.0  # CDEF-005: a 防倒塌棚架 note within this distance covers the entrance
CANOPY = "防倒塌棚架"

SheetKey = tuple[int, int | None]


def _key(item: Item) -> SheetKey:
    """Objects are only compared with objects of the same drawing and sheet."""
    return (id(item.drawing), item.obj.sheet)


def _labels(ctx: CheckContext, areas: Sequence[Item], group: str) -> list[str]:
    """The first text of ``group`` inside each area (same sheet), ``""`` when there is none.

    One STR-tree query for all areas instead of one scan of every text per area.
    """
    out = [""] * len(areas)
    if not areas:
        return out
    texts = [t for t in ctx.items(areas[0].drawing.discipline, group, texts=True) if t.text.strip()]
    if not texts:
        return out
    tree = ctx.index(texts)
    a_idx, t_idx = tree.query([a.geometry for a in areas], predicate="covers")
    for a, t in sorted(zip(a_idx.tolist(), t_idx.tolist(), strict=True)):
        if not out[a] and _key(areas[a]) == _key(texts[t]):
            out[a] = texts[t].text.strip()
    return out


def _name(label: str, item: Item, fallback: str) -> str:
    return label or f"{fallback} #{item.obj.handle}"


def _units(ctx: CheckContext) -> list[Item]:
    return ctx.require(CD, "R-UNIT", closed=True, texts=False)


def _blasts(ctx: CheckContext) -> list[Item]:
    return ctx.require(CD, "R-BLST", closed=True, texts=False)


def _planning_outlines(ctx: CheckContext) -> list[Item]:
    """Building outlines of the planning site plan: the sheets holding the ``BLDG`` blocks
    when known, so a second site-plan sheet does not count every building twice."""
    found = ctx.items("planning", "G-BLDG-OUTL", closed=True, texts=False)
    sheets = {(id(d), b.sheet) for d, b in ctx.buildings() if b.sheet is not None}
    on_site = [o for o in found if _key(o) in sheets]
    return on_site or found


def _cd_params(**extra: Any) -> dict[str, Any]:
    """The parameters a finding used, without the ones the project leaves unset."""
    return {k: v for k, v in extra.items() if v is not None}


def _too_large(
    ctx: CheckContext, items: list[Item], limit: float, key: str, kind: tuple[str, str]
) -> Iterator[Violation]:
    """One warning per unit whose area exceeds ``limit`` (CDEF-002 and CDEF-003)."""
    used = _cd_params(**{"civil_defence.use": ctx.params.civil_defence.use})
    used[f"civil_defence.{key}"] = limit
    for item, label in zip(items, _labels(ctx, items, items[0].obj.group), strict=True):
        area = item.geometry.area
        if area > limit:
            name = _name(label, item, kind[0])
            yield ctx.violation(
                item,
                f"{name} 面积 {area:.2f} m²，超过{kind[0]}面积上限 {limit:g} m²",
                f"{name}: area {area:.2f} m² exceeds the {kind[1]}-unit limit {limit:g} m²",
                measured=area,
                limit=limit,
                unit="m²",
                params=used,
            )


# --- CDEF-002 / 003: unit sizes ----------------------------------------------------------------


@rule(
    "CDEF-002",
    "protective-unit-area",
    severity=Severity.WARNING,
    params=("civil_defence.use", "civil_defence.unit_area_max_m2"),
)
def protective_unit_too_large(ctx: CheckContext) -> Iterator[Violation]:
    """Protective unit larger than allowed (防护单元面积超限)

    Measures the area of each protective unit (防护单元), a closed polygon on R-UNIT, and
    compares it with the largest area allowed for the shelter's use. A unit bounds the damage
    one hit can do, so its size is capped.

    Clause: GB 50038-2005 3.2.6

    **Fails when** a unit's area exceeds ``civil_defence.unit_area_max_m2`` (threshold
    unverified: configurable, default by ``civil_defence.use``: personnel shelter 2000 m²,
    medical aid 1000 m², professional-team personnel 1000 m², team equipment and supporting
    works 4000 m²); reported as a warning.

    **Passes when** every unit is at most the limit (equal passes).

    **Known limits** the exemptions that depend on the storey count of the building above are
    for the reviewer. No R-UNIT polygon: not checked.
    """
    limit = ctx.params.civil_defence.unit_area_limit
    yield from _too_large(ctx, _units(ctx), limit, "unit_area_max_m2", ("防护单元", "protective"))


@rule(
    "CDEF-003",
    "blast-unit-area",
    severity=Severity.WARNING,
    params=("civil_defence.use", "civil_defence.blast_unit_area_max_m2"),
)
def blast_unit_too_large(ctx: CheckContext) -> Iterator[Violation]:
    """Anti-blast unit larger than allowed (抗爆单元面积超限)

    Measures the area of each anti-blast unit (抗爆单元), a closed polygon on R-BLST, and
    compares it with the largest area allowed for the shelter's use; the limit keeps the blast
    effect of one conventional weapon inside one unit.

    Clause: GB 50038-2005 3.2.6

    **Fails when** a unit's area exceeds ``civil_defence.blast_unit_area_max_m2`` (threshold
    unverified: configurable, default by ``civil_defence.use``: personnel shelter and medical
    aid 500 m², supporting and equipment works 2000 m²); reported as a warning.

    **Passes when** every anti-blast unit is at most the limit (equal passes).

    **Known limits** whether anti-blast units are required at all (protection class 甲/乙,
    resistance grade) is for the reviewer. No R-BLST polygon: not checked.
    """
    limit = ctx.params.civil_defence.blast_area_limit
    yield from _too_large(
        ctx, _blasts(ctx), limit, "blast_unit_area_max_m2", ("抗爆单元", "anti-blast")
    )


# --- CDEF-001: required shelter area -----------------------------------------------------------


def _above_ground_gfa(ctx: CheckContext) -> float | None:
    """Σ declared above-ground gross floor area of the buildings (``BLDG`` GFA as fallback)."""
    placed = ctx.buildings()
    if not placed:
        values = [b.gross_floor_area_m2 for b in ctx.params.buildings.values()]
        if not values or any(v is None for v in values):
            return None
        return float(sum(v for v in values if v is not None))
    total = 0.0
    for _, b in placed:
        name = b.attrs.get("NAME") or b.name
        value = ctx.params.building(name).gross_floor_area_m2
        if value is None:
            try:
                value = float(b.attrs.get("GFA", ""))
            except ValueError:
                return None
        total += value
    return total


@rule("CDEF-001", "required-area", params=("civil_defence.rule", "civil_defence.percent"))
def shelter_area_short(ctx: CheckContext) -> Iterator[Violation]:
    """Civil-defence area below the required area (人防建筑面积不足)

    Sums the areas of the protective units on R-UNIT and compares the sum with the shelter
    area that the civil-defence conditions require, computed by ``civil_defence.rule``:
    "ground_floor_area" — the ground-floor (首层) building area of the above-ground buildings,
    taken as the area of the union of the footprints on G-BLDG-OUTL of the planning site plan;
    "percent" — ``civil_defence.percent`` × the above-ground gross floor area
    (Σ ``building.gross_floor_area_m2``, else the ``GFA`` attribute of the ``BLDG`` blocks).

    Clause: local civil-defence policy; national policy 国人防办字[2003]18号

    **Fails when** Σ unit area < the required area.

    **Passes when** Σ unit area ≥ the required area (equal passes).

    **Known limits** which rule applies (≥ 10 storeys or foundation depth ≥ 3 m: ground-floor
    area; otherwise 2–5 % by city class) is local policy and taken from ``project.toml``;
    off-site (易地) construction and fee payment are for the reviewer. No R-UNIT, no
    ``civil_defence.rule``, no footprint (ground_floor_area) or no declared gross floor area
    (percent): not checked.
    """
    units = _units(ctx)
    cd = ctx.params.civil_defence
    if cd.rule is None:
        raise NotChecked(
            "项目参数未给出 civil_defence.rule（人防面积计算规则）",
            "civil_defence.rule (how the required shelter area is computed) is not given",
        )
    if cd.rule == "ground_floor_area":
        outlines = _planning_outlines(ctx)
        if not outlines:
            raise NotChecked(
                "规划总平面图中没有 G-BLDG-OUTL（建筑轮廓），无法得出首层建筑面积",
                "no G-BLDG-OUTL (building footprint) on the planning site plan: "
                "the ground-floor area is unknown",
            )
        required = float(shapely.union_all([o.geometry for o in outlines]).area)
        basis_zh = f"首层建筑面积 {required:.2f} m²"
        basis_en = f"the ground-floor area {required:.2f} m²"
        used: dict[str, Any] = {"civil_defence.rule": cd.rule, "ground_floor_area_m2": required}
    else:
        gfa = _above_ground_gfa(ctx)
        if gfa is None or cd.percent is None:
            raise NotChecked(
                "缺少 civil_defence.percent 或地上建筑面积（building.gross_floor_area_m2）",
                "civil_defence.percent or the above-ground gross floor area "
                "(building.gross_floor_area_m2) is not given",
            )
        required = cd.percent * gfa
        basis_zh = f"地上建筑面积 {gfa:.2f} m² × {cd.percent:.2%} = {required:.2f} m²"
        basis_en = (
            f"{cd.percent:.2%} of the above-ground floor area {gfa:.2f} m² = {required:.2f} m²"
        )
        used = {
            "civil_defence.rule": cd.rule,
            "civil_defence.percent": cd.percent,
            "building.gross_floor_area_m2": gfa,
        }
    total = float(sum(u.geometry.area for u in units))
    if total < required:
        yield ctx.violation(
            units[0],
            f"人防防护单元面积合计 {total:.2f} m²，小于应建面积（{basis_zh}）",
            f"the protective units total {total:.2f} m², less than the required area ({basis_en})",
            geometry=shapely.union_all([u.geometry for u in units]),
            handles=[u.obj.handle for u in units],
            measured=total,
            limit=round(required, 2),
            unit="m²",
            params=used,
        )


# --- CDEF-006: anti-blast units tile their protective unit ---------------------------------


@rule("CDEF-006", "blast-units-tile-unit", params=("civil_defence.tile_tolerance",))
def units_not_tiled(ctx: CheckContext) -> Iterator[Violation]:
    """Anti-blast units do not tile their protective unit (抗爆单元与防护单元不对应)

    Checks the unit hierarchy that CDEF-002 and CDEF-003 rely on: each anti-blast unit (R-BLST)
    shrunk by 0.2 m must lie inside exactly one protective unit (R-UNIT) of the same sheet;
    anti-blast units must not overlap; and together they should cover their protective unit,
    the uncovered share allowing only for partition walls.

    Clause: GB 50038-2005 3.2.6

    **Fails when** an anti-blast unit lies in no protective unit or straddles two (error);
    two anti-blast units overlap by more than 0.01 m² (warning); the uncovered share of a
    protective unit exceeds ``civil_defence.tile_tolerance`` (default 0.03, warning). A unit
    with no anti-blast unit at all counts as uncovered only when it is larger than the
    anti-blast-unit limit of CDEF-003 (a smaller unit is itself one anti-blast unit).

    **Passes when** every anti-blast unit sits in one protective unit, none overlap, and each
    protective unit is covered to within the tolerance.

    **Known limits** whether a wall between anti-blast units is a proper anti-blast partition
    (抗爆隔墙) is for the reviewer. No R-UNIT or no R-BLST polygon: not checked.
    """
    units = _units(ctx)
    blasts = _blasts(ctx)
    cd = ctx.params.civil_defence
    tol = cd.tile_tolerance
    unit_names = _labels(ctx, units, "R-UNIT")
    blast_names = _labels(ctx, blasts, "R-BLST")
    shrunk = []
    for b in blasts:
        s = b.geometry.buffer(-SHRINK_M)
        shrunk.append(s if not s.is_empty else b.geometry.representative_point())
    b_idx, u_idx = STRtree([u.geometry for u in units]).query(shrunk, predicate="within")
    hosts: dict[int, list[int]] = defaultdict(list)
    for b, u in zip(b_idx.tolist(), u_idx.tolist(), strict=True):
        if _key(blasts[b]) == _key(units[u]):
            hosts[b].append(u)
    members: dict[int, list[int]] = defaultdict(list)
    for i, blast in enumerate(blasts):
        name = _name(blast_names[i], blast, "抗爆单元")
        found = hosts.get(i, [])
        if len(found) == 1:
            members[found[0]].append(i)
            continue
        yield ctx.violation(
            blast,
            f"{name} 未完整位于一个防护单元内（内缩 {SHRINK_M} m 后位于 {len(found)} 个防护单元内），"
            "防护单元与抗爆单元的划分不成层次",
            f"{name} does not lie inside exactly one protective unit (shrunk by {SHRINK_M} m it "
            f"lies inside {len(found)}): the unit hierarchy is broken",
            measured=len(found),
            limit=1,
            unit="units",
            params={"shrink_m": SHRINK_M},
        )
    a_idx, c_idx = STRtree([b.geometry for b in blasts]).query(
        [b.geometry for b in blasts], predicate="intersects"
    )
    for a, c in zip(a_idx.tolist(), c_idx.tolist(), strict=True):
        if a >= c or _key(blasts[a]) != _key(blasts[c]):
            continue
        overlap = blasts[a].geometry.intersection(blasts[c].geometry)
        if overlap.area > OVERLAP_M2:
            na = _name(blast_names[a], blasts[a], "抗爆单元")
            nc = _name(blast_names[c], blasts[c], "抗爆单元")
            yield ctx.violation(
                blasts[a],
                f"{na} 与 {nc} 重叠 {overlap.area:.2f} m²",
                f"{na} and {nc} overlap by {overlap.area:.2f} m²",
                geometry=overlap,
                handles=[blasts[a].obj.handle, blasts[c].obj.handle],
                measured=overlap.area,
                limit=OVERLAP_M2,
                unit="m²",
                severity=Severity.WARNING,
                params={"overlap_tolerance_m2": OVERLAP_M2},
            )
    for u, unit in enumerate(units):
        area = unit.geometry.area
        inside = members.get(u, [])
        if not inside and area <= cd.blast_area_limit:
            continue
        covered = shapely.union_all([blasts[i].geometry for i in inside]) if inside else None
        rest = unit.geometry.difference(covered) if covered is not None else unit.geometry
        share = rest.area / area if area > 0 else 0.0
        if share > tol:
            name = _name(unit_names[u], unit, "防护单元")
            yield ctx.violation(
                unit,
                f"{name} 有 {share:.1%} 的面积（{rest.area:.2f} m²）不属于任何抗爆单元，"
                f"超过允许的 {tol:.1%}",
                f"{share:.1%} of {name} ({rest.area:.2f} m²) lies in no anti-blast unit, "
                f"more than the allowed {tol:.1%}",
                geometry=rest,
                measured=share,
                limit=tol,
                unit="fraction",
                severity=Severity.WARNING,
                params={"civil_defence.tile_tolerance": tol},
            )


# --- CDEF-007: shelter capacity ------------------------------------------------------------------


@rule(
    "CDEF-007",
    "shelter-capacity",
    severity=Severity.WARNING,
    params=(
        "civil_defence.area_per_person_m2",
        "civil_defence.capacity_persons",
        "civil_defence.use",
    ),
)
def shelter_capacity_short(ctx: CheckContext) -> Iterator[Violation]:
    """Sheltering area too small for the design capacity (掩蔽人数不足)

    The sheltering area (掩蔽面积) is the part of the protective units (R-UNIT) covered by the
    rooms on A-AREA of the shelter drawing whose name contains 掩蔽 (e.g. 人员掩蔽区). Rooms
    are drawn inside the wall faces, so walls, entrance passages, decontamination rooms,
    plant rooms, toilets and every other named room are excluded. Capacity = sheltering
    area ÷ ``civil_defence.area_per_person_m2``.

    Clause: GB 50038-2005 3.1

    **Fails when** the capacity is below ``civil_defence.capacity_persons``. Threshold
    unverified: configurable, default area per person: personnel shelter 1.0 m²/person,
    professional-team personnel 3 m²/person; reported as a warning.

    **Passes when** the capacity reaches the design capacity (equal passes).

    **Known limits** a sheltering room that is not named with 掩蔽 is not counted; the
    reviewer confirms the room list. No R-UNIT, no A-AREA room, no room named 掩蔽 inside a
    unit, or no ``civil_defence.capacity_persons``: not checked.
    """
    units = _units(ctx)
    cd = ctx.params.civil_defence
    if cd.capacity_persons is None:
        raise NotChecked(
            "项目参数未给出 civil_defence.capacity_persons（设计掩蔽人数）",
            "civil_defence.capacity_persons (design capacity) is not given",
        )
    rooms = ctx.require(CD, "A-AREA", closed=True, texts=False)
    names = _labels(ctx, rooms, "A-AREA-IDEN")
    by_sheet: dict[SheetKey, list[BaseGeometry]] = defaultdict(list)
    for u in units:
        by_sheet[_key(u)].append(u.geometry)
    unions = {k: shapely.union_all(v) for k, v in by_sheet.items()}
    parts = [
        room.geometry.intersection(unions[_key(room)])
        for room, name in zip(rooms, names, strict=True)
        if "掩蔽" in name and _key(room) in unions
    ]
    parts = [p for p in parts if p.area > 0]
    if not parts:
        raise NotChecked(
            "防护单元内没有名称含“掩蔽”的房间（A-AREA），无法计算掩蔽面积",
            "no room named 掩蔽 (A-AREA) inside a protective unit: the sheltering area is unknown",
        )
    area = float(sum(p.area for p in parts))
    per = cd.per_person
    persons = area / per
    if persons < cd.capacity_persons:
        yield ctx.violation(
            units[0],
            f"掩蔽面积 {area:.2f} m² ÷ {per:g} m²/人 = {persons:.0f} 人，少于设计掩蔽人数 "
            f"{cd.capacity_persons} 人",
            f"sheltering area {area:.2f} m² ÷ {per:g} m²/person = {persons:.0f} persons, "
            f"fewer than the design capacity {cd.capacity_persons}",
            geometry=shapely.union_all(parts),
            handles=[u.obj.handle for u in units],
            measured=persons,
            limit=cd.capacity_persons,
            unit="persons",
            params=_cd_params(
                **{"civil_defence.use": cd.use, "civil_defence.area_per_person_m2": per},
                **{"civil_defence.capacity_persons": cd.capacity_persons},
                sheltering_area_m2=round(area, 2),
            ),
        )


# --- entrances -------------------------------------------------------------------------------


def _entrances(ctx: CheckContext) -> tuple[list[Item], list[str]]:
    """Entrance objects on R-ENTR (INSERTs, points, closed outlines drawn loose) and their tags.

    A tag is the entrance's attributes (``KIND``, ``NAME``) plus any R-ENTR text whose nearest
    entrance it is, within 1.5 m.
    """
    found = [
        i
        for i in ctx.require(CD, "R-ENTR", texts=False)
        if not i.obj.in_block and (i.obj.kind in ("INSERT", "POINT") or i.obj.closed)
    ]
    if not found:
        raise NotChecked("R-ENTR 上没有出入口图块", "no entrance block on R-ENTR")
    tags = [" ".join([*i.obj.attrs.values(), i.obj.text or ""]) for i in found]
    texts = ctx.items(CD, "R-ENTR", texts=True)
    if texts:
        t_idx, e_idx = ctx.index(found).query_nearest(
            [t.geometry for t in texts], max_distance=TAG_TEXT_M
        )
        for t, e in zip(t_idx.tolist(), e_idx.tolist(), strict=True):
            if _key(texts[t]) == _key(found[e]):
                tags[e] += " " + texts[t].text
    return found, tags


def _kind(item: Item, tag: str) -> str:
    """``main``, ``shaft``, ``connection`` or ``secondary``."""
    kind = item.obj.attrs.get("KIND", "").strip().lower()
    if kind == "main" or "主要出入口" in tag:
        return "main"
    if kind == "shaft" or "竖井" in tag:
        return "shaft"
    if kind == "connection" or "连通口" in tag:
        return "connection"
    return "secondary"


def _outdoor(ctx: CheckContext, entrances: Sequence[Item]) -> list[float | None] | None:
    """Per entrance: its area inside ground-building outlines (0.0 = outdoor) in site
    coordinates, ``None`` where the sheet cannot be registered; ``None`` without outlines."""
    outlines = _planning_outlines(ctx)
    if not outlines:
        return None
    geoms = [o.geometry for o in outlines]
    tree = STRtree(geoms)
    out: list[float | None] = []
    for e in entrances:
        site = ctx.to_site(e)
        if site is None:
            out.append(None)
            continue
        hits = [int(h) for h in tree.query(site, predicate="intersects")]
        inside = [geoms[h] for h in hits if not site.touches(geoms[h])]
        if not inside:
            out.append(0.0)
        else:
            depth = site.intersection(shapely.union_all(inside)).area
            out.append(float(depth) if depth > 0 else 1e-9)
    return out


@rule("CDEF-004", "unit-entrances", params=("civil_defence.min_entrances",))
def entrances_missing(ctx: CheckContext) -> Iterator[Violation]:
    """Protective unit without the required entrances (防护单元出入口不足)

    Counts the entrances on R-ENTR that touch each protective unit (R-UNIT), excluding shaft
    entrances (竖井式, ``KIND=shaft`` or tagged 竖井) and connections between units (an
    entrance touching two units, or tagged 连通口). An entrance is outdoor when, registered
    into site coordinates (axis 1/A and the ``BLDG`` block), it lies outside every ground
    building outline on G-BLDG-OUTL of the planning site plan.

    Clause: GB 50038-2005 3.3.1

    **Fails when** a unit has no outdoor entrance (error); the main wartime entrance
    (``KIND=main`` or tagged 主要出入口) is not outdoor (error); a unit has fewer than
    ``civil_defence.min_entrances`` entrances (threshold unverified: configurable, default 2;
    warning).

    **Passes when** every unit has an outdoor entrance, its main entrance is outdoor, and it
    has at least the minimum number of entrances.

    **Known limits** the exceptions for some 核6 / 6B classes (main entrance not outdoor) are
    for the reviewer. When the sheet cannot be registered or the site plan has no building
    outline, the outdoor part is reported as an info finding (not checked) and only the
    count is evaluated. No R-UNIT or R-ENTR: not checked.
    """
    units = _units(ctx)
    entrances, tags = _entrances(ctx)
    minimum = ctx.params.civil_defence.min_entrances
    names = _labels(ctx, units, "R-UNIT")
    kinds = [_kind(e, t) for e, t in zip(entrances, tags, strict=True)]
    e_idx, u_idx = ctx.index(units).query(
        [e.geometry for e in entrances], predicate="dwithin", distance=TOUCH_M
    )
    served: dict[int, list[int]] = defaultdict(list)
    for e, u in zip(e_idx.tolist(), u_idx.tolist(), strict=True):
        if _key(entrances[e]) == _key(units[u]):
            served[e].append(u)
    per_unit: dict[int, list[int]] = defaultdict(list)
    for e, us in served.items():
        if kinds[e] in ("shaft", "connection") or len(us) != 1:
            continue
        per_unit[us[0]].append(e)
    depth = _outdoor(ctx, entrances)
    unknown = depth is None or any(depth[e] is None for es in per_unit.values() for e in es)
    if unknown:
        yield ctx.violation(
            units[0],
            "无法将人防图纸与总平面图的建筑轮廓（G-BLDG-OUTL）对位，未核验出入口是否为室外出入口",
            "the shelter sheet cannot be registered against the building outlines "
            "(G-BLDG-OUTL) of the site plan: outdoor entrances are not checked",
            handles=[u.obj.handle for u in units],
            severity=Severity.INFO,
        )
    for u, unit in enumerate(units):
        name = _name(names[u], unit, "防护单元")
        mine = per_unit.get(u, [])
        if not unknown and depth is not None:
            outdoor = [e for e in mine if depth[e] == 0.0]
            if not outdoor:
                yield ctx.violation(
                    unit,
                    f"{name} 没有室外出入口（出入口均位于地面建筑轮廓内或没有出入口）",
                    f"{name} has no outdoor entrance (every entrance lies under a ground building)",
                    measured=0,
                    limit=1,
                    unit="entrances",
                )
            for e in mine:
                d = depth[e]
                if kinds[e] == "main" and d is not None and d > 0.0:
                    yield ctx.violation(
                        entrances[e],
                        f"{name} 的主要出入口位于地面建筑轮廓内（重叠 {d:.2f} m²），应为室外出入口",
                        f"the main entrance of {name} lies under a ground building "
                        f"({d:.2f} m² inside its outline); it must be outdoor",
                        measured=d,
                        limit=0.0,
                        unit="m²",
                    )
        if len(mine) < minimum:
            yield ctx.violation(
                unit,
                f"{name} 有 {len(mine)} 个出入口（不含竖井式出入口和连通口），少于 {minimum} 个",
                f"{name} has {len(mine)} entrances (shafts and connections excluded), "
                f"fewer than {minimum}",
                measured=len(mine),
                limit=minimum,
                unit="entrances",
                severity=Severity.WARNING,
                params={"civil_defence.min_entrances": minimum},
            )


# --- CDEF-005: main entrance vs collapse zone ------------------------------------------------


def _outline_heights(ctx: CheckContext, outlines: Sequence[Item]) -> list[float]:
    """Eave height of each ground building: its ``building.height_m``, else the ``HEIGHT`` of
    the nearest ``BLDG`` block, else the project height."""
    placed = [b for _, b in ctx.buildings()]
    heights: list[float] = []
    for o in outlines:
        h: float | None = None
        if placed:
            pts = shapely.points([b.point for b in placed])
            b = placed[int(np.argmin(shapely.distance(o.geometry, pts)))]
            h = ctx.params.building(b.attrs.get("NAME") or b.name).height_m
            if h is None:
                try:
                    h = float(b.attrs.get("HEIGHT", ""))
                except ValueError:
                    h = None
        h = h if h is not None else ctx.height_m
        if h is None:
            raise NotChecked(
                "建筑高度未知（building.height_m 或 BLDG 块的 HEIGHT）",
                "the building height is unknown (building.height_m or the BLDG HEIGHT)",
            )
        heights.append(h)
    return heights


def _canopy(item: Item) -> bool:
    """A collapse-proof canopy (防倒塌棚架) drawn or noted at the entrance, or in a note
    that names the main entrance."""
    if any(CANOPY in v for v in item.obj.attrs.values()):
        return True
    geom = item.geometry
    placed = [(t.text, shapely.Point(t.x, t.y)) for t in item.drawing.model.texts]
    placed += [
        (o.text, o.geometry)
        for o in item.drawing.model.objects
        if o.text is not None and o.sheet == item.obj.sheet
    ]
    for text, where in placed:
        if CANOPY not in text:
            continue
        if "主要出入口" in text or geom.distance(where) <= CANOPY_TEXT_M:
            return True
    return False


@rule(
    "CDEF-005",
    "main-entrance-collapse",
    severity=Severity.WARNING,
    params=("civil_defence.collapse_factor", "building.height_m"),
)
def main_entrance_in_collapse_zone(ctx: CheckContext) -> Iterator[Violation]:
    """Main entrance inside the collapse zone of a ground building (主要出入口位于倒塌范围内)

    Registers the main entrance (R-ENTR, ``KIND=main`` or tagged 主要出入口) into site
    coordinates and measures its distance to every ground building outline (G-BLDG-OUTL);
    the collapse zone of a building is its outline buffered by
    ``civil_defence.collapse_factor`` × its eave height (``building.height_m``, else the
    ``BLDG`` HEIGHT), because debris must not bury the entrance used in wartime.

    Clause: GB 50038-2005 3.3 (collapse-range table)

    **Fails when** the distance is less than the collapse radius and no collapse-proof canopy
    (防倒塌棚架) is drawn or noted within 5 m of the entrance (or in a note naming the main
    entrance). Threshold unverified: configurable, default factor 0.5; warning.

    **Passes when** the entrance lies at or beyond the collapse radius of every building, or
    the canopy is shown.

    **Known limits** the code's table varies the radius with structure type and class; the
    height used is the building height, not a measured eave height. No R-ENTR, no main
    entrance, no G-BLDG-OUTL, an unregistered sheet or an unknown height: not checked.
    """
    entrances, tags = _entrances(ctx)
    mains = [e for e, t in zip(entrances, tags, strict=True) if _kind(e, t) == "main"]
    if not mains:
        raise NotChecked(
            "R-ENTR 上没有标为主要出入口（KIND=main）的出入口",
            "no entrance tagged as the main entrance (KIND=main) on R-ENTR",
        )
    outlines = _planning_outlines(ctx)
    if not outlines:
        raise NotChecked(
            "规划总平面图中没有 G-BLDG-OUTL（建筑轮廓）",
            "no G-BLDG-OUTL (building outline) on the planning site plan",
        )
    factor = ctx.params.civil_defence.collapse_factor
    heights = _outline_heights(ctx, outlines)
    geoms = np.array([o.geometry for o in outlines], dtype=object)
    radii = np.array(heights) * factor
    sites = [ctx.to_site(m) for m in mains]
    if any(site is None for site in sites):
        raise NotChecked(
            "人防图纸无法与总平面图对位（需要轴线 1/A 交点和唯一的 BLDG 块）",
            "the shelter sheet cannot be registered to the site plan "
            "(needs the axis 1/A point and a single BLDG block)",
        )
    for main, site in zip(mains, sites, strict=True):
        dist = shapely.distance(site, geoms)
        for k in np.flatnonzero(dist < radii).tolist():
            if _canopy(main):
                break
            d, r = float(dist[k]), float(radii[k])
            yield ctx.violation(
                main,
                f"主要出入口距地面建筑外墙 {d:.2f} m，位于倒塌范围 {factor:g} × {heights[k]:g} m = "
                f"{r:.2f} m 内，且未见防倒塌棚架",
                f"the main entrance is {d:.2f} m from the ground building, inside the collapse "
                f"zone {factor:g} × {heights[k]:g} m = {r:.2f} m, and no collapse-proof canopy "
                "is shown",
                handles=[main.obj.handle, outlines[k].obj.handle],
                measured=d,
                limit=r,
                unit="m",
                params={"civil_defence.collapse_factor": factor, "building.height_m": heights[k]},
            )

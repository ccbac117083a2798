"""What the planning rules share: the site plan sheets, the buildings on them, their counted
floor area, and the parameter look-ups that turn a missing value into "not checked".

The planning rules all read one picture: a site plan sheet with a land boundary (G-SITE-REDL),
building outlines (G-BLDG-OUTL), and around them roads, green, parking and the indicator table.
Reading it once here keeps the ten rules consistent: FAR, density, parking and the indicator
check all use the same site area and the same counted floor area.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from checkers.context import CheckContext, Drawing, Item
from checkers.findings import NotChecked
from checkers.params import BuildingParams
from drawings.model import Building, Discipline

__all__ = [
    "EPS",
    "BuildingGroup",
    "FloorArea",
    "SitePlan",
    "building_groups",
    "ceil_stalls",
    "counted_area",
    "fmt",
    "indicator_items",
    "normalise",
    "primary_site_plan",
    "require_param",
    "site_plans",
]

PLANNING = Discipline.PLANNING
EPS = 1e-9
"""Float noise allowed when a measured value is compared with its limit (exact limits pass)."""
BLOCK_SNAP_M = 5.0
"""How far a BLDG registration point (axis 1/A) may lie outside the outline it labels."""
_STOREYS_RE = re.compile(r"(?<![\dA-Z.\-])(\d{1,3})\s*F(?:\s*/\s*-\s*\d{1,2}\s*F?)?(?![A-Z0-9])")


def normalise(text: str) -> str:
    """NFKC-normalised, upper-case text: full-width colons, digits and ㎡ become ASCII."""
    return unicodedata.normalize("NFKC", text).upper()


def fmt(value: float, digits: int = 2) -> str:
    """A number for messages: fixed digits, trailing zeros kept short."""
    return f"{value:.{digits}f}"


def require_param(value: Any, key: str, zh: str, en: str) -> Any:
    """``value`` or ``NotChecked`` naming the missing project parameter ``key``."""
    if value is None:
        raise NotChecked(
            f"项目参数 {key}（{zh}）未给出，本条不作检查",
            f"project parameter {key} ({en}) is not set; the rule is not evaluated",
        )
    return value


@dataclass(slots=True)
class SitePlan:
    """One site plan sheet: its land boundary and the planning groups drawn on it."""

    drawing: Drawing
    sheet: int | None
    redlines: list[Item]
    site: BaseGeometry
    outlines: list[Item] = field(default_factory=list)
    basements: list[Item] = field(default_factory=list)
    roads: list[Item] = field(default_factory=list)
    controls: list[Item] = field(default_factory=list)
    greens: list[Item] = field(default_factory=list)
    parking: list[Item] = field(default_factory=list)
    indicators: list[Item] = field(default_factory=list)

    @property
    def area(self) -> float:
        """Site area (用地面积), m²: the union of the land-boundary polygons."""
        return float(self.site.area)

    @property
    def anchor(self) -> Item:
        """The item site-level findings are located at: the (largest) land boundary."""
        return max(self.redlines, key=lambda i: i.geometry.area)

    @property
    def label(self) -> str:
        """The sheet's name for the finding parameters."""
        return self.anchor.sheet_label or self.drawing.file


_GROUP_FIELDS = {
    "G-BLDG-OUTL": ("outlines", True),
    "G-BLDG-BASE": ("basements", True),
    "G-ROAD-REDL": ("roads", None),
    "G-SITE-CTRL": ("controls", True),
    "G-GREN": ("greens", True),
    "G-PARK": ("parking", None),
}


def site_plans(ctx: CheckContext) -> list[SitePlan]:
    """Every planning sheet with a closed land boundary, with its objects sorted by group.

    Raises:
        NotChecked: no closed G-SITE-REDL polygon in the planning drawings.
    """
    cached = ctx._cache.get(("planning", "site_plans"))
    if cached is not None:
        return list(cached)
    redlines = ctx.require(PLANNING, "G-SITE-REDL", closed=True)
    plans: dict[tuple[int, int | None], SitePlan] = {}
    for item in redlines:
        key = (id(item.drawing), item.obj.sheet)
        if key in plans:
            plans[key].redlines.append(item)
        else:
            plans[key] = SitePlan(item.drawing, item.obj.sheet, [item], shapely.Point())
    for plan in plans.values():
        plan.site = shapely.union_all([i.geometry for i in plan.redlines])
    for group, (name, closed) in _GROUP_FIELDS.items():
        for item in ctx.items(PLANNING, group, closed=closed, texts=False):
            found = plans.get((id(item.drawing), item.obj.sheet))
            if found is not None:
                getattr(found, name).append(item)
        if group == "G-PARK":
            for item in ctx.items(PLANNING, group, texts=True):
                found = plans.get((id(item.drawing), item.obj.sheet))
                if found is not None:
                    found.parking.append(item)
    out = list(plans.values())
    ctx._cache[("planning", "site_plans")] = tuple(out)
    return out


def primary_site_plan(ctx: CheckContext) -> SitePlan:
    """The site plan the area indicators are computed on: the sheet with the most outlines.

    A package may repeat the land boundary on other sheets (a vertical design plan, a
    landscape plan); summing them would count the site twice, so one sheet is chosen.
    """
    plans = site_plans(ctx)
    return max(plans, key=lambda p: (len(p.outlines), p.area))


def indicator_items(ctx: CheckContext) -> list[Item]:
    """Texts of the indicator table (G-ANNO-INDX) in every planning drawing."""
    return ctx.items(PLANNING, "G-ANNO-INDX", texts=True)


# --- buildings --------------------------------------------------------------------------------


@dataclass(slots=True)
class BuildingGroup:
    """A building on the site plan: its BLDG block (if any), outlines and declared facts."""

    name: str | None
    block: Building | None
    outlines: list[Item]
    params: BuildingParams
    labels: list[str] = field(default_factory=list)

    @property
    def footprint(self) -> BaseGeometry:
        """Union of the building's outlines (empty when it has none)."""
        if not self.outlines:
            return shapely.Polygon()
        return shapely.union_all([i.geometry for i in self.outlines])

    @property
    def title(self) -> str:
        """The building's name for messages: NAME, else the outline handle."""
        if self.name:
            return self.name
        if self.outlines:
            return f"轮廓 {self.outlines[0].obj.handle}"
        return "（未命名）"

    @property
    def title_en(self) -> str:
        """English form of ``title``."""
        if self.name:
            return self.name
        if self.outlines:
            return f"outline {self.outlines[0].obj.handle}"
        return "(unnamed)"

    def floors_above(self) -> tuple[int | None, str]:
        """Storeys above ground and where the value came from.

        Declared ``building.floors_above`` first, then the BLDG FLOORS_ABOVE attribute, then a
        site-plan label such as ``18F/-2`` inside the outline.
        """
        if self.params.floors_above is not None:
            return self.params.floors_above, "building.floors_above"
        if self.block is not None:
            raw = normalise(self.block.attrs.get("FLOORS_ABOVE", "")).strip()
            if raw.isdigit() and int(raw) > 0:
                return int(raw), "BLDG FLOORS_ABOVE"
        for text in self.labels:
            m = _STOREYS_RE.search(normalise(text))
            if m is not None and int(m.group(1)) > 0:
                return int(m.group(1)), f"site-plan label {text.strip()!r}"
        return None, ""

    def height(self) -> tuple[float | None, str]:
        """Declared height H and its source: ``building.height_m``, else BLDG HEIGHT."""
        if self.params.height_m is not None:
            return self.params.height_m, "building.height_m"
        if self.block is not None:
            try:
                h = float(normalise(self.block.attrs.get("HEIGHT", "")).rstrip("M").strip())
            except ValueError:
                return None, ""
            if h > 0:
                return h, "BLDG HEIGHT"
        return None, ""


def _params_for(ctx: CheckContext, name: str | None, n_groups: int) -> BuildingParams:
    """Declared facts of building ``name``.

    Unlike ``ProjectParams.building`` this never hands one building's values to another: the
    single declared building is used for an unnamed building only when the site has one.
    """
    declared = ctx.params.buildings
    if name is not None and name in declared:
        return declared[name]
    if n_groups == 1 and len(declared) == 1:
        return next(iter(declared.values()))
    return BuildingParams()


class _Labels:
    """Every text of a site plan's drawing (any layer), indexed once: building labels such as
    ``住宅楼 18F/-2`` usually sit on an unmapped layer or inside the BLDG block."""

    def __init__(self, plan: SitePlan) -> None:
        self.texts = plan.drawing.model.texts
        self.tree = shapely.STRtree(
            [shapely.Point(t.x, t.y) for t in self.texts] if self.texts else []
        )
        self.by_handle: dict[str, list[int]] = {}
        for k, t in enumerate(self.texts):
            self.by_handle.setdefault(t.handle, []).append(k)

    def of(self, outlines: Sequence[Item], block: Building | None) -> list[str]:
        """Texts inside the outlines, or belonging to the BLDG block."""
        picked: set[int] = set(self.by_handle.get(block.handle, ())) if block else set()
        if outlines and self.texts:
            geoms = np.array([i.geometry for i in outlines], dtype=object)
            _, idx = self.tree.query(geoms, predicate="covers")
            picked.update(idx.tolist())
        return [self.texts[k].text for k in sorted(picked)]


def building_groups(ctx: CheckContext, plan: SitePlan) -> list[BuildingGroup]:
    """The buildings of a site plan: outlines grouped by the BLDG block that labels them.

    An outline belongs to the block whose registration point it covers, else to the nearest
    block within ``BLOCK_SNAP_M``. Outlines without a block are buildings of their own; blocks
    without an outline are kept (their declared area still counts).
    """
    cache_key = ("planning", "groups", id(plan.drawing), plan.sheet)
    cached = ctx._cache.get(cache_key)
    if cached is not None:
        return list(cached)
    blocks = [
        b
        for b in plan.drawing.model.buildings
        if b.sheet is None or plan.sheet is None or b.sheet == plan.sheet
    ]
    outlines = plan.outlines
    owner: list[int | None] = [None] * len(outlines)
    if blocks and outlines:
        geoms = np.array([i.geometry for i in outlines], dtype=object)
        points = np.array([shapely.Point(b.point) for b in blocks], dtype=object)
        tree = shapely.STRtree(geoms)
        pt_idx, ol_idx = tree.query(points, predicate="intersects")
        for p, o in zip(pt_idx.tolist(), ol_idx.tolist(), strict=True):
            if owner[o] is None:
                owner[o] = p
        free = [k for k, v in enumerate(owner) if v is None]
        if free:
            ptree = shapely.STRtree(points)
            o_idx, p_idx = ptree.query_nearest(
                geoms[free], max_distance=BLOCK_SNAP_M, all_matches=False
            )
            for o, p in zip(o_idx.tolist(), p_idx.tolist(), strict=True):
                owner[free[o]] = p
    members: dict[int, list[Item]] = {k: [] for k in range(len(blocks))}
    loose: list[Item] = []
    for item, o in zip(outlines, owner, strict=True):
        if o is None:
            loose.append(item)
        else:
            members[o].append(item)
    n_groups = len(blocks) + len(loose)
    if not blocks and len(ctx.params.buildings) == 1 and loose:
        n_groups = 1  # one declared building drawn as several outlines
    labels = _Labels(plan)
    groups: list[BuildingGroup] = []
    for k, b in enumerate(blocks):
        name = (b.attrs.get("NAME") or b.name or "").strip() or None
        groups.append(
            BuildingGroup(
                name,
                b,
                members[k],
                _params_for(ctx, name, n_groups),
                labels.of(members[k], b),
            )
        )
    if not blocks and n_groups == 1:
        groups.append(
            BuildingGroup(None, None, loose, _params_for(ctx, None, 1), labels.of(loose, None))
        )
    else:
        for item in loose:
            groups.append(
                BuildingGroup(
                    None,
                    None,
                    [item],
                    _params_for(ctx, None, n_groups),
                    labels.of([item], None),
                )
            )
    for g in groups:
        for item in g.outlines:
            for t in ctx.labels_in(item):
                g.labels.append(t.text)
    ctx._cache[cache_key] = tuple(groups)
    return groups


# --- counted floor area -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FloorArea:
    """Σ counted floor area of a site plan's buildings, with the basis of every term."""

    total: float
    basis: dict[str, str]


def counted_area(ctx: CheckContext, plan: SitePlan) -> FloorArea:
    """Counted floor area (计容建筑面积) of every building, as PLAN-003 defines it.

    ``building.gross_floor_area_m2`` when declared; otherwise footprint × storeys above ground.

    Raises:
        NotChecked: a building has neither a declared area nor a storey count (or no outline),
            or the site plan has no building at all.
    """
    groups = building_groups(ctx, plan)
    if not groups:
        raise NotChecked(
            "总平面图中没有建筑轮廓（G-BLDG-OUTL）或 BLDG 块，无法计算建筑面积",
            "no building outline (G-BLDG-OUTL) or BLDG block on the site plan; "
            "the floor area cannot be computed",
        )
    total = 0.0
    basis: dict[str, str] = {}
    missing: list[tuple[str, str]] = []
    for g in groups:
        key = g.title_en
        if g.params.gross_floor_area_m2 is not None:
            total += g.params.gross_floor_area_m2
            basis[key] = f"{g.params.gross_floor_area_m2:.2f} m² (building.gross_floor_area_m2)"
            continue
        floors, source = g.floors_above()
        if floors is None or not g.outlines:
            missing.append((g.title, g.title_en))
            continue
        foot = float(g.footprint.area)
        total += foot * floors
        basis[key] = f"{foot:.2f} m² footprint × {floors} storeys ({source})"
    if missing:
        zh = "、".join(m[0] for m in missing)
        en = ", ".join(m[1] for m in missing)
        raise NotChecked(
            f"建筑 {zh} 既未给出 building.gross_floor_area_m2，也无法确定地上层数"
            "（building.floors_above、BLDG 块 FLOORS_ABOVE 属性或 18F/-2 形式的标注）或建筑轮廓，"
            "无法计算计容建筑面积",
            f"building {en} has no declared building.gross_floor_area_m2 and no storey count "
            "(building.floors_above, BLDG FLOORS_ABOVE or a label like 18F/-2) or no outline; "
            "the counted floor area cannot be computed",
        )
    return FloorArea(total, basis)


def ceil_stalls(value: float) -> int:
    """Round a required stall count up, ignoring float noise (56.0000000001 → 56)."""
    return math.ceil(value - 1e-6)

"""JOINT-008: the axis grid of every drawing, compared after registration."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString

from checkers.context import CheckContext, Item
from checkers.findings import Violation
from checkers.joint.common import from_site, not_checked, registration_of, unregistered_notices
from checkers.registry import rule
from drawings.model import Discipline, Severity

__all__ = ["axis_grid_mismatch"]

AXIS_TOL_M = 0.005
LABEL_REACH_M = 2.0  # a label bubble belongs to the nearest axis line within this distance


@dataclass(frozen=True, slots=True)
class _Axis:
    """One labelled axis of one sheet: its label item and its line in site coordinates."""

    label: Item
    line: Item | None
    site: npt.NDArray[np.float64] | None  # 2 × 2 end points in site coordinates


@dataclass(slots=True)
class _Grid:
    """The labelled axes of one registered sheet."""

    anchor: Item
    axes: dict[str, _Axis]

    @property
    def name(self) -> str:
        return f"{self.anchor.drawing.file} {self.anchor.sheet_label or '-'}"


def _deviation(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    """Largest distance of either segment's end points from the other's infinite line."""

    def off(line: npt.NDArray[np.float64], pts: npt.NDArray[np.float64]) -> float:
        d = line[1] - line[0]
        n = float(np.hypot(*d))
        if n == 0.0:
            return float(np.max(np.hypot(*(pts - line[0]).T)))
        cross = d[0] * (pts[:, 1] - line[0][1]) - d[1] * (pts[:, 0] - line[0][0])
        return float(np.max(np.abs(cross)) / n)

    return max(off(a, b), off(b, a))


def _nearest_lines(
    ctx: CheckContext, labels: list[Item], lines: list[Item]
) -> list[tuple[Item | None, npt.NDArray[np.float64] | None]]:
    """For each label, the nearest axis line within ``LABEL_REACH_M`` (the first of equally
    near ones) and its first and last points in site coordinates: one tree query, one
    registration and one coordinate read for the whole sheet."""
    out: list[tuple[Item | None, npt.NDArray[np.float64] | None]] = [(None, None)] * len(labels)
    if not lines:
        return out
    tree = ctx.index(lines)
    label_idx, line_idx = tree.query_nearest(
        [label.geometry for label in labels], max_distance=LABEL_REACH_M
    )
    nearest: dict[int, Item] = {}
    for k, j in zip(label_idx.tolist(), line_idx.tolist(), strict=True):
        nearest.setdefault(k, lines[j])
    hit = sorted(nearest)
    placed = ctx.to_site_all([nearest[k] for k in hit])
    for k in hit:
        out[k] = (nearest[k], None)
    sited = [(k, g) for k, g in zip(hit, placed, strict=True) if g is not None]
    if sited:
        xy, owner = shapely.get_coordinates([g for _, g in sited], return_index=True)
        last = np.cumsum(np.bincount(owner, minlength=len(sited))) - 1
        first = np.concatenate([[0], last[:-1] + 1])
        for (k, _), a, b in zip(sited, first.tolist(), last.tolist(), strict=True):
            out[k] = (nearest[k], xy[[a, b]])
    return out


def _grids(ctx: CheckContext) -> tuple[list[_Grid], list[Item]]:
    """Axis grids of every registrable sheet, and the label items of sheets that are not."""
    labels_by_sheet: dict[tuple[str, int | None], list[Item]] = defaultdict(list)
    lines_by_sheet: dict[tuple[str, int | None], list[Item]] = defaultdict(list)
    for d in Discipline:
        for item in ctx.items(d, "A-AXIS-IDEN"):
            if item.text.strip():
                labels_by_sheet[(item.drawing.file, item.obj.sheet)].append(item)
        for item in ctx.items(d, "A-AXIS", texts=False):
            if item.geometry.geom_type == "LineString":
                lines_by_sheet[(item.drawing.file, item.obj.sheet)].append(item)
    grids: list[_Grid] = []
    lost: list[Item] = []
    for key, labels in labels_by_sheet.items():
        if not registration_of(ctx, labels[0]).ok:
            lost.extend(labels)
            continue
        bound = _nearest_lines(ctx, labels, lines_by_sheet.get(key, []))
        axes: dict[str, _Axis] = {}
        for label, (line, site) in zip(labels, bound, strict=True):
            name = label.text.strip()
            known = axes.get(name)
            if known is None or (known.site is None and site is not None):
                axes[name] = _Axis(label, line, site)
        grids.append(_Grid(labels[0], axes))
    return grids, lost


def _compare(
    ctx: CheckContext, ref: _Grid, other: _Grid, *, same_storey: bool
) -> Iterator[Violation]:
    """Findings for ``other`` against ``ref``: labels (same storey only) and positions."""
    params = {"tolerance_m": AXIS_TOL_M, "reference": ref.name}
    if same_storey:
        for name in sorted(set(ref.axes) - set(other.axes)):
            ax = ref.axes[name]
            geom = None
            if ax.site is not None:
                geom = from_site(ctx, other.anchor.sheet, LineString(ax.site))
            yield ctx.violation(
                other.anchor,
                f"{other.name} 缺少轴线 {name}（{ref.name} 同层有此轴线）",
                f"{other.name} lacks axis {name}, which {ref.name} shows on the same storey",
                geometry=geom,
                handles=(),
                params=params,
            )
        for name in sorted(set(other.axes) - set(ref.axes)):
            ax = other.axes[name]
            yield ctx.violation(
                ax.label,
                f"{other.name} 多出轴线 {name}（{ref.name} 同层无此轴线）",
                f"{other.name} has an extra axis {name} that {ref.name} does not show",
                params=params,
            )
    for name in sorted(set(ref.axes) & set(other.axes)):
        a, b = ref.axes[name], other.axes[name]
        if a.site is None or b.site is None:
            continue
        dev = _deviation(a.site, b.site)
        if dev <= AXIS_TOL_M:
            continue
        target = b.line if b.line is not None else b.label
        yield ctx.violation(
            target,
            f"{other.name} 轴线 {name} 配准后与 {ref.name} 相差 {dev * 1000:.1f} mm（允许 ≤ 5 mm）",
            f"axis {name} of {other.name} lies {dev * 1000:.1f} mm from the same axis of "
            f"{ref.name} after registration (allowed ≤ 5 mm)",
            measured=dev,
            limit=AXIS_TOL_M,
            unit="m",
            params=params,
        )


def _reference(grids: list[_Grid]) -> _Grid:
    """Architecture first (the drawing the others are based on), then the fullest grid."""
    return min(
        grids,
        key=lambda g: (g.anchor.drawing.discipline != Discipline.ARCHITECTURE, -len(g.axes)),
    )


@rule("JOINT-008", "axis-grid-match", severity=Severity.ERROR)
def axis_grid_mismatch(ctx: CheckContext) -> Iterator[Violation]:
    """Axis grid mismatch between drawings (轴网不一致).

    Every sheet that carries axis labels (A-AXIS-IDEN) is registered into site coordinates;
    each label is bound to the nearest axis line (A-AXIS) within 2 m of its bubble. Sheets of
    the same storey are compared with one reference sheet (the architecture sheet of that
    storey, else the sheet with most axes): the label sets must be equal, and each axis line
    must lie within 5 mm of the reference line. Axes shared between storeys are also compared
    with the reference storey (architecture ground floor, else the fullest grid), because the
    grid is the same on every storey of a building.

    Clause: drafting consistency (GB/T 50001-2017)

    **Fails when** a label of the reference sheet is missing on another sheet of the same
    storey, a sheet has an extra label, or an axis lies more than 5 mm (largest distance of
    either line's end points from the other line) from the reference axis.

    **Passes when** all sheets of a storey carry the same labels and every axis lies within
    5 mm of its reference after registration.

    **Known limits** Storeys may legitimately carry different grids (a basement wider than the
    tower), so labels are compared only within a storey; positions across storeys. A label
    with no axis line within 2 m has its label compared but not its position. Sheets that
    cannot be registered are reported as info and not compared. Curved (arc) axes are not
    compared.
    """
    grids, lost = _grids(ctx)
    yield from unregistered_notices(ctx, lost, "轴号")
    if len(grids) < 2:
        raise not_checked(
            ctx,
            "可配准的带轴网图纸少于两张，无法比对轴网",
            "fewer than two registrable sheets carry an axis grid",
            lost,
        )
    by_floor: dict[str | None, list[_Grid]] = defaultdict(list)
    for g in grids:
        by_floor[g.anchor.floor].append(g)
    floor_refs: dict[str | None, _Grid] = {}
    for floor, members in by_floor.items():
        ref = _reference(members)
        floor_refs[floor] = ref
        for g in members:
            if g is not ref:
                yield from _compare(ctx, ref, g, same_storey=True)
    ground = floor_refs.get("1") or _reference(list(floor_refs.values()))
    for ref in floor_refs.values():
        if ref is not ground:
            yield from _compare(ctx, ground, ref, same_storey=False)

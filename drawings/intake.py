"""Collects the intake findings of one drawing from what the reader, expander and builder saw."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shapely

from drawings.build import Built
from drawings.expand import Expansion
from drawings.findings import intake
from drawings.layers import GROUPS, REQUIRED, LayerMap
from drawings.limits import IngestLimits
from drawings.model import Discipline, IntakeFinding, SemanticObject, Severity, Sheet
from drawings.reader import RawDrawing

__all__ = ["collect_findings"]

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def collect_findings(
    *,
    raw: RawDrawing,
    expansion: Expansion,
    built: Built,
    objects: Sequence[SemanticObject],
    sheets: Sequence[Sheet],
    unidentified: Sequence[Sheet],
    discipline: Discipline | None,
    display: str,
    unit: str,
    unit_assumed: bool,
    bad_coordinates: Sequence[str],
    fixes: Sequence[dict[str, Any]],
    layer_map: LayerMap,
    limits: IngestLimits,
) -> list[IntakeFinding]:
    """Every ``DXF-002`` … ``DXF-012`` finding that applies, in code order."""
    out: list[IntakeFinding] = []
    f = display
    by_handle = {o.handle: o for o in objects}

    def sheet_of(handle: str) -> str | None:
        obj = by_handle.get(handle)
        if obj is None or obj.sheet is None or obj.sheet >= len(sheets):
            return None
        return sheets[obj.sheet].label

    # DXF-002: recovery and entities that could not be read
    if fixes:
        details = [f"{fx.get('handle') or '-'}: {fx.get('message', '')}" for fx in fixes]
        out.append(
            intake(
                "DXF-002",
                W,
                f"图纸结构有损坏，已通过自动修复读取，共 {len(fixes) - 1} 处修复；请核对修复内容，"
                "建议在 CAD 中修复（AUDIT）后重新导出。",
                f"The file is damaged and was read through automatic recovery with {len(fixes) - 1}"
                " fixes; check them, and preferably repair (AUDIT) and export again.",
                file=f,
                details=details,
                handles=[str(fx.get("handle", "")) for fx in fixes],
            )
        )
    if raw.ctx.skipped:
        out.append(
            intake(
                "DXF-002",
                W,
                f"{len(raw.ctx.skipped)} 个图元数据损坏，无法解析，已跳过；审查时这些图元缺失。",
                f"{len(raw.ctx.skipped)} entities are damaged and were skipped; they are missing from"
                " the review.",
                file=f,
                handles=[h for h, _, _ in raw.ctx.skipped],
                details=[f"{h or '-'} {t}: {why}" for h, t, why in raw.ctx.skipped],
            )
        )
    # DXF-003: units
    if unit_assumed:
        out.append(
            intake(
                "DXF-003",
                W,
                f"图纸未设置单位（$INSUNITS 为空或 0），按项目参数 project.drawing_unit 假定为 {unit}。"
                "请在 CAD 中设置绘图单位（UNITS）。",
                f"The drawing has no unit ($INSUNITS missing or 0); {unit} is assumed from"
                " project.drawing_unit. Set the drawing units (UNITS) in CAD.",
                file=f,
                unit=unit,
            )
        )
    # DXF-004: proxies on mapped layers
    for layer, handles in sorted(raw.ctx.proxies.items()):
        group = layer_map.group_for(layer, is_text=False) or layer_map.group_for(
            layer, is_text=True
        )
        if group is None:
            continue
        out.append(
            intake(
                "DXF-004",
                E,
                f"图层 {layer}（{GROUPS[group].meaning_zh}，{group}）上有 {len(handles)} 个代理对象"
                "（如天正墙体、门窗等自定义对象），其几何无法用于审查。请用天正“图形导出”（T3 格式）"
                "转换为普通图元后重新提交。",
                f"Layer {layer} ({group}) holds {len(handles)} proxy objects (custom objects such as"
                " TArch walls, doors, windows) whose geometry cannot be reviewed. Export the drawing"
                " to plain entities (TArch 图形导出 / T3) and submit again.",
                file=f,
                layer=layer,
                handles=handles,
                measured=float(len(handles)),
                unit="个",
            )
        )
    # DXF-005: required groups
    if discipline is not None:
        present = {o.group for o in objects}
        for group in REQUIRED.get(discipline, ()):
            if group in present:
                continue
            spec = GROUPS[group]
            out.append(
                intake(
                    "DXF-005",
                    E,
                    f"{discipline.value} 图纸缺少必需的图层组 {group}（{spec.meaning_zh}），依赖它的审查"
                    f"规则无法执行。请按送审标准把相应图元放在 {group} 或其别名图层上。",
                    f"The {discipline.value} drawing lacks the required layer group {group}"
                    f" ({spec.meaning_en}); the rules that depend on it cannot run. Put these"
                    f" entities on {group} or one of its aliases.",
                    file=f,
                    layer=group,
                )
            )
    # DXF-006: open boundaries
    for ob in built.open_boundaries:
        sheet = sheet_of(ob.handle)
        spec = GROUPS[ob.group]
        if ob.handles:
            out.append(
                intake(
                    "DXF-006",
                    W,
                    f"{spec.meaning_zh}边界（图层 {ob.layer}）由 {len(ob.handles)} 段线组成，未绘制为"
                    "闭合多段线，已自动拼合为闭合边界。请核对。",
                    f"The {spec.meaning_en} boundary on layer {ob.layer} is drawn as"
                    f" {len(ob.handles)} separate segments, not a closed polyline; it was"
                    " assembled automatically. Please check it.",
                    file=f,
                    sheet=sheet,
                    layer=ob.layer,
                    geometry=ob.geometry,
                    handles=list(ob.handles),
                    measured=float(len(ob.handles)),
                    unit="段",
                )
            )
            continue
        head_zh = f"{spec.meaning_zh}边界（图层 {ob.layer}）未闭合，缺口 {ob.gap:.3f} m"
        head_en = f"The {spec.meaning_en} boundary on layer {ob.layer} is open by {ob.gap:.3f} m"
        auto = ob.closed_automatically
        out.append(
            intake(
                "DXF-006",
                W if auto else E,
                head_zh
                + (
                    " ≤ 0.05 m，已自动闭合。"
                    if auto
                    else " 大于 0.05 m，该边界不参与审查。请将其绘制为闭合多段线。"
                ),
                head_en
                + (
                    " (≤ 0.05 m) and was closed automatically."
                    if auto
                    else " (> 0.05 m) and is not used. Draw it as a closed polyline."
                ),
                file=f,
                sheet=sheet,
                layer=ob.layer,
                geometry=ob.geometry,
                handles=[ob.handle],
                measured=round(ob.gap, 4),
                limit=0.05,
                unit="m",
            )
        )
    # DXF-007: unmapped layers
    unmapped = sorted(
        (name, n)
        for name, n in built.layer_counts.items()
        if n > 0
        and layer_map.group_for(name, is_text=False) is None
        and layer_map.group_for(name, is_text=True) is None
    )
    if unmapped:
        out.append(
            intake(
                "DXF-007",
                INFO,
                f"{len(unmapped)} 个图层未对应任何图层组（不参与自动审查）："
                + "、".join(name for name, _ in unmapped[:20])
                + ("…" if len(unmapped) > 20 else ""),
                f"{len(unmapped)} layers map to no layer group (not used by automated checks).",
                file=f,
                details=[f"{name}: {n}" for name, n in unmapped],
                measured=float(len(unmapped)),
            )
        )
    # DXF-008: text that could not be decoded
    if raw.ctx.decode_problems:
        n = len(raw.ctx.decode_problems)
        out.append(
            intake(
                "DXF-008",
                W,
                f"{n} 处文字无法按声明的代码页（{raw.encoding}）解码，已用替换字符“�”代替；依赖文字的"
                "规则可能遗漏。可在 project.toml 中设置 project.codepage。",
                f"{n} texts cannot be decoded with the declared code page ({raw.encoding}) and were"
                " replaced with U+FFFD; text-based rules may miss them. Set project.codepage in"
                " project.toml if the code page is wrong.",
                file=f,
                handles=[h for h in raw.ctx.decode_problems if not h.startswith("layer:")],
                details=[h[6:] for h in raw.ctx.decode_problems if h.startswith("layer:")],
                measured=float(n),
            )
        )
    # DXF-009: budgets
    for handles, zh, en in (
        (
            expansion.cyclic,
            "块引用自身（直接或经其他块循环引用）",
            "a block refers to itself (directly or through other blocks)",
        ),
        (
            expansion.too_deep,
            f"块嵌套超过 {limits.max_block_depth} 层",
            f"block nesting deeper than {limits.max_block_depth} levels",
        ),
        (
            expansion.over_budget,
            f"块展开后的图元数超过上限 {limits.max_expanded:,}",
            f"block expansion beyond the budget of {limits.max_expanded:,} entities",
        ),
    ):
        if handles:
            out.append(
                intake(
                    "DXF-009",
                    W,
                    f"{len(handles)} 个块参照未展开：{zh}。这些块的内容不参与审查。",
                    f"{len(handles)} block references were not expanded: {en}. Their content is"
                    " missing from the checks.",
                    file=f,
                    handles=handles,
                    measured=float(len(handles)),
                )
            )
    if raw.ctx.too_big:
        out.append(
            intake(
                "DXF-009",
                W,
                f"{len(raw.ctx.too_big)} 个图元的顶点数超过上限 {limits.max_vertices_per_entity:,}，"
                "已忽略。",
                f"{len(raw.ctx.too_big)} entities have more than {limits.max_vertices_per_entity:,}"
                " vertices and were ignored.",
                file=f,
                handles=[h for h, _, _ in raw.ctx.too_big],
                details=[f"{h} {t}: {n:,}" for h, t, n in raw.ctx.too_big],
                limit=float(limits.max_vertices_per_entity),
            )
        )
    if raw.layer_table_size > len(raw.layers):
        out.append(
            intake(
                "DXF-009",
                W,
                f"图层表有 {raw.layer_table_size:,} 个图层，超过上限 {limits.max_layers:,}，多出的图层定义"
                "已忽略（图元仍按其图层名读取）。",
                f"The layer table has {raw.layer_table_size:,} layers, more than {limits.max_layers:,};"
                " the extra definitions were ignored (entities keep their layer names).",
                file=f,
                measured=float(raw.layer_table_size),
                limit=float(limits.max_layers),
            )
        )
    # DXF-010: external references, undefined blocks
    for name, xpath in sorted(expansion.xrefs.items()):
        out.append(
            intake(
                "DXF-010",
                W,
                f"外部参照 {name}（{xpath or '路径未知'}）无法在送审包内解析，其内容不参与审查。请绑定"
                "（BIND）外部参照后重新导出。",
                f"External reference {name} ({xpath or 'no path'}) cannot be resolved within the"
                " package; its content is absent from all checks. Bind the xref and export again.",
                file=f,
                details=[name],
            )
        )
    for name, handles in sorted(expansion.undefined.items()):
        out.append(
            intake(
                "DXF-010",
                W,
                f"块参照 {name} 没有块定义，其内容缺失。",
                f"Block reference {name} has no block definition; its content is missing.",
                file=f,
                handles=handles,
                details=[name],
            )
        )
    # DXF-011: sheets
    for frame in unidentified:
        missing_zh = [
            z
            for z, ok in (("图号", frame.sheet_no), ("图名", frame.title), ("楼层", frame.floor))
            if not ok
        ]
        missing_en = [
            e
            for e, ok in (
                ("sheet number", frame.sheet_no),
                ("title", frame.title),
                ("storey", frame.floor),
            )
            if not ok
        ]
        out.append(
            intake(
                "DXF-011",
                W,
                f"图框 {frame.label} 缺少可读的"
                + "、".join(missing_zh)
                + "，按楼层执行的规则将跳过其内容。"
                "请填写图框属性 SHEET_NO、TITLE、FLOOR。",
                f"Frame {frame.label} has no readable " + ", ".join(missing_en) + "; storey-based"
                " rules skip its content. Fill in the frame attributes SHEET_NO, TITLE, FLOOR.",
                file=f,
                sheet=frame.label,
                handles=[frame.handle or ""],
                geometry=shapely.box(*frame.bbox),
            )
        )
    # DXF-012: repaired geometry, dropped coordinates
    for rep in built.repairs:
        out.append(
            intake(
                "DXF-012",
                W,
                f"图层 {rep.layer} 上的边界自相交或无效，已修复：面积 {rep.area_before:.2f} ㎡ → "
                f"{rep.area_after:.2f} ㎡。请核对。",
                f"A self-intersecting or invalid boundary on layer {rep.layer} was repaired: area"
                f" {rep.area_before:.2f} m² → {rep.area_after:.2f} m². Please check it.",
                file=f,
                sheet=sheet_of(rep.handle),
                layer=rep.layer,
                geometry=rep.geometry,
                handles=[rep.handle],
                measured=round(rep.area_after, 3),
                unit="m²",
                details=[f"area_before={rep.area_before:.3f}", f"area_after={rep.area_after:.3f}"],
            )
        )
    if bad_coordinates:
        out.append(
            intake(
                "DXF-012",
                W,
                f"{len(bad_coordinates)} 个图元的坐标无效（NaN、无穷大或超出范围），已忽略。",
                f"{len(bad_coordinates)} entities have invalid coordinates (NaN, infinite or out of"
                " range) and were ignored.",
                file=f,
                handles=bad_coordinates,
            )
        )
    return out

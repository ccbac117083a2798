"""The ``inspect`` report of one drawing: the JSON shape of the public API, and plain text.

``API.md`` fixes the JSON keys; the text form is for people at a terminal and reads Chinese first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from drawings.model import DrawingModel, IntakeFinding

__all__ = ["finding_dict", "inspect_dict", "inspect_text", "refused_dict"]


def finding_dict(f: IntakeFinding, discipline: str | None = None) -> dict[str, Any]:
    """A FINDING object as ``API.md`` defines it (plus ``message_en``, ``layer``, ``details``)."""
    return {
        "code": f.code,
        "slug": f.slug,
        "discipline": discipline,
        "severity": f.severity.value,
        "message": f.message,
        "message_en": f.message_en,
        "clause": "—",
        "measured": f.measured,
        "limit": f.limit,
        "unit": f.unit,
        "file": f.file,
        "sheet": f.sheet,
        "layer": f.layer,
        "location": f.location,
        "handles": list(f.handles),
        "details": list(f.details),
    }


def inspect_dict(model: DrawingModel, *, texts: bool = False) -> dict[str, Any]:
    """The ``inspect --json`` object of ``API.md``."""
    disc = model.discipline.value if model.discipline else None
    out: dict[str, Any] = {
        "file": model.file,
        "status": "ok",
        "dxf_version": model.release,
        "acadver": model.dxf_version,
        "encoding": model.encoding,
        "unit": model.unit,
        "loaded_via": model.loaded_via,
        "sheets": [
            {
                "sheet_no": s.sheet_no,
                "title": s.title,
                "floor": s.floor,
                "bbox_m": [round(v, 4) for v in s.bbox],
                "source": s.source,
                "origin_m": [round(v, 4) for v in s.origin] if s.origin else None,
            }
            for s in model.sheets
        ],
        "layers": model.groups,
        "unmapped_layers": model.unmapped_layers,
        "stats": {
            "entities": model.stats.entities,
            "layers": model.stats.layers,
            "blocks": model.stats.blocks,
            "expanded_entities": model.stats.expanded_entities,
            "semantic_objects": model.stats.semantic_objects,
        },
        "buildings": [
            {
                "name": b.name,
                "point_m": [round(b.point[0], 4), round(b.point[1], 4)],
                "rotation_deg": round(b.rotation, 4),
                "attributes": dict(b.attrs),
            }
            for b in model.buildings
        ],
        "findings": [finding_dict(f, disc) for f in model.findings],
    }
    if texts:
        out["texts"] = [t.text for t in model.texts]
    return out


def refused_dict(file: str, reason: str, message: str, message_en: str) -> dict[str, Any]:
    """The ``inspect --json`` object of a refused file: one ``DXF-001`` finding."""
    return {
        "file": file,
        "status": "refused",
        "reason": reason,
        "dxf_version": None,
        "encoding": None,
        "unit": None,
        "sheets": [],
        "layers": {},
        "unmapped_layers": [],
        "stats": {"entities": 0, "layers": 0, "blocks": 0},
        "findings": [
            {
                "code": "DXF-001",
                "slug": "unreadable",
                "discipline": None,
                "severity": "error",
                "message": message,
                "message_en": message_en,
                "clause": "—",
                "measured": None,
                "limit": None,
                "unit": None,
                "file": file,
                "sheet": None,
                "layer": None,
                "location": None,
                "handles": [],
                "details": [reason],
            }
        ],
        "texts": [],
    }


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    if not rows:
        return []
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in rows
    ]


def _width(s: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def inspect_text(model: DrawingModel, *, texts: bool = False) -> str:
    """A human-readable report, Chinese first."""
    lines = [
        f"图纸 File: {model.file}",
        f"版本 Version: {model.release} ({model.dxf_version})   编码 Encoding: {model.encoding}"
        f"   单位 Unit: {model.unit}   读取方式 Loaded via: {model.loaded_via}",
        f"图元 Entities: {model.stats.entities}   图层 Layers: {model.stats.layers}"
        f"   块 Blocks: {model.stats.blocks}   语义对象 Objects: {model.stats.semantic_objects}",
        "",
        "图纸 Sheets:",
    ]
    rows = [["#", "图号 No.", "图名 Title", "楼层 Floor", "范围 Extent (m)", "基点 Origin (m)"]]
    for s in model.sheets:
        x0, y0, x1, y1 = s.bbox
        rows.append(
            [
                str(s.index + 1),
                s.sheet_no or "-",
                s.title or "-",
                s.floor or "-",
                f"{x1 - x0:.1f} × {y1 - y0:.1f}",
                f"({s.origin[0]:.3f}, {s.origin[1]:.3f})" if s.origin else "-",
            ]
        )
    lines += ["  " + r for r in _table(rows)]
    lines += ["", "图层组 Layer groups:"]
    counts: dict[str, int] = {}
    for o in model.objects:
        counts[o.group] = counts.get(o.group, 0) + 1
    for group, raw in model.groups.items():
        lines.append(f"  {group:<12} {counts.get(group, 0):>7}  ← {', '.join(raw)}")
    if model.unmapped_layers:
        lines.append(
            f"  未映射 Unmapped: {', '.join(model.unmapped_layers[:30])}"
            + (" …" if len(model.unmapped_layers) > 30 else "")
        )
    if model.buildings:
        lines += ["", "建筑 Buildings (BLDG):"]
        for b in model.buildings:
            lines.append(f"  {b.name}: ({b.point[0]:.3f}, {b.point[1]:.3f}) m, {b.rotation:.2f}°")
    lines += ["", f"审查意见 Intake findings: {len(model.findings)}"]
    for f in model.findings:
        where = " ".join(x for x in (f.sheet and f"[{f.sheet}]", f.layer and f"<{f.layer}>") if x)
        lines.append(f"  {f.code} {f.severity.value:<7} {where} {f.message}".rstrip())
    if texts:
        lines += ["", "文字 Texts:"]
        lines += [f"  {t.text}" for t in model.texts]
    return "\n".join(lines)

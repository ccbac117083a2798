"""``load()``: one DXF file in, one ``DrawingModel`` out, or a specific refusal (``DXF-001``).

The order of steps is the guardrail order of the reliability notes: cheap sniffing of the raw
bytes, a streaming read with entity, layer and time budgets, recovery of damaged ASCII files in
an isolated process, the block-graph budget before any block is expanded, and only then geometry.
Every exception from the DXF stack becomes ``UnreadableDrawingError`` with a reason a user can act
on; no traceback reaches the user.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from drawings.build import build_objects, drop_bad_coordinates
from drawings.content import Content
from drawings.dxfread import DxfStructureError, scan_header
from drawings.errors import DrawingError, UnreadableDrawingError
from drawings.expand import Expansion, block_extents, expand_model
from drawings.intake import collect_findings
from drawings.layers import LayerMap
from drawings.limits import IngestLimits
from drawings.model import Discipline, DrawingModel, Sheet, Stats
from drawings.reader import RawDrawing, read_drawing
from drawings.sheets import (
    FrameInfo,
    find_buildings,
    find_frames,
    make_sheet,
    register_sheet,
    sheet_index,
)
from drawings.sniff import sniff

__all__ = ["UNIT_NAMES", "load"]

logger = logging.getLogger(__name__)

UNIT_NAMES: Mapping[int, tuple[str, float]] = {
    1: ("in", 0.0254),
    2: ("ft", 0.3048),
    3: ("mi", 1609.344),
    4: ("mm", 0.001),
    5: ("cm", 0.01),
    6: ("m", 1.0),
    7: ("km", 1000.0),
    8: ("µin", 0.0254e-6),
    9: ("mil", 0.0254e-3),
    10: ("yd", 0.9144),
    11: ("Å", 1e-10),
    12: ("nm", 1e-9),
    13: ("µm", 1e-6),
    14: ("dm", 0.1),
    15: ("dam", 10.0),
    16: ("hm", 100.0),
    17: ("Gm", 1e9),
    18: ("au", 149597870700.0),
    19: ("ly", 9.4607304725808e15),
    20: ("pc", 3.0856775814913673e16),
}
_BY_NAME = dict(UNIT_NAMES.values())

RELEASES: Mapping[str, str] = {
    "AC1006": "R10",
    "AC1009": "R12",
    "AC1012": "R13",
    "AC1014": "R14",
    "AC1015": "R2000",
    "AC1018": "R2004",
    "AC1021": "R2007",
    "AC1024": "R2010",
    "AC1027": "R2013",
    "AC1032": "R2018",
}


def _refuse(reason: str, zh: str, en: str, display: str) -> UnreadableDrawingError:
    return UnreadableDrawingError(reason, zh, en, file=display)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load(
    path: Path | str,
    *,
    discipline: Discipline | str | None = None,
    layer_map: LayerMap | None = None,
    limits: IngestLimits | None = None,
    drawing_unit: str = "mm",
    codepage: str | None = None,
    display_name: str | None = None,
) -> DrawingModel:
    """Read one DXF file into the semantic model.

    Args:
        path: the DXF file.
        discipline: the package folder the file came from; decides the required layer groups
            (``DXF-005``). ``None`` when unknown (``inspect`` of a single file).
        layer_map: alias map (presets plus the package's ``layers.toml``); default presets.
        limits: ingestion budgets.
        drawing_unit: unit assumed when ``$INSUNITS`` is unset (``project.drawing_unit``).
        codepage: forces the code page (``project.codepage``); default the file's own.
        display_name: how the file is named in messages (e.g. ``fire/plans.dxf``).

    Raises:
        UnreadableDrawingError: the file is refused (``DXF-001``), with a specific reason.
    """
    path = Path(path)
    limits = limits or IngestLimits()
    layer_map = layer_map or LayerMap.default()
    display = display_name or path.name
    disc = Discipline(discipline) if discipline else None
    sniffed = sniff(path, max_bytes=limits.max_bytes, display_name=display)
    try:
        return _load(path, sniffed.format, disc, layer_map, limits, drawing_unit, codepage, display)
    except DrawingError:
        raise
    except MemoryError:
        raise _refuse(
            "memory",
            f"图纸 {display} 超出内存上限，无法读取。请清理或拆分图纸。",
            f"{display} needs more memory than allowed; purge or split the drawing.",
            display,
        ) from None
    except RecursionError:
        raise _refuse(
            "structure",
            f"图纸 {display} 的结构嵌套过深，无法读取。",
            f"{display} is nested too deeply to be read.",
            display,
        ) from None
    except Exception as exc:  # noqa: BLE001 - every library failure becomes DXF-001
        logger.warning("unexpected failure reading %s", display, exc_info=True)
        raise _refuse(
            "structure",
            f"图纸 {display} 无法读取：{type(exc).__name__}（文件结构损坏或不受支持）。",
            f"{display} cannot be read: {type(exc).__name__} (damaged or unsupported structure).",
            display,
        ) from exc


def _load(
    path: Path,
    fmt: str,
    disc: Discipline | None,
    layer_map: LayerMap,
    limits: IngestLimits,
    drawing_unit: str,
    codepage: str | None,
    display: str,
) -> DrawingModel:
    binary = fmt == "binary"
    header = scan_header(path, codepage_override=codepage) if not binary else None
    encoding = header.encoding if header is not None else "binary"
    insunits = header.insunits if header is not None else None
    unit_guess = UNIT_NAMES.get(insunits or 0, (drawing_unit, _BY_NAME.get(drawing_unit, 0.001)))[1]
    flat_tol = 0.005 / unit_guess
    via = "binary" if binary else "stream"
    fixes: list[dict[str, Any]] = []
    try:
        raw = read_drawing(
            path,
            encoding=encoding,
            binary=binary,
            limits=limits,
            display=display,
            flat_tol=flat_tol,
        )
    except DxfStructureError as exc:
        if binary:
            raise _refuse(
                "structure",
                f"二进制 DXF 文件 {display} 已损坏，无法读取（{exc}）。请重新导出。",
                f"The binary DXF file {display} is damaged and cannot be read ({exc}). Export it"
                " again.",
                display,
            ) from None
        raw, fixes = _recover(path, limits, display, flat_tol, codepage, str(exc))
        via = "recover"
    if not any(s in ("ENTITIES", "BLOCKS") for s in raw.sections) and not raw.model.entity_count:
        raise _refuse(
            "no-entities",
            f"图纸 {display} 中没有任何图形数据（缺少 ENTITIES 段）。",
            f"{display} holds no drawing data (no ENTITIES section).",
            display,
        )
    return _build(raw, path, disc, layer_map, limits, drawing_unit, display, via, fixes)


def _recover(
    path: Path,
    limits: IngestLimits,
    display: str,
    flat_tol: float,
    codepage: str | None,
    first_error: str,
) -> tuple[RawDrawing, list[dict[str, Any]]]:
    """Run ezdxf's recover loader in an isolated process and read what it wrote."""
    with tempfile.TemporaryDirectory(prefix="lianshen-recover-") as tmp:
        out = Path(tmp) / "recovered.dxf"
        cmd = [
            sys.executable,
            "-m",
            "drawings.recover_child",
            str(path),
            str(out),
            str(limits.recover_memory_bytes),
        ]
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        try:
            proc = subprocess.run(  # noqa: S603 - fixed interpreter and module, file paths only
                cmd,
                capture_output=True,
                timeout=min(limits.max_seconds, 120.0),
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise _refuse(
                "timeout",
                f"图纸 {display} 结构损坏（{first_error}），自动修复超时，无法读取。请在 CAD 中"
                "修复（AUDIT/RECOVER）后重新导出。",
                f"{display} is damaged ({first_error}) and automatic repair timed out. Repair it in"
                " CAD (AUDIT/RECOVER) and export again.",
                display,
            ) from None
        report: dict[str, Any] = {}
        lines = proc.stdout.decode("utf-8", "replace").strip().splitlines()
        if lines:
            try:
                report = json.loads(lines[-1])
            except json.JSONDecodeError:
                report = {}
        if proc.returncode != 0 or "error" in report or not out.exists():
            why = report.get("error") or (
                "内存或资源超限" if proc.returncode < 0 else f"exit {proc.returncode}"
            )
            raise _refuse(
                "structure",
                f"图纸 {display} 结构损坏，无法读取也无法自动修复：{first_error}；修复失败：{why}。",
                f"{display} is damaged beyond recovery: {first_error}; repair failed: {why}.",
                display,
            )
        if int(report.get("entities", 0)) == 0:
            raise _refuse(
                "no-entities",
                f"图纸 {display} 结构损坏（{first_error}），修复后没有任何图元：文件可能被截断或"
                "不是 DXF。",
                f"{display} is damaged ({first_error}) and nothing is left after repair: the file"
                " is probably truncated or not a DXF.",
                display,
            )
        header = scan_header(out, codepage_override=codepage)
        raw = read_drawing(
            out,
            encoding=header.encoding,
            binary=False,
            limits=limits,
            display=display,
            flat_tol=flat_tol,
        )
        fixes = list(report.get("fixes", [])) + [
            {**e, "error": True} for e in report.get("errors", [])
        ]
        fixes.insert(0, {"code": 0, "message": first_error, "handle": ""})
        return raw, fixes


def _unit(raw: RawDrawing, drawing_unit: str) -> tuple[str, float, bool]:
    value = raw.header.get("$INSUNITS")
    try:
        code = int(value) if value is not None else 0
    except (TypeError, ValueError):
        code = 0
    if code in UNIT_NAMES:
        name, factor = UNIT_NAMES[code]
        return name, factor, False
    factor = _BY_NAME.get(drawing_unit, 0.001)
    return (drawing_unit if drawing_unit in _BY_NAME else "mm"), factor, True


def _build(
    raw: RawDrawing,
    path: Path,
    disc: Discipline | None,
    layer_map: LayerMap,
    limits: IngestLimits,
    drawing_unit: str,
    display: str,
    via: str,
    fixes: list[dict[str, Any]],
) -> DrawingModel:
    unit, u, assumed = _unit(raw, drawing_unit)
    expansion = expand_model(raw, limits, u)
    expansion.flat, bad_coords = drop_bad_coordinates(expansion.flat, limits.max_coordinate * u)
    flat = expansion.flat
    for ins in flat.inserts:
        block_extents(raw, expansion, ins.name)
    frames = find_frames(flat.inserts, expansion.extents)
    unidentified: list[Sheet] = []
    sheets: list[Sheet] = []
    if not frames:
        frames = _layout_frames(raw, expansion, u)
    for frame in frames:
        sheet, bad = make_sheet(len(sheets), frame)
        sheets.append(sheet)
        if bad:
            unidentified.append(sheet)
    extents = flat.extents()
    if not sheets:
        sheets.append(Sheet(0, None, None, None, None, extents or (0.0, 0.0, 0.0, 0.0), "model"))
    entities = raw.model.entity_count + sum(c.entity_count for c in raw.paper.values())
    raw.model = Content()  # the expanded copy is all that is needed from here on
    for block in raw.blocks.values():  # extents are known; the block contents are not needed
        block.content = Content()
    inserts = flat.inserts
    del flat  # build_objects takes the expanded drawing over (and reorders it)
    built = build_objects(expansion, layer_map, sheets)
    objects = built.objects
    sheets = _register(sheets, objects)
    buildings = find_buildings(inserts)
    if buildings:
        where = sheet_index(np.array([b.point for b in buildings], dtype=np.float64), sheets)
        buildings = [dataclasses.replace(b, sheet=s) for b, s in zip(buildings, where, strict=True)]
    blocks = sum(1 for b in raw.blocks.values() if not b.is_layout)
    findings = collect_findings(
        raw=raw,
        expansion=expansion,
        built=built,
        objects=objects,
        sheets=sheets,
        unidentified=unidentified,
        discipline=disc,
        display=display,
        unit=unit,
        unit_assumed=assumed,
        bad_coordinates=bad_coords,
        fixes=fixes,
        layer_map=layer_map,
        limits=limits,
    )
    layer_names = set(raw.layers) | set(built.layer_counts)
    from drawings.model import LayerInfo

    layers = tuple(
        LayerInfo(
            name,
            layer_map.group_for(name, is_text=False) or layer_map.group_for(name, is_text=True),
            built.layer_counts.get(name, 0),
        )
        for name in sorted(layer_names)
    )
    version = str(raw.header.get("$ACADVER", "") or "")
    return DrawingModel(
        file=display,
        sha256=_sha256(path),
        discipline=disc,
        dxf_version=version,
        release=RELEASES.get(version, version or "unknown"),
        encoding=raw.encoding,
        unit=unit,
        unit_to_m=u,
        loaded_via=via,
        sheets=tuple(sheets),
        objects=tuple(objects),
        buildings=tuple(buildings),
        layers=layers,
        texts=tuple(built.texts),
        display=tuple(built.display),
        findings=tuple(findings),
        stats=Stats(
            entities=entities,
            layers=raw.layer_table_size or len(layer_names),
            blocks=blocks,
            expanded_entities=expansion.expanded_entities,
            semantic_objects=len(objects),
        ),
        extents=extents,
    )


def _layout_frames(raw: RawDrawing, expansion: Expansion, u: float) -> list[FrameInfo]:
    """Paper-space layouts with viewports, as sheets over the model-space window they show."""
    by_owner: dict[str, list[tuple[float, float, float, float]]] = {}
    for vp in raw.viewports:
        if vp.vid == 1:
            continue  # the layout's own overall viewport
        cx, cy = vp.view_center
        h = vp.view_height
        w = h * vp.aspect
        box = ((cx - w / 2) * u, (cy - h / 2) * u, (cx + w / 2) * u, (cy + h / 2) * u)
        by_owner.setdefault(vp.owner.lower(), []).append(box)
    frames: list[FrameInfo] = []
    for owner, boxes in sorted(by_owner.items()):
        content = next((c for name, c in raw.paper.items() if name.lower() == owner), None)
        attrs: dict[str, str] = {}
        handle = ""
        if content is not None:
            from drawings.sheets import is_frame_block

            for ins in content.inserts:
                if is_frame_block(ins.name) and ins.attribs:
                    attrs, handle = dict(ins.attribs), ins.handle
                    break
        name = next((n for b, n in raw.layouts.items() if b.lower() == owner), owner.lstrip("*"))
        attrs.setdefault("TITLE", name)
        bbox = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
        frames.append(FrameInfo(bbox, attrs, handle, "layout"))
    return frames


def _register(sheets: list[Sheet], objects: list[Any]) -> list[Sheet]:
    labels: dict[int, list[Any]] = {}
    axes: dict[int, list[Any]] = {}
    for o in objects:
        if o.sheet is None:
            continue
        if o.group == "A-AXIS-IDEN":
            labels.setdefault(o.sheet, []).append(o)
        elif o.group == "A-AXIS":
            axes.setdefault(o.sheet, []).append(o)
    out = []
    for s in sheets:
        origin = register_sheet(labels.get(s.index, []), axes.get(s.index, []))
        out.append(dataclasses.replace(s, origin=origin) if origin is not None else s)
    return out

"""First pass over a DXF file: header, layers, blocks, model and paper space, layouts.

The result (``RawDrawing``) holds compact ``Content`` containers in drawing units; nothing is
expanded yet, so the block-graph budget can be checked before any block is copied.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drawings.content import Content, InsertRec
from drawings.dxfread import RawEntity, read_entities
from drawings.entities import ParseContext, add_attrib, add_entity, add_polyline, iter_with_handles
from drawings.errors import UnreadableDrawingError
from drawings.guard import block_key
from drawings.limits import IngestLimits
from drawings.text import decode_escapes, sanitize

__all__ = ["BlockDef", "RawDrawing", "Viewport", "read_drawing"]

Tag = tuple[int, Any]


@dataclass(slots=True)
class BlockDef:
    """A block definition as read: its content in block coordinates and what it is."""

    name: str
    base: tuple[float, float]
    flags: int
    xref_path: str
    content: Content
    record: str = ""

    @property
    def is_xref(self) -> bool:
        """External reference (flag 4) or overlay (flag 8)."""
        return bool(self.flags & 12)

    @property
    def is_layout(self) -> bool:
        """The model or a paper-space layout block (``*Model_Space``, ``*Paper_Space0`` ...)."""
        low = self.name.lower()
        return low.startswith("*model_space") or low.startswith("*paper_space")


@dataclass(slots=True)
class Viewport:
    """A paper-space viewport: which model-space window a layout shows."""

    owner: str
    handle: str
    vid: int
    view_center: tuple[float, float]
    view_height: float
    aspect: float


@dataclass(slots=True)
class RawDrawing:
    """Everything read from the file, before block expansion."""

    header: dict[str, Any]
    layers: dict[str, int]  # name -> flags
    layer_table_size: int
    blocks: dict[str, BlockDef]  # keyed by block_key(name)
    model: Content
    paper: dict[str, Content]  # layout block name -> content
    viewports: list[Viewport]
    layouts: dict[str, str]  # layout block name -> layout name
    ctx: ParseContext
    entity_count: int
    eof: bool
    encoding: str
    sections: list[str] = field(default_factory=list)


_HEADER_VARS = {"$ACADVER", "$DWGCODEPAGE", "$INSUNITS", "$EXTMIN", "$EXTMAX", "$MEASUREMENT"}


def _header(tags: list[Tag]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    name: str | None = None
    for code, value in tags:
        if code == 9:
            name = str(value).strip()
            continue
        if name in _HEADER_VARS:
            if code in (10, 20, 30):
                out.setdefault(name, {})[code] = value
            elif name not in out:
                out[name] = value.strip() if isinstance(value, str) else value
    return out


class _Reader:
    """The state machine of the first pass (complex entities, current block, limits)."""

    def __init__(self, limits: IngestLimits, display: str, flat_tol: float) -> None:
        self.limits = limits
        self.display = display
        self.ctx = ParseContext(
            block_base={},
            max_vertices=limits.max_vertices_per_entity,
            max_text=limits.max_text_length,
            flat_tol=flat_tol,
        )
        self.header: dict[str, Any] = {}
        self.layers: dict[str, int] = {}
        self.layer_table_size = 0
        self.records: dict[str, str] = {}
        self.blocks: dict[str, BlockDef] = {}
        self.model = Content()
        self.paper: dict[str, Content] = {}
        self.viewports: list[Viewport] = []
        self.layout_records: list[tuple[str, str]] = []
        self.block: BlockDef | None = None
        self.poly: tuple[list[Tag], list[list[Tag]], str, str, Content] | None = None
        self.insert: InsertRec | None = None
        self.layer_names: dict[str, str] = {}
        self.count = 0
        self.started = time.monotonic()

    # -- helpers ---------------------------------------------------------------------------
    def layer_name(self, raw: str) -> str:
        name = self.layer_names.get(raw)
        if name is None:
            s = decode_escapes(raw) if "\\" in raw else raw
            name, bad = sanitize(s.strip() or "0", max_len=255)
            if bad:
                self.ctx.decode_problems.append(f"layer:{name}")
            if len(self.layer_names) < 1_000_000:
                self.layer_names[raw] = name
        return name

    def flush_poly(self) -> None:
        if self.poly is not None:
            head, vertices, layer, handle, target = self.poly
            self.poly = None
            try:
                add_polyline(head, vertices, layer, handle, target, self.ctx)
            except Exception as exc:  # noqa: BLE001 - one broken entity must not lose the file
                self.ctx.skipped.append((handle, "POLYLINE", f"{type(exc).__name__}: {exc}"[:200]))

    def check_budget(self) -> None:
        if self.count > self.limits.max_entities:
            raise UnreadableDrawingError(
                "limit",
                f"图纸 {self.display} 的图元数量超过上限 {self.limits.max_entities:,}，"
                "请拆分图纸或清理无用图元后重新提交。",
                f"{self.display} has more than {self.limits.max_entities:,} entities; split the"
                " drawing or purge unused content and submit again.",
                file=self.display,
            )
        if time.monotonic() - self.started > self.limits.max_seconds:
            raise UnreadableDrawingError(
                "timeout",
                f"读取图纸 {self.display} 超过时间上限 {self.limits.max_seconds:.0f} 秒。",
                f"Reading {self.display} took longer than {self.limits.max_seconds:.0f} s.",
                file=self.display,
            )

    # -- dispatch --------------------------------------------------------------------------
    def feed(self, section: str, etype: str, tags: list[Tag]) -> None:
        self.count += 1
        if not self.count & 4095:
            self.check_budget()
        if section == "ENTITIES":
            self.entity(etype, tags, None)
        elif section == "BLOCKS":
            self.blocks_item(etype, tags)
        elif section == "HEADER":
            if etype == "$HEADER":
                self.header = _header(tags)
        elif section == "TABLES":
            self.table_item(etype, tags)
        elif section == "OBJECTS":
            if etype == "LAYOUT":
                self.layout_item(tags)

    def table_item(self, etype: str, tags: list[Tag]) -> None:
        if etype == "LAYER":
            self.layer_table_size += 1
            if len(self.layers) >= self.limits.max_layers:
                return
            name = ""
            flags = 0
            for code, value in tags:
                if code == 2 and not name:
                    name = self.layer_name(str(value))
                elif code == 70:
                    try:
                        flags = int(value)
                    except (TypeError, ValueError):
                        flags = 0
            if name:
                self.layers.setdefault(name, flags)
        elif etype == "BLOCK_RECORD":
            handle = ""
            name = ""
            for code, value in tags:
                if code == 5 and not handle:
                    handle = str(value).strip()
                elif code == 2 and not name:
                    name = str(value)
            if handle and name:
                self.records[handle] = name

    def layout_item(self, tags: list[Tag]) -> None:
        name = ""
        record = ""
        in_layout = False
        for code, value in tags:
            if code == 100 and value == "AcDbLayout":
                in_layout = True
            elif code == 1 and in_layout and not name:
                name = str(value)
            elif code == 330 and in_layout and not record:
                record = str(value).strip()
        if name and record:
            self.layout_records.append((record, name))

    def blocks_item(self, etype: str, tags: list[Tag]) -> None:
        if etype == "BLOCK":
            self.flush_poly()
            self.insert = None
            d: dict[int, Any] = {}
            for code, value in tags:
                if code not in d:
                    d[code] = value
            raw_name = d.get(2) or d.get(3) or ""
            name = str(raw_name).strip()
            if "\\" in name:
                name = decode_escapes(name)
            name, _ = sanitize(name, max_len=255)
            try:
                base = (float(d.get(10, 0.0)), float(d.get(20, 0.0)))
                flags = int(d.get(70, 0))
            except (TypeError, ValueError):
                base, flags = (0.0, 0.0), 0
            self.block = BlockDef(
                name=name,
                base=base,
                flags=flags,
                xref_path=str(d.get(1, "")),
                content=Content(),
                record=str(d.get(330, "")).strip(),
            )
            key = block_key(name)
            if name and key not in self.blocks:
                self.blocks[key] = self.block
                self.ctx.block_base[key] = base
        elif etype == "ENDBLK":
            self.flush_poly()
            self.insert = None
            self.block = None
        elif self.block is not None:
            self.entity(etype, tags, self.block.content, owner=self.block.name)

    def entity(self, etype: str, tags: list[Tag], target: Content | None, owner: str = "") -> None:
        if etype == "VERTEX":
            if self.poly is not None:
                self.poly[1].append(tags)
            return
        if etype == "SEQEND":
            self.flush_poly()
            self.insert = None
            return
        if etype == "ATTRIB":
            handle, layer, _, _ = iter_with_handles(tags)
            dest = target if target is not None else self.model
            try:
                add_attrib(tags, self.layer_name(layer), handle, dest, self.ctx, self.insert)
            except Exception as exc:  # noqa: BLE001
                self.ctx.skipped.append((handle, "ATTRIB", f"{type(exc).__name__}: {exc}"[:200]))
            return
        self.flush_poly()
        self.insert = None
        handle, raw_layer, paper, invisible = iter_with_handles(tags)
        if target is None:
            if paper:
                owner = "*Paper_Space"
                target = self.paper.setdefault(owner, Content())
            else:
                target = self.model
        elif owner.lower().startswith("*paper_space"):
            self.paper[owner] = target
        target.entity_count += 1
        if invisible:
            return
        layer = self.layer_name(raw_layer)
        if etype == "POLYLINE":
            self.poly = (tags, [], layer, handle, target)
            return
        if etype == "VIEWPORT":
            self.viewport(tags, handle, owner or "*Paper_Space")
            return
        add_entity(etype, tags, layer, handle, target, self.ctx)
        if etype == "INSERT" and target.inserts and target.inserts[-1].handle == handle:
            self.insert = target.inserts[-1]

    def viewport(self, tags: list[Tag], handle: str, owner: str) -> None:
        d: dict[int, Any] = {}
        for code, value in tags:
            if code not in d:
                d[code] = value
        try:
            width = float(d.get(40, 0.0))
            height = float(d.get(41, 0.0))
            view_h = float(d.get(45, 0.0))
            vid = int(d.get(69, 0))
            center = (float(d.get(12, 0.0)), float(d.get(22, 0.0)))
        except (TypeError, ValueError):
            return
        if width > 0 and height > 0 and view_h > 0:
            self.viewports.append(Viewport(owner, handle, vid, center, view_h, width / height))

    def result(self, eof: bool, encoding: str) -> RawDrawing:
        self.flush_poly()
        layouts: dict[str, str] = {}
        for record, name in self.layout_records:
            block = self.records.get(record)
            if block:
                layouts[block] = name
        # The active paper layout's entities live in ENTITIES (67=1): name them after its block.
        return RawDrawing(
            header=self.header,
            layers=self.layers,
            layer_table_size=self.layer_table_size,
            blocks=self.blocks,
            model=self.model,
            paper=self.paper,
            viewports=self.viewports,
            layouts=layouts,
            ctx=self.ctx,
            entity_count=self.count,
            eof=eof,
            encoding=encoding,
        )


def read_drawing(
    path: Path,
    *,
    encoding: str,
    binary: bool,
    limits: IngestLimits,
    display: str,
    flat_tol: float,
) -> RawDrawing:
    """Stream the whole file once into a ``RawDrawing``.

    Raises:
        DxfStructureError: the tag structure is broken (the caller may try recovery).
        UnreadableDrawingError: a budget was exceeded or the file ended inside a section.
    """
    reader = _Reader(limits, display, flat_tol)
    stats: dict[str, Any] = {}
    item: RawEntity
    for item in read_entities(path, encoding, binary=binary, stats=stats):
        reader.feed(*item)
    if stats.get("truncated"):
        raise UnreadableDrawingError(
            "truncated",
            f"图纸 {display} 不完整：文件在某个段（SECTION）内部就结束了，缺少 ENDSEC/EOF，"
            "很可能在保存或上传时被截断。请重新导出 DXF 后提交。",
            f"{display} is incomplete: the file ends inside a section without ENDSEC/EOF, so it"
            " was probably cut off while saving or uploading. Export the DXF again.",
            file=display,
        )
    raw = reader.result(bool(stats.get("eof")), encoding)
    raw.sections = list(stats.get("sections", []))
    return raw

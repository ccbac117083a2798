"""Raw DXF entity tags → line work, texts and block references in a ``Content``.

The common entity types of building drawings (LINE, LWPOLYLINE, POLYLINE, ARC, CIRCLE, TEXT,
MTEXT, INSERT, ATTRIB, POINT, SOLID, DIMENSION) are read straight from their group codes, which is
several times faster than building ezdxf entity objects. Rare and complicated types (HATCH,
SPLINE, ELLIPSE, LEADER, proxy graphics ...) are handed to ezdxf's own entity classes, so their
corner cases stay ezdxf's. Coordinates stay in drawing units here; the loader scales to metres.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ezdxf import path as ezpath
from ezdxf.entities import factory
from ezdxf.lldxf.extendedtags import ExtendedTags
from ezdxf.lldxf.tagger import tag_compiler
from ezdxf.lldxf.types import DXFBinaryTag, DXFTag
from ezdxf.proxygraphic import ProxyGraphic

from drawings.content import (
    NO_ATTRIBS,
    ZERO2,
    Affine,
    Content,
    InsertRec,
    TextRec,
    apply,
    compose,
)
from drawings.text import decode_escapes, mtext_plain, sanitize, text_plain

__all__ = [
    "ParseContext",
    "add_attrib",
    "add_entity",
    "add_polyline",
    "add_proxy",
    "iter_with_handles",
    "ocs_matrix",
]

logger = logging.getLogger(__name__)

Tag = tuple[int, Any]
_ARC_STEP = 2 * math.pi / 64


@dataclass(slots=True)
class ParseContext:
    """Per-file state the parsers need: block base points, limits, and what went wrong."""

    block_base: dict[str, tuple[float, float]]
    max_vertices: int
    max_text: int
    flat_tol: float
    decode_problems: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (handle, type, reason)
    too_big: list[tuple[str, str, int]] = field(default_factory=list)  # (handle, type, vertices)
    proxies: dict[str, list[str]] = field(default_factory=dict)  # layer -> handles
    unsupported: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # raw block name -> clean, shared


def ocs_matrix(ex: float, ey: float, ez: float) -> Affine | None:
    """2-D part of the arbitrary-axis algorithm; ``None`` for the usual +Z extrusion."""
    norm = math.sqrt(ex * ex + ey * ey + ez * ez)
    if norm == 0 or not math.isfinite(norm):
        return None
    ex, ey, ez = ex / norm, ey / norm, ez / norm
    if abs(ex) < 1e-12 and abs(ey) < 1e-12 and ez > 0:
        return None
    if abs(ex) < 1 / 64 and abs(ey) < 1 / 64:
        ax = (ez, 0.0, -ex)  # Wy × Az
    else:
        ax = (-ey, ex, 0.0)  # Wz × Az
    n = math.sqrt(ax[0] ** 2 + ax[1] ** 2 + ax[2] ** 2)
    ax = (ax[0] / n, ax[1] / n, ax[2] / n)
    ay = (ey * ax[2] - ez * ax[1], ez * ax[0] - ex * ax[2], ex * ax[1] - ey * ax[0])
    return (ax[0], ay[0], ax[1], ay[1], 0.0, 0.0)


def _num(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return default


def _text(value: Any, ctx: ParseContext, handle: str) -> str:
    s = value if isinstance(value, str) else str(value)
    if "\\" in s:
        s = decode_escapes(s)
    clean, bad = sanitize(s, max_len=ctx.max_text)
    if bad:
        ctx.decode_problems.append(handle)
    return clean


def _first(tags: list[Tag]) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for code, value in tags:
        if code not in out:
            out[code] = value
    return out


def _ocs(d: dict[int, Any]) -> Affine | None:
    if 210 not in d:
        return None
    return ocs_matrix(_num(d.get(210)), _num(d.get(220)), _num(d.get(230), 1.0))


def _arc_points(cx: float, cy: float, r: float, a0: float, a1: float) -> list[float]:
    """Points of a counter-clockwise arc from ``a0`` to ``a1`` (radians)."""
    sweep = (a1 - a0) % (2 * math.pi)
    if sweep == 0:
        sweep = 2 * math.pi
    n = max(2, math.ceil(sweep / _ARC_STEP))
    out: list[float] = []
    for i in range(n + 1):
        t = a0 + sweep * i / n
        out += (cx + r * math.cos(t), cy + r * math.sin(t))
    return out


def _bulge(x1: float, y1: float, x2: float, y2: float, b: float, out: list[float]) -> None:
    """Append the inner points of a bulge arc from (x1, y1) to (x2, y2)."""
    dx, dy = x2 - x1, y2 - y1
    chord = math.hypot(dx, dy)
    if chord == 0 or not math.isfinite(b) or abs(b) > 1e6:
        return
    theta = 4 * math.atan(b)
    n = max(1, math.ceil(abs(theta) / _ARC_STEP))
    r = chord / (2 * math.sin(theta / 2))
    # centre: from the chord midpoint, perpendicular distance r*cos(theta/2)
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    h = r * math.cos(theta / 2)
    cx, cy = mx - h * dy / chord, my + h * dx / chord
    a0 = math.atan2(y1 - cy, x1 - cx)
    rr = abs(r)
    for i in range(1, n):
        t = a0 + theta * i / n
        out += (cx + rr * math.cos(t), cy + rr * math.sin(t))


def _transform_flat(pts: list[float], m: Affine | None) -> list[float]:
    if m is None:
        return pts
    a, b, c, d, e, f = m
    out: list[float] = []
    for i in range(0, len(pts), 2):
        x, y = pts[i], pts[i + 1]
        out += (a * x + b * y + e, c * x + d * y + f)
    return out


def _close(pts: list[float]) -> list[float]:
    if len(pts) >= 4 and (pts[0] != pts[-2] or pts[1] != pts[-1]):
        pts += (pts[0], pts[1])
    return pts


# --- simple types ---------------------------------------------------------------------------


def _line(tags: list[Tag], layer: str, handle: str, c: Content, ctx: ParseContext) -> None:
    d = _first(tags)
    c.add(
        "LINE",
        layer,
        handle,
        [[_num(d.get(10)), _num(d.get(20)), _num(d.get(11)), _num(d.get(21))]],
        False,
    )


def _point(tags: list[Tag], layer: str, handle: str, c: Content, ctx: ParseContext) -> None:
    d = _first(tags)
    c.add("POINT", layer, handle, [[_num(d.get(10)), _num(d.get(20))]], False)


def _circle(tags: list[Tag], layer: str, handle: str, c: Content, ctx: ParseContext) -> None:
    d = _first(tags)
    r = abs(_num(d.get(40)))
    pts = _arc_points(_num(d.get(10)), _num(d.get(20)), r, 0.0, 2 * math.pi)
    pts[-2:] = pts[:2]
    c.add("CIRCLE", layer, handle, [_transform_flat(pts, _ocs(d))], True)


def _arc(tags: list[Tag], layer: str, handle: str, c: Content, ctx: ParseContext) -> None:
    d = _first(tags)
    pts = _arc_points(
        _num(d.get(10)),
        _num(d.get(20)),
        abs(_num(d.get(40))),
        math.radians(_num(d.get(50))),
        math.radians(_num(d.get(51), 360.0)),
    )
    c.add("ARC", layer, handle, [_transform_flat(pts, _ocs(d))], False)


def _solid(tags: list[Tag], layer: str, handle: str, c: Content, ctx: ParseContext) -> None:
    d = _first(tags)
    p = [(_num(d.get(10 + i)), _num(d.get(20 + i))) for i in range(4) if 10 + i in d]
    if len(p) < 3:
        return
    order = [0, 1, 3, 2] if len(p) == 4 else [0, 1, 2]
    pts: list[float] = []
    for i in order:
        pts += p[i]
    pts = _close(pts)
    c.add("SOLID", layer, handle, [_transform_flat(pts, _ocs(d))], True)


def _face(tags: list[Tag], layer: str, handle: str, c: Content, ctx: ParseContext) -> None:
    d = _first(tags)
    pts: list[float] = []
    for i in range(4):
        if 10 + i in d:
            pts += (_num(d.get(10 + i)), _num(d.get(20 + i)))
    c.add("3DFACE", layer, handle, [_close(pts)], True)


def _lwpolyline(tags: list[Tag], layer: str, handle: str, c: Content, ctx: ParseContext) -> None:
    flags = 0
    xs: list[float] = []
    ys: list[float] = []
    bulges: dict[int, float] = {}
    ocs = None
    ext = [0.0, 0.0, 1.0]
    for code, value in tags:
        if code == 10:
            xs.append(_num(value))
        elif code == 20:
            ys.append(_num(value))
        elif code == 42:
            b = _num(value)
            if b:
                bulges[len(xs) - 1] = b
        elif code == 70:
            flags = _int(value)
        elif code in (210, 220, 230):
            ext[code // 10 - 21] = _num(value)
    if ext != [0.0, 0.0, 1.0]:
        ocs = ocs_matrix(*ext)
    n = min(len(xs), len(ys))
    if n > ctx.max_vertices:
        ctx.too_big.append((handle, "LWPOLYLINE", n))
        return
    closed = bool(flags & 1)
    pts = _with_bulges(xs, ys, n, bulges, closed)
    if closed:
        pts = _close(pts)
    c.add("LWPOLYLINE", layer, handle, [_transform_flat(pts, ocs)], closed and n >= 3)


def _with_bulges(
    xs: list[float], ys: list[float], n: int, bulges: dict[int, float], closed: bool
) -> list[float]:
    pts: list[float] = []
    if not bulges:
        for i in range(n):
            pts += (xs[i], ys[i])
        return pts
    for i in range(n):
        pts += (xs[i], ys[i])
        b = bulges.get(i)
        if b is not None and (i + 1 < n or closed):
            j = (i + 1) % n
            _bulge(xs[i], ys[i], xs[j], ys[j], b, pts)
    return pts


_HALIGN_DX = {0: 0.5, 1: 0.0, 2: -0.5, 3: 0.0, 4: 0.0, 5: 0.0}
_TEXT_H = {0: "l", 1: "m", 2: "r"}  # TEXT group 72 → anchor letter (drawings.model.TEXT_ANCHORS)
_TEXT_V = {0: "s", 1: "d", 2: "m", 3: "a"}  # TEXT group 73 (ATTRIB 74)
_VALIGN_DY = {0: 0.5, 1: 0.5, 2: 0.0, 3: -0.5}


def _text_width(text: str, height: float) -> float:
    wide = sum(1 for ch in text if ord(ch) > 0x2E80)
    return (wide + 0.6 * (len(text) - wide)) * height


def _centre(x: float, y: float, rot_deg: float, dx: float, dy: float) -> tuple[float, float]:
    r = math.radians(rot_deg)
    return x + dx * math.cos(r) - dy * math.sin(r), y + dx * math.sin(r) + dy * math.cos(r)


def _text_rec(
    tags: list[Tag], layer: str, handle: str, ctx: ParseContext, kind: str
) -> tuple[TextRec, dict[int, Any]]:
    d = _first(tags)
    raw = d.get(1, "")
    text = text_plain(_text(raw, ctx, handle))
    height = abs(_num(d.get(40), 1.0)) or 1.0
    rot = _num(d.get(50))
    h = _int(d.get(72))
    v = _int(d.get(74 if kind in ("ATTRIB", "ATTDEF") else 73))
    x, y = _num(d.get(10)), _num(d.get(20))
    align = "ls"
    if (h or v) and 11 in d:
        x2, y2 = _num(d.get(11)), _num(d.get(21))
        if h in (3, 5):  # aligned or fit between two points: the middle of the baseline
            ax, ay, align = (x + x2) / 2, (y + y2) / 2, "ms"
        elif h == 4:  # "middle": the centre of the text
            ax, ay, align = x2, y2, "mm"
        else:
            ax, ay = x2, y2
            align = _TEXT_H.get(h, "l") + _TEXT_V.get(v, "s")
    else:
        ax, ay = x, y
    width = _text_width(text, height) * (_num(d.get(41), 1.0) or 1.0)
    dx = _HALIGN_DX.get(h, 0.5) * width
    dy = (0.0 if h == 4 else _VALIGN_DY.get(v, 0.5)) * height
    cx, cy = _centre(ax, ay, rot, dx, dy)
    ocs = _ocs(d)
    if ocs is not None:
        ax, ay = apply(ocs, ax, ay)
        cx, cy = apply(ocs, cx, cy)
    return TextRec(layer, text, ax, ay, cx, cy, height, rot, handle, kind, align), d


def _text_entity(tags: list[Tag], layer: str, handle: str, c: Content, ctx: ParseContext) -> None:
    rec, _ = _text_rec(tags, layer, handle, ctx, "TEXT")
    if rec.text.strip():
        c.texts.append(rec)


_ATTACH_DX = {1: 0.5, 2: 0.0, 3: -0.5}
_ATTACH_DY = {1: -0.5, 2: 0.0, 3: 0.5}


def _mtext(tags: list[Tag], layer: str, handle: str, c: Content, ctx: ParseContext) -> None:
    chunks: list[str] = []
    last = ""
    d: dict[int, Any] = {}
    for code, value in tags:
        if code == 3:
            chunks.append(value if isinstance(value, str) else str(value))
        elif code == 1:
            last = value if isinstance(value, str) else str(value)
        elif code not in d:
            d[code] = value
    raw = "".join(chunks) + last
    text = mtext_plain(raw)
    clean, bad = sanitize(text, max_len=ctx.max_text)
    if bad:
        ctx.decode_problems.append(handle)
    if not clean.strip():
        return
    height = abs(_num(d.get(40), 1.0)) or 1.0
    x, y = _num(d.get(10)), _num(d.get(20))
    if 11 in d:
        rot = math.degrees(math.atan2(_num(d.get(21)), _num(d.get(11), 1.0)))
    else:
        rot = _num(d.get(50))
    lines = clean.split("\n")
    width = _num(d.get(41)) or max(_text_width(line, height) for line in lines)
    total_h = height * (1 + 1.67 * (len(lines) - 1))
    attach = _int(d.get(71), 1)
    col = (attach - 1) % 3 + 1
    row = (attach - 1) // 3  # 0 top, 1 middle, 2 bottom
    dx = _ATTACH_DX.get(col, 0.5) * width
    dy = (-0.5, 0.0, 0.5)[min(max(row, 0), 2)] * total_h
    cx, cy = _centre(x, y, rot, dx, dy)
    align = "lmr"[min(max(col, 1), 3) - 1] + "amd"[min(max(row, 0), 2)]
    c.texts.append(TextRec(layer, clean, x, y, cx, cy, height, rot, handle, "MTEXT", align))


def _insert(
    tags: list[Tag], layer: str, handle: str, c: Content, ctx: ParseContext, kind: str = "INSERT"
) -> InsertRec | None:
    d = _first(tags)
    raw_name = d.get(2, "")
    name = ctx.names.get(raw_name) if isinstance(raw_name, str) else None
    if name is None:
        name = _text(raw_name, ctx, handle)
        if len(ctx.names) < 100_000:
            ctx.names[raw_name] = name
    if not name:
        return None
    sx = _num(d.get(41), 1.0)
    sy = _num(d.get(42), 1.0)
    rot = math.radians(_num(d.get(50)))
    ix, iy = _num(d.get(10)), _num(d.get(20))
    base = ctx.block_base.get(name.lower(), ZERO2)
    bx, by = base
    cos, sin = math.cos(rot), math.sin(rot)
    # T(insert) · R(rot) · S(sx, sy) · T(-base)
    m: Affine = (
        cos * sx,
        -sin * sy,
        sin * sx,
        cos * sy,
        ix - (cos * sx * bx - sin * sy * by),
        iy - (sin * sx * bx + cos * sy * by),
    )
    cols = max(_int(d.get(70), 1), 1)
    rows = max(_int(d.get(71), 1), 1)
    cs, rs = _num(d.get(44)), _num(d.get(45))
    ocs = _ocs(d)
    if cs == 0:
        cols = 1
    if rs == 0:
        rows = 1
    col_step = row_step = ZERO2
    if cols > 1 or rows > 1:
        col_step = (cs * cos, cs * sin)
        row_step = (-rs * sin, rs * cos)
    if ocs is not None:
        m = compose(ocs, m)
        col_step = apply((*ocs[:4], 0.0, 0.0), *col_step)
        row_step = apply((*ocs[:4], 0.0, 0.0), *row_step)
    rec = InsertRec(layer, name, m, NO_ATTRIBS, handle, cols, rows, col_step, row_step, kind, base)
    c.inserts.append(rec)
    return rec


def _insert_entity(tags: list[Tag], layer: str, handle: str, c: Content, ctx: ParseContext) -> None:
    _insert(tags, layer, handle, c, ctx)


def _dimension(tags: list[Tag], layer: str, handle: str, c: Content, ctx: ParseContext) -> None:
    d = _first(tags)
    name = d.get(2)
    if not name:
        return
    ix, iy = _num(d.get(12)), _num(d.get(22))
    m: Affine = (1.0, 0.0, 0.0, 1.0, ix, iy)
    ocs = _ocs(d)
    if ocs is not None:
        m = compose(ocs, m)
    c.inserts.append(InsertRec(layer, str(name), m, NO_ATTRIBS, handle, kind="DIMENSION"))


def _table(tags: list[Tag], layer: str, handle: str, c: Content, ctx: ParseContext) -> None:
    """ACAD_TABLE: its anonymous block, moved to the table's insertion point (as ezdxf does)."""
    d = _first(tags)
    name = d.get(2)
    if not name:
        return
    m: Affine = (1.0, 0.0, 0.0, 1.0, _num(d.get(10)), _num(d.get(20)))
    c.inserts.append(InsertRec(layer, str(name), m, NO_ATTRIBS, handle, kind="TABLE"))


def add_attrib(
    tags: list[Tag], layer: str, handle: str, c: Content, ctx: ParseContext, owner: InsertRec | None
) -> None:
    rec, d = _text_rec(tags, layer, handle, ctx, "ATTRIB")
    tag = _text(d.get(2, ""), ctx, handle).strip().upper()
    if owner is not None and tag:
        if not isinstance(owner.attribs, dict):
            owner.attribs = {}
        owner.attribs[tag] = rec.text
    invisible = _int(d.get(70)) & 1
    if rec.text.strip() and not invisible:
        if owner is not None:
            rec.handle = owner.handle
        c.texts.append(rec)


def add_polyline(
    head: list[Tag],
    vertices: list[list[Tag]],
    layer: str,
    handle: str,
    c: Content,
    ctx: ParseContext,
) -> None:
    d = _first(head)
    flags = _int(d.get(70))
    if flags & (16 | 64):  # polygon mesh / polyface mesh: faces are not plan geometry
        ctx.unsupported["POLYLINE(mesh)"] = ctx.unsupported.get("POLYLINE(mesh)", 0) + 1
        return
    if len(vertices) > ctx.max_vertices:
        ctx.too_big.append((handle, "POLYLINE", len(vertices)))
        return
    xs: list[float] = []
    ys: list[float] = []
    bulges: dict[int, float] = {}
    for vt in vertices:
        vd = _first(vt)
        if _int(vd.get(70)) & 16:  # spline frame control point
            continue
        xs.append(_num(vd.get(10)))
        ys.append(_num(vd.get(20)))
        b = _num(vd.get(42))
        if b:
            bulges[len(xs) - 1] = b
    n = len(xs)
    closed = bool(flags & 1)
    pts = _with_bulges(xs, ys, n, bulges, closed)
    if closed:
        pts = _close(pts)
    ocs = None if flags & 8 else _ocs(d)
    c.add("POLYLINE", layer, handle, [_transform_flat(pts, ocs)], closed and n >= 3)


# --- complicated types through ezdxf ---------------------------------------------------------


def _ezdxf_entity(etype: str, tags: list[Tag]) -> Any:

    raw: list[Any] = [DXFTag(0, etype)]
    for code, value in tags:
        if isinstance(value, bytes):
            raw.append(DXFBinaryTag(code, value))
        else:
            raw.append(DXFTag(code, value if isinstance(value, str) else str(value)))
    return factory.load(ExtendedTags(tag_compiler(iter(raw))), doc=None)


def _path_points(path: Any, tol: float) -> list[float]:
    pts: list[float] = []
    for v in path.flattening(tol, segments=8):
        pts += (float(v.x), float(v.y))
    return pts


def _via_ezdxf(
    etype: str, tags: list[Tag], layer: str, handle: str, c: Content, ctx: ParseContext
) -> None:
    """HATCH, SPLINE, ELLIPSE, LEADER, 3D types, IMAGE ...: let ezdxf interpret the tags."""

    vertex_tags = sum(1 for code, _ in tags if code == 10)
    if vertex_tags > ctx.max_vertices:
        ctx.too_big.append((handle, etype, vertex_tags))
        return
    entity = _ezdxf_entity(etype, tags)
    if etype == "HATCH" or etype == "MPOLYGON":
        loops = [_close(_path_points(p, ctx.flat_tol)) for p in ezpath.from_hatch(entity)]
        loops = [p for p in loops if len(p) >= 8]
        if loops:
            c.add(etype, layer, handle, loops, True)
        return
    if etype == "LEADER":
        pts: list[float] = []
        for v in entity.vertices:
            pts += (float(v[0]), float(v[1]))
        c.add(etype, layer, handle, [pts], False)
        return
    if etype in ("MLEADER", "MULTILEADER"):
        _mleader_text(entity, layer, handle, c, ctx)
        return
    try:
        p = ezpath.make_path(entity)
    except TypeError:  # a type ezdxf cannot turn into a path: nothing to draw
        ctx.unsupported[etype] = ctx.unsupported.get(etype, 0) + 1
        return
    pts = _path_points(p, ctx.flat_tol)
    if len(pts) < 2:
        return
    closed = bool(p.is_closed) and len(pts) >= 8
    c.add(etype, layer, handle, [pts], closed)


def _mleader_text(entity: Any, layer: str, handle: str, c: Content, ctx: ParseContext) -> None:
    ctx_data = getattr(entity, "context", None)
    mtext = getattr(ctx_data, "mtext", None)
    if mtext is None or not getattr(mtext, "default_content", ""):
        return
    clean, _ = sanitize(mtext_plain(mtext.default_content), max_len=ctx.max_text)
    x, y = float(mtext.insert.x), float(mtext.insert.y)
    h = float(getattr(ctx_data, "char_height", 1.0) or 1.0)
    c.texts.append(TextRec(layer, clean, x, y, x, y, h, 0.0, handle, "MLEADER"))


def add_proxy(
    etype: str, tags: list[Tag], layer: str, handle: str, c: Content, ctx: ParseContext
) -> None:
    """Keep a proxy entity's graphics (line work and text) for display; count it for DXF-004."""
    ctx.proxies.setdefault(layer, []).append(handle)
    chunks = [v for code, v in tags if code == 310]
    if not chunks:
        return
    try:
        if isinstance(chunks[0], bytes):
            data = b"".join(chunks)
        else:
            data = bytes.fromhex("".join(str(v).strip() for v in chunks))

        for e in ProxyGraphic(data, None).virtual_entities():
            kind = e.dxftype()
            if kind in ("TEXT", "MTEXT"):
                txt = e.plain_text() if kind == "MTEXT" else e.dxf.text  # type: ignore[attr-defined]
                clean, _ = sanitize(str(txt), max_len=ctx.max_text)
                ins = e.dxf.insert
                c.texts.append(
                    TextRec(
                        layer,
                        clean,
                        ins.x,
                        ins.y,
                        ins.x,
                        ins.y,
                        float(e.dxf.get("height", 1.0) or 1.0),
                        0.0,
                        handle,
                        "PROXY",
                    )
                )
                continue
            try:
                pts = _path_points(ezpath.make_path(e), ctx.flat_tol)
            except (TypeError, ValueError, AttributeError):
                continue
            if len(pts) >= 4:
                c.add("PROXY", layer, handle, [pts], False)
    except Exception as exc:  # noqa: BLE001 - proxy graphics are optional display data
        logger.debug("proxy graphics of %s unreadable: %s", handle, exc)


Parser = Callable[[list[Tag], str, str, Content, ParseContext], None]

SIMPLE: dict[str, Parser] = {
    "LINE": _line,
    "POINT": _point,
    "CIRCLE": _circle,
    "ARC": _arc,
    "LWPOLYLINE": _lwpolyline,
    "TEXT": _text_entity,
    "MTEXT": _mtext,
    "INSERT": _insert_entity,
    "DIMENSION": _dimension,
    "ARC_DIMENSION": _dimension,
    "LARGE_RADIAL_DIMENSION": _dimension,
    "ACAD_TABLE": _table,
    "SOLID": _solid,
    "TRACE": _solid,
    "3DFACE": _face,
}

VIA_EZDXF = frozenset(
    {
        "HATCH",
        "MPOLYGON",
        "SPLINE",
        "ELLIPSE",
        "LEADER",
        "MLEADER",
        "MULTILEADER",
        "HELIX",
        "IMAGE",
        "WIPEOUT",
    }
)
IGNORED = frozenset(
    {
        "VIEWPORT",
        "ATTDEF",
        "SEQEND",
        "XLINE",
        "RAY",
        "3DSOLID",
        "BODY",
        "REGION",
        "SURFACE",
        "MESH",
        "OLE2FRAME",
        "OLEFRAME",
        "UNDERLAY",
        "PDFUNDERLAY",
        "DWFUNDERLAY",
        "DGNUNDERLAY",
        "LIGHT",
        "SUN",
        "TOLERANCE",
        "SHAPE",
        "MLINE",
    }
)


def add_entity(
    etype: str, tags: list[Tag], layer: str, handle: str, c: Content, ctx: ParseContext
) -> None:
    """Parse one simple or ezdxf-interpreted entity into ``c``; record what could not be used."""
    parser = SIMPLE.get(etype)
    try:
        if parser is not None:
            parser(tags, layer, handle, c, ctx)
        elif etype in VIA_EZDXF:
            _via_ezdxf(etype, tags, layer, handle, c, ctx)
        elif etype in IGNORED:
            return
        elif any(code == 310 for code, _ in tags):
            add_proxy(etype, tags, layer, handle, c, ctx)
        else:
            ctx.unsupported[etype] = ctx.unsupported.get(etype, 0) + 1
    except Exception as exc:  # noqa: BLE001 - one broken entity must not lose the drawing
        ctx.skipped.append((handle, etype, f"{type(exc).__name__}: {exc}"[:200]))


def iter_with_handles(tags: Iterable[Tag]) -> tuple[str, str, bool, bool]:
    """Common fields: ``(handle, layer, paperspace, invisible)``."""
    handle = ""
    layer = "0"
    paper = False
    invisible = False
    for code, value in tags:
        if code == 5 and not handle:
            handle = str(value).strip()
        elif code == 8:
            layer = value if isinstance(value, str) else str(value)
        elif code == 67:
            paper = _int(value) == 1
        elif code == 60:
            invisible = _int(value) == 1
        elif code == 100 and value != "AcDbEntity" and handle:
            break
    return handle, layer, paper, invisible

"""Flat containers for line work, texts and block references, and their affine transforms.

Everything a layout or a block draws is reduced to polylines (arcs, circles, bulges and curves
are flattened once at parse time), texts and block references. Block content is expanded once
per block definition into a ``Flat`` (numpy arrays) and then copied with one matrix product per
INSERT, which keeps expansion of thousands of door blocks cheap.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

__all__ = [
    "Affine",
    "Content",
    "Flat",
    "NO_ATTRIBS",
    "InsertRec",
    "TextRec",
    "concat",
    "handle_code",
    "handle_text",
    "ranges",
    "reorder",
    "select",
]

Affine = tuple[float, float, float, float, float, float]
"""2-D affine transform ``(a, b, c, d, e, f)``: ``x' = a x + b y + e``, ``y' = c x + d y + f``."""

NO_ATTRIBS: Mapping[str, str] = MappingProxyType({})
"""Shared by every block reference without attributes (most of them): saves a dict each."""
ZERO2 = (0.0, 0.0)
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def handle_code(handle: str) -> int:
    """A DXF handle (hexadecimal text) as an integer; -1 when it is empty or not hexadecimal.

    Line work keeps its handles as integers in arrays: 10^5 handle strings would cost more
    memory than the coordinates. Handles are case-insensitive hexadecimal in DXF.
    """
    try:
        code = int(handle, 16)
    except ValueError:
        return -1
    return code if 0 <= code < 1 << 62 else -1


def handle_text(code: int) -> str:
    """The handle text of ``handle_code``'s result (upper-case hexadecimal, ``""`` if unknown)."""
    return format(code, "X") if code >= 0 else ""


def compose(m: Affine, n: Affine) -> Affine:
    """``m ∘ n``: apply ``n`` first, then ``m``."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        a * e2 + b * f2 + e,
        c * e2 + d * f2 + f,
    )


def apply(m: Affine, x: float, y: float) -> tuple[float, float]:
    """Transform one point."""
    a, b, c, d, e, f = m
    return a * x + b * y + e, c * x + d * y + f


def rotation_deg(m: Affine) -> float:
    """Direction of the transformed x axis, in degrees."""
    return math.degrees(math.atan2(m[2], m[0]))


def scale_y(m: Affine) -> float:
    """Length of the transformed y axis: how text heights scale."""
    return math.hypot(m[1], m[3])


@dataclass(slots=True)
class TextRec:
    """A text in its container's coordinates; ``layer`` ``None`` means "inherit" (layer 0)."""

    layer: str | None
    text: str
    x: float
    y: float
    cx: float
    cy: float
    height: float
    rotation: float
    handle: str
    kind: str
    align: str = "ls"  # which point of the text x, y is (drawings.model.TEXT_ANCHORS)


@dataclass(slots=True)
class InsertRec:
    """A block reference: block name, full transform (base point included) and attributes."""

    layer: str | None
    name: str
    matrix: Affine
    attribs: Mapping[str, str]
    handle: str
    cols: int = 1
    rows: int = 1
    col_step: tuple[float, float] = ZERO2
    row_step: tuple[float, float] = ZERO2
    kind: str = "INSERT"
    base: tuple[float, float] = ZERO2

    @property
    def point(self) -> tuple[float, float]:
        """Where the block's base point lands: the insertion point."""
        return apply(self.matrix, *self.base)

    @property
    def copies(self) -> int:
        """Number of copies (MINSERT arrays), at least 1."""
        return max(self.cols, 1) * max(self.rows, 1)

    def matrices(self) -> list[Affine]:
        """One matrix per array copy (call only after checking ``copies`` against the budget)."""
        if self.copies == 1:
            return [self.matrix]
        out: list[Affine] = []
        a, b, c, d, e, f = self.matrix
        for r in range(max(self.rows, 1)):
            for col in range(max(self.cols, 1)):
                dx = col * self.col_step[0] + r * self.row_step[0]
                dy = col * self.col_step[1] + r * self.row_step[1]
                out.append((a, b, c, d, e + dx, f + dy))
        return out


class Content:
    """Entities of one layout or block as they are read, before expansion."""

    def __init__(self) -> None:
        self.xy: array[float] = array("d")
        self.path_start: array[int] = array("q")
        self.ent_path: array[int] = array("q")
        self.kind: list[str] = []
        self.layer: list[str] = []
        self.handle: array[int] = array("q")
        self.closed = bytearray()
        self.texts: list[TextRec] = []
        self.inserts: list[InsertRec] = []
        self.entity_count = 0

    def add(
        self, kind: str, layer: str, handle: str, paths: list[list[float]], closed: bool
    ) -> None:
        """Add one entity made of flat ``[x0, y0, x1, y1, ...]`` paths (closed ones repeat p0)."""
        if not paths:
            return
        self.ent_path.append(len(self.path_start))
        xy = self.xy
        starts = self.path_start
        for p in paths:
            starts.append(len(xy) // 2)
            xy.extend(p)
        self.kind.append(kind)
        self.layer.append(layer)
        self.handle.append(handle_code(handle))
        self.closed.append(1 if closed else 0)

    def to_flat(self, *, inherit_zero: bool) -> Flat:
        """Freeze into numpy arrays; in blocks, layer ``0`` becomes ``None`` (inherit)."""
        xy = (
            np.frombuffer(self.xy, dtype=np.float64).reshape(-1, 2).copy()
            if self.xy
            else np.empty((0, 2))
        )
        path_start = np.empty(len(self.path_start) + 1, dtype=np.int64)
        path_start[:-1] = np.frombuffer(self.path_start, dtype=np.int64) if self.path_start else []
        path_start[-1] = len(xy)
        ent_path = np.empty(len(self.ent_path) + 1, dtype=np.int64)
        ent_path[:-1] = np.frombuffer(self.ent_path, dtype=np.int64) if self.ent_path else []
        ent_path[-1] = len(self.path_start)
        layers: list[str | None] = (
            [None if name == "0" else name for name in self.layer]
            if inherit_zero
            else list(self.layer)
        )
        texts = self.texts
        if inherit_zero:
            texts = [replace(t, layer=None) if t.layer == "0" else t for t in texts]
            inserts = [replace(i, layer=None) if i.layer == "0" else i for i in self.inserts]
        else:
            inserts = list(self.inserts)
        return Flat(
            xy=xy,
            path_start=path_start,
            ent_path=ent_path,
            kind=list(self.kind),
            layer=layers,
            handle=np.frombuffer(self.handle, dtype=np.int64).copy()
            if self.handle
            else np.zeros(0, dtype=np.int64),
            closed=np.frombuffer(bytes(self.closed), dtype=np.uint8).astype(bool),
            texts=list(texts),
            inserts=inserts,
        )


@dataclass(slots=True)
class Flat:
    """Fully expanded content as arrays: the unit that is copied per INSERT.

    ``inserts`` here are *already expanded* references, kept as records so that doors, frames,
    shelter entrances and ``BLDG`` blocks become semantic objects of their own.
    """

    xy: FloatArray
    path_start: IntArray
    ent_path: IntArray
    kind: list[str]
    layer: list[str | None]
    handle: IntArray  # handle_code() of each entity
    closed: npt.NDArray[np.bool_]
    texts: list[TextRec] = field(default_factory=list)
    inserts: list[InsertRec] = field(default_factory=list)
    in_block: npt.NDArray[np.bool_] | None = None

    @property
    def entity_count(self) -> int:
        """Number of entities with line work."""
        return len(self.kind)

    @property
    def size(self) -> int:
        """Entities of every kind: what an expansion of this content costs."""
        return len(self.kind) + len(self.texts) + len(self.inserts)

    def extents(self) -> tuple[float, float, float, float] | None:
        """Bounding box of line work and text anchors, or ``None`` when empty."""
        xs: list[float] = []
        ys: list[float] = []
        if len(self.xy):
            finite = self.xy[np.isfinite(self.xy).all(axis=1)]
            if len(finite):
                xs += [float(finite[:, 0].min()), float(finite[:, 0].max())]
                ys += [float(finite[:, 1].min()), float(finite[:, 1].max())]
        for t in self.texts:
            if math.isfinite(t.x) and math.isfinite(t.y):
                xs.append(t.x)
                ys.append(t.y)
        if not xs:
            return None
        return min(xs), min(ys), max(xs), max(ys)

    def transformed_records(
        self, m: Affine, layer: str | None, handle: str | None
    ) -> tuple[list[TextRec], list[InsertRec]]:
        """Texts and block references moved by ``m`` (the line work is moved by the caller)."""
        rot = rotation_deg(m)
        sy = scale_y(m)
        texts = []
        for t in self.texts:
            x, y = apply(m, t.x, t.y)
            cx, cy = apply(m, t.cx, t.cy)
            texts.append(
                TextRec(
                    layer if t.layer is None else t.layer,
                    t.text,
                    x,
                    y,
                    cx,
                    cy,
                    t.height * sy,
                    t.rotation + rot,
                    handle or t.handle,
                    t.kind,
                    t.align,
                )
            )
        inserts = [
            InsertRec(
                layer if i.layer is None else i.layer,
                i.name,
                compose(m, i.matrix),
                i.attribs,
                handle or i.handle,
                kind=i.kind,
                base=i.base,
            )
            for i in self.inserts
        ]
        return texts, inserts

    def transformed(self, m: Affine, layer: str | None, handle: str | None) -> Flat:
        """A copy moved by ``m``; inherited layers become ``layer``; handles become ``handle``."""
        a, b, c, d, e, f = m
        if len(self.xy):
            with np.errstate(invalid="ignore", over="ignore"):  # NaN/inf are dropped later
                xy = self.xy @ np.array([[a, c], [b, d]]) + np.array([e, f])
        else:
            xy = self.xy
        if layer is None:
            layers = list(self.layer)
        else:
            layers = [layer if name is None else name for name in self.layer]
        texts, inserts = self.transformed_records(m, layer, handle)
        return Flat(
            xy=xy,
            path_start=self.path_start,
            ent_path=self.ent_path,
            kind=self.kind,
            layer=layers,
            handle=np.full(len(self.kind), handle_code(handle), dtype=np.int64)
            if handle is not None
            else self.handle,
            closed=self.closed,
            texts=texts,
            inserts=inserts,
        )


def concat(parts: list[Flat], in_block: list[bool]) -> Flat:
    """Join several flats into one (offsets shifted), remembering which came out of blocks."""
    if not parts:
        empty = Content().to_flat(inherit_zero=False)
        empty.in_block = np.zeros(0, dtype=bool)
        return empty
    xy = np.concatenate([p.xy for p in parts]) if parts else np.empty((0, 2))
    starts: list[IntArray] = []
    ents: list[IntArray] = []
    v_off = 0
    p_off = 0
    for p in parts:
        starts.append(p.path_start[:-1] + v_off)
        ents.append(p.ent_path[:-1] + p_off)
        v_off += len(p.xy)
        p_off += len(p.path_start) - 1
    path_start = np.concatenate([*starts, np.array([v_off], dtype=np.int64)])
    ent_path = np.concatenate([*ents, np.array([p_off], dtype=np.int64)])
    kind: list[str] = []
    layer: list[str | None] = []
    texts: list[TextRec] = []
    inserts: list[InsertRec] = []
    flags: list[npt.NDArray[np.bool_]] = []
    for p, blk in zip(parts, in_block, strict=True):
        kind += p.kind
        layer += p.layer
        texts += p.texts
        inserts += p.inserts
        flags.append(np.full(len(p.kind), blk, dtype=bool))
    return Flat(
        xy=xy,
        path_start=path_start,
        ent_path=ent_path,
        kind=kind,
        layer=layer,
        handle=np.concatenate([p.handle for p in parts]),
        closed=np.concatenate([p.closed for p in parts]),
        texts=texts,
        inserts=inserts,
        in_block=np.concatenate(flags),
    )


_GATHER_BATCH = 20_000  # paths gathered per step: bounds the index arrays' memory


def select(flat: Flat, keep: npt.NDArray[np.bool_]) -> Flat:
    """The entities where ``keep`` is true (paths and vertices re-indexed)."""
    return reorder(flat, np.nonzero(keep)[0])


def reorder(flat: Flat, idx: IntArray) -> Flat:
    """The entities ``idx``, in that order, with paths and vertices copied to match."""
    p0 = flat.ent_path[idx]
    p1 = flat.ent_path[idx + 1]
    path_idx = ranges(p0, p1)
    v0 = flat.path_start[path_idx]
    v1 = flat.path_start[path_idx + 1]
    path_len = v1 - v0
    ent_len = p1 - p0
    path_start = np.concatenate([[0], np.cumsum(path_len)]).astype(np.int64)
    ent_path = np.concatenate([[0], np.cumsum(ent_len)]).astype(np.int64)
    del path_idx
    # Gather the vertices path by path in batches: a full vertex index would cost as much
    # memory as the vertices themselves.
    xy = np.empty((int(path_start[-1]), 2), dtype=np.float64)
    for b0 in range(0, len(v0), _GATHER_BATCH):
        b1 = min(b0 + _GATHER_BATCH, len(v0))
        vert_idx = ranges(v0[b0:b1], v1[b0:b1])
        xy[path_start[b0] : path_start[b1]] = flat.xy[vert_idx]
    return Flat(
        xy=xy,
        path_start=path_start,
        ent_path=ent_path,
        kind=[flat.kind[i] for i in idx],
        layer=[flat.layer[i] for i in idx],
        handle=flat.handle[idx],
        closed=flat.closed[idx],
        texts=flat.texts,
        inserts=flat.inserts,
        in_block=None if flat.in_block is None else flat.in_block[idx],
    )


def ranges(starts: IntArray, ends: IntArray) -> IntArray:
    """Concatenate ``arange(s, e)`` for every pair, vectorised."""
    lengths = ends - starts
    total = int(lengths.sum()) if len(lengths) else 0
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    out: IntArray = (np.arange(total, dtype=np.int64) + offsets).astype(np.int64)
    return out

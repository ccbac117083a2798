"""The vector payload: one drawing's line work and texts as compact bytes for the browser viewer.

Why a binary payload instead of SVG or GeoJSON: a 100k-entity plan holds ~750,000 vertices;
as text they cost tens of megabytes and seconds of parsing, while as little-endian Float32 the
browser wraps them in a typed array without copying or parsing anything. Coordinates are
stored relative to a local origin because site drawings sit at 500,000 / 3,000,000 m, where
float32 would only keep a quarter of a metre; relative to the drawing's centre a 1 km drawing
keeps better than 0.1 mm.

Untrusted strings (layer names, texts, sheet titles, the file name) are only ever written into
the JSON header, never into markup; the reader must put them into the page as text (e.g.
``textContent`` or canvas ``fillText``), never as HTML. The characters ``<``, ``>`` and ``&``
are additionally written as JSON escapes (``\\u003c`` …), so the header stays inert even if
someone embeds it in an HTML page; ``JSON.parse`` returns the original strings.

Layout, version 1 (all integers little-endian)::

    offset  size  field
    0       4     magic b"LSVP"
    4       2     format version (u16), FORMAT_VERSION
    6       2     flags (u16), reserved, always 0
    8       4     J: length in bytes of the JSON header (u32)
    12      4     D: byte offset of the data section (u32); a multiple of 8, at least 16 + J
    16      J     JSON header, UTF-8
    16 + J  ...   zero bytes up to D
    D       ...   data section: the arrays named in the header's ``arrays``

Every array starts at a multiple of 8 from the beginning of the payload, so a reader can wrap
it directly: ``new Float32Array(buffer, D + arrays.coords.offset, arrays.coords.length)``
(typed arrays use the platform's byte order, little-endian on every platform browsers run on).

JSON header fields:

``format`` (``"lianshen-vector"``), ``version`` (the same number as bytes 4-6)
``file``, ``sha256``: the drawing's name and the SHA-256 of its DXF (a cache key).
``units``: always ``"m"``; coordinates are metres in the drawing's model space, y up.
``origin``: ``[ox, oy]``, whole metres: add it to every stored x, y to get drawing coordinates.
``bbox``: ``[xmin, ymin, xmax, ymax]`` in drawing coordinates, the initial view: the selected
    sheet's frame, else the extents of everything in the payload; ``null`` when it is empty.
``sheet``: the sheet index the payload was cut to, or ``null`` for the whole drawing.
``sheets``: every sheet of the drawing (``index``, ``label``, ``sheetNo``, ``title``,
    ``floor``, ``scale``, ``source``, ``bbox`` in drawing coordinates), for a sheet picker.
``palette``: ``["#rrggbb", …]``; a layer's ``colour`` and ``textColour`` index it.
``textColour``: palette index for drawing texts.
``layers``: in drawing order (later layers are drawn over earlier ones), each with
    ``name``, ``group`` (logical layer group such as ``"A-WALL"``, or ``null``), ``colour``,
    ``plot`` (``false`` for layers CAD never prints, e.g. ``Defpoints``: hide by default),
    ``pathStart``, ``paths`` (the layer's polylines are ``pathStart … pathStart + paths - 1``),
    ``vertices`` (its vertex count), ``textStart``, ``texts`` (its texts are
    ``textStart … textStart + texts - 1``).
``counts``: ``{"paths", "vertices", "texts"}`` totals.
``arrays``: ``{"coords", "offsets", "texts", "aligns"}``, each ``{"type", "offset", "length"}`` with
    ``offset`` in bytes from D and ``length`` in elements:

    * ``coords`` (``float32``, 2 × vertices): x0, y0, x1, y1, … relative to ``origin``;
    * ``offsets`` (``uint32``, paths + 1): polyline ``p`` runs over the vertices
      ``offsets[p] … offsets[p + 1] - 1`` (vertex ``v`` is ``coords[2v]``, ``coords[2v + 1]``).
      A path of one vertex is a point; closed shapes repeat their first vertex;
    * ``texts`` (``float32``, 4 × texts): x, y (relative to ``origin``), height (m), rotation
      (degrees, counter-clockwise) of each text. x, y is the point the drawing places the text
      by, and readers turn the text about it;
    * ``aligns`` (``uint8``, texts): which point of the text x, y is, as ``4 × h + v`` with
      ``h`` 0 left, 1 centre, 2 right and ``v`` 0 baseline, 1 bottom, 2 middle, 3 top (of the
      whole block when the text has several lines): ``drawings.model.TEXT_ANCHORS``. Payloads
      stored before it existed lack it: their texts are anchored at the left baseline, or at
      the top left when they have several lines.

``texts``: the strings, one per text, in the order of the ``texts`` array; lines are separated
    by ``"\\n"``.

Reading in JavaScript::

    const dv = new DataView(buf);
    const J = dv.getUint32(8, true), D = dv.getUint32(12, true);
    const head = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 16, J)));
    const a = head.arrays;
    const coords = new Float32Array(buf, D + a.coords.offset, a.coords.length);
    const offsets = new Uint32Array(buf, D + a.offsets.offset, a.offsets.length);
    const texts = new Float32Array(buf, D + a.texts.offset, a.texts.length);
    const aligns = new Uint8Array(buf, D + a.aligns.offset, a.aligns.length);
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from drawings.model import TEXT_ANCHOR_CODES, DisplayLayer, DrawingModel, Sheet, TextItem

__all__ = [
    "FORMAT_VERSION",
    "MAGIC",
    "NOT_PLOTTED",
    "PALETTE",
    "TEXT_COLOUR",
    "Bounds",
    "bounds_of",
    "colour_index",
    "path_bounds",
    "path_lengths",
    "plotted",
    "text_points",
    "vector_payload",
]

MAGIC: Final = b"LSVP"
"""First four bytes of every payload."""

FORMAT_VERSION: Final = 1
"""Bumped with any change to the layout or the header fields a reader relies on."""

Bounds = tuple[float, float, float, float]
FloatArray = npt.NDArray[np.float64]

PALETTE: Final[tuple[str, ...]] = (
    "#7f7f7f",  # 0 layers outside the standard's groups
    "#1a1a1a",  # 1 walls and columns
    "#1f5fbf",  # 2 doors and windows
    "#138a8a",  # 3 stairs, lifts, sanitary fixtures
    "#9a7b1c",  # 4 room boundaries
    "#b05fa8",  # 5 axis lines
    "#e07b00",  # 6 fire protection (F-*)
    "#6a3fb5",  # 7 civil defence (R-*)
    "#2f8f3e",  # 8 site plan (G-*)
    "#a0522d",  # 9 lightning protection (E-*)
    "#262626",  # 10 texts
)
"""Fixed colours of the line work by layer group; pure red stays free for highlights."""

TEXT_COLOUR: Final = 10
"""Palette index of texts: dark, whatever their layer, so that they stay readable."""

_GROUP_COLOUR: Final[dict[str, int]] = {
    "A-WALL": 1,
    "A-COLU": 1,
    "A-DOOR": 2,
    "A-WIND": 2,
    "A-STRS": 3,
    "A-EVTR": 3,
    "A-FIXT": 3,
    "A-AREA": 4,
    "A-AXIS": 5,
}
_PREFIX_COLOUR: Final[dict[str, int]] = {"F": 6, "R": 7, "G": 8, "E": 9}

NOT_PLOTTED: Final = frozenset({"defpoints"})
"""Layers (lower case) that CAD shows on screen but never prints: dimension definition points."""

_PREAMBLE: Final = struct.Struct("<4sHHII")
_ALIGN: Final = 8
_HTML_ESCAPES: Final = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def colour_index(group: str | None) -> int:
    """Palette index of a layer group: one colour per family, so disciplines read apart."""
    if group is None:
        return 0
    return _GROUP_COLOUR.get(group, _PREFIX_COLOUR.get(group[:1], 0))


def plotted(name: str) -> bool:
    """Whether CAD would print this layer (``Defpoints`` never is)."""
    return name.lower() not in NOT_PLOTTED


def path_lengths(layer: DisplayLayer) -> npt.NDArray[np.int64]:
    """Number of vertices of each polyline of ``layer``."""
    offsets = np.asarray(layer.offsets, dtype=np.int64)
    return offsets[1:] - offsets[:-1]


def path_bounds(layer: DisplayLayer) -> tuple[FloatArray, FloatArray]:
    """Per-polyline minimum and maximum corner, vectorised; NaN for paths without vertices.

    Used to keep or drop whole polylines (sheet filtering, culling to a view) without a
    Python loop over 10^5 paths. A layer's paths tile its vertex array, so the non-empty ones
    are consecutive ranges and one ``reduceat`` over their starts gives exact bounds.
    """
    offsets = np.asarray(layer.offsets, dtype=np.int64)
    n = max(len(offsets) - 1, 0)
    lo = np.full((n, 2), np.nan)
    hi = np.full((n, 2), np.nan)
    if n == 0:
        return lo, hi
    filled = path_lengths(layer) > 0
    if filled.any():
        coords = np.asarray(layer.coords, dtype=np.float64)
        starts = offsets[:-1][filled]
        lo[filled] = np.minimum.reduceat(coords, starts, axis=0)
        hi[filled] = np.maximum.reduceat(coords, starts, axis=0)
    return lo, hi


def _overlaps(lo: FloatArray, hi: FloatArray, box: Bounds) -> npt.NDArray[np.bool_]:
    """Which of the boxes ``lo``–``hi`` touch ``box`` (NaN boxes never do)."""
    x0, y0, x1, y1 = box
    return (hi[:, 0] >= x0) & (lo[:, 0] <= x1) & (hi[:, 1] >= y0) & (lo[:, 1] <= y1)


@dataclass(frozen=True, slots=True)
class _Layer:
    """One layer as it goes into the payload: line work cut to the sheet, and its texts."""

    name: str
    group: str | None
    coords: FloatArray  # (V, 2), drawing coordinates
    lengths: npt.NDArray[np.int64]  # vertices per path
    texts: tuple[TextItem, ...]


def _cut(layer: DisplayLayer, box: Bounds | None) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """The layer's vertices and path lengths, keeping only paths that touch ``box``.

    Whole polylines are kept (not clipped): a wall crossing the frame edge stays whole and the
    viewer clips it while drawing.
    """
    coords = np.asarray(layer.coords, dtype=np.float64).reshape(-1, 2)
    lengths = path_lengths(layer)
    if box is None:
        return coords, lengths
    lo, hi = path_bounds(layer)
    keep = _overlaps(lo, hi, box)
    return coords[np.repeat(keep, lengths)], lengths[keep]


def _texts_in(texts: Iterable[TextItem], box: Bounds | None) -> list[TextItem]:
    """Texts with a finite position and size, inside ``box`` when one is given."""
    out = []
    for t in texts:
        if not all(map(math.isfinite, (t.x, t.y, t.height, t.rotation))):
            continue
        if box is not None and not (box[0] <= t.x <= box[2] and box[1] <= t.y <= box[3]):
            continue
        out.append(t)
    return out


def _collect(model: DrawingModel, box: Bounds | None) -> list[_Layer]:
    """Display layers in drawing order, then layers that only hold texts, each with its texts.

    Grouping texts by layer lets the header give every layer one range of texts, so that
    hiding a layer hides its texts without a per-text layer index.
    """
    by_layer: dict[str, list[TextItem]] = {}
    for t in _texts_in(model.texts, box):
        by_layer.setdefault(t.layer, []).append(t)
    layers: list[_Layer] = []
    for d in model.display:
        coords, lengths = _cut(d, box)
        layers.append(_Layer(d.name, d.group, coords, lengths, tuple(by_layer.pop(d.name, ()))))
    groups = {i.name: i.group for i in model.layers}
    empty_xy = np.empty((0, 2))
    empty_len = np.empty(0, dtype=np.int64)
    for name, texts in by_layer.items():
        layers.append(_Layer(name, groups.get(name), empty_xy, empty_len, tuple(texts)))
    return [la for la in layers if len(la.lengths) or la.texts]


def bounds_of(parts: Iterable[FloatArray]) -> Bounds | None:
    """Bounds of the finite points in ``parts`` ((N, 2) arrays), or ``None`` when there are none.

    Each part is reduced on its own (no concatenated copy of 10^6 vertices), per column.
    """
    lo = [math.inf, math.inf]
    hi = [-math.inf, -math.inf]
    for part in parts:
        xy = np.asarray(part, dtype=np.float64).reshape(-1, 2)
        if not np.isfinite(xy).all():
            xy = xy[np.isfinite(xy).all(axis=1)]
        if not len(xy):
            continue
        for k in (0, 1):
            lo[k] = min(lo[k], float(xy[:, k].min()))
            hi[k] = max(hi[k], float(xy[:, k].max()))
    if not (lo[0] <= hi[0] and lo[1] <= hi[1]):
        return None
    return lo[0], lo[1], hi[0], hi[1]


def text_points(texts: Sequence[TextItem]) -> FloatArray:
    """Insertion points of ``texts`` as an (N, 2) array."""
    return np.array([(t.x, t.y) for t in texts], dtype=np.float64).reshape(-1, 2)


def _origin(bbox: Bounds | None) -> tuple[float, float]:
    """The centre of ``bbox`` in whole metres: exact in JSON and float64, and small offsets."""
    if bbox is None:
        return 0.0, 0.0
    return float(round((bbox[0] + bbox[2]) / 2)), float(round((bbox[1] + bbox[3]) / 2))


def _sheet_row(s: Sheet) -> dict[str, Any]:
    """A sheet for the viewer's sheet picker: its names, storey, scale and frame."""
    return {
        "index": s.index,
        "label": s.label,
        "sheetNo": s.sheet_no,
        "title": s.title,
        "floor": s.floor,
        "scale": s.scale,
        "source": s.source,
        "bbox": list(s.bbox),
    }


def _json_bytes(header: dict[str, Any]) -> bytes:
    """UTF-8 JSON with markup characters escaped and lone surrogates kept as JSON escapes.

    Texts decoded from broken DXF files can hold lone surrogates, which UTF-8 cannot encode;
    ``backslashreplace`` turns each into ``\\udxxx``, which is exactly its JSON escape, so
    ``JSON.parse`` gives back the same UTF-16 string the model holds.
    """
    text = json.dumps(header, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.translate(_HTML_ESCAPES).encode("utf-8", "backslashreplace")


def _pad(size: int) -> int:
    """Zero bytes that bring ``size`` to a multiple of 8, so that typed arrays can start there."""
    return -size % _ALIGN


def _pack(
    layers: Sequence[_Layer], origin: tuple[float, float]
) -> tuple[dict[str, Any], list[dict[str, Any]], list[bytes], list[str]]:
    """The four arrays (as bytes, each padded to 8), their directory, and the layer rows."""
    rows: list[dict[str, Any]] = []
    lengths: list[npt.NDArray[np.int64]] = []
    coords: list[FloatArray] = []
    texts: list[TextItem] = []
    paths = vertices = 0
    for la in layers:
        rows.append(
            {
                "name": la.name,
                "group": la.group,
                "colour": colour_index(la.group),
                "plot": plotted(la.name),
                "pathStart": paths,
                "paths": len(la.lengths),
                "vertices": len(la.coords),
                "textStart": len(texts),
                "texts": len(la.texts),
            }
        )
        paths += len(la.lengths)
        vertices += len(la.coords)
        lengths.append(la.lengths)
        coords.append(la.coords)
        texts.extend(la.texts)
    if vertices >= 2**32:
        raise ValueError("too many vertices for a viewer payload (uint32 offsets)")
    shift = np.array(origin)
    xy = (np.concatenate([np.empty((0, 2)), *coords]) - shift).astype("<f4")
    offsets = np.zeros(paths + 1, dtype="<u4")
    np.cumsum(np.concatenate([np.empty(0, dtype=np.int64), *lengths]), out=offsets[1:])
    tf = np.array([(t.x, t.y, t.height, t.rotation) for t in texts], dtype=np.float64)
    tf = tf.reshape(-1, 4)
    tf[:, :2] -= shift
    aligns = np.array([TEXT_ANCHOR_CODES.get(t.align, 0) for t in texts], dtype=np.uint8)
    blobs: list[bytes] = []
    directory: dict[str, Any] = {}
    at = 0
    arrays = (
        ("coords", "float32", xy),
        ("offsets", "uint32", offsets),
        ("texts", "float32", tf.astype("<f4")),
        ("aligns", "uint8", aligns),
    )
    for name, kind, array in arrays:
        raw = np.ascontiguousarray(array).tobytes()
        directory[name] = {"type": kind, "offset": at, "length": array.size}
        blobs.append(raw + bytes(_pad(len(raw))))
        at += len(blobs[-1])
    return directory, rows, blobs, [t.text for t in texts]


def vector_payload(model: DrawingModel, sheet: int | None = None) -> bytes:
    """The drawing (or one sheet of it) as the binary payload described in this module.

    With ``sheet``, only polylines touching that sheet's frame and texts placed inside it are
    kept, and the frame is the initial view. Raises ``ValueError`` for an unknown sheet index.
    """
    box: Bounds | None = None
    if sheet is not None:
        if isinstance(sheet, bool) or not 0 <= sheet < len(model.sheets):
            raise ValueError(
                f"sheet {sheet} does not exist: the drawing has {len(model.sheets)} sheet(s)"
            )
        box = model.sheets[sheet].bbox
    layers = _collect(model, box)
    bbox = box
    if bbox is None:
        bbox = bounds_of([la.coords for la in layers] + [text_points(la.texts) for la in layers])
    origin = _origin(bbox)
    directory, rows, blobs, strings = _pack(layers, origin)
    header = {
        "format": "lianshen-vector",
        "version": FORMAT_VERSION,
        "file": model.file,
        "sha256": model.sha256,
        "units": "m",
        "origin": list(origin),
        "bbox": None if bbox is None else list(bbox),
        "sheet": sheet,
        "sheets": [_sheet_row(s) for s in model.sheets],
        "palette": list(PALETTE),
        "textColour": TEXT_COLOUR,
        "layers": rows,
        "counts": {
            "paths": sum(r["paths"] for r in rows),
            "vertices": sum(r["vertices"] for r in rows),
            "texts": len(strings),
        },
        "arrays": directory,
        "texts": strings,
    }
    head = _json_bytes(header)
    data_at = _PREAMBLE.size + len(head) + _pad(_PREAMBLE.size + len(head))
    preamble = _PREAMBLE.pack(MAGIC, FORMAT_VERSION, 0, len(head), data_at)
    gap = bytes(data_at - _PREAMBLE.size - len(head))
    return b"".join([preamble, head, gap, *blobs])

"""Compact binary storage of a :class:`~drawings.model.DrawingModel`.

Reading a large DXF takes seconds; checkers, Celery workers and the viewer reload the same drawing
many times, so intake stores the semantic model once in this format and everyone else loads it in
a fraction of the time. The format is a cache of the DXF, never the source of truth: when
:func:`loads` raises :class:`ModelFormatError` (wrong file, older or newer format, damaged
bytes) the caller re-reads the DXF and saves a fresh copy.

Layout (all integers little-endian)::

    offset  size  field
    0       4     magic b"LSDM"
    4       2     format version (u16), FORMAT_VERSION
    6       2     flags (u16), reserved, always 0
    8       8     payload length in bytes (u64): everything after the 56-byte header
    16      4     stored (compressed) length of the document (u32)
    20      4     raw length of the document (u32), bounds decompression
    24      32    SHA-256 of header bytes 0..24 followed by the payload
    56      ...   payload:
                    document: zlib-compressed JSON (UTF-8, lone surrogates kept with
                    "surrogatepass"), padded with zeros to a multiple of 8
                    blocks: numpy arrays, each starting on a multiple of 8 from the payload start

The JSON document holds the scalar fields of the model, the small record types (sheets,
buildings, layers, findings, display layer names) as rows, a table of distinct strings, and
the block directory ``[name, dtype, shape, offset, stored length, raw length, codec]``
(offset counted from the first block; codec 0: raw bytes, 1: zlib). The large, repetitive
parts are columnar numpy blocks:

* semantic objects: string columns as int32 codes into the string table (``None`` is an entry
  of the table like any string), floats as one (N, 5) float64 block, ``sheet`` as int64, the
  optional/boolean fields as one uint8 bit-field, ``attrs`` as per-object counts plus
  (key, value) code pairs, and every geometry as little-endian extended WKB from one
  vectorised ``shapely.to_wkb`` call (concatenated bytes plus a uint32 length per geometry;
  length 0 stands for ``None``);
* text items: (T, 3) int32 string codes plus a (T, 4) float64 block and a (T,) uint8 block of
  alignment codes (``TEXT_ANCHORS``; models written before it have none: left baseline);
* display layers: all coordinates and all offsets concatenated into two blocks.

Each block is zlib-compressed (level 1 by default: the best time/size trade-off measured on
100k-object drawings) unless compression saves less than an eighth of its size, in which case it
is stored raw so that loading it costs nothing.

Round trips are exact: every float keeps its bits, geometries keep their WKB (including Z, M
and SRID; a ``LinearRing``, which WKB cannot express, is rebuilt as a ``LinearRing`` from its
x, y and z), enums come back as their Enum types, sequences as tuples, mappings as ``dict`` (a
``MappingProxyType`` or other mapping compares equal), ``None`` stays ``None``, and strings are
unchanged even when they hold lone surrogates (written with UTF-8 "surrogatepass", not
replaced). Values nested inside ``IntakeFinding.location`` and ``Building.attrs`` are stored
with a small tagged encoding so that tuples stay tuples and lists stay lists.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import json
import os
import secrets
import struct
import zlib
from collections.abc import Iterator, Mapping, Sequence
from operator import attrgetter
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely
from shapely.errors import ShapelyError

from drawings.errors import DrawingError
from drawings.model import (
    TEXT_ANCHOR_CODES,
    TEXT_ANCHORS,
    Building,
    Discipline,
    DisplayLayer,
    DrawingModel,
    IntakeFinding,
    LayerInfo,
    SemanticObject,
    Severity,
    Sheet,
    Stats,
    TextItem,
)

__all__ = [
    "DEFAULT_LEVEL",
    "FORMAT_VERSION",
    "MAGIC",
    "ModelFormatError",
    "dumps",
    "load_model",
    "loads",
    "save",
]

MAGIC: Final = b"LSDM"
"""First four bytes of every stored model."""

FORMAT_VERSION: Final = 1
"""Bumped whenever the layout or the model's fields change; older files are then refused."""

DEFAULT_LEVEL: Final = 1
"""zlib level used by :func:`dumps`. Measured on 100k geometries and 1M plan-like vertices,
level 1 comes within 10-20 % of level 6's size in a third to a half of the time, and
decompression speed hardly depends on the level."""

_HEADER: Final = struct.Struct("<4sHHQII32s")
_HASHED_HEADER: Final = 24  # header bytes covered by the digest (everything before it)
_ALIGN: Final = 8
_RAW: Final = 0
_ZLIB: Final = 1
_KEEP_RAW_RATIO: Final = 0.875  # store raw unless zlib saves at least 1/8
_MIN_COMPRESS: Final = 256  # tiny blocks are not worth a zlib stream
_DTYPES: Final = frozenset({"|u1", "<i4", "<u4", "<i8", "<f8"})

# Bits of the per-object flag block.
_HAS_SHEET: Final = 1
_HAS_POINT: Final = 2
_HAS_SIZE: Final = 4
_CLOSED: Final = 8
_IN_BLOCK: Final = 16

# Tags of the nested-value encoding: a container is a JSON array whose first item is its tag.
_LIST: Final = "l"
_TUPLE: Final = "t"
_DICT: Final = "d"

# Errors that decoding damaged or forged input can raise; all become ModelFormatError.
_DECODE_ERRORS: Final = (
    ValueError,  # includes json.JSONDecodeError and UnicodeDecodeError
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
    struct.error,
    zlib.error,
    ShapelyError,
)

Array = npt.NDArray[Any]

_OBJECT_FIELDS: Final = tuple(f.name for f in dataclasses.fields(SemanticObject))


class ModelFormatError(DrawingError):
    """Stored model bytes cannot be used: not a model, another format version, or damaged.

    The remedy is always the same (read the DXF again and save a new copy), so callers normally
    catch this one class. ``reason`` is a short machine-readable key: ``empty``, ``magic``,
    ``version``, ``truncated``, ``checksum`` or ``corrupt``; ``message`` is the Chinese
    explanation and ``message_en`` the English one. ``str(error)`` gives both, Chinese first.
    """

    def __init__(
        self, reason: str, message: str, message_en: str, *, file: str | None = None
    ) -> None:
        self.reason = reason
        self.message = message
        self.message_en = message_en
        self.file = file
        prefix = f"{file}: " if file else ""
        super().__init__(f"{prefix}{message} / {message_en}")


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building or reading many small objects.

    Encoding and decoding create hundreds of thousands of tuples, dicts and dataclasses, none
    of them cyclic garbage; every few hundred allocations would otherwise trigger a collection
    that walks all of them again (measured: loads 0.71 s with collection, 0.44 s without, for
    100k objects). The previous state is restored, so a caller that disabled it keeps it off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _corrupt(detail_zh: str, detail_en: str) -> ModelFormatError:
    return ModelFormatError(
        "corrupt",
        f"图纸模型数据已损坏（{detail_zh}），请重新读取 DXF 图纸。",
        f"Drawing model data is corrupted ({detail_en}); read the DXF again.",
    )


# --------------------------------------------------------------------------------------------
# Writing


class _StringTable:
    """Distinct strings (and ``None``) of the columnar blocks, each stored once.

    Layer names, groups and kinds repeat on every object; interning them makes the document
    small and gives the loaded model one shared ``str`` per distinct value.
    """

    def __init__(self) -> None:
        self.index: dict[str | None, int] = {}

    def codes(self, values: Sequence[Any], what: str) -> npt.NDArray[np.int32]:
        """Code of each value; adds unseen values to the table."""
        index = self.index
        for value in dict.fromkeys(values):
            if value not in index:
                if value is not None and not isinstance(value, str):
                    raise TypeError(f"{what} must be str or None, got {type(value).__name__}")
                index[value] = len(index)
        return np.fromiter(map(index.__getitem__, values), dtype=np.int32, count=len(values))

    def values(self) -> list[str | None]:
        return list(self.index)


class _BlockWriter:
    """Collects numpy blocks, compresses them, and records where each one lands."""

    def __init__(self, level: int) -> None:
        self.level = level
        self.directory: list[list[Any]] = []
        self.parts: list[bytes | memoryview] = []
        self.size = 0

    def add(self, name: str, array: npt.ArrayLike, dtype: str) -> None:
        data = np.ascontiguousarray(array, dtype=np.dtype(dtype))
        raw = data.reshape(-1).view(np.uint8).data
        stored: bytes | memoryview = raw
        codec = _RAW
        if self.level > 0 and raw.nbytes >= _MIN_COMPRESS:
            packed = zlib.compress(raw, self.level)
            if len(packed) <= raw.nbytes * _KEEP_RAW_RATIO:
                stored, codec = packed, _ZLIB
        self.directory.append(
            [name, dtype, list(data.shape), self.size, len(stored), raw.nbytes, codec]
        )
        self.parts.append(stored)
        self.size += len(stored)
        pad = -self.size % _ALIGN
        if pad:
            self.parts.append(bytes(pad))
            self.size += pad


def _enc_any(value: Any) -> Any:
    """Encode a nested value so that JSON keeps tuples, lists and non-string keys apart."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, np.generic):  # a numpy scalar from a computed location: its value
        return _enc_any(value.item())
    if isinstance(value, tuple):
        return [_TUPLE, *map(_enc_any, value)]
    if isinstance(value, list):
        return [_LIST, *map(_enc_any, value)]
    if isinstance(value, Mapping):
        out: list[Any] = [_DICT]
        for key, item in value.items():
            out.append(_enc_any(key))
            out.append(_enc_any(item))
        return out
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


def _opt_pair(value: tuple[float, float] | None) -> list[float] | None:
    return None if value is None else list(value)


def _encode_objects(
    objects: Sequence[SemanticObject], strings: _StringTable, blocks: _BlockWriter
) -> list[int]:
    """Write the object columns; returns the indices of ``LinearRing`` geometries."""
    n = len(objects)
    cols = {
        name: list(map(attrgetter(name), objects)) for name in _OBJECT_FIELDS if name != "shape"
    }
    codes = np.empty((n, 6), dtype=np.int32)
    for k, name in enumerate(("group", "layer", "handle", "kind", "text", "block")):
        codes[:, k] = strings.codes(cols[name], f"SemanticObject.{name}")
    blocks.add("obj.str", codes, "<i4")

    sheet = cols["sheet"]
    point = cols["point"]
    size = cols["size"]
    has_sheet = np.fromiter((s is not None for s in sheet), dtype=bool, count=n)
    has_point = np.fromiter((p is not None for p in point), dtype=bool, count=n)
    has_size = np.fromiter((s is not None for s in size), dtype=bool, count=n)
    flags = (
        has_sheet * _HAS_SHEET
        + has_point * _HAS_POINT
        + has_size * _HAS_SIZE
        + np.fromiter(map(bool, cols["closed"]), dtype=bool, count=n) * _CLOSED
        + np.fromiter(map(bool, cols["in_block"]), dtype=bool, count=n) * _IN_BLOCK
    )
    blocks.add("obj.flags", flags, "|u1")
    blocks.add("obj.sheet", [0 if s is None else s for s in sheet], "<i8")

    floats = np.zeros((n, 5), dtype=np.float64)
    floats[:, 0] = cols["rotation"]
    if has_point.any():
        floats[has_point, 1:3] = [p for p in point if p is not None]
    if has_size.any():
        floats[has_size, 3:5] = [s for s in size if s is not None]
    blocks.add("obj.f8", floats, "<f8")

    attrs: list[Mapping[str, str]] = cols["attrs"]
    counts = np.fromiter(map(len, attrs), dtype=np.int32, count=n)
    keys: list[Any] = []
    values: list[Any] = []
    for mapping in attrs:
        if mapping:
            keys.extend(mapping.keys())
            values.extend(mapping.values())
    pairs = np.empty((len(keys), 2), dtype=np.int32)
    pairs[:, 0] = strings.codes(keys, "SemanticObject.attrs key")
    pairs[:, 1] = strings.codes(values, "SemanticObject.attrs value")
    blocks.add("obj.attr_count", counts, "<i4")
    blocks.add("obj.attr_kv", pairs, "<i4")

    return _encode_geometries(list(map(attrgetter("geometry"), objects)), blocks)


def _encode_geometries(geometries: Sequence[Any], blocks: _BlockWriter) -> list[int]:
    """Write all geometries with one vectorised WKB call; returns ``LinearRing`` indices."""
    n = len(geometries)
    geoms = np.fromiter(geometries, dtype=object, count=n)
    if n and not shapely.is_valid_input(geoms).all():
        raise TypeError("SemanticObject.geometry must be a shapely geometry")
    wkb = shapely.to_wkb(geoms, byte_order=1, include_srid=True)
    missing = shapely.is_missing(geoms)
    if missing.any():
        wkb[missing] = b""
    lengths = np.fromiter(map(len, wkb), dtype=np.int64, count=n)
    if n and int(lengths.max()) >= 2**32:
        raise ValueError("a geometry is too large to store (4 GiB of WKB)")
    blocks.add("geom.len", lengths, "<u4")
    blocks.add("geom.wkb", np.frombuffer(b"".join(wkb.tolist()), dtype=np.uint8), "|u1")
    rings: list[int] = np.flatnonzero(shapely.get_type_id(geoms) == 2).tolist()
    return rings


def _encode_texts(texts: Sequence[TextItem], strings: _StringTable, blocks: _BlockWriter) -> None:
    n = len(texts)
    codes = np.empty((n, 3), dtype=np.int32)
    for k, name in enumerate(("layer", "text", "handle")):
        codes[:, k] = strings.codes(list(map(attrgetter(name), texts)), f"TextItem.{name}")
    floats = np.empty((n, 4), dtype=np.float64)
    for k, name in enumerate(("x", "y", "height", "rotation")):
        floats[:, k] = list(map(attrgetter(name), texts))
    blocks.add("text.str", codes, "<i4")
    blocks.add("text.f8", floats, "<f8")
    aligns = [TEXT_ANCHOR_CODES.get(t.align, 0) for t in texts]
    blocks.add("text.align", np.array(aligns, dtype=np.uint8), "|u1")


def _encode_display(layers: Sequence[DisplayLayer], blocks: _BlockWriter) -> list[list[Any]]:
    rows: list[list[Any]] = []
    coords: list[Array] = []
    offsets: list[Array] = []
    for layer in layers:
        c = np.asarray(layer.coords)
        o = np.asarray(layer.offsets)
        rows.append([layer.name, layer.group, list(c.shape), list(o.shape)])
        coords.append(c.reshape(-1))
        offsets.append(o.reshape(-1))
    blocks.add("disp.coords", np.concatenate(coords) if coords else np.empty(0), "<f8")
    blocks.add("disp.offsets", np.concatenate(offsets) if offsets else np.empty(0), "<i8")
    return rows


def _sheet_row(s: Sheet) -> list[Any]:
    return [
        s.index,
        s.sheet_no,
        s.title,
        s.floor,
        s.scale,
        list(s.bbox),
        s.source,
        s.handle,
        _opt_pair(s.origin),
    ]


def _building_row(b: Building) -> list[Any]:
    return [b.name, b.handle, list(b.point), b.rotation, _enc_any(b.attrs), b.sheet]


def _finding_row(f: IntakeFinding) -> list[Any]:
    return [
        f.code,
        f.slug,
        Severity(f.severity).value,
        f.message,
        f.message_en,
        f.file,
        f.sheet,
        f.layer,
        _enc_any(f.location),
        list(f.handles),
        f.measured,
        f.limit,
        f.unit,
        list(f.details),
    ]


def dumps(model: DrawingModel, *, level: int = DEFAULT_LEVEL) -> bytes:
    """Serialise ``model`` to the binary format described in the module docstring.

    Strings may hold any Unicode, including lone surrogates: they are written with UTF-8
    ``surrogatepass`` and come back unchanged, so a string that slipped past sanitising can
    neither crash intake nor be silently altered.

    Args:
        model: The drawing model to store.
        level: zlib level 0-9 for the blocks (the small document is always compressed);
            0 stores blocks raw, fastest to write but often larger than the DXF itself. Level
            1 is the fastest level that compresses well; higher levels shrink the file by
            another 5-15 % at up to twice the write time, and load just as fast.

    Returns:
        The complete file content, ready for :func:`save` or any blob store.

    Raises:
        TypeError: A field holds a value the model's types do not allow (for example a
            geometry that is not a shapely geometry, or a set inside a finding's location).
        ValueError: ``level`` is outside 0-9, or a value has the wrong shape or range (a
            ``point`` with three numbers, an unknown discipline).
    """
    if not 0 <= level <= 9:
        raise ValueError(f"zlib level must be 0-9, got {level}")
    strings = _StringTable()
    blocks = _BlockWriter(level)
    with _gc_paused():
        rings = _encode_objects(model.objects, strings, blocks)
        _encode_texts(model.texts, strings, blocks)
    display = _encode_display(model.display, blocks)
    stats = model.stats
    doc: dict[str, Any] = {
        "model": [
            model.file,
            model.sha256,
            None if model.discipline is None else Discipline(model.discipline).value,
            model.dxf_version,
            model.release,
            model.encoding,
            model.unit,
            model.unit_to_m,
            model.loaded_via,
            None if model.extents is None else list(model.extents),
        ],
        "stats": [
            stats.entities,
            stats.layers,
            stats.blocks,
            stats.expanded_entities,
            stats.semantic_objects,
        ],
        "sheets": [_sheet_row(s) for s in model.sheets],
        "buildings": [_building_row(b) for b in model.buildings],
        "layers": [[i.name, i.group, i.entities] for i in model.layers],
        "findings": [_finding_row(f) for f in model.findings],
        "counts": [len(model.objects), len(model.texts)],
        "rings": rings,
        "display": display,
        "strings": strings.values(),
        "blocks": blocks.directory,
    }
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), check_circular=False)
    raw_doc = text.encode("utf-8", "surrogatepass")
    packed_doc = zlib.compress(raw_doc, max(level, 1))
    if len(raw_doc) >= 2**32 or len(packed_doc) >= 2**32:
        raise ValueError("model document too large to store (4 GiB)")
    doc_pad = bytes(-len(packed_doc) % _ALIGN)
    payload_len = len(packed_doc) + len(doc_pad) + blocks.size
    prefix = _HEADER.pack(
        MAGIC, FORMAT_VERSION, 0, payload_len, len(packed_doc), len(raw_doc), b""
    )[:_HASHED_HEADER]
    digest = hashlib.sha256(prefix)
    digest.update(packed_doc)
    digest.update(doc_pad)
    for part in blocks.parts:
        digest.update(part)
    return b"".join([prefix, digest.digest(), packed_doc, doc_pad, *blocks.parts])


# --------------------------------------------------------------------------------------------
# Reading


def _inflate(data: bytes | memoryview, raw_len: int, what: str) -> bytes:
    """Decompress at most ``raw_len`` bytes: damaged lengths cannot make us allocate more."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, max(raw_len, 1))  # max_length 0 would mean "unlimited"
    if len(out) != raw_len or not inflater.eof or inflater.unconsumed_tail or inflater.unused_data:
        raise _corrupt(f"{what} 长度不符", f"{what} length mismatch")
    return out


class _BlockReader:
    """Looks up blocks from the document's directory and returns them as numpy arrays."""

    def __init__(self, payload: memoryview, base: int, directory: list[list[Any]]) -> None:
        self.payload = payload
        self.base = base
        self.entries = {entry[0]: entry for entry in directory}

    def get(self, name: str) -> Array:
        _, dtype, shape, offset, stored, raw_len, codec = self.entries[name]
        if dtype not in _DTYPES:
            raise _corrupt(f"未知数据类型 {dtype}", f"unknown dtype {dtype}")
        start = self.base + offset
        end = start + stored
        if offset < 0 or stored < 0 or end > len(self.payload):
            raise _corrupt(f"数据块 {name} 越界", f"block {name} out of range")
        chunk = self.payload[start:end]
        if codec == _ZLIB:
            data: bytes | memoryview = _inflate(chunk, raw_len, name)
        elif codec == _RAW and stored == raw_len:
            data = chunk
        else:
            raise _corrupt(f"数据块 {name} 编码无效", f"block {name} has an invalid codec")
        return np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape)


def _codes(array: Array, table: Array) -> Array:
    """Resolve string codes, refusing codes outside the table."""
    if array.size and (int(array.min()) < 0 or int(array.max()) >= len(table)):
        raise _corrupt("字符串编号越界", "string code out of range")
    return table[array]


def _dec_any(value: Any) -> Any:
    """Inverse of :func:`_enc_any`."""
    if not isinstance(value, list):
        return value
    tag = value[0]
    if tag == _TUPLE:
        return tuple(map(_dec_any, value[1:]))
    if tag == _LIST:
        return list(map(_dec_any, value[1:]))
    if tag == _DICT and len(value) % 2 == 1:
        items = list(map(_dec_any, value[1:]))
        return dict(zip(items[0::2], items[1::2], strict=True))
    raise _corrupt("嵌套值标记无效", "invalid nested-value tag")


def _opt_tuple(value: list[Any] | None) -> tuple[Any, ...] | None:
    return None if value is None else tuple(value)


def _as_ring(geometry: Any) -> Any:
    """Rebuild a ``LinearRing`` that WKB brought back as a ``LineString``."""
    coords = shapely.get_coordinates(geometry, include_z=bool(shapely.has_z(geometry)))
    ring = shapely.linearrings(coords)
    srid = int(shapely.get_srid(geometry))
    return shapely.set_srid(ring, srid) if srid else ring


def _decode_geometries(blocks: _BlockReader, n: int, rings: list[int]) -> list[Any]:
    lengths = blocks.get("geom.len").astype(np.int64)
    if lengths.shape != (n,):
        raise _corrupt("几何数量不符", "geometry count mismatch")
    blob = bytes(blocks.get("geom.wkb"))
    ends = np.cumsum(lengths)
    if n and int(ends[-1]) != len(blob):
        raise _corrupt("几何数据长度不符", "geometry data length mismatch")
    starts = (ends - lengths).tolist()
    wkb = np.empty(n, dtype=object)
    wkb[:] = [blob[a:b] if a != b else None for a, b in zip(starts, ends.tolist(), strict=True)]
    geoms = shapely.from_wkb(wkb)
    for i in rings:
        geoms[i] = _as_ring(geoms[i])
    out: list[Any] = geoms.tolist()
    return out


def _decode_objects(
    blocks: _BlockReader, table: Array, n: int, rings: list[int]
) -> tuple[SemanticObject, ...]:
    codes = blocks.get("obj.str")
    flags = blocks.get("obj.flags")
    sheet_col = blocks.get("obj.sheet")
    floats = blocks.get("obj.f8")
    counts = blocks.get("obj.attr_count").astype(np.int64)
    pairs = blocks.get("obj.attr_kv")
    if (
        codes.shape != (n, 6)
        or flags.shape != (n,)
        or sheet_col.shape != (n,)
        or floats.shape != (n, 5)
        or counts.shape != (n,)
        or pairs.shape != (int(counts.sum()), 2)
    ):
        raise _corrupt("对象数据块尺寸不符", "object block shapes mismatch")
    group, layer, handle, kind, text, block = _codes(codes, table).T.tolist()
    has_sheet = (flags & _HAS_SHEET).astype(bool).tolist()
    has_point = (flags & _HAS_POINT).astype(bool).tolist()
    has_size = (flags & _HAS_SIZE).astype(bool).tolist()
    closed = (flags & _CLOSED).astype(bool).tolist()
    in_block = (flags & _IN_BLOCK).astype(bool).tolist()
    sheet = [s if h else None for s, h in zip(sheet_col.tolist(), has_sheet, strict=True)]
    rotation, px, py, sx, sy = floats.T.tolist()
    point = [(x, y) if h else None for x, y, h in zip(px, py, has_point, strict=True)]
    size = [(x, y) if h else None for x, y, h in zip(sx, sy, has_size, strict=True)]

    attrs: list[dict[Any, Any]] = [{} for _ in range(n)]
    with_attrs = np.flatnonzero(counts)
    if with_attrs.size:
        kv = _codes(pairs, table)
        keys, values = kv[:, 0].tolist(), kv[:, 1].tolist()
        ends = np.cumsum(counts)
        for i, a, b in zip(
            with_attrs.tolist(),
            (ends - counts)[with_attrs].tolist(),
            ends[with_attrs].tolist(),
            strict=True,
        ):
            attrs[i] = dict(zip(keys[a:b], values[a:b], strict=True))

    columns: dict[str, list[Any]] = {
        "group": group,
        "layer": layer,
        "handle": handle,
        "kind": kind,
        "shape": _decode_geometries(blocks, n, rings),
        "sheet": sheet,
        "text": text,
        "attrs": attrs,
        "block": block,
        "point": point,
        "rotation": rotation,
        "size": size,
        "closed": closed,
        "in_block": in_block,
    }
    # Positional construction in declaration order is a third faster than keywords; the order
    # comes from the dataclass itself, so reordering fields in the model cannot mix them up.
    return tuple(map(SemanticObject, *(columns[name] for name in _OBJECT_FIELDS)))


def _decode_texts(blocks: _BlockReader, table: Array, n: int) -> tuple[TextItem, ...]:
    codes = blocks.get("text.str")
    floats = blocks.get("text.f8")
    if codes.shape != (n, 3) or floats.shape != (n, 4):
        raise _corrupt("文字数据块尺寸不符", "text block shapes mismatch")
    layer, text, handle = _codes(codes, table).T.tolist()
    x, y, height, rotation = floats.T.tolist()
    if "text.align" in blocks.entries:  # absent in models stored before texts kept alignment
        codes_a = blocks.get("text.align")
        if codes_a.shape != (n,) or (n and int(codes_a.max()) >= len(TEXT_ANCHORS)):
            raise _corrupt("文字对齐数据无效", "text alignment block is invalid")
        align = [TEXT_ANCHORS[c] for c in codes_a.tolist()]
    else:
        align = ["la" if "\n" in s else "ls" for s in text]
    return tuple(
        TextItem(layer=la, text=t, x=xx, y=yy, height=hh, rotation=r, handle=h, align=a)
        for la, t, xx, yy, hh, r, h, a in zip(
            layer, text, x, y, height, rotation, handle, align, strict=True
        )
    )


def _decode_display(blocks: _BlockReader, rows: list[list[Any]]) -> tuple[DisplayLayer, ...]:
    coords = blocks.get("disp.coords")
    offsets = blocks.get("disp.offsets")
    out: list[DisplayLayer] = []
    c_pos = o_pos = 0
    for name, group, c_shape, o_shape in rows:
        c_len = int(np.prod(c_shape, dtype=np.int64))
        o_len = int(np.prod(o_shape, dtype=np.int64))
        if c_pos + c_len > coords.size or o_pos + o_len > offsets.size:
            raise _corrupt("显示数据越界", "display data out of range")
        c = coords[c_pos : c_pos + c_len].reshape(c_shape).astype(np.float64)
        o = offsets[o_pos : o_pos + o_len].reshape(o_shape).astype(np.int64)
        c_pos += c_len
        o_pos += o_len
        out.append(DisplayLayer(name=name, group=group, coords=c, offsets=o))
    if c_pos != coords.size or o_pos != offsets.size:
        raise _corrupt("显示数据长度不符", "display data length mismatch")
    return tuple(out)


def _sheet(row: list[Any]) -> Sheet:
    index, sheet_no, title, floor, scale, bbox, source, handle, origin = row
    return Sheet(
        index=index,
        sheet_no=sheet_no,
        title=title,
        floor=floor,
        scale=scale,
        bbox=tuple(bbox),
        source=source,
        handle=handle,
        origin=_opt_tuple(origin),
    )


def _building(row: list[Any]) -> Building:
    name, handle, point, rotation, attrs, sheet = row
    return Building(
        name=name,
        handle=handle,
        point=tuple(point),
        rotation=rotation,
        attrs=_dec_any(attrs),
        sheet=sheet,
    )


def _finding(row: list[Any]) -> IntakeFinding:
    (
        code,
        slug,
        severity,
        message,
        message_en,
        file,
        sheet,
        layer,
        location,
        handles,
        measured,
        limit,
        unit,
        details,
    ) = row
    return IntakeFinding(
        code=code,
        slug=slug,
        severity=Severity(severity),
        message=message,
        message_en=message_en,
        file=file,
        sheet=sheet,
        layer=layer,
        location=_dec_any(location),
        handles=tuple(handles),
        measured=measured,
        limit=limit,
        unit=unit,
        details=tuple(details),
    )


def _check_header(view: memoryview) -> tuple[int, int, int, bytes]:
    """Validate magic, version, flags and lengths; returns the header's length fields."""
    size = len(view)
    if size == 0:
        raise ModelFormatError(
            "empty",
            "图纸模型文件为空，请重新读取 DXF 图纸。",
            "Drawing model data is empty; read the DXF again.",
        )
    if bytes(view[:4]) != MAGIC[: min(size, 4)]:
        raise ModelFormatError(
            "magic",
            "不是联审图纸模型文件（文件头标识不符）。",
            "Not a lianshen drawing model (wrong magic bytes).",
        )
    if size >= 6:
        (version,) = struct.unpack_from("<H", view, 4)
        if version != FORMAT_VERSION:
            newer = version > FORMAT_VERSION
            raise ModelFormatError(
                "version",
                f"图纸模型格式版本 {version} 不受支持（当前程序支持版本 {FORMAT_VERSION}"
                f"{'，该文件由更新的程序写入' if newer else ''}），请重新读取 DXF 图纸。",
                f"Unsupported drawing model format version {version} (this program reads "
                f"version {FORMAT_VERSION}{'; written by a newer program' if newer else ''}); "
                "read the DXF again.",
            )
    if size < _HEADER.size:
        raise _truncated(size, _HEADER.size)
    _, _, flags, payload_len, doc_stored, doc_raw, digest = _HEADER.unpack_from(view)
    if flags != 0:
        raise _corrupt(f"未知标志位 {flags}", f"unknown flags {flags}")
    expected = _HEADER.size + payload_len
    if size < expected:
        raise _truncated(size, expected)
    if size > expected:
        raise _corrupt(f"文件末尾多出 {size - expected} 字节", f"{size - expected} trailing bytes")
    if doc_stored > payload_len:
        raise _corrupt("文档长度越界", "document length out of range")
    return payload_len, doc_stored, doc_raw, digest


def _truncated(size: int, expected: int) -> ModelFormatError:
    return ModelFormatError(
        "truncated",
        f"图纸模型文件不完整（{size} 字节，应为至少 {expected} 字节），请重新读取 DXF 图纸。",
        f"Drawing model data is truncated ({size} bytes, expected at least {expected}); "
        "read the DXF again.",
    )


def loads(data: bytes | bytearray | memoryview) -> DrawingModel:
    """Rebuild a :class:`DrawingModel` from bytes written by :func:`dumps`.

    The digest is checked before anything is decoded, so damaged bytes are reported as such
    instead of surfacing as odd values; any failure while decoding is reported as
    :class:`ModelFormatError` too, never as a ``struct``, ``zlib``, JSON or shapely error.

    Args:
        data: The stored bytes (``bytes``, ``bytearray`` or a ``memoryview``).

    Returns:
        The model, equal field by field to the one that was stored. Display arrays are fresh,
        writable, native-endian copies that do not keep ``data`` alive.

    Raises:
        ModelFormatError: The bytes are empty, not a stored model, another format version,
            truncated, or damaged.
    """
    view = memoryview(data).cast("B")
    payload_len, doc_stored, doc_raw, digest = _check_header(view)
    payload = view[_HEADER.size :]
    check = hashlib.sha256(view[:_HASHED_HEADER])
    check.update(payload)
    if check.digest() != digest:
        raise ModelFormatError(
            "checksum",
            "图纸模型数据校验失败（文件已损坏），请重新读取 DXF 图纸。",
            "Drawing model checksum mismatch (the data is damaged); read the DXF again.",
        )
    try:
        with _gc_paused():
            return _decode(payload, doc_stored, doc_raw)
    except ModelFormatError:
        raise
    except _DECODE_ERRORS as exc:
        raise _corrupt(type(exc).__name__, f"{type(exc).__name__}: {exc}") from exc


def _decode(payload: memoryview, doc_stored: int, doc_raw: int) -> DrawingModel:
    raw_doc = _inflate(payload[:doc_stored], doc_raw, "document")
    doc = json.loads(raw_doc.decode("utf-8", "surrogatepass"))
    base = doc_stored + (-doc_stored % _ALIGN)
    blocks = _BlockReader(payload, base, doc["blocks"])
    strings = doc["strings"]
    table = np.empty(len(strings), dtype=object)
    table[:] = strings
    n_objects, n_texts = doc["counts"]
    (
        file,
        sha256,
        discipline,
        dxf_version,
        release,
        encoding,
        unit,
        unit_to_m,
        loaded_via,
        extents,
    ) = doc["model"]
    entities, layers, block_count, expanded, semantic = doc["stats"]
    return DrawingModel(
        file=file,
        sha256=sha256,
        discipline=None if discipline is None else Discipline(discipline),
        dxf_version=dxf_version,
        release=release,
        encoding=encoding,
        unit=unit,
        unit_to_m=unit_to_m,
        loaded_via=loaded_via,
        sheets=tuple(map(_sheet, doc["sheets"])),
        objects=_decode_objects(blocks, table, n_objects, doc["rings"]),
        buildings=tuple(map(_building, doc["buildings"])),
        layers=tuple(LayerInfo(name=a, group=b, entities=c) for a, b, c in doc["layers"]),
        texts=_decode_texts(blocks, table, n_texts),
        display=_decode_display(blocks, doc["display"]),
        findings=tuple(map(_finding, doc["findings"])),
        stats=Stats(
            entities=entities,
            layers=layers,
            blocks=block_count,
            expanded_entities=expanded,
            semantic_objects=semantic,
        ),
        extents=_opt_tuple(extents),
    )


# --------------------------------------------------------------------------------------------
# Files


def save(model: DrawingModel, path: Path, *, level: int = DEFAULT_LEVEL) -> None:
    """Write ``model`` to ``path`` atomically.

    Workers and the viewer may read the file while intake rewrites it, so readers must see
    either the old file or the new one, never a mix: the model is serialised first (a model
    that cannot be stored leaves the disk untouched), written to a hidden temporary file in the
    same folder, flushed with ``fsync``, and moved over ``path`` with ``os.replace``. The
    temporary file is created with mode 0o666 minus the umask, like any ordinary file, so other
    services can read it. On any failure the temporary file is removed and ``path`` keeps its
    previous content.

    Args:
        model: The drawing model to store.
        path: Destination file; its folder must exist.
        level: zlib level, see :func:`dumps`.

    Raises:
        OSError: The file could not be written.
        TypeError: See :func:`dumps`.
    """
    data = dumps(model, level=level)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Persist the rename itself; best effort, since not every platform can open a folder."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load_model(path: Path) -> DrawingModel:
    """Read a model written by :func:`save`.

    Args:
        path: The stored model file.

    Returns:
        The drawing model.

    Raises:
        ModelFormatError: The file is not a usable stored model; ``file`` names it.
        OSError: The file could not be read (missing, permissions).
    """
    path = Path(path)
    data = path.read_bytes()
    try:
        return loads(data)
    except ModelFormatError as exc:
        raise ModelFormatError(exc.reason, exc.message, exc.message_en, file=str(path)) from None

"""Builders of hostile DXF files, written in code so that no bomb ever sits in the repository.

Each function writes one hostile case into ``directory`` and returns the path of the file. The
docstring says what the file is and what ``drawings.load`` must answer for it: either refuse it
with :class:`~drawings.errors.UnreadableDrawingError` and a specific ``reason``, or load it with
a specific ``DXF-0xx`` finding (catalogue section "Drawing intake — DXF"). The cases follow the
hostile-input kinds of the reliability notes (A: block bombs, B: size, C/D: broken values and
structure, E: encodings, F: injection, G/H: binary and archives).

Files are written with ``ezdxf.new()`` where ezdxf can write the case; where it refuses (names
with markup or line breaks, undecodable bytes) or is too slow (millions of vertices or layers)
the builder writes or patches raw DXF text. Every builder checks its own patch, so a change in
ezdxf's output cannot silently produce a harmless file. ezdxf's fixed-metadata option is on while
writing, so each case is the same file byte for byte every time and a failure can be kept as a
regression file.
"""

from __future__ import annotations

import io
import math
import random
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import ezdxf
from ezdxf.document import Drawing

__all__ = [
    "ALL",
    "ANSI_936_STRINGS",
    "CONTROL_STRINGS",
    "GBK_TEXT",
    "MARKUP_STRINGS",
    "ansi_936_chinese",
    "control_characters",
    "deep_block_chain",
    "diamond_lattice",
    "dwg_header",
    "empty_file",
    "eof_only",
    "gbk_in_utf8_file",
    "header_variable_without_value",
    "huge_hatch",
    "huge_lwpolyline",
    "huge_text",
    "insert_on_invalid_layer",
    "int_tag_overflow",
    "line_break_in_value",
    "markup_in_names",
    "million_layers",
    "minsert_bomb",
    "minsert_of_empty_block",
    "mutually_recursive_blocks",
    "nested_minsert",
    "nonfinite_coordinates",
    "png_named_dxf",
    "random_bytes",
    "self_referencing_block",
    "truncated_dxf",
    "unterminated_header",
    "utf16_dxf",
    "valid_dxf_text",
    "zip_named_dxf",
]

CONTROL_STRINGS: tuple[str, ...] = (
    "NUL\x00END",
    "SOH\x01BEL\x07BS\x08END",
    "ESC\x1b[31mRED\x1b[0m",
    "RTL\u202eTXT.EXE",
    "VT\x0bFF\x0cFS\x1cGS\x1dRS\x1eNEL\x85LS\u2028END",
    "DEL\x7fZW\u200bBOM\ufeffEND",
    "CARET^@NUL^[ESC^MCR^JLF",
)
"""Control characters put into names and texts by :func:`control_characters`.

``\\x0b \\x0c \\x1c-\\x1e \\x85 \\u2028`` are line boundaries for ``str.splitlines`` but not for a
DXF reader; ``^@ ^[ ^M ^J`` are DXF caret notation, which ezdxf's ``plain_text()`` decodes into
NUL, ESC, CR and LF.
"""

MARKUP_STRINGS: tuple[str, ...] = (
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://example.invalid/?x","click")',
    "'; DROP TABLE drawings;--",
    "{{7*7}}${7*7}",
)
"""Injection payloads that must survive as plain text (and be encoded by every sink)."""

GBK_TEXT = "墙体"
"""Chinese text written as GBK bytes into a file that declares UTF-8 (:func:`gbk_in_utf8_file`)."""

_BLOCK_NAME_MARKUP = "<b onmouseover=alert(1)>BLK"


@contextmanager
def _fixed_metadata() -> Iterator[None]:
    """Write fixed dates and GUIDs, so that a case is the same file byte for byte every time."""
    previous = ezdxf.options.write_fixed_meta_data_for_testing
    ezdxf.options.write_fixed_meta_data_for_testing = True
    try:
        yield
    finally:
        ezdxf.options.write_fixed_meta_data_for_testing = previous


def _new(version: str = "R2018") -> Drawing:
    with _fixed_metadata():
        doc = ezdxf.new(version)
    doc.header["$INSUNITS"] = 4  # mm, so that no case also triggers DXF-003
    return doc


def _dxf_text(doc: Drawing) -> str:
    stream = io.StringIO()
    with _fixed_metadata():
        doc.write(stream)
    return stream.getvalue()


def _substitute(text: str, mapping: Mapping[str, str]) -> str:
    """Replace every placeholder, insisting that each one occurs."""
    for placeholder, value in mapping.items():
        if placeholder not in text:
            raise ValueError(f"placeholder {placeholder!r} not found in the DXF text")
        text = text.replace(placeholder, value)
    return text


def _replace_once(
    text: str, pattern: str, replacement: str | Callable[[re.Match[str]], str]
) -> str:
    result, count = re.subn(pattern, replacement, text, count=1)
    if count != 1:
        raise ValueError(f"pattern {pattern!r} not found in the DXF text")
    return result


def _write(directory: Path, name: str, data: str | bytes, encoding: str = "utf-8") -> Path:
    path = directory / name
    if isinstance(data, str):
        data = data.encode(encoding)
    path.write_bytes(data)
    return path


def _lines(doc: Drawing, count: int, layer: str = "0") -> None:
    msp = doc.modelspace()
    for i in range(count):
        msp.add_line((i, 0), (i, 1000), dxfattribs={"layer": layer})


def valid_dxf_text(entities: int = 20) -> str:
    """A small valid R2018 drawing (``entities`` LINEs) as DXF text; the base of several cases."""
    doc = _new()
    _lines(doc, entities)
    return _dxf_text(doc)


# --- not a DXF at all ------------------------------------------------------------------------


def random_bytes(directory: Path, size: int = 64 * 1024, seed: int = 20240601) -> Path:
    """Random bytes named ``random.dxf``.

    Loader answer: refused, reason ``not-dxf`` (by the sniff, before ezdxf).
    """
    return _write(directory, "random.dxf", random.Random(seed).randbytes(size))


def png_named_dxf(directory: Path) -> Path:
    """A real PNG image (a scanned-drawing stand-in) named ``scan.dxf``.

    Loader answer: refused, reason ``image``.
    """
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 200), "white")
    ImageDraw.Draw(image).rectangle((20, 20, 300, 180), outline="black", width=3)
    path = directory / "scan.dxf"
    image.save(path, format="PNG")
    return path


def zip_named_dxf(directory: Path, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A zip archive holding a valid DXF, itself named ``package.dxf``.

    With ``zipfile.ZIP_STORED`` the DXF text sits uncompressed inside the archive and ezdxf's
    recover mode parses it (a polyglot: 20 LINEs); a deflated archive makes recover fail or, for
    other bytes, return an empty drawing. Loader answer, either way: refused, reason
    ``archive``.
    """
    path = directory / ("package.dxf" if compression == zipfile.ZIP_DEFLATED else "stored.dxf")
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        archive.writestr("drawing.dxf", valid_dxf_text())
    return path


def dwg_header(directory: Path, version: bytes = b"AC1032") -> Path:
    """A file starting like an AutoCAD 2018 DWG (``AC1032`` and binary data), named ``.dxf``.

    ``readfile`` says "not a DXF file" (``OSError``); recover fails on these bytes and returns
    an empty drawing for others. Loader answer: refused, reason ``dwg``, with the advice to save
    as DXF (另存为 DXF).
    """
    body = version + b"\x00\x00\x00\x00\x00\x00\x03\x00" + random.Random(7).randbytes(4096)
    return _write(directory, "plan.dxf", body)


def utf16_dxf(directory: Path, bom: bool = True) -> Path:
    """A valid DXF re-encoded as UTF-16 LE (with or without the byte-order mark).

    ezdxf fails with ``OSError`` or ``DXFValueError`` after logging dozens of lines. Loader
    answer: refused, reason ``utf16``.
    """
    text = valid_dxf_text()
    data = text.encode("utf-16" if bom else "utf-16-le")
    if bom and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise AssertionError("UTF-16 codec wrote no byte-order mark")
    return _write(directory, "utf16.dxf" if bom else "utf16-nobom.dxf", data)


def empty_file(directory: Path) -> Path:
    """A 0-byte ``empty.dxf`` (recover returns an empty drawing). Answer: refused, ``empty``."""
    return _write(directory, "empty.dxf", b"")


# --- broken structure ------------------------------------------------------------------------


def truncated_dxf(directory: Path, fraction: float = 0.6) -> Path:
    """A valid drawing of 2,000 LINEs cut at 60 % of its bytes, inside the ENTITIES section.

    ``readfile`` raises ``DXFStructureError``; recover returns a drawing with 0 entities (all
    silently lost). Loader answer: refused, reason ``truncated``.
    """
    data = valid_dxf_text(2000).encode("utf-8")
    cut = int(len(data) * fraction)
    start = data.index(b"ENTITIES")
    end = data.index(b"ENDSEC", start)
    if not start < cut < end:
        raise AssertionError("the cut does not fall inside the ENTITIES section")
    return _write(directory, "truncated.dxf", data[:cut])


def eof_only(directory: Path) -> Path:
    """A file holding only the end tag ``0``/``EOF``: well-formed tags, no drawing.

    Loader answer: refused, reason ``no-entities``.
    """
    return _write(directory, "eof-only.dxf", "  0\nEOF\n")


def header_variable_without_value(directory: Path) -> Path:
    """A HEADER whose variables have no value, then one LINE.

    ``$ACADVER`` is directly followed by ``$DWGCODEPAGE`` (the ``1``/``3`` value tags are
    missing). Both ``ezdxf.readfile`` and ``ezdxf.recover.readfile`` raise ``IndexError`` in
    ``load_tags``, outside every documented exception. Loader answer: refused with reason
    ``structure``, or loaded with the LINE (a tolerant reader may ignore the header); never an
    ``IndexError``.
    """
    text = (
        "  0\nSECTION\n  2\nHEADER\n  9\n$ACADVER\n  9\n$DWGCODEPAGE\n  0\nENDSEC\n"
        "  0\nSECTION\n  2\nENTITIES\n"
        "  0\nLINE\n  8\n0\n 10\n0.0\n 20\n0.0\n 30\n0.0\n 11\n1000.0\n 21\n0.0\n 31\n0.0\n"
        "  0\nENDSEC\n  0\nEOF\n"
    )
    return _write(directory, "header-no-value.dxf", text)


def unterminated_header(directory: Path) -> Path:
    """A HEADER section that ends with the file: no ENDSEC, no EOF.

    ``ezdxf.readfile`` raises ``StopIteration`` (from its version detection), an exception that
    turns into ``RuntimeError`` when raised inside a generator. recover returns an empty drawing.
    Loader answer: refused, reason ``truncated``.
    """
    return _write(directory, "header-open.dxf", "  0\nSECTION\n  2\nHEADER\n  9\n$ACADVER\n")


def int_tag_overflow(directory: Path) -> Path:
    """A LINE whose colour (an integer tag, group 62) is ``1e999``, beside 9 valid LINEs.

    ``ezdxf.readfile`` raises ``OverflowError`` (``int(float("1e999"))``); recover replaces the
    value and reports audit code 116. Loader answer: never ``OverflowError``; either loaded with
    at least the 9 valid LINEs (with ``DXF-002`` if it took recovery), or refused with reason
    ``structure``.
    """
    doc = _new()
    _lines(doc, 9)
    doc.modelspace().add_line((0, 0), (500, 500), dxfattribs={"color": 201})
    text = _replace_once(_dxf_text(doc), r"\n 62\n201\n", "\n 62\n1e999\n")
    return _write(directory, "int-overflow.dxf", text)


def line_break_in_value(directory: Path) -> Path:
    """A TEXT and a layer name containing a lone carriage return (``\\r`` without ``\\n``).

    ezdxf refuses to write line breaks in values; a CAD program writing raw bytes can. A reader
    using universal newlines (``ezdxf.readfile``) sees an extra line and fails with
    ``DXFStructureError``; recover keeps the ``\\r`` in the value. Loader answer: loaded with no
    CR left in any stored string, or refused with reason ``structure``; never a traceback.
    """
    doc = _new()
    doc.layers.add("HXLAYERCR")
    msp = doc.modelspace()
    msp.add_line((0, 0), (1000, 0), dxfattribs={"layer": "HXLAYERCR"})
    msp.add_text("HXTEXTCR", dxfattribs={"layer": "HXLAYERCR", "height": 250})
    text = _substitute(_dxf_text(doc), {"HXLAYERCR": "WALL\rFIRE", "HXTEXTCR": "first\rsecond"})
    return _write(directory, "lone-cr.dxf", text)


# --- block bombs -----------------------------------------------------------------------------


def self_referencing_block(directory: Path) -> Path:
    """Block ``SELF`` holds a LINE and an INSERT of itself; model space inserts it once.

    Both loaders accept it; exploding it raises ``RecursionError``. Loader answer: loaded, with
    a ``DXF-009`` finding listing the handle of the model-space INSERT; the control LINE in
    model space is kept.
    """
    doc = _new()
    block = doc.blocks.new("SELF")
    block.add_line((0, 0), (100, 0))
    block.add_blockref("SELF", (10, 10))
    msp = doc.modelspace()
    msp.add_blockref("SELF", (0, 0))
    msp.add_line((0, 0), (1000, 0))
    return _write(directory, "self-block.dxf", _dxf_text(doc))


def mutually_recursive_blocks(directory: Path) -> Path:
    """Block ``A`` inserts ``B`` and ``B`` inserts ``A``; model space inserts ``A``.

    Loader answer: loaded, with a ``DXF-009`` finding listing the model-space INSERT handle.
    """
    doc = _new()
    a = doc.blocks.new("A")
    b = doc.blocks.new("B")
    a.add_line((0, 0), (100, 0))
    a.add_blockref("B", (10, 0))
    b.add_line((0, 0), (0, 100))
    b.add_blockref("A", (0, 10))
    msp = doc.modelspace()
    msp.add_blockref("A", (0, 0))
    msp.add_line((0, 0), (1000, 0))
    return _write(directory, "mutual-blocks.dxf", _dxf_text(doc))


def deep_block_chain(directory: Path, depth: int = 10_000) -> Path:
    """An acyclic chain ``CHAIN00000 → CHAIN00001 → … → CHAIN09999`` (the last holds a LINE).

    About 4 MB. recover's auditor fails with ``RecursionError`` from about 1,000 levels, the
    renderer from 150–200. Loader answer: loaded, with a ``DXF-009`` finding (nesting depth)
    listing the model-space INSERT handle.
    """
    doc = _new()
    for i in range(depth):
        block = doc.blocks.new(f"CHAIN{i:05d}")
        if i + 1 < depth:
            block.add_blockref(f"CHAIN{i + 1:05d}", (1, 0))
        else:
            block.add_line((0, 0), (100, 0))
    msp = doc.modelspace()
    msp.add_blockref("CHAIN00000", (0, 0))
    msp.add_line((0, 0), (1000, 0))
    return _write(directory, "deep-chain.dxf", _dxf_text(doc))


def diamond_lattice(directory: Path, depth: int = 30) -> Path:
    """Two blocks per level, each inserting both blocks of the next level; 2^30 paths.

    ``L00A`` expands to 2^30 copies of the LINE at the bottom, from a file of a few tens of KB.
    recover's auditor is exponential on it (×2 per level: minutes at depth 28). Loader answer:
    loaded quickly, with a ``DXF-009`` finding (expansion budget) listing the INSERT handle.
    """
    doc = _new()
    for level in range(depth):
        for side in "AB":
            block = doc.blocks.new(f"L{level:02d}{side}")
            if level + 1 < depth:
                block.add_blockref(f"L{level + 1:02d}A", (0, 0))
                block.add_blockref(f"L{level + 1:02d}B", (1, 0))
            else:
                block.add_line((0, 0), (1, 0))
    msp = doc.modelspace()
    msp.add_blockref("L00A", (0, 0))
    msp.add_line((0, 0), (1000, 0))
    return _write(directory, "diamond.dxf", _dxf_text(doc))


def minsert_bomb(directory: Path, rows: int = 1_000_000, cols: int = 1_000_000) -> Path:
    """One MINSERT of a one-LINE block with ``rows × cols`` copies (10^12 by default).

    ezdxf writes and reads counts of 10^6 (DXF declares 70/71 as 16-bit, ezdxf does not
    check). The spacing is non-zero: ``Insert.mcount`` reports 1 when a spacing is 0, although
    ``multi_insert`` still loops over every row and column. Loader answer: loaded, with a
    ``DXF-009`` finding listing the MINSERT handle.
    """
    doc = _new()
    doc.blocks.new("CELL").add_line((0, 0), (1, 0))
    msp = doc.modelspace()
    insert = msp.add_blockref("CELL", (0, 0))
    insert.grid(size=(rows, cols), spacing=(2.0, 2.0))
    msp.add_line((0, 0), (1000, 0))
    return _write(directory, "minsert-bomb.dxf", _dxf_text(doc))


def minsert_of_empty_block(directory: Path) -> Path:
    """A MINSERT of 10^6 × 10^6 copies of a block that holds nothing.

    The expansion produces no entity at all, yet placing the copies is 10^12 iterations: a
    budget that counts only produced entities lets it through. Loader answer: loaded quickly,
    with a ``DXF-009`` finding listing the MINSERT handle.
    """
    doc = _new()
    doc.blocks.new("EMPTY")
    msp = doc.modelspace()
    msp.add_blockref("EMPTY", (0, 0)).grid(size=(1_000_000, 1_000_000), spacing=(2.0, 2.0))
    msp.add_line((0, 0), (1000, 0))
    return _write(directory, "minsert-empty.dxf", _dxf_text(doc))


def nested_minsert(directory: Path, count: int = 100, levels: int = 3) -> Path:
    """MINSERTs of ``count × count`` nested ``levels`` deep: (10^4)^3 = 10^12 LINEs.

    The "billion laughs" of DXF. Loader answer: loaded, with a ``DXF-009`` finding listing the
    model-space MINSERT handle.
    """
    doc = _new()
    doc.blocks.new("LAUGH0").add_line((0, 0), (1, 0))
    for level in range(1, levels):
        block = doc.blocks.new(f"LAUGH{level}")
        child = block.add_blockref(f"LAUGH{level - 1}", (0, 0))
        child.grid(size=(count, count), spacing=(2.0, 2.0))
    msp = doc.modelspace()
    top = msp.add_blockref(f"LAUGH{levels - 1}", (0, 0))
    top.grid(size=(count, count), spacing=(2.0, 2.0))
    msp.add_line((0, 0), (1000, 0))
    return _write(directory, "nested-minsert.dxf", _dxf_text(doc))


# --- size ------------------------------------------------------------------------------------


def _ring(vertices: int, radius: float = 10_000.0) -> Iterable[tuple[float, float]]:
    step = 2 * math.pi / vertices
    cos, sin = math.cos, math.sin
    return ((radius * cos(i * step), radius * sin(i * step)) for i in range(vertices))


def _xy_tags(points: Iterable[tuple[float, float]]) -> str:
    return "".join([f" 10\n{x:.4f}\n 20\n{y:.4f}\n" for x, y in points])


def huge_hatch(directory: Path, vertices: int = 2_000_000) -> Path:
    """A HATCH whose polyline boundary has 2,000,000 vertices (about 60 MB).

    Written as raw tags into an ezdxf-made drawing: ezdxf needs 15 s and 675 MiB just to read it
    and its renderer gives each hatch a 30 s budget. Loader answer: loaded, the hatch skipped with
    a ``DXF-009`` finding naming its handle; the control LINE is kept.
    """
    doc = _new()
    msp = doc.modelspace()
    hatch = msp.add_hatch(color=1)
    hatch.paths.add_polyline_path([(0, 0), (1, 0), (1, 1)], is_closed=True)
    msp.add_line((0, 0), (1000, 0))
    text = _dxf_text(doc)
    pattern = r"\n 93\n3\n(?: 10\n[^\n]*\n 20\n[^\n]*\n){3}"
    text = _replace_once(
        text, pattern, lambda _: f"\n 93\n{vertices}\n" + _xy_tags(_ring(vertices))
    )
    return _write(directory, "huge-hatch.dxf", text)


def huge_lwpolyline(directory: Path, vertices: int = 2_000_000) -> Path:
    """An LWPOLYLINE with 2,000,000 vertices (about 60 MB), written as raw tags.

    Loader answer: loaded, the polyline skipped with a ``DXF-009`` finding naming its handle.
    """
    doc = _new()
    msp = doc.modelspace()
    msp.add_lwpolyline([(0, 0), (1, 0), (1, 1)], close=True)
    msp.add_line((0, 0), (1000, 0))
    text = _dxf_text(doc)
    pattern = r"\n 90\n3\n 70\n1\n(?: 10\n[^\n]*\n 20\n[^\n]*\n){3}"
    text = _replace_once(
        text, pattern, lambda _: f"\n 90\n{vertices}\n 70\n1\n" + _xy_tags(_ring(vertices))
    )
    return _write(directory, "huge-lwpolyline.dxf", text)


def million_layers(directory: Path, count: int = 1_000_000) -> Path:
    """A LAYER table of ``count`` + 3 entries (about 120 MB), with one LINE on layer ``KEEP``.

    The entries are written as raw text after the table ezdxf made, with fresh handles above
    ``$HANDSEED``. ezdxf's ``readfile`` needs about a minute and 1 GiB for it. Loader answer:
    loaded, layers beyond the limit ignored with a ``DXF-009`` finding.
    """
    doc = _new()
    doc.layers.add("KEEP")
    doc.modelspace().add_line((0, 0), (1000, 0), dxfattribs={"layer": "KEEP"})
    text = _dxf_text(doc)
    table = re.search(r"\n  0\nTABLE\n  2\nLAYER\n  5\n([0-9A-Fa-f]+)\n", text)
    seed = re.search(r"\n  9\n\$HANDSEED\n  5\n([0-9A-Fa-f]+)\n", text)
    if table is None or seed is None:
        raise ValueError("LAYER table or $HANDSEED not found in the DXF text")
    owner = table.group(1)
    first = int(seed.group(1), 16)
    end = text.index("\n  0\nENDTAB\n", table.end())
    record = (
        "  0\nLAYER\n  5\n{:X}\n330\n" + owner + "\n100\nAcDbSymbolTableRecord\n"
        "100\nAcDbLayerTableRecord\n  2\nHX{:07d}\n 70\n0\n 62\n7\n  6\nContinuous\n"
    )
    entries = "".join([record.format(first + i, i) for i in range(count)])
    head = text[: end + 1]
    head = _replace_once(
        head,
        r"\n  9\n\$HANDSEED\n  5\n[0-9A-Fa-f]+\n",
        f"\n  9\n$HANDSEED\n  5\n{first + count:X}\n",
    )
    head = _replace_once(
        head,
        r"(\n  0\nTABLE\n  2\nLAYER\n  5\n[0-9A-Fa-f]+\n330\n0\n100\nAcDbSymbolTable\n 70\n)\d+\n",
        lambda m: f"{m.group(1)}{count + 3}\n",
    )
    path = directory / "million-layers.dxf"
    with path.open("w", encoding="utf-8", newline="") as fp:
        fp.write(head)
        fp.write(entries)
        fp.write(text[end + 1 :])
    return path


def huge_text(directory: Path, length: int = 1_000_000) -> Path:
    """A TEXT of 1,000,000 characters (a single value line of 1 MB).

    Rendering it takes ezdxf more than 20 s. Loader answer: loaded, the text cut to the text
    length limit.
    """
    doc = _new()
    msp = doc.modelspace()
    msp.add_text(("防火分区ABCD" * (length // 8 + 1))[:length], dxfattribs={"height": 250})
    msp.add_line((0, 0), (1000, 0))
    return _write(directory, "huge-text.dxf", _dxf_text(doc))


# --- geometry --------------------------------------------------------------------------------


def nonfinite_coordinates(directory: Path) -> Path:
    """NaN, ±inf and ±1e308 coordinates in LINEs, an LWPOLYLINE and an INSERT, on layer ``BAD``.

    ezdxf writes and reads ``nan`` and ``inf`` without complaint. A control LINE on layer ``0``
    is valid. Loader answer: loaded with the control LINE; every entity on ``BAD`` dropped (no
    non-finite or |x| > limit coordinate anywhere in the model) and listed by handle in a
    ``DXF-012`` finding.
    """
    doc = _new()
    doc.layers.add("BAD")
    doc.blocks.new("MARK").add_line((0, 0), (1, 0))
    msp = doc.modelspace()
    bad = {"layer": "BAD"}
    msp.add_line((math.nan, 0), (1, 1), dxfattribs=bad)
    msp.add_line((0, 0), (math.inf, 1), dxfattribs=bad)
    msp.add_line((0, -math.inf), (1, 1), dxfattribs=bad)
    msp.add_line((1e308, 0), (-1e308, 1), dxfattribs=bad)
    msp.add_lwpolyline([(0, 0), (math.nan, 1), (2, 2)], dxfattribs=bad)
    msp.add_lwpolyline([(0, 0), (1e308, 1), (2, 2)], dxfattribs=bad)
    msp.add_blockref("MARK", (math.inf, 0), dxfattribs=bad)
    msp.add_blockref("MARK", (0, 0), dxfattribs={"layer": "BAD", "xscale": 1e308})
    msp.add_line((0, 0), (1000, 0))
    text = _dxf_text(doc)
    for token in ("\nnan\n", "\ninf\n", "\n-inf\n", "\n1e+308\n"):
        if token not in text:
            raise AssertionError(f"{token.strip()} was not written")
    return _write(directory, "nonfinite.dxf", text)


# --- text and names --------------------------------------------------------------------------


def _names_case(directory: Path, name: str, strings: tuple[str, ...]) -> Path:
    """Layers, blocks, TEXT and MTEXT carrying ``strings``, placed through ASCII placeholders.

    ezdxf validates layer and block names on creation (no ``<>/\\":;?*|=```), so the names are
    placeholders that are replaced in the DXF text afterwards.
    """
    doc = _new()
    msp = doc.modelspace()
    mapping: dict[str, str] = {}
    for i, value in enumerate(strings):
        layer, block = f"HXLAYER{i:02d}X", f"HXBLOCK{i:02d}X"
        mapping[layer], mapping[block] = f"L{i} {value}", f"B{i} {value}"
        doc.layers.add(layer)
        doc.blocks.new(block).add_line((0, 0), (100, 0), dxfattribs={"layer": layer})
        attribs = {"layer": layer, "height": 250}
        msp.add_text(f"T{i} {value}", dxfattribs=attribs).set_placement((0, i * 1000))
        msp.add_mtext(f"M{i} {value}\\P{value}", dxfattribs={"layer": layer, "char_height": 250})
        # The INSERT stays on layer 0: see insert_on_invalid_layer for why.
        msp.add_blockref(block, (5000, i * 1000))
        msp.add_line((0, i * 1000), (4000, i * 1000), dxfattribs={"layer": layer})
    return _write(directory, name, _substitute(_dxf_text(doc), mapping))


def control_characters(directory: Path) -> Path:
    """Control characters in layer names, block names, TEXT and MTEXT (see ``CONTROL_STRINGS``).

    NUL, C0 controls, ESC sequences, DEL, the RTL override ``\\u202e``, zero-width characters,
    ``str.splitlines`` boundaries and caret notation. ezdxf loads all of them verbatim (and a NUL
    then breaks the PostgreSQL write). Loader answer: loaded; no stored string contains NUL, a
    lone surrogate or a C0 control other than newline and tab.
    """
    return _names_case(directory, "control-chars.dxf", CONTROL_STRINGS)


def markup_in_names(directory: Path) -> Path:
    """HTML, script, spreadsheet-formula and template payloads in names and texts.

    Loader answer: loaded; every payload survives verbatim as plain text (encoding is the job
    of each sink), in layer names and texts.
    """
    return _names_case(directory, "markup.dxf", MARKUP_STRINGS + (_BLOCK_NAME_MARKUP,))


def insert_on_invalid_layer(directory: Path) -> Path:
    """An INSERT on a layer named ``<img src=x onerror=alert(1)>``, beside a LINE on layer 0.

    Loading an INSERT makes ezdxf create its SEQEND with the INSERT's layer, and that goes
    through the layer-name validator: both ``ezdxf.readfile`` and ``ezdxf.recover.readfile``
    raise ``DXFValueError`` ("Invalid value ... for attribute layer in entity SEQEND"), although
    the same name on a LINE loads. Loader answer: loaded with the LINE, the layer name kept as
    plain text; or refused with reason ``structure``; never a ``DXFValueError``.
    """
    doc = _new()
    doc.layers.add("HXLAYERX")
    doc.blocks.new("MARK").add_line((0, 0), (1, 0))
    msp = doc.modelspace()
    msp.add_blockref("MARK", (0, 0), dxfattribs={"layer": "HXLAYERX"})
    msp.add_line((0, 0), (1000, 0))
    text = _substitute(_dxf_text(doc), {"HXLAYERX": MARKUP_STRINGS[0]})
    return _write(directory, "insert-bad-layer.dxf", text)


def gbk_in_utf8_file(directory: Path) -> Path:
    """An R2018 file (UTF-8 by definition) with GBK bytes in a layer name, a TEXT and an MTEXT.

    Also one invalid UTF-8 byte (``\\xff``). ezdxf decodes with ``surrogateescape`` and yields
    lone surrogates, which fail at the database write. Loader answer: loaded with a ``DXF-008``
    finding; no stored string contains a lone surrogate.
    """
    doc = _new()
    doc.layers.add("HXGBKLAYER")
    msp = doc.modelspace()
    msp.add_line((0, 0), (1000, 0), dxfattribs={"layer": "HXGBKLAYER"})
    msp.add_text("HXGBKTEXT", dxfattribs={"layer": "HXGBKLAYER", "height": 250})
    msp.add_mtext("HXGBKMTEXT\\PHXBADBYTE", dxfattribs={"layer": "HXGBKLAYER"})
    data = _dxf_text(doc).encode("utf-8")
    replacements = {
        b"HXGBKLAYER": ("墙体" + "图层").encode("gbk"),
        b"HXGBKTEXT": ("防火分区" + GBK_TEXT).encode("gbk"),
        b"HXGBKMTEXT": "疏散楼梯".encode("gbk"),
        b"HXBADBYTE": b"bad\xffbyte",
    }
    for placeholder, value in replacements.items():
        if placeholder not in data:
            raise ValueError(f"placeholder {placeholder!r} not found")
        data = data.replace(placeholder, value)
    return _write(directory, "gbk-in-utf8.dxf", data)


ANSI_936_STRINGS = {
    "layer": "墙体",
    "text": "防火分区",
    "mtext": "疏散楼梯\\P耐火等级",
    "mtext_plain": "疏散楼梯\n耐火等级",
}


def ansi_936_chinese(directory: Path) -> Path:
    """A valid control case: R2000, ``$DWGCODEPAGE`` = ``ANSI_936``, Chinese written as GBK.

    Layer ``墙体`` with TEXT ``防火分区`` and MTEXT ``疏散楼梯\\P耐火等级``. ezdxf needs
    ``doc.encoding = "gbk"`` to write this: setting the header variable alone is overwritten on
    save, and ``"cp936"`` maps to ANSI_1252 (silent mojibake). Loader answer: loaded, no
    ``DXF-008``, the strings exactly as written.
    """
    doc = _new("R2000")
    doc.encoding = "gbk"
    doc.layers.add(ANSI_936_STRINGS["layer"])
    msp = doc.modelspace()
    attribs = {"layer": ANSI_936_STRINGS["layer"], "height": 250}
    msp.add_text(ANSI_936_STRINGS["text"], dxfattribs=attribs)
    msp.add_mtext(ANSI_936_STRINGS["mtext"], dxfattribs={"layer": ANSI_936_STRINGS["layer"]})
    msp.add_line((0, 0), (1000, 0), dxfattribs={"layer": ANSI_936_STRINGS["layer"]})
    path = directory / "ansi936.dxf"
    with _fixed_metadata():
        doc.saveas(path)
    if "墙体".encode("gbk") not in path.read_bytes():
        raise AssertionError("the layer name was not written as GBK")
    return path


ALL: dict[str, Callable[[Path], Path]] = {
    "random_bytes": random_bytes,
    "png_named_dxf": png_named_dxf,
    "zip_named_dxf": zip_named_dxf,
    "zip_stored_named_dxf": lambda d: zip_named_dxf(d, zipfile.ZIP_STORED),
    "dwg_header": dwg_header,
    "utf16_dxf": utf16_dxf,
    "utf16_dxf_without_bom": lambda d: utf16_dxf(d, bom=False),
    "empty_file": empty_file,
    "truncated_dxf": truncated_dxf,
    "eof_only": eof_only,
    "header_variable_without_value": header_variable_without_value,
    "unterminated_header": unterminated_header,
    "int_tag_overflow": int_tag_overflow,
    "line_break_in_value": line_break_in_value,
    "self_referencing_block": self_referencing_block,
    "mutually_recursive_blocks": mutually_recursive_blocks,
    "deep_block_chain": deep_block_chain,
    "diamond_lattice": diamond_lattice,
    "minsert_bomb": minsert_bomb,
    "minsert_of_empty_block": minsert_of_empty_block,
    "nested_minsert": nested_minsert,
    "huge_hatch": huge_hatch,
    "huge_lwpolyline": huge_lwpolyline,
    "million_layers": million_layers,
    "huge_text": huge_text,
    "nonfinite_coordinates": nonfinite_coordinates,
    "control_characters": control_characters,
    "markup_in_names": markup_in_names,
    "insert_on_invalid_layer": insert_on_invalid_layer,
    "gbk_in_utf8_file": gbk_in_utf8_file,
    "ansi_936_chinese": ansi_936_chinese,
}
"""Every case by name, each a one-argument builder, for parametrised tests."""

"""The pre-parse gate: refuse what is not a DXF before ezdxf ever sees it.

ezdxf is forgiving in the wrong places. ``ezdxf.recover.readfile`` returns a valid, *empty*
drawing for a 0-byte file, a DWG renamed to ``.dxf`` or a deflated zip, and it parses the DXF
inside a stored zip; UTF-16 text makes it log dozens of lines and then fail with an unrelated
error; a 100 MB file costs 10–16 times its size in memory before anything can be checked. So
every upload passes :func:`sniff` first. It reads the size from ``stat`` and only the first few
kilobytes, and either says which DXF flavour the file is or raises
:class:`~drawings.errors.UnreadableDrawingError` with a specific ``reason`` and a message, in
Chinese and English, that tells the user what to do:

========== ==============================================================================
reason     refused because
========== ==============================================================================
missing    the file does not exist or cannot be read
empty      the file has 0 bytes
too-large  the file is over ``max_bytes``
image      PNG, JPEG, GIF, BMP, TIFF or WebP image
pdf        PDF document
archive    ZIP (also OOXML and friends), gzip, bzip2, xz, 7-Zip or RAR archive
dwg        a DWG drawing (``AC1032``...): must be saved as DXF in the CAD program
utf16      UTF-16 or UTF-32 text (byte-order mark, or NUL bytes between ASCII characters)
not-dxf    anything else whose first lines are not DXF group-code/value pairs
========== ==============================================================================

Passing the sniff says nothing about the rest of the file: truncation, broken structure and
bombs are the loader's business.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from drawings.errors import UnreadableDrawingError

__all__ = ["BINARY_SENTINEL", "Sniffed", "sniff"]

BINARY_SENTINEL = b"AutoCAD Binary DXF\r\n\x1a\x00"
"""The 22 bytes every binary DXF file starts with."""

_HEAD_BYTES = 8 * 1024  # enough for the first tag pairs even after a long 999 comment
_PAIRS = 8  # tag pairs that must be well-formed
_MIN_CODE, _MAX_CODE = -5, 1071  # the DXF group-code range
_MB = 1024 * 1024

_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
_ARCHIVE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "ZIP"),
    (b"PK\x05\x06", "ZIP"),  # empty archive
    (b"PK\x07\x08", "ZIP"),  # spanned archive
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
    (b"Rar!\x1a\x07", "RAR"),
)
# Byte-order marks, longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_WIDE_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_UTF8_BOM = b"\xef\xbb\xbf"
# DWG files start with their version: "AC1032" (2018), "AC1015" (2000), "AC1.50", "AC2.10"...
_DWG = re.compile(rb"(?:AC|MC)[0-9][.0-9][0-9]")
_DWG_RELEASES = {
    b"AC1009": "R11/R12",
    b"AC1012": "R13",
    b"AC1014": "R14",
    b"AC1015": "AutoCAD 2000",
    b"AC1018": "AutoCAD 2004",
    b"AC1021": "AutoCAD 2007",
    b"AC1024": "AutoCAD 2010",
    b"AC1027": "AutoCAD 2013",
    b"AC1032": "AutoCAD 2018",
}
_GROUP_CODE = re.compile(rb"[ \t]*[-+]?[0-9]{1,6}[ \t]*")
_TEXTLIKE = frozenset(b"\t\n\r") | frozenset(range(0x20, 0x7F))


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the gate found: a DXF of this flavour, this many bytes long.

    ``format`` decides the loader: ezdxf's recover mode reads only ASCII DXF, so a binary DXF
    must go through ``ezdxf.readfile``.
    """

    format: Literal["ascii", "binary"]
    size: int


def sniff(
    path: Path,
    *,
    max_bytes: int = 200 * 1024 * 1024,
    display_name: str | None = None,
) -> Sniffed:
    """Check that ``path`` looks like a DXF file, reading only its first few kilobytes.

    Args:
        path: The stored file.
        max_bytes: Largest accepted size. Parsing needs 10–16 times the file size in memory,
            so the limit protects the worker more than the disk.
        display_name: The name the user knows the file by (the upload name); defaults to
            ``path.name``, since stored files usually have opaque names.

    Returns:
        The DXF flavour and the size in bytes.

    Raises:
        UnreadableDrawingError: The file is missing, empty, too large, or not a DXF; ``reason``
            says which (see the module docstring) and the messages name the file.
    """
    name = display_name or path.name
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise IsADirectoryError(path)
        with path.open("rb") as fp:
            head = fp.read(_HEAD_BYTES)
    except OSError as exc:
        raise UnreadableDrawingError(
            "missing",
            f"文件“{name}”不存在或无法读取，请重新上传。",
            f"File '{name}' does not exist or cannot be read ({type(exc).__name__}); "
            "please upload it again.",
            file=name,
        ) from None

    size = info.st_size
    if size == 0 or not head:
        raise UnreadableDrawingError(
            "empty",
            f"文件“{name}”是空文件（0 字节），不是 DXF 图纸。请重新导出后上传。",
            f"File '{name}' is empty (0 bytes), not a DXF drawing. Export it again and upload "
            "the new file.",
            file=name,
        )
    if size > max_bytes:
        raise UnreadableDrawingError(
            "too-large",
            f"文件“{name}”大小为 {size / _MB:.1f} MB，超过上限 {max_bytes / _MB:.0f} MB。"
            "请在 CAD 中清理图纸（PURGE 删除未使用的图层、块，拆分图纸，解除外部参照）后重新上传。",
            f"File '{name}' is {size / _MB:.1f} MB, over the limit of {max_bytes / _MB:.0f} MB. "
            "Clean the drawing in the CAD program (PURGE unused layers and blocks, split the "
            "sheets, detach external references) and upload it again.",
            file=name,
        )
    if head.startswith(BINARY_SENTINEL):
        return Sniffed("binary", size)
    _refuse_known_formats(head, name)
    _check_ascii_tags(head, complete=len(head) >= size, name=name)
    return Sniffed("ascii", size)


def _refuse_known_formats(head: bytes, name: str) -> None:
    """Raise with a specific reason when ``head`` is a format people upload by mistake."""
    stripped = head.lstrip(b" \t\r\n")
    if stripped.startswith(b"%PDF-"):
        raise UnreadableDrawingError(
            "pdf",
            f"文件“{name}”是 PDF 文档，不是 DXF 图纸。"
            "PDF 只能看不能审查，请上传 CAD 导出的 DXF 文件。",
            f"File '{name}' is a PDF document, not a DXF drawing. A PDF cannot be checked; "
            "upload the DXF file exported from the CAD program.",
            file=name,
        )
    kind = _match(head, _IMAGE_MAGIC)
    if kind is None and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        kind = "WebP"
    if kind is None and head[:2] == b"BM" and len(head) >= 26 and head[6:10] == b"\x00" * 4:
        kind = "BMP"
    if kind is not None:
        raise UnreadableDrawingError(
            "image",
            f"文件“{name}”是 {kind} 图片，不是 DXF 图纸（扩展名与内容不符）。"
            "请在 CAD 中将图纸另存为 DXF 后上传。",
            f"File '{name}' is a {kind} image, not a DXF drawing (its extension does not match "
            "its content). Save the drawing as DXF in the CAD program and upload that file.",
            file=name,
        )
    kind = _match(head, _ARCHIVE_MAGIC)
    if kind is not None:
        raise UnreadableDrawingError(
            "archive",
            f"文件“{name}”是 {kind} 压缩包，不是 DXF 图纸（扩展名与内容不符）。"
            "请解压后逐个上传其中的 DXF 文件。",
            f"File '{name}' is a {kind} archive, not a DXF drawing (its extension does not "
            "match its content). Extract it and upload the DXF files it contains.",
            file=name,
        )
    dwg = _DWG.match(head)
    if dwg is not None:
        version = head[:6]
        release = _DWG_RELEASES.get(version)
        label = version.decode("ascii", "replace") + (f", {release}" if release else "")
        raise UnreadableDrawingError(
            "dwg",
            f"文件“{name}”是 DWG 图纸（{label}），平台只接受 DXF。"
            "请在 CAD 中打开该图纸，用“另存为 DXF”（文件类型选 AutoCAD DXF）保存后上传。",
            f"File '{name}' is a DWG drawing ({label}); only DXF is accepted. Open it in the "
            "CAD program, use Save As with the file type AutoCAD DXF, and upload that file.",
            file=name,
        )
    wide = _match(head, _WIDE_BOMS) or _nul_interleaved(head)
    if wide is not None:
        raise UnreadableDrawingError(
            "utf16",
            f"文件“{name}”是 {wide} 编码的文本，DXF 图纸应为 ASCII/UTF-8 文本。"
            "请在 CAD 中重新另存为 DXF，不要用文本编辑器另存为“Unicode”。",
            f"File '{name}' is {wide} encoded text; a DXF drawing is ASCII/UTF-8 text. Save it "
            "as DXF again from the CAD program, not as 'Unicode' from a text editor.",
            file=name,
        )


def _match(head: bytes, table: tuple[tuple[bytes, str], ...]) -> str | None:
    for magic, kind in table:
        if head.startswith(magic):
            return kind
    return None


def _nul_interleaved(head: bytes) -> str | None:
    """``"UTF-16"``/``"UTF-32"`` when the start is ASCII text with NULs between the characters.

    A DXF saved as "Unicode" by a text editor may lack a byte-order mark; its first bytes are
    then ASCII characters each padded with one (UTF-16) or three (UTF-32) NUL bytes. Every byte
    of the sample must fit the pattern, so random data does not.
    """
    sample = head[:256]
    for width, kind in ((4, "UTF-32"), (2, "UTF-16")):
        usable = len(sample) - len(sample) % width
        if usable < 2 * width:
            continue
        chunk = sample[:usable]
        for lane in range(width):
            text = chunk[lane::width]
            pads = [chunk[i::width] for i in range(width) if i != lane]
            if all(not any(pad) for pad in pads) and all(b in _TEXTLIKE for b in text):
                return kind
    return None


def _check_ascii_tags(head: bytes, *, complete: bool, name: str) -> None:
    """Raise ``not-dxf`` unless ``head`` starts with well-formed group-code/value pairs.

    An ASCII DXF is a sequence of two-line tags: a group code (an integer in -5..1071, often
    right-aligned with spaces) and a value. Blank lines and a UTF-8 byte-order mark may precede
    the first tag; the first of them is usually ``0``/``SECTION`` or a ``999`` comment, but ezdxf
    accepts other tags before the first section, so the gate does too. When ``head`` is only
    the start of the file its last, possibly cut, line is not judged.
    """
    text = head.removeprefix(_UTF8_BOM)
    lines = text.splitlines()
    if not complete and lines:
        lines.pop()
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    lines = lines[start:]
    pairs = min(len(lines) // 2, _PAIRS)
    problem: str | None = None
    if pairs == 0:
        problem = "no group-code/value pair"
    for i in range(pairs):
        code_line, value_line = lines[2 * i], lines[2 * i + 1]
        if _GROUP_CODE.fullmatch(code_line) is None:
            problem = f"line {start + 2 * i + 1} is not a group code"
        elif not _MIN_CODE <= int(code_line) <= _MAX_CODE:
            problem = f"group code {int(code_line)} on line {start + 2 * i + 1} is out of range"
        elif b"\x00" in value_line:
            problem = f"line {start + 2 * i + 2} contains NUL bytes"
        if problem is not None:
            break
    if problem is None:
        return
    raise UnreadableDrawingError(
        "not-dxf",
        f"文件“{name}”不是 DXF 图纸：文件开头不是 DXF 的组码/数值结构。"
        "请确认上传的是 CAD 导出的 DXF 文件（文件类型 AutoCAD DXF）。",
        f"File '{name}' is not a DXF drawing: it does not start with DXF group-code/value "
        f"lines ({problem}). Upload the DXF file exported from the CAD program.",
        file=name,
    )

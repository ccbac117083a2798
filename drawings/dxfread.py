"""Streaming DXF tag reader: group codes and values, grouped into entities, without ezdxf's document.

``ezdxf.readfile`` builds a full object model (every entity an object with a DXF namespace), which
costs time and memory out of proportion to what review needs. This reader streams the file in
chunks, pairs group-code and value lines, and yields one ``(section, dxftype, tags)`` item per
entity, so the loader keeps only the compact result. Binary DXF goes through ezdxf's binary tag
loader and the same grouping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drawings.text import python_encoding

__all__ = [
    "BINARY_SENTINEL",
    "DxfStructureError",
    "HeaderInfo",
    "RawEntity",
    "read_entities",
    "scan_header",
]

BINARY_SENTINEL = b"AutoCAD Binary DXF\r\n\x1a\x00"
_CHUNK = 1 << 16  # small chunks: the decoded lines of one chunk are the read's transient memory

Tag = tuple[int, Any]
RawEntity = tuple[str, str, list[Tag]]
"""``(section, dxftype, tags)``: the tags of one entity after its ``0`` tag."""


class DxfStructureError(Exception):
    """The tag structure is broken (e.g. a group code that is not an integer)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(message if line is None else f"{message} (line {line})")


@dataclass(frozen=True, slots=True)
class HeaderInfo:
    """What must be known before decoding: version and code page (from the raw header bytes)."""

    acadver: str | None
    codepage: str | None
    encoding: str
    insunits: int | None = None


_ACADVER = re.compile(rb"\$ACADVER\s*\r?\n\s*1\s*\r?\n([^\r\n]*)")
_CODEPAGE = re.compile(rb"\$DWGCODEPAGE\s*\r?\n\s*3\s*\r?\n([^\r\n]*)")
_INSUNITS = re.compile(rb"\$INSUNITS\s*\r?\n\s*70\s*\r?\n\s*(-?\d+)")


def scan_header(path: Path, *, codepage_override: str | None = None) -> HeaderInfo:
    """Read ``$ACADVER`` and ``$DWGCODEPAGE`` from the first bytes of an ASCII DXF.

    The code page decides how every later byte is decoded, so it is read from raw bytes first;
    R2007 and later are UTF-8 whatever they declare.
    """
    with path.open("rb") as fp:
        head = fp.read(1 << 20)
    ver_match = _ACADVER.search(head)
    cp_match = _CODEPAGE.search(head)
    acadver = ver_match.group(1).decode("ascii", "replace").strip() if ver_match else None
    codepage = cp_match.group(1).decode("ascii", "replace").strip() if cp_match else None
    units_match = _INSUNITS.search(head)
    insunits = int(units_match.group(1)) if units_match else None
    encoding = python_encoding(codepage_override or codepage, acadver)
    return HeaderInfo(acadver=acadver, codepage=codepage, encoding=encoding, insunits=insunits)


def read_entities(
    path: Path, encoding: str, *, binary: bool = False, stats: dict[str, Any] | None = None
) -> Iterator[RawEntity]:
    """Yield every entity (and table entry, block, object) of the file as raw tags.

    The HEADER section comes out as one item of type ``"$HEADER"``. ``stats`` (if given) receives
    ``eof`` (an EOF tag was seen) and ``truncated`` (the file ended inside a section).

    Raises:
        DxfStructureError: a group code line is not an integer.
    """
    stats = stats if stats is not None else {}
    tags = _binary_tags(path, encoding) if binary else _ascii_tags(path, encoding)
    yield from _group(tags, stats)


def _binary_tags(path: Path, encoding: str) -> Iterator[Tag]:
    from ezdxf.lldxf.tagger import binary_tags_loader

    data = path.read_bytes()
    try:
        for tag in binary_tags_loader(data, errors="surrogateescape"):
            yield tag.code, tag.value
    except (IndexError, ValueError) as exc:  # struct errors, truncated data
        raise DxfStructureError(f"broken binary DXF: {exc}") from exc


def _group(tags: Iterator[Tag], stats: dict[str, Any]) -> Iterator[RawEntity]:
    section = ""
    etype: str | None = None
    cur: list[Tag] = []
    in_section = False
    expect_name = False
    eof = False
    sections: list[str] = stats.setdefault("sections", [])
    for code, value in tags:
        if code == 0:
            if etype is not None:
                yield section, etype, cur
            name = value.strip() if isinstance(value, str) else str(value)
            cur = []
            if name == "SECTION":
                etype = None
                expect_name = True
                in_section = True
            elif name == "ENDSEC":
                etype = None
                in_section = False
                section = ""
            elif name == "EOF":
                etype = None
                eof = True
                break
            else:
                etype = name
        elif expect_name:
            expect_name = False
            section = str(value).strip().upper()
            sections.append(section)
            if section == "HEADER":
                etype = "$HEADER"
        elif etype is not None:
            cur.append((code, value))
    if etype is not None and not eof:
        yield section, etype, cur
    stats["eof"] = eof
    stats["truncated"] = in_section and not eof


def _ascii_tags(path: Path, encoding: str) -> Iterator[Tag]:
    """Group-code/value pairs of an ASCII DXF, read in chunks (never the whole file at once)."""
    codes: dict[str, int] = {}
    pending: str | None = None
    line_no = 0
    with path.open("rb") as fp:
        carry = b""
        first = True
        while True:
            data = fp.read(_CHUNK)
            if not data:
                if not carry:
                    break
                data, carry = carry + b"\n", b""
            else:
                data = carry + data
                cut = data.rfind(b"\n")
                if cut < 0:
                    carry = data
                    continue
                carry = data[cut + 1 :]
                data = data[: cut + 1]
            if first:
                first = False
                if data.startswith(b"\xef\xbb\xbf"):
                    data = data[3:]
            text = data.decode(encoding, "surrogateescape")
            if "\r" in text:
                text = text.replace("\r\n", "\n").replace("\r", "")
            lines = text.split("\n")
            lines.pop()  # text ends with "\n": the last element is empty
            if pending is not None:
                lines.insert(0, pending)
                pending = None
            if len(lines) % 2:
                pending = lines.pop()
            it = iter(lines)
            for raw_code, value in zip(it, it, strict=True):
                code = codes.get(raw_code)
                if code is None:
                    try:
                        code = int(raw_code)
                    except ValueError:
                        what = (
                            "blank line where a group code was expected"
                            if not raw_code.strip()
                            else f"invalid group code {raw_code[:40]!r}"
                        )
                        raise DxfStructureError(what, line_no + 1) from None
                    if len(codes) < 4096:
                        codes[raw_code] = code
                line_no += 2
                yield code, value

"""Tests of the pre-parse gate: every kind of wrong file is refused with its own reason."""

from __future__ import annotations

import gzip
import io
import os
import random
import zipfile
from pathlib import Path

import pytest

from drawings.errors import UnreadableDrawingError
from drawings.sniff import BINARY_SENTINEL, Sniffed, sniff

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "files"

MINIMAL_DXF = (
    "  0\nSECTION\n  2\nHEADER\n  9\n$ACADVER\n  1\nAC1015\n  0\nENDSEC\n"
    "  0\nSECTION\n  2\nENTITIES\n  0\nLINE\n  8\n0\n 10\n0.0\n 20\n0.0\n 11\n1.0\n 21\n1.0\n"
    "  0\nENDSEC\n  0\nEOF\n"
)


def write(tmp_path: Path, data: bytes | str, name: str = "drawing.dxf") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def refused(path: Path, **kwargs: object) -> UnreadableDrawingError:
    with pytest.raises(UnreadableDrawingError) as info:
        sniff(path, **kwargs)  # type: ignore[arg-type]
    return info.value


def assert_bilingual(error: UnreadableDrawingError, name: str) -> None:
    assert name in error.message and name in error.message_en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.message), "Chinese message expected"
    assert error.message_en.isascii() or name in error.message_en
    assert error.file == name
    assert "Traceback" not in error.message_en


# --- accepted --------------------------------------------------------------------------------


def test_ascii_dxf(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL_DXF)
    assert sniff(path) == Sniffed("ascii", len(MINIMAL_DXF))


@pytest.mark.parametrize(
    "variant",
    [
        MINIMAL_DXF.replace("\n", "\r\n"),
        "\ufeff" + MINIMAL_DXF,
        "\n\n  \r\n" + MINIMAL_DXF,
        "999\ndxfrw 0.5.10\n" + MINIMAL_DXF,
        MINIMAL_DXF.replace("  0\n", "0\n"),
        MINIMAL_DXF.replace("\n", "\r"),  # classic Mac line ends
        MINIMAL_DXF.rstrip("\n"),
    ],
    ids=["crlf", "utf8-bom", "blank-lines", "comment", "unpadded", "cr", "no-final-newline"],
)
def test_ascii_variants(tmp_path: Path, variant: str) -> None:
    assert sniff(write(tmp_path, variant)).format == "ascii"


def test_long_comment_before_first_section(tmp_path: Path) -> None:
    """A head cut in the middle of a line must not be judged on that partial line."""
    path = write(tmp_path, "999\n" + "x" * 7000 + "\n" + MINIMAL_DXF * 3)
    assert sniff(path).format == "ascii"


def test_binary_dxf(tmp_path: Path) -> None:
    data = BINARY_SENTINEL + b"\x00\x00SECTION\x00\x02\x00HEADER\x00"
    assert sniff(write(tmp_path, data)) == Sniffed("binary", len(data))


def test_eof_only_is_left_to_the_loader(tmp_path: Path) -> None:
    """Well-formed tags with no drawing: not the gate's call (the loader says no-entities)."""
    assert sniff(write(tmp_path, "  0\nEOF\n")).format == "ascii"


def test_reads_only_the_head(tmp_path: Path) -> None:
    """A valid start followed by garbage passes: the rest is the loader's business."""
    data = MINIMAL_DXF.encode() * 200 + os.urandom(1 << 20)
    assert sniff(write(tmp_path, data)).size == len(data)


def test_max_bytes_boundary(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL_DXF)
    assert sniff(path, max_bytes=len(MINIMAL_DXF)).format == "ascii"
    error = refused(path, max_bytes=len(MINIMAL_DXF) - 1)
    assert error.reason == "too-large"


# --- refused ---------------------------------------------------------------------------------


def test_missing(tmp_path: Path) -> None:
    error = refused(tmp_path / "nope.dxf")
    assert error.reason == "missing"
    assert_bilingual(error, "nope.dxf")


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "folder.dxf").mkdir()
    assert refused(tmp_path / "folder.dxf").reason == "missing"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL_DXF)
    path.chmod(0)
    try:
        assert refused(path).reason == "missing"
    finally:
        path.chmod(0o644)


def test_empty(tmp_path: Path) -> None:
    error = refused(write(tmp_path, b""))
    assert error.reason == "empty"
    assert_bilingual(error, "drawing.dxf")


def test_too_large_names_size_and_limit_in_mb(tmp_path: Path) -> None:
    path = tmp_path / "big.dxf"
    with path.open("wb") as fp:
        fp.write(MINIMAL_DXF.encode())
        fp.truncate(3 * 1024 * 1024 + 512 * 1024)  # sparse: 3.5 MB without writing it
    error = refused(path, max_bytes=2 * 1024 * 1024)
    assert error.reason == "too-large"
    assert_bilingual(error, "big.dxf")
    for message in (error.message, error.message_en):
        assert "3.5 MB" in message and "2 MB" in message


def test_display_name_is_used(tmp_path: Path) -> None:
    path = write(tmp_path, b"", name="3f0c9a1e-upload")
    error = refused(path, display_name="一层平面图.dxf")
    assert error.file == "一层平面图.dxf"
    assert "一层平面图.dxf" in error.message and "3f0c9a1e" not in error.message


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="JPEG")
    return buffer.getvalue()


def gif_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("P", (8, 8)).save(buffer, format="GIF")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("make", "kind"),
    [(png_bytes, "PNG"), (jpeg_bytes, "JPEG"), (gif_bytes, "GIF")],
    ids=["png", "jpeg", "gif"],
)
def test_images(tmp_path: Path, make: object, kind: str) -> None:
    error = refused(write(tmp_path, make()))  # type: ignore[operator]
    assert error.reason == "image"
    assert kind in error.message and kind in error.message_en
    assert_bilingual(error, "drawing.dxf")


def test_pdf(tmp_path: Path) -> None:
    error = refused(write(tmp_path, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"))
    assert error.reason == "pdf"
    assert_bilingual(error, "drawing.dxf")


def zip_bytes(compression: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        archive.writestr("plan.dxf", MINIMAL_DXF)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        zip_bytes(zipfile.ZIP_DEFLATED),
        zip_bytes(zipfile.ZIP_STORED),  # a polyglot that ezdxf's recover would parse
        b"PK\x05\x06" + b"\x00" * 18,  # empty zip
        gzip.compress(MINIMAL_DXF.encode()),
    ],
    ids=["zip", "stored-zip", "empty-zip", "gzip"],
)
def test_archives(tmp_path: Path, data: bytes) -> None:
    error = refused(write(tmp_path, data))
    assert error.reason == "archive"
    assert_bilingual(error, "drawing.dxf")


@pytest.mark.parametrize("version", [b"AC1032", b"AC1015", b"AC1009", b"AC1.50", b"AC2.10"])
def test_dwg(tmp_path: Path, version: bytes) -> None:
    error = refused(write(tmp_path, version + b"\x00\x00\x00\x00\x00\x00\x03" + bytes(200)))
    assert error.reason == "dwg"
    assert "另存为 DXF" in error.message
    assert "Save As" in error.message_en
    assert version.decode() in error.message_en
    assert_bilingual(error, "drawing.dxf")


def test_dwg_release_is_named(tmp_path: Path) -> None:
    error = refused(write(tmp_path, b"AC1027" + bytes(100)))
    assert "AutoCAD 2013" in error.message and "AutoCAD 2013" in error.message_en


@pytest.mark.parametrize(
    ("codec", "kind"),
    [
        ("utf-16", "UTF-16"),
        ("utf-16-le", "UTF-16"),
        ("utf-16-be", "UTF-16"),
        ("utf-32", "UTF-32"),
        ("utf-32-le", "UTF-32"),
        ("utf-32-be", "UTF-32"),
    ],
)
def test_utf16_and_utf32(tmp_path: Path, codec: str, kind: str) -> None:
    error = refused(write(tmp_path, MINIMAL_DXF.encode(codec)))
    assert error.reason == "utf16"
    assert kind in error.message_en
    assert_bilingual(error, "drawing.dxf")


def test_utf16_with_bom_and_crlf(tmp_path: Path) -> None:
    data = MINIMAL_DXF.replace("\n", "\r\n").encode("utf-16")
    assert refused(write(tmp_path, data)).reason == "utf16"


@pytest.mark.parametrize("seed", range(20))
def test_random_bytes(tmp_path: Path, seed: int) -> None:
    rnd = random.Random(seed)
    assert refused(write(tmp_path, rnd.randbytes(rnd.randint(1, 20_000)))).reason == "not-dxf"


def test_random_bytes_reason(tmp_path: Path) -> None:
    error = refused(write(tmp_path, random.Random(1).randbytes(64 * 1024)))
    assert error.reason == "not-dxf"
    assert_bilingual(error, "drawing.dxf")


@pytest.mark.parametrize(
    "text",
    [
        "hello world\n",
        "<html><body>plan</body></html>\n",
        '{"type": "FeatureCollection"}\n',
        "\n\n\n",
        "0\n",  # a code with no value
        "SECTION\n0\n",
        "0\nSECTION\n2000\nHEADER\n",  # group code out of range
        "0\nSECTION\n-6\nHEADER\n",
        "0\nSECTION\n2\nHEA\x00DER\n",
        "0.5\nSECTION\n",
        "1e3\nSECTION\n",
    ],
    ids=[
        "text",
        "html",
        "json",
        "blank",
        "lone-code",
        "value-first",
        "code-2000",
        "code-minus-6",
        "nul-value",
        "float-code",
        "exp-code",
    ],
)
def test_not_dxf_text(tmp_path: Path, text: str) -> None:
    error = refused(write(tmp_path, text))
    assert error.reason == "not-dxf"
    assert_bilingual(error, "drawing.dxf")


def test_group_code_range_edges(tmp_path: Path) -> None:
    assert sniff(write(tmp_path, "-5\nx\n1071\ny\n0\nEOF\n")).format == "ascii"
    assert refused(write(tmp_path, "1072\nx\n0\nEOF\n")).reason == "not-dxf"


def test_bad_pair_later_in_head(tmp_path: Path) -> None:
    good = "  0\nSECTION\n  2\nHEADER\n  9\n$ACADVER\n"
    assert refused(write(tmp_path, good + "nonsense\nvalue\n" + "0\nEOF\n")).reason == "not-dxf"


# --- the real-world corpus -------------------------------------------------------------------


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.is_file())


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_files_that_ezdxf_loads_are_accepted(path: Path) -> None:
    """Sniff every corpus file; only a refusal is checked against ezdxf (which is slow)."""
    try:
        result = sniff(path)
    except UnreadableDrawingError as error:
        import logging

        import ezdxf
        from ezdxf import recover

        logging.getLogger("ezdxf").setLevel(logging.CRITICAL)
        try:
            if path.read_bytes()[:22] == BINARY_SENTINEL:
                ezdxf.readfile(path)
            else:
                recover.readfile(path)
        except Exception:  # any failure means ezdxf cannot load it either
            return
        pytest.fail(f"ezdxf loads {path.name}, but sniff refused it: {error.reason}")
    assert result.size == path.stat().st_size
    assert result.format == ("binary" if path.name.startswith("bin_") else "ascii")

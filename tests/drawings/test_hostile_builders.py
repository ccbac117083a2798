"""The hostile-file builders write what they promise, quickly.

Each builder is checked for the shape of its file (bytes, tags, what ezdxf makes of it) so that a
change in ezdxf's output cannot quietly turn a bomb into a harmless file. The ``TestEzdxf``
cases pin the ezdxf 1.4.5 failures the loader has to absorb; if one starts failing after an
upgrade, read the release notes and revisit the loader's handling of that case.
"""

from __future__ import annotations

import io
import logging
import math
import re
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import ezdxf
import pytest
from ezdxf import recover
from ezdxf.document import Drawing
from ezdxf.lldxf.const import DXFStructureError, DXFValueError

from drawings.errors import UnreadableDrawingError
from drawings.guard import BlockBudget, BlockNode, check_blocks
from drawings.sniff import sniff

try:
    from tests.drawings import hostile
except ImportError:  # tests/ is not a package: pytest put this folder on sys.path
    import hostile  # type: ignore[no-redef]

logging.getLogger("ezdxf").setLevel(logging.CRITICAL)


def block_budget(doc: Drawing) -> BlockBudget:
    """The guard's verdict on an ezdxf document (the loader builds the same graph itself)."""
    blocks: dict[str, BlockNode] = {}
    for block in doc.blocks:
        if block.block_record.is_any_layout:
            continue
        inserts = [
            (e.dxf.name, e.dxf.row_count * e.dxf.column_count)
            for e in block
            if e.dxftype() == "INSERT"
        ]
        blocks[block.name] = BlockNode(len(block) - len(inserts), tuple(inserts))
    top = [
        (e.dxf.name, e.dxf.row_count * e.dxf.column_count)
        for e in doc.modelspace()
        if e.dxftype() == "INSERT"
    ]
    return check_blocks(blocks, top)


def sniff_reason(path: Path) -> str | None:
    try:
        sniff(path)
    except UnreadableDrawingError as error:
        return error.reason
    return None


def timed(build: Callable[[Path], Path], directory: Path) -> tuple[Path, float]:
    start = time.perf_counter()
    path = build(directory)
    return path, time.perf_counter() - start


# --- every builder ---------------------------------------------------------------------------

SNIFF_REASON = {
    "random_bytes": "not-dxf",
    "png_named_dxf": "image",
    "zip_named_dxf": "archive",
    "zip_stored_named_dxf": "archive",
    "dwg_header": "dwg",
    "utf16_dxf": "utf16",
    "utf16_dxf_without_bom": "utf16",
    "empty_file": "empty",
}
SLOW = {"deep_block_chain", "huge_hatch", "huge_lwpolyline", "million_layers"}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(hostile.ALL))
def test_every_builder_writes_one_dxf_named_file(tmp_path: Path, name: str) -> None:
    path, seconds = timed(hostile.ALL[name], tmp_path)
    assert path.parent == tmp_path and path.suffix == ".dxf" and path.is_file()
    assert list(tmp_path.iterdir()) == [path]
    assert seconds < (20 if name in SLOW else 2), f"{name} took {seconds:.1f} s"
    # Files that are not DXF are stopped at the gate; all the others pass it and reach ezdxf.
    assert sniff_reason(path) == SNIFF_REASON.get(name)


@pytest.mark.parametrize(
    "name", sorted(set(hostile.ALL) - SLOW - {"png_named_dxf", "zip_named_dxf"})
)
def test_builders_are_deterministic(tmp_path: Path, name: str) -> None:
    """The same case is the same file every time, so a failure can be kept as a regression."""
    first, second = tmp_path / "1", tmp_path / "2"
    first.mkdir()
    second.mkdir()
    assert hostile.ALL[name](first).read_bytes() == hostile.ALL[name](second).read_bytes()


# --- not a DXF -------------------------------------------------------------------------------


def test_png(tmp_path: Path) -> None:
    from PIL import Image

    path = hostile.png_named_dxf(tmp_path)
    with Image.open(path) as image:
        assert image.format == "PNG"


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_zip(tmp_path: Path, compression: int) -> None:
    path = hostile.zip_named_dxf(tmp_path, compression)
    with zipfile.ZipFile(path) as archive:
        (member,) = archive.infolist()
        assert member.compress_type == compression
        doc = ezdxf.read(io.StringIO(archive.read(member).decode()))
    assert len(doc.modelspace()) == 20


def test_dwg(tmp_path: Path) -> None:
    assert hostile.dwg_header(tmp_path).read_bytes().startswith(b"AC1032\x00")


@pytest.mark.parametrize("bom", [True, False])
def test_utf16(tmp_path: Path, bom: bool) -> None:
    data = hostile.utf16_dxf(tmp_path, bom=bom).read_bytes()
    assert data.startswith(b"\xff\xfe") == bom
    text = data.decode("utf-16" if bom else "utf-16-le")
    assert text.startswith("  0\nSECTION\n") and text.rstrip().endswith("EOF")


def test_empty_and_eof_only(tmp_path: Path) -> None:
    assert hostile.empty_file(tmp_path).stat().st_size == 0
    assert hostile.eof_only(tmp_path).read_text() == "  0\nEOF\n"


# --- broken structure ------------------------------------------------------------------------


def test_truncated_inside_entities(tmp_path: Path) -> None:
    data = hostile.truncated_dxf(tmp_path).read_bytes()
    whole = len(hostile.valid_dxf_text(2000).encode())
    assert b"ENTITIES" in data and b"EOF" not in data
    assert data.count(b"\nLINE\n") > 500
    assert 0.59 < len(data) / whole < 0.61


class TestEzdxf:
    """What ezdxf 1.4.5 does with these files: the failures the loader must absorb."""

    def test_truncated_readfile_fails_recover_loses_everything(self, tmp_path: Path) -> None:
        path = hostile.truncated_dxf(tmp_path)
        with pytest.raises(DXFStructureError):
            ezdxf.readfile(path)
        doc, _ = recover.readfile(path)
        assert len(doc.modelspace()) == 0

    def test_header_variable_without_value_raises_index_error(self, tmp_path: Path) -> None:
        path = hostile.header_variable_without_value(tmp_path)
        assert len(path.read_text().splitlines()) == 34
        with pytest.raises(IndexError):
            ezdxf.readfile(path)
        with pytest.raises(IndexError):
            recover.readfile(path)

    def test_unterminated_header_raises_stop_iteration(self, tmp_path: Path) -> None:
        path = hostile.unterminated_header(tmp_path)
        with pytest.raises(StopIteration):
            ezdxf.readfile(path)
        doc, _ = recover.readfile(path)
        assert len(doc.modelspace()) == 0

    def test_int_overflow(self, tmp_path: Path) -> None:
        path = hostile.int_tag_overflow(tmp_path)
        assert re.search(r"\n 62\n1e999\n", path.read_text())
        with pytest.raises(OverflowError):
            ezdxf.readfile(path)
        doc, auditor = recover.readfile(path)
        assert len(doc.modelspace()) == 10
        assert any(e.code == 116 for e in auditor.errors)

    def test_lone_cr_breaks_readfile_not_recover(self, tmp_path: Path) -> None:
        path = hostile.line_break_in_value(tmp_path)
        data = path.read_bytes()
        assert b"WALL\rFIRE" in data and b"first\rsecond" in data
        with pytest.raises(DXFStructureError):
            ezdxf.readfile(path)
        doc, _ = recover.readfile(path)
        assert "WALL\rFIRE" in [layer.dxf.name for layer in doc.layers]

    def test_insert_on_invalid_layer_breaks_both_loaders(self, tmp_path: Path) -> None:
        path = hostile.insert_on_invalid_layer(tmp_path)
        with pytest.raises(DXFValueError):
            ezdxf.readfile(path)
        with pytest.raises(DXFValueError):
            recover.readfile(path)

    def test_stored_zip_is_a_polyglot_for_recover(self, tmp_path: Path) -> None:
        doc, _ = recover.readfile(hostile.zip_named_dxf(tmp_path, zipfile.ZIP_STORED))
        assert len(doc.modelspace()) == 20

    def test_multi_insert_loops_over_zero_spacing(self) -> None:
        """``mcount`` says 1 but ``multi_insert`` iterates rows × cols: count the raw counts."""
        doc = ezdxf.new()
        doc.blocks.new("B").add_point((0, 0))
        insert = doc.modelspace().add_blockref("B", (0, 0))
        insert.dxf.row_count = insert.dxf.column_count = 300
        assert insert.mcount == 1
        assert len(list(insert.multi_insert())) == 1  # after 90,000 loop iterations

    def test_gbk_in_utf8_gives_lone_surrogates(self, tmp_path: Path) -> None:
        doc = ezdxf.readfile(hostile.gbk_in_utf8_file(tmp_path))
        texts = [e.dxf.text for e in doc.modelspace() if e.dxftype() in ("TEXT", "MTEXT")]
        assert all(re.search("[\ud800-\udfff]", t) for t in texts)

    def test_text_plain_text_decodes_carets_into_controls(self) -> None:
        doc = ezdxf.new()
        text = doc.modelspace().add_text("A^@B^[C")
        assert text.plain_text() == "A\x00B\x1bC"


# --- block bombs -----------------------------------------------------------------------------


def test_self_referencing_block(tmp_path: Path) -> None:
    doc = ezdxf.readfile(hostile.self_referencing_block(tmp_path))
    assert [e.dxf.name for e in doc.blocks.get("SELF") if e.dxftype() == "INSERT"] == ["SELF"]
    budget = block_budget(doc)
    assert budget.cyclic == {"SELF"} and budget.over_budget


def test_mutually_recursive_blocks(tmp_path: Path) -> None:
    budget = block_budget(ezdxf.readfile(hostile.mutually_recursive_blocks(tmp_path)))
    assert budget.cyclic == {"A", "B"} and budget.over_budget


@pytest.mark.timeout(120)
def test_deep_block_chain(tmp_path: Path) -> None:
    path = hostile.deep_block_chain(tmp_path)
    assert 3_000_000 < path.stat().st_size < 8_000_000
    doc = ezdxf.readfile(path)
    budget = block_budget(doc)
    assert budget.depth["CHAIN00000"] == budget.max_depth + 1
    assert len(budget.too_deep) == 10_000 - budget.max_depth
    assert budget.cyclic == frozenset() and not budget.over_budget


def test_diamond_lattice(tmp_path: Path) -> None:
    path = hostile.diamond_lattice(tmp_path)
    assert path.stat().st_size < 100_000
    budget = block_budget(ezdxf.readfile(path))
    assert len(budget.expanded) == 60
    assert not budget.expandable("L00A") and budget.over_budget
    assert budget.expanded["L29A"] == 1  # the bottom: one LINE


def test_minsert_bomb(tmp_path: Path) -> None:
    doc = ezdxf.readfile(hostile.minsert_bomb(tmp_path))
    (insert,) = [e for e in doc.modelspace() if e.dxftype() == "INSERT"]
    assert insert.dxf.row_count == insert.dxf.column_count == 1_000_000
    assert insert.dxf.row_spacing and insert.dxf.column_spacing
    assert insert.mcount == 10**12
    assert block_budget(doc).over_budget


def test_minsert_of_empty_block(tmp_path: Path) -> None:
    doc = ezdxf.readfile(hostile.minsert_of_empty_block(tmp_path))
    (insert,) = doc.modelspace().query("INSERT")
    assert insert.mcount == 10**12 and len(doc.blocks.get("EMPTY")) == 0
    budget = block_budget(doc)
    assert budget.expanded["EMPTY"] == 0 and budget.over_budget


def test_nested_minsert(tmp_path: Path) -> None:
    doc = ezdxf.readfile(hostile.nested_minsert(tmp_path))
    counts = [e.mcount for b in doc.blocks for e in b.query("INSERT")]  # model space included
    assert sorted(counts) == [10_000] * 3
    budget = block_budget(doc)
    assert budget.expandable("LAUGH1") and not budget.expandable("LAUGH2")


# --- size ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "dxftype"),
    [(hostile.huge_hatch, "HATCH"), (hostile.huge_lwpolyline, "LWPOLYLINE")],
)
def test_vertex_builders_small_are_valid(
    tmp_path: Path, build: Callable[..., Path], dxftype: str
) -> None:
    doc = ezdxf.readfile(build(tmp_path, vertices=1000))
    (entity,) = doc.modelspace().query(dxftype)
    points = entity.paths[0].vertices if dxftype == "HATCH" else list(entity.vertices())
    assert len(points) == 1000
    assert all(math.isclose(math.hypot(p[0], p[1]), 10_000, rel_tol=1e-6) for p in points)
    _, auditor = recover.readfile(build(tmp_path, vertices=1000))
    assert not auditor.has_errors


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("build", "count_tag"),
    [(hostile.huge_hatch, b"\n 93\n2000000\n"), (hostile.huge_lwpolyline, b"\n 90\n2000000\n")],
)
def test_vertex_builders_full_size(
    tmp_path: Path, build: Callable[[Path], Path], count_tag: bytes
) -> None:
    path, seconds = timed(build, tmp_path)
    data = path.read_bytes()
    assert count_tag in data
    assert data.count(b"\n 10\n") >= 2_000_000
    assert len(data) > 50_000_000 and seconds < 20


def test_million_layers_small_is_valid(tmp_path: Path) -> None:
    path = hostile.million_layers(tmp_path, count=1000)
    doc = ezdxf.readfile(path)
    assert len(doc.layers) == 1003
    assert doc.layers.has_entry("HX0000999") and doc.layers.has_entry("KEEP")
    handles = [layer.dxf.handle for layer in doc.layers]
    assert len(set(handles)) == len(handles)
    assert int(doc.header["$HANDSEED"], 16) > max(int(h, 16) for h in handles)
    _, auditor = recover.readfile(path)
    assert not auditor.has_errors


@pytest.mark.timeout(120)
def test_million_layers_full_size(tmp_path: Path) -> None:
    path, seconds = timed(hostile.million_layers, tmp_path)
    data = path.read_bytes()
    assert data.count(b"\n  0\nLAYER\n") == 1_000_003
    assert b"\n 70\n1000003\n" in data
    assert seconds < 20


def test_huge_text(tmp_path: Path) -> None:
    doc = ezdxf.readfile(hostile.huge_text(tmp_path))
    (text,) = doc.modelspace().query("TEXT")
    assert len(text.dxf.text) == 1_000_000


# --- geometry --------------------------------------------------------------------------------


def test_nonfinite_coordinates(tmp_path: Path) -> None:
    doc = ezdxf.readfile(hostile.nonfinite_coordinates(tmp_path))
    bad = doc.modelspace().query('*[layer=="BAD"]')
    assert len(bad) == 8
    values: list[float] = []
    for entity in bad:
        if entity.dxftype() == "LINE":
            values += [*entity.dxf.start, *entity.dxf.end]
        elif entity.dxftype() == "LWPOLYLINE":
            values += [c for p in entity.get_points("xy") for c in p]
        else:
            values += [*entity.dxf.insert, entity.dxf.xscale]
    assert any(math.isnan(v) for v in values)
    assert any(v == math.inf for v in values) and any(v == -math.inf for v in values)
    assert any(abs(v) == 1e308 for v in values)
    assert len(doc.modelspace().query('LINE[layer=="0"]')) == 1


# --- text and names --------------------------------------------------------------------------


def test_control_characters_survive_in_ezdxf(tmp_path: Path) -> None:
    doc = ezdxf.readfile(hostile.control_characters(tmp_path))
    layers = {layer.dxf.name for layer in doc.layers}
    blocks = {block.name for block in doc.blocks}
    texts = {e.dxf.text for e in doc.modelspace().query("TEXT")}
    for i, value in enumerate(hostile.CONTROL_STRINGS):
        assert f"L{i} {value}" in layers
        assert f"B{i} {value}" in blocks
        assert f"T{i} {value}" in texts


def test_markup_survives_in_ezdxf(tmp_path: Path) -> None:
    doc = ezdxf.readfile(hostile.markup_in_names(tmp_path))
    layers = {layer.dxf.name for layer in doc.layers}
    mtexts = {e.dxf.text for e in doc.modelspace().query("MTEXT")}
    for i, value in enumerate(hostile.MARKUP_STRINGS):
        assert f"L{i} {value}" in layers
        assert f"M{i} {value}\\P{value}" in mtexts


def test_gbk_bytes_in_utf8_file(tmp_path: Path) -> None:
    data = hostile.gbk_in_utf8_file(tmp_path).read_bytes()
    assert b"\n$ACADVER\n  1\nAC1032\n" in data
    assert hostile.GBK_TEXT.encode("gbk") in data and b"bad\xffbyte" in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_ansi_936_control_case(tmp_path: Path) -> None:
    path = hostile.ansi_936_chinese(tmp_path)
    assert b"$DWGCODEPAGE\n  3\nANSI_936\n" in path.read_bytes()
    doc, auditor = recover.readfile(path, errors="strict")
    strings = hostile.ANSI_936_STRINGS
    assert doc.layers.has_entry(strings["layer"])
    assert [e.dxf.text for e in doc.modelspace().query("TEXT")] == [strings["text"]]
    (mtext,) = doc.modelspace().query("MTEXT")
    assert mtext.text == strings["mtext"] and mtext.plain_text() == strings["mtext_plain"]
    assert not auditor.has_errors

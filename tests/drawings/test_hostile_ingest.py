"""End to end: every hostile file gets a bounded, specific answer from ``drawings.load``.

Each case of ``hostile.py`` is either refused with ``UnreadableDrawingError`` and the reason
written below, or loaded with the ``DXF-0xx`` finding written below (catalogue section "Drawing
intake — DXF"). Whatever the case, nothing escapes as another exception, nothing hangs, and a
loaded model holds only storable text: no NUL, no lone surrogate, no C0 control other than
newline and tab, and no non-finite coordinate. Markup stays verbatim: encoding it is the job of
each output sink, not of intake.
"""

from __future__ import annotations

import dataclasses
import math
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("drawings.loader")

import drawings  # noqa: E402
from drawings.errors import UnreadableDrawingError  # noqa: E402
from drawings.limits import IngestLimits  # noqa: E402
from drawings.model import DrawingModel, IntakeFinding  # noqa: E402

try:
    from tests.drawings import hostile
except ImportError:  # tests/ is not a package: pytest put this folder on sys.path
    import hostile  # type: ignore[no-redef]

LIMITS = IngestLimits()
_BAD_CHARS = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff]")


def load(path: Path) -> DrawingModel:
    return drawings.load(path)


def refusal(path: Path) -> UnreadableDrawingError:
    with pytest.raises(UnreadableDrawingError) as info:
        load(path)
    error = info.value
    assert error.file == path.name
    assert error.message and error.message_en
    assert re.search("[\u4e00-\u9fff]", error.message), "the Chinese message comes first"
    assert "Traceback" not in error.message_en
    return error


def strings(value: Any) -> Iterator[str]:
    """Every string stored anywhere in a model (dataclasses, tuples, mappings)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (tuple, list, set, frozenset)):
            stack.extend(item)


def assert_storable(model: DrawingModel) -> None:
    """The invariants of every loaded model: text a database takes, finite geometry."""
    for s in strings(model):
        bad = _BAD_CHARS.search(s)
        assert bad is None, f"{bad.group()!r} stored in {s[:80]!r}"
        s.encode("utf-8")  # no lone surrogate survives
    for layer in model.display:
        assert np.isfinite(layer.coords).all(), layer.name
    for obj in model.objects:
        assert obj.geometry.is_empty or np.isfinite(np.asarray(obj.geometry.bounds)).all()
    if model.extents is not None:
        assert all(math.isfinite(v) for v in model.extents)


def findings(model: DrawingModel, code: str) -> list[IntakeFinding]:
    return [f for f in model.findings if f.code == code]


def handles_of(model: DrawingModel, code: str) -> set[str]:
    return {h for f in findings(model, code) for h in f.handles}


def entity_handles(path: Path, dxftype: str, layer: str | None = None) -> set[str]:
    """Handles of the top-level entities of one type, read from the DXF text itself."""
    text = path.read_bytes().decode("utf-8", "replace")
    entities = text.split("\n  0\n")
    out = set()
    for body in entities:
        if not body.startswith(dxftype + "\n"):
            continue
        handle = re.search(r"\n  5\n([0-9A-Fa-f]+)\n", body)
        on_layer = re.search(r"\n  8\n([^\n]*)\n", body)
        if handle and (layer is None or (on_layer and on_layer.group(1) == layer)):
            out.add(handle.group(1))
    return out


def model_space_inserts(path: Path) -> set[str]:
    """Handles of the model-space INSERTs (those after the ENTITIES section starts)."""
    data = path.read_bytes()
    start = data.index(b"\nENTITIES\n")
    end = data.index(b"\nENDSEC\n", start)
    section = data[start:end].decode("utf-8", "replace")
    return set(re.findall(r"\n  0\nINSERT\n  5\n([0-9A-Fa-f]+)\n", section))


# --- refused ---------------------------------------------------------------------------------

REFUSED: dict[str, tuple[Callable[[Path], Path], str]] = {
    "random_bytes": (hostile.random_bytes, "not-dxf"),
    "png_named_dxf": (hostile.png_named_dxf, "image"),
    "zip_deflated": (hostile.zip_named_dxf, "archive"),
    "zip_stored": (lambda d: hostile.zip_named_dxf(d, zipfile.ZIP_STORED), "archive"),
    "dwg_header": (hostile.dwg_header, "dwg"),
    "utf16_bom": (hostile.utf16_dxf, "utf16"),
    "utf16_no_bom": (lambda d: hostile.utf16_dxf(d, bom=False), "utf16"),
    "empty_file": (hostile.empty_file, "empty"),
    "truncated_dxf": (hostile.truncated_dxf, "truncated"),
    "unterminated_header": (hostile.unterminated_header, "truncated"),
    "eof_only": (hostile.eof_only, "no-entities"),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_with_reason(tmp_path: Path, case: str) -> None:
    build, reason = REFUSED[case]
    assert refusal(build(tmp_path)).reason == reason


def test_dwg_refusal_says_save_as_dxf(tmp_path: Path) -> None:
    error = refusal(hostile.dwg_header(tmp_path))
    assert "另存为 DXF" in error.message


# --- broken values: a clean answer, never the library's exception ----------------------------


@pytest.mark.timeout(120)
def test_header_variable_without_value(tmp_path: Path) -> None:
    """ezdxf raises IndexError in both loaders; ours either skips the header or refuses."""
    path = hostile.header_variable_without_value(tmp_path)
    try:
        model = load(path)
    except UnreadableDrawingError as error:
        assert error.reason == "structure"
        return
    assert model.stats.entities == 1
    assert_storable(model)


@pytest.mark.timeout(120)
def test_int_tag_overflow(tmp_path: Path) -> None:
    """ezdxf.readfile raises OverflowError; the valid LINEs must survive, the repair be said."""
    path = hostile.int_tag_overflow(tmp_path)
    try:
        model = load(path)
    except UnreadableDrawingError as error:
        assert error.reason == "structure"
        return
    assert model.stats.entities >= 9
    if model.loaded_via == "recover":
        assert findings(model, "DXF-002")
    assert_storable(model)


@pytest.mark.timeout(120)
def test_lone_carriage_return(tmp_path: Path) -> None:
    path = hostile.line_break_in_value(tmp_path)
    try:
        model = load(path)
    except UnreadableDrawingError as error:
        assert error.reason == "structure"
        return
    assert_storable(model)
    assert not any("\r" in s for s in strings(model))
    layer_names = {layer.name for layer in model.layers}
    assert any("WALL" in name and "FIRE" in name for name in layer_names), layer_names


@pytest.mark.timeout(60)
def test_insert_on_layer_ezdxf_rejects(tmp_path: Path) -> None:
    """ezdxf raises DXFValueError for it; to us it is a drawing with an odd layer name."""
    model = load(hostile.insert_on_invalid_layer(tmp_path))
    assert_storable(model)
    assert hostile.MARKUP_STRINGS[0] in {layer.name for layer in model.layers}
    assert model.stats.entities >= 2


# --- block bombs: loaded, not expanded, DXF-009 names the INSERTs ----------------------------

BOMBS: dict[str, Callable[[Path], Path]] = {
    "self_referencing_block": hostile.self_referencing_block,
    "mutually_recursive_blocks": hostile.mutually_recursive_blocks,
    "deep_block_chain": hostile.deep_block_chain,
    "diamond_lattice": hostile.diamond_lattice,
    "minsert_bomb": hostile.minsert_bomb,
    "nested_minsert": hostile.nested_minsert,
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", sorted(BOMBS))
def test_block_bombs_are_not_expanded(tmp_path: Path, case: str) -> None:
    path = BOMBS[case](tmp_path)
    model = load(path)
    assert_storable(model)
    assert model.stats.expanded_entities <= LIMITS.max_expanded
    inserts = model_space_inserts(path)
    assert inserts and inserts <= handles_of(model, "DXF-009"), [
        (f.message_en, f.handles) for f in model.findings
    ]
    # The control LINE in model space is kept.
    assert model.extents is not None and model.extents[2] - model.extents[0] >= 0.999


@pytest.mark.timeout(30)
def test_minsert_of_empty_block_is_not_expanded(tmp_path: Path) -> None:
    """Nothing comes out of it, but 10^12 placements still cost 10^12 iterations."""
    path = hostile.minsert_of_empty_block(tmp_path)
    model = load(path)
    assert_storable(model)
    assert model_space_inserts(path) <= handles_of(model, "DXF-009")


# --- size ------------------------------------------------------------------------------------


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("build", "dxftype"),
    [(hostile.huge_hatch, "HATCH"), (hostile.huge_lwpolyline, "LWPOLYLINE")],
    ids=["hatch", "lwpolyline"],
)
def test_huge_entities_are_skipped(
    tmp_path: Path, build: Callable[[Path], Path], dxftype: str
) -> None:
    path = build(tmp_path)
    model = load(path)
    assert_storable(model)
    assert entity_handles(path, dxftype) <= handles_of(model, "DXF-009")
    assert model.extents is not None  # the control LINE


@pytest.mark.timeout(300)
def test_million_layers(tmp_path: Path) -> None:
    model = load(hostile.million_layers(tmp_path))
    assert_storable(model)
    (finding,) = [f for f in findings(model, "DXF-009") if f.limit == LIMITS.max_layers]
    assert finding.measured is not None and finding.measured >= 1_000_000
    assert len(model.layers) <= LIMITS.max_layers + 1
    assert "KEEP" in {layer.name for layer in model.layers}


@pytest.mark.timeout(120)
def test_huge_text_is_cut(tmp_path: Path) -> None:
    model = load(hostile.huge_text(tmp_path))
    assert_storable(model)
    assert model.texts, "the text itself is kept"
    assert all(len(t.text) <= LIMITS.max_text_length for t in model.texts)
    assert any(t.text.startswith("防火分区ABCD") for t in model.texts)


# --- geometry --------------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_nonfinite_coordinates_are_dropped_and_listed(tmp_path: Path) -> None:
    path = hostile.nonfinite_coordinates(tmp_path)
    model = load(path)
    assert_storable(model)
    bad = entity_handles(path, "LINE", "BAD") | entity_handles(path, "LWPOLYLINE", "BAD")
    bad |= entity_handles(path, "INSERT", "BAD")
    assert len(bad) == 8
    assert bad <= handles_of(model, "DXF-012"), [(f.code, f.handles) for f in model.findings]
    assert model.extents is not None
    assert all(abs(v) <= LIMITS.max_coordinate for v in model.extents)


# --- text and names --------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_control_characters_are_removed(tmp_path: Path) -> None:
    model = load(hostile.control_characters(tmp_path))
    assert_storable(model)
    texts = [t.text for t in model.texts]
    # The visible parts of every string survive around the removed controls.
    for i in range(len(hostile.CONTROL_STRINGS)):
        assert any(t.startswith(f"T{i} ") for t in texts), texts
        assert any(t.startswith(f"M{i} ") for t in texts), texts
        assert any(layer.name.startswith(f"L{i} ") for layer in model.layers)


@pytest.mark.timeout(60)
def test_markup_survives_as_plain_text(tmp_path: Path) -> None:
    model = load(hostile.markup_in_names(tmp_path))
    assert_storable(model)
    layer_names = {layer.name for layer in model.layers}
    texts = {t.text for t in model.texts}
    for i, payload in enumerate(hostile.MARKUP_STRINGS):
        assert f"L{i} {payload}" in layer_names
        assert f"T{i} {payload}" in texts
        if "{" not in payload:  # in MTEXT, braces are formatting groups and rightly vanish
            assert f"M{i} {payload}\n{payload}" in texts


@pytest.mark.timeout(60)
def test_gbk_bytes_in_utf8_file(tmp_path: Path) -> None:
    model = load(hostile.gbk_in_utf8_file(tmp_path))
    assert_storable(model)
    assert findings(model, "DXF-008")
    assert any("\ufffd" in t.text for t in model.texts)


@pytest.mark.timeout(60)
def test_ansi_936_control_case(tmp_path: Path) -> None:
    model = load(hostile.ansi_936_chinese(tmp_path))
    assert_storable(model)
    assert not findings(model, "DXF-008")
    assert hostile.ANSI_936_STRINGS["layer"] in {layer.name for layer in model.layers}
    texts = {t.text for t in model.texts}
    assert hostile.ANSI_936_STRINGS["text"] in texts
    assert any("疏散楼梯" in t and "耐火等级" in t and "\\P" not in t for t in texts), texts
    assert model.loaded_via == "stream"

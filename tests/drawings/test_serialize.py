"""Tests of the stored drawing-model format: exact round trips, damage detection, atomic saves."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import struct
import time
import types
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import wkt
from shapely.geometry import mapping

from drawings import serialize
from drawings.errors import DrawingError
from drawings.model import (
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
from drawings.serialize import FORMAT_VERSION, ModelFormatError, dumps, load_model, loads, save

HEADER = struct.Struct("<4sHHQII32s")

# --------------------------------------------------------------------------------------------
# Helpers


def assert_same(a: Any, b: Any, where: str = "model") -> None:
    """Deep equality that also requires identical types (tuple vs list, Enum vs str...).

    Mappings are the exception: any mapping is stored and restored as a ``dict``.
    """
    expected = dict if isinstance(a, Mapping) else type(a)
    assert type(b) is expected, f"{where}: {type(b).__name__} != {expected.__name__}"
    if isinstance(a, shapely.Geometry):
        assert shapely.equals_exact(a, b, 0) or (a.is_empty and b.is_empty), where
        assert a.wkb == b.wkb, where
        assert shapely.get_srid(a) == shapely.get_srid(b), where
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, where
        assert a.shape == b.shape, where
        assert np.array_equal(a, b, equal_nan=True), where
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, Mapping):
        assert list(a.keys()) == list(b.keys()), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def empty_model() -> DrawingModel:
    return DrawingModel(
        file="",
        sha256="",
        discipline=None,
        dxf_version="",
        release="",
        encoding="",
        unit="",
        unit_to_m=1.0,
        loaded_via="stream",
        sheets=(),
        objects=(),
        buildings=(),
        layers=(),
        texts=(),
        display=(),
        findings=(),
        stats=Stats(entities=0, layers=0, blocks=0),
    )


def rich_model() -> DrawingModel:
    """A small model that uses every field and every geometry type the loader can produce."""
    hole = wkt.loads("POLYGON ((0 0, 10 0, 10 8, 0 8, 0 0), (2 2, 4 2, 4 4, 2 4, 2 2))")
    geometries = [
        hole,
        wkt.loads("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))"),
        wkt.loads("LINESTRING (0.1 0.2, 12345.678901234 -0.000001, 3 4)"),
        wkt.loads("POINT (1.5 -2.25)"),
        wkt.loads("GEOMETRYCOLLECTION (POINT (1 2), LINESTRING (0 0, 1 1), POLYGON EMPTY)"),
        wkt.loads("POLYGON EMPTY"),
        wkt.loads("POINT EMPTY"),
        wkt.loads("GEOMETRYCOLLECTION EMPTY"),
        wkt.loads("LINEARRING (0 0, 3 0, 3 3, 0 0)"),
        wkt.loads("LINESTRING Z (0 0 1, 1 1 2.5)"),
        shapely.set_srid(wkt.loads("MULTILINESTRING ((0 0, 1 1), (2 2, 3 3))"), 4547),
        shapely.Point(0.1 + 0.2, 1e-300),
        wkt.loads("LINESTRING M (0 0 7, 1 1 8)"),
    ]
    objects = [
        SemanticObject(
            group="A-ROOM",
            layer="建筑-房间",
            handle="1A2",
            kind="LWPOLYLINE",
            shape=geometries[0],
            sheet=0,
            closed=True,
        ),
        SemanticObject(
            group="F-AREA",
            layer="防火分区",
            handle="1A3",
            kind="HATCH",
            shape=geometries[1],
            sheet=None,
        ),
        SemanticObject(
            group="A-WALL", layer="WALL", handle="1A4", kind="LINE", shape=geometries[2]
        ),
        SemanticObject(
            group="A-TEXT",
            layer="文字",
            handle="1A5",
            kind="MTEXT",
            shape=geometries[3],
            sheet=3,
            text="消防车道\n<b>宽度</b> &amp; {\\fSimSun|b0;4.0m}\\P 第二行 😀",
            point=(1.5, -2.25),
            rotation=90.0,
        ),
        SemanticObject(
            group="A-DOOR",
            layer="门",
            handle="2B0",
            kind="INSERT",
            shape=geometries[4],
            sheet=1,
            attrs={"编号": "M1021", "FIRE": "甲级", "": ""},
            block="DOOR_防火门",
            point=(3.0, 4.0),
            rotation=-45.5,
            size=(1.0, 0.24),
            in_block=False,
        ),
        SemanticObject(
            group="A-WALL",
            layer="WALL",
            handle="2B0",
            kind="LINE",
            shape=geometries[5],
            in_block=True,
        ),
        SemanticObject(
            group="A-AXIS", layer="AXIS", handle="2C1", kind="POINT", shape=geometries[6]
        ),
        SemanticObject(
            group="A-MISC", layer="0", handle="2C2", kind="INSERT", shape=geometries[7]
        ),
        SemanticObject(
            group="A-ROOM",
            layer="建筑-房间",
            handle="2C3",
            kind="LWPOLYLINE",
            shape=geometries[8],
            closed=True,
            attrs=types.MappingProxyType({"k": "v"}),
        ),
        SemanticObject(
            group="A-WALL", layer="WALL", handle="2C4", kind="POLYLINE", shape=geometries[9]
        ),
        SemanticObject(
            group="A-WALL", layer="WALL", handle="2C5", kind="SPLINE", shape=geometries[10]
        ),
        SemanticObject(
            group="A-TEXT",
            layer="文字",
            handle="2C6",
            kind="TEXT",
            shape=geometries[11],
            text="",
            point=(0.0, -0.0),
            size=(float("inf"), 0.0),
        ),
        SemanticObject(
            group="A-WALL", layer="WALL", handle="2C7", kind="POLYLINE", shape=geometries[12]
        ),
    ]
    location_polygon = dict(mapping(hole))  # GeoJSON with tuples, as shapely produces it
    findings = [
        IntakeFinding(
            code="DXF-012",
            slug="unclosed-area",
            severity=Severity.WARNING,
            message="防火分区边界未闭合",
            message_en="Fire compartment boundary is not closed",
            file="建筑/一层平面.dxf",
            sheet="JS-01",
            layer="防火分区",
            location=location_polygon,
            handles=("1A3", "1A4"),
            measured=0.015,
            limit=0.001,
            unit="m",
            details=("gap at (1.0, 2.0)", "第二处"),
        ),
        IntakeFinding(
            code="DXF-020",
            slug="unmapped-layer",
            severity=Severity.INFO,
            message="图层未映射",
            message_en="Layer is not mapped",
            location={"type": "Point", "coordinates": [1.0, 2.0], "extra": {1: (None, True)}},
        ),
        IntakeFinding(
            code="DXF-001",
            slug="x",
            severity=Severity.ERROR,
            message="",
            message_en="",
        ),
    ]
    display = (
        DisplayLayer(
            name="WALL",
            group="A-WALL",
            coords=np.array([[0.0, 0.0], [1.0, 0.5], [2.0, 0.0], [5.0, 5.0], [6.0, 6.0]]),
            offsets=np.array([0, 3, 5], dtype=np.int64),
        ),
        DisplayLayer(
            name="未映射",
            group=None,
            coords=np.empty((0, 2), dtype=np.float64),
            offsets=np.array([0], dtype=np.int64),
        ),
        DisplayLayer(
            name="PROXY",
            group=None,
            coords=np.array([[np.nan, 1e308], [-0.0, 5e-324]]),
            offsets=np.empty(0, dtype=np.int64),
        ),
    )
    return DrawingModel(
        file="总图/总平面图.dxf",
        sha256=hashlib.sha256(b"dxf").hexdigest(),
        discipline=Discipline.FIRE,
        dxf_version="AC1032",
        release="R2018",
        encoding="cp936",
        unit="mm",
        unit_to_m=0.001,
        loaded_via="recover",
        sheets=(
            Sheet(
                index=0,
                sheet_no="JS-01",
                title="一层平面图",
                floor="1",
                scale="1:100",
                bbox=(0.0, 0.0, 84.1, 59.4),
                source="frame",
                handle="3F",
                origin=(1.25, 2.5),
            ),
            Sheet(
                index=1,
                sheet_no=None,
                title=None,
                floor=None,
                scale=None,
                bbox=(-1.0, -2.0, 3.0, 4.0),
                source="model",
            ),
        ),
        objects=tuple(objects),
        buildings=(
            Building(
                name="1#楼",
                handle="BLDG1",
                point=(100.0, 200.5),
                rotation=12.5,
                attrs={"层数": "18", "HEIGHT": "54.3"},
                sheet=0,
            ),
            Building(name="", handle="B2", point=(0.0, 0.0), rotation=0.0, attrs={}),
        ),
        layers=(
            LayerInfo(name="WALL", group="A-WALL", entities=3),
            LayerInfo(name="未映射", group=None, entities=0),
        ),
        texts=(
            TextItem(
                layer="文字", text="消防车道", x=1.0, y=2.0, height=0.35, rotation=0.0, handle="1A5"
            ),
            TextItem(
                layer="文字",
                text="<i>markup</i>",
                x=-1.0,
                y=2e9,
                height=0.0,
                rotation=359.9,
                handle="1A6",
                align="mm",
            ),
            TextItem(layer="文字", text="右上\n两行", x=3.0, y=4.0, height=0.5, rotation=90.0,
                     handle="1A7", align="ra"),
        ),
        display=display,
        findings=tuple(findings),
        stats=Stats(entities=42, layers=7, blocks=3, expanded_entities=40, semantic_objects=12),
        extents=(-1.0, -2.0, 84.1, 59.4),
    )


def repack(data: bytes, doc: bytes | None = None, payload: bytes | None = None) -> bytes:
    """Rewrite a stored model with a new document or payload and a *valid* digest.

    Damage that a checksum would catch is tested elsewhere; this forges files whose digest is
    right but whose content is wrong, as a buggy writer could produce.
    """
    magic, version, flags, _, doc_stored, doc_raw, _ = HEADER.unpack_from(data)
    body = data[HEADER.size :]
    if doc is not None:
        packed = zlib.compress(doc)
        pad = bytes(-len(packed) % 8)
        old_end = doc_stored + (-doc_stored % 8)
        body = packed + pad + body[old_end:]
        doc_stored, doc_raw = len(packed), len(doc)
        # Block offsets are relative to the end of the document, so they stay valid.
    if payload is not None:
        body = payload
    prefix = HEADER.pack(magic, version, flags, len(body), doc_stored, doc_raw, b"")[:24]
    return prefix + hashlib.sha256(prefix + body).digest() + body


def document(data: bytes) -> dict[str, Any]:
    _, _, _, _, doc_stored, _, _ = HEADER.unpack_from(data)
    raw = zlib.decompress(data[HEADER.size : HEADER.size + doc_stored])
    doc: dict[str, Any] = json.loads(raw.decode("utf-8", "surrogatepass"))
    return doc


# --------------------------------------------------------------------------------------------
# Round trips


def test_round_trip_every_field() -> None:
    model = rich_model()
    back = loads(dumps(model))
    assert_same(model, back)
    assert back.objects == model.objects  # plain == holds too (DisplayLayer arrays excepted)
    assert isinstance(back.discipline, Discipline)
    assert all(isinstance(f.severity, Severity) for f in back.findings)
    assert back.objects[8].geometry.geom_type == "LinearRing"
    assert shapely.has_z(back.objects[9].geometry)
    assert shapely.get_srid(back.objects[10].geometry) == 4547
    assert shapely.has_m(back.objects[12].geometry)
    assert type(back.findings[0].location["coordinates"]) is tuple  # type: ignore[index]
    assert back.findings[1].location == {
        "type": "Point",
        "coordinates": [1.0, 2.0],
        "extra": {1: (None, True)},
    }


def test_every_model_field_is_covered() -> None:
    # When this fails, model.py changed: store the new field in drawings.serialize, extend
    # rich_model() above, and either read files without it as before (an optional block, as
    # for TextItem.align) or bump FORMAT_VERSION so that old files are re-read from DXF.
    expected = {
        DrawingModel: "file sha256 discipline dxf_version release encoding unit unit_to_m "
        "loaded_via sheets objects buildings layers texts display findings stats extents",
        SemanticObject: "group layer handle kind shape sheet text attrs block point rotation "
        "size closed in_block",
        Sheet: "index sheet_no title floor scale bbox source handle origin",
        Building: "name handle point rotation attrs sheet",
        LayerInfo: "name group entities",
        TextItem: "layer text x y height rotation handle align",
        DisplayLayer: "name group coords offsets",
        IntakeFinding: "code slug severity message message_en file sheet layer location "
        "handles measured limit unit details",
        Stats: "entities layers blocks expanded_entities semantic_objects",
    }
    for cls, names in expected.items():
        assert [f.name for f in dataclasses.fields(cls)] == names.split(), cls.__name__


def test_a_model_stored_before_texts_kept_alignment_still_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Models written without the ``text.align`` block (stored by an earlier version of the
    platform, e.g. a previous review round) load with the old reading: left baseline, top left
    for several lines. Anything else in the block is refused as damage."""
    model = rich_model()
    real_add = serialize._BlockWriter.add

    def without_align(self: Any, name: str, *args: Any, **kw: Any) -> Any:
        return None if name == "text.align" else real_add(self, name, *args, **kw)

    monkeypatch.setattr(serialize._BlockWriter, "add", without_align)
    old = loads(dumps(model))
    monkeypatch.undo()
    assert [t.align for t in old.texts] == ["ls", "ls", "la"]
    assert [dataclasses.replace(t, align="ls") for t in old.texts] == [
        dataclasses.replace(t, align="ls") for t in model.texts]
    assert [t.align for t in loads(dumps(model)).texts] == ["ls", "mm", "ra"]


def test_empty_model_round_trips() -> None:
    model = empty_model()
    data = dumps(model)
    assert data[:4] == b"LSDM"
    back = loads(data)
    assert_same(model, back)


@pytest.mark.parametrize("level", [0, 1, 9])
def test_compression_levels_round_trip(level: int) -> None:
    model = rich_model()
    assert_same(model, loads(dumps(model, level=level)))


def test_invalid_level_rejected() -> None:
    with pytest.raises(ValueError, match="level"):
        dumps(empty_model(), level=10)


def test_dumps_is_deterministic() -> None:
    data = dumps(rich_model())
    assert dumps(rich_model()) == data
    assert dumps(loads(data)) == data


def test_loads_accepts_bytearray_and_memoryview() -> None:
    data = dumps(rich_model())
    assert_same(rich_model(), loads(bytearray(data)))
    assert_same(rich_model(), loads(memoryview(data)))


def test_display_arrays_are_independent_copies() -> None:
    data = bytearray(dumps(rich_model()))
    back = loads(data)
    coords = back.display[0].coords
    assert coords.flags.writeable and coords.flags.owndata and coords.flags.c_contiguous
    data[:] = bytes(len(data))  # the loaded model must not depend on the input buffer
    assert coords[1, 0] == 1.0
    assert back.display[0].offsets.dtype == np.int64


def test_lone_surrogate_is_preserved() -> None:
    odd = "坏\ud800字\udfff"
    model = dataclasses.replace(
        empty_model(),
        file=odd,
        texts=(TextItem(layer=odd, text=odd, x=0, y=0, height=1, rotation=0, handle="1"),),
        objects=(
            SemanticObject(
                group="G",
                layer=odd,
                handle="1",
                kind="TEXT",
                shape=shapely.Point(0, 0),
                text=odd,
                attrs={odd: odd},
            ),
        ),
    )
    back = loads(dumps(model))
    assert back.file == odd
    assert back.texts[0].text == odd
    assert back.objects[0].attrs == {odd: odd}


def test_strings_are_shared_after_loading() -> None:
    objects = tuple(
        SemanticObject(
            group="A-WALL",
            layer="墙" + "",
            handle=f"{i:X}",
            kind="LINE",
            shape=shapely.LineString([(i, 0), (i, 1)]),
        )
        for i in range(50)
    )
    back = loads(dumps(dataclasses.replace(empty_model(), objects=objects)))
    assert len({id(o.layer) for o in back.objects}) == 1
    assert [o.handle for o in back.objects] == [o.handle for o in objects]


nested = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(location=st.dictionaries(st.text(max_size=8), nested, max_size=4), text=st.text())
def test_nested_locations_and_any_text_round_trip(location: dict[str, Any], text: str) -> None:
    finding = IntakeFinding(
        code="DXF-099",
        slug=text,
        severity=Severity.INFO,
        message=text,
        message_en=text,
        location=location,
    )
    obj = SemanticObject(
        group=text,
        layer=text,
        handle=text,
        kind="TEXT",
        shape=shapely.Point(1, 2),
        text=text,
        attrs={text: text},
    )
    model = dataclasses.replace(empty_model(), findings=(finding,), objects=(obj,))
    assert_same(model, loads(dumps(model)))


# --------------------------------------------------------------------------------------------
# Models that cannot be stored


def test_non_geometry_is_refused() -> None:
    bad = SemanticObject(group="G", layer="L", handle="1", kind="LINE", shape="LINE")
    with pytest.raises(TypeError, match="geometry"):
        dumps(dataclasses.replace(empty_model(), objects=(bad,)))


def test_unsupported_location_value_is_refused() -> None:
    finding = IntakeFinding(
        code="DXF-099",
        slug="s",
        severity=Severity.INFO,
        message="m",
        message_en="m",
        location={"bad": {1, 2}},
    )
    with pytest.raises(TypeError, match="set"):
        dumps(dataclasses.replace(empty_model(), findings=(finding,)))


def test_numpy_scalars_in_location_are_stored_as_values() -> None:
    finding = IntakeFinding(
        code="DXF-099",
        slug="s",
        severity=Severity.INFO,
        message="m",
        message_en="m",
        location={"type": "Point", "coordinates": (np.float32(1.5), np.int64(2))},
    )
    back = loads(dumps(dataclasses.replace(empty_model(), findings=(finding,))))
    assert back.findings[0].location == {"type": "Point", "coordinates": (1.5, 2)}


def test_non_string_attr_is_refused() -> None:
    bad = SemanticObject(
        group="G",
        layer="L",
        handle="1",
        kind="INSERT",
        shape=shapely.Point(0, 0),
        attrs={"n": 3},  # type: ignore[dict-item]
    )
    with pytest.raises(TypeError, match="attrs value"):
        dumps(dataclasses.replace(empty_model(), objects=(bad,)))


# --------------------------------------------------------------------------------------------
# Damaged, foreign and future files


def assert_format_error(data: bytes, reason: str) -> ModelFormatError:
    with pytest.raises(ModelFormatError) as info:
        loads(data)
    error = info.value
    assert isinstance(error, DrawingError)
    assert error.reason == reason, str(error)
    text = str(error)
    assert text.index(error.message) < text.index(error.message_en)  # Chinese first
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.message)
    assert error.message_en.isascii()
    return error


@pytest.fixture(scope="module")
def stored() -> bytes:
    return dumps(rich_model())


@pytest.mark.parametrize("cut", [1, 3, 4, 6, 20, 55, 56, 100, -100, -1])
def test_truncated_data(stored: bytes, cut: int) -> None:
    error = assert_format_error(stored[:cut], "truncated")
    assert "truncated" in error.message_en


def test_empty_data() -> None:
    assert_format_error(b"", "empty")


def test_wrong_magic(stored: bytes) -> None:
    error = assert_format_error(b"PK\x03\x04" + stored[4:], "magic")
    assert "magic" in error.message_en
    assert_format_error(b"0\nSECTION\n2\nHEADER\n", "magic")
    assert_format_error(b"L", "truncated")  # a prefix of the magic is a truncated model


def test_future_version(stored: bytes) -> None:
    future = stored[:4] + struct.pack("<H", FORMAT_VERSION + 1) + stored[6:]
    error = assert_format_error(future, "version")
    assert "newer" in error.message_en
    assert str(FORMAT_VERSION + 1) in error.message
    # A newer layout may have a different header, so the version is judged on 6 bytes alone.
    assert_format_error(future[:6], "version")


def test_old_version(stored: bytes) -> None:
    old = stored[:4] + struct.pack("<H", 0) + stored[6:]
    error = assert_format_error(old, "version")
    assert "newer" not in error.message_en


def test_trailing_bytes(stored: bytes) -> None:
    assert_format_error(stored + b"\0", "corrupt")


def test_unknown_flags(stored: bytes) -> None:
    assert_format_error(stored[:6] + b"\x01\x00" + stored[8:], "corrupt")


@pytest.mark.parametrize("position", [16, 20, 24, 40, 56, 60, 100, 0.5, -8, -1])
def test_flipped_byte(stored: bytes, position: float) -> None:
    index = int(len(stored) * position) if isinstance(position, float) else int(position)
    damaged = bytearray(stored)
    damaged[index] ^= 0x10
    assert_format_error(bytes(damaged), "checksum")


def test_flipped_length_field(stored: bytes) -> None:
    damaged = bytearray(stored)
    damaged[8] ^= 0x01  # payload length
    with pytest.raises(ModelFormatError) as info:
        loads(bytes(damaged))
    assert info.value.reason in {"truncated", "corrupt"}


@pytest.mark.parametrize(
    "doc",
    [
        b"not json",
        b"\xff\xfe",
        b"{}",
        b"[]",
        b'{"blocks": 5}',
    ],
)
def test_forged_document_is_reported_as_corrupt(stored: bytes, doc: bytes) -> None:
    assert_format_error(repack(stored, doc=doc), "corrupt")


def test_forged_blocks_are_reported_as_corrupt(stored: bytes) -> None:
    doc = document(stored)
    doc_wrong_dtype = json.loads(json.dumps(doc))
    for entry in doc_wrong_dtype["blocks"]:
        entry[1] = "<c16"
    forged = [
        doc_wrong_dtype,
        {**doc, "strings": doc["strings"][:1]},  # codes out of range
        {**doc, "counts": [len(rich_model().objects) + 1, 0]},
        {**doc, "rings": [10_000]},
        {
            **doc,
            "findings": [
                ["DXF-1", "s", "fatal", "", "", None, None, None, None, [], None, None, None, []]
            ],
        },
        {**doc, "findings": [[1, 2]]},
        {**doc, "display": [["L", None, [10**9, 2], [1]]]},
    ]
    for variant in forged:
        raw = json.dumps(variant, ensure_ascii=False).encode("utf-8", "surrogatepass")
        assert_format_error(repack(stored, doc=raw), "corrupt")


def test_forged_wkb_is_reported_as_corrupt() -> None:
    model = dataclasses.replace(
        empty_model(),
        objects=(
            SemanticObject(
                group="G", layer="L", handle="1", kind="LINE", shape=shapely.Point(0, 0)
            ),
        ),
    )
    data = dumps(model, level=0)
    doc = document(data)
    entry = next(e for e in doc["blocks"] if e[0] == "geom.wkb")
    _, _, _, _, doc_stored, _, _ = HEADER.unpack_from(data)
    body = bytearray(data[HEADER.size :])
    start = doc_stored + (-doc_stored % 8) + entry[3]
    body[start + 1] = 0x7F  # geometry type 127 does not exist
    assert_format_error(repack(data, payload=bytes(body)), "corrupt")


def test_forged_zlib_block_is_reported_as_corrupt() -> None:
    data = dumps(rich_model(), level=1)
    doc = document(data)
    for entry in doc["blocks"]:
        entry[5] += 1  # raw length no longer matches what the stream inflates to
    raw = json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")
    assert_format_error(repack(data, doc=raw), "corrupt")


# --------------------------------------------------------------------------------------------
# Files


def test_save_and_load_model(tmp_path: Path) -> None:
    path = tmp_path / "model.lsdm"
    save(rich_model(), path)
    assert_same(rich_model(), load_model(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.lsdm"]
    save(empty_model(), path)  # overwrite
    assert_same(empty_model(), load_model(path))


def test_saved_file_has_ordinary_permissions(tmp_path: Path) -> None:
    path = tmp_path / "model.lsdm"
    old = os.umask(0o022)
    try:
        save(empty_model(), path)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_load_model_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.lsdm"
    path.write_bytes(b"LSDM\x01\x00")
    with pytest.raises(ModelFormatError) as info:
        load_model(path)
    assert info.value.file == str(path)
    assert str(path) in str(info.value)
    assert info.value.reason == "truncated"


def test_load_model_missing_file_is_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.lsdm")


def test_save_of_unstorable_model_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "model.lsdm"
    save(rich_model(), path)
    before = path.read_bytes()
    bad = SemanticObject(group="G", layer="L", handle="1", kind="LINE", shape=object())
    with pytest.raises(TypeError):
        save(dataclasses.replace(rich_model(), objects=(bad,)), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.lsdm"]


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_save_failure_keeps_old_file_and_removes_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = tmp_path / "model.lsdm"
    save(empty_model(), path)
    before = path.read_bytes()

    def boom(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError, match="space"):
        save(rich_model(), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.lsdm"]


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores directory permissions"
)
def test_save_into_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError):
            save(empty_model(), folder / "model.lsdm")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


# --------------------------------------------------------------------------------------------
# Size smoke test (timings are printed with -s, never asserted)


def large_model(n_objects: int = 100_000, n_vertices: int = 1_000_000) -> DrawingModel:
    """A synthetic drawing of roughly the size of a large tower's floor-plan set."""
    rng = np.random.default_rng(20240601)
    layers = [f"建筑-{name}" for name in ("墙", "门", "窗", "柱", "房间", "文字", "标注")] + [
        f"LAYER-{i}" for i in range(33)
    ]
    groups = ["A-WALL", "A-DOOR", "A-WIND", "A-COLU", "A-ROOM", "A-TEXT", "A-DIMS"] + [
        "A-MISC"
    ] * 33

    def mm(values: np.ndarray) -> np.ndarray:
        return np.round(values, 1) * 0.001  # DXF millimetres with one decimal, in metres

    x = mm(rng.uniform(0, 200_000, n_objects))
    y = mm(rng.uniform(0, 150_000, n_objects))
    w = mm(rng.uniform(100, 6_000, n_objects))
    h = mm(rng.uniform(100, 6_000, n_objects))
    kind_of = rng.integers(0, 10, n_objects)  # 0-4 lines, 5-7 rooms, 8 texts, 9 inserts
    lines = shapely.linestrings(
        np.stack([np.stack([x, y], 1), np.stack([x + w, y + h * (kind_of % 2)], 1)], 1)
    )
    boxes = shapely.box(x, y, x + w, y + h)
    points = shapely.points(x, y)
    geoms = np.where(kind_of < 5, lines, np.where(kind_of < 8, boxes, points))
    layer_of = rng.integers(0, len(layers), n_objects)
    objects = []
    for i, (k, la, g) in enumerate(zip(kind_of.tolist(), layer_of.tolist(), geoms, strict=True)):
        is_insert = k == 9
        objects.append(
            SemanticObject(
                group=groups[la],
                layer=layers[la],
                handle=f"{i + 0x100:X}",
                kind="INSERT" if is_insert else "TEXT" if k == 8 else "LWPOLYLINE",
                shape=g,
                sheet=i % 12,
                text=f"房间{i}" if k == 8 else None,
                attrs={"编号": f"M{i % 50:04d}", "TYPE": "FM甲"} if is_insert else {},
                block="DOOR" if is_insert else None,
                point=(float(x[i]), float(y[i])) if k >= 8 else None,
                rotation=90.0 if is_insert else 0.0,
                size=(float(w[i]), float(h[i])) if is_insert else None,
                closed=5 <= k < 8,
            )
        )
    per_path = 4
    coords = mm(np.cumsum(rng.normal(0, 3_000, (n_vertices, 2)), axis=0) + 100_000)
    layer_sizes = np.diff(np.linspace(0, n_vertices // per_path, 41).astype(np.int64)) * per_path
    display = []
    start = 0
    for name, group, size in zip(layers, groups, layer_sizes.tolist(), strict=True):
        display.append(
            DisplayLayer(
                name=name,
                group=group,
                coords=coords[start : start + size].copy(),
                offsets=np.arange(0, size + 1, per_path, dtype=np.int64),
            )
        )
        start += size
    texts = tuple(
        TextItem(
            layer="建筑-文字",
            text=f"房间{i}",
            x=i * 0.5,
            y=1.0,
            height=0.35,
            rotation=0.0,
            handle=f"T{i:X}",
        )
        for i in range(10_000)
    )
    return dataclasses.replace(
        rich_model(), objects=tuple(objects), display=tuple(display), texts=texts
    )


def test_large_model_size_smoke() -> None:
    model = large_model()
    t0 = time.perf_counter()
    data = dumps(model)
    t1 = time.perf_counter()
    back = loads(data)
    t2 = time.perf_counter()
    n_vertices = sum(len(d.coords) for d in model.display)
    raw_coords = n_vertices * 16
    wkb = sum(len(g.wkb) for g in (o.geometry for o in model.objects))
    print(  # noqa: T201
        f"\n{len(model.objects)} objects, {n_vertices} display vertices: {len(data):,} bytes "
        f"(raw coords {raw_coords:,}, raw WKB {wkb:,}); dumps {t1 - t0:.3f}s, "
        f"loads {t2 - t1:.3f}s"
    )
    # A DXF spends ~40 bytes per vertex on group codes and decimal text; the stored model
    # must stay well below the raw binary size of its coordinates plus geometries.
    assert len(data) < raw_coords + wkb
    assert len(data) < 30_000_000
    assert back.objects == model.objects
    assert back.texts == model.texts
    for a, b in zip(model.display, back.display, strict=True):
        assert_same(a, b)

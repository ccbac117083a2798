"""End-to-end ingestion of small drawings built in code: every feature of the loader, in metres."""

from __future__ import annotations

import math
from pathlib import Path

import ezdxf
import pytest
from ezdxf.enums import InsertUnits, TextEntityAlignment

from drawings import Discipline, LayerMap, load
from drawings.serialize import dumps, loads


def _doc(version: str = "R2018", units: int | None = 4) -> ezdxf.document.Drawing:
    doc = ezdxf.new(version)
    if units is None:
        doc.header["$INSUNITS"] = 0
    else:
        doc.units = units
    return doc


def _save(doc: ezdxf.document.Drawing, tmp_path: Path, name: str = "d.dxf") -> Path:
    path = tmp_path / name
    doc.saveas(path)
    return path


def _codes(model: object) -> list[str]:
    return [f.code for f in model.findings]  # type: ignore[attr-defined]


def test_units_are_converted_to_metres(tmp_path: Path) -> None:
    doc = _doc(units=InsertUnits.Millimeters)
    doc.modelspace().add_lwpolyline(
        [(0, 0), (4000, 0), (4000, 3000), (0, 3000)], close=True, dxfattribs={"layer": "SPACE"}
    )
    model = load(_save(doc, tmp_path))
    (room,) = model.group("A-AREA")
    assert room.geometry.area == pytest.approx(12.0)
    assert model.unit == "mm" and model.unit_to_m == 0.001
    assert "DXF-003" not in _codes(model)


def test_unset_units_assume_project_unit_and_say_so(tmp_path: Path) -> None:
    doc = _doc(units=None)
    doc.modelspace().add_lwpolyline(
        [(0, 0), (4, 0), (4, 3), (0, 3)], close=True, dxfattribs={"layer": "SPACE"}
    )
    model = load(_save(doc, tmp_path), drawing_unit="m")
    (room,) = model.group("A-AREA")
    assert room.geometry.area == pytest.approx(12.0)
    (finding,) = [f for f in model.findings if f.code == "DXF-003"]
    assert finding.severity.value == "warning" and "m" in finding.message


def test_blocks_nested_mirrored_arrays_and_layer_zero(tmp_path: Path) -> None:
    doc = _doc()
    inner = doc.blocks.new("INNER")
    inner.add_line((0, 0), (1000, 0))  # layer 0: takes the layer of the INSERT
    outer = doc.blocks.new("OUTER", base_point=(0, 0))
    outer.add_blockref("INNER", (500, 0), dxfattribs={"layer": "0"})
    msp = doc.modelspace()
    msp.add_blockref("OUTER", (10000, 0), dxfattribs={"layer": "WALL"})
    msp.add_blockref("OUTER", (20000, 0), dxfattribs={"layer": "WALL", "xscale": -1})
    arr = msp.add_blockref("INNER", (0, 10000), dxfattribs={"layer": "WALL"})
    arr.grid(size=(2, 3), spacing=(2000, 5000))
    model = load(_save(doc, tmp_path))
    walls = sorted(
        tuple(round(c, 6) for c in o.geometry.bounds)
        for o in model.group("A-WALL")
        if o.kind == "LINE"
    )
    assert walls == sorted(
        [
            (10.5, 0.0, 11.5, 0.0),  # nested: 10 m + 0.5 m
            (18.5, 0.0, 19.5, 0.0),  # mirrored: x → -x around the insertion point
            (0.0, 10.0, 1.0, 10.0),
            (5.0, 10.0, 6.0, 10.0),
            (10.0, 10.0, 11.0, 10.0),
            (0.0, 12.0, 1.0, 12.0),
            (5.0, 12.0, 6.0, 12.0),
            (10.0, 12.0, 11.0, 12.0),
        ]
    )
    assert all(o.in_block for o in model.group("A-WALL") if o.kind == "LINE")


def test_ocs_mirrored_insert_by_extrusion(tmp_path: Path) -> None:
    doc = _doc()
    blk = doc.blocks.new("B")
    blk.add_line((0, 0), (1000, 0))
    doc.modelspace().add_blockref(
        "B", (5000, 0), dxfattribs={"layer": "WALL", "extrusion": (0, 0, -1)}
    )
    model = load(_save(doc, tmp_path))
    (line,) = [o for o in model.group("A-WALL") if o.kind == "LINE"]
    assert line.geometry.bounds == pytest.approx((-6.0, 0.0, -5.0, 0.0))


def test_mtext_escapes_split_across_chunks_and_formatting(tmp_path: Path) -> None:
    doc = _doc("R2000")
    content = "{\\fSimSun|b0|i0|c134;\\H2.5x;设计说明}\\P" + "x" * 245 + "\\U+5899\\U+4F53"
    mt = doc.modelspace().add_mtext(content, dxfattribs={"layer": "PUB_TEXT"})
    path = _save(doc, tmp_path)
    raw = path.read_text(encoding="cp1252", errors="replace")
    assert "\\U+5899" in raw or "\\U+589" in raw  # really stored as an escape
    model = load(path)
    (text,) = [t.text for t in model.texts]
    assert text.startswith("设计说明\n")
    assert text.endswith("墙体")
    assert "\\f" not in text and "{" not in text
    assert mt.dxf.handle in [t.handle for t in model.texts]


def test_gbk_r2000_text_decodes(tmp_path: Path) -> None:
    doc = _doc("R2000")
    doc.header["$DWGCODEPAGE"] = "ANSI_936"
    doc.encoding = "gbk"
    doc.modelspace().add_text("卧室", dxfattribs={"layer": "房间名称", "height": 300})
    doc.layers.add("房间名称")
    path = _save(doc, tmp_path)
    assert "卧室".encode("gbk") in path.read_bytes()
    model = load(path)
    assert [t.text for t in model.texts] == ["卧室"]
    assert "房间名称" in [layer.name for layer in model.layers]
    assert model.encoding == "gb18030"


def test_texts_keep_the_point_the_drawing_aligns_them_by(tmp_path: Path) -> None:
    """A centred room name is given by its centre, a right-aligned one by its right end and
    an MTEXT by its attachment point: the model keeps that point and which point it is, in
    metres, also inside a block."""
    doc = _doc(units=InsertUnits.Millimeters)
    msp = doc.modelspace()
    msp.add_text("左下", dxfattribs={"layer": "T", "height": 300, "insert": (1000, 2000)})
    msp.add_text("居中", dxfattribs={"layer": "T", "height": 300}).set_placement(
        (5000, 2000), align=TextEntityAlignment.MIDDLE_CENTER)
    msp.add_text("右上", dxfattribs={"layer": "T", "height": 300}).set_placement(
        (9000, 2000), align=TextEntityAlignment.TOP_RIGHT)
    msp.add_text("对齐", dxfattribs={"layer": "T", "height": 300}).set_placement(
        (1000, 6000), (3000, 6000), align=TextEntityAlignment.ALIGNED)
    msp.add_text("正中", dxfattribs={"layer": "T", "height": 300}).set_placement(
        (7000, 6000), align=TextEntityAlignment.MIDDLE)
    msp.add_mtext("两行\\P说明", dxfattribs={"layer": "T", "char_height": 300,
                                           "insert": (4000, 9000), "attachment_point": 9})
    blk = doc.blocks.new("ROOMTAG")
    blk.add_text("房间", dxfattribs={"height": 300}).set_placement(
        (0, 0), align=TextEntityAlignment.MIDDLE_CENTER)
    msp.add_blockref("ROOMTAG", (20000, 3000), dxfattribs={"layer": "T"})
    model = load(_save(doc, tmp_path))
    got = {t.text: (t.align, round(t.x, 3), round(t.y, 3)) for t in model.texts}
    assert got == {
        "左下": ("ls", 1.0, 2.0),
        "居中": ("mm", 5.0, 2.0),
        "右上": ("ra", 9.0, 2.0),
        "对齐": ("ms", 2.0, 6.0),
        "正中": ("mm", 7.0, 6.0),
        "两行\n说明": ("rd", 4.0, 9.0),
        "房间": ("mm", 20.0, 3.0),
    }
    assert {t.text: t.align for t in loads(dumps(model)).texts} == {
        k: v[0] for k, v in got.items()}


def test_text_attrib_and_special_codes(tmp_path: Path) -> None:
    doc = _doc()
    blk = doc.blocks.new("AXISBUBBLE")
    blk.add_circle((0, 0), 400)
    blk.add_attdef("NO", (0, 0), dxfattribs={"height": 300})
    msp = doc.modelspace()
    ref = msp.add_blockref("AXISBUBBLE", (0, 0), dxfattribs={"layer": "AXIS"})
    ref.add_attrib("NO", "A", (0, 0))
    msp.add_text("%%c100 ±", dxfattribs={"layer": "PUB_TEXT"})
    model = load(_save(doc, tmp_path))
    labels = [o for o in model.group("A-AXIS-IDEN") if o.kind == "INSERT"]
    assert labels and labels[0].attrs == {"NO": "A"}
    assert "Ø100 ±" in [t.text for t in model.texts]


def _frame_block(doc: ezdxf.document.Drawing) -> None:
    blk = doc.blocks.new("TK-A1")
    blk.add_lwpolyline([(0, 0), (84100, 0), (84100, 59400), (0, 59400)], close=True)
    for i, tag in enumerate(("SHEET_NO", "TITLE", "FLOOR", "SCALE")):
        blk.add_attdef(tag, (80000, 1000 + 800 * i), dxfattribs={"height": 350})


def _frame(msp: object, x: float, attrs: dict[str, str]) -> None:
    ref = msp.add_blockref("TK-A1", (x, 0), dxfattribs={"layer": "图框"})  # type: ignore[attr-defined]
    ref.add_auto_attribs(attrs)


def test_sheets_floors_and_registration(tmp_path: Path) -> None:
    doc = _doc()
    _frame_block(doc)
    msp = doc.modelspace()
    _frame(msp, 0, {"SHEET_NO": "A-01", "TITLE": "一层平面图", "FLOOR": "1", "SCALE": "1:100"})
    _frame(msp, 100000, {"SHEET_NO": "A-02", "TITLE": "地下一层平面图"})  # floor from the title
    _frame(msp, 200000, {"SHEET_NO": "A-03"})  # no title, no floor: DXF-011
    for x0 in (0, 100000):
        # axis 1 vertical at x0+10000, axis A horizontal at y=8000; labels at the line ends
        msp.add_line((x0 + 10000, 5000), (x0 + 10000, 40000), dxfattribs={"layer": "DOTE"})
        msp.add_line((x0 + 7000, 8000), (x0 + 60000, 8000), dxfattribs={"layer": "DOTE"})
        msp.add_line((x0 + 20000, 5000), (x0 + 20000, 40000), dxfattribs={"layer": "DOTE"})
        msp.add_text("1", dxfattribs={"layer": "AXIS_TEXT", "insert": (x0 + 9900, 4000)})
        msp.add_text("2", dxfattribs={"layer": "AXIS_TEXT", "insert": (x0 + 19900, 4000)})
        msp.add_text("A", dxfattribs={"layer": "AXIS_TEXT", "insert": (x0 + 6000, 7900)})
    model = load(_save(doc, tmp_path))
    sheets = {s.sheet_no: s for s in model.sheets}
    assert set(sheets) == {"A-01", "A-02", "A-03"}
    assert sheets["A-01"].floor == "1" and sheets["A-01"].scale == "1:100"
    assert sheets["A-02"].floor == "-1"
    assert sheets["A-01"].origin == pytest.approx((10.0, 8.0))
    assert sheets["A-02"].origin == pytest.approx((110.0, 8.0))
    assert sheets["A-03"].origin is None
    unidentified = [f for f in model.findings if f.code == "DXF-011"]
    assert [f.sheet for f in unidentified] == ["A-03"]
    axis_objs = list(model.group("A-AXIS"))
    assert {model.sheets[o.sheet].sheet_no for o in axis_objs if o.sheet is not None} == {
        "A-01",
        "A-02",
    }


def test_bldg_blocks_on_site_plan(tmp_path: Path) -> None:
    doc = _doc()
    blk = doc.blocks.new("BLDG")
    blk.add_point((0, 0))
    for tag in ("NAME", "FLOORS_ABOVE", "HEIGHT"):
        blk.add_attdef(tag, (0, 0))
    ref = doc.modelspace().add_blockref("BLDG", (50000, 20000), dxfattribs={"rotation": 12})
    ref.add_auto_attribs({"NAME": "3#", "FLOORS_ABOVE": "18", "HEIGHT": "54.0"})
    model = load(_save(doc, tmp_path))
    (b,) = model.buildings
    assert b.name == "3#" and b.attrs["FLOORS_ABOVE"] == "18"
    assert b.point == pytest.approx((50.0, 20.0)) and b.rotation == pytest.approx(12.0)


def test_firm_layer_map_and_required_groups(tmp_path: Path) -> None:
    doc = _doc()
    doc.modelspace().add_lwpolyline(
        [(0, 0), (10000, 0), (10000, 10000), (0, 10000)], close=True, dxfattribs={"layer": "红线"}
    )
    path = _save(doc, tmp_path)
    model = load(path, discipline=Discipline.PLANNING)
    assert not model.group("G-SITE-REDL")
    missing = sorted(f.layer or "" for f in model.findings if f.code == "DXF-005")
    assert missing == ["G-BLDG-OUTL", "G-SITE-REDL"]
    assert "红线" in model.unmapped_layers
    firm = LayerMap.from_toml('[aliases]\n"G-SITE-REDL" = ["红线"]\n')
    model = load(path, discipline="planning", layer_map=firm)
    (site,) = model.group("G-SITE-REDL")
    assert site.geometry.area == pytest.approx(100.0)
    assert [f.layer for f in model.findings if f.code == "DXF-005"] == ["G-BLDG-OUTL"]


def test_open_boundaries(tmp_path: Path) -> None:
    doc = _doc()
    msp = doc.modelspace()
    msp.add_lwpolyline(
        [(0, 0), (10000, 0), (10000, 10000), (30, 10000), (0, 20)], dxfattribs={"layer": "F-AREA"}
    )  # gap 20 mm: closed automatically
    msp.add_lwpolyline(
        [(20000, 0), (30000, 0), (30000, 10000), (20000, 9000)], dxfattribs={"layer": "F-AREA"}
    )  # gap 9 m: not used
    model = load(_save(doc, tmp_path))
    found = sorted((f.severity.value, f.measured) for f in model.findings if f.code == "DXF-006")
    assert found == [("error", pytest.approx(9.0)), ("warning", pytest.approx(0.02, abs=1e-3))]
    closed = [o for o in model.group("F-AREA") if o.closed]
    assert len(closed) == 1 and closed[0].geometry.area == pytest.approx(99.85, rel=1e-3)


def test_invalid_polygon_repaired(tmp_path: Path) -> None:
    doc = _doc()
    doc.modelspace().add_lwpolyline(
        [(0, 0), (10000, 10000), (10000, 0), (0, 10000)], close=True, dxfattribs={"layer": "R-UNIT"}
    )
    model = load(_save(doc, tmp_path))
    (unit,) = model.group("R-UNIT")
    assert unit.geometry.is_valid and unit.geometry.area == pytest.approx(50.0)
    (rep,) = [f for f in model.findings if f.code == "DXF-012"]
    assert rep.measured == pytest.approx(50.0) and rep.location is not None


def test_self_referencing_block_is_not_expanded(tmp_path: Path) -> None:
    doc = _doc()
    blk = doc.blocks.new("SELF")
    blk.add_line((0, 0), (1, 1))
    blk.add_blockref("SELF", (1, 1))
    ref = doc.modelspace().add_blockref("SELF", (0, 0), dxfattribs={"layer": "WALL"})
    model = load(_save(doc, tmp_path))
    (f,) = [f for f in model.findings if f.code == "DXF-009"]
    assert ref.dxf.handle in f.handles


def test_xref_is_reported(tmp_path: Path) -> None:
    doc = _doc()
    doc.add_xref_def("../arch/base.dxf", "BASE")
    doc.modelspace().add_blockref("BASE", (0, 0))
    model = load(_save(doc, tmp_path))
    (f,) = [f for f in model.findings if f.code == "DXF-010"]
    assert "BASE" in f.message and "base.dxf" in f.message


def test_unmapped_layers_listed_with_counts(tmp_path: Path) -> None:
    doc = _doc()
    for i in range(3):
        doc.modelspace().add_line((0, i), (1, i), dxfattribs={"layer": "FURNITURE"})
    model = load(_save(doc, tmp_path))
    (f,) = [f for f in model.findings if f.code == "DXF-007"]
    assert f.severity.value == "info" and "FURNITURE: 3" in f.details


def test_binary_dxf(tmp_path: Path) -> None:
    doc = _doc("R2000")
    doc.modelspace().add_lwpolyline(
        [(0, 0), (2000, 0), (2000, 2000), (0, 2000)], close=True, dxfattribs={"layer": "SPACE"}
    )
    doc.modelspace().add_text("厨房", dxfattribs={"layer": "SPACE"})
    path = tmp_path / "b.dxf"
    doc.saveas(path, fmt="bin")
    assert path.read_bytes().startswith(b"AutoCAD Binary DXF")
    model = load(path)
    assert model.loaded_via == "binary"
    assert [o.geometry.area for o in model.group("A-AREA") if o.closed] == [pytest.approx(4.0)]
    assert [o.text for o in model.group("A-AREA-IDEN")] == ["厨房"]


def test_damaged_ascii_goes_through_recovery(tmp_path: Path) -> None:
    doc = _doc("R2000")
    doc.modelspace().add_line((0, 0), (1000, 0), dxfattribs={"layer": "WALL"})
    path = _save(doc, tmp_path)
    # Group codes written as floats ("8.0"): the streaming reader refuses the structure,
    # ezdxf's recover loader reads it, and the drawing comes through recovery.
    lines = path.read_text(encoding="cp1252").split("\n")
    path.write_text(
        "\n".join("  8.0" if line == "  8" else line for line in lines), encoding="cp1252"
    )
    model = load(path)
    assert model.loaded_via == "recover"
    (repaired,) = [f for f in model.findings if f.code == "DXF-002"]
    assert "group code" in repaired.details[0]
    (wall,) = model.group("A-WALL")
    assert wall.geometry.length == pytest.approx(1.0)


def test_unrecoverable_ascii_is_refused_with_both_reasons(tmp_path: Path) -> None:
    from drawings.errors import UnreadableDrawingError

    doc = _doc("R2000")
    doc.modelspace().add_line((0, 0), (1000, 0))
    path = _save(doc, tmp_path)
    lines = path.read_text(encoding="cp1252").split("\n")
    i = lines.index("AcDbLine")
    path.write_text("\n".join(lines[: i + 1] + ["XX", "junk"] + lines[i + 1 :]), encoding="cp1252")
    with pytest.raises(UnreadableDrawingError) as info:
        load(path)
    assert info.value.reason == "structure"
    assert "XX" in info.value.message_en and "d.dxf" in info.value.message


def test_model_round_trips_through_serialisation(tmp_path: Path) -> None:
    doc = _doc()
    msp = doc.modelspace()
    msp.add_lwpolyline(
        [(0, 0), (4000, 0), (4000, 3000), (0, 3000)], close=True, dxfattribs={"layer": "SPACE"}
    )
    msp.add_text("卧室 <b>", dxfattribs={"layer": "SPACE", "insert": (1000, 1000)})
    model = load(_save(doc, tmp_path))
    again = loads(dumps(model))
    assert again.objects == model.objects or [o.text for o in again.objects] == [
        o.text for o in model.objects
    ]
    assert [f.code for f in again.findings] == [f.code for f in model.findings]
    assert math.isclose(again.unit_to_m, model.unit_to_m)


def test_limits_come_from_the_environment(tmp_path: Path) -> None:
    from drawings.errors import UnreadableDrawingError
    from drawings.limits import limits_from_env

    limits = limits_from_env(
        {"LIANSHEN_INGEST_MAX_BYTES": "1000", "LIANSHEN_INGEST_MAX_SECONDS": "2.5"}
    )
    assert limits.max_bytes == 1000 and limits.max_seconds == 2.5
    with pytest.raises(ValueError, match="LIANSHEN_INGEST_MAX_LAYERS"):
        limits_from_env({"LIANSHEN_INGEST_MAX_LAYERS": "-1"})
    doc = _doc()
    for i in range(200):
        doc.modelspace().add_line((0, i), (1, i))
    with pytest.raises(UnreadableDrawingError) as info:
        load(_save(doc, tmp_path), limits=limits)
    assert info.value.reason == "too-large"


def test_paper_space_layouts_are_sheets_when_model_space_has_no_frames(tmp_path: Path) -> None:
    doc = _doc()
    msp = doc.modelspace()
    msp.add_lwpolyline(
        [(0, 0), (4000, 0), (4000, 3000), (0, 3000)], close=True, dxfattribs={"layer": "SPACE"}
    )
    msp.add_lwpolyline(
        [(50000, 0), (54000, 0), (54000, 3000), (50000, 3000)],
        close=True,
        dxfattribs={"layer": "SPACE"},
    )
    for name, centre in (("一层平面图", (2000, 1500)), ("二层平面图", (52000, 1500))):
        layout = doc.layouts.new(name)
        layout.add_viewport(
            center=(150, 100), size=(280, 180), view_center_point=centre, view_height=6000
        )
    model = load(_save(doc, tmp_path))
    titles = sorted((s.title or "", s.source, s.floor) for s in model.sheets)
    assert ("一层平面图", "layout", "1") in titles and ("二层平面图", "layout", "2") in titles
    by_title = {s.title: s.index for s in model.sheets}
    rooms = sorted(model.group("A-AREA"), key=lambda o: o.geometry.bounds[0])
    assert [r.sheet for r in rooms] == [by_title["一层平面图"], by_title["二层平面图"]]
    assert "DXF-011" not in _codes(model)


def test_boundaries_drawn_as_separate_lines_are_assembled(tmp_path: Path) -> None:
    doc = _doc()
    msp = doc.modelspace()
    pts = [(0, 0), (40000, 0), (40000, 30000), (0, 30000)]
    for a, b in zip(pts, pts[1:] + pts[:1], strict=True):
        msp.add_line(a, b, dxfattribs={"layer": "用地红线"})
    # two compartments sharing a wall line, drawn with three polylines and a line
    msp.add_lwpolyline(
        [(50000, 0), (60000, 0), (60000, 10000), (50000, 10000)], dxfattribs={"layer": "F-AREA"}
    )
    msp.add_line((50000, 10000), (50000, 0), dxfattribs={"layer": "F-AREA"})
    msp.add_lwpolyline(
        [(60000, 0), (70000, 0), (70000, 10000), (60000, 10000)], dxfattribs={"layer": "F-AREA"}
    )
    model = load(_save(doc, tmp_path))
    (site,) = [o for o in model.group("G-SITE-REDL") if o.closed]
    assert site.kind == "ASSEMBLED" and site.geometry.area == pytest.approx(1200.0)
    areas = sorted(o.geometry.area for o in model.group("F-AREA") if o.closed)
    assert areas == [pytest.approx(100.0), pytest.approx(100.0)]
    assembled = [f for f in model.findings if f.code == "DXF-006" and f.unit == "段"]
    assert {f.layer for f in assembled} == {"用地红线", "F-AREA"}
    (red,) = [f for f in assembled if f.layer == "用地红线"]
    assert red.severity.value == "warning" and len(red.handles) == 4
    assert not [f for f in model.findings if f.code == "DXF-006" and f.severity.value == "error"]

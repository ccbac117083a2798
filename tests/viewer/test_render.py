"""The viewer's inputs: the binary vector payload (read back as the browser reads it) and PNGs."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import shutil
import struct
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ezdxf
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

import drawings
from drawings.model import TEXT_ANCHORS, DrawingModel, TextItem
from viewer import render as render_module
from viewer import vector as vector_module
from viewer.fonts import cjk_font
from viewer.render import HIGHLIGHT, MAX_SIDE, render_png, thumbnail_png
from viewer.vector import FORMAT_VERSION, MAGIC, PALETTE, colour_index, vector_payload

try:
    from tests.drawings import hostile
except ImportError:  # tests/ is not a package: pytest put that folder on sys.path
    import hostile  # type: ignore[no-redef]

SITE = (500_000.0, 3_000_000.0)
"""A site origin in metres, as in projected coordinates of a Chinese city."""

FRAME = (42.0, 29.7)  # an A3 frame drawn at 1:100, in metres
SHEET_STEP = 50.0

# --------------------------------------------------------------------------------------------
# Reading the payload exactly as the browser does (see the viewer.vector docstring)


@dataclass
class Payload:
    header: dict[str, Any]
    coords: npt.NDArray[np.float32]
    offsets: npt.NDArray[np.uint32]
    texts: npt.NDArray[np.float32]
    aligns: npt.NDArray[np.uint8]

    def layer(self, name: str) -> dict[str, Any]:
        return next(la for la in self.header["layers"] if la["name"] == name)

    def paths(self, row: dict[str, Any]) -> list[npt.NDArray[np.float64]]:
        """The layer's polylines in drawing coordinates (float64 origin + float32 offsets)."""
        ox, oy = self.header["origin"]
        out = []
        for p in range(row["pathStart"], row["pathStart"] + row["paths"]):
            a, b = int(self.offsets[p]), int(self.offsets[p + 1])
            xy = self.coords[2 * a : 2 * b].astype(np.float64).reshape(-1, 2)
            out.append(xy + (ox, oy))
        return out

    def layer_texts(
        self, row: dict[str, Any]
    ) -> list[tuple[str, float, float, float, float, str]]:
        ox, oy = self.header["origin"]
        out = []
        for k in range(row["textStart"], row["textStart"] + row["texts"]):
            x, y, h, r = (float(v) for v in self.texts[4 * k : 4 * k + 4])
            out.append((self.header["texts"][k], x + ox, y + oy, h, r,
                        TEXT_ANCHORS[int(self.aligns[k])]))
        return out


def read_payload(data: bytes) -> Payload:
    """DataView, TextDecoder, JSON.parse and typed arrays over the same buffer, in Python."""
    magic, version, flags, size, data_at = struct.unpack_from("<4sHHII", data, 0)
    assert magic == MAGIC
    assert version == FORMAT_VERSION
    assert flags == 0
    assert data_at % 8 == 0 and data_at >= 16 + size
    assert data[16 + size : data_at] == bytes(data_at - 16 - size)
    header = json.loads(data[16 : 16 + size].decode("utf-8"))  # strict: valid UTF-8
    assert header["format"] == "lianshen-vector" and header["version"] == version
    types = {"float32": "<f4", "uint32": "<u4", "uint8": "|u1"}

    def array(name: str) -> Any:
        spec = header["arrays"][name]
        start = data_at + spec["offset"]
        assert start % 8 == 0
        dtype = np.dtype(types[spec["type"]])
        assert start + spec["length"] * dtype.itemsize <= len(data)
        return np.frombuffer(data, dtype=dtype, count=spec["length"], offset=start)

    return Payload(header, array("coords"), array("offsets"), array("texts"), array("aligns"))


JS_READER = textwrap.dedent((vector_module.__doc__ or "").split("Reading in JavaScript::\n")[1])
"""The reader documented in the module docstring, run as is by Node.js below."""

# --------------------------------------------------------------------------------------------
# Drawings


def two_sheets(tmp_path: Path, base: tuple[float, float] = SITE) -> Path:
    """Two A3 frames side by side at ``base`` (metres), each with a room, an axis and a name.

    Also a point on ``Defpoints`` and a rotated label, so that every kind of content the
    payload carries is there.
    """
    doc = ezdxf.new("R2018")
    doc.header["$INSUNITS"] = 6  # metres
    msp = doc.modelspace()
    frame = doc.blocks.new("A3_FRAME")
    w, h = FRAME
    frame.add_lwpolyline([(0, 0), (w, 0), (w, h), (0, h)], close=True)
    bx, by = base
    for k in range(2):
        ox = bx + k * SHEET_STEP
        msp.add_blockref("A3_FRAME", (ox, by))
        room = [
            (ox + 5, by + 5),
            (ox + 15.25, by + 5),
            (ox + 15.25, by + 13.125),
            (ox + 5, by + 13.125),
        ]
        msp.add_lwpolyline(room, close=True, dxfattribs={"layer": "WALL"})
        msp.add_line((ox + 2, by + 20.5), (ox + 40, by + 20.5), dxfattribs={"layer": "DOTE"})
        text = msp.add_text(f"卧室{k}", height=0.5, dxfattribs={"layer": "SPACE"})
        text.set_placement((ox + 7.3, by + 8.1))
    label = msp.add_text("A1", height=0.4, rotation=90, dxfattribs={"layer": "AXIS_TEXT"})
    label.set_placement((bx + 30, by + 25))
    msp.add_point((bx + 1, by + 1), dxfattribs={"layer": "Defpoints"})
    path = tmp_path / "two_sheets.dxf"
    doc.saveas(path)
    return path


def single(tmp_path: Path, build: Any, name: str = "one.dxf") -> DrawingModel:
    """A drawing in metres whose model space ``build(msp)`` fills, loaded."""
    doc = ezdxf.new("R2018")
    doc.header["$INSUNITS"] = 6
    build(doc.modelspace())
    path = tmp_path / name
    doc.saveas(path)
    return drawings.load(path)


@pytest.fixture
def site_model(tmp_path: Path) -> DrawingModel:
    return drawings.load(two_sheets(tmp_path))


@pytest.fixture(scope="module")
def sample_model(tmp_path_factory: pytest.TempPathFactory) -> DrawingModel:
    """The floor plans of the residential sample package (framed sheets, Chinese texts)."""
    from samples import build_package

    root = build_package(tmp_path_factory.mktemp("sample"), "residential_tower")
    return drawings.load(root / "architecture" / "plans.dxf")


def png_image(data: bytes) -> Image.Image:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image


def pixels(data: bytes) -> npt.NDArray[np.uint8]:
    return np.asarray(png_image(data).convert("RGB"))


def red_mask(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    mask: npt.NDArray[np.bool_] = np.all(rgb == np.array(HIGHLIGHT, dtype=np.uint8), axis=2)
    return mask


def dark_mask(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    mask: npt.NDArray[np.bool_] = rgb.max(axis=2) < 128
    return mask


# --------------------------------------------------------------------------------------------
# Vector payload


def test_payload_round_trip_in_site_coordinates(site_model: DrawingModel) -> None:
    data = vector_payload(site_model)
    p = read_payload(data)
    head = p.header
    ox, oy = head["origin"]
    assert ox == round(ox) and oy == round(oy)
    assert abs(ox - (SITE[0] + 46)) <= 1 and abs(oy - (SITE[1] + 15)) <= 1  # the centre
    assert head["bbox"] == pytest.approx(site_model.extents)
    assert head["units"] == "m" and head["sheet"] is None
    assert head["sha256"] == site_model.sha256
    assert head["palette"] == list(PALETTE)

    worst = 0.0
    for layer in site_model.display:
        row = p.layer(layer.name)
        assert row["group"] == layer.group
        assert row["colour"] == colour_index(layer.group)
        assert row["vertices"] == len(layer.coords)
        got = p.paths(row)
        want = list(layer.paths())
        assert [len(g) for g in got] == [len(w) for w in want]
        for g, w in zip(got, want, strict=True):
            worst = max(worst, float(np.abs(g - w).max()))
    # float32 keeps ~7 digits of the offset from the origin (< 50 m here), not of 3,000,000 m
    assert worst < 1e-5
    naive = np.abs(np.float32(SITE[1] + 8.1).astype(np.float64) - (SITE[1] + 8.1))
    assert naive > 100 * worst  # what storing absolute coordinates would have lost

    texts = {t[0]: t for row in head["layers"] for t in p.layer_texts(row)}
    for item in site_model.texts:
        text, x, y, height, rotation, align = texts[item.text]
        assert align == item.align
        assert (x, y) == pytest.approx((item.x, item.y), abs=1e-5)
        assert (height, rotation) == pytest.approx((item.height, item.rotation), rel=1e-6)
    assert head["counts"] == {
        "paths": sum(d.path_count for d in site_model.display),
        "vertices": sum(len(d.coords) for d in site_model.display),
        "texts": len(site_model.texts),
    }


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_documented_javascript_reader_reads_the_same(
    site_model: DrawingModel, tmp_path: Path
) -> None:
    data = vector_payload(site_model)
    path = tmp_path / "drawing.lsvp"
    path.write_bytes(data)
    script = (
        "const b = require('fs').readFileSync(process.argv[1]);\n"
        "const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);\n"
        + JS_READER
        + "\nprocess.stdout.write(JSON.stringify({head, coords: Array.from(coords),"
        " offsets: Array.from(offsets), texts: Array.from(texts), aligns: Array.from(aligns)}));"
    )
    done = subprocess.run(
        ["node", "-e", script, str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    seen = json.loads(done.stdout)
    p = read_payload(data)
    assert seen["head"] == p.header
    assert np.array_equal(np.array(seen["coords"]), p.coords.astype(np.float64))
    assert seen["offsets"] == p.offsets.tolist()
    assert np.array_equal(np.array(seen["texts"]), p.texts.astype(np.float64))
    assert seen["aligns"] == p.aligns.tolist()


def test_payload_layer_ranges_tile_the_arrays(site_model: DrawingModel) -> None:
    p = read_payload(vector_payload(site_model))
    rows = p.header["layers"]
    paths = texts = 0
    for row in rows:
        assert row["pathStart"] == paths and row["textStart"] == texts
        span = int(p.offsets[row["pathStart"] + row["paths"]]) - int(p.offsets[row["pathStart"]])
        assert span == row["vertices"]
        paths += row["paths"]
        texts += row["texts"]
    assert len(p.offsets) == paths + 1 and p.offsets[0] == 0
    assert int(p.offsets[-1]) * 2 == len(p.coords)
    assert len(p.texts) == 4 * texts == 4 * len(p.header["texts"]) == 4 * len(p.aligns)
    assert np.all(np.diff(p.offsets.astype(np.int64)) >= 0)
    # layers with texts only are listed too, with their group (text layers have no line work)
    names = [r["name"] for r in rows]
    assert "SPACE" in names and "AXIS_TEXT" in names
    assert p.layer("WALL")["colour"] == colour_index("A-WALL") != colour_index(None)
    assert p.layer("Defpoints")["plot"] is False and p.layer("WALL")["plot"] is True
    rotated = p.layer_texts(p.layer("AXIS_TEXT"))
    assert [(t[0], t[4]) for t in rotated] == [("A1", 90.0)]


def test_sheet_payload_keeps_only_that_sheet(site_model: DrawingModel) -> None:
    assert len(site_model.sheets) == 2
    second = site_model.sheets[1]
    p = read_payload(vector_payload(site_model, sheet=1))
    head = p.header
    assert head["sheet"] == 1
    assert head["bbox"] == list(second.bbox)
    assert [s["bbox"] for s in head["sheets"]] == [list(s.bbox) for s in site_model.sheets]
    x0, y0, x1, y1 = second.bbox
    for row in head["layers"]:
        for path in p.paths(row):
            lo, hi = path.min(axis=0), path.max(axis=0)
            assert hi[0] >= x0 and lo[0] <= x1 and hi[1] >= y0 and lo[1] <= y1
    assert head["texts"] == ["卧室1"]
    assert p.layer("WALL")["paths"] == 1
    assert p.layer("0")["paths"] == 1  # its own frame only
    whole = read_payload(vector_payload(site_model)).header["counts"]
    assert head["counts"]["paths"] < whole["paths"]
    with pytest.raises(ValueError, match="sheet 2 does not exist"):
        vector_payload(site_model, sheet=2)
    with pytest.raises(ValueError, match="does not exist"):
        vector_payload(site_model, sheet=-1)


def test_hostile_names_and_texts_survive_as_data(tmp_path: Path) -> None:
    model = drawings.load(hostile.markup_in_names(tmp_path))
    script = "<script>alert(1)</script>"
    assert any(script in d.name for d in model.display)
    data = vector_payload(model)
    for fragment in (b"<script", b"</script", b"<img", b"onerror=alert(1)>"):
        assert fragment not in data  # escaped in the JSON: inert even if pasted into a page
    head = read_payload(data).header
    layers = {r["name"] for r in head["layers"]}
    assert {d.name for d in model.display} <= layers
    assert any(script in name for name in layers)
    assert sorted(head["texts"]) == sorted(t.text for t in model.texts)
    assert any(script in t for t in head["texts"])
    for markup in hostile.MARKUP_STRINGS:
        assert any(markup in t for t in head["texts"])
    assert png_image(render_png(model, None, 320)).size[0] == 320


def test_lone_surrogates_come_back_unchanged(site_model: DrawingModel) -> None:
    odd = "房\ud800间\udfff"
    model = dataclasses.replace(
        site_model, texts=(TextItem("SPACE", odd, SITE[0] + 1, SITE[1] + 1, 1.0, 0.0, "1"),)
    )
    data = vector_payload(model)
    assert read_payload(data).header["texts"] == [odd]


def test_empty_drawing(tmp_path: Path) -> None:
    model = single(tmp_path, lambda msp: None, "empty.dxf")
    assert not model.display and not model.texts
    p = read_payload(vector_payload(model))
    assert p.header["bbox"] is None
    assert p.header["counts"] == {"paths": 0, "vertices": 0, "texts": 0}
    assert p.header["layers"] == []
    assert len(p.coords) == 0 and list(p.offsets) == [0] and len(p.texts) == 0
    for data in (render_png(model, None, 200), thumbnail_png(model)):
        rgb = pixels(data)
        assert rgb.shape[1] in (200, 480)
        assert (rgb == 255).all()
    assert png_image(render_png(model, (0, 0, 20, 10), 200)).size == (200, 100)


# --------------------------------------------------------------------------------------------
# Pictures


def test_render_png_size_and_format(site_model: DrawingModel) -> None:
    image = png_image(render_png(site_model, None, 600))
    assert image.mode == "RGB"
    x0, y0, x1, y1 = site_model.extents or (0, 0, 0, 0)
    width, height = image.size
    assert width == 600
    pad = 0.02 * max(x1 - x0, y1 - y0)  # the margin around a whole drawing
    assert abs(height - 600 * (y1 - y0 + 2 * pad) / (x1 - x0 + 2 * pad)) <= 1
    rgb = np.asarray(image)
    assert dark_mask(rgb).any() and (rgb == 255).all(axis=2).mean() > 0.5
    assert not red_mask(rgb).any()  # red is kept for highlights
    window = (SITE[0], SITE[1], SITE[0] + 20, SITE[1] + 10)
    assert png_image(render_png(site_model, window, 300)).size == (300, 150)
    thumb = png_image(thumbnail_png(site_model))
    assert thumb.size[0] == 480


def test_highlights_are_red_where_they_are(site_model: DrawingModel) -> None:
    bx, by = SITE
    window = (bx, by, bx + 40, by + 30)  # 10 px per metre at 400 px
    square = {
        "type": "Polygon",
        "coordinates": [
            [
                [bx + 20, by + 4],
                [bx + 30, by + 4],
                [bx + 30, by + 9],
                [bx + 20, by + 9],
                [bx + 20, by + 4],
            ]
        ],
    }
    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [bx + 35, by + 25]}}
    rgb = pixels(render_png(site_model, window, 400, highlight=[square, point]))
    assert rgb.shape[:2] == (300, 400)
    red = red_mask(rgb)
    # the square's left edge is x = 200 px, rows 210 … 260 (y flipped: 300 - 10 * 9 = 210)
    assert red[215:255, 199:202].any(axis=1).all()
    assert red[215:255, 299:302].any(axis=1).all()
    assert red[209:212, 210:290].any(axis=0).all() and red[259:262, 210:290].any(axis=0).all()
    assert not red[220:250, 210:290].any()  # an outline, not a fill
    # the point: a ring around (350, 50)
    ring = red[35:66, 335:366]
    assert ring.any() and not red[48:53, 348:353].any()
    outside = red.copy()
    outside[205:266, 195:306] = False
    outside[35:66, 335:366] = False
    assert not outside.any()


def test_tiny_highlight_gets_a_marker(site_model: DrawingModel) -> None:
    bx, by = SITE
    tiny = {"type": "LineString", "coordinates": [[bx + 10, by + 10], [bx + 10.01, by + 10]]}
    red = red_mask(
        pixels(render_png(site_model, (bx, by, bx + 40, by + 30), 400, highlight=[tiny]))
    )
    ys, xs = np.nonzero(red)
    assert xs.max() - xs.min() >= 10 and ys.max() - ys.min() >= 10
    assert abs((xs.min() + xs.max()) / 2 - 100) <= 2 and abs((ys.min() + ys.max()) / 2 - 200) <= 2


def test_bad_highlight_is_refused(site_model: DrawingModel) -> None:
    for bad in ({"type": "Polygon"}, {"type": "Nothing", "coordinates": []}, {}):
        with pytest.raises(ValueError, match="not a GeoJSON geometry"):
            render_png(site_model, None, 100, highlight=[bad])


def test_chinese_text_is_drawn(tmp_path: Path) -> None:
    def room(name: str) -> Any:
        return lambda msp: msp.add_text(name, height=2.0).set_placement((1, 1))

    window = (0.0, 0.0, 10.0, 5.0)  # 40 px per metre: 2 m texts are 80 px high
    images = [
        pixels(render_png(single(tmp_path, room(name), f"{k}.dxf"), window, 400))
        for k, name in enumerate(("卧室", "厨房"))
    ]
    text_area = (slice(60, 165), slice(35, 260))  # right of and above (40, 160)
    if cjk_font() is None:
        pytest.skip("no CJK font installed (install fonts-noto-cjk or fonts-wqy-microhei)")
    for rgb in images:
        assert dark_mask(rgb[text_area]).sum() > 400
    assert (dark_mask(images[0]) != dark_mask(images[1])).sum() > 100  # glyphs, not boxes


def test_without_a_cjk_font_texts_still_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render_module, "cjk_font", lambda: None)
    model = single(
        tmp_path, lambda msp: msp.add_text("卧室 ROOM", height=2.0).set_placement((1, 1))
    )
    rgb = pixels(render_png(model, (0.0, 0.0, 10.0, 5.0), 400))
    assert dark_mask(rgb).any()  # at least the Latin letters, from Pillow's own font


def test_rotated_text_turns_about_its_insertion_point(tmp_path: Path) -> None:
    def label(msp: Any) -> None:
        msp.add_text("HHHH", height=1.0, rotation=90).set_placement((5, 1))

    rgb = pixels(render_png(single(tmp_path, label), (0.0, 0.0, 10.0, 10.0), 400))
    ys, xs = np.nonzero(dark_mask(rgb))
    assert len(xs)
    # 90 degrees counter-clockwise: the text runs up from (200, 360), its glyphs left of it
    assert xs.max() <= 203 and xs.min() >= 200 - 60
    assert ys.max() <= 363 and ys.min() < 300


def test_far_reaching_lines_are_clipped_not_walked(tmp_path: Path) -> None:
    def long_line(msp: Any) -> None:
        msp.add_line((-50_000, 5), (50_000, 5))
        msp.add_lwpolyline([(-50_000, 4.5), (50_000, 4.5), (50_000, 4.6)])

    model = single(tmp_path, long_line)
    rgb = pixels(render_png(model, (0.0, 4.0, 2.0, 6.0), 400))  # 200 px per metre
    dark = dark_mask(rgb)
    assert dark[198:202].any(axis=0).all()  # y = 5 m crosses the whole picture at row 200
    assert dark[298:302].any(axis=0).all()  # y = 4.5 m at row 300


def test_sample_drawing_renders_and_sheets_frame_their_payload(sample_model: DrawingModel) -> None:
    assert len(sample_model.sheets) > 1
    for index, sheet in enumerate(sample_model.sheets[:2]):
        head = read_payload(vector_payload(sample_model, sheet=index)).header
        assert head["bbox"] == list(sheet.bbox) and head["counts"]["paths"] > 0
    image = png_image(render_png(sample_model, sample_model.sheets[0].bbox, 1024))
    assert image.size[0] == 1024 and dark_mask(np.asarray(image)).any()


# --------------------------------------------------------------------------------------------
# Guards


def test_oversize_and_malformed_requests_are_refused(site_model: DrawingModel) -> None:
    with pytest.raises(ValueError, match=f"limited to {MAX_SIDE}"):
        render_png(site_model, None, MAX_SIDE + 1)
    tall = (SITE[0], SITE[1], SITE[0] + 1, SITE[1] + 1_000)
    with pytest.raises(ValueError, match="refused"):
        render_png(site_model, tall, 400)
    with pytest.raises(ValueError, match="pixels refused: the limit is 1,000"):
        render_png(site_model, None, 100, max_pixels=1_000)
    for width in (0, -5, 1.5, True, "100"):
        with pytest.raises(ValueError, match="width_px"):
            render_png(site_model, None, width)  # type: ignore[arg-type]
    for box in ((0, 0, 0, 10), (5, 0, 1, 10), (0, 0, math.inf, 1), (0, 0, math.nan, 1)):
        with pytest.raises(ValueError, match="bbox"):
            render_png(site_model, box, 100)


def test_a_drawing_of_one_long_line_still_gets_a_picture(tmp_path: Path) -> None:
    model = single(tmp_path, lambda msp: msp.add_line((0, 0), (0, 5_000)))
    assert png_image(thumbnail_png(model)).size == (480, 1920)
    assert png_image(render_png(model, None, 2048)).size == (2048, 8192)


def test_texts_too_big_to_rasterise_are_left_out(tmp_path: Path) -> None:
    def banner(msp: Any) -> None:
        msp.add_text("字" * 3_000, height=1.0).set_placement((0, 1))
        msp.add_text("字" * 3_000, height=1.0, rotation=45).set_placement((0, 2))

    rgb = pixels(render_png(single(tmp_path, banner), (0.0, 0.0, 20.0, 10.0), 2000))
    assert not dark_mask(rgb).any()  # 100 px glyphs x 3,000: a 30-megapixel bitmap each


@pytest.mark.parametrize(
    ("align", "where"),
    [("mm", "centre"), ("ra", "top right"), ("ls", "left baseline")],
)
def test_pictures_place_a_text_by_its_alignment_point(
    tmp_path: Path, align: str, where: str
) -> None:
    """The ink of a text sits on the side of its point that its alignment says: a centred
    room name around it, a top-right one below and to the left of it."""
    model = single(tmp_path, lambda msp: msp.add_lwpolyline([(0, 0), (20, 0), (20, 10), (0, 10)]))
    model = dataclasses.replace(
        model, display=(), texts=(TextItem("T", "房间名称", 10.0, 5.0, 1.0, 0.0, "1", align),)
    )
    rgb = pixels(render_png(model, (0, 0, 20, 10), 400))  # 20 px per metre, (10, 5) → (200, 100)
    ys, xs = np.nonzero((rgb < 200).any(axis=2))
    left, right, top, bottom = xs.min(), xs.max(), ys.min(), ys.max()
    if where == "centre":
        assert abs((left + right) / 2 - 200) <= 3 and abs((top + bottom) / 2 - 100) <= 4
    elif where == "top right":
        assert abs(right - 200) <= 3 and 100 <= top <= 110 and left < 150  # below the top line
    else:
        assert abs(left - 200) <= 3 and bottom <= 102 and right > 250

"""Server-side PNG pictures of a drawing: thumbnails, findings at their place, BCF snapshots.

The browser viewer draws the vector payload itself; pictures are for the places where no
browser draws: package thumbnails, the snapshots printed next to each finding in the PDF
report, and the snapshot every BCF viewpoint carries. Pillow draws the line work (one call per
polyline, in the fixed palette of :mod:`viewer.vector`), Chinese texts with a system CJK font
(:mod:`viewer.fonts`), and the places to look at (GeoJSON geometries) in red on top.

Everything outside the requested window is dropped before Pillow sees it (vectorised per
polyline), and lines reaching far outside the picture are clipped first, because Pillow walks
every pixel of a line, visible or not: a zoomed-in snapshot of a large drawing costs what its
window holds, not what the drawing holds.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely
from PIL import Image, ImageDraw
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from drawings.model import DrawingModel, TextItem
from viewer.fonts import FontFile, cjk_font, font_at
from viewer.vector import (
    PALETTE,
    TEXT_COLOUR,
    Bounds,
    bounds_of,
    colour_index,
    path_bounds,
    path_lengths,
    plotted,
    text_points,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "HIGHLIGHT",
    "MAX_SIDE",
    "MIN_TEXT_PX",
    "render_png",
    "thumbnail_png",
]

DEFAULT_MAX_PIXELS: Final = 25_000_000
"""Largest picture by default: an A3 sheet at 300 dpi (17.4 MP) fits, a runaway request does
not (25 MP of RGB is 75 MB before encoding)."""

MAX_SIDE: Final = 16_384
"""Longest side accepted, whatever ``max_pixels`` allows: beyond it PNG viewers give up."""

MIN_TEXT_PX: Final = 6
"""Texts smaller than this (in pixels of height) are left out: unreadable anyway, and each
drawn text costs ~0.2 ms of FreeType, so a thumbnail of 16,000 texts would take seconds."""

MAX_TEXT_PX: Final = 1_000
"""Texts larger than this are left out: a glyph that size is a drawing error, not a label."""

HIGHLIGHT: Final = (255, 0, 0)
"""Colour of the places to look at; no layer colour is pure red."""

WHITE: Final = (255, 255, 255)
_MARGIN: Final = 0.02  # of the larger side, around a whole drawing
_MAX_ASPECT: Final = 4.0  # longest : shortest side of a whole-drawing picture
_EM_PER_HEIGHT: Final = 1.25  # DXF text height is about the cap height, 0.8 of the em
_LINE_SPACING: Final = 0.67  # MTEXT's default: 1.67 text heights from baseline to baseline
_PNG_LEVEL: Final = 6
_TEXT_BITMAP_LIMIT: Final = 16_000_000  # pixels of one text's bitmap (16 MB in mode "L")

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
RGB = tuple[int, int, int]


def _rgb(hex_colour: str) -> RGB:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


_COLOURS: Final[tuple[RGB, ...]] = tuple(map(_rgb, PALETTE))


@dataclass(frozen=True, slots=True)
class _View:
    """The drawing window shown and its mapping to pixels (y flipped: images grow downwards)."""

    x0: float
    y1: float
    scale: float  # pixels per metre
    width: int
    height: int

    @property
    def box(self) -> Bounds:
        """The window in drawing coordinates, one pixel wider on every side."""
        pad = 1.0 / self.scale
        return (
            self.x0 - pad,
            self.y1 - (self.height + 1) / self.scale,
            self.x0 + (self.width + 1) / self.scale,
            self.y1 + pad,
        )

    def to_px(self, xy: FloatArray) -> FloatArray:
        """Drawing coordinates (N, 2) to pixel coordinates (floats, unbounded)."""
        out = np.empty_like(xy, dtype=np.float64)
        out[:, 0] = (xy[:, 0] - self.x0) * self.scale
        out[:, 1] = (self.y1 - xy[:, 1]) * self.scale
        return out


def _check_size(width: int, height: int, max_pixels: int) -> None:
    """Refuse pictures that would exhaust memory, with the numbers that were asked for."""
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ValueError(
            f"picture of {width} x {height} pixels refused: sides are limited to {MAX_SIDE}"
        )
    if width * height > max_pixels:
        raise ValueError(
            f"picture of {width} x {height} = {width * height:,} pixels refused: "
            f"the limit is {max_pixels:,} (pass a smaller width or window)"
        )


def _content_bounds(model: DrawingModel) -> Bounds | None:
    """The drawing's extents, from the model or else from its line work and texts."""
    if model.extents is not None and all(map(math.isfinite, model.extents)):
        return model.extents
    return bounds_of([d.coords for d in model.display] + [text_points(model.texts)])


def _window(model: DrawingModel, bbox: Sequence[float] | None) -> Bounds | None:
    """The window to show: ``bbox`` as given, or the whole drawing with a small margin.

    The whole drawing's window is widened to at most ``_MAX_ASPECT`` : 1, so that a drawing
    that is one long line still gets a picture of sensible size instead of a refusal.
    """
    if bbox is not None:
        if len(bbox) != 4 or not all(math.isfinite(v) for v in bbox):
            raise ValueError(f"bbox must be four finite numbers, got {bbox!r}")
        x0, y0, x1, y1 = (float(v) for v in bbox)
        if x1 <= x0 or y1 <= y0:
            raise ValueError(f"bbox must have a positive width and height, got {bbox!r}")
        return x0, y0, x1, y1
    content = _content_bounds(model)
    if content is None:
        return None
    x0, y0, x1, y1 = content
    pad = _MARGIN * max(x1 - x0, y1 - y0, 1.0)
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    grow_x = max((y1 - y0) / _MAX_ASPECT - (x1 - x0), 0.0) / 2
    grow_y = max((x1 - x0) / _MAX_ASPECT - (y1 - y0), 0.0) / 2
    return x0 - grow_x, y0 - grow_y, x1 + grow_x, y1 + grow_y


def _view(
    model: DrawingModel, bbox: Sequence[float] | None, width_px: int, max_pixels: int
) -> _View:
    """Validate the request and fix the mapping; an empty drawing gets a blank square."""
    if isinstance(width_px, bool) or not isinstance(width_px, int) or width_px < 1:
        raise ValueError(f"width_px must be a positive whole number of pixels, got {width_px!r}")
    window = _window(model, bbox)
    if window is None:
        _check_size(width_px, width_px, max_pixels)
        return _View(0.0, 1.0, float(width_px), width_px, width_px)
    x0, y0, x1, y1 = window
    scale = width_px / (x1 - x0)
    height = max(round((y1 - y0) * scale), 1)
    _check_size(width_px, height, max_pixels)
    return _View(x0, y1, scale, width_px, height)


# --------------------------------------------------------------------------------------------
# Line work


def _clip_segments(a: FloatArray, b: FloatArray, box: Bounds) -> tuple[FloatArray, FloatArray]:
    """Segments ``a[i]``–``b[i]`` cut to ``box`` (Liang–Barsky, vectorised); misses dropped."""
    d = b - a
    t0 = np.zeros(len(a))
    t1 = np.ones(len(a))
    hit = np.ones(len(a), dtype=bool)
    x0, y0, x1, y1 = box
    for p, q in (
        (-d[:, 0], a[:, 0] - x0),
        (d[:, 0], x1 - a[:, 0]),
        (-d[:, 1], a[:, 1] - y0),
        (d[:, 1], y1 - a[:, 1]),
    ):
        flat = p == 0
        hit &= ~(flat & (q < 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(flat, 0.0, q / np.where(flat, 1.0, p))
        t0 = np.where(p < 0, np.maximum(t0, r), t0)
        t1 = np.where(p > 0, np.minimum(t1, r), t1)
    hit &= t0 <= t1
    return a[hit] + t0[hit, None] * d[hit], a[hit] + t1[hit, None] * d[hit]


def _stroke(
    draw: ImageDraw.ImageDraw,
    px: FloatArray,
    lengths: IntArray,
    view: _View,
    colour: RGB,
    width: int = 1,
) -> None:
    """Draw polylines given in pixel coordinates (``lengths`` vertices each).

    Polylines that stay near the picture go to Pillow whole (one call each, joints drawn);
    those that reach far outside are cut into clipped segments first, so that Pillow never
    walks millions of invisible pixels. At width 1, paths that fit in one pixel (and
    one-vertex paths) are drawn as the pixels of their corners in one call: a thumbnail of a
    large drawing is mostly such paths, and the picture is the same.
    """
    lengths = lengths[lengths > 0]
    if not len(lengths):
        return
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    lo = np.minimum.reduceat(px, starts, axis=0)
    hi = np.maximum.reduceat(px, starts, axis=0)
    tiny = lengths == 1
    if width == 1:
        tiny |= (hi - lo).max(axis=1) < 1.0
    if tiny.any():
        dots = np.floor(np.concatenate([lo[tiny], hi[tiny]]))
        inside = (dots >= 0).all(axis=1) & (dots[:, 0] < view.width) & (dots[:, 1] < view.height)
        draw.point(dots[inside].ravel().tolist(), fill=colour)
    multi = ~tiny
    reach = max(view.width, view.height)
    near = multi & (lo.min(axis=1) >= -reach) & (hi[:, 0] <= view.width + reach)
    near &= hi[:, 1] <= view.height + reach
    flat = np.floor(np.clip(px, -2 * reach, 3 * reach)).astype(np.int64).ravel().tolist()
    bounds = (2 * starts).tolist(), (2 * (starts + lengths)).tolist()
    joint = "curve" if width > 1 else None
    for k in np.flatnonzero(near).tolist():
        draw.line(flat[bounds[0][k] : bounds[1][k]], fill=colour, width=width, joint=joint)
    far = multi & ~near
    if far.any():
        vertex_far = np.repeat(far, lengths)
        last = np.zeros(len(px), dtype=bool)
        last[starts + lengths - 1] = True
        first = np.flatnonzero(vertex_far & ~last)
        box = (-2.0 * width, -2.0 * width, view.width + 2.0 * width, view.height + 2.0 * width)
        a, b = _clip_segments(px[first], px[first + 1], box)
        for seg in np.floor(np.hstack([a, b])).astype(np.int64).tolist():
            draw.line(seg, fill=colour, width=width)


def _draw_layers(draw: ImageDraw.ImageDraw, model: DrawingModel, view: _View) -> None:
    """Each plotted layer's polylines that touch the window, in the layer group's colour."""
    box = view.box
    for layer in model.display:
        if not plotted(layer.name) or layer.path_count == 0:
            continue
        lo, hi = path_bounds(layer)
        keep = (hi[:, 0] >= box[0]) & (lo[:, 0] <= box[2]) & (hi[:, 1] >= box[1])
        keep &= lo[:, 1] <= box[3]
        if not keep.any():
            continue
        lengths = path_lengths(layer)
        coords = np.asarray(layer.coords, dtype=np.float64)[np.repeat(keep, lengths)]
        colour = _COLOURS[colour_index(layer.group)]
        _stroke(draw, view.to_px(coords), lengths[keep], view, colour)


# --------------------------------------------------------------------------------------------
# Texts


def _upright(rotation: float) -> bool:
    """Whether a text is drawn as is (within half a degree of horizontal)."""
    angle = rotation % 360.0
    return min(angle, 360.0 - angle) < 0.5


def _readable(
    texts: Sequence[TextItem], view: _View
) -> Iterator[tuple[TextItem, float, float, int]]:
    """Texts big enough to read and near the window: ``(text, x px, y px, em size px)``.

    A text's extent is estimated from its longest line and its line count (CJK glyphs are
    about one em wide), which is enough to drop texts far outside the picture, and texts
    whose bitmap would exceed ``_TEXT_BITMAP_LIMIT`` (a rotated text needs a square around
    its anchor).
    """
    if not texts:
        return
    xy = view.to_px(text_points(texts))
    size = np.array([t.height for t in texts], dtype=np.float64) * view.scale * _EM_PER_HEIGHT
    lines = [t.text.split("\n") for t in texts]
    wide = size * np.array([max(map(len, parts)) for parts in lines])
    tall = size * np.array([len(parts) for parts in lines]) * (1 + _LINE_SPACING)
    reach = np.maximum(wide, tall)
    upright = np.array([_upright(t.rotation) for t in texts])
    bitmap = np.where(upright, wide * tall, (2 * reach) ** 2)
    ok = np.isfinite(xy).all(axis=1) & np.isfinite(size)
    ok &= (size >= MIN_TEXT_PX) & (size <= MAX_TEXT_PX) & (bitmap <= _TEXT_BITMAP_LIMIT)
    ok &= (xy[:, 0] >= -reach) & (xy[:, 0] <= view.width + reach)
    ok &= (xy[:, 1] >= -reach) & (xy[:, 1] <= view.height + reach)
    for k in np.flatnonzero(ok).tolist():
        yield texts[k], float(xy[k, 0]), float(xy[k, 1]), round(float(size[k]))


def _draw_texts(draw: ImageDraw.ImageDraw, texts: Sequence[TextItem], view: _View) -> None:
    """Texts placed by the point the drawing gives, as ``TextItem.align`` names it (Pillow
    anchors use the same letters).

    Rotated texts are drawn into a mask around the anchor, rotated about it and stamped.
    """
    face: FontFile | None = cjk_font()
    colour = _COLOURS[TEXT_COLOUR]
    for item, x, y, size in _readable(texts, view):
        font = font_at(size, face)
        anchor = item.align
        spacing = round(size * _LINE_SPACING / _EM_PER_HEIGHT)
        if _upright(item.rotation):
            draw.text((x, y), item.text, fill=colour, font=font, anchor=anchor, spacing=spacing)
            continue
        left, top, right, bottom = draw.textbbox(
            (0, 0), item.text, font=font, anchor=anchor, spacing=spacing
        )
        r = math.ceil(max(abs(left), abs(top), abs(right), abs(bottom))) + 2
        mask = Image.new("L", (2 * r, 2 * r), 0)
        ImageDraw.Draw(mask).text(
            (r, r), item.text, fill=255, font=font, anchor=anchor, spacing=spacing
        )
        mask = mask.rotate(item.rotation % 360.0, resample=Image.Resampling.BICUBIC, center=(r, r))
        draw.bitmap((round(x) - r, round(y) - r), mask, fill=colour)


# --------------------------------------------------------------------------------------------
# Highlights


def _geometry(item: Mapping[str, Any]) -> BaseGeometry:
    """A GeoJSON geometry (or Feature) as shapely; a clear ValueError when it is not one."""
    if isinstance(item, Mapping) and item.get("type") == "Feature":
        item = item.get("geometry") or {}
    try:
        return shape(item)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError, ShapelyError) as exc:
        raise ValueError(f"highlight is not a GeoJSON geometry: {exc}") from exc


def _parts(geom: BaseGeometry) -> Iterator[BaseGeometry]:
    """The points, lines and polygons inside any (multi-part, nested) geometry."""
    if geom.is_empty:
        return
    if geom.geom_type in ("Point", "LineString", "LinearRing", "Polygon"):
        yield geom
        return
    for part in shapely.get_parts(geom).tolist():
        yield from _parts(part)


def _rings(part: BaseGeometry) -> list[FloatArray]:
    """The outlines of a point, line or polygon as vertex arrays (none for a point)."""
    if part.geom_type == "Point":
        return []
    if part.geom_type == "Polygon":
        return [np.asarray(r.coords)[:, :2] for r in (part.exterior, *part.interiors)]
    return [np.asarray(part.coords)[:, :2]]


def _draw_highlights(
    draw: ImageDraw.ImageDraw, highlight: Sequence[Mapping[str, Any]], view: _View
) -> None:
    """Red outlines of lines and polygons, red rings around points and anything too small."""
    side = max(view.width, view.height)
    width = max(2, round(side / 600))
    radius = max(6, round(side / 150))
    for item in highlight:
        for part in _parts(_geometry(item)):
            rings = _rings(part)
            small = True
            if rings:
                px = view.to_px(np.concatenate(rings))
                lengths = np.array([len(r) for r in rings], dtype=np.int64)
                _stroke(draw, px, lengths, view, HIGHLIGHT, width)
                small = bool((px.max(axis=0) - px.min(axis=0)).max() < 2 * radius)
            if small:
                cx, cy = view.to_px(np.asarray(part.centroid.coords)[:, :2])[0]
                if -radius <= cx <= view.width + radius and -radius <= cy <= view.height + radius:
                    box = (cx - radius, cy - radius, cx + radius, cy + radius)
                    draw.ellipse(box, outline=HIGHLIGHT, width=width)


# --------------------------------------------------------------------------------------------
# Entry points


def render_png(
    model: DrawingModel,
    bbox: tuple[float, float, float, float] | None,
    width_px: int,
    *,
    highlight: Sequence[Mapping[str, Any]] | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> bytes:
    """The drawing window ``bbox`` (metres, model space; ``None``: the whole drawing) as PNG.

    The height follows from the window's proportions. ``highlight`` holds GeoJSON geometries
    in drawing coordinates, drawn in red over everything else. An empty drawing gives a blank
    white picture. Raises ``ValueError`` for a picture over ``max_pixels`` or ``MAX_SIDE``, a
    degenerate window, or a highlight that is not GeoJSON.
    """
    view = _view(model, bbox, width_px, max_pixels)
    image = Image.new("RGB", (view.width, view.height), WHITE)
    draw = ImageDraw.Draw(image)
    _draw_layers(draw, model, view)
    _draw_texts(draw, model.texts, view)
    if highlight:
        _draw_highlights(draw, highlight, view)
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=_PNG_LEVEL)
    return out.getvalue()


def thumbnail_png(model: DrawingModel, width_px: int = 480) -> bytes:
    """The whole drawing, ``width_px`` wide, for package and file lists."""
    return render_png(model, None, width_px)

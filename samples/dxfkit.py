"""Drawing helpers for the sample packages: sheets, axis grids, walls, openings, rooms, notes.

The sample packages are the platform's reference input: the checkers, the viewer and the intake
are all tried against them, so the drawings have to look like real CAD exports (title-block
frames with attributes, door and window blocks, DIMENSION entities, MTEXT with formatting codes,
hatches) and still be exactly reproducible. This module keeps those ezdxf details in one place so
that a second sample (an office building, say) reuses them instead of copying them.

Everything is drawn through a :class:`Canvas`: content is written in a local coordinate system in
millimetres (the building's axis 1/A point, or a site origin) and the canvas places it on its
sheet with a translation and a rotation. Paper sizes (text heights, axis bubbles, arrow sizes)
are given in paper millimetres and multiplied by the sheet's scale, as a draughtsman would.

Block definitions (frames, doors, windows, fixtures, furniture) live in
:mod:`samples.dxfkit_blocks` and are re-exported here. Layer names are not hard-coded: a :class:`LayerScheme` names the raw layers of one drawing
convention (TArch defaults, institute names, a firm's own), and the drawing code asks it for the
layer of each role. :func:`write_dxf` removes what ezdxf makes different on every run (creation
and update dates, GUIDs, the writer's time stamp) so that building twice gives identical bytes.
"""

from __future__ import annotations

import io
import math
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ezdxf.document import Drawing
from ezdxf.enums import MTextEntityAlignment, TextEntityAlignment
from ezdxf.filemanagement import new as new_drawing
from ezdxf.layouts.layout import Modelspace
from ezdxf.tools.juliandate import juliandate
from shapely.geometry import Polygon

from samples.dxfkit_blocks import (
    FIXTURES,
    FURNITURE,
    PAPERS,
    Paper,
    define_frame,
    door_block,
    door_size,
    ensure_block,
    fixture_block,
    furniture_block,
    window_block,
)

__all__ = [
    "FIXTURES",
    "FURNITURE",
    "PAPERS",
    "Canvas",
    "LayerScheme",
    "Paper",
    "Point",
    "Xform",
    "define_frame",
    "door_block",
    "door_size",
    "ensure_block",
    "ensure_dimstyle",
    "ensure_layer",
    "fixture_block",
    "furniture_block",
    "new_document",
    "window_block",
    "write_dxf",
]

Point = tuple[float, float]
"""A 2-D point in millimetres."""


# --------------------------------------------------------------------------------------------
# Placement
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Xform:
    """Local drawing coordinates -> model space: rotate by ``angle`` degrees, then translate.

    A site plan is drawn in the building's own frame (axis 1/A at the origin, axis 1 along y) and
    placed rotated onto the sheet; floor plans use ``angle = 0``. Keeping the rotation here means
    the drawing code never handles sines and cosines itself.
    """

    dx: float = 0.0
    dy: float = 0.0
    angle: float = 0.0

    def p(self, pt: Point) -> Point:
        """One point in model space."""
        a = math.radians(self.angle)
        c, s = math.cos(a), math.sin(a)
        x, y = pt
        return (self.dx + x * c - y * s, self.dy + x * s + y * c)

    def pts(self, points: Iterable[Point]) -> list[Point]:
        """Several points in model space."""
        return [self.p(q) for q in points]

    def rot(self, angle: float) -> float:
        """A local direction (degrees) in model space."""
        return (self.angle + angle) % 360.0


# --------------------------------------------------------------------------------------------
# Layer conventions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LayerScheme:
    """The raw layer name of each drawing role in one layer convention.

    Roles follow the logical groups of the submission standard (walls, doors, fire compartments,
    ...) plus the ordinary layers every drawing has and no checker reads (frame, dimensions,
    notes, furniture). Unused roles may stay empty.
    """

    frame: str
    dims: str
    notes: str
    furniture: str = ""
    wall: str = ""
    column: str = ""
    door: str = ""
    door_iden: str = ""
    window: str = ""
    window_iden: str = ""
    stair: str = ""
    lift: str = ""
    fixture: str = ""
    room: str = ""
    room_iden: str = ""
    axis: str = ""
    axis_iden: str = ""
    compartment: str = ""
    exit: str = ""
    stair_core: str = ""
    front_room: str = ""
    fire_lift: str = ""
    lane: str = ""
    rescue: str = ""
    redline: str = ""
    road_redline: str = ""
    control_line: str = ""
    outline: str = ""
    basement: str = ""
    green: str = ""
    parking: str = ""
    indicators: str = ""
    building_tag: str = ""
    road: str = ""
    paving: str = ""
    unit: str = ""
    blast_unit: str = ""
    entrance: str = ""
    roof: str = ""
    air_termination: str = ""
    down_conductor: str = ""


# Colours (AutoCAD colour index) and line types of the layers a sample may create. Anything not
# listed is drawn white/black and continuous.
_LAYER_STYLE: Mapping[str, tuple[int, str]] = {
    "WALL": (7, "CONTINUOUS"),
    "A-WALL": (7, "CONTINUOUS"),
    "COLUMN": (7, "CONTINUOUS"),
    "A-COLU": (7, "CONTINUOUS"),
    "DOOR_FIRE": (4, "CONTINUOUS"),
    "A-DOOR": (4, "CONTINUOUS"),
    "WINDOW": (4, "CONTINUOUS"),
    "A-WIND": (4, "CONTINUOUS"),
    "DOOR_FIRE_TEXT": (7, "CONTINUOUS"),
    "WINDOW_TEXT": (7, "CONTINUOUS"),
    "STAIR": (2, "CONTINUOUS"),
    "A-STRS": (2, "CONTINUOUS"),
    "EVTR": (6, "CONTINUOUS"),
    "A-EVTR": (6, "CONTINUOUS"),
    "LATRINE": (6, "CONTINUOUS"),
    "SPACE": (8, "CONTINUOUS"),
    "DOTE": (1, "CENTER"),
    "A-DOTE": (1, "CENTER"),
    "AXIS_TEXT": (3, "CONTINUOUS"),
    "A-AXIS-IDEN": (3, "CONTINUOUS"),
    "F-AREA": (1, "DASHED"),
    "F-EXIT": (3, "CONTINUOUS"),
    "F-STRS": (5, "CONTINUOUS"),
    "F-FRNT": (5, "CONTINUOUS"),
    "F-EVTR": (6, "CONTINUOUS"),
    "F-LANE": (1, "CONTINUOUS"),
    "F-SITE": (1, "CONTINUOUS"),
    "R-UNIT": (1, "DASHED"),
    "R-BLST": (5, "DASHED"),
    "R-ENTR": (3, "CONTINUOUS"),
    "用地红线": (1, "PHANTOM"),
    "A-REDL": (1, "PHANTOM"),
    "道路红线": (1, "DASHDOT"),
    "A-ROAD-RED": (1, "DASHDOT"),
    "建筑控制线": (6, "DASHED"),
    "A-REDL-ARCH": (6, "DASHED"),
    "建筑轮廓": (7, "CONTINUOUS"),
    "A-MAST-ROOF": (7, "CONTINUOUS"),
    "地下室轮廓": (8, "HIDDEN"),
    "绿地": (3, "CONTINUOUS"),
    "车位": (8, "CONTINUOUS"),
    "消防车道": (1, "CONTINUOUS"),
    "登高场地": (1, "CONTINUOUS"),
    "屋面轮廓": (7, "CONTINUOUS"),
    "接闪带": (1, "CONTINUOUS"),
    "引下线": (1, "CONTINUOUS"),
    "Defpoints": (7, "CONTINUOUS"),
}

_LINETYPES: Mapping[str, tuple[str, Sequence[float]]] = {
    "CENTER": ("Center ____ _ ____ _ ____", (2.0, 1.25, -0.25, 0.25, -0.25)),
    "DASHED": ("Dashed __ __ __ __ __", (0.75, 0.5, -0.25)),
    "HIDDEN": ("Hidden __ __ __ __", (0.375, 0.25, -0.125)),
    "DASHDOT": ("Dash dot __ . __ . __", (1.0, 0.5, -0.25, 0.0, -0.25)),
    "PHANTOM": ("Phantom ____ __ __ ____", (2.5, 1.25, -0.25, 0.25, -0.25, 0.25, -0.25)),
}


# --------------------------------------------------------------------------------------------
# Documents, styles, frames
# --------------------------------------------------------------------------------------------


def new_document(version: str, *, ltscale: float = 100.0) -> Drawing:
    """An empty drawing in millimetres with Chinese text styles and the usual line types.

    The drawing declares ``$DWGCODEPAGE = ANSI_936`` as Chinese CAD does. For releases before
    R2007 that makes ezdxf write GBK bytes (it needs both the header variable and the document
    encoding); from R2007 on DXF text is UTF-8 whatever the code page says.

    Args:
        version: ezdxf release name (``"R2000"``, ``"R2013"``, ``"R2018"``).
        ltscale: ``$LTSCALE``, the global line-type scale of the drawing.
    """
    doc = new_drawing(version)
    doc.header["$DWGCODEPAGE"] = "ANSI_936"
    doc.encoding = "gbk"
    doc.units = 4  # $INSUNITS: millimetres
    doc.header["$MEASUREMENT"] = 1
    doc.header["$LUNITS"] = 2
    doc.header["$LTSCALE"] = ltscale
    for name, (description, pattern) in _LINETYPES.items():
        if name not in doc.linetypes:
            doc.linetypes.add(name, list(pattern), description=description)
    # Chinese drawings use an SHX font plus a "big font" for the CJK characters.
    doc.styles.new("HZ", dxfattribs={"font": "tssdeng.shx", "bigfont": "hztxt.shx", "width": 0.7})
    doc.styles.new("SIMSUN", dxfattribs={"font": "simsun.ttc", "width": 0.8})
    return doc


def ensure_layer(doc: Drawing, name: str) -> str:
    """Create layer ``name`` with its conventional colour and line type; return the name."""
    if name not in doc.layers:
        color, linetype = _LAYER_STYLE.get(name, (7, "CONTINUOUS"))
        doc.layers.add(name, color=color, linetype=linetype)
    return name


def ensure_dimstyle(doc: Drawing, scale: float) -> str:
    """A dimension style for sheets at 1:``scale`` with architectural ticks; return its name."""
    name = f"DIM-{int(scale)}"
    if name not in doc.dimstyles:
        doc.dimstyles.new(
            name,
            dxfattribs={
                "dimtxt": 3.0,
                "dimasz": 1.2,
                "dimblk": "ARCHTICK",
                "dimscale": float(scale),
                "dimexo": 2.0,
                "dimexe": 1.5,
                "dimgap": 0.8,
                "dimdec": 0,
                "dimtad": 1,
                "dimtxsty": "HZ",
                "dimclrd": 3,
                "dimclre": 3,
                "dimclrt": 7,
            },
        )
    return name


# --------------------------------------------------------------------------------------------
# The canvas
# --------------------------------------------------------------------------------------------

_ALIGN: Mapping[str, TextEntityAlignment] = {
    "MIDDLE_CENTER": TextEntityAlignment.MIDDLE_CENTER,
    "MIDDLE_LEFT": TextEntityAlignment.MIDDLE_LEFT,
    "BOTTOM_LEFT": TextEntityAlignment.BOTTOM_LEFT,
    "BOTTOM_CENTER": TextEntityAlignment.BOTTOM_CENTER,
}


class Canvas:
    """Draws in local millimetre coordinates onto one sheet of a drawing's model space.

    Args:
        doc: the drawing.
        xform: where the local origin lies in model space, and the rotation.
        scale: the sheet's scale denominator (100 for 1:100); paper sizes are multiplied by it.
    """

    def __init__(self, doc: Drawing, xform: Xform, scale: float) -> None:
        self.doc = doc
        self.msp: Modelspace = doc.modelspace()
        self.x = xform
        self.scale = scale

    # -- primitives -------------------------------------------------------------------------

    def _attrs(self, layer: str) -> dict[str, object]:
        return {"layer": ensure_layer(self.doc, layer)}

    def line(self, a: Point, b: Point, layer: str) -> None:
        """A LINE."""
        self.msp.add_line(self.x.p(a), self.x.p(b), dxfattribs=self._attrs(layer))

    def polyline(self, points: Sequence[Point], layer: str, *, closed: bool = True) -> None:
        """An LWPOLYLINE, closed by default (boundaries must be closed for the checkers)."""
        self.msp.add_lwpolyline(self.x.pts(points), close=closed, dxfattribs=self._attrs(layer))

    def rect(self, x0: float, y0: float, x1: float, y1: float, layer: str) -> None:
        """A closed rectangle."""
        self.polyline([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], layer)

    def polygon(self, poly: Polygon, layer: str) -> None:
        """The exterior of a shapely polygon as one closed LWPOLYLINE (no holes allowed)."""
        if len(poly.interiors):
            raise ValueError("a closed polyline cannot carry holes; split the polygon first")
        coords = [(float(x), float(y)) for x, y in poly.exterior.coords[:-1]]
        self.polyline(coords, layer)

    def circle(self, centre: Point, radius: float, layer: str) -> None:
        """A CIRCLE."""
        self.msp.add_circle(self.x.p(centre), radius, dxfattribs=self._attrs(layer))

    def hatch(
        self,
        points: Sequence[Point],
        layer: str,
        *,
        pattern: str | None = None,
        pattern_scale: float = 1.0,
        color: int = 256,
    ) -> None:
        """A HATCH over one closed boundary: SOLID, or a predefined pattern."""
        h = self.msp.add_hatch(color=color, dxfattribs=self._attrs(layer))
        h.paths.add_polyline_path(self.x.pts(points), is_closed=True)
        if pattern is not None:
            h.set_pattern_fill(pattern, scale=pattern_scale, angle=self.x.angle)

    def text(
        self,
        content: str,
        at: Point,
        layer: str,
        *,
        size: float = 3.5,
        align: str = "MIDDLE_CENTER",
        angle: float = 0.0,
        style: str = "HZ",
    ) -> None:
        """A single-line TEXT; ``size`` is the paper height in mm."""
        t = self.msp.add_text(
            content,
            height=size * self.scale,
            rotation=self.x.rot(angle),
            dxfattribs={**self._attrs(layer), "style": style},
        )
        t.set_placement(self.x.p(at), align=_ALIGN[align])

    def mtext(
        self,
        content: str,
        at: Point,
        layer: str,
        *,
        size: float = 3.5,
        width: float = 0.0,
        style: str = "HZ",
    ) -> None:
        """An MTEXT attached at its top left; ``content`` may carry formatting codes."""
        m = self.msp.add_mtext(
            content,
            dxfattribs={
                **self._attrs(layer),
                "char_height": size * self.scale,
                "width": width * self.scale,
                "style": style,
            },
        )
        m.set_location(
            self.x.p(at), rotation=self.x.angle, attachment_point=MTextEntityAlignment.TOP_LEFT
        )

    def insert(
        self,
        block: str,
        at: Point,
        layer: str,
        *,
        angle: float = 0.0,
        xscale: float = 1.0,
        yscale: float = 1.0,
        attribs: Mapping[str, str] | None = None,
        attrib_layer: str | None = None,
        hidden: Iterable[str] = (),
    ) -> None:
        """An INSERT, with ATTRIBs from the block's ATTDEFs when ``attribs`` is given.

        ATTRIBs are put on ``attrib_layer`` (default: the INSERT's layer) rather than the
        ATTDEFs' layer 0, and the tags in ``hidden`` are made invisible: data attributes of a
        block are rarely printed.
        """
        ref = self.msp.add_blockref(
            block,
            self.x.p(at),
            dxfattribs={
                **self._attrs(layer),
                "rotation": self.x.rot(angle),
                "xscale": xscale,
                "yscale": yscale,
            },
        )
        if attribs is not None:
            ref.add_auto_attribs(dict(attribs))
            hide = set(hidden)
            target = ensure_layer(self.doc, attrib_layer or layer)
            for attrib in ref.attribs:
                attrib.dxf.layer = target
                if attrib.dxf.tag in hide:
                    attrib.is_invisible = True

    def dim(self, p1: Point, p2: Point, at: Point, layer: str, *, angle: float = 0.0) -> None:
        """A rendered linear DIMENSION measuring ``p1``-``p2`` along local direction ``angle``.

        ``at`` is any point of the dimension line (local coordinates).
        """
        style = ensure_dimstyle(self.doc, self.scale)
        d = self.msp.add_linear_dim(
            base=self.x.p(at),
            p1=self.x.p(p1),
            p2=self.x.p(p2),
            angle=self.x.rot(angle),
            dimstyle=style,
            dxfattribs=self._attrs(layer),
        )
        d.render()

    # -- architecture -------------------------------------------------------------------------

    def axis_grid(
        self,
        xs: Sequence[tuple[str, float]],
        ys: Sequence[tuple[str, float]],
        *,
        axis_layer: str,
        label_layer: str,
        overshoot: float = 14.0,
        bubble: float = 8.0,
    ) -> None:
        """Axis lines with numbered bubbles at both ends (GB/T 50001 ch. 7).

        ``xs`` are the vertical axes (``1``, ``2``, ... left to right), ``ys`` the horizontal
        ones (``A``, ``B``, ... bottom to top). Lines overshoot the grid by ``overshoot`` paper
        mm; each bubble (``bubble`` mm across) sits just beyond the end of its line, so the
        label's nearest line end is its own axis.
        """
        ext = overshoot * self.scale
        r = bubble * self.scale / 2
        x0 = min(x for _, x in xs)
        x1 = max(x for _, x in xs)
        y0 = min(y for _, y in ys)
        y1 = max(y for _, y in ys)
        for label, x in xs:
            self.line((x, y0 - ext), (x, y1 + ext), axis_layer)
            for cy in (y0 - ext - r, y1 + ext + r):
                self.circle((x, cy), r, label_layer)
                self.text(label, (x, cy), label_layer, size=_bubble_text(label, bubble))
        for label, y in ys:
            self.line((x0 - ext, y), (x1 + ext, y), axis_layer)
            for cx in (x0 - ext - r, x1 + ext + r):
                self.circle((cx, y), r, label_layer)
                self.text(label, (cx, y), label_layer, size=_bubble_text(label, bubble))

    def door(
        self,
        number: str,
        centre: Point,
        along: str,
        swing: int,
        hinge: int,
        wall: float,
        *,
        layer: str,
        text_layer: str,
    ) -> None:
        """A door INSERT in a wall, with its number next to it.

        Args:
            number: door number; its width decides the block (``M0921`` -> 900 mm).
            centre: middle of the opening on the wall's centre line.
            along: ``"x"`` for a wall running along x, ``"y"`` along y.
            swing: the side the leaf opens to, +1 (towards +y / +x) or -1.
            hinge: the end of the opening that carries the hinge, +1 (high) or -1 (low).
            wall: wall thickness in mm (the block sits on the wall face of the swing side).
        """
        width, _ = door_size(number)
        block = door_block(self.doc, width)
        u = (1.0, 0.0) if along == "x" else (0.0, 1.0)
        n = (0.0, float(swing)) if along == "x" else (float(swing), 0.0)
        angle = {(0.0, 1.0): 0.0, (0.0, -1.0): 180.0, (1.0, 0.0): 270.0, (-1.0, 0.0): 90.0}[n]
        d = (math.cos(math.radians(angle)), math.sin(math.radians(angle)))
        hx = centre[0] + hinge * width / 2 * u[0] + wall / 2 * n[0]
        hy = centre[1] + hinge * width / 2 * u[1] + wall / 2 * n[1]
        want = (-hinge * u[0], -hinge * u[1])
        mirrored = abs(d[0] - want[0]) + abs(d[1] - want[1]) > 1e-9
        self.insert(block, (hx, hy), layer, angle=angle, xscale=-1.0 if mirrored else 1.0)
        off = wall / 2 + 2.0 * self.scale
        tx, ty = centre[0] - n[0] * off, centre[1] - n[1] * off
        self.text(number, (tx, ty), text_layer, size=2.5, angle=0.0 if along == "x" else 90.0)

    def window(
        self,
        number: str,
        centre: Point,
        along: str,
        outward: int,
        wall: float,
        *,
        layer: str,
        text_layer: str,
    ) -> None:
        """A window INSERT centred on a wall, with its number outside the building."""
        width, _ = door_size(number)
        block = window_block(self.doc, width, wall)
        if along == "x":
            self.insert(block, (centre[0] - width / 2, centre[1]), layer)
            at = (centre[0], centre[1] + outward * (wall / 2 + 3.0 * self.scale))
            self.text(number, at, text_layer, size=2.5)
        else:
            self.insert(block, (centre[0], centre[1] - width / 2), layer, angle=90.0)
            at = (centre[0] + outward * (wall / 2 + 3.0 * self.scale), centre[1])
            self.text(number, at, text_layer, size=2.5, angle=90.0)

    def flight(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        *,
        run: str,
        treads: int,
        layer: str,
    ) -> None:
        """A stair flight: closed outline plus the tread lines between its ends.

        ``run`` is the walking direction (``"x"`` or ``"y"``); the flight is divided into
        ``treads`` equal treads, so ``treads - 1`` lines are drawn inside the outline.
        """
        self.rect(x0, y0, x1, y1, layer)
        for k in range(1, treads):
            if run == "y":
                y = y0 + (y1 - y0) * k / treads
                self.line((x0, y), (x1, y), layer)
            else:
                x = x0 + (x1 - x0) * k / treads
                self.line((x, y0), (x, y1), layer)


def _bubble_text(label: str, bubble: float) -> float:
    """Text height for an axis label: long labels (``1/01``) get smaller text to fit."""
    return bubble * (0.55 if len(label) <= 2 else 0.3)


# --------------------------------------------------------------------------------------------
# Reproducible output
# --------------------------------------------------------------------------------------------

_DATE_VARS = frozenset({"$TDCREATE", "$TDUCREATE", "$TDUPDATE", "$TDUUPDATE"})
_GUID_VARS = frozenset({"$FINGERPRINTGUID", "$VERSIONGUID"})
_STAMP = re.compile(r"^(\d+\.\d+(?:\.\d+)*(?:\w+)?) @ \d{4}-\d\d-\d\dT[0-9:.+\-]+$")


def write_dxf(doc: Drawing, path: Path, *, stamp: datetime, seed: str) -> None:
    """Write ``doc`` as ASCII DXF whose bytes depend only on its content.

    ezdxf stamps every save with the current time ($TDCREATE, $TDUPDATE, ..., and the
    ``version @ time`` strings of its metadata dictionary) and fresh random GUIDs
    ($FINGERPRINTGUID, $VERSIONGUID). The text is written to memory, those values are replaced
    by ``stamp`` and by GUIDs derived from ``seed`` (name-based UUIDs), and the result is encoded
    as the document declares (GBK for an ANSI_936 R2000 file, UTF-8 from R2007).

    ezdxf also registers the CLASS entries of the entity types in use by iterating a ``set`` of
    type names, so their order would follow the interpreter's string hash seed; they are
    registered first and then put in name order.
    """
    _stable_classes(doc)
    stream = io.StringIO()
    doc.write(stream)
    lines = stream.getvalue().split("\n")
    julian = repr(juliandate(stamp))
    pending: str | None = None
    for i in range(0, len(lines) - 1, 2):
        code, value = lines[i].strip(), lines[i + 1]
        if pending is not None:
            if pending in _DATE_VARS and code == "40":
                lines[i + 1] = julian
            elif pending in _GUID_VARS and code == "2":
                guid = uuid.uuid5(uuid.NAMESPACE_URL, f"{seed}#{pending}")
                lines[i + 1] = "{" + str(guid).upper() + "}"
            pending = None
        if code == "9" and (value in _DATE_VARS or value in _GUID_VARS):
            pending = value
        elif code == "1":
            m = _STAMP.match(value)
            if m is not None:
                lines[i + 1] = f"{m.group(1)} @ {stamp.isoformat()}"
    data = doc.encode("\n".join(lines))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _stable_classes(doc: Drawing) -> None:
    """Register every CLASS the drawing needs, in name order (see :func:`write_dxf`)."""
    doc.classes.add_required_classes(doc.dxfversion)
    for name in sorted(doc.entitydb.dxf_types_in_use()):
        doc.classes.add_class(name)
    ordered = sorted(doc.classes.classes.items(), key=lambda item: item[0])
    doc.classes.classes.clear()
    doc.classes.classes.update(ordered)

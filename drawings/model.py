"""The semantic model of one drawing: what checkers and the viewer see instead of DXF.

Everything here is in metres, in the drawing's own model-space coordinates (drawing units
converted to metres, no registration). Nothing in this module knows DXF; ``drawings.loader``
builds these objects and ``drawings.serialize`` stores them compactly so that workers and the
viewer reload a drawing without parsing the DXF again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = [
    "Building",
    "Discipline",
    "DisplayLayer",
    "DrawingModel",
    "GeometryRef",
    "GeometryStore",
    "IntakeFinding",
    "LayerInfo",
    "SemanticObject",
    "Severity",
    "Sheet",
    "Stats",
    "TEXT_ANCHORS",
    "TEXT_ANCHOR_CODES",
    "TextItem",
]


class Discipline(StrEnum):
    """The five drawings of joint review; a file's discipline is its package folder."""

    PLANNING = "planning"
    ARCHITECTURE = "architecture"
    FIRE = "fire"
    CIVIL_DEFENCE = "civil_defence"
    LIGHTNING = "lightning"


class Severity(StrEnum):
    """Finding severity as the rule catalogue defines it."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class IntakeFinding:
    """One ``DXF-0xx`` finding produced while reading a drawing.

    ``message`` is Simplified Chinese (the users' language), ``message_en`` the same in English.
    ``location`` is a GeoJSON geometry in metres, model space.
    """

    code: str
    slug: str
    severity: Severity
    message: str
    message_en: str
    file: str | None = None
    sheet: str | None = None
    layer: str | None = None
    location: Mapping[str, Any] | None = None
    handles: tuple[str, ...] = ()
    measured: float | None = None
    limit: float | None = None
    unit: str | None = None
    details: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Sheet:
    """A sheet: a title-block frame in model space, a paper-space layout, or the whole model.

    ``floor`` is ``"1"``, ``"2"``, ... above ground, ``"-1"``, ... below ground, ``"RF"`` for the
    roof, or ``None`` when it could not be read. ``origin`` is the intersection of axis 1 and
    axis A on this sheet (the building's registration point), in metres.
    """

    index: int
    sheet_no: str | None
    title: str | None
    floor: str | None
    scale: str | None
    bbox: tuple[float, float, float, float]
    source: str  # "frame" | "layout" | "model"
    handle: str | None = None
    origin: tuple[float, float] | None = None

    @property
    def label(self) -> str:
        """The name shown to people: the sheet number, else the title, else its position."""
        return self.sheet_no or self.title or f"#{self.index + 1}"


class GeometryStore:
    """Coordinates of many simple geometries (points, lines, polygons without holes) in one array.

    A drawing holds 10^5 semantic objects; as GEOS objects a two-point line costs ~400 bytes and a
    small polygon ~800, several times the coordinates themselves. Ingestion therefore keeps plain
    coordinates (views into the drawing's vertex array) and creates shapely geometries when they
    are asked for: one at a time through ``GeometryRef``, or all at once, vectorised, with
    ``materialize()`` (what checkers do before heavy work).
    """

    POINT = 0
    LINE = 1
    POLYGON = 2
    __slots__ = ("_cache", "ends", "starts", "types", "xy")

    def __init__(
        self,
        xy: npt.NDArray[np.float64],
        starts: npt.NDArray[np.int64],
        ends: npt.NDArray[np.int64],
        types: npt.NDArray[np.uint8],
    ) -> None:
        self.xy = xy
        self.starts = starts
        self.ends = ends
        self.types = types
        self._cache: npt.NDArray[np.object_] | None = None

    def __len__(self) -> int:
        return len(self.types)

    def get(self, i: int) -> BaseGeometry:
        """Geometry ``i`` (created now unless the store was materialised)."""
        if self._cache is not None:
            cached: BaseGeometry = self._cache[i]
            return cached
        pts = self.xy[self.starts[i] : self.ends[i]]
        kind = self.types[i]
        if kind == self.POINT:
            return shapely.Point(pts[0])
        if kind == self.LINE:
            return shapely.LineString(pts)
        return shapely.Polygon(pts)

    def materialize(self) -> npt.NDArray[np.object_]:
        """Create every geometry at once (vectorised) and keep them; returns the array."""
        if self._cache is None:
            out = np.empty(len(self.types), dtype=object)
            lengths = self.ends - self.starts
            for kind, make in (
                (self.LINE, shapely.linestrings),
                (
                    self.POLYGON,
                    lambda c, indices: shapely.polygons(shapely.linearrings(c, indices=indices)),
                ),
            ):
                sel = np.flatnonzero(self.types == kind)
                if len(sel):
                    idx = np.concatenate(
                        [
                            np.arange(a, b)
                            for a, b in zip(self.starts[sel], self.ends[sel], strict=True)
                        ]
                    )
                    ids = np.repeat(np.arange(len(sel)), lengths[sel])
                    out[sel] = make(self.xy[idx], indices=ids)
            sel = np.flatnonzero(self.types == self.POINT)
            if len(sel):
                out[sel] = shapely.points(self.xy[self.starts[sel]])
            self._cache = out
        return self._cache


@dataclass(frozen=True, slots=True, eq=False)
class GeometryRef:
    """A geometry kept as coordinates in a ``GeometryStore`` until someone needs it."""

    store: GeometryStore
    index: int

    def get(self) -> BaseGeometry:
        """The shapely geometry."""
        return self.store.get(self.index)

    def __eq__(self, other: object) -> bool:
        mine = self.get()
        theirs = other.get() if isinstance(other, GeometryRef) else other
        return bool(mine == theirs)

    def __hash__(self) -> int:
        return hash(self.get().wkb)


@dataclass(frozen=True, slots=True)
class SemanticObject:
    """A drawing entity on a mapped layer, with valid shapely geometry in metres.

    ``handle`` is the entity's own handle, or the handle of the top-level INSERT for content that
    came out of a block (virtual entities have no handle of their own). ``kind`` is the DXF type
    (``LINE``, ``LWPOLYLINE``, ``INSERT``, ``TEXT`` ...). For an INSERT, ``block`` is the block
    name, ``point`` the insertion point, ``rotation`` degrees, ``size`` the block extents scaled
    (width along the block's x axis, depth along its y axis) and ``attrs`` its attributes.
    For TEXT/MTEXT, ``text`` is the decoded plain text and ``point`` the insertion point.
    ``shape`` holds either the geometry or a reference into the drawing's ``GeometryStore``;
    read ``geometry``.
    """

    group: str
    layer: str
    handle: str
    kind: str
    shape: BaseGeometry | GeometryRef
    sheet: int | None = None
    text: str | None = None
    attrs: Mapping[str, str] = field(default_factory=dict)
    block: str | None = None
    point: tuple[float, float] | None = None
    rotation: float = 0.0
    size: tuple[float, float] | None = None
    closed: bool = False
    in_block: bool = False

    @property
    def geometry(self) -> BaseGeometry:
        """The shapely geometry in metres (created on first use for simple shapes)."""
        shape = self.shape
        if isinstance(shape, GeometryRef):
            return shape.get()
        return shape


@dataclass(frozen=True, slots=True)
class Building:
    """A ``BLDG`` block on a site plan: where a building's axis 1/A origin sits, and its data."""

    name: str
    handle: str
    point: tuple[float, float]
    rotation: float
    attrs: Mapping[str, str]
    sheet: int | None = None


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """A raw layer with its mapped group (or ``None``) and how many entities it holds."""

    name: str
    group: str | None
    entities: int


TEXT_ANCHORS: tuple[str, ...] = tuple(h + v for h in "lmr" for v in "sdma")
"""Where a text's point ``x, y`` lies on the text, as Pillow names it: horizontally ``l`` left,
``m`` middle, ``r`` right; vertically ``s`` baseline, ``d`` bottom, ``m`` middle, ``a`` top (of
the whole block for several lines). A stored code is the index in this tuple."""

TEXT_ANCHOR_CODES: dict[str, int] = {a: i for i, a in enumerate(TEXT_ANCHORS)}
"""The stored code of each anchor (``TEXT_ANCHORS`` read backwards)."""


@dataclass(frozen=True, slots=True)
class TextItem:
    """A text string placed in the drawing, for display and for ``inspect --texts``.

    ``align`` says which point of the text ``x, y`` is (``TEXT_ANCHORS``): the drawing gives a
    centred room name by its centre, and a reader that put the text's left end there would
    draw it half a width off.
    """

    layer: str
    text: str
    x: float
    y: float
    height: float
    rotation: float
    handle: str
    align: str = "ls"


@dataclass(frozen=True, slots=True)
class DisplayLayer:
    """All line work of one layer as flat arrays, for fast rendering.

    ``coords`` is an (N, 2) float64 array of vertices in metres; polyline ``i`` runs from
    ``offsets[i]`` to ``offsets[i + 1]`` (``offsets`` has one more element than polylines).
    Closed shapes repeat their first vertex. Proxy graphics are kept here too.
    """

    name: str
    group: str | None
    coords: npt.NDArray[np.float64]
    offsets: npt.NDArray[np.int64]

    def paths(self) -> Iterator[npt.NDArray[np.float64]]:
        """Yield each polyline's vertices."""
        for start, end in zip(self.offsets[:-1], self.offsets[1:], strict=True):
            yield self.coords[start:end]

    @property
    def path_count(self) -> int:
        """Number of polylines in this layer."""
        return max(len(self.offsets) - 1, 0)


@dataclass(frozen=True, slots=True)
class Stats:
    """Counts reported by ``inspect``."""

    entities: int
    layers: int
    blocks: int
    expanded_entities: int = 0
    semantic_objects: int = 0


@dataclass(frozen=True, slots=True)
class DrawingModel:
    """Everything the platform knows about one DXF file after intake."""

    file: str
    sha256: str
    discipline: Discipline | None
    dxf_version: str
    release: str
    encoding: str
    unit: str
    unit_to_m: float
    loaded_via: str  # "stream" | "binary" | "recover"
    sheets: tuple[Sheet, ...]
    objects: tuple[SemanticObject, ...]
    buildings: tuple[Building, ...]
    layers: tuple[LayerInfo, ...]
    texts: tuple[TextItem, ...]
    display: tuple[DisplayLayer, ...]
    findings: tuple[IntakeFinding, ...]
    stats: Stats
    extents: tuple[float, float, float, float] | None = None

    def materialize(self) -> None:
        """Create every lazily kept geometry now, vectorised (before heavy geometric work)."""
        stores: dict[int, GeometryStore] = {}
        for o in self.objects:
            if isinstance(o.shape, GeometryRef):
                stores.setdefault(id(o.shape.store), o.shape.store)
        for store in stores.values():
            store.materialize()

    def group(self, name: str) -> tuple[SemanticObject, ...]:
        """All semantic objects of one logical layer group, e.g. ``"F-AREA"``."""
        return tuple(o for o in self.objects if o.group == name)

    @property
    def groups(self) -> dict[str, list[str]]:
        """Groups present, with the raw layer names their objects came from (sorted).

        One raw layer can feed two groups (TArch's ``SPACE`` holds room outlines and names).
        """
        out: dict[str, set[str]] = {}
        for o in self.objects:
            out.setdefault(o.group, set()).add(o.layer)
        return {g: sorted(names) for g, names in sorted(out.items())}

    @property
    def unmapped_layers(self) -> list[str]:
        """Raw layers holding entities that no alias maps."""
        return sorted(i.name for i in self.layers if i.group is None and i.entities > 0)

    def sheet_label(self, index: int | None) -> str | None:
        """The display label of sheet ``index``, or ``None``."""
        if index is None or index >= len(self.sheets):
            return None
        return self.sheets[index].label

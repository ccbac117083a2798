"""Expanded line work → semantic objects, display layers and text items, in metres.

Geometry is created in bulk with shapely's vectorised constructors (one call per geometry type
for the whole drawing), validity is checked in bulk, and only invalid polygons are repaired one
by one, each repair reported (``DXF-012``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from drawings.content import (
    Content,
    Flat,
    InsertRec,
    apply,
    handle_text,
    ranges,
    reorder,
    rotation_deg,
    select,
)
from drawings.expand import Expansion
from drawings.layers import GROUPS, LayerMap
from drawings.model import (
    DisplayLayer,
    GeometryRef,
    GeometryStore,
    SemanticObject,
    Sheet,
    TextItem,
)
from drawings.sheets import sheet_index

__all__ = ["Built", "build_objects", "drop_bad_coordinates"]

IntArray = npt.NDArray[np.int64]
CLOSE_GAP_M = 0.05
_EMPTY_FLAT = Content().to_flat(inherit_zero=False)
_BATCH = 2_048  # polygons validated per vectorised call: bounds the transient GEOS memory
_EMPTY: Mapping[str, str] = MappingProxyType({})  # shared: most objects have no attributes
_OPEN_KINDS = frozenset({"LWPOLYLINE", "POLYLINE", "SPLINE"})


@dataclass(slots=True)
class OpenBoundary:
    """An open polyline on a group that needs closed boundaries (for ``DXF-006``)."""

    group: str
    layer: str
    handle: str
    gap: float
    closed_automatically: bool
    geometry: BaseGeometry
    handles: tuple[str, ...] = ()  # segments assembled into one boundary


@dataclass(slots=True)
class Repair:
    """An invalid polygon repaired with ``make_valid`` (for ``DXF-012``)."""

    group: str
    layer: str
    handle: str
    area_before: float
    area_after: float
    geometry: BaseGeometry


@dataclass(slots=True)
class Built:
    """The semantic part of a drawing before sheets are assigned."""

    objects: list[SemanticObject]
    texts: list[TextItem]
    display: list[DisplayLayer]
    layer_counts: dict[str, int]
    open_boundaries: list[OpenBoundary] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    proxy_layers: dict[str, int] = field(default_factory=dict)
    store: GeometryStore | None = None
    flat: Flat | None = None


def drop_bad_coordinates(flat: Flat, max_abs: float) -> tuple[Flat, list[str]]:
    """Remove entities with NaN, infinite or absurd coordinates; return their handles."""
    xy = flat.xy
    if not len(xy):
        return flat, []
    bad_vertex = np.zeros(len(xy), dtype=bool)
    for b0 in range(0, len(xy), 1 << 18):  # in slices: whole-array temporaries double the peak
        part = xy[b0 : b0 + (1 << 18)]
        bad_vertex[b0 : b0 + len(part)] = ~(np.abs(part) <= max_abs).all(axis=1)
    bad_texts = [
        i
        for i, t in enumerate(flat.texts)
        if not (
            math.isfinite(t.x)
            and math.isfinite(t.y)
            and abs(t.x) <= max_abs
            and abs(t.y) <= max_abs
        )
    ]
    if not bad_vertex.any() and not bad_texts:
        return flat, []
    handles: list[str] = []
    if bad_texts:
        drop = set(bad_texts)
        handles += [flat.texts[i].handle for i in bad_texts]
        flat.texts = [t for i, t in enumerate(flat.texts) if i not in drop]
    if not bad_vertex.any():
        return flat, handles
    path_of_vertex = np.searchsorted(flat.path_start[1:], np.nonzero(bad_vertex)[0], side="right")
    ent_of_path = np.searchsorted(flat.ent_path[1:], path_of_vertex, side="right")
    bad_ents = np.unique(ent_of_path)
    keep = np.ones(len(flat.kind), dtype=bool)
    keep[bad_ents] = False
    # Proxy graphics are decoded from opaque binary data; garbage there is not the designer's.
    handles += [handle_text(int(flat.handle[i])) for i in bad_ents if flat.kind[i] != "PROXY"]
    return select(flat, keep), handles


def build_objects(
    expansion: Expansion,
    layer_map: LayerMap,
    sheets: Sequence[Sheet] = (),
) -> Built:
    """Create semantic objects, display layers and text items from the expanded model (metres).

    Takes the expanded drawing over from ``expansion`` (its vertices are reordered by layer and
    the unordered copy released). Block extents (block coordinates) give the footprint and size
    of INSERT objects (doors, frames, entrances).
    """
    flat = expansion.flat
    expansion.flat = _EMPTY_FLAT
    extents_of = expansion.extents
    n = len(flat.kind)
    counts: dict[str, int] = {}
    for raw_name in flat.layer:
        name = raw_name if raw_name is not None else "0"
        counts[name] = counts.get(name, 0) + 1
    for t in flat.texts:
        counts[t.layer or "0"] = counts.get(t.layer or "0", 0) + 1
    for ins in flat.inserts:
        if ins.kind == "INSERT":
            counts[ins.layer or "0"] = counts.get(ins.layer or "0", 0) + 1

    group_geo: dict[str, str | None] = {}
    for name in counts:
        group_geo[name] = layer_map.group_for(name, is_text=False)

    # One copy of the vertices, ordered by layer: display layers and the geometry store are
    # views into it, so the drawing's coordinates exist once.
    names = sorted({name if name is not None else "0" for name in flat.layer})
    lid: dict[str | None, int] = {name: k for k, name in enumerate(names)}
    lid[None] = lid.get("0", 0)
    ent_layer = np.fromiter((lid[name] for name in flat.layer), dtype=np.int64, count=n)
    if len(ent_layer) > 1 and (np.diff(ent_layer) < 0).any():  # expansion writes layer order
        order = np.argsort(ent_layer, kind="stable")
        flat = reorder(flat, order)
        ent_layer = ent_layer[order]
    built = Built(
        objects=[],
        texts=[],
        display=_display(flat, names, ent_layer, group_geo),
        layer_counts=counts,
    )
    built.flat = flat
    paths_per_ent = np.diff(flat.ent_path)
    ent_v0 = flat.path_start[flat.ent_path[:-1]]
    ent_v1 = flat.path_start[flat.ent_path[1:]]
    group_of = [group_geo[name] for name in names]  # by layer id
    mapped = np.fromiter((g is not None for g in group_of), dtype=bool, count=len(names))
    proxy = np.fromiter((k == "PROXY" for k in flat.kind), dtype=bool, count=n)
    sel = np.flatnonzero(mapped[ent_layer] & ~proxy) if n else np.zeros(0, dtype=np.int64)
    lay = _Layers(names, ent_layer, group_of)
    types, closed, overrides = _geometries(flat, sel, paths_per_ent, ent_v0, ent_v1, built, lay)
    in_block = flat.in_block
    sheet_of = sheet_index(_entity_centres(flat, sel, ent_v0, ent_v1), sheets)
    store = built.store
    for k, i in enumerate(sel.tolist()):
        shape: BaseGeometry | GeometryRef | None
        if k in overrides:
            shape = overrides[k]
            if shape is None:
                continue
        else:
            assert store is not None
            shape = GeometryRef(store, k)
        lid_i = int(ent_layer[i])
        group = group_of[lid_i]
        assert group is not None
        built.objects.append(
            SemanticObject(
                group,
                names[lid_i],
                handle_text(int(flat.handle[i])),
                flat.kind[i],
                shape,
                sheet_of[k],
                None,
                _EMPTY,
                None,
                None,
                0.0,
                None,
                bool(closed[k]),
                bool(in_block[i]) if in_block is not None else False,
            )
        )
    text_sheets = sheet_index(
        np.array([(t.cx, t.cy) for t in flat.texts], dtype=np.float64).reshape(-1, 2), sheets
    )
    for t, sheet in zip(flat.texts, text_sheets, strict=True):
        layer = t.layer or "0"
        built.texts.append(
            TextItem(layer, t.text, t.x, t.y, t.height, t.rotation, t.handle, t.align)
        )
        group = layer_map.group_for(layer, is_text=True)
        if group is None:
            continue
        built.objects.append(
            SemanticObject(
                group=group,
                layer=layer,
                handle=t.handle,
                kind=t.kind,
                shape=shapely.Point(t.cx, t.cy),
                text=t.text,
                point=(t.x, t.y),
                rotation=t.rotation,
                sheet=sheet,
                attrs=_EMPTY,
            )
        )
    picked: list[tuple[InsertRec, str, str]] = []
    for ins in flat.inserts:
        if ins.kind != "INSERT":
            continue
        layer = ins.layer or "0"
        group = layer_map.group_for(layer, is_text=bool(ins.attribs))
        if group is not None:
            picked.append((ins, group, layer))
    ins_sheets = sheet_index(
        np.array([ins.point for ins, _, _ in picked], dtype=np.float64).reshape(-1, 2), sheets
    )
    for (ins, group, layer), sheet in zip(picked, ins_sheets, strict=True):
        built.objects.append(_insert_object(ins, group, layer, extents_of, sheet))
    built.objects += _assemble_boundaries(built, sheets)
    assembled = {h for ob in built.open_boundaries for h in ob.handles}
    if assembled:  # an open polyline that is part of an assembled boundary is not an error
        built.open_boundaries = [
            ob for ob in built.open_boundaries if ob.handles or ob.handle not in assembled
        ]
    return built


_LINEWORK = frozenset({"LINE", "ARC", "LWPOLYLINE", "POLYLINE", "SPLINE"})
_MAX_ASSEMBLY = 20_000  # segments per group; beyond it, boundaries are not assembled


def _assemble_boundaries(built: Built, sheets: Sequence[Sheet]) -> list[SemanticObject]:
    """Closed boundaries drawn as separate lines (a red line of four LINEs, compartments drawn
    as shared wall lines) are assembled into polygons: node, snap at ``CLOSE_GAP_M``,
    polygonize. Each assembled boundary is reported as closed automatically (``DXF-006``
    warning) with the handles of the segments it came from."""
    by_group: dict[str, list[SemanticObject]] = {}
    for o in built.objects:
        spec = GROUPS.get(o.group)
        if spec is None or not spec.closed or o.closed or o.kind not in _LINEWORK:
            continue
        by_group.setdefault(o.group, []).append(o)
    out: list[SemanticObject] = []
    for group, segments in sorted(by_group.items()):
        if len(segments) < 2 or len(segments) > _MAX_ASSEMBLY:
            continue
        pairs = [(o, o.geometry) for o in segments]
        pairs = [(o, g) for o, g in pairs if g.geom_type == "LineString"]
        if len(pairs) < 2:
            continue
        segments = [o for o, _ in pairs]
        lines = [g for _, g in pairs]
        merged = shapely.snap(shapely.union_all(lines), shapely.union_all(lines), CLOSE_GAP_M)
        faces = [
            f
            for f in shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.node(merged))))
            if f.area > CLOSE_GAP_M * CLOSE_GAP_M
        ]
        if not faces:
            continue
        tree = STRtree(lines)
        sheet_of = sheet_index(
            np.array([(f.representative_point().x, f.representative_point().y) for f in faces]),
            sheets,
        )
        for face, sheet in zip(faces, sheet_of, strict=True):
            ring = face.exterior.buffer(CLOSE_GAP_M)
            used = tree.query(ring, predicate="intersects").tolist()
            parts = [segments[i] for i in used if ring.covers(lines[i])]
            if not parts:
                continue
            first = parts[0]
            out.append(
                SemanticObject(
                    group=group,
                    layer=first.layer,
                    handle=first.handle,
                    kind="ASSEMBLED",
                    shape=face,
                    sheet=sheet,
                    attrs=_EMPTY,
                    closed=True,
                )
            )
            built.open_boundaries.append(
                OpenBoundary(
                    group,
                    first.layer,
                    first.handle,
                    0.0,
                    True,
                    face.exterior,
                    handles=tuple(p.handle for p in parts),
                )
            )
    return out


def _range_bounds(
    xy: npt.NDArray[np.float64], starts: IntArray, ends: IntArray
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per-range minimum and maximum of the vertices ``xy[starts[i]:ends[i]]`` (non-empty
    ranges, ascending starts), vectorised with ``reduceat``."""
    lo = np.minimum.reduceat(xy, starts, axis=0)
    hi = np.maximum.reduceat(xy, starts, axis=0)
    # reduceat runs to the next start: recompute the ranges that end before it
    for k in np.flatnonzero(np.append(starts[1:], len(xy)) != ends).tolist():
        pts = xy[starts[k] : ends[k]]
        lo[k], hi[k] = pts.min(axis=0), pts.max(axis=0)
    return lo, hi


def _entity_centres(
    flat: Flat, sel: IntArray, ent_v0: IntArray, ent_v1: IntArray
) -> npt.NDArray[np.float64]:
    """Bounding-box centre of each selected entity: its representative point for sheets."""
    if not len(sel):
        return np.zeros((0, 2))
    idx = sel
    v0 = ent_v0[idx]
    v1 = ent_v1[idx]
    nonempty = v1 > v0
    out = np.full((len(idx), 2), np.nan)
    if nonempty.any() and len(flat.xy):
        lo, hi = _range_bounds(flat.xy, v0[nonempty], v1[nonempty])
        out[nonempty] = (lo + hi) / 2
    return out


def _insert_object(
    ins: InsertRec,
    group: str,
    layer: str,
    extents_of: dict[str, tuple[float, float, float, float] | None],
    sheet: int | None,
) -> SemanticObject:
    ext = extents_of.get(ins.name.lower())
    point = ins.point
    m = ins.matrix
    size: tuple[float, float] | None = None
    geom: BaseGeometry
    if ext is not None:
        x0, y0, x1, y1 = ext
        corners = [apply(m, x0, y0), apply(m, x1, y0), apply(m, x1, y1), apply(m, x0, y1)]
        sx = math.hypot(m[0], m[2])
        sy = math.hypot(m[1], m[3])
        size = ((x1 - x0) * sx, (y1 - y0) * sy)
        if size[0] > 0 and size[1] > 0:
            geom = shapely.Polygon(corners)
            if not geom.is_valid:
                geom = shapely.make_valid(geom)
        elif size[0] > 0 or size[1] > 0:
            geom = shapely.LineString([corners[0], corners[2]])
        else:
            geom = shapely.Point(corners[0])
    else:
        geom = shapely.Point(point)
    return SemanticObject(
        group=group,
        layer=layer,
        handle=ins.handle,
        kind="INSERT",
        shape=geom,
        attrs=dict(ins.attribs),
        block=ins.name,
        point=point,
        rotation=rotation_deg(m),
        size=size,
        sheet=sheet,
    )


@dataclass(slots=True)
class _Layers:
    """Layer name and group of each entity, by layer id (no per-entity lists)."""

    names: list[str]
    ent_layer: IntArray
    group_of: list[str | None]

    def layer(self, i: int) -> str:
        return self.names[int(self.ent_layer[i])]

    def group(self, i: int) -> str:
        group = self.group_of[int(self.ent_layer[i])]
        assert group is not None
        return group


def _geometries(
    flat: Flat,
    sel: IntArray,
    paths_per_ent: IntArray,
    ent_v0: IntArray,
    ent_v1: IntArray,
    built: Built,
    lay: _Layers,
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_], dict[int, BaseGeometry | None]]:
    """Shape type and closed flag of each selected entity, and the geometries built directly.

    Single-path entities (lines, polylines, circles, points) stay coordinates in a
    ``GeometryStore`` (views into ``flat.xy``, set on ``built.store``); polygons are checked
    for validity in batches and only invalid ones become repaired shapely geometries
    (``DXF-012``). Multi-loop hatches are built directly. The dictionary maps positions in
    ``sel`` to those direct geometries (``None``: nothing usable).
    """
    overrides: dict[int, BaseGeometry | None] = {}
    nverts = ent_v1[sel] - ent_v0[sel]
    single = paths_per_ent[sel] == 1
    closed = flat.closed[sel]
    xy = flat.xy
    # Open polylines on groups that need closed boundaries: DXF-006 gap check first.
    open_k = np.flatnonzero(single & ~closed & (nverts >= 3))
    for k in open_k.tolist():
        i = int(sel[k])
        group = lay.group(i)
        spec = GROUPS.get(group)
        if spec is None or not spec.closed or flat.kind[i] not in _OPEN_KINDS:
            continue
        pts = xy[ent_v0[i] : ent_v1[i]]
        gap = float(math.hypot(*(pts[-1] - pts[0])))
        auto = gap <= CLOSE_GAP_M
        line = shapely.LineString(pts)
        built.open_boundaries.append(
            OpenBoundary(group, lay.layer(i), handle_text(int(flat.handle[i])), gap, auto, line)
        )
        if auto:
            closed[k] = True  # local copy: this entity is used as a closed boundary
    types = np.full(len(sel), GeometryStore.LINE, dtype=np.uint8)
    is_poly = single & closed & (nverts >= 4)
    types[is_poly] = GeometryStore.POLYGON
    starts = ent_v0[sel].astype(np.int64)
    ends = ent_v1[sel].astype(np.int64)
    # A "line" whose vertices all coincide is a point (GEOS calls it invalid otherwise).
    line_k = np.flatnonzero(single & ~is_poly & (nverts >= 1))
    if len(line_k) and len(xy):
        lo, hi = _range_bounds(xy, starts[line_k], ends[line_k])
        types[line_k[(lo == hi).all(axis=1)]] = GeometryStore.POINT
    built.store = GeometryStore(xy, starts, ends, types)
    poly_k = np.flatnonzero(is_poly)
    for b0 in range(0, len(poly_k), _BATCH):
        batch = poly_k[b0 : b0 + _BATCH]
        vidx = ranges(starts[batch], ends[batch])
        ids = np.repeat(np.arange(len(batch)), nverts[batch])
        polys = shapely.polygons(shapely.linearrings(xy[vidx], indices=ids))
        valid = shapely.is_valid(polys)
        for j in np.flatnonzero(~valid).tolist():
            k = int(batch[j])
            overrides[k] = _repair(polys[j], flat, int(sel[k]), lay, built)
        del polys
    for k in np.flatnonzero(~single).tolist():
        geom = _multi_loop(flat, int(sel[k]))
        overrides[k] = geom
        closed[k] = geom is not None and geom.geom_type in ("Polygon", "MultiPolygon")
    closed = closed & ((types == GeometryStore.POLYGON) | ~single)
    return types, closed, overrides


def _repair(
    geom: BaseGeometry,
    flat: Flat,
    i: int,
    lay: _Layers,
    built: Built,
) -> BaseGeometry:
    fixed = shapely.make_valid(geom)
    polys = [
        g for g in getattr(fixed, "geoms", [fixed]) if g.geom_type in ("Polygon", "MultiPolygon")
    ]
    result = shapely.union_all(polys) if polys else fixed
    built.repairs.append(
        Repair(
            lay.group(i),
            lay.layer(i),
            handle_text(int(flat.handle[i])),
            float(geom.area),
            float(result.area),
            geom.boundary,
        )
    )
    return result


def _multi_loop(flat: Flat, i: int) -> BaseGeometry | None:
    """Hatch-like entities with several loops: outer boundaries and holes by even-odd."""
    p0, p1 = int(flat.ent_path[i]), int(flat.ent_path[i + 1])
    rings: list[BaseGeometry] = []
    for p in range(p0, p1):
        pts = flat.xy[flat.path_start[p] : flat.path_start[p + 1]]
        if len(pts) >= 4:
            ring = shapely.Polygon(pts)
            if not ring.is_valid:
                ring = shapely.make_valid(ring)
            rings.append(ring)
    if not rings:
        return None
    rings.sort(key=lambda g: -g.area)
    geom = rings[0]
    for ring in rings[1:]:
        geom = geom.symmetric_difference(ring)
    return geom


def _display(
    flat: Flat, names: list[str], ent_layer: IntArray, group_geo: dict[str, str | None]
) -> list[DisplayLayer]:
    """All line work grouped by layer: views into the layer-ordered vertex array."""
    if not len(flat.kind):
        return []
    bounds = np.searchsorted(ent_layer, np.arange(len(names) + 1))
    out: list[DisplayLayer] = []
    for k, name in enumerate(names):
        e0, e1 = int(bounds[k]), int(bounds[k + 1])
        if e0 == e1:
            continue
        p0, p1 = int(flat.ent_path[e0]), int(flat.ent_path[e1])
        v0, v1 = int(flat.path_start[p0]), int(flat.path_start[p1])
        offsets = (flat.path_start[p0 : p1 + 1] - v0).astype(np.int64)
        out.append(DisplayLayer(name, group_geo.get(name), flat.xy[v0:v1], offsets))
    return out

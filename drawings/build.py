"""Expanded line work → semantic objects, display layers and text items, in metres.

Geometry is created in bulk with shapely's vectorised constructors (one call per geometry type
for the whole drawing), validity is checked in bulk, and only invalid polygons are repaired one
by one, each repair reported (``DXF-012``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from drawings.content import Flat, InsertRec, apply, rotation_deg
from drawings.layers import GROUPS, LayerMap
from drawings.model import DisplayLayer, SemanticObject, TextItem

__all__ = ["Built", "build_objects", "drop_bad_coordinates"]

IntArray = npt.NDArray[np.int64]
CLOSE_GAP_M = 0.05
_POLYLINE_KINDS = frozenset({"LWPOLYLINE", "POLYLINE", "SPLINE", "LINE", "ARC"})


@dataclass(slots=True)
class OpenBoundary:
    """An open polyline on a group that needs closed boundaries (for ``DXF-006``)."""

    group: str
    layer: str
    handle: str
    gap: float
    closed_automatically: bool
    geometry: BaseGeometry


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


def drop_bad_coordinates(flat: Flat, max_abs: float) -> tuple[Flat, list[str]]:
    """Remove entities with NaN, infinite or absurd coordinates; return their handles."""
    xy = flat.xy
    if not len(xy):
        return flat, []
    bad_vertex = ~np.isfinite(xy).all(axis=1) | (np.abs(xy) > max_abs).any(axis=1)
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
    handles += [flat.handle[i] for i in bad_ents if flat.kind[i] != "PROXY"]
    return _select(flat, keep), handles


def _select(flat: Flat, keep: npt.NDArray[np.bool_]) -> Flat:
    """The entities where ``keep`` is true (paths and vertices re-indexed)."""
    idx = np.nonzero(keep)[0]
    p0 = flat.ent_path[idx]
    p1 = flat.ent_path[idx + 1]
    path_idx = _ranges(p0, p1)
    v0 = flat.path_start[path_idx]
    v1 = flat.path_start[path_idx + 1]
    vert_idx = _ranges(v0, v1)
    path_len = v1 - v0
    ent_len = p1 - p0
    path_start = np.concatenate([[0], np.cumsum(path_len)]).astype(np.int64)
    ent_path = np.concatenate([[0], np.cumsum(ent_len)]).astype(np.int64)
    return Flat(
        xy=flat.xy[vert_idx],
        path_start=path_start,
        ent_path=ent_path,
        kind=[flat.kind[i] for i in idx],
        layer=[flat.layer[i] for i in idx],
        handle=[flat.handle[i] for i in idx],
        closed=flat.closed[idx],
        texts=flat.texts,
        inserts=flat.inserts,
        in_block=None if flat.in_block is None else flat.in_block[idx],
    )


def _ranges(starts: IntArray, ends: IntArray) -> IntArray:
    """Concatenate ``arange(s, e)`` for every pair, vectorised."""
    lengths = ends - starts
    total = int(lengths.sum()) if len(lengths) else 0
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    out: IntArray = (np.arange(total, dtype=np.int64) + offsets).astype(np.int64)
    return out


def build_objects(
    flat: Flat,
    layer_map: LayerMap,
    extents_of: dict[str, tuple[float, float, float, float] | None],
) -> Built:
    """Create semantic objects, display layers and text items from the expanded model (metres).

    ``extents_of`` gives each block's extents in block coordinates (already in metres), used
    for the footprint and size of INSERT objects (doors, frames, entrances).
    """
    n = len(flat.kind)
    layers = [name if name is not None else "0" for name in flat.layer]
    counts: dict[str, int] = {}
    for name in layers:
        counts[name] = counts.get(name, 0) + 1
    for t in flat.texts:
        counts[t.layer or "0"] = counts.get(t.layer or "0", 0) + 1
    for ins in flat.inserts:
        if ins.kind == "INSERT":
            counts[ins.layer or "0"] = counts.get(ins.layer or "0", 0) + 1

    group_geo: dict[str, str | None] = {}
    for name in counts:
        group_geo[name] = layer_map.group_for(name, is_text=False)

    built = Built(
        objects=[], texts=[], display=_display(flat, layers, group_geo), layer_counts=counts
    )
    paths_per_ent = np.diff(flat.ent_path)
    ent_v0 = flat.path_start[flat.ent_path[:-1]]
    ent_v1 = flat.path_start[flat.ent_path[1:]]
    groups = [group_geo[name] for name in layers]
    sel = [i for i in range(n) if groups[i] is not None and flat.kind[i] != "PROXY"]
    geoms = _geometries(flat, sel, paths_per_ent, ent_v0, ent_v1, built, layers, groups)
    in_block = flat.in_block
    for i, geom in zip(sel, geoms, strict=True):
        if geom is None:
            continue
        group = groups[i]
        assert group is not None
        built.objects.append(
            SemanticObject(
                group=group,
                layer=layers[i],
                handle=flat.handle[i],
                kind=flat.kind[i],
                geometry=geom,
                closed=geom.geom_type in ("Polygon", "MultiPolygon"),
                in_block=bool(in_block[i]) if in_block is not None else False,
            )
        )
    for t in flat.texts:
        layer = t.layer or "0"
        built.texts.append(TextItem(layer, t.text, t.x, t.y, t.height, t.rotation, t.handle))
        group = layer_map.group_for(layer, is_text=True)
        if group is None:
            continue
        built.objects.append(
            SemanticObject(
                group=group,
                layer=layer,
                handle=t.handle,
                kind=t.kind,
                geometry=shapely.Point(t.cx, t.cy),
                text=t.text,
                point=(t.x, t.y),
                rotation=t.rotation,
            )
        )
    for ins in flat.inserts:
        if ins.kind != "INSERT":
            continue
        layer = ins.layer or "0"
        group = layer_map.group_for(layer, is_text=bool(ins.attribs))
        if group is None:
            continue
        built.objects.append(_insert_object(ins, group, layer, extents_of))
    return built


def _insert_object(
    ins: InsertRec,
    group: str,
    layer: str,
    extents_of: dict[str, tuple[float, float, float, float] | None],
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
        geometry=geom,
        attrs=dict(ins.attribs),
        block=ins.name,
        point=point,
        rotation=rotation_deg(m),
        size=size,
    )


def _geometries(
    flat: Flat,
    sel: Sequence[int],
    paths_per_ent: IntArray,
    ent_v0: IntArray,
    ent_v1: IntArray,
    built: Built,
    layers: list[str],
    groups: list[str | None],
) -> list[BaseGeometry | None]:
    """One geometry per selected entity, built in bulk where the shape is simple."""
    out: list[BaseGeometry | None] = [None] * len(sel)
    if not sel:
        return out
    idx = np.asarray(sel, dtype=np.int64)
    nverts = ent_v1[idx] - ent_v0[idx]
    single = paths_per_ent[idx] == 1
    closed = flat.closed[idx]
    xy = flat.xy
    # Open polylines on groups that need closed boundaries: DXF-006 gap check first.
    for k, i in enumerate(sel):
        group = groups[i]
        assert group is not None
        spec = GROUPS.get(group)
        if (
            spec is not None
            and spec.closed
            and single[k]
            and not closed[k]
            and flat.kind[i] in ("LWPOLYLINE", "POLYLINE", "SPLINE")
            and nverts[k] >= 3
        ):
            pts = xy[ent_v0[i] : ent_v1[i]]
            gap = float(math.hypot(*(pts[-1] - pts[0])))
            auto = gap <= CLOSE_GAP_M and nverts[k] >= 3
            line = shapely.LineString(pts)
            built.open_boundaries.append(
                OpenBoundary(group, layers[i], flat.handle[i], gap, auto, line)
            )
            if auto:
                closed[k] = True  # local copy: this entity is used as a closed boundary
    poly_k = np.nonzero(single & closed & (nverts >= 4))[0]
    line_k = np.nonzero(single & ~(closed & (nverts >= 4)) & (nverts >= 2))[0]
    point_k = np.nonzero(single & (nverts == 1))[0]
    multi_k = np.nonzero(~single)[0]
    if len(poly_k):
        vidx = _ranges(ent_v0[idx[poly_k]], ent_v1[idx[poly_k]])
        ids = np.repeat(np.arange(len(poly_k)), nverts[poly_k])
        rings = shapely.linearrings(xy[vidx], indices=ids)
        polys = shapely.polygons(rings)
        valid = shapely.is_valid(polys)
        for j, k in enumerate(poly_k.tolist()):
            geom = polys[j]
            if not valid[j]:
                geom = _repair(geom, flat, sel[k], layers, groups, built)
            out[k] = geom
    if len(line_k):
        vidx = _ranges(ent_v0[idx[line_k]], ent_v1[idx[line_k]])
        ids = np.repeat(np.arange(len(line_k)), nverts[line_k])
        lines = shapely.linestrings(xy[vidx], indices=ids)
        valid = shapely.is_valid(lines)
        for j, k in enumerate(line_k.tolist()):
            out[k] = lines[j] if valid[j] else shapely.make_valid(lines[j])
    for k in point_k.tolist():
        out[k] = shapely.Point(xy[ent_v0[sel[k]]])
    for k in multi_k.tolist():
        out[k] = _multi_loop(flat, sel[k], layers, groups, built)
    return out


def _repair(
    geom: BaseGeometry,
    flat: Flat,
    i: int,
    layers: list[str],
    groups: list[str | None],
    built: Built,
) -> BaseGeometry:
    fixed = shapely.make_valid(geom)
    polys = [
        g for g in getattr(fixed, "geoms", [fixed]) if g.geom_type in ("Polygon", "MultiPolygon")
    ]
    result = shapely.union_all(polys) if polys else fixed
    group = groups[i]
    assert group is not None
    built.repairs.append(
        Repair(
            group, layers[i], flat.handle[i], float(geom.area), float(result.area), geom.boundary
        )
    )
    return result


def _multi_loop(
    flat: Flat, i: int, layers: list[str], groups: list[str | None], built: Built
) -> BaseGeometry | None:
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


def _display(flat: Flat, layers: list[str], group_geo: dict[str, str | None]) -> list[DisplayLayer]:
    """All line work grouped by layer as flat arrays (the viewer draws from these)."""
    if not len(flat.kind):
        return []
    names = sorted(set(layers))
    lid = {name: k for k, name in enumerate(names)}
    ent_layer = np.fromiter((lid[name] for name in layers), dtype=np.int64, count=len(layers))
    paths_per_ent = np.diff(flat.ent_path)
    path_layer = np.repeat(ent_layer, paths_per_ent)
    order = np.argsort(path_layer, kind="stable")
    path_len = np.diff(flat.path_start)
    out: list[DisplayLayer] = []
    bounds = np.searchsorted(path_layer[order], np.arange(len(names) + 1))
    for k, name in enumerate(names):
        paths = order[bounds[k] : bounds[k + 1]]
        if not len(paths):
            continue
        v0 = flat.path_start[paths]
        lengths = path_len[paths]
        vidx = _ranges(v0, v0 + lengths)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        out.append(
            DisplayLayer(name, group_geo.get(name), flat.xy[vidx].astype(np.float64), offsets)
        )
    return out

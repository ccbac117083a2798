"""Build a ``CheckContext`` from plain geometry, for rule tests (no DXF needed).

A rule test states the drawings it needs as a few objects per discipline, geometry as WKT in
metres, and optionally a ``project.toml`` text::

    ctx = make_context(
        {"fire": [obj("F-AREA", "POLYGON ((0 0, 50 0, 50 40, 0 40, 0 0))", floor="1"),
                  obj("F-AREA", "POINT (10 10)", text="防火分区1", floor="1")]},
        project='[fire]\\nresistance_grade = 2\\nsprinklers = "none"',
    )

Objects with the same ``floor`` (and ``sheet``) land on the same sheet of the discipline's
drawing; ``origin`` sets that sheet's axis-1/A point; ``buildings`` adds ``BLDG`` blocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import shapely

from checkers.context import TEXT_KINDS, CheckContext, Drawing
from checkers.params import ProjectParams, parse_project
from drawings.model import (
    Building,
    Discipline,
    DrawingModel,
    SemanticObject,
    Sheet,
    Stats,
)

__all__ = ["ObjSpec", "make_context", "obj"]


@dataclass(frozen=True, slots=True)
class ObjSpec:
    """One object of a test drawing."""

    group: str
    wkt: str
    kind: str | None = None
    text: str | None = None
    attrs: Mapping[str, str] = field(default_factory=dict)
    block: str | None = None
    floor: str | None = None
    sheet: str | None = None
    title: str | None = None
    origin: tuple[float, float] | None = None
    handle: str | None = None
    size: tuple[float, float] | None = None
    rotation: float = 0.0
    layer: str | None = None


def obj(group: str, wkt: str, **kwargs: object) -> ObjSpec:
    """Shorthand for ``ObjSpec(group, wkt, ...)``."""
    return ObjSpec(group, wkt, **kwargs)  # type: ignore[arg-type]


def _kind(spec: ObjSpec, geom: shapely.Geometry) -> str:
    if spec.kind:
        return spec.kind
    if spec.text is not None:
        return "TEXT"
    if spec.block is not None or spec.attrs:
        return "INSERT"
    return {"Point": "POINT", "LineString": "LWPOLYLINE", "Polygon": "LWPOLYLINE"}.get(
        geom.geom_type, "HATCH"
    )


def _model(
    discipline: Discipline,
    specs: Sequence[ObjSpec],
    buildings: Sequence[Building],
    serial: list[int],
) -> DrawingModel:
    sheet_keys: list[tuple[str | None, str | None]] = []
    meta: dict[tuple[str | None, str | None], ObjSpec] = {}
    for s in specs:
        key = (s.sheet, s.floor)
        if key not in meta:
            sheet_keys.append(key)
            meta[key] = s
        elif s.origin is not None or s.title is not None:
            meta[key] = s
    objects: list[SemanticObject] = []
    geoms = {id(s): shapely.from_wkt(s.wkt) for s in specs}
    for s in specs:
        geom = geoms[id(s)]
        serial[0] += 1
        kind = _kind(s, geom)
        point = None
        if kind in TEXT_KINDS or kind == "INSERT":
            c = geom.centroid
            point = (c.x, c.y)
        objects.append(
            SemanticObject(
                group=s.group,
                layer=s.layer or s.group,
                handle=s.handle or format(serial[0], "X"),
                kind=kind,
                shape=geom,
                sheet=sheet_keys.index((s.sheet, s.floor)),
                text=s.text,
                attrs=dict(s.attrs),
                block=s.block,
                point=point,
                rotation=s.rotation,
                size=s.size,
                closed=geom.geom_type in ("Polygon", "MultiPolygon"),
            )
        )
    sheets = []
    for k, key in enumerate(sheet_keys):
        m = meta[key]
        members = [geoms[id(s)] for s in specs if (s.sheet, s.floor) == key]
        bounds = shapely.union_all(members).bounds if members else (0.0, 0.0, 0.0, 0.0)
        sheets.append(
            Sheet(
                index=k,
                sheet_no=key[0] or f"{discipline.value[:1].upper()}-{k + 1:02d}",
                title=m.title,
                floor=key[1],
                scale=None,
                bbox=tuple(float(v) for v in bounds),  # type: ignore[arg-type]
                source="frame",
                origin=m.origin,
            )
        )
    return DrawingModel(
        file=f"{discipline.value}/test.dxf",
        sha256="0" * 64,
        discipline=discipline,
        dxf_version="AC1032",
        release="R2018",
        encoding="utf-8",
        unit="m",
        unit_to_m=1.0,
        loaded_via="stream",
        sheets=tuple(sheets),
        objects=tuple(objects),
        buildings=tuple(buildings),
        layers=(),
        texts=(),
        display=(),
        findings=(),
        stats=Stats(entities=len(objects), layers=0, blocks=0),
        extents=None,
    )


def make_context(
    drawings: Mapping[str, Sequence[ObjSpec]],
    *,
    project: str = "",
    buildings: Mapping[str, Sequence[Building]] | None = None,
) -> CheckContext:
    """A context with one drawing per discipline named in ``drawings``.

    ``buildings`` maps a discipline to its ``BLDG`` blocks, e.g.
    ``{"planning": [Building("3#", "B1", (100, 50), 12.0, {"HEIGHT": "54"})]}``.
    """
    params: ProjectParams = parse_project(project) if project else ProjectParams()
    serial = [0x100]
    out = []
    for name, specs in drawings.items():
        d = Discipline(name)
        model = _model(d, specs, (buildings or {}).get(name, ()), serial)
        out.append(Drawing(d, model.file, model))
    for name, blds in (buildings or {}).items():
        if name not in drawings:
            d = Discipline(name)
            model = _model(d, [], blds, serial)
            out.append(Drawing(d, model.file, model))
    return CheckContext(params=params, drawings=tuple(out))


def rectangle(x0: float, y0: float, x1: float, y1: float) -> str:
    """WKT of an axis-parallel rectangle (the most common test shape)."""
    return str(shapely.box(x0, y0, x1, y1).wkt)

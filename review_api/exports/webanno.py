"""Findings and annotations as W3C Web Annotation JSON-LD (an ``AnnotationCollection``).

Annotations are ``commenting``, findings ``assessing``, replies ``replying`` annotations whose
target is the annotation they answer. The place on the drawing is an ``SvgSelector`` in the
drawing's coordinates (metres, y up, hence the flip), and the GeoJSON itself under
``lianshen:geometry`` for tools that read it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_api.exports.items import annotations_of, department_label, replies_of
from review_api.exports.pictures import bounds, window
from review_api.models import Drawing, Finding, Submission, User

__all__ = ["export_web_annotations", "svg_selector"]

CONTEXT = ["http://www.w3.org/ns/anno.jsonld", {"lianshen": "urn:lianshen:"}]


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _points(ring: Any) -> str:
    return " ".join(f"{float(p[0]):.3f},{float(p[1]):.3f}" for p in ring)


def _shapes(geometry: dict[str, Any]) -> list[str]:
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    if kind == "Point":
        return [f'<circle cx="{float(coords[0]):.3f}" cy="{float(coords[1]):.3f}" r="0.5"/>']
    if kind == "LineString":
        return [f'<polyline points="{_points(coords)}"/>']
    if kind == "MultiLineString":
        return [f'<polyline points="{_points(line)}"/>' for line in coords]
    if kind == "Polygon":
        return [f'<polygon points="{_points(ring)}"/>' for ring in coords]
    if kind == "MultiPolygon":
        return [f'<polygon points="{_points(ring)}"/>' for poly in coords for ring in poly]
    return []


def svg_selector(geometry: dict[str, Any] | None) -> dict[str, Any] | None:
    """An SvgSelector drawing ``geometry`` in drawing coordinates (y flipped to SVG's down)."""
    box = bounds(geometry)
    if box is None or geometry is None:
        return None
    x0, y0, x1, y1 = window(box)
    shapes = "".join(_shapes(geometry))
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0:.3f} {-y1:.3f} '
        f'{x1 - x0:.3f} {y1 - y0:.3f}"><g transform="scale(1,-1)" fill="none" '
        f'stroke="red">{shapes}</g></svg>'
    )
    return {"type": "SvgSelector", "value": svg}


def _target(base: str, drawing: Drawing | None, geometry: dict[str, Any] | None) -> dict[str, Any]:
    target: dict[str, Any] = {
        "source": f"{base}/api/drawings/{drawing.id}" if drawing else f"{base}/api",
        "format": "image/vnd.dxf",
    }
    if drawing is not None:
        target["lianshen:file"] = drawing.file
    selector = svg_selector(geometry)
    if selector is not None:
        target["selector"] = selector
        target["lianshen:geometry"] = geometry
    return target


def _text(value: str, purpose: str, language: str = "zh") -> dict[str, Any]:
    return {"type": "TextualBody", "value": value, "format": "text/plain",
            "language": language, "purpose": purpose}


def _tags(*values: str | None) -> list[dict[str, Any]]:
    return [{"type": "TextualBody", "value": v, "purpose": "tagging"} for v in values if v]


def export_web_annotations(
    s: Session, user: User, sub: Submission, base_url: str
) -> dict[str, Any]:
    """The submission's findings, annotations and replies as one AnnotationCollection."""
    base = base_url.rstrip("/")
    drawings = {
        d.id: d for d in s.scalars(select(Drawing).where(Drawing.submission_id == sub.id))
    }
    items: list[dict[str, Any]] = []
    for f in s.scalars(select(Finding).where(Finding.submission_id == sub.id).order_by(Finding.id)):
        items.append(
            {
                "id": f"{base}/api/findings/{f.id}",
                "type": "Annotation",
                "motivation": "assessing",
                "created": _iso(sub.created_at),
                "creator": {"type": "Software", "name": "联审自动审查 lianshen checks"},
                "body": [
                    _text(f.message, "assessing"),
                    _text(f.message_en, "describing", "en"),
                    _text(f"条文 Clause: {f.clause}", "describing"),
                    *_tags(f.code, f.discipline, department_label(f.discipline), f.severity,
                           f"review:{f.review_status}"),
                ],
                "target": _target(base, drawings.get(f.drawing_id or -1), f.location),
            }
        )
    annotations = annotations_of(s, user, [sub.id])
    threads = replies_of(s, [a.id for a in annotations])
    for a in annotations:
        anno_id = f"{base}/api/annotations/{a.id}"
        items.append(
            {
                "id": anno_id,
                "type": "Annotation",
                "motivation": "commenting",
                "created": _iso(a.created_at),
                "modified": _iso(a.updated_at),
                "creator": {"type": "Person", "name": a.author.real_name,
                            "lianshen:department": a.department},
                "body": [_text(a.text, "commenting"),
                         *_tags(a.kind, a.department, department_label(a.department),
                                f"status:{a.status}", "internal" if a.internal else None)],
                "target": _target(base, drawings.get(a.drawing_id), a.geometry),
            }
        )
        items += [
            {
                "id": f"{base}/api/replies/{r.id}",
                "type": "Annotation",
                "motivation": "replying",
                "created": _iso(r.created_at),
                "creator": {"type": "Person", "name": r.author.real_name},
                "body": [_text(r.text, "replying")],
                "target": anno_id,
            }
            for r in threads[a.id]
        ]
    collection_id = f"{base}/api/submissions/{sub.id}/export?format=wa"
    return {
        "@context": CONTEXT,
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": f"{sub.project.name} 第{sub.round}轮 findings and annotations",
        "total": len(items),
        "first": {
            "id": f"{collection_id}#page1",
            "type": "AnnotationPage",
            "partOf": collection_id,
            "startIndex": 0,
            "items": items,
        },
    }


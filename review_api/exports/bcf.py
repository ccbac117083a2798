"""A submission's findings and annotations as BCF 2.1 or 3.0: one topic per item.

Each topic carries the item's drawing file, a viewpoint over its place (camera, outline) and a
snapshot picture of the drawing there; annotation replies and a finding's review become
comments, each under the real name of its author.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkers.bcf import (
    BcfComment,
    BcfTopic,
    BcfViewpoint,
    Version,
    finding_description,
    finding_priority,
    write_bcf_archive,
)
from review_api.exports.items import annotations_of, department_label, replies_of
from review_api.exports.pictures import Pictures, bounds, window
from review_api.models import Annotation, Drawing, Finding, Submission, User
from review_api.routes.review import finding_out

__all__ = ["case_topics", "export_bcf", "item_guid"]

_NS = uuid.UUID("5b0f2f4e-5d0b-4c57-9a43-6c69616e7368")
FINDING_STATUS = {"open": "Open", "confirmed": "Confirmed", "dismissed": "Dismissed"}
ANNOTATION_STATUS = {"open": "Open", "resolved": "Resolved", "withdrawn": "Withdrawn"}


def item_guid(kind: str, item_id: int, part: str = "topic") -> str:
    """A stable GUID for an item (and its viewpoint or comments): re-exports match up."""
    return str(uuid.uuid5(_NS, f"{kind}:{item_id}:{part}"))


def _segments(geometry: dict[str, Any] | None) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The outline of a GeoJSON geometry as line segments (a point becomes a small cross)."""
    if not isinstance(geometry, dict):
        return []
    kind, coords = geometry.get("type"), geometry.get("coordinates")

    def path(points: Any) -> list[tuple[tuple[float, float], tuple[float, float]]]:
        pts = [(float(p[0]), float(p[1])) for p in points if isinstance(p, list | tuple)]
        return list(zip(pts, pts[1:], strict=False))

    if kind == "Point" and isinstance(coords, list) and len(coords) >= 2:
        x, y = float(coords[0]), float(coords[1])
        return [((x - 0.5, y), (x + 0.5, y)), ((x, y - 0.5), (x, y + 0.5))]
    if kind == "LineString":
        return path(coords)
    if kind in ("Polygon", "MultiLineString"):
        return [s for ring in coords or [] for s in path(ring)]
    if kind == "MultiPolygon":
        return [s for poly in coords or [] for ring in poly for s in path(ring)]
    return []


def _viewpoint(
    kind: str, item_id: int, drawing: Drawing | None, geometry: dict[str, Any] | None,
    pictures: Pictures,
) -> BcfViewpoint | None:
    box = bounds(geometry)
    if box is None:
        return None
    x0, y0, x1, y1 = window(box)
    return BcfViewpoint(
        guid=item_guid(kind, item_id, "viewpoint"),
        center=((x0 + x1) / 2, (y0 + y1) / 2),
        width=x1 - x0,
        height=y1 - y0,
        lines=_segments(geometry),
        snapshot=pictures.at(drawing, geometry),
    )


def _finding_topic(
    f: Finding, drawing: Drawing | None, reviewers: dict[int, User], pictures: Pictures,
    created: Any,
) -> BcfTopic:
    comments = []
    who = reviewers.get(f.reviewed_by) if f.reviewed_by else None
    if who is not None and f.reviewed_at is not None and f.review_status != "open":
        verdict = {"confirmed": "确认 confirmed", "dismissed": "驳回 dismissed"}[f.review_status]
        comments.append(
            BcfComment(
                guid=item_guid("finding", f.id, "review"),
                date=f.reviewed_at,
                author=f"{who.real_name}（{department_label(who.department)}）",
                text=f"{verdict}" + (f"：{f.review_reason}" if f.review_reason else ""),
            )
        )
    return BcfTopic(
        guid=item_guid("finding", f.id),
        title=f"{f.code} {f.message}",
        description=finding_description(finding_out(f)),
        author="联审自动审查 lianshen checks",
        date=created,
        status=FINDING_STATUS.get(f.review_status, "Open"),
        topic_type="Finding",
        priority=finding_priority(f.severity),
        labels=[department_label(f.discipline), f.discipline, f.code, f.severity],
        file=f.file or (drawing.file if drawing else None),
        comments=comments,
        viewpoint=_viewpoint("finding", f.id, drawing, f.location, pictures),
    )


def _annotation_topic(
    a: Annotation, drawing: Drawing | None, finding: Finding | None, replies: list[Any],
    pictures: Pictures,
) -> BcfTopic:
    lines = [a.text or "（图上标注 / a mark on the drawing）"]
    if finding is not None:
        lines.append(f"关联问题 Finding: {finding.code} {finding.message}")
        lines.append(f"条文 Clause: {finding.clause}")
    return BcfTopic(
        guid=item_guid("annotation", a.id),
        title=(a.text or f"{department_label(a.department)}标注 {a.kind}").splitlines()[0],
        description="\n".join(lines),
        author=f"{a.author.real_name}（{department_label(a.department)}）",
        date=a.created_at,
        status=ANNOTATION_STATUS.get(a.status, "Open"),
        topic_type="Internal" if a.internal else "Annotation",
        labels=[department_label(a.department), a.department, a.kind]
        + ([finding.code] if finding else []),
        file=drawing.file if drawing else None,
        comments=[
            BcfComment(
                guid=item_guid("reply", r.id),
                date=r.created_at,
                author=r.author.real_name
                + (f"（{department_label(r.author.department)}）" if r.author.department else ""),
                text=r.text,
            )
            for r in replies
        ],
        viewpoint=_viewpoint("annotation", a.id, drawing, a.geometry, pictures),
    )


def case_topics(
    s: Session, user: User, subs: Sequence[Submission], pictures: Pictures
) -> list[BcfTopic]:
    """Every finding and every annotation ``user`` may see in ``subs``, one topic each."""
    ids = [sub.id for sub in subs]
    drawings = {d.id: d for d in s.scalars(select(Drawing).where(Drawing.submission_id.in_(ids)))}
    findings = list(
        s.scalars(select(Finding).where(Finding.submission_id.in_(ids)).order_by(Finding.id))
    )
    by_id = {f.id: f for f in findings}
    reviewer_ids = {f.reviewed_by for f in findings if f.reviewed_by}
    reviewers = {
        u.id: u for u in (s.scalars(select(User).where(User.id.in_(reviewer_ids))) if reviewer_ids
                          else [])
    }
    created = {sub.id: sub.created_at for sub in subs}
    topics = [
        _finding_topic(f, drawings.get(f.drawing_id) if f.drawing_id else None, reviewers,
                       pictures, created[f.submission_id])
        for f in findings
    ]
    annotations = annotations_of(s, user, ids)
    threads = replies_of(s, [a.id for a in annotations])
    topics += [
        _annotation_topic(
            a, drawings.get(a.drawing_id), by_id.get(a.finding_id) if a.finding_id else None,
            threads[a.id], pictures,
        )
        for a in annotations
    ]
    return topics


def export_bcf(
    s: Session, user: User, sub: Submission, pictures: Pictures, version: Version
) -> bytes:
    """The submission's items as a ``.bcf`` archive of ``version``."""
    out = io.BytesIO()
    write_bcf_archive(
        case_topics(s, user, [sub], pictures), out,
        project=f"{sub.project.name} 第{sub.round}轮", version=version,
    )
    return out.getvalue()

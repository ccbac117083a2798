"""The departments' work: findings, annotations with replies, department opinions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from review_api import audit, workflow
from review_api.access import (
    MAX_ID,
    can_see_annotation,
    forbidden,
    require_role,
    visible_annotation,
    visible_drawing,
    visible_finding,
    visible_submission,
)
from review_api.deps import CurrentUser, DbSession, RuntimeDep
from review_api.models import (
    Annotation,
    Finding,
    Opinion,
    OpinionItem,
    Reply,
    Submission,
    User,
    utcnow,
)
from review_api.schemas import AnnotationIn, AnnotationPatch, FindingPatch, OpinionIn, ReplyIn
from review_api.textsafe import clean

router = APIRouter(prefix="/api", tags=["review 审查"])

REVIEW_STATES = ("in_review",)
ANNOTATE_STATES = ("intake", "in_review", "consolidation")
REPLY_STATES = ("intake", "in_review", "consolidation", "revising", "returned")


def finding_out(f: Finding) -> dict[str, Any]:
    """A finding as ``API.md`` defines it, plus its id, drawing and review state."""
    return {
        "id": f.id,
        "drawing_id": f.drawing_id,
        "code": f.code,
        "slug": f.slug,
        "discipline": f.discipline,
        "severity": f.severity,
        "message": f.message,
        "message_en": f.message_en,
        "clause": f.clause,
        "measured": f.measured,
        "limit": f.limit,
        "unit": f.unit,
        "file": f.file,
        "sheet": f.sheet,
        "location": f.location,
        "handles": f.handles,
        "params": f.params,
        "source": f.source,
        "review_status": f.review_status,
        "review_reason": f.review_reason,
        "reviewed_at": f.reviewed_at,
    }


def annotation_out(a: Annotation, replies: list[Reply]) -> dict[str, Any]:
    """An annotation with its author (real name), department, time and thread."""
    return {
        "id": a.id,
        "drawing_id": a.drawing_id,
        "submission_id": a.submission_id,
        "kind": a.kind,
        "geometry": a.geometry,
        "text": a.text,
        "finding_id": a.finding_id,
        "internal": a.internal,
        "status": a.status,
        "author": a.author.real_name,
        "author_id": a.author_id,
        "department": a.department,
        "created_at": a.created_at,
        "replies": [
            {
                "id": r.id,
                "text": r.text,
                "author": r.author.real_name,
                "role": r.author.role,
                "department": r.author.department,
                "created_at": r.created_at,
            }
            for r in replies
        ],
    }


def _need_state(sub: Submission, states: tuple[str, ...], action: str) -> None:
    if sub.status not in states:
        raise workflow.IllegalTransition(
            sub.status, action, workflow.allowed_actions(sub.status),
            f"只能在以下状态进行 / only in: {', '.join(states)}",
        )


@router.get("/submissions/{submission_id}/findings")
def list_findings(
    submission_id: int,
    user: CurrentUser,
    s: DbSession,
    discipline: str | None = None,
    drawing_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[dict[str, Any]]:
    """Every finding of the submission (filter by discipline or drawing)."""
    visible_submission(s, user, submission_id)
    q = select(Finding).where(Finding.submission_id == submission_id)
    if discipline:
        q = q.where(Finding.discipline == discipline)
    if drawing_id is not None:
        q = q.where(Finding.drawing_id == drawing_id)
    return [finding_out(f) for f in s.scalars(q.order_by(Finding.id))]


def _may_review(user: User, f: Finding) -> bool:
    """Reviewers decide on their discipline's findings; cross-drawing ones belong to all."""
    return user.role == "reviewer" and (f.discipline == user.department or f.discipline == "joint")


@router.patch("/findings/{finding_id}")
def review_finding(
    finding_id: int, body: FindingPatch, user: CurrentUser, s: DbSession
) -> dict[str, Any]:
    """A reviewer of the finding's department confirms or dismisses it (with a reason)."""
    f, sub = visible_finding(s, user, finding_id)
    if not _may_review(user, f):
        raise forbidden("只有本专业审查人员可以处理此问题 / only reviewers of this discipline")
    _need_state(sub, REVIEW_STATES, "review_finding")
    if body.review_status == "dismissed" and not body.reason.strip():
        raise HTTPException(422, detail="驳回需要说明理由 / a dismissal needs a reason")
    before = {"review_status": f.review_status, "reason": f.review_reason}
    f.review_status = body.review_status
    f.review_reason = clean(body.reason) or None
    f.reviewed_by, f.reviewed_at = user.id, utcnow()
    audit.record(
        s, user, "finding.review", "finding", f.id, submission_id=sub.id, before=before,
        after={"review_status": f.review_status, "reason": f.review_reason},
    )
    return finding_out(f)


def _replies(s: DbSession, ids: list[int]) -> dict[int, list[Reply]]:
    out: dict[int, list[Reply]] = {i: [] for i in ids}
    if ids:
        for r in s.scalars(
            select(Reply).where(Reply.annotation_id.in_(ids)).order_by(Reply.id)
        ):
            out[r.annotation_id].append(r)
    return out


@router.get("/drawings/{drawing_id}/annotations")
def list_annotations(drawing_id: int, user: CurrentUser, s: DbSession) -> list[dict[str, Any]]:
    """The shared copy's annotations (internal ones only for the authorities)."""
    visible_drawing(s, user, drawing_id)
    rows = [
        a
        for a in s.scalars(
            select(Annotation).where(Annotation.drawing_id == drawing_id).order_by(Annotation.id)
        )
        if can_see_annotation(user, a)
    ]
    replies = _replies(s, [a.id for a in rows])
    return [annotation_out(a, replies[a.id]) for a in rows]


@router.post("/drawings/{drawing_id}/annotations", status_code=201)
def add_annotation(
    drawing_id: int, body: AnnotationIn, user: CurrentUser, s: DbSession
) -> dict[str, Any]:
    """A reviewer marks the drawing; a retried post with the same ``client_key`` is not doubled."""
    d, sub = visible_drawing(s, user, drawing_id)
    require_role(user, "reviewer")
    _need_state(sub, ANNOTATE_STATES, "annotate")
    if body.client_key:
        same = s.scalar(
            select(Annotation).where(
                Annotation.author_id == user.id, Annotation.client_key == body.client_key
            )
        )
        if same is not None:
            return annotation_out(same, _replies(s, [same.id])[same.id])
    if body.finding_id is not None:
        f = s.get(Finding, body.finding_id)
        if f is None or f.submission_id != sub.id:
            raise HTTPException(422, detail="finding_id 不属于此送审 / not a finding of this submission")
    assert user.department is not None
    a = Annotation(
        drawing_id=d.id,
        submission_id=sub.id,
        author_id=user.id,
        department=user.department,
        kind=body.kind,
        geometry=body.geometry.model_dump(),
        text=clean(body.text),
        finding_id=body.finding_id,
        internal=body.internal,
        client_key=body.client_key,
    )
    try:
        with s.begin_nested():  # two posts with one client_key at once: the second reads the first
            s.add(a)
            s.flush()
    except IntegrityError:
        same = s.scalar(
            select(Annotation).where(
                Annotation.author_id == user.id, Annotation.client_key == body.client_key
            )
        )
        if same is None or body.client_key is None:
            raise
        return annotation_out(same, _replies(s, [same.id])[same.id])
    audit.record(
        s, user, "annotation.create", "annotation", a.id, submission_id=sub.id,
        after={"kind": a.kind, "text": a.text, "drawing_id": d.id},
    )
    return annotation_out(a, [])


@router.patch("/annotations/{annotation_id}")
def change_annotation(
    annotation_id: int, body: AnnotationPatch, user: CurrentUser, s: DbSession
) -> dict[str, Any]:
    """Its department changes an annotation's text, geometry or status (open/resolved)."""
    a, sub = visible_annotation(s, user, annotation_id)
    if user.role != "reviewer" or user.department != a.department:
        raise forbidden("只能修改本部门的标注 / only your department's annotations")
    _need_state(sub, ANNOTATE_STATES, "annotate")
    before = {"text": a.text, "geometry": a.geometry, "status": a.status}
    if body.text is not None:
        a.text = clean(body.text)
    if body.geometry is not None:
        a.geometry = body.geometry.model_dump()
    if body.status is not None:
        a.status = body.status
    a.updated_at = utcnow()
    audit.record(
        s, user, "annotation.change", "annotation", a.id, submission_id=sub.id, before=before,
        after={"text": a.text, "geometry": a.geometry, "status": a.status},
    )
    return annotation_out(a, _replies(s, [a.id])[a.id])


@router.delete("/annotations/{annotation_id}", status_code=204)
def withdraw_annotation(annotation_id: int, user: CurrentUser, s: DbSession) -> None:
    """Its author withdraws an annotation; it stays in the record with status ``withdrawn``."""
    a, sub = visible_annotation(s, user, annotation_id)
    if a.author_id != user.id:
        raise forbidden("只能撤回自己的标注 / only your own annotations")
    _need_state(sub, ANNOTATE_STATES, "annotate")
    before = a.status
    a.status, a.updated_at = "withdrawn", utcnow()
    audit.record(s, user, "annotation.withdraw", "annotation", a.id, submission_id=sub.id,
                 before={"status": before}, after={"status": a.status})


@router.post("/annotations/{annotation_id}/replies", status_code=201)
def add_reply(
    annotation_id: int, body: ReplyIn, user: CurrentUser, s: DbSession
) -> dict[str, Any]:
    """Any reviewer, or the applicant, replies in the annotation's thread."""
    a, sub = visible_annotation(s, user, annotation_id)
    require_role(user, "reviewer", "applicant")
    _need_state(sub, REPLY_STATES, "reply")
    r = Reply(annotation_id=a.id, author_id=user.id, text=clean(body.text))
    s.add(r)
    s.flush()
    s.refresh(r)
    audit.record(
        s, user, "reply.create", "reply", r.id, submission_id=sub.id,
        after={"annotation_id": a.id, "text": r.text},
    )
    return {"id": r.id, "annotation_id": a.id, "text": r.text, "author": user.real_name,
            "created_at": r.created_at}


def opinion_out(o: Opinion) -> dict[str, Any]:
    """A department's opinion with its author and numbered items."""
    return {
        "id": o.id,
        "department": o.department,
        "verdict": o.verdict,
        "author": o.author.real_name,
        "created_at": o.created_at,
        "items": [
            {"no": n, "text": i.text, "finding_id": i.finding_id, "annotation_id": i.annotation_id}
            for n, i in enumerate(o.items, start=1)
        ],
    }


@router.post("/submissions/{submission_id}/opinions", status_code=201)
def give_opinion(
    submission_id: int, body: OpinionIn, rt: RuntimeDep, user: CurrentUser, s: DbSession
) -> dict[str, Any]:
    """A reviewer gives (or, while the review runs, replaces) the department's opinion.

    When the fifth department has given its opinion, the submission moves to consolidation.
    """
    sub = visible_submission(s, user, submission_id)
    require_role(user, "reviewer")
    if body.department != user.department:
        raise forbidden("只能提交本部门意见 / only your own department's opinion")
    _need_state(sub, REVIEW_STATES, "opinion")
    if body.verdict == "revise" and not body.items:
        raise HTTPException(422, detail="“修改”意见需要至少一条 / a revise verdict needs items")
    for item in body.items:
        if item.finding_id is not None:
            f = s.get(Finding, item.finding_id)
            if f is None or f.submission_id != sub.id:
                raise HTTPException(422, detail=f"finding {item.finding_id} 不属于此送审")
        if item.annotation_id is not None:
            a = s.get(Annotation, item.annotation_id)
            if a is None or a.submission_id != sub.id:
                raise HTTPException(422, detail=f"annotation {item.annotation_id} 不属于此送审")
    old = s.scalar(
        select(Opinion).where(
            Opinion.submission_id == sub.id, Opinion.department == body.department
        )
    )
    before = None if old is None else opinion_out(old)
    if old is not None:
        s.delete(old)
        s.flush()
    o = Opinion(
        submission_id=sub.id, department=body.department, verdict=body.verdict,
        author_id=user.id,
        items=[
            OpinionItem(text=clean(i.text), finding_id=i.finding_id, annotation_id=i.annotation_id)
            for i in body.items
        ],
    )
    s.add(o)
    s.flush()
    s.refresh(o)
    out = opinion_out(o)
    audit.record(
        s, user, "opinion.give", "opinion", o.id, submission_id=sub.id, before=before, after=out
    )
    workflow.close_steps(s, sub, user, step="review", department=body.department)
    given = set(s.scalars(select(Opinion.department).where(Opinion.submission_id == sub.id)))
    if given >= set(workflow.DEPARTMENTS):
        workflow.transition(s, rt.settings, sub, "all_opinions", None)
    return out


@router.get("/submissions/{submission_id}/opinions")
def list_opinions(submission_id: int, user: CurrentUser, s: DbSession) -> list[dict[str, Any]]:
    """Department opinions. The applicant hears them once, from the bureau: after its decision."""
    sub = visible_submission(s, user, submission_id)
    if user.role == "applicant" and sub.status not in ("revising", "approved", "resubmitted"):
        return []
    return [
        opinion_out(o)
        for o in s.scalars(
            select(Opinion).where(Opinion.submission_id == sub.id).order_by(Opinion.department)
        )
    ]

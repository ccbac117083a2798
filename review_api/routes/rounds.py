"""Revision rounds over HTTP: open items and answers, carried items, drawing comparison."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from review_api import audit, workflow
from review_api.access import (
    can_see_submission,
    forbidden,
    id_in_range,
    not_found,
    require_role,
    visible_drawing,
    visible_submission,
)
from review_api.deps import CurrentUser, CurrentUserAlone, DbSession, RuntimeDep
from review_api.models import CarriedItem, ItemAnswer, Submission, utcnow
from review_api.rounds import compare_drawings, open_items
from review_api.schemas import MAX_TEXT
from review_api.textsafe import clean

router = APIRouter(prefix="/api", tags=["rounds 复审"])


class AnswerIn(BaseModel):
    status: Literal["fixed", "explained"]
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class CarriedPatch(BaseModel):
    status: Literal["open", "closed"]
    reason: str = Field("", max_length=MAX_TEXT)


def carried_out(c: CarriedItem) -> dict[str, Any]:
    """A carried item as the reviewer sees it."""
    return {
        "id": c.id,
        "submission_id": c.submission_id,
        "from_submission_id": c.from_submission_id,
        "source_type": c.source_type,
        "source_id": c.source_id,
        "discipline": c.discipline,
        "code": c.code,
        "text": c.text,
        "raised_by": c.raised_by,
        "drawing_id": c.drawing_id,
        "location": c.location,
        "old_location": c.old_location,
        "changes_nearby": c.changes_nearby,
        "rule_now": c.rule_now,
        "new_finding_ids": c.new_finding_ids,
        "answer": None
        if c.answer_status is None
        else {"status": c.answer_status, "text": c.answer_text},
        "status": c.status,
        "reason": c.reason,
        "closed_at": c.closed_at,
    }


@router.get("/submissions/{submission_id}/items")
def list_items(submission_id: int, user: CurrentUser, s: DbSession) -> list[dict[str, Any]]:
    """The open items of a round and the applicant's answers (after the bureau's decision)."""
    sub = visible_submission(s, user, submission_id)
    if user.role == "applicant" and sub.status not in ("revising", "resubmitted"):
        return []
    return [it.to_dict() for it in open_items(s, sub)]


@router.put("/submissions/{submission_id}/items/{source_type}/{source_id}/answer")
def answer_item(
    submission_id: int, source_type: str, source_id: int, body: AnswerIn,
    user: CurrentUser, s: DbSession,
) -> dict[str, Any]:
    """The applicant answers one open item (fixed, or explained) while revising."""
    sub = visible_submission(s, user, submission_id)
    require_role(user, "applicant")
    if sub.status != "revising":
        raise workflow.IllegalTransition(
            sub.status, "answer", workflow.allowed_actions(sub.status),
            "只能在修改阶段答复 / answers are given while revising",
        )
    if not any(
        it.source_type == source_type and it.source_id == source_id for it in open_items(s, sub)
    ):
        raise not_found("item")
    row = s.scalar(
        select(ItemAnswer).where(
            ItemAnswer.source_type == source_type, ItemAnswer.source_id == source_id
        )
    )
    before = None if row is None else {"status": row.status, "text": row.text}
    if row is None:
        row = ItemAnswer(submission_id=sub.id, source_type=source_type, source_id=source_id,
                         status=body.status, text=clean(body.text), author_id=user.id)
        s.add(row)
    else:
        row.status, row.text, row.author_id = body.status, clean(body.text), user.id
    s.flush()
    audit.record(s, user, "item.answer", source_type, source_id, submission_id=sub.id,
                 before=before, after={"status": row.status, "text": row.text})
    return {"source_type": source_type, "source_id": source_id, "status": row.status,
            "text": row.text}


@router.get("/submissions/{submission_id}/carried")
def list_carried(submission_id: int, user: CurrentUser, s: DbSession) -> list[dict[str, Any]]:
    """Items carried into this round from the previous one."""
    sub = visible_submission(s, user, submission_id)
    return [
        carried_out(c)
        for c in s.scalars(
            select(CarriedItem).where(CarriedItem.submission_id == sub.id).order_by(CarriedItem.id)
        )
    ]


@router.patch("/carried/{item_id}")
def decide_carried(
    item_id: int, body: CarriedPatch, user: CurrentUser, s: DbSession
) -> dict[str, Any]:
    """A reviewer of the item's discipline closes it or keeps it open (with a reason)."""
    c = s.get(CarriedItem, item_id) if id_in_range(item_id) else None
    sub = None if c is None else s.get(Submission, c.submission_id)
    if c is None or sub is None or not can_see_submission(s, user, sub):
        raise not_found("item")  # the same answer for another party's item as for none
    if user.role != "reviewer" or c.discipline not in (user.department, "joint"):
        raise forbidden("只有本专业审查人员可以处理此项 / only reviewers of this discipline")
    if sub.status != "in_review":
        raise workflow.IllegalTransition(sub.status, "decide_item", workflow.allowed_actions(sub.status))
    if body.status == "closed" and not body.reason.strip() and c.rule_now != "passes":
        raise HTTPException(422, detail="关闭需要说明理由 / closing needs a reason unless the rule now passes")
    before = {"status": c.status, "reason": c.reason}
    c.status, c.reason = body.status, clean(body.reason) or None
    c.closed_by = user.id if body.status == "closed" else None
    c.closed_at = utcnow() if body.status == "closed" else None
    audit.record(s, user, "item.decide", "carried_item", c.id, submission_id=sub.id,
                 before=before, after={"status": c.status, "reason": c.reason})
    return carried_out(c)


@router.get("/drawings/{drawing_id}/compare")
def compare(
    drawing_id: int, rt: RuntimeDep, user: CurrentUserAlone,
    other: int = Query(alias="with", description="the drawing of the other round"),
) -> dict[str, Any]:
    """Entity-level comparison: ``added``, ``removed``, ``modified``, ``moved`` (+ sheets).

    The access check runs in its own short transaction: the comparison opens its own, and on
    SQLite two open write transactions in one request would wait for each other.
    """
    with rt.db.session() as s:
        new, _ = visible_drawing(s, user, drawing_id)
        old, _ = visible_drawing(s, user, other)
    if new.status != "ingested" or old.status != "ingested":
        raise HTTPException(409, detail="两张图纸都处理完成后才能比较 / both drawings must be processed")
    return compare_drawings(rt, new, old)

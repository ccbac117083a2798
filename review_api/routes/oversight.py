"""What supervisors see: running steps with their clocks, and the audit trail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from review_api import audit
from review_api.access import require_role
from review_api.deps import CurrentUser, DbSession
from review_api.models import AuditEvent, Step, Submission, utcnow

router = APIRouter(prefix="/api", tags=["supervision 监察"])

YELLOW_SHARE = 2 / 3


def step_status(step: Step) -> str:
    """green, yellow (two thirds of the time used), red (overdue), paused (applicant's turn)."""
    if step.due_at is None:
        return "paused"
    now = utcnow()
    if now > step.due_at:
        return "red"
    total = (step.due_at - step.started_at).total_seconds()
    used = (now - step.started_at).total_seconds()
    return "yellow" if total > 0 and used / total >= YELLOW_SHARE else "green"


@router.get("/supervision/steps")
def running_steps(user: CurrentUser, s: DbSession) -> list[dict[str, Any]]:
    """Every running step with its deadline and colour."""
    require_role(user, "supervisor", "bureau")
    out = []
    for st in s.scalars(select(Step).where(Step.ended_at.is_(None)).order_by(Step.due_at)):
        sub = s.get(Submission, st.submission_id)
        assert sub is not None
        out.append(
            {
                "submission_id": st.submission_id,
                "project": sub.project.name,
                "step": st.step,
                "department": st.department,
                "responsible": st.department or ("applicant" if st.step == "revision" else "bureau"),
                "started_at": st.started_at,
                "due_at": st.due_at,
                "status": step_status(st),
            }
        )
    return out


@router.get("/audit")
def audit_events(
    user: CurrentUser,
    s: DbSession,
    submission_id: int | None = None,
    after_seq: int = Query(0, ge=0),
    limit: int = Query(200, ge=1, le=1000),
) -> dict[str, Any]:
    """Audit events in order (paginate with ``after_seq``)."""
    require_role(user, "supervisor")
    q = select(AuditEvent).where(AuditEvent.seq > after_seq)
    if submission_id is not None:
        q = q.where(AuditEvent.submission_id == submission_id)
    rows = s.scalars(q.order_by(AuditEvent.seq).limit(limit)).all()
    return {
        "events": [
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "submission_id": e.submission_id,
                "before": e.before,
                "after": e.after,
                "hash": e.hash,
            }
            for e in rows
        ],
        "next": rows[-1].seq if rows else after_seq,
    }


@router.get("/audit/verify")
def audit_verify(user: CurrentUser, s: DbSession) -> dict[str, Any]:
    """Walk the hash chain; the first altered, missing or reordered event is reported."""
    require_role(user, "supervisor")
    r = audit.verify(s)
    return {"valid": r.valid, "events": r.events, "first_bad_event": r.first_bad_event,
            "reason": r.reason}

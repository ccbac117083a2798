"""What supervisors see: running steps with their clocks, and the audit trail."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from sqlalchemy import select

from review_api import audit
from review_api.access import MAX_ID, require_role
from review_api.deps import CurrentUser, DbSession, RuntimeDep
from review_api.models import AuditEvent, utcnow
from review_api.routes.supervision import SupervisionDep
from review_api.supervision import running

router = APIRouter(prefix="/api", tags=["supervision 监察"])


@router.get("/supervision/steps")
def running_steps(
    rt: RuntimeDep,
    sup: SupervisionDep,
    user: CurrentUser,
    s: DbSession,
    status: Literal["green", "yellow", "red", "paused"] | None = None,
    department: str | None = Query(None, max_length=20, description="a department or bureau"),
) -> list[dict[str, Any]]:
    """Every running step with its clock on the working-day calendar, worst first.

    ``status`` is ``red`` (overdue), ``yellow`` (the yellow share of its time used), ``green``
    or ``paused`` (the applicant's turn: the clock does not run). Each item is the shape
    documented in ``supervision.running.step_json``, which includes the API's
    ``submission_id, step, department, responsible, started_at, due_at, status``.
    """
    require_role(user, "supervisor", "bureau")
    rows = running.running_steps(s, rt.settings, now=utcnow(), yellow_share=sup.yellow_share)
    return [
        running.step_json(x)
        for x in rows
        if (status is None or x.clock.status == status)
        and (department is None or x.responsible.unit == department)
    ]


@router.get("/audit")
def audit_events(
    user: CurrentUser,
    s: DbSession,
    rt: RuntimeDep,
    submission_id: int | None = Query(None, ge=1, le=MAX_ID),
    after_seq: int = Query(0, ge=0, le=2**62),
    limit: int = Query(200, ge=1, le=1000),
) -> dict[str, Any]:
    """Audit events in order (paginate with ``after_seq``)."""
    require_role(user, "supervisor")
    rt.db.chain_audit()  # events whose chaining after their commit failed are taken in now
    q = select(AuditEvent).where(AuditEvent.seq > after_seq)
    if submission_id is not None:
        q = q.where(AuditEvent.submission_id == submission_id)
    rows = s.scalars(q.order_by(AuditEvent.seq).limit(limit)).all()
    return {
        "events": [audit.event_out(e) for e in rows],
        "next": rows[-1].seq if rows else after_seq,
    }


@router.get("/audit/verify")
def audit_verify(user: CurrentUser, s: DbSession, rt: RuntimeDep) -> dict[str, Any]:
    """Walk the hash chain; the first altered, missing or reordered event is reported.

    ``pending`` counts events recorded but still not chained after chaining was tried here
    (normally 0; more means the chaining keeps failing, and the log says why)."""
    require_role(user, "supervisor")
    rt.db.chain_audit()
    r = audit.verify(s)
    return {"valid": r.valid, "events": r.events, "first_bad_event": r.first_bad_event,
            "reason": r.reason, "pending": audit.pending_count(s)}

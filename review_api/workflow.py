"""The review workflow of one submission, as one explicit state machine (``DESIGN.md``).

```
intake ──accept──▶ in_review ──(all five opinions)──▶ consolidation ──approve──▶ approved
  │                                                       └──revise──▶ revising ──resubmit──▶ resubmitted
  └──return──▶ returned ──resubmit──▶ resubmitted          (the new round starts at intake)
```

Every transition names the person who made it, is recorded in the audit trail and opens or
closes the timed steps (intake, one review step per department, consolidation, revision). An
action the current state does not allow raises ``IllegalTransition``, answered with 409 and
the allowed actions; nothing changes silently.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_api import audit
from review_api.calendar import add_working_days
from review_api.models import Step, Submission, User, utcnow
from review_api.settings import Settings

__all__ = [
    "DEPARTMENTS",
    "IllegalTransition",
    "STATES",
    "TRANSITIONS",
    "allowed_actions",
    "open_intake",
    "transition",
]

DEPARTMENTS = ("planning", "architecture", "fire", "civil_defence", "lightning")
STATES = (
    "intake",
    "returned",
    "in_review",
    "consolidation",
    "revising",
    "approved",
    "resubmitted",
)

TRANSITIONS: dict[tuple[str, str], str] = {
    ("intake", "accept"): "in_review",
    ("intake", "return"): "returned",
    ("in_review", "all_opinions"): "consolidation",
    ("consolidation", "approve"): "approved",
    ("consolidation", "revise"): "revising",
    ("revising", "resubmit"): "resubmitted",
    ("returned", "resubmit"): "resubmitted",
}
"""(state, action) → next state. Anything not listed is illegal."""

ACTIVE = frozenset({"intake", "in_review", "consolidation"})
"""States in which a submission is being handled by the authorities (one per project)."""


class IllegalTransition(Exception):
    """The action is not allowed in the submission's current state."""

    def __init__(
        self, current: str, action: str, allowed: tuple[str, ...], reason: str = ""
    ) -> None:
        self.current, self.action, self.allowed, self.reason = current, action, allowed, reason
        why = f": {reason}" if reason else ""
        super().__init__(f"'{action}' is not allowed in state '{current}'{why}")


def allowed_actions(state: str) -> tuple[str, ...]:
    """The actions the state machine allows from ``state``."""
    return tuple(a for (st, a) in TRANSITIONS if st == state)


def _due(s: Session, settings: Settings, start: dt.datetime, step: str) -> dt.datetime | None:
    """The deadline on the working-day calendar as the administrator keeps it."""
    from review_api.supervision.calendar_store import load_calendar

    days = {
        "intake": settings.intake_days,
        "review": settings.review_days,
        "consolidation": settings.consolidation_days,
    }.get(step)
    return None if days is None else add_working_days(start, days, load_calendar(s))


def _open(s: Session, settings: Settings, sub: Submission, step: str, dept: str | None) -> None:
    now = utcnow()
    s.add(
        Step(
            submission_id=sub.id,
            step=step,
            department=dept,
            started_at=now,
            due_at=_due(s, settings, now, step),
        )
    )


def close_steps(
    s: Session, sub: Submission, user: User | None, *, step: str, department: str | None = None
) -> None:
    """End the running steps of a kind (all departments, or one)."""
    q = select(Step).where(
        Step.submission_id == sub.id, Step.step == step, Step.ended_at.is_(None)
    )
    if department is not None:
        q = q.where(Step.department == department)
    for st in s.scalars(q):
        st.ended_at = utcnow()
        st.ended_by = None if user is None else user.id


def open_intake(s: Session, settings: Settings, sub: Submission, user: User) -> None:
    """A new submission enters intake (the bureau's clock starts)."""
    s.flush()
    _open(s, settings, sub, "intake", None)
    audit.record(
        s, user, "submission.submit", "submission", sub.id, submission_id=sub.id,
        after={"status": sub.status, "round": sub.round, "sha256": sub.package_sha256},
    )


def transition(
    s: Session,
    settings: Settings,
    sub: Submission,
    action: str,
    user: User | None,
    *,
    note: str | None = None,
) -> str:
    """Apply ``action`` to ``sub``; returns the new state.

    Raises:
        IllegalTransition: the current state does not allow the action.
    """
    current = sub.status
    target = TRANSITIONS.get((current, action))
    if target is None:
        raise IllegalTransition(current, action, allowed_actions(current))
    sub.status = target
    sub.updated_at = utcnow()
    if note is not None:
        sub.note = note
    if current == "intake":
        close_steps(s, sub, user, step="intake")
    elif current == "consolidation":
        close_steps(s, sub, user, step="consolidation")
    elif current == "revising":
        close_steps(s, sub, user, step="revision")
    if target == "in_review":
        for dept in DEPARTMENTS:
            _open(s, settings, sub, "review", dept)
    elif target == "consolidation":
        _open(s, settings, sub, "consolidation", None)
    elif target == "revising":
        _open(s, settings, sub, "revision", None)  # the applicant's time: the clock pauses
    audit.record(
        s, user, f"submission.{action}", "submission", sub.id, submission_id=sub.id,
        before={"status": current}, after={"status": target, "note": note},
    )
    return target

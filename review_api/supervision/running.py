"""Steps with their clocks and the people answering for them: what the supervisor's list, the
warnings, the feed and the statistics all read, computed the same way for each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_api.calendar import WORKDAY_SECONDS, WorkCalendar
from review_api.models import Step, Submission
from review_api.settings import Settings
from review_api.supervision.calendar_store import load_calendar
from review_api.supervision.clock import (
    Clock,
    limit_days,
    pauses_by_submission,
    step_clock,
)
from review_api.supervision.responsible import Responsible, responsible_for

__all__ = ["StepState", "clocks_of", "running_steps", "step_json"]

STATUS_ORDER = {"red": 0, "yellow": 1, "green": 2, "paused": 3, "done": 4}


@dataclass(frozen=True)
class StepState:
    """A step, its submission, its clock at some instant and who answers for it."""

    step: Step
    submission: Submission
    clock: Clock
    responsible: Responsible


def clocks_of(
    s: Session,
    steps: Sequence[Step],
    settings: Settings,
    *,
    now: dt.datetime,
    yellow_share: float,
    calendar: WorkCalendar | None = None,
) -> list[tuple[Step, Clock]]:
    """The clock of every step at ``now`` (one calendar and one pause query for all)."""
    cal = calendar if calendar is not None else load_calendar(s)
    pauses = pauses_by_submission(s, (st.submission_id for st in steps))
    return [
        (
            st,
            step_clock(
                st, now=now, calendar=cal, limit=limit_days(settings, st.step),
                pauses=pauses.get(st.submission_id, []), yellow_share=yellow_share,
            ),
        )
        for st in steps
    ]


def running_steps(
    s: Session,
    settings: Settings,
    *,
    now: dt.datetime,
    yellow_share: float,
    calendar: WorkCalendar | None = None,
) -> list[StepState]:
    """Every step that has not ended, worst first (red, yellow, green, paused; then by due)."""
    steps = s.scalars(select(Step).where(Step.ended_at.is_(None)).order_by(Step.id)).all()
    out = []
    for st, clock in clocks_of(
        s, steps, settings, now=now, yellow_share=yellow_share, calendar=calendar
    ):
        sub = s.get(Submission, st.submission_id)
        assert sub is not None
        out.append(StepState(st, sub, clock, responsible_for(s, st)))
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    out.sort(key=lambda x: (STATUS_ORDER[x.clock.status], x.clock.due_at or far, x.step.id))
    return out


def _days(seconds: float) -> float:
    return round(seconds / WORKDAY_SECONDS, 3)


def step_json(state: StepState) -> dict[str, Any]:
    """A step as ``GET /api/supervision/steps`` shows it.

    ``{"step_id", "submission_id", "project_id", "project", "round", "step", "department",
    "responsible" (label: unit and real names), "responsible_unit", "responsible_people":
    [{"id", "username", "real_name", "organization"}], "started_at", "due_at", "ended_at",
    "limit_days", "status": "green"|"yellow"|"red"|"paused"|"done", "share_used" (0..1+, null
    without limit), "working_days_used", "working_days_left", "paused_working_days",
    "on_time" (finished steps)}``; times are UTC ISO 8601, working days are of office hours.
    """
    st, sub, c = state.step, state.submission, state.clock
    share = c.share_used
    left = c.working_days_left
    return {
        "step_id": st.id,
        "submission_id": st.submission_id,
        "project_id": sub.project_id,
        "project": sub.project.name,
        "round": sub.round,
        "step": st.step,
        "department": st.department,
        "responsible": state.responsible.label(),
        "responsible_unit": state.responsible.unit,
        "responsible_people": state.responsible.as_json(),
        "started_at": st.started_at,
        "due_at": c.due_at,
        "ended_at": st.ended_at,
        "limit_days": c.limit_days,
        "status": c.status,
        "share_used": None if share is None else round(share, 4),
        "working_days_used": _days(c.used_seconds),
        "working_days_left": None if left is None else round(left, 3),
        "paused_working_days": _days(c.paused_seconds),
        "on_time": c.on_time,
    }

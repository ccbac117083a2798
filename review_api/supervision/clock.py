"""The clock of a workflow step: its deadline, the working time used, and its colour.

A timed step (intake, one department's review, consolidation) has a limit in working days. Its
deadline is the end of the last of those days (``add_working_days``); its *budget* is the office
time between start and that deadline, and its clock counts office time on working days
(``review_api.calendar``). The clock stops while the applicant revises: every ``revision`` step
of the same submission that overlaps the step is a pause, and the deadline moves by the working
time the pause took. Status of a running step:

- ``paused`` while a pause runs (and for the revision step itself: the applicant's time);
- ``red`` once the deadline has passed;
- ``yellow`` once the share of the budget used reaches the yellow share (default 2/3);
- ``green`` otherwise.

A finished step is ``done``, and ``on_time`` says whether it ended within its budget.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_api.calendar import (
    WORKDAY_SECONDS,
    WorkCalendar,
    add_working_days,
    advance,
    working_seconds,
)
from review_api.models import Step
from review_api.settings import Settings

__all__ = [
    "PAUSE_STEP",
    "TIMED_STEPS",
    "Clock",
    "Interval",
    "limit_days",
    "merge_intervals",
    "pauses_by_submission",
    "step_clock",
]

TIMED_STEPS = ("intake", "review", "consolidation")
PAUSE_STEP = "revision"

Interval = tuple[dt.datetime, dt.datetime | None]
"""A pause: start and end (None while it runs)."""


def limit_days(settings: Settings, step: str) -> int | None:
    """The step's time limit in working days (None: the step has no limit)."""
    return {
        "intake": settings.intake_days,
        "review": settings.review_days,
        "consolidation": settings.consolidation_days,
    }.get(step)


@dataclass(frozen=True)
class Clock:
    """Where a step stands on its clock at ``now`` (see the module docstring)."""

    status: str  # green|yellow|red|paused|done
    limit_days: int | None
    due_at: dt.datetime | None
    budget_seconds: float
    used_seconds: float
    paused_seconds: float
    on_time: bool | None

    @property
    def share_used(self) -> float | None:
        """Used share of the budget (None without a limit)."""
        return self.used_seconds / self.budget_seconds if self.budget_seconds > 0 else None

    @property
    def working_days_used(self) -> float:
        """Working time used, in working days of office hours."""
        return self.used_seconds / WORKDAY_SECONDS

    @property
    def working_days_left(self) -> float | None:
        """Working time left before the deadline (negative once overdue; None without limit)."""
        if self.limit_days is None:
            return None
        return (self.budget_seconds - self.used_seconds) / WORKDAY_SECONDS


def merge_intervals(
    intervals: Iterable[Interval], lo: dt.datetime, hi: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The intervals clipped to [lo, hi] (a running one ends at ``hi``), sorted and merged."""
    clipped = sorted(
        (max(a, lo), min(b or hi, hi)) for a, b in intervals if min(b or hi, hi) > max(a, lo)
    )
    out: list[tuple[dt.datetime, dt.datetime]] = []
    for a, b in clipped:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _due(
    start: dt.datetime,
    budget: float,
    pauses: Sequence[tuple[dt.datetime, dt.datetime]],
    cal: WorkCalendar,
) -> dt.datetime:
    """When ``budget`` of working time will have run outside the pauses (a running pause is
    taken as ending now, so the deadline shown is the one that holds if work resumes now)."""
    t, left = start, budget
    for a, b in pauses:
        span = working_seconds(t, a, cal)
        if span >= left:
            return advance(t, left, cal)
        left -= span
        t = max(t, b)
    return advance(t, left, cal)


def step_clock(
    step: Step,
    *,
    now: dt.datetime,
    calendar: WorkCalendar,
    limit: int | None,
    pauses: Iterable[Interval] = (),
    yellow_share: float = 2 / 3,
) -> Clock:
    """The clock of ``step`` at ``now``; ``pauses`` are the applicant's revision periods."""
    end = step.ended_at if step.ended_at is not None else now
    end = max(end, step.started_at)
    elapsed = working_seconds(step.started_at, end, calendar)
    if limit is None:
        return Clock(
            status="done" if step.ended_at is not None else "paused",
            limit_days=None, due_at=None, budget_seconds=0.0, used_seconds=elapsed,
            paused_seconds=0.0, on_time=None,
        )
    pause_list = list(pauses)
    merged = merge_intervals(pause_list, step.started_at, end)
    paused = sum(working_seconds(a, b, calendar) for a, b in merged)
    used = elapsed - paused
    nominal = add_working_days(step.started_at, limit, calendar)
    budget = working_seconds(step.started_at, nominal, calendar)
    due = nominal if not merged else _due(step.started_at, budget, merged, calendar)
    if step.ended_at is not None:
        status, on_time = "done", step.ended_at <= due
    else:
        on_time = None
        if any(a <= now and (b is None or b > now) for a, b in pause_list):
            status = "paused"
        elif now > due:
            status = "red"
        elif budget > 0 and used / budget >= yellow_share:
            status = "yellow"
        else:
            status = "green"
    return Clock(status, limit, due, budget, used, paused, on_time)


def pauses_by_submission(s: Session, submission_ids: Iterable[int]) -> dict[int, list[Interval]]:
    """The revision periods of each submission (the applicant's time, when clocks stop)."""
    ids = sorted(set(submission_ids))
    out: dict[int, list[Interval]] = {i: [] for i in ids}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        for st in s.scalars(
            select(Step).where(Step.step == PAUSE_STEP, Step.submission_id.in_(chunk))
        ):
            out[st.submission_id].append((st.started_at, st.ended_at))
    return out

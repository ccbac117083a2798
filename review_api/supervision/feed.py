"""The supervision event feed: every step start and end, warning and rating, in commit order.

An external supervision system polls ``GET /api/supervision/events?since=CURSOR`` and resumes
from the ``next`` cursor it was given; it never misses or repeats an event:

- each event has a dense ``seq`` taken under the lock of the one ``feed_head`` row, which the
  appending transaction holds until it commits, so events become visible in ``seq`` order;
- each event has a ``key`` naming its fact (``step.start:12``, ``warning.red:12``,
  ``rating:7``), unique, so a fact is recorded once however often it is seen.

Warnings and ratings are appended where they happen. Step starts and ends are taken from the
workflow's ``steps`` table by ``sweep_steps``, which the feed reader and the periodic task run
(and the workflow may run after each transition), so the feed is complete without the
workflow knowing about it.

Lock order: a transaction that also appends to the audit trail appends there first (audit head,
then feed head), as the workflow and the ratings do, so two such transactions cannot deadlock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session, aliased

from review_api.models import Step, Submission
from review_api.settings import Settings
from review_api.supervision.models import FeedEvent, FeedHead
from review_api.supervision.responsible import responsible_for
from review_api.supervision.running import StepState, clocks_of, step_json

__all__ = ["append", "event_json", "read", "step_data", "sweep_steps"]

KINDS = ("step.start", "step.end", "warning.yellow", "warning.red", "rating")


def append(
    s: Session,
    *,
    key: str,
    kind: str,
    at: dt.datetime,
    submission_id: int | None,
    step_id: int | None,
    data: dict[str, Any],
) -> FeedEvent | None:
    """Record one event in the caller's transaction; None when ``key`` is already recorded.

    The head row is locked first and the key checked under the lock, so two transactions
    recording the same fact cannot both take a ``seq`` (the second sees the first's row).
    """
    s.execute(select(FeedHead.seq).where(FeedHead.id == 1).with_for_update())
    if s.scalar(select(FeedEvent.id).where(FeedEvent.key == key)) is not None:
        return None
    seq = s.execute(
        update(FeedHead).where(FeedHead.id == 1).values(seq=FeedHead.seq + 1)
        .returning(FeedHead.seq)
    ).scalar_one()
    e = FeedEvent(
        seq=seq, key=key, kind=kind, at=at, submission_id=submission_id, step_id=step_id,
        data=_jsonable(data),
    )
    s.add(e)
    s.flush()
    return e


def _jsonable(value: Any) -> Any:
    """Datetimes as ISO strings, so the stored JSON is what the API will show."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def step_data(state: StepState) -> dict[str, Any]:
    """A step event's content: the step as the supervisor's list shows it at that moment."""
    return step_json(state)


def _missing(s: Session, kind: str, submission_id: int | None) -> list[Step]:
    """Steps whose start (or end) is not in the feed yet."""
    fe = aliased(FeedEvent)
    q = (
        select(Step)
        .outerjoin(fe, and_(fe.step_id == Step.id, fe.kind == kind))
        .where(fe.id.is_(None))
    )
    if kind == "step.end":
        q = q.where(Step.ended_at.is_not(None))
    if submission_id is not None:
        q = q.where(Step.submission_id == submission_id)
    return list(s.scalars(q.order_by(Step.id)))


def sweep_steps(
    s: Session,
    settings: Settings,
    *,
    now: dt.datetime,
    yellow_share: float,
    submission_id: int | None = None,
) -> int:
    """Record the step starts and ends the feed does not have yet, oldest first; their count.

    Costs one query when nothing is missing, and takes the feed lock only when something is.
    """
    starts = _missing(s, "step.start", submission_id)
    ends = _missing(s, "step.end", submission_id)
    if not starts and not ends:
        return 0
    clocks = dict(
        clocks_of(s, list({st.id: st for st in starts + ends}.values()), settings,
                  now=now, yellow_share=yellow_share)
    )
    # at one instant, steps end before the next ones start (intake ends, reviews start),
    # except a step of no duration, whose own start comes first
    todo: list[tuple[dt.datetime, int, str, Step]] = [
        (st.started_at, 1, "step.start", st) for st in starts
    ] + [
        (st.ended_at, 2 if st.ended_at == st.started_at else 0, "step.end", st)
        for st in ends if st.ended_at is not None
    ]
    todo.sort(key=lambda x: (x[0], x[1], x[3].id))
    added = 0
    for at, _, kind, st in todo:
        sub = s.get(Submission, st.submission_id)
        assert sub is not None
        state = StepState(st, sub, clocks[st], responsible_for(s, st))
        data = step_data(state)
        if kind == "step.start":  # the start as it was: not yet ended, nothing used
            data.update(ended_at=None, on_time=None, working_days_used=0.0,
                        share_used=0.0 if data["limit_days"] else None,
                        working_days_left=data["limit_days"], paused_working_days=0.0,
                        status="paused" if data["limit_days"] is None else "green")
        if append(s, key=f"{kind}:{st.id}", kind=kind, at=at, submission_id=st.submission_id,
                  step_id=st.id, data=data) is not None:
            added += 1
    return added


def event_json(e: FeedEvent) -> dict[str, Any]:
    """An event as the feed shows it: ``{"seq", "kind", "at", "recorded_at",
    "submission_id", "step_id", "data"}``.

    ``kind`` is ``step.start``, ``step.end``, ``warning.yellow``, ``warning.red`` or
    ``rating``. ``data`` of a step event is the step as ``GET /api/supervision/steps`` shows it
    (at the start: nothing used yet; at the end: ``on_time`` and the working days used); of a
    warning, the step plus ``level``, ``share_used`` and ``notified`` (the people); of a rating,
    ``score``, ``comment``, ``project``, ``round`` and ``departments``.
    """
    return {
        "seq": e.seq,
        "kind": e.kind,
        "at": e.at,
        "recorded_at": e.recorded_at,
        "submission_id": e.submission_id,
        "step_id": e.step_id,
        "data": e.data,
    }


def read(s: Session, since: int, limit: int) -> tuple[list[FeedEvent], int]:
    """Up to ``limit`` events after ``since``, and the cursor to pass next time."""
    rows = list(
        s.scalars(select(FeedEvent).where(FeedEvent.seq > since).order_by(FeedEvent.seq)
                  .limit(limit))
    )
    return rows, rows[-1].seq if rows else since

"""Supervision endpoints: event feed, statistics (JSON, CSV, PNG charts), notifications,
the applicant's rating, and the administrator's working-day calendar.

| method and path | who |
|---|---|
| ``GET /api/supervision/events?since=CURSOR&limit=N`` | supervisor |
| ``GET /api/supervision/stats?from=DATE&to=DATE&format=json|csv`` | supervisor |
| ``GET /api/supervision/charts/{name}.png`` | supervisor |
| ``GET /api/notifications``, ``POST /api/notifications/{id}/read`` | the user themself |
| ``POST /api/submissions/{id}/rating`` | the applicant who submitted the round, once decided |
| ``GET /api/submissions/{id}/rating`` | the applicant's firm, bureau, supervisor |
| ``GET /api/admin/calendar``, ``GET /api/admin/calendar/{year}`` | admin, supervisor, bureau |
| ``PUT /api/admin/calendar/{year}``, ``DELETE /api/admin/calendar/{year}`` | admin |
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import Response
from sqlalchemy import func, select

from review_api.access import (
    MAX_ID,
    forbidden,
    id_in_range,
    not_found,
    require_role,
    visible_submission,
)
from review_api.calendar import (
    CalendarError,
    WorkCalendar,
    YearCalendar,
    is_working_day,
    shipped_years,
)
from review_api.deps import CurrentUser, DbSession, RuntimeDep
from review_api.models import utcnow
from review_api.supervision import charts, feed, stats
from review_api.supervision.calendar_store import (
    EffectiveYear,
    effective_year,
    reset_year,
    save_year,
)
from review_api.supervision.models import CalendarYear, Notification, Rating
from review_api.supervision.notify import notification_json
from review_api.supervision.ratings import (
    RatingRefused,
    give_rating,
    rated_units,
    rating_json,
)
from review_api.supervision.schemas import CalendarIn, RatingIn
from review_api.supervision.settings import SupervisionSettings, get_supervision_settings

__all__ = ["SupervisionDep", "router"]

router = APIRouter(prefix="/api", tags=["supervision 监察"])

SupervisionDep = Annotated[SupervisionSettings, Depends(get_supervision_settings)]
Year = Annotated[int, Path(ge=2000, le=2100)]


@router.get("/supervision/events")
def events(
    rt: RuntimeDep,
    sup: SupervisionDep,
    user: CurrentUser,
    s: DbSession,
    since: int = Query(0, ge=0, le=2**62, description="the ``next`` of the previous answer; 0 from the start"),
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    """Events after the cursor, oldest first: ``{"events": [EVENT...], "next": CURSOR}``.

    EVENT is ``{"seq", "kind": "step.start"|"step.end"|"warning.yellow"|"warning.red"|
    "rating", "at", "recorded_at", "submission_id", "step_id", "data"}``; pass ``next`` as
    ``since`` to continue (an empty page returns the same cursor).
    """
    require_role(user, "supervisor")
    feed.sweep_steps(s, rt.settings, now=utcnow(), yellow_share=sup.yellow_share)
    rows, nxt = feed.read(s, since, limit)
    return {"events": [feed.event_json(e) for e in rows], "next": nxt}


@router.get("/supervision/stats", response_model=None)
def statistics(
    rt: RuntimeDep,
    sup: SupervisionDep,
    user: CurrentUser,
    s: DbSession,
    date_from: Annotated[dt.date | None, Query(alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to")] = None,
    format: Literal["json", "csv"] = "json",
) -> dict[str, Any] | Response:
    """Every figure of the supervisor's dashboard (shape in ``supervision.stats.compute``);
    ``format=csv`` gives the same figures as tidy CSV rows."""
    require_role(user, "supervisor")
    if date_from and date_to and date_to < date_from:
        raise HTTPException(422, detail="结束日期早于开始日期 / 'to' is before 'from'")
    figures = stats.compute(s, rt.settings, now=utcnow(), yellow_share=sup.yellow_share,
                            date_from=date_from, date_to=date_to)
    if format == "csv":
        return Response(
            stats.to_csv(figures),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="supervision-stats.csv"'},
        )
    return figures


@router.get("/supervision/charts/{name}.png", response_class=Response)
def chart(
    name: str,
    rt: RuntimeDep,
    sup: SupervisionDep,
    user: CurrentUser,
    s: DbSession,
) -> Response:
    """A PNG chart of the current figures (for pages and reports that cannot draw their own):
    ``on_time``, ``duration``, ``open_by_age``, ``findings``, ``rounds``, ``now`` or
    ``satisfaction``."""
    require_role(user, "supervisor")
    if name not in charts.CHART_NAMES:
        raise not_found("chart")
    figures = stats.compute(s, rt.settings, now=utcnow(), yellow_share=sup.yellow_share)
    return Response(charts.render(name, figures), media_type="image/png",
                    headers={"Cache-Control": "no-store"})


@router.get("/notifications")
def my_notifications(
    user: CurrentUser,
    s: DbSession,
    unread: bool = False,
    before_id: int | None = Query(None, ge=1, le=MAX_ID, description="page back from this id"),
    limit: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    """The user's own notifications, newest first: ``{"notifications": [...], "unread": N}``."""
    q = select(Notification).where(Notification.user_id == user.id)
    if unread:
        q = q.where(Notification.read_at.is_(None))
    if before_id is not None:
        q = q.where(Notification.id < before_id)
    rows = s.scalars(q.order_by(Notification.id.desc()).limit(limit)).all()
    count = s.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )
    return {"notifications": [notification_json(n) for n in rows], "unread": count or 0}


@router.post("/notifications/{notification_id}/read")
def mark_read(notification_id: int, user: CurrentUser, s: DbSession) -> dict[str, Any]:
    """Mark one of the user's notifications read (another user's is answered 404)."""
    n = s.get(Notification, notification_id) if id_in_range(notification_id) else None
    if n is None or n.user_id != user.id:
        raise not_found("notification")
    if n.read_at is None:
        n.read_at = utcnow()
    return notification_json(n)


@router.post("/submissions/{submission_id}/rating", status_code=201)
def rate(
    submission_id: int,
    body: RatingIn,
    rt: RuntimeDep,
    sup: SupervisionDep,
    user: CurrentUser,
    s: DbSession,
) -> dict[str, Any]:
    """The applicant rates the round's service (1–5, optional comment), once, after the
    decision; 403 for anyone else, 409 before the decision or a second time."""
    sub = visible_submission(s, user, submission_id)
    try:
        r = give_rating(s, user, sub, score=body.score, comment=body.comment,
                        settings=rt.settings, sup=sup, now=utcnow())
    except RatingRefused as exc:
        raise HTTPException(exc.status, detail=str(exc)) from None
    return rating_json(r, rated_units(s, sub.id))


@router.get("/submissions/{submission_id}/rating")
def get_rating(submission_id: int, user: CurrentUser, s: DbSession) -> dict[str, Any]:
    """The round's rating (``{"rating": null}`` before one is given). Reviewers do not see the
    ratings of their own cases: the applicant rates without fear of the reviewer."""
    sub = visible_submission(s, user, submission_id)
    if user.role not in ("applicant", "bureau", "supervisor"):
        raise forbidden("评价仅对申请人、审批局和监察人员可见 / ratings are not shown to reviewers")
    r = s.scalar(select(Rating).where(Rating.submission_id == sub.id))
    return {"rating": None if r is None else rating_json(r, rated_units(s, sub.id))}


def _year_json(e: EffectiveYear) -> dict[str, Any]:
    """``{"year", "source": "database"|"file"|"weekends", "notice", "provisional",
    "updated_at", "holidays": [{"date", "name"}], "workdays": [...], "working_days"}``."""
    c = e.calendar
    first = dt.date(c.year, 1, 1)
    days = (dt.date(c.year + 1, 1, 1) - first).days
    wc = WorkCalendar.of([c])
    return {
        "year": c.year,
        "source": e.source,
        "notice": c.notice,
        "provisional": c.provisional,
        "updated_at": e.updated_at,
        "holidays": [{"date": d, "name": n} for d, n in sorted(c.holidays.items())],
        "workdays": [{"date": d, "name": n} for d, n in sorted(c.workdays.items())],
        "working_days": sum(
            1 for i in range(days) if is_working_day(first + dt.timedelta(days=i), wc)
        ),
    }


@router.get("/admin/calendar")
def calendar_years(user: CurrentUser, s: DbSession) -> list[dict[str, Any]]:
    """The years with a calendar (shipped or set by the administrator), and their source."""
    require_role(user, "admin", "supervisor", "bureau")
    years = set(shipped_years()) | set(s.scalars(select(CalendarYear.year)))
    return [
        {k: v for k, v in _year_json(effective_year(s, y)).items()
         if k not in ("holidays", "workdays")}
        for y in sorted(years)
    ]


@router.get("/admin/calendar/{year}")
def calendar_year(year: Year, user: CurrentUser, s: DbSession) -> dict[str, Any]:
    """The calendar in force for ``year``."""
    require_role(user, "admin", "supervisor", "bureau")
    return _year_json(effective_year(s, year))


@router.put("/admin/calendar/{year}")
def put_calendar_year(
    year: Year, body: CalendarIn, user: CurrentUser, s: DbSession
) -> dict[str, Any]:
    """Replace the year's holidays and make-up workdays (every problem listed in one 422).

    Running steps' deadlines follow at once: clocks are computed from the calendar in force.
    """
    require_role(user, "admin")
    problems = []
    for kind, items in (("holidays", body.holidays), ("workdays", body.workdays)):
        seen: set[dt.date] = set()
        for it in items:
            if it.date in seen:
                problems.append(f"{it.date} 重复 / listed twice in {kind}")
            seen.add(it.date)
    cal = YearCalendar(
        year=year,
        holidays={d.date: d.name.strip() for d in body.holidays},
        workdays={d.date: d.name.strip() for d in body.workdays},
        notice=body.notice.strip(),
        provisional=body.provisional,
    )
    problems += cal.problems()
    if problems:
        raise HTTPException(422, detail={"message": "日历有误 / the calendar is invalid",
                                         "problems": problems})
    try:
        return _year_json(save_year(s, cal, user))
    except CalendarError as exc:  # pragma: no cover - validated above
        raise HTTPException(422, detail={"problems": exc.problems}) from None


@router.delete("/admin/calendar/{year}")
def reset_calendar_year(year: Year, user: CurrentUser, s: DbSession) -> dict[str, Any]:
    """Drop the administrator's copy of the year: the shipped calendar applies again."""
    require_role(user, "admin")
    return _year_json(reset_year(s, year, user))

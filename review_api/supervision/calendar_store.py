"""The working-day calendar as the platform uses it: shipped files, replaced per year by the
administrator's edits kept in the database.

A year the administrator saved (``calendar_years``) is taken from the database as a whole;
every other year comes from its shipped file (``review_api/data/holidays_<year>.toml``), and a
year with neither counts weekends only. Saving replaces the year; resetting returns to the file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from review_api import audit
from review_api.calendar import WorkCalendar, YearCalendar, load_year_file, shipped_years
from review_api.models import User, utcnow
from review_api.supervision.models import CalendarDay, CalendarYear

__all__ = ["EffectiveYear", "effective_year", "load_calendar", "reset_year", "save_year"]


@dataclass(frozen=True)
class EffectiveYear:
    """A year's calendar and where it comes from: ``database``, ``file`` or ``weekends``."""

    calendar: YearCalendar
    source: str
    updated_at: dt.datetime | None = None


def _db_year(s: Session, row: CalendarYear) -> YearCalendar:
    days = s.scalars(select(CalendarDay).where(CalendarDay.year == row.year)).all()
    return YearCalendar(
        year=row.year,
        holidays={d.day: d.name for d in days if d.kind == "holiday"},
        workdays={d.day: d.name for d in days if d.kind == "workday"},
        notice=row.notice,
        provisional=row.provisional,
    )


def effective_year(s: Session, year: int) -> EffectiveYear:
    """The calendar in force for ``year``."""
    row = s.get(CalendarYear, year)
    if row is not None:
        return EffectiveYear(_db_year(s, row), "database", row.updated_at)
    shipped = load_year_file(year)
    if shipped is not None:
        return EffectiveYear(shipped, "file")
    return EffectiveYear(YearCalendar(year=year, holidays={}, workdays={}), "weekends")


def load_calendar(s: Session) -> WorkCalendar:
    """Every year in force: the database's years, and the shipped files for the others."""
    rows = s.scalars(select(CalendarYear)).all()
    edited = {r.year for r in rows}
    years = [_db_year(s, r) for r in rows]
    for y in shipped_years():
        if y not in edited:
            shipped = load_year_file(y)
            if shipped is not None:
                years.append(shipped)
    return WorkCalendar.of(years)


def save_year(s: Session, cal: YearCalendar, user: User) -> EffectiveYear:
    """Replace ``cal.year`` with ``cal`` (validated first: CalendarError lists every problem)."""
    cal.validated()
    before = effective_year(s, cal.year)
    s.execute(delete(CalendarDay).where(CalendarDay.year == cal.year))
    row = s.get(CalendarYear, cal.year)
    if row is None:
        row = CalendarYear(year=cal.year)
        s.add(row)
    row.notice, row.provisional = cal.notice, cal.provisional
    row.updated_by, row.updated_at = user.id, utcnow()
    s.flush()
    for kind, days in (("holiday", cal.holidays), ("workday", cal.workdays)):
        for day, name in sorted(days.items()):
            s.add(CalendarDay(year=cal.year, day=day, kind=kind, name=name))
    s.flush()
    audit.record(
        s, user, "calendar.save", "calendar", cal.year,
        before=_summary(before), after=_summary(EffectiveYear(cal, "database")),
    )
    return effective_year(s, cal.year)


def reset_year(s: Session, year: int, user: User) -> EffectiveYear:
    """Drop the administrator's copy of ``year``: the shipped file (or weekends) applies again."""
    before = effective_year(s, year)
    if before.source == "database":
        s.execute(delete(CalendarDay).where(CalendarDay.year == year))
        s.execute(delete(CalendarYear).where(CalendarYear.year == year))
        s.flush()
        after = effective_year(s, year)
        audit.record(
            s, user, "calendar.reset", "calendar", year,
            before=_summary(before), after=_summary(after),
        )
        return after
    return before


def _summary(e: EffectiveYear) -> dict[str, object]:
    """What the audit trail keeps of a year: its source and every day."""
    return {
        "source": e.source,
        "notice": e.calendar.notice,
        "holidays": sorted(d.isoformat() for d in e.calendar.holidays),
        "workdays": sorted(d.isoformat() for d in e.calendar.workdays),
    }

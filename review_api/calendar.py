"""Working days and working time, for step deadlines and clocks.

Time limits are counted in working days: Monday to Friday, except the public holidays, plus the
weekend days declared working days (调休上班). The national calendar of each year is data: a
TOML file per year under ``data/`` (``holidays_2026.toml``, ...) reflecting the State Council's
notice, which an administrator can replace for a year through the database
(``review_api.supervision.calendar_store``). A year with neither counts weekends only.

Two measures follow from a calendar:

- a **deadline** ``add_working_days(start, n)`` falls at the end of the n-th working day after
  the start day, 18:00 China Standard Time (the start day itself is not counted);
- **working time** counts the office hours 09:00–18:00 of working days, so a step started on
  Friday evening has used nothing of its time by Monday morning, and a clock that pauses for an
  hour gives its step that hour back (``working_seconds``, ``advance``).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "CST",
    "DAY_START",
    "END_OF_DAY",
    "WORKDAY_SECONDS",
    "CalendarError",
    "WorkCalendar",
    "YearCalendar",
    "add_working_days",
    "advance",
    "default_calendar",
    "is_working_day",
    "load_year_file",
    "shipped_years",
    "working_seconds",
]

CST = dt.timezone(dt.timedelta(hours=8), "CST")
DAY_START = dt.time(9, 0)
END_OF_DAY = dt.time(18, 0)
WORKDAY_SECONDS = 9 * 3600
"""Office hours of one working day (09:00–18:00): the unit of a "working day" of time used."""

DATA_DIR = Path(__file__).with_name("data")


class CalendarError(ValueError):
    """A year's calendar is inconsistent; ``problems`` lists every problem (Chinese / English)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class YearCalendar:
    """One year's public holidays and make-up workdays, each day with its name."""

    year: int
    holidays: Mapping[dt.date, str]
    workdays: Mapping[dt.date, str]
    notice: str = ""
    provisional: bool = False

    def problems(self) -> list[str]:
        """Everything wrong with the year, so an administrator can fix it in one go."""
        out = []
        for kind, days in (("holiday", self.holidays), ("workday", self.workdays)):
            for day in sorted(days):
                if day.year != self.year:
                    out.append(f"{day} 不在 {self.year} 年内 / {kind} {day} is not in {self.year}")
        for day in sorted(set(self.holidays) & set(self.workdays)):
            out.append(f"{day} 不能既放假又上班 / {day} is both a holiday and a workday")
        for day in sorted(self.workdays):
            if day.weekday() < 5:
                out.append(
                    f"{day} 是工作日，无需调休上班 / make-up workday {day} is not a weekend day"
                )
        return out

    def validated(self) -> YearCalendar:
        """The year itself, or CalendarError listing every problem."""
        problems = self.problems()
        if problems:
            raise CalendarError(problems)
        return self


@dataclass(frozen=True)
class WorkCalendar:
    """Holidays and make-up workdays of any number of years; other days: Monday to Friday."""

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)

    @classmethod
    def of(cls, years: Iterable[YearCalendar]) -> WorkCalendar:
        """The calendar made of these years (one entry per year expected)."""
        holidays: set[dt.date] = set()
        workdays: set[dt.date] = set()
        for y in years:
            holidays.update(y.holidays)
            workdays.update(y.workdays)
        return cls(frozenset(holidays), frozenset(workdays))

    def is_working_day(self, day: dt.date) -> bool:
        """A make-up workday works; a holiday does not; otherwise Monday to Friday."""
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


def _days(entries: list[dict[str, Any]], year: int) -> dict[dt.date, str]:
    """``[[holiday]]`` ranges (first..last) or ``[[workday]]`` dates, day by day."""
    out: dict[dt.date, str] = {}
    for e in entries:
        name = str(e.get("name", ""))
        first = e.get("first", e.get("date"))
        last = e.get("last", first)
        if not isinstance(first, dt.date) or not isinstance(last, dt.date) or last < first:
            raise CalendarError([f"{year}: 日期无效 / bad date range in entry {e!r}"])
        day = first
        while day <= last:
            out[day] = name
            day += dt.timedelta(days=1)
    return out


def load_year_file(year: int, folder: Path = DATA_DIR) -> YearCalendar | None:
    """The shipped calendar of ``year`` (``holidays_<year>.toml``), or None without one."""
    path = folder / f"holidays_{year}.toml"
    if not path.is_file():
        return None
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if data.get("year") != year:
        raise CalendarError([f"{path.name}: year = {data.get('year')!r}, expected {year}"])
    return YearCalendar(
        year=year,
        holidays=_days(data.get("holiday", []), year),
        workdays=_days(data.get("workday", []), year),
        notice=str(data.get("notice", "")),
        provisional=bool(data.get("provisional", False)),
    ).validated()


def shipped_years(folder: Path = DATA_DIR) -> list[int]:
    """The years for which a calendar file is shipped."""
    years = []
    for p in folder.glob("holidays_*.toml"):
        suffix = p.stem.removeprefix("holidays_")
        if suffix.isdigit():
            years.append(int(suffix))
    return sorted(years)


@lru_cache(maxsize=1)
def default_calendar() -> WorkCalendar:
    """The shipped national calendars of every year (what is used without a database)."""
    years = (load_year_file(y) for y in shipped_years())
    return WorkCalendar.of(y for y in years if y is not None)


def is_working_day(day: dt.date, calendar: WorkCalendar | None = None) -> bool:
    """Whether ``day`` is a working day (the shipped national calendar by default)."""
    return (calendar or default_calendar()).is_working_day(day)


def add_working_days(
    start: dt.datetime, days: int, calendar: WorkCalendar | None = None
) -> dt.datetime:
    """The deadline ``days`` working days after ``start`` (the start day itself not counted).

    It falls at 18:00 China Standard Time of the last of those days, returned in UTC.
    """
    cal = calendar or default_calendar()
    day = start.astimezone(CST).date()
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if cal.is_working_day(day):
            left -= 1
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=CST).astimezone(dt.UTC)


def _office(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The office hours of ``day`` as an interval of aware datetimes."""
    return (
        dt.datetime.combine(day, DAY_START, tzinfo=CST),
        dt.datetime.combine(day, END_OF_DAY, tzinfo=CST),
    )


def working_seconds(
    start: dt.datetime, end: dt.datetime, calendar: WorkCalendar | None = None
) -> float:
    """Seconds of office hours on working days within [start, end) (0 when end <= start)."""
    if end <= start:
        return 0.0
    cal = calendar or default_calendar()
    total = 0.0
    day = start.astimezone(CST).date()
    last = end.astimezone(CST).date()
    while day <= last:
        if cal.is_working_day(day):
            open_, close = _office(day)
            lo, hi = max(open_, start), min(close, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += dt.timedelta(days=1)
    return total


def advance(
    start: dt.datetime, seconds: float, calendar: WorkCalendar | None = None
) -> dt.datetime:
    """The earliest instant at which ``seconds`` of working time have passed since ``start``.

    The inverse of ``working_seconds``: ``working_seconds(start, advance(start, s)) == s``.
    """
    if seconds <= 0:
        return start.astimezone(dt.UTC)
    cal = calendar or default_calendar()
    left = seconds
    day = start.astimezone(CST).date()
    while True:
        if cal.is_working_day(day):
            open_, close = _office(day)
            lo = max(open_, start)
            if close > lo:
                avail = (close - lo).total_seconds()
                if left <= avail:
                    return (lo + dt.timedelta(seconds=left)).astimezone(dt.UTC)
                left -= avail
        day += dt.timedelta(days=1)

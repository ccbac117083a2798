"""Working days for step deadlines.

Time limits are counted in working days. This module knows weekends; public holidays and
make-up workdays (调休) are a later extension of the same function, so callers do not change.
A deadline falls at the end of the last working day, 18:00 China Standard Time.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["CST", "add_working_days", "is_working_day"]

CST = dt.timezone(dt.timedelta(hours=8), "CST")
END_OF_DAY = dt.time(18, 0)


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday."""
    return day.weekday() < 5


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The deadline ``days`` working days after ``start`` (the start day itself not counted)."""
    day = start.astimezone(CST).date()
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=CST).astimezone(dt.UTC)

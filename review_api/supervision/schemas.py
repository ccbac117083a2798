"""Request bodies of the supervision endpoints, with their limits."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CalendarDayIn", "CalendarIn", "RatingIn"]


class RatingIn(BaseModel):
    """The applicant's rating: 1 (very dissatisfied) to 5 (very satisfied), optional comment."""

    model_config = ConfigDict(extra="forbid")
    score: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=2000)


class CalendarDayIn(BaseModel):
    """One holiday or make-up workday."""

    model_config = ConfigDict(extra="forbid")
    date: dt.date
    name: str = Field("", max_length=100)


class CalendarIn(BaseModel):
    """A whole year: every public holiday (weekend days of a holiday period may be listed too)
    and every weekend day that is a working day (调休上班)."""

    model_config = ConfigDict(extra="forbid")
    notice: str = Field("", max_length=500, description="the notice the year follows")
    provisional: bool = False
    holidays: list[CalendarDayIn] = Field(default_factory=list, max_length=366)
    workdays: list[CalendarDayIn] = Field(default_factory=list, max_length=366)

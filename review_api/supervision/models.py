"""Supervision tables: the edited calendar, warnings, notifications, ratings, the event feed.

They use the platform's ``Base`` (so one Alembic history covers them) and refer to the workflow's
``steps``, ``submissions`` and ``users`` rows without changing those tables.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from review_api.models import Base, UTCDateTime, utcnow

__all__ = [
    "CalendarDay",
    "CalendarYear",
    "FeedEvent",
    "FeedHead",
    "Notification",
    "Rating",
    "StepWarning",
]


class CalendarYear(Base):
    """A year whose calendar an administrator set; it replaces the shipped file for that year."""

    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    notice: Mapped[str] = mapped_column(Text, default="")
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarDay(Base):
    """One holiday or make-up workday (调休上班) of an administrator-set year."""

    __tablename__ = "calendar_days"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("calendar_years.year"), index=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # holiday|workday
    name: Mapped[str] = mapped_column(String(100), default="")


class StepWarning(Base):
    """A yellow or red warning of one step, raised once (``UNIQUE(step_id, level)``)."""

    __tablename__ = "step_warnings"
    __table_args__ = (UniqueConstraint("step_id", "level"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("steps.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    level: Mapped[str] = mapped_column(String(10))  # yellow|red
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    share_used: Mapped[float] = mapped_column(Float)
    responsible: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Notification(Base):
    """An in-app message to one person, and its e-mail copy's delivery state (an outbox).

    ``email_status``: ``none`` (no e-mail wanted or possible), ``pending`` (to send),
    ``sending`` (claimed by a sender at ``email_claimed_at``), ``sent``, ``failed``.
    """

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    step_id: Mapped[int | None] = mapped_column(ForeignKey("steps.id"))
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("step_warnings.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    email_to: Mapped[str | None] = mapped_column(String(200))
    email_status: Mapped[str] = mapped_column(String(10), default="none", index=True)
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    email_error: Mapped[str | None] = mapped_column(Text)
    emailed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Rating(Base):
    """The applicant's rating of the service for one round (好差评), given once."""

    __tablename__ = "ratings"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedEvent(Base):
    """One event of the supervision feed: a step's start or end, a warning, a rating.

    ``seq`` is dense and follows commit order (appends are serialised through ``FeedHead``), so
    a reader that resumes after the last ``seq`` it saw misses nothing. ``key`` names the fact
    (``step.start:12``) so that recording it twice is impossible.
    """

    __tablename__ = "feed_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submission_id: Mapped[int | None] = mapped_column(Integer, index=True)
    step_id: Mapped[int | None] = mapped_column(Integer, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class FeedHead(Base):
    """The feed's last ``seq``: one row, updated by every append (a row lock until commit)."""

    __tablename__ = "feed_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)

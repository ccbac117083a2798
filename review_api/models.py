"""The platform's tables (SQLAlchemy 2). Schema changes go through Alembic (``migrations/``).

Naming: a *submission* is one round of a project's drawing package; its ``status`` is the review
workflow state (``workflow.py``) and its ``processing`` the state of the automated pipeline
(``tasks/``). Every row that a person creates or changes names that person; the audit trail
(``audit.py``) records the change itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "Annotation",
    "AuditEvent",
    "AuditHead",
    "AuditPending",
    "Base",
    "CarriedItem",
    "CheckRun",
    "Decision",
    "Document",
    "Drawing",
    "DrawingComparison",
    "Finding",
    "ItemAnswer",
    "LoginAttempt",
    "Opinion",
    "OpinionItem",
    "Organization",
    "Project",
    "Reply",
    "Step",
    "Submission",
    "Token",
    "UploadAttempt",
    "User",
    "utcnow",
]


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC (all stored times are UTC)."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on both databases (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use utcnow()")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Organization(Base):
    """A design firm, one of the five departments, the bureau, or the supervision office."""

    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # firm|department|bureau|supervision|admin
    department: Mapped[str | None] = mapped_column(String(20))


class User(Base):
    """A named person (实名制): every action is tied to one of these."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    real_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # applicant|reviewer|bureau|supervisor|admin
    department: Mapped[str | None] = mapped_column(String(20))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    organization: Mapped[Organization] = relationship(lazy="joined")


class Token(Base):
    """A bearer token, stored only as its keyed hash, so a database leak gives no logins."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginAttempt(Base):
    """Failed logins, kept in the database so throttling holds across API processes."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class UploadAttempt(Base):
    """Uploads started, per user, kept briefly so the upload rate holds across API processes."""

    __tablename__ = "upload_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Project(Base):
    """A building project of one design firm; it has one submission per review round."""

    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    organization: Mapped[Organization] = relationship(lazy="joined")


class Submission(Base):
    """One round of a project's drawing package."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("project_id", "round"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # workflow state
    processing: Mapped[str] = mapped_column(String(20), default="queued")
    processing_error: Mapped[str | None] = mapped_column(Text)
    package_key: Mapped[str] = mapped_column(String(300))
    package_sha256: Mapped[str] = mapped_column(String(64))
    package_name: Mapped[str] = mapped_column(String(255))
    project_toml: Mapped[str] = mapped_column(Text)
    layers_toml: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    project: Mapped[Project] = relationship(lazy="joined")


class Drawing(Base):
    """One DXF file of a submission and the state of its ingestion."""

    __tablename__ = "drawings"
    __table_args__ = (UniqueConstraint("submission_id", "file"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    discipline: Mapped[str] = mapped_column(String(20))
    file: Mapped[str] = mapped_column(String(300))  # path inside the package, e.g. fire/plans.dxf
    storage_key: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    error_reason: Mapped[str | None] = mapped_column(String(40))
    deliveries: Mapped[int] = mapped_column(Integer, default=0)
    model_key: Mapped[str | None] = mapped_column(String(300))
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheckRun(Base):
    """One group of rules (a discipline, or the cross-drawing checks) run on a submission."""

    __tablename__ = "check_runs"
    __table_args__ = (UniqueConstraint("submission_id", "group"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    group: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    deliveries: Mapped[int] = mapped_column(Integer, default=0)
    not_checked: Mapped[list[Any] | None] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Finding(Base):
    """An automated finding (intake ``DXF-0xx`` or a catalogue rule) and its review.

    ``subject_key`` identifies the finding within its submission, so that a redelivered task
    inserts nothing twice (``UNIQUE(submission_id, subject_key)``, insert-or-ignore).
    """

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("submission_id", "subject_key"),
        Index("ix_findings_submission_discipline", "submission_id", "discipline"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    drawing_id: Mapped[int | None] = mapped_column(ForeignKey("drawings.id"), index=True)
    subject_key: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(10))  # intake|rule
    code: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(80))
    discipline: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    clause: Mapped[str] = mapped_column(Text)
    measured: Mapped[float | None] = mapped_column(Float)
    limit: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(20))
    file: Mapped[str | None] = mapped_column(String(300))
    sheet: Mapped[str | None] = mapped_column(String(100))
    location: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    handles: Mapped[list[str]] = mapped_column(JSON, default=list)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    review_status: Mapped[str] = mapped_column(String(10), default="open")
    review_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Annotation(Base):
    """A reviewer's mark on the shared copy of a drawing, in drawing coordinates (metres)."""

    __tablename__ = "annotations"
    __table_args__ = (UniqueConstraint("author_id", "client_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    drawing_id: Mapped[int] = mapped_column(ForeignKey("drawings.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    department: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id"))
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="open")
    client_key: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    author: Mapped[User] = relationship(lazy="joined")


class Reply(Base):
    """A reply in an annotation's thread (any department, or the applicant)."""

    __tablename__ = "replies"
    id: Mapped[int] = mapped_column(primary_key=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    author: Mapped[User] = relationship(lazy="joined")


class Opinion(Base):
    """One department's opinion on a submission (pass, or revise with items)."""

    __tablename__ = "opinions"
    __table_args__ = (UniqueConstraint("submission_id", "department"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    department: Mapped[str] = mapped_column(String(20))
    verdict: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    author: Mapped[User] = relationship(lazy="joined")
    items: Mapped[list[OpinionItem]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="OpinionItem.id"
    )


class OpinionItem(Base):
    """A numbered item of an opinion, optionally linked to a finding or an annotation."""

    __tablename__ = "opinion_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    opinion_id: Mapped[int] = mapped_column(ForeignKey("opinions.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id"))
    annotation_id: Mapped[int | None] = mapped_column(ForeignKey("annotations.id"))


class Decision(Base):
    """The bureau's consolidated decision on a submission (revise or approve)."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Document(Base):
    """An issued document (consolidated opinion or approval certificate) and its checksum."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # opinion|certificate
    verification_code: Mapped[str] = mapped_column(String(40), unique=True)
    storage_key: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    decision: Mapped[str] = mapped_column(String(10))
    signer: Mapped[str] = mapped_column(String(200))
    issued_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the audit chain's head when the document was issued, also printed in the signed PDF
    audit_seq: Mapped[int | None] = mapped_column(Integer)
    audit_hash: Mapped[str | None] = mapped_column(String(64))


class Step(Base):
    """A timed workflow step: intake, one department's review, consolidation, revision."""

    __tablename__ = "steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    step: Mapped[str] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(20))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ItemAnswer(Base):
    """The applicant's answer to one open item of a round (fixed, or explained)."""

    __tablename__ = "item_answers"
    __table_args__ = (UniqueConstraint("source_type", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    source_type: Mapped[str] = mapped_column(String(20))  # opinion_item|finding|annotation|carried
    source_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))  # fixed|explained
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CarriedItem(Base):
    """An open item of an earlier round, carried to the next round at its mapped location."""

    __tablename__ = "carried_items"
    __table_args__ = (UniqueConstraint("submission_id", "source_type", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    from_submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    source_type: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int] = mapped_column(Integer)
    discipline: Mapped[str] = mapped_column(String(20))
    code: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    raised_by: Mapped[str] = mapped_column(String(200))
    drawing_id: Mapped[int | None] = mapped_column(ForeignKey("drawings.id"))
    location: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    old_location: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    changes_nearby: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rule_now: Mapped[str] = mapped_column(String(10), default="n/a")  # fails|passes|n/a
    new_finding_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    answer_status: Mapped[str | None] = mapped_column(String(10))
    answer_text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open|closed
    reason: Mapped[str | None] = mapped_column(Text)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class DrawingComparison(Base):
    """The stored comparison of a drawing with its counterpart in the previous round."""

    __tablename__ = "drawing_comparisons"
    __table_args__ = (UniqueConstraint("drawing_id", "previous_drawing_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    drawing_id: Mapped[int] = mapped_column(ForeignKey("drawings.id"), index=True)
    previous_drawing_id: Mapped[int] = mapped_column(ForeignKey("drawings.id"))
    storage_key: Mapped[str] = mapped_column(String(300))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class _AuditContent:
    """What an audit event says: who, when, what, on which object, before and after."""

    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(200))  # "real name (username)" or "system"
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AuditEvent(_AuditContent, Base):
    """One entry of the append-only, hash-chained audit trail (see ``audit.py``)."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    submission_id: Mapped[int | None] = mapped_column(Integer, index=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditPending(_AuditContent, Base):
    """An event recorded with its action but not yet chained: the chainer moves it into
    ``audit_events`` right after the action's transaction commits (see ``audit.py``)."""

    __tablename__ = "audit_pending"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int | None] = mapped_column(Integer)


class AuditHead(Base):
    """The chain head: one row, locked by every append so the chain is serialised."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))
import review_api.supervision.models  # noqa: E402, F401

"""Who may see and change what: the access rules of ``DESIGN.md`` in one place.

| role | sees | changes |
|---|---|---|
| applicant | projects of the own firm and everything of their submissions, except internal annotations and department opinions before the bureau's decision | projects, uploads, replies, rating |
| reviewer | submissions assigned to the own department (accepted at intake) | findings of the own discipline (joint findings: any department), own annotations, the own department's opinion |
| bureau | every submission | intake, consolidation |
| supervisor | every submission, read only; supervision and audit | nothing |
| admin | users and organisations | users |

An object the user may not see is answered exactly like an object that does not exist (404),
so ids cannot be probed; an object the user may see but not change is a 403. An id that no
row can have (zero, negative, beyond the database's integer range) is also a plain 404: the
database is never asked, so it cannot answer with an overflow error instead.
"""

from __future__ import annotations

from typing import TypeVar

from fastapi import HTTPException
from sqlalchemy import ColumnElement, exists, false, select, true
from sqlalchemy.orm import Session

from review_api.models import (
    Annotation,
    Document,
    Drawing,
    Finding,
    Project,
    Step,
    Submission,
    User,
)

__all__ = [
    "MAX_ID",
    "can_see_annotation",
    "can_see_project",
    "can_see_submission",
    "forbidden",
    "id_in_range",
    "not_found",
    "require_role",
    "visible_annotation",
    "visible_document",
    "visible_drawing",
    "visible_finding",
    "visible_project",
    "visible_submission",
]

_Row = TypeVar("_Row", Annotation, Document, Drawing, Finding, Project, Submission)
_Part = TypeVar("_Part", Annotation, Document, Drawing, Finding)

MAX_ID = 2**31 - 1
"""The largest id a row can have (PostgreSQL ``INTEGER``; SQLite refuses ids past 2**63)."""


def not_found(what: str = "object") -> HTTPException:
    """The same answer for "does not exist" and "not yours" (no enumeration oracle)."""
    return HTTPException(404, detail=f"{what} not found / 未找到")


def forbidden(why: str) -> HTTPException:
    """Visible, but this user may not do this."""
    return HTTPException(403, detail=why)


def id_in_range(object_id: int) -> bool:
    """Whether ``object_id`` can be the id of a row at all.

    PostgreSQL answers an id past ``INTEGER`` with an error (which would read as "database
    unavailable", 503) and SQLite's driver raises ``OverflowError`` past 2**63 (a 500); such an
    id names nothing, so callers answer 404 without a query.
    """
    return 0 < object_id <= MAX_ID


def _row(s: Session, model: type[_Row], object_id: int) -> _Row | None:
    """The row with this id, or None; an impossible id is not sent to the database."""
    return s.get(model, object_id) if id_in_range(object_id) else None


def require_role(user: User, *roles: str) -> None:
    """403 unless the user has one of ``roles``."""
    if user.role not in roles:
        raise forbidden(f"需要角色 / requires role: {', '.join(roles)}")


def _assigned(s: Session, submission_id: int, department: str | None) -> bool:
    return bool(
        s.scalar(
            select(
                exists().where(
                    Step.submission_id == submission_id,
                    Step.step == "review",
                    Step.department == department,
                )
            )
        )
    )


def can_see_project(s: Session, user: User, project: Project) -> bool:
    """Applicants: own firm; reviewers: a submission assigned to their department."""
    if user.role in ("bureau", "supervisor"):
        return True
    if user.role == "applicant":
        return project.organization_id == user.organization_id
    if user.role == "reviewer":
        return bool(
            s.scalar(
                select(
                    exists().where(
                        Step.submission_id == Submission.id,
                        Submission.project_id == project.id,
                        Step.step == "review",
                        Step.department == user.department,
                    )
                )
            )
        )
    return False


def can_see_submission(s: Session, user: User, sub: Submission) -> bool:
    """The parties of a submission."""
    if user.role in ("bureau", "supervisor"):
        return True
    if user.role == "applicant":
        return sub.project.organization_id == user.organization_id
    if user.role == "reviewer":
        return _assigned(s, sub.id, user.department)
    return False


def visible_project(s: Session, user: User, project_id: int) -> Project:
    """The project, or 404."""
    p = _row(s, Project, project_id)
    if p is None or not can_see_project(s, user, p):
        raise not_found("project")
    return p


def _sees_submission(user: User) -> ColumnElement[bool]:
    """``can_see_submission`` as an SQL condition on ``Submission`` joined with ``Project``,
    so an object, its submission and the access check are one query."""
    if user.role in ("bureau", "supervisor"):
        return true()
    if user.role == "applicant" and user.organization_id is not None:
        return Project.organization_id == user.organization_id
    if user.role == "reviewer" and user.department is not None:
        return exists().where(
            Step.submission_id == Submission.id,
            Step.step == "review",
            Step.department == user.department,
        )
    return false()


def visible_submission(s: Session, user: User, submission_id: int) -> Submission:
    """The submission, or 404."""
    if not id_in_range(submission_id):
        raise not_found("submission")
    found = s.execute(
        select(Submission, _sees_submission(user))
        .join(Project, Project.id == Submission.project_id)
        .where(Submission.id == submission_id)
    ).first()
    if found is None or not found[1]:
        raise not_found("submission")
    sub: Submission = found[0]
    return sub


def can_see_annotation(user: User, a: Annotation) -> bool:
    """Internal annotations are for the authorities only."""
    return not (a.internal and user.role == "applicant")


def _in_visible_submission(
    s: Session, user: User, model: type[_Part], object_id: int, what: str
) -> tuple[_Part, Submission]:
    """A row that belongs to a submission, with that submission; 404 unless the user may see
    both. One answer, named after the object asked for, whether it is missing or hidden."""
    found = None
    if id_in_range(object_id):
        found = s.execute(
            select(model, Submission, _sees_submission(user))
            .join(Submission, Submission.id == model.submission_id)
            .join(Project, Project.id == Submission.project_id)
            .where(model.id == object_id)
        ).first()
    if (
        found is None
        or not found[2]
        or (isinstance(found[0], Annotation) and not can_see_annotation(user, found[0]))
    ):
        raise not_found(what)
    row: _Part = found[0]
    sub: Submission = found[1]
    return row, sub


def visible_drawing(s: Session, user: User, drawing_id: int) -> tuple[Drawing, Submission]:
    """The drawing and its submission, or 404."""
    return _in_visible_submission(s, user, Drawing, drawing_id, "drawing")


def visible_finding(s: Session, user: User, finding_id: int) -> tuple[Finding, Submission]:
    """The finding and its submission, or 404."""
    return _in_visible_submission(s, user, Finding, finding_id, "finding")


def visible_annotation(s: Session, user: User, annotation_id: int) -> tuple[Annotation, Submission]:
    """The annotation and its submission, or 404 (internal ones are hidden from applicants)."""
    return _in_visible_submission(s, user, Annotation, annotation_id, "annotation")


def visible_document(s: Session, user: User, document_id: int) -> tuple[Document, Submission]:
    """An issued document and its submission, or 404.

    The answer for another party's document is the one for a document that does not exist
    ("document not found"), not the submission's, so document ids cannot be probed either.
    """
    return _in_visible_submission(s, user, Document, document_id, "document")

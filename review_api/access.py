"""Who may see and change what: the access rules of ``DESIGN.md`` in one place.

| role | sees | changes |
|---|---|---|
| applicant | projects of the own firm and everything of their submissions, except internal annotations and department opinions before the bureau's decision | projects, uploads, replies, rating |
| reviewer | submissions assigned to the own department (accepted at intake) | findings of the own discipline (joint findings: any department), own annotations, the own department's opinion |
| bureau | every submission | intake, consolidation |
| supervisor | every submission, read only; supervision and audit | nothing |
| admin | users and organisations | users |

An object the user may not see is answered exactly like an object that does not exist (404),
so ids cannot be probed; an object the user may see but not change is a 403.
"""

from __future__ import annotations

from fastapi import HTTPException
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from review_api.models import Annotation, Drawing, Finding, Project, Step, Submission, User

__all__ = [
    "can_see_project",
    "can_see_submission",
    "forbidden",
    "not_found",
    "require_role",
    "visible_annotation",
    "visible_drawing",
    "visible_finding",
    "visible_project",
    "visible_submission",
]


def not_found(what: str = "object") -> HTTPException:
    """The same answer for "does not exist" and "not yours" (no enumeration oracle)."""
    return HTTPException(404, detail=f"{what} not found / 未找到")


def forbidden(why: str) -> HTTPException:
    """Visible, but this user may not do this."""
    return HTTPException(403, detail=why)


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
    p = s.get(Project, project_id)
    if p is None or not can_see_project(s, user, p):
        raise not_found("project")
    return p


def visible_submission(s: Session, user: User, submission_id: int) -> Submission:
    """The submission, or 404."""
    sub = s.get(Submission, submission_id)
    if sub is None or not can_see_submission(s, user, sub):
        raise not_found("submission")
    return sub


def visible_drawing(s: Session, user: User, drawing_id: int) -> tuple[Drawing, Submission]:
    """The drawing and its submission, or 404."""
    d = s.get(Drawing, drawing_id)
    if d is None:
        raise not_found("drawing")
    sub = s.get(Submission, d.submission_id)
    if sub is None or not can_see_submission(s, user, sub):
        raise not_found("drawing")
    return d, sub


def visible_finding(s: Session, user: User, finding_id: int) -> tuple[Finding, Submission]:
    """The finding and its submission, or 404."""
    f = s.get(Finding, finding_id)
    if f is None:
        raise not_found("finding")
    sub = s.get(Submission, f.submission_id)
    if sub is None or not can_see_submission(s, user, sub):
        raise not_found("finding")
    return f, sub


def can_see_annotation(user: User, a: Annotation) -> bool:
    """Internal annotations are for the authorities only."""
    return not (a.internal and user.role == "applicant")


def visible_annotation(s: Session, user: User, annotation_id: int) -> tuple[Annotation, Submission]:
    """The annotation and its submission, or 404."""
    a = s.get(Annotation, annotation_id)
    if a is None or not can_see_annotation(user, a):
        raise not_found("annotation")
    sub = s.get(Submission, a.submission_id)
    if sub is None or not can_see_submission(s, user, sub):
        raise not_found("annotation")
    return a, sub

"""Who answers for a running step (实名): the named people a warning goes to.

- a department's review: the reviewers of that department who have worked on the submission
  (reviewed one of its findings or annotated one of its drawings); before anyone has, every
  active reviewer of the department;
- consolidation: the bureau officer who accepted the package at intake (the case's officer);
  when that person is no longer active, every active bureau officer;
- intake: every active bureau officer (nobody has taken the case yet);
- revision: the applicant who submitted the round.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from review_api.models import Annotation, Finding, Step, Submission, User

__all__ = ["Responsible", "responsible_for"]

UNIT_ZH = {
    "planning": "规划",
    "architecture": "建筑",
    "fire": "消防",
    "civil_defence": "人防",
    "lightning": "防雷",
    "bureau": "审批局",
    "applicant": "申请人",
}


@dataclass(frozen=True)
class Responsible:
    """The responsible unit (a department, ``bureau`` or ``applicant``) and its named people."""

    unit: str
    people: tuple[User, ...]

    def label(self) -> str:
        """"消防：赵消防、审查二fire": the unit and the people's real names."""
        names = "、".join(u.real_name for u in self.people) or "（无在岗人员 / nobody active）"
        return f"{UNIT_ZH.get(self.unit, self.unit)}：{names}"

    def as_json(self) -> list[dict[str, object]]:
        """The people as the API shows them."""
        return [
            {
                "id": u.id,
                "username": u.username,
                "real_name": u.real_name,
                "organization": u.organization.name,
            }
            for u in self.people
        ]


def _active(s: Session, *conditions: ColumnElement[bool]) -> tuple[User, ...]:
    """Active users meeting ``conditions``, in a stable order."""
    return tuple(
        s.scalars(select(User).where(User.active.is_(True), *conditions).order_by(User.id))
    )


def _reviewers_on_case(s: Session, submission_id: int, department: str) -> tuple[User, ...]:
    """Reviewers of ``department`` who have acted on the submission."""
    acted = set(
        s.scalars(
            select(Finding.reviewed_by).where(
                Finding.submission_id == submission_id, Finding.reviewed_by.is_not(None)
            )
        )
    ) | set(
        s.scalars(select(Annotation.author_id).where(Annotation.submission_id == submission_id))
    )
    if not acted:
        return ()
    return _active(
        s, User.id.in_(acted), User.role == "reviewer", User.department == department
    )


def responsible_for(s: Session, step: Step) -> Responsible:
    """The unit and the named people answering for ``step`` (see the module docstring)."""
    if step.step == "review" and step.department is not None:
        people = _reviewers_on_case(s, step.submission_id, step.department) or _active(
            s, User.role == "reviewer", User.department == step.department
        )
        return Responsible(step.department, people)
    if step.step == "revision":
        sub = s.get(Submission, step.submission_id)
        applicant = None if sub is None else s.get(User, sub.created_by)
        return Responsible("applicant", () if applicant is None else (applicant,))
    if step.step == "consolidation":
        officer_id = s.scalar(
            select(Step.ended_by).where(
                Step.submission_id == step.submission_id, Step.step == "intake",
                Step.ended_by.is_not(None),
            ).order_by(Step.id.desc()).limit(1)
        )
        officer = None if officer_id is None else s.get(User, officer_id)
        if officer is not None and officer.active and officer.role == "bureau":
            return Responsible("bureau", (officer,))
    return Responsible("bureau", _active(s, User.role == "bureau"))

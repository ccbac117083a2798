"""The applicant's rating of the service (好差评), one per round, after the authorities decided.

Rules, each answered with its own error so the applicant knows what to do:

- only the applicant who submitted the round rates it (``NotTheApplicant``, 403; a user who
  cannot see the submission at all gets the 404 of the access rules before this);
- only after a decision on the round: returned at intake, sent back for revision, or approved
  (``NotDecided``, 409 with the current state);
- once (``AlreadyRated``, 409).

A rating of 1 or 2 (差评) is also sent to every supervisor, who must follow it up.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from review_api import audit
from review_api.models import Step, Submission, User
from review_api.settings import Settings
from review_api.supervision import feed
from review_api.supervision.models import Rating
from review_api.supervision.notify import notify
from review_api.supervision.settings import SupervisionSettings
from review_api.textsafe import clean

__all__ = [
    "DECIDED",
    "AlreadyRated",
    "NotDecided",
    "NotTheApplicant",
    "RatingRefused",
    "give_rating",
    "rated_units",
    "rating_json",
]

DECIDED = ("returned", "revising", "approved", "resubmitted")
"""States in which the authorities have decided on the round."""

LOW_SCORE = 2


class RatingRefused(Exception):
    """A rating that the rules do not allow; ``status`` is the HTTP status to answer."""

    status = 409


class NotTheApplicant(RatingRefused):
    status = 403

    def __init__(self) -> None:
        super().__init__("只有本轮的送审人可以评价 / only the applicant who submitted this round may rate it")


class NotDecided(RatingRefused):
    def __init__(self, state: str) -> None:
        self.state = state
        super().__init__(
            f"审批结论作出后才能评价（当前状态：{state}）/ "
            f"a round can be rated once it has been decided (current state: {state})"
        )


class AlreadyRated(RatingRefused):
    def __init__(self) -> None:
        super().__init__("本轮已评价，不能重复评价 / this round has already been rated")


def rated_units(s: Session, submission_id: int) -> list[str]:
    """The units whose service a rating covers: the bureau and each reviewing department."""
    depts = s.scalars(
        select(Step.department).where(
            Step.submission_id == submission_id, Step.step == "review",
            Step.department.is_not(None),
        ).distinct()
    )
    return ["bureau", *sorted(d for d in depts if d is not None)]


def rating_json(r: Rating, units: list[str]) -> dict[str, Any]:
    """``{"id", "submission_id", "score", "comment", "created_at", "departments"}``."""
    return {
        "id": r.id,
        "submission_id": r.submission_id,
        "score": r.score,
        "comment": r.comment,
        "created_at": r.created_at,
        "departments": units,
    }


def give_rating(
    s: Session,
    user: User,
    sub: Submission,
    *,
    score: int,
    comment: str,
    settings: Settings,
    sup: SupervisionSettings,
    now: dt.datetime,
) -> Rating:
    """Record the rating (rules in the module docstring); also audited and put in the feed,
    after the round's own step events so that the feed keeps the order of the facts."""
    if user.role != "applicant" or sub.created_by != user.id:
        raise NotTheApplicant()
    if sub.status not in DECIDED:
        raise NotDecided(sub.status)
    if s.scalar(select(Rating.id).where(Rating.submission_id == sub.id)) is not None:
        raise AlreadyRated()
    r = Rating(submission_id=sub.id, user_id=user.id, score=score,
               comment=clean(comment.strip()), created_at=now)
    try:
        with s.begin_nested():
            s.add(r)
            s.flush()
    except IntegrityError:
        raise AlreadyRated() from None
    units = rated_units(s, sub.id)
    audit.record(s, user, "rating.give", "rating", r.id, submission_id=sub.id,
                 after={"score": score, "comment": r.comment})  # audit head, then feed head
    feed.sweep_steps(s, settings, now=now, yellow_share=sup.yellow_share, submission_id=sub.id)
    feed.append(
        s, key=f"rating:{sub.id}", kind="rating", at=now, submission_id=sub.id, step_id=None,
        data={"score": score, "comment": r.comment, "project_id": sub.project_id,
              "project": sub.project.name, "round": sub.round,
              "organization": sub.project.organization.name, "departments": units},
    )
    if score <= LOW_SCORE:
        _tell_supervisors(s, sub, r, sup, now)
    return r


def _tell_supervisors(
    s: Session, sub: Submission, r: Rating, sup: SupervisionSettings, now: dt.datetime
) -> None:
    """A low rating (差评) goes to every active supervisor for follow-up."""
    title = f"【差评】{sub.project.name} 第{sub.round}轮 评分 {r.score}"
    body = (
        f"{title}\n\n申请人评价：{r.comment or '（无文字评价）'}\n"
        f"请核实并督促整改。\n\nLow rating ({r.score}/5) of submission #{sub.id}; "
        "please follow it up.\n"
    )
    for u in s.scalars(
        select(User).where(User.role == "supervisor", User.active.is_(True)).order_by(User.id)
    ):
        notify(s, u, kind="rating.low", title=title, body=body, sup=sup, now=now,
               submission_id=sub.id)

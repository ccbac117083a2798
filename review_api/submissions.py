"""Creating a submission (a new round) from a stored package: shared by the upload endpoint
and the demo loader, so both go through the same workflow and audit steps."""

from __future__ import annotations

import re

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from review_api import workflow
from review_api.models import Drawing, Submission, User
from review_api.schemas import SubmissionCreated
from review_api.textsafe import clean
from review_api.uploads import StoredPackage
from tasks.stages import Runtime

__all__ = ["create_submission", "next_round"]


def _printable(name: str) -> str:
    """An upload's file name without control characters (they would reach logs and terminals)."""
    return re.sub(r"[\x00-\x1f\x7f]", "", name) or "package.zip"


def next_round(s: Session, project_id: int) -> tuple[int, Submission | None]:
    """The next round number and the previous submission; 409 while one is under review."""
    last = s.scalar(
        select(Submission)
        .where(Submission.project_id == project_id)
        .order_by(Submission.round.desc())
        .limit(1)
    )
    if last is None:
        return 1, None
    if last.status not in ("returned", "revising"):
        raise HTTPException(
            409,
            detail={
                "message": "本项目已有送审正在办理 / a round of this project is still in progress",
                "current": last.status,
                "allowed": list(workflow.allowed_actions(last.status)),
            },
        )
    return last.round + 1, last


def create_submission(
    rt: Runtime, user: User, project_id: int, stored: StoredPackage, name: str
) -> tuple[SubmissionCreated, list[int]]:
    with rt.db.session() as s:
        rnd, previous = next_round(s, project_id)
        if previous is not None:
            workflow.transition(s, rt.settings, previous, "resubmit", user)
        sub = Submission(
            project_id=project_id,
            round=rnd,
            status="intake",
            processing="queued",
            package_key=stored.package_key,
            package_sha256=stored.package_sha256,
            package_name=_printable(clean(name))[:255],
            project_toml=stored.project_toml,
            layers_toml=stored.layers_toml,
            created_by=user.id,
        )
        s.add(sub)
        s.flush()
        ids = []
        for f in stored.drawings:
            d = Drawing(
                submission_id=sub.id,
                discipline=f.discipline,
                file=f.file,
                storage_key=f.key,
                sha256=f.sha256,
                size=f.size,
            )
            s.add(d)
            s.flush()
            ids.append(d.id)
        workflow.open_intake(s, rt.settings, sub, user)
        return SubmissionCreated(
            id=sub.id, round=sub.round, status=sub.status, processing=sub.processing
        ), ids

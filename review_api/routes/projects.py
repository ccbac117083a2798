"""Projects, package uploads (one submission per round) and the submission's state."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import func, select
from starlette.datastructures import UploadFile as StarletteUploadFile
from starlette.requests import ClientDisconnect

from review_api import audit, workflow
from review_api.access import require_role, visible_project, visible_submission
from review_api.deps import CurrentUser, CurrentUserAlone, DbSession, RuntimeDep
from review_api.models import CheckRun, Drawing, Project, Step, Submission, User, utcnow
from review_api.schemas import (
    DeadlineOut,
    DrawingOut,
    IntakeIn,
    ProjectIn,
    ProjectOut,
    SubmissionCreated,
    SubmissionOut,
)
from review_api.security import UploadThrottled, note_upload
from review_api.submissions import create_submission, next_round
from review_api.uploads import (
    PackageRejected,
    StoredPackage,
    discard,
    store_package,
    temp_upload_dir,
)
from tasks.stages import Runtime, progress

router = APIRouter(prefix="/api", tags=["projects 项目与送审"])


def _project_out(s: DbSession, p: Project, user: User) -> ProjectOut:
    subs = s.scalars(
        select(Submission).where(Submission.project_id == p.id).order_by(Submission.round)
    ).all()
    from review_api.access import can_see_submission

    return ProjectOut(
        id=p.id,
        name=p.name,
        organization=p.organization.name,
        created_at=p.created_at,
        submissions=[
            {"id": x.id, "round": x.round, "status": x.status, "processing": x.processing}
            for x in subs
            if can_see_submission(s, user, x)
        ],
    )


@router.post("/projects", response_model=ProjectOut, status_code=201)
def create_project(body: ProjectIn, user: CurrentUser, s: DbSession) -> ProjectOut:
    """An applicant creates a project for their firm."""
    require_role(user, "applicant")
    p = Project(name=body.name.strip(), organization_id=user.organization_id, created_by=user.id)
    s.add(p)
    s.flush()
    audit.record(s, user, "project.create", "project", p.id, after={"name": p.name})
    return _project_out(s, p, user)


@router.get("/projects", response_model=list[ProjectOut])
def list_projects(user: CurrentUser, s: DbSession) -> list[ProjectOut]:
    """The projects this user may see."""
    from review_api.access import can_see_project

    rows = s.scalars(select(Project).order_by(Project.id.desc()).limit(500)).all()
    return [_project_out(s, p, user) for p in rows if can_see_project(s, user, p)]


@router.get("/projects/{project_id}", response_model=ProjectOut)
def get_project(project_id: int, user: CurrentUser, s: DbSession) -> ProjectOut:
    """One project with its rounds."""
    return _project_out(s, visible_project(s, user, project_id), user)


def _problems(problems: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [{"where": w, "message": zh, "message_en": en} for w, zh, en in problems]


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["package"],
                    "properties": {
                        "package": {
                            "type": "string",
                            "format": "binary",
                            "description": "送审包 zip：project.toml 与五个专业文件夹",
                        }
                    },
                }
            }
        },
    }
}


@router.post(
    "/projects/{project_id}/submissions",
    response_model=SubmissionCreated,
    status_code=201,
    responses={409: {}, 413: {}, 422: {}, 429: {}, 507: {}},
    openapi_extra=UPLOAD_BODY,
)
async def submit_package(
    project_id: int, request: Request, rt: RuntimeDep, user: CurrentUserAlone
) -> SubmissionCreated:
    """Upload the drawing package (zip, form field ``package``) of a new round; processing
    starts at once.

    The login, the project and the round are checked before the body is read, so nobody can
    fill the server's disk without being allowed to submit. The package is checked before
    anything is stored; a bad package is answered with 422 and every problem. A project has one
    round under review at a time: a new round is accepted when the previous one was returned at
    intake or sent back for revision.
    """
    require_role(user, "applicant")
    with rt.db.session() as s:
        visible_project(s, user, project_id)
        next_round(s, project_id)  # fail early, before reading the upload
        try:
            note_upload(s, rt.settings, user.id)
        except UploadThrottled as exc:
            raise HTTPException(
                429,
                detail=f"上传过于频繁：每分钟最多 {rt.settings.max_uploads_per_minute} 次，请稍后再试"
                f" / too many uploads: at most {rt.settings.max_uploads_per_minute} a minute",
                headers={"Retry-After": str(exc.retry_after)},
            ) from None
    try:
        form = await request.form(max_files=1, max_fields=10)
    except ClientDisconnect:  # the body limit cut the upload off and has answered 413
        raise HTTPException(400, detail="上传中断 / the upload was interrupted") from None
    try:
        package = form.get("package")
        if not isinstance(package, StarletteUploadFile):
            raise HTTPException(
                422,
                detail={
                    "message": "缺少送审包文件 / the package file is missing",
                    "problems": [
                        {"where": "package", "message": "请在表单字段 package 中上传 zip 文件",
                         "message_en": "upload the zip in the form field 'package'"}
                    ],
                },
            )
        stored = await _store_upload(rt, package)
        name = package.filename or "package.zip"
    finally:
        await form.close()
    try:
        created, drawing_ids = await asyncio.to_thread(
            create_submission, rt, user, project_id, stored, name
        )
    except BaseException:
        rt.storage.delete_prefix(stored.prefix)
        raise
    from tasks.pipeline import enqueue_submission

    await asyncio.to_thread(enqueue_submission, drawing_ids)
    return created


async def _store_upload(rt: Runtime, package: StarletteUploadFile) -> StoredPackage:
    """Copy the upload to a private folder, check it and store it (422/507 on failure)."""
    folder = temp_upload_dir()
    try:
        zip_path = folder / "package.zip"
        try:
            sha = await asyncio.to_thread(_copy_upload, package, zip_path)
        except OSError as exc:
            raise HTTPException(
                507,
                detail="服务器临时空间不足，请稍后重试 / no temporary space on the server, retry later",
            ) from exc
        try:
            return await asyncio.to_thread(store_package, zip_path, sha, rt.storage)
        except PackageRejected as exc:
            raise HTTPException(
                422,
                detail={
                    "message": "送审包不符合要求，请按下列问题修改后重新上传 / the package was refused",
                    "problems": _problems(exc.problems),
                },
            ) from None
    finally:
        discard(folder)


def _copy_upload(upload: StarletteUploadFile, dest: Any) -> str:
    """Copy the spooled upload to ``dest``, hashing it on the way (one pass over the bytes)."""
    digest = hashlib.sha256()
    upload.file.seek(0)
    with dest.open("wb") as out:
        while chunk := upload.file.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def submission_out(s: DbSession, sub: Submission) -> SubmissionOut:
    """The full state of a submission, as its parties see it."""
    drawings = s.scalars(
        select(Drawing).where(Drawing.submission_id == sub.id).order_by(Drawing.id)
    ).all()
    steps = s.scalars(select(Step).where(Step.submission_id == sub.id).order_by(Step.id)).all()
    runs = s.scalars(
        select(CheckRun).where(CheckRun.submission_id == sub.id).order_by(CheckRun.id)
    ).all()
    done, total = progress(s, sub.id)
    return SubmissionOut(
        id=sub.id,
        project_id=sub.project_id,
        project_name=sub.project.name,
        round=sub.round,
        status=sub.status,
        allowed_actions=list(workflow.allowed_actions(sub.status)),
        processing=sub.processing,
        processing_error=sub.processing_error,
        progress={"done": done, "total": total},
        package_sha256=sub.package_sha256,
        note=sub.note,
        created_at=sub.created_at,
        drawings=[
            DrawingOut(
                id=d.id,
                discipline=d.discipline,
                file=d.file,
                status=d.status,
                error=d.error,
                error_reason=d.error_reason,
                sha256=d.sha256,
                size=d.size,
                summary=d.summary,
            )
            for d in drawings
        ],
        deadlines=[
            DeadlineOut(
                step=st.step,
                department=st.department,
                started_at=st.started_at,
                due_at=st.due_at,
                ended_at=st.ended_at,
            )
            for st in steps
        ],
        checks=[
            {"group": r.group, "status": r.status, "error": r.error, "not_checked": r.not_checked}
            for r in runs
        ],
    )


@router.get("/submissions/{submission_id}", response_model=SubmissionOut)
def get_submission(submission_id: int, user: CurrentUser, s: DbSession) -> SubmissionOut:
    """State, processing progress, drawings and deadlines of a submission."""
    return submission_out(s, visible_submission(s, user, submission_id))


@router.get("/submissions", response_model=list[dict[str, Any]])
def list_submissions(user: CurrentUser, s: DbSession, status: str | None = None) -> list[dict[str, Any]]:
    """The submissions this user may see (a reviewer's queue, the bureau's in-tray)."""
    from review_api.access import can_see_submission

    q = select(Submission).order_by(Submission.id.desc()).limit(500)
    if status:
        q = q.where(Submission.status == status)
    out = []
    for sub in s.scalars(q):
        if not can_see_submission(s, user, sub):
            continue
        due = s.scalar(
            select(func.min(Step.due_at)).where(
                Step.submission_id == sub.id,
                Step.ended_at.is_(None),
                *(
                    [Step.department == user.department]
                    if user.role == "reviewer"
                    else []
                ),
            )
        )
        out.append(
            {
                "id": sub.id,
                "project_id": sub.project_id,
                "project_name": sub.project.name,
                "organization": sub.project.organization.name,
                "round": sub.round,
                "status": sub.status,
                "processing": sub.processing,
                "due_at": due,
                "created_at": sub.created_at,
            }
        )
    return out


@router.post("/submissions/{submission_id}/intake", response_model=SubmissionOut, responses={409: {}})
def intake(
    submission_id: int, body: IntakeIn, rt: RuntimeDep, user: CurrentUser, s: DbSession
) -> SubmissionOut:
    """The bureau accepts the package for joint review, or returns it with one notice."""
    sub = visible_submission(s, user, submission_id)
    require_role(user, "bureau")
    if body.decision == "accept" and sub.processing != "done" and sub.status == "intake":
        raise workflow.IllegalTransition(
            sub.status, "accept", workflow.allowed_actions(sub.status),
            "自动检查尚未完成 / the automated checks have not finished",
        )
    workflow.transition(s, rt.settings, sub, body.decision, user, note=body.note or None)
    sub.updated_at = utcnow()
    return submission_out(s, sub)


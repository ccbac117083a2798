"""The bureau's consolidation, the issued documents and their public verification."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from review_api import audit, workflow
from review_api.access import not_found, require_role, visible_submission
from review_api.deps import CurrentUser, DbSession, RuntimeDep
from review_api.documents import DocumentContent, new_verification_code, render_pdf
from review_api.models import Decision, Document, Finding, Opinion, Project, Submission, User
from review_api.routes.review import finding_out, opinion_out
from review_api.schemas import ConsolidatedIn

router = APIRouter(prefix="/api", tags=["bureau 审批局"])

DEPT_ZH = {
    "planning": "规划",
    "architecture": "建筑",
    "fire": "消防",
    "civil_defence": "人防",
    "lightning": "防雷",
}


@router.get("/submissions/{submission_id}/consolidation")
def consolidation_view(submission_id: int, user: CurrentUser, s: DbSession) -> dict[str, Any]:
    """Everything the bureau merges: each department's opinion and its confirmed findings."""
    sub = visible_submission(s, user, submission_id)
    require_role(user, "bureau", "supervisor")
    opinions = s.scalars(select(Opinion).where(Opinion.submission_id == sub.id)).all()
    confirmed = s.scalars(
        select(Finding).where(
            Finding.submission_id == sub.id, Finding.review_status == "confirmed"
        )
    ).all()
    return {
        "submission_id": sub.id,
        "status": sub.status,
        "opinions": [opinion_out(o) for o in opinions],
        "missing_departments": sorted(
            set(workflow.DEPARTMENTS) - {o.department for o in opinions}
        ),
        "confirmed_findings": [finding_out(f) for f in confirmed],
    }


def _content(s: DbSession, sub: Submission, decision: str, note: str, user: User) -> DocumentContent:
    project = s.get(Project, sub.project_id)
    assert project is not None
    items: list[str] = []
    for o in s.scalars(
        select(Opinion).where(Opinion.submission_id == sub.id).order_by(Opinion.department)
    ):
        for i in o.items:
            items.append(f"【{DEPT_ZH.get(o.department, o.department)}｜{o.author.real_name}】{i.text}")
    verdict = "审查合格，予以通过" if decision == "approve" else "需修改后重新报审"
    return DocumentContent(
        title="施工图联合审查意见书" if decision == "revise" else "施工图联合审查合格书",
        fields=[
            ("项目", project.name),
            ("建设/设计单位", project.organization.name),
            ("送审轮次", f"第 {sub.round} 轮"),
            ("送审包 SHA-256", sub.package_sha256),
            ("结论", verdict),
            ("签发", f"{user.real_name}（行政审批服务局）"),
        ]
        + ([("说明", note)] if note else []),
        items=items,
    )


@router.post("/submissions/{submission_id}/consolidated-opinion", status_code=201)
def consolidate(
    submission_id: int, body: ConsolidatedIn, rt: RuntimeDep, user: CurrentUser, s: DbSession
) -> dict[str, Any]:
    """The bureau issues the one consolidated opinion: revise, or approve (certificate)."""
    sub = visible_submission(s, user, submission_id)
    require_role(user, "bureau")
    workflow.transition(s, rt.settings, sub, body.decision, user, note=body.note or None)
    s.add(Decision(submission_id=sub.id, decision=body.decision, note=body.note, decided_by=user.id))
    content = _content(s, sub, body.decision, body.note, user)
    code = new_verification_code()
    content.footer = f"验证码 Verification code: {code}（可在本平台 /api/verify/{code} 核验）"
    pdf = render_pdf(content)
    key = f"documents/{sub.id}/{code}.pdf"
    rt.storage.put_bytes(key, pdf)
    doc = Document(
        submission_id=sub.id,
        kind="certificate" if body.decision == "approve" else "opinion",
        verification_code=code,
        storage_key=key,
        sha256=hashlib.sha256(pdf).hexdigest(),
        decision=body.decision,
        signer=f"{user.real_name}（{user.organization.name}）",
        issued_by=user.id,
    )
    s.add(doc)
    s.flush()
    audit.record(
        s, user, "document.issue", "document", doc.id, submission_id=sub.id,
        after={"kind": doc.kind, "sha256": doc.sha256, "code": code, "decision": body.decision},
    )
    return {
        "id": doc.id,
        "decision": body.decision,
        "pdf_url": f"/api/documents/{doc.id}/pdf",
        "verification_code": code,
    }


@router.get("/submissions/{submission_id}/documents")
def list_documents(submission_id: int, user: CurrentUser, s: DbSession) -> list[dict[str, Any]]:
    """The documents issued for a submission."""
    sub = visible_submission(s, user, submission_id)
    return [
        {
            "id": d.id,
            "kind": d.kind,
            "url": f"/api/documents/{d.id}/pdf",
            "verification_code": d.verification_code,
            "issued_at": d.issued_at,
            "sha256": d.sha256,
        }
        for d in s.scalars(select(Document).where(Document.submission_id == sub.id))
    ]


@router.get("/documents/{document_id}/pdf", response_class=Response)
def document_pdf(document_id: int, rt: RuntimeDep, user: CurrentUser, s: DbSession) -> Response:
    """The issued PDF, to the parties of its submission."""
    doc = s.get(Document, document_id)
    if doc is None:
        raise not_found("document")
    visible_submission(s, user, doc.submission_id)
    return Response(
        rt.storage.get_bytes(doc.storage_key),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{doc.kind}-{doc.id}.pdf"'},
    )


def _verify_answer(s: DbSession, doc: Document | None, valid: bool) -> dict[str, Any]:
    if doc is None:
        return {"valid": False, "project": None, "decision": None, "issued_at": None,
                "document_sha256": None, "signer": None}
    sub = s.get(Submission, doc.submission_id)
    assert sub is not None
    return {
        "valid": valid,
        "kind": doc.kind,
        "project": sub.project.name,
        "decision": doc.decision,
        "issued_at": doc.issued_at,
        "document_sha256": doc.sha256,
        "signer": doc.signer,
    }


@router.get("/verify/{code}")
def verify_code(code: str, rt: RuntimeDep, s: DbSession) -> dict[str, Any]:
    """Anyone: is the document with this code genuine (and is the stored copy intact)?"""
    doc = s.scalar(select(Document).where(Document.verification_code == code[:40]))
    if doc is None:
        return _verify_answer(s, None, False)
    stored = hashlib.sha256(rt.storage.get_bytes(doc.storage_key)).hexdigest()
    return _verify_answer(s, doc, stored == doc.sha256)


@router.post("/verify")
def verify_file(
    s: DbSession, document: Annotated[UploadFile, File(description="the PDF to check")]
) -> dict[str, Any]:
    """Anyone: is this exact file a document the bureau issued? Any altered byte → not valid."""
    digest = hashlib.sha256()
    size = 0
    while chunk := document.file.read(1 << 20):
        size += len(chunk)
        if size > 50 * 1024 * 1024:
            raise HTTPException(413, detail="file too large")
        digest.update(chunk)
    doc = s.scalar(select(Document).where(Document.sha256 == digest.hexdigest()))
    return _verify_answer(s, doc, doc is not None)

"""The bureau's consolidation, the issued documents and their public verification.

The applicant hears once, from one office, everything that must change (一次告知): the
consolidation view gathers every department's opinion items, every confirmed finding and
every open annotation, grouped by discipline, and suggests merges where two departments raised
the same thing. Merging happens only when the bureau asks for it, and a merged item still names
every reviewer who raised it. The issued PDF is signed with the bureau's key (PAdES).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from typing import Annotated, Any

from asn1crypto.pem import armor as pem_armor
from fastapi import APIRouter, File, HTTPException, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import Field
from sqlalchemy import select

from review_api import audit, workflow
from review_api.access import require_role, visible_document, visible_submission
from review_api.deps import CurrentUser, DbSession, RuntimeDep
from review_api.documents import (
    DocumentContent,
    DocumentItem,
    FontError,
    new_verification_code,
    render_pdf,
    seal_png,
)
from review_api.exports.items import (
    DEPT_ORDER,
    ConsolidationItem,
    consolidation_items,
    department_label,
    department_order,
    suggestions,
)
from review_api.exports.pictures import Pictures
from review_api.models import (
    AuditHead,
    Decision,
    Document,
    Drawing,
    Finding,
    Opinion,
    Project,
    Submission,
    User,
    utcnow,
)
from review_api.routes.review import finding_out, opinion_out
from review_api.schemas import ConsolidatedIn
from review_api.settings import Settings
from review_api.signing import (
    SignatureReport,
    SigningError,
    bureau_key,
    sign_pdf,
    signing_settings,
    validate_pdf,
)

# No prefix: the public verification page lives outside /api, beside the API's own routes.
router = APIRouter(tags=["bureau 审批局"])

MAX_VERIFY_BYTES = 50 * 1024 * 1024


class ConsolidationIssueIn(ConsolidatedIn):
    """The decision, plus the merges the bureau chose (each a list of item keys)."""

    merges: list[Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=200)]] = Field(
        default_factory=list,
        max_length=500,
        description="Groups of consolidation item keys to print as one item; each keeps the "
        "names of all its reviewers. Nothing is merged unless listed here.",
    )


# --- consolidation -------------------------------------------------------------------------


@router.get("/api/submissions/{submission_id}/consolidation")
def consolidation_view(submission_id: int, user: CurrentUser, s: DbSession) -> dict[str, Any]:
    """Everything the bureau merges: opinions, items by discipline, and merge suggestions."""
    sub = visible_submission(s, user, submission_id)
    require_role(user, "bureau", "supervisor")
    opinions = s.scalars(select(Opinion).where(Opinion.submission_id == sub.id)).all()
    items = consolidation_items(s, sub)
    confirmed = [finding_out(f) for f in _confirmed_findings(s, sub)]
    groups = []
    for dept in DEPT_ORDER:
        mine = [i.out() for i in items if i.department == dept]
        if mine:
            groups.append({"discipline": dept, "label": department_label(dept), "items": mine})
    return {
        "submission_id": sub.id,
        "status": sub.status,
        "opinions": [opinion_out(o) for o in opinions],
        "missing_departments": sorted(
            set(workflow.DEPARTMENTS) - {o.department for o in opinions}
        ),
        "confirmed_findings": confirmed,
        "groups": groups,
        "suggestions": [g.out() for g in suggestions(items)],
    }


def _confirmed_findings(s: DbSession, sub: Submission) -> list[Finding]:
    return list(
        s.scalars(
            select(Finding)
            .where(Finding.submission_id == sub.id, Finding.review_status == "confirmed")
            .order_by(Finding.id)
        )
    )


def _merged(items: list[ConsolidationItem], merges: list[list[str]]) -> list[list[ConsolidationItem]]:
    """The items as printed: each merge group one entry, every other item alone, in order.

    Raises 422 for an unknown key, a key in two groups, or a group of fewer than two.
    """
    by_key = {i.key: i for i in items}
    group_of: dict[str, int] = {}
    problems = []
    for n, group in enumerate(merges):
        if len(set(group)) < 2:
            problems.append(f"合并组 {n + 1} 至少需要两项 / merge group {n + 1} needs two items")
        for key in group:
            if key not in by_key:
                problems.append(f"未知条目 / unknown item: {key}")
            elif key in group_of and group_of[key] != n:
                problems.append(f"条目重复合并 / item in two merge groups: {key}")
            group_of[key] = n
    if problems:
        raise HTTPException(422, detail=problems)
    out: list[list[ConsolidationItem]] = []
    placed: dict[int, list[ConsolidationItem]] = {}
    for item in items:
        if item.key not in group_of:
            out.append([item])
        elif group_of[item.key] in placed:
            placed[group_of[item.key]].append(item)
        else:
            placed[group_of[item.key]] = [item]
            out.append(placed[group_of[item.key]])
    return out


def _document_items(
    entries: list[list[ConsolidationItem]], pictures: Pictures, drawings: dict[int, Drawing]
) -> list[DocumentItem]:
    """Numbered document items: discipline(s), clause, every reviewer's text, a picture."""
    out = []
    for entry in entries:
        departments = sorted({i.department for i in entry}, key=department_order)
        placed = next((i for i in entry if i.geometry and i.drawing_id), None)
        picture = None
        if placed is not None and placed.drawing_id is not None:
            picture = pictures.at(drawings.get(placed.drawing_id), placed.geometry)
        out.append(
            DocumentItem(
                discipline="、".join(department_label(d) for d in departments),
                clause="；".join(dict.fromkeys(i.clause for i in entry if i.clause)),
                statements=[(i.reviewer_label, i.text) for i in entry],
                where="；".join(dict.fromkeys(i.where for i in entry if i.where)),
                picture=picture,
            )
        )
    return out


def _audit_anchor(s: DbSession) -> tuple[int, str] | None:
    """The audit chain's head now: printed in the document and kept with it, so a chain
    rewritten later no longer matches what the issued documents say."""
    head = s.get(AuditHead, 1)
    return None if head is None or head.seq == 0 else (head.seq, head.hash)


def _content(
    s: DbSession, rt: RuntimeDep, sub: Submission, decision: str, note: str, user: User,
    merges: list[list[str]], code: str, anchor: tuple[int, str] | None,
) -> DocumentContent:
    """The document's text: project data, decision, items (or approved drawings)."""
    project = s.get(Project, sub.project_id)
    assert project is not None
    trail = [] if anchor is None else [("审计链 Audit trail", f"第 {anchor[0]} 条记录 · {anchor[1]}")]
    drawings = {
        d.id: d
        for d in s.scalars(
            select(Drawing).where(Drawing.submission_id == sub.id).order_by(Drawing.file)
        )
    }
    items = [i for i in consolidation_items(s, sub) if not i.internal]
    entries = _merged(items, merges)
    approve = decision == "approve"
    url = f"{signing_settings().public_url.rstrip('/')}/verify/{code}"
    return DocumentContent(
        title="施工图联合审查合格书" if approve else "施工图联合审查意见书",
        fields=[
            ("项目名称", project.name),
            ("建设/设计单位", project.organization.name),
            ("送审轮次", f"第 {sub.round} 轮"),
            ("送审包", sub.package_name),
            ("送审包 SHA-256", sub.package_sha256),
            *trail,
        ],
        decision="审查合格，予以通过" if approve else "需修改后重新报审",
        verification_code=code,
        verify_url=url,
        issuer=user.organization.name,
        signer=user.real_name,
        issued_at=utcnow(),
        items=_document_items(entries, Pictures(rt.storage), drawings),
        drawings=[
            (department_label(d.discipline), d.file, d.sha256)
            for d in sorted(drawings.values(), key=lambda d: department_order(d.discipline))
        ]
        if approve
        else [],
        note=note,
        items_heading="审查备注" if approve else "审查意见",
    )


def _issue_pdf(settings: Settings, content: DocumentContent) -> tuple[bytes, str]:
    """Typeset and sign; the signed bytes and the certificate's fingerprint. 503 if impossible."""
    try:
        key = bureau_key(settings.data_dir)
        pdf, placement = render_pdf(content)
        signed = sign_pdf(
            pdf, key, placement, reason=content.title, location=content.issuer,
            seal_png=seal_png(content.issuer), tsa_url=signing_settings().signing_tsa_url,
        )
    except (SigningError, FontError) as exc:
        raise HTTPException(503, detail=str(exc)) from exc
    check = validate_pdf(signed, key.trust_roots)
    if not check.genuine:  # e.g. a certificate without the key usage a document seal needs
        raise HTTPException(
            503,
            detail="签章后验证未通过，文书未签发：请检查签章证书与信任根 / the signed document does "
            f"not verify, nothing was issued: check the signing certificate ({check.problem})",
        )
    return signed, key.fingerprint


@router.post("/api/submissions/{submission_id}/consolidated-opinion/preview", response_class=Response)
def preview(
    submission_id: int, body: ConsolidationIssueIn, rt: RuntimeDep, user: CurrentUser,
    s: DbSession,
) -> Response:
    """The document as it would be issued, unsigned and marked as a draft: nothing is issued."""
    sub = visible_submission(s, user, submission_id)
    require_role(user, "bureau")
    content = _content(s, rt, sub, body.decision, body.note, user, body.merges, "草稿-DRAFT",
                       _audit_anchor(s))
    content.title = f"{content.title}（草稿，未签发）"
    try:
        pdf, _ = render_pdf(content)
    except FontError as exc:
        raise HTTPException(503, detail=str(exc)) from exc
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="preview.pdf"'})


@router.post("/api/submissions/{submission_id}/consolidated-opinion", status_code=201)
def consolidate(
    submission_id: int, body: ConsolidationIssueIn, rt: RuntimeDep, user: CurrentUser,
    s: DbSession,
) -> dict[str, Any]:
    """The bureau issues the one consolidated opinion: revise, or approve (certificate).

    The submission row is locked first (PostgreSQL), so two officers deciding at once give
    one document and one 409, never two documents.
    """
    sub = visible_submission(s, user, submission_id)
    require_role(user, "bureau")
    s.execute(select(Submission.id).where(Submission.id == sub.id).with_for_update())
    s.refresh(sub)  # the state as the lock holder left it
    workflow.transition(s, rt.settings, sub, body.decision, user, note=body.note or None)
    code = new_verification_code()
    anchor = _audit_anchor(s)
    content = _content(s, rt, sub, body.decision, body.note, user, body.merges, code, anchor)
    s.add(Decision(submission_id=sub.id, decision=body.decision, note=body.note, decided_by=user.id))
    pdf, fingerprint = _issue_pdf(rt.settings, content)
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
        issued_at=content.issued_at,
        audit_seq=None if anchor is None else anchor[0],
        audit_hash=None if anchor is None else anchor[1],
    )
    s.add(doc)
    s.flush()
    audit.record(
        s, user, "document.issue", "document", doc.id, submission_id=sub.id,
        after={"kind": doc.kind, "sha256": doc.sha256, "code": code, "decision": body.decision,
               "items": len(content.items), "merges": body.merges,
               "certificate_sha256": fingerprint},
    )
    return {
        "id": doc.id,
        "kind": doc.kind,
        "decision": body.decision,
        "pdf_url": f"/api/documents/{doc.id}/pdf",
        "verification_code": code,
        "verify_url": content.verify_url,
        "sha256": doc.sha256,
        "items": len(content.items),
    }


# --- issued documents ------------------------------------------------------------------------


@router.get("/api/submissions/{submission_id}/documents")
def list_documents(submission_id: int, user: CurrentUser, s: DbSession) -> list[dict[str, Any]]:
    """The documents issued for a submission."""
    sub = visible_submission(s, user, submission_id)
    return [
        {
            "id": d.id,
            "kind": d.kind,
            "decision": d.decision,
            "url": f"/api/documents/{d.id}/pdf",
            "verification_code": d.verification_code,
            "issued_at": d.issued_at,
            "sha256": d.sha256,
            "signer": d.signer,
        }
        for d in s.scalars(
            select(Document).where(Document.submission_id == sub.id).order_by(Document.id)
        )
    ]


@router.get("/api/documents/{document_id}/pdf", response_class=Response)
def document_pdf(document_id: int, rt: RuntimeDep, user: CurrentUser, s: DbSession) -> Response:
    """The issued PDF, to the parties of its submission."""
    doc, _ = visible_document(s, user, document_id)
    return Response(
        rt.storage.get_bytes(doc.storage_key),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{doc.kind}-{doc.id}.pdf"'},
    )


# --- public verification ---------------------------------------------------------------------


def _verify_answer(
    s: DbSession, doc: Document | None, valid: bool, report: SignatureReport | None
) -> dict[str, Any]:
    """What anyone may learn about a document: no more than its face shows."""
    signature = None
    if report is not None:
        signature = {
            "signed": report.signed,
            "intact": report.intact,
            "trusted": report.trusted,
            "whole_file": report.whole_file,
            "signing_certificate": report.signer,
            "signed_at": report.signing_time,
            "timestamped": report.timestamped,
            "problem": report.problem,
        }
    if doc is None:
        return {"valid": False, "kind": None, "project": None, "decision": None,
                "issued_at": None, "document_sha256": None, "signer": None, "issuer": None,
                "signature": signature}
    sub = s.get(Submission, doc.submission_id)
    assert sub is not None
    return {
        "valid": valid,
        "kind": doc.kind,
        "project": sub.project.name,
        "round": sub.round,
        "decision": doc.decision,
        "issued_at": doc.issued_at,
        "document_sha256": doc.sha256,
        "signer": doc.signer,
        "issuer": report.signer if report is not None and report.trusted else None,
        "signature": signature,
    }


def _check(rt: RuntimeDep, data: bytes) -> SignatureReport:
    try:
        roots = bureau_key(rt.settings.data_dir).trust_roots
    except SigningError as exc:
        raise HTTPException(503, detail=str(exc)) from exc
    return validate_pdf(data, roots)


def _by_code(s: DbSession, rt: RuntimeDep, code: str) -> dict[str, Any]:
    """The verification of the stored document with ``code``: hash and signature both hold."""
    doc = s.scalar(select(Document).where(Document.verification_code == code.strip()[:40]))
    if doc is None:
        return _verify_answer(s, None, False, None)
    data = rt.storage.get_bytes(doc.storage_key)
    report = _check(rt, data)
    same = hashlib.sha256(data).hexdigest() == doc.sha256
    return _verify_answer(s, doc, same and report.genuine, report)


@router.get("/api/signing/roots", response_class=Response, tags=["verification 核验"])
def trust_roots(rt: RuntimeDep) -> Response:
    """Anyone: the root certificates the bureau's signatures chain to (PEM), so that any PDF
    reader or validator can check an issued document without this platform."""
    try:
        roots = bureau_key(rt.settings.data_dir).trust_roots
    except SigningError as exc:
        raise HTTPException(503, detail=str(exc)) from exc
    pem = b"".join(pem_armor("CERTIFICATE", c.dump()) for c in roots)
    return Response(pem, media_type="application/x-pem-file",
                    headers={"Content-Disposition": 'attachment; filename="lianshen-roots.pem"'})


@router.get("/api/verify/{code}")
def verify_code(code: str, rt: RuntimeDep, s: DbSession) -> dict[str, Any]:
    """Anyone: is the document with this code genuine (and is the stored copy intact)?"""
    return _by_code(s, rt, code)


@router.post("/api/verify")
def verify_file(
    s: DbSession, rt: RuntimeDep,
    document: Annotated[UploadFile, File(description="the PDF to check")],
) -> dict[str, Any]:
    """Anyone: is this exact file a document the bureau issued? Any altered byte → not valid."""
    chunks, size = [], 0
    while chunk := document.file.read(1 << 20):
        size += len(chunk)
        if size > MAX_VERIFY_BYTES:
            raise HTTPException(413, detail="文件过大 / file too large")
        chunks.append(chunk)
    data = b"".join(chunks)
    doc = s.scalar(select(Document).where(Document.sha256 == hashlib.sha256(data).hexdigest()))
    report = _check(rt, data)
    return _verify_answer(s, doc, doc is not None and report.genuine, report)


def _when(value: Any) -> str:
    """A time as people read it (UTC, to the second)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value or "")


def _page(answer: dict[str, Any], code: str) -> str:
    """The verification answer as a plain page: everything escaped, no script, no style."""
    e = html.escape
    if answer["valid"]:
        verdict = "真实有效 / genuine"
    elif answer["kind"] is None:
        verdict = "未找到此验证码的文书 / no document with this code"
    else:
        verdict = "文书不真实或已被改动 / NOT genuine: altered or not signed by the bureau"
    kind = {"opinion": "审查意见书 consolidated opinion", "certificate": "审查合格书 certificate"}
    decision = {"revise": "需修改 revise", "approve": "通过 approved"}
    rows = [
        ("验证码 Code", code),
        ("结论 Result", verdict),
        ("文书 Document", kind.get(str(answer.get("kind")), "")),
        ("项目 Project", answer.get("project") or ""),
        ("审查决定 Decision", decision.get(str(answer.get("decision")), "")),
        ("签发机关 Issuer", answer.get("issuer") or ""),
        ("签发人 Signed by", answer.get("signer") or ""),
        ("签发时间 Issued at", _when(answer.get("issued_at"))),
        ("文书 SHA-256 Document hash", answer.get("document_sha256") or ""),
    ]
    body = "\n".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in rows)
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<title>文书核验 Document verification</title></head><body>"
        f"<h1>文书核验 Document verification</h1><p>{e(verdict)}</p><table>{body}</table>"
        "<p>核对纸质或电子文书时，请确认其 SHA-256 与上表一致。/ Compare the SHA-256 of the file "
        "you hold with the one above.</p></body></html>"
    )


@router.get("/verify/{code}", response_class=HTMLResponse, tags=["verification 核验"])
def verify_page(code: str, rt: RuntimeDep, s: DbSession) -> HTMLResponse:
    """The public page the QR code opens: is the document with this code genuine?"""
    code = code.strip()[:40]
    answer = _by_code(s, rt, code)
    return HTMLResponse(_page(answer, code), status_code=200 if answer["kind"] else 404)

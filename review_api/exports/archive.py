"""The whole case as one zip for electronic filing (电子归档), with a manifest of SHA-256 hashes.

Layout::

    case.json                         project, every round: submission, drawings, findings,
                                      annotations with replies, opinions, decision, documents,
                                      the applicant's answers, items carried over, deadlines
    audit.json                        the audit events of these rounds, with their chain hashes
    rounds/<n>/drawings/<file>        the drawings as submitted (their SHA-256 as recorded)
    rounds/<n>/documents/<kind>-<code>.pdf   the signed documents
    rounds/<n>/comparisons/<id>-<prev>.json  each drawing compared with the previous round
                                      (a file storage lost has ``"path": null`` in case.json)
    manifest.json                     every other file: path, size, SHA-256
    SHA256SUMS                        the same, for ``sha256sum -c``

The archive holds what its reader may see: an applicant's copy has no internal annotations,
and department opinions only after the bureau's decision; a reviewer's only the rounds assigned
to the department.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import PurePosixPath
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_api.access import can_see_submission
from review_api.audit import event_out
from review_api.exports.items import annotations_of, opinions_visible, replies_of
from review_api.models import (
    Annotation,
    AuditEvent,
    CarriedItem,
    Decision,
    Document,
    Drawing,
    DrawingComparison,
    Finding,
    ItemAnswer,
    Opinion,
    Project,
    Reply,
    Step,
    Submission,
    User,
    utcnow,
)
from review_api.routes.review import annotation_out, finding_out, opinion_out
from review_api.storage import ObjectMissing, Storage

__all__ = ["FORMAT", "case_rounds", "write_archive"]

FORMAT = "lianshen-case-archive/1"


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=_default).encode()


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _safe_path(*parts: str) -> str:
    """A member name from stored names, with no way out of the archive's folders."""
    clean = [p for part in parts for p in PurePosixPath(part.replace("\\", "/")).parts
             if p not in ("", ".", "..", "/")]
    return "/".join(clean)


def case_rounds(s: Session, user: User, sub: Submission) -> list[Submission]:
    """Every round of the submission's project that ``user`` may see, in order."""
    rounds = s.scalars(
        select(Submission).where(Submission.project_id == sub.project_id).order_by(Submission.round)
    )
    return [r for r in rounds if can_see_submission(s, user, r)]


class _Writer:
    """Adds members to the zip and remembers their hashes for the manifest."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.entries: list[dict[str, Any]] = []

    def add(self, name: str, data: bytes) -> str:
        return self.add_stream(name, iter((data,)))

    def add_stream(self, name: str, chunks: Iterator[bytes]) -> str:
        """Copy a stored file in chunks (drawings can be large), hashing what is written."""
        digest, size = hashlib.sha256(), 0
        with self.zf.open(name, "w", force_zip64=True) as out:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        self.entries.append({"path": name, "size": size, "sha256": digest.hexdigest()})
        return name


def _hidden_objects(
    s: Session, user: User, rounds: Sequence[Submission]
) -> set[tuple[str, str]]:
    """Audit objects the reader may not see: internal annotations and replies to them."""
    if user.role != "applicant":
        return set()
    ids = [r.id for r in rounds]
    internal = list(
        s.scalars(
            select(Annotation.id).where(Annotation.submission_id.in_(ids), Annotation.internal)
        )
    )
    hidden = {("annotation", str(i)) for i in internal}
    if internal:
        hidden |= {
            ("reply", str(r))
            for r in s.scalars(select(Reply.id).where(Reply.annotation_id.in_(internal)))
        }
    return hidden


def _audit(s: Session, user: User, rounds: Sequence[Submission]) -> list[dict[str, Any]]:
    """The rounds' audit events that the reader may see, in chain order."""
    hidden = _hidden_objects(s, user, rounds)
    no_opinions = {r.id for r in rounds if not opinions_visible(user, r)}
    out = []
    for e in s.scalars(
        select(AuditEvent)
        .where(AuditEvent.submission_id.in_([r.id for r in rounds]))
        .order_by(AuditEvent.seq)
    ):
        if (e.object_type, e.object_id) in hidden:
            continue
        if e.object_type == "opinion" and e.submission_id in no_opinions:
            continue
        out.append(event_out(e))
    return out


def _copy(w: _Writer, storage: Storage, name: str, key: str) -> str | None:
    """A stored file into the archive; None (recorded as missing) when storage lost it."""
    try:
        return w.add_stream(name, storage.open_stream(key))
    except ObjectMissing:
        return None


def _round(
    s: Session, user: User, storage: Storage, sub: Submission, w: _Writer
) -> dict[str, Any]:
    """One round's records, its drawings and its documents added to the archive."""
    folder = f"rounds/{sub.round}"
    drawings = []
    for d in s.scalars(select(Drawing).where(Drawing.submission_id == sub.id).order_by(Drawing.file)):
        path = _copy(w, storage, _safe_path(folder, "drawings", d.file), d.storage_key)
        drawings.append({"id": d.id, "discipline": d.discipline, "file": d.file,
                         "recorded_sha256": d.sha256, "size": d.size, "status": d.status,
                         "error": d.error, "path": path})
    documents = []
    for doc in s.scalars(
        select(Document).where(Document.submission_id == sub.id).order_by(Document.id)
    ):
        path = _copy(w, storage, _safe_path(
            folder, "documents", f"{doc.kind}-{doc.verification_code}.pdf"
        ), doc.storage_key)
        documents.append({"id": doc.id, "kind": doc.kind, "decision": doc.decision,
                          "verification_code": doc.verification_code, "sha256": doc.sha256,
                          "issued_at": doc.issued_at, "signer": doc.signer, "path": path})
    comparisons = []
    ids = [d["id"] for d in drawings]
    for c in s.scalars(
        select(DrawingComparison)
        .where(DrawingComparison.drawing_id.in_(ids))
        .order_by(DrawingComparison.id)
    ):
        path = _copy(w, storage, _safe_path(
            folder, "comparisons", f"{c.drawing_id}-{c.previous_drawing_id}.json"
        ), c.storage_key)
        comparisons.append({"drawing_id": c.drawing_id, "previous_drawing_id": c.previous_drawing_id,
                            "summary": c.summary, "created_at": c.created_at, "path": path})
    annotations = annotations_of(s, user, [sub.id])
    threads = replies_of(s, [a.id for a in annotations])
    decision = s.scalar(select(Decision).where(Decision.submission_id == sub.id))
    opinions = (
        [opinion_out(o) for o in s.scalars(
            select(Opinion).where(Opinion.submission_id == sub.id).order_by(Opinion.department)
        )]
        if opinions_visible(user, sub) else []
    )
    return {
        "submission": {
            "id": sub.id, "round": sub.round, "status": sub.status,
            "package_name": sub.package_name, "package_sha256": sub.package_sha256,
            "created_at": sub.created_at, "note": sub.note,
            "project_toml": sub.project_toml, "layers_toml": sub.layers_toml,
        },
        "drawings": drawings,
        "findings": [finding_out(f) for f in s.scalars(
            select(Finding).where(Finding.submission_id == sub.id).order_by(Finding.id)
        )],
        "annotations": [annotation_out(a, threads[a.id]) for a in annotations],
        "opinions": opinions,
        "decision": None if decision is None else {
            "decision": decision.decision, "note": decision.note,
            "decided_at": decision.decided_at,
        },
        "documents": documents,
        "comparisons": comparisons,
        "item_answers": [
            {"source_type": x.source_type, "source_id": x.source_id, "status": x.status,
             "text": x.text, "author_id": x.author_id, "created_at": x.created_at}
            for x in s.scalars(
                select(ItemAnswer).where(ItemAnswer.submission_id == sub.id).order_by(ItemAnswer.id)
            )
        ],
        "carried_items": [
            {"id": c.id, "from_submission_id": c.from_submission_id,
             "source_type": c.source_type, "source_id": c.source_id,
             "discipline": c.discipline, "code": c.code, "text": c.text,
             "raised_by": c.raised_by, "drawing_id": c.drawing_id, "location": c.location,
             "old_location": c.old_location, "rule_now": c.rule_now,
             "answer_status": c.answer_status, "answer_text": c.answer_text,
             "status": c.status, "reason": c.reason, "closed_at": c.closed_at}
            for c in s.scalars(
                select(CarriedItem).where(CarriedItem.submission_id == sub.id)
                .order_by(CarriedItem.id)
            )
        ],
        "deadlines": [
            {"step": st.step, "department": st.department, "started_at": st.started_at,
             "due_at": st.due_at, "ended_at": st.ended_at}
            for st in s.scalars(select(Step).where(Step.submission_id == sub.id).order_by(Step.id))
        ],
    }


def write_archive(
    s: Session, user: User, storage: Storage, sub: Submission, target: IO[bytes]
) -> list[dict[str, Any]]:
    """Write the case of ``sub``'s project as ``user`` may see it; returns the manifest rows."""
    rounds = case_rounds(s, user, sub)
    project = s.get(Project, sub.project_id)
    assert project is not None
    now = utcnow()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        w = _Writer(zf)
        case = {
            "format": FORMAT,
            "exported_at": now,
            "exported_by": {"name": user.real_name, "role": user.role,
                            "organization": user.organization.name},
            "project": {"id": project.id, "name": project.name,
                        "organization": project.organization.name,
                        "created_at": project.created_at},
            "rounds": [_round(s, user, storage, r, w) for r in rounds],
        }
        w.add("case.json", _json(case))
        w.add("audit.json", _json({"events": _audit(s, user, rounds)}))
        files = sorted(w.entries, key=lambda e: str(e["path"]))
        manifest = {"format": FORMAT, "created_at": now, "algorithm": "SHA-256", "files": files}
        zf.writestr("manifest.json", _json(manifest))
        zf.writestr(
            "SHA256SUMS", "".join(f"{e['sha256']}  {e['path']}\n" for e in files).encode()
        )
    return files

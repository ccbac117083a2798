"""Findings and annotations as one CSV table (UTF-8 with BOM, so spreadsheets read Chinese).

A cell that a spreadsheet would take for a formula (``= + - @``, tab, carriage return) is
prefixed with an apostrophe, so opening an export never runs anything (CSV injection).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_api.exports.items import annotations_of, replies_of
from review_api.models import Drawing, Finding, Submission, User

__all__ = ["COLUMNS", "export_csv", "safe_cell"]

COLUMNS = (
    "kind", "id", "round", "discipline", "code", "severity", "status", "clause", "text",
    "author", "created_at", "file", "sheet", "drawing_id", "location", "replies",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The value as text that no spreadsheet evaluates."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def export_csv(s: Session, user: User, sub: Submission) -> bytes:
    """One row per finding and per annotation of the submission that ``user`` may see."""
    drawings = {d.id: d for d in s.scalars(select(Drawing).where(Drawing.submission_id == sub.id))}
    rows: list[tuple[Any, ...]] = []
    for f in s.scalars(select(Finding).where(Finding.submission_id == sub.id).order_by(Finding.id)):
        rows.append(
            ("finding", f.id, sub.round, f.discipline, f.code, f.severity, f.review_status,
             f.clause, f.message, "lianshen", sub.created_at.isoformat(), f.file, f.sheet,
             f.drawing_id, f.location, 0)
        )
    annotations = annotations_of(s, user, [sub.id])
    threads = replies_of(s, [a.id for a in annotations])
    for a in annotations:
        d = drawings.get(a.drawing_id)
        rows.append(
            ("annotation", a.id, sub.round, a.department, a.kind, "", a.status, "", a.text,
             a.author.real_name, a.created_at.isoformat(), d.file if d else None, None,
             a.drawing_id, a.geometry, len(threads[a.id]))
        )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")

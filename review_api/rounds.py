"""Revision rounds: the open items of a round, the applicant's answers, and carrying every open
item to the next round at its mapped place.

The items of a round that went back for revision are what the consolidated opinion asked for:

- every item of a department opinion with the verdict *revise*;
- every confirmed finding and every open (not internal) annotation that no opinion item names;
- every item carried from an earlier round that is still open.

The applicant answers each one (fixed, or explained) while revising. When the next round has
been processed, each item is carried over (``carry_over``): its drawing is matched to the same
drawing of the new round, the drawings are compared entity by entity (``drawings.diff``), the
item's location is moved with its sheet, and the reviewer sees what changed near it, the
applicant's answer and whether the same rule still fails there. Nothing is dropped: an item is
closed only by a reviewer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from review_api.models import (
    Annotation,
    CarriedItem,
    CheckRun,
    Drawing,
    DrawingComparison,
    Finding,
    ItemAnswer,
    Opinion,
    Submission,
    User,
)
from review_api.textsafe import clean
from tasks.stages import Runtime

__all__ = ["Item", "carry_over", "compare_drawings", "open_items", "previous_round"]

NEARBY_M = 2.0
"""Metres: changes and new findings this close to an item count as "at the item's place"."""


@dataclass(frozen=True, slots=True)
class Item:
    """One open item of a round, with where it is and the applicant's answer."""

    source_type: str
    source_id: int
    discipline: str
    code: str | None
    text: str
    raised_by: str
    drawing_id: int | None
    location: dict[str, Any] | None
    answer_status: str | None = None
    answer_text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_type": self.source_type,
            "source_id": self.source_id,
            "discipline": self.discipline,
            "code": self.code,
            "text": self.text,
            "raised_by": self.raised_by,
            "drawing_id": self.drawing_id,
            "location": self.location,
            "answer": None
            if self.answer_status is None
            else {"status": self.answer_status, "text": self.answer_text},
        }


def _name(s: Session, user_id: int | None) -> str:
    u = s.get(User, user_id) if user_id is not None else None
    return u.real_name if u is not None else "自动检查 / automated check"


def open_items(s: Session, sub: Submission) -> list[Item]:
    """The items the applicant must answer for this round (see the module docstring)."""
    items: list[Item] = []
    named_findings: set[int] = set()
    named_annotations: set[int] = set()
    for o in s.scalars(
        select(Opinion).where(Opinion.submission_id == sub.id, Opinion.verdict == "revise")
    ):
        for oi in o.items:
            f = s.get(Finding, oi.finding_id) if oi.finding_id else None
            a = s.get(Annotation, oi.annotation_id) if oi.annotation_id else None
            if f is not None:
                named_findings.add(f.id)
            if a is not None:
                named_annotations.add(a.id)
            items.append(
                Item(
                    "opinion_item", oi.id, o.department, f.code if f else None, oi.text,
                    o.author.real_name,
                    (f.drawing_id if f else None) or (a.drawing_id if a else None),
                    (f.location if f else None) or (a.geometry if a else None),
                )
            )
    for f in s.scalars(
        select(Finding).where(
            Finding.submission_id == sub.id, Finding.review_status == "confirmed"
        ).order_by(Finding.id)
    ):
        if f.id not in named_findings:
            items.append(
                Item("finding", f.id, f.discipline, f.code, f.message, _name(s, f.reviewed_by),
                     f.drawing_id, f.location)
            )
    for a in s.scalars(
        select(Annotation).where(
            Annotation.submission_id == sub.id,
            Annotation.status == "open",
            Annotation.internal.is_(False),
        ).order_by(Annotation.id)
    ):
        if a.id not in named_annotations:
            items.append(
                Item("annotation", a.id, a.department, None, a.text, a.author.real_name,
                     a.drawing_id, a.geometry)
            )
    for c in s.scalars(
        select(CarriedItem).where(
            CarriedItem.submission_id == sub.id, CarriedItem.status == "open"
        ).order_by(CarriedItem.id)
    ):
        items.append(
            Item("carried", c.id, c.discipline, c.code, c.text, c.raised_by, c.drawing_id,
                 c.location)
        )
    answers = {
        (x.source_type, x.source_id): x
        for x in s.scalars(select(ItemAnswer).where(ItemAnswer.submission_id == sub.id))
    }
    out = []
    for it in items:
        ans = answers.get((it.source_type, it.source_id))
        out.append(
            it if ans is None else Item(
                it.source_type, it.source_id, it.discipline, it.code, it.text, it.raised_by,
                it.drawing_id, it.location, ans.status, ans.text,
            )
        )
    return out


def previous_round(s: Session, sub: Submission) -> Submission | None:
    """The round before ``sub`` of the same project."""
    return s.scalar(
        select(Submission).where(
            Submission.project_id == sub.project_id, Submission.round == sub.round - 1
        )
    )


def _counterpart(old: list[Drawing], new: Drawing) -> Drawing | None:
    """The same drawing in the previous round: same path, else the discipline's only drawing."""
    same = [d for d in old if d.file == new.file]
    if same:
        return same[0]
    disc = [d for d in old if d.discipline == new.discipline]
    return disc[0] if len(disc) == 1 else None


def compare_drawings(rt: Runtime, new: Drawing, old: Drawing) -> dict[str, Any]:
    """The comparison of two ingested drawings (computed once, then read from storage)."""
    from drawings.diff import compare
    from drawings.serialize import loads

    with rt.db.session() as s:
        row = s.scalar(
            select(DrawingComparison).where(
                DrawingComparison.drawing_id == new.id,
                DrawingComparison.previous_drawing_id == old.id,
            )
        )
        key = None if row is None else row.storage_key
    if key is not None:
        loaded: dict[str, Any] = json.loads(rt.storage.get_bytes(key))
        return loaded
    if new.model_key is None or old.model_key is None:
        raise ValueError("both drawings must be ingested before they can be compared")
    diff = compare(loads(rt.storage.get_bytes(old.model_key)), loads(rt.storage.get_bytes(new.model_key)))
    result: dict[str, Any] = clean(diff.to_dict())
    key = f"comparisons/{new.id}_{old.id}.json"
    rt.storage.put_bytes(key, json.dumps(result, ensure_ascii=False).encode())
    with rt.db.session() as s:
        exists = s.scalar(
            select(DrawingComparison).where(
                DrawingComparison.drawing_id == new.id,
                DrawingComparison.previous_drawing_id == old.id,
            )
        )
        if exists is None:
            s.add(DrawingComparison(drawing_id=new.id, previous_drawing_id=old.id,
                                    storage_key=key, summary=result["summary"]))
    return result


def _sheet_shift(old_model: Any, comparison: dict[str, Any], location: dict[str, Any]) -> tuple[float, float]:
    """How far the sheet holding ``location`` moved between the rounds."""
    try:
        c = shape(location).centroid
    except Exception:  # noqa: BLE001 - a broken stored geometry maps without shift
        return (0.0, 0.0)
    for sh in old_model.sheets:
        x0, y0, x1, y1 = sh.bbox
        if x0 <= c.x <= x1 and y0 <= c.y <= y1:
            for p in comparison["sheets"]:
                if p["old"] == sh.label and p["new"] is not None:
                    return (float(p["shift"][0]), float(p["shift"][1]))
    return (0.0, 0.0)


def _moved(location: dict[str, Any], shift: tuple[float, float]) -> dict[str, Any]:
    if shift == (0.0, 0.0):
        return location
    return dict(mapping(shapely.affinity.translate(shape(location), shift[0], shift[1])))


def _nearby(comparison: dict[str, Any], location: dict[str, Any]) -> list[dict[str, Any]]:
    target = shape(location).buffer(NEARBY_M)
    out = []
    for kind in ("added", "removed", "modified", "moved"):
        for ch in comparison[kind]:
            geoms = [ch["location"]] + ([ch["old_location"]] if ch.get("old_location") else [])
            if any(shape(g).intersects(target) for g in geoms):
                out.append({"kind": kind, "group": ch["group"], "handle": ch["handle"],
                            "detail": ch["detail"], "detail_en": ch["detail_en"]})
    return out


def _rule_now(
    s: Session, sub_id: int, code: str | None, drawing_id: int | None, location: dict[str, Any] | None
) -> tuple[str, list[int]]:
    """Whether the same rule still fails at the item's place in the new round."""
    if code is None:
        return "n/a", []
    q = select(Finding).where(Finding.submission_id == sub_id, Finding.code == code)
    if drawing_id is not None:
        q = q.where(Finding.drawing_id == drawing_id)
    same = list(s.scalars(q))
    if location is not None:
        target = shape(location).buffer(NEARBY_M)
        same = [f for f in same if f.location is None or shape(f.location).intersects(target)]
    if same:
        return "fails", [f.id for f in same]
    ran = False
    for run in s.scalars(select(CheckRun).where(CheckRun.submission_id == sub_id)):
        if run.status == "done" and code not in {n["code"] for n in (run.not_checked or [])}:
            ran = True
    return ("passes" if ran else "n/a"), []


def carry_over(rt: Runtime, submission_id: int) -> int:
    """Carry every open item of the previous round into ``submission_id``; returns how many.

    Idempotent: an item already carried is left as it is.
    """
    from drawings.serialize import loads

    with rt.db.session() as s:
        sub = s.get(Submission, submission_id)
        prev = None if sub is None else previous_round(s, sub)
        if sub is None or prev is None:
            return 0
        items = open_items(s, prev)
        old_drawings = list(s.scalars(select(Drawing).where(Drawing.submission_id == prev.id)))
        new_drawings = list(s.scalars(select(Drawing).where(Drawing.submission_id == sub.id)))
        done = {
            (c.source_type, c.source_id)
            for c in s.scalars(select(CarriedItem).where(CarriedItem.submission_id == sub.id))
        }
    by_old: dict[int, tuple[Drawing, dict[str, Any], Any] | None] = {}
    for nd in new_drawings:
        od = _counterpart(old_drawings, nd)
        if od is None or nd.status != "ingested" or od.status != "ingested" or od.model_key is None:
            continue
        by_old[od.id] = (nd, compare_drawings(rt, nd, od), loads(rt.storage.get_bytes(od.model_key)))
    count = 0
    with rt.db.session() as s:
        for it in items:
            if (it.source_type, it.source_id) in done:
                continue
            pair = by_old.get(it.drawing_id) if it.drawing_id is not None else None
            location, nearby, new_drawing_id = None, [], None
            if pair is not None:
                nd, comparison, old_model = pair
                new_drawing_id = nd.id
                if it.location is not None:
                    location = _moved(it.location, _sheet_shift(old_model, comparison, it.location))
                    nearby = _nearby(comparison, location)
            rule_now, ids = _rule_now(s, sub.id, it.code, new_drawing_id, location)
            s.add(
                CarriedItem(
                    submission_id=sub.id, from_submission_id=prev.id,
                    source_type=it.source_type, source_id=it.source_id,
                    discipline=it.discipline, code=it.code, text=it.text, raised_by=it.raised_by,
                    drawing_id=new_drawing_id, location=location, old_location=it.location,
                    changes_nearby=nearby, rule_now=rule_now, new_finding_ids=ids,
                    answer_status=it.answer_status, answer_text=it.answer_text,
                )
            )
            count += 1
    return count

"""What a case holds, as items with a place: findings, annotations, consolidation items.

Visibility is applied here once, so every export shows a user exactly what the API shows them:
applicants never get internal annotations (nor their threads), and department opinions only
after the bureau's decision.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_api.access import can_see_annotation
from review_api.exports.pictures import bounds
from review_api.models import (
    Annotation,
    CarriedItem,
    Drawing,
    Finding,
    Opinion,
    Reply,
    Submission,
    User,
)

__all__ = [
    "DEPT_ZH",
    "ConsolidationItem",
    "Suggestion",
    "annotations_of",
    "consolidation_items",
    "department_label",
    "department_order",
    "opinions_visible",
    "replies_of",
    "suggestions",
]

DEPT_ZH = {
    "planning": "规划",
    "architecture": "建筑",
    "fire": "消防",
    "civil_defence": "人防",
    "lightning": "防雷",
    "joint": "综合",
}
DEPT_ORDER = ("planning", "architecture", "fire", "civil_defence", "lightning", "joint")
PLACE_TOLERANCE_M = 2.0  # two items this close (bounding boxes) are "at the same place"


def department_label(department: str | None) -> str:
    """The Chinese name of a department or discipline."""
    return DEPT_ZH.get(department or "", department or "")


def opinions_visible(user: User, sub: Submission) -> bool:
    """Applicants hear the departments' opinions only through the bureau's decision."""
    return user.role != "applicant" or sub.status in ("revising", "approved", "resubmitted")


def annotations_of(s: Session, user: User, submission_ids: Sequence[int]) -> list[Annotation]:
    """The annotations of the submissions that ``user`` may see, oldest first."""
    if not submission_ids:
        return []
    rows = s.scalars(
        select(Annotation)
        .where(Annotation.submission_id.in_(submission_ids))
        .order_by(Annotation.id)
    )
    return [a for a in rows if can_see_annotation(user, a)]


def replies_of(s: Session, annotation_ids: Iterable[int]) -> dict[int, list[Reply]]:
    """The threads of the annotations, each oldest first."""
    ids = list(annotation_ids)
    out: dict[int, list[Reply]] = {i: [] for i in ids}
    if ids:
        for r in s.scalars(select(Reply).where(Reply.annotation_id.in_(ids)).order_by(Reply.id)):
            out[r.annotation_id].append(r)
    return out


@dataclass(slots=True)
class ConsolidationItem:
    """One thing that must change, with the real name of the reviewer who raised it."""

    key: str  # "item:<opinion item id>" | "finding:<id>" | "annotation:<id>" | "carried:<id>"
    source: str  # opinion_item | finding | annotation | carried
    department: str
    reviewer: str
    reviewer_organization: str
    text: str
    clause: str = ""
    code: str | None = None
    finding_id: int | None = None
    annotation_id: int | None = None
    drawing_id: int | None = None
    file: str | None = None
    sheet: str | None = None
    geometry: dict[str, Any] | None = None
    internal: bool = False

    def out(self) -> dict[str, Any]:
        """As the consolidation view answers it."""
        return {
            "key": self.key,
            "source": self.source,
            "department": self.department,
            "department_label": department_label(self.department),
            "reviewer": self.reviewer,
            "reviewer_organization": self.reviewer_organization,
            "text": self.text,
            "clause": self.clause,
            "code": self.code,
            "finding_id": self.finding_id,
            "annotation_id": self.annotation_id,
            "drawing_id": self.drawing_id,
            "file": self.file,
            "sheet": self.sheet,
            "geometry": self.geometry,
            "internal": self.internal,
        }

    @property
    def reviewer_label(self) -> str:
        """"real name（organisation）", as printed in the document."""
        org = self.reviewer_organization
        return f"{self.reviewer}（{org}）" if org else self.reviewer

    @property
    def where(self) -> str:
        """File and sheet, for the document."""
        return " ".join(x for x in (self.file, self.sheet) if x)


def _place(item: ConsolidationItem, f: Finding | None, a: Annotation | None,
           drawings: dict[int, Drawing]) -> None:
    """Fill the item's drawing, file, sheet and geometry from its annotation or finding."""
    if a is not None:
        item.drawing_id, item.geometry = a.drawing_id, a.geometry
    elif f is not None:
        item.drawing_id, item.geometry = f.drawing_id, f.location
    if f is not None:
        item.clause, item.code, item.sheet = f.clause or "", f.code, f.sheet
        item.file = f.file
    d = drawings.get(item.drawing_id) if item.drawing_id is not None else None
    if d is not None and item.file is None:
        item.file = d.file


def consolidation_items(s: Session, sub: Submission) -> list[ConsolidationItem]:
    """By discipline: the department's opinion items, then every confirmed finding and open
    annotation that no opinion item cites, then items still open from the last round, so
    nothing the departments raised is left out."""
    drawings = {d.id: d for d in s.scalars(select(Drawing).where(Drawing.submission_id == sub.id))}
    findings = {f.id: f for f in s.scalars(select(Finding).where(Finding.submission_id == sub.id))}
    annotations = {
        a.id: a
        for a in s.scalars(select(Annotation).where(Annotation.submission_id == sub.id))
    }
    users: dict[int, User | None] = {}

    def person(user_id: int | None) -> User | None:
        if user_id is not None and user_id not in users:
            users[user_id] = s.get(User, user_id)
        return users.get(user_id) if user_id is not None else None

    out: list[ConsolidationItem] = []
    cited_f: set[int] = set()
    cited_a: set[int] = set()
    opinions = s.scalars(select(Opinion).where(Opinion.submission_id == sub.id))
    for o in sorted(opinions, key=lambda o: department_order(o.department)):
        for i in o.items:
            a = annotations.get(i.annotation_id) if i.annotation_id else None
            f = findings.get(i.finding_id or (a.finding_id if a else None) or -1)
            item = ConsolidationItem(
                key=f"item:{i.id}", source="opinion_item", department=o.department,
                reviewer=o.author.real_name, reviewer_organization=o.author.organization.name,
                text=i.text, finding_id=i.finding_id, annotation_id=i.annotation_id,
                internal=bool(a is not None and a.internal),
            )
            _place(item, f, a, drawings)
            out.append(item)
            cited_f |= {i.finding_id} if i.finding_id else set()
            cited_a |= {i.annotation_id} if i.annotation_id else set()
    for f in sorted(findings.values(), key=lambda f: (department_order(f.discipline), f.id)):
        if f.review_status != "confirmed" or f.id in cited_f:
            continue
        who = person(f.reviewed_by)
        department = f.discipline
        if department == "joint" and who is not None and who.department:
            department = who.department
        item = ConsolidationItem(
            key=f"finding:{f.id}", source="finding", department=department,
            reviewer=who.real_name if who else "系统 system",
            reviewer_organization=who.organization.name if who else "联审平台",
            text=f"{f.message}" + (f"（{f.review_reason}）" if f.review_reason else ""),
            finding_id=f.id,
        )
        _place(item, f, None, drawings)
        out.append(item)
    for a in sorted(annotations.values(), key=lambda a: (department_order(a.department), a.id)):
        if a.status != "open" or a.id in cited_a:
            continue
        f = findings.get(a.finding_id) if a.finding_id else None
        item = ConsolidationItem(
            key=f"annotation:{a.id}", source="annotation", department=a.department,
            reviewer=a.author.real_name, reviewer_organization=a.author.organization.name,
            text=a.text or "（图上标注，无文字 / a mark without text）", annotation_id=a.id,
            finding_id=a.finding_id, internal=a.internal,
        )
        _place(item, f, a, drawings)
        out.append(item)
    for c in s.scalars(
        select(CarriedItem)
        .where(CarriedItem.submission_id == sub.id, CarriedItem.status == "open")
        .order_by(CarriedItem.id)
    ):
        item = ConsolidationItem(
            key=f"carried:{c.id}", source="carried", department=c.discipline,
            reviewer=c.raised_by, reviewer_organization="", code=c.code,
            text=f"（上轮未解决 / still open from the last round）{c.text}",
            drawing_id=c.drawing_id, geometry=c.location,
        )
        _place(item, None, None, drawings)
        out.append(item)
    out.sort(key=lambda i: department_order(i.department))  # stable: opinion items lead
    return out


def department_order(department: str) -> int:
    """Where a department sorts: planning, architecture, fire, civil defence, lightning, joint."""
    return DEPT_ORDER.index(department) if department in DEPT_ORDER else len(DEPT_ORDER)


@dataclass(slots=True)
class Suggestion:
    """Items that two or more departments raised about the same thing: a merge to consider."""

    keys: list[str]
    departments: list[str]
    reasons: list[str] = field(default_factory=list)
    clause: str = ""

    def out(self) -> dict[str, Any]:
        """As the consolidation view answers it."""
        return {"keys": self.keys, "departments": self.departments, "reasons": self.reasons,
                "clause": self.clause}


def _norm_clause(clause: str) -> str:
    """A clause compared without spaces and punctuation width differences."""
    return "".join(ch for ch in clause.replace("（", "(").replace("）", ")") if not ch.isspace())


def _near(a: ConsolidationItem, b: ConsolidationItem) -> bool:
    ba, bb = bounds(a.geometry), bounds(b.geometry)
    if ba is None or bb is None:
        return False
    dx = max(bb[0] - ba[2], ba[0] - bb[2], 0.0)
    dy = max(bb[1] - ba[3], ba[1] - bb[3], 0.0)
    return math.hypot(dx, dy) <= PLACE_TOLERANCE_M


def _same(a: ConsolidationItem, b: ConsolidationItem) -> str | None:
    """Why two items of different departments are the same thing, or None."""
    if a.department == b.department:
        return None
    if a.finding_id is not None and a.finding_id == b.finding_id:
        return "same_finding"
    if a.clause and _norm_clause(a.clause) == _norm_clause(b.clause) and _near(a, b):
        return "same_clause_same_place"
    return None


def suggestions(items: Sequence[ConsolidationItem]) -> list[Suggestion]:
    """Groups of items that departments raised twice (same finding, or same clause at the
    same place), joined transitively; the bureau decides whether to merge them."""
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    reasons: dict[tuple[int, int], str] = {}
    for i, a in enumerate(items):
        for j in range(i + 1, len(items)):
            why = _same(a, items[j])
            if why:
                reasons[(i, j)] = why
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(items)):
        groups.setdefault(root(i), []).append(i)
    out = []
    for members in groups.values():
        if len(members) < 2:
            continue
        whys = sorted({w for (i, j), w in reasons.items() if i in members and j in members})
        out.append(
            Suggestion(
                keys=[items[i].key for i in members],
                departments=sorted({items[i].department for i in members}, key=department_order),
                reasons=whys,
                clause=next((items[i].clause for i in members if items[i].clause), ""),
            )
        )
    return out

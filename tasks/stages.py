"""The stages of a submission's automated processing, independent of Celery.

```
ingest(drawing) for every drawing      parallel, one task per file
  └─ the last one to finish ─▶ check(group) for planning, architecture, fire,
                                civil_defence, lightning and joint     parallel
       └─ the last one to finish ─▶ aggregate(submission)
```

The state of every step lives in the database (``drawings.status``, ``check_runs.status``,
``submissions.processing``), not in Celery: "the last one to finish" is decided inside a
transaction that holds the submission's row lock, so exactly one task advances the pipeline.
Each stage is idempotent: a redelivered ingest or check re-derives the same rows, and findings
are inserted with insert-or-ignore on ``(submission_id, subject_key)``. A message that got lost
(broker restart, publish after a crash) is found by ``stalled`` and published again.

Errors: a drawing that cannot be read is recorded on the drawing with its reason and the
package goes on; a rule group that crashes is recorded on its run. Only transient faults
(database or storage unreachable) raise ``Transient`` so the task is retried.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Update, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from review_api import audit
from review_api.db import Database
from review_api.models import CheckRun, Drawing, Finding, Submission, utcnow
from review_api.settings import Settings
from review_api.storage import ObjectMissing, Storage, StorageError
from review_api.textsafe import clean

__all__ = [
    "GROUPS",
    "Runtime",
    "Transient",
    "advance",
    "aggregate",
    "check_group",
    "ingest_drawing",
    "is_outage",
    "progress",
    "stalled",
]

logger = logging.getLogger(__name__)

GROUPS = ("planning", "architecture", "fire", "civil_defence", "lightning", "joint")
DRAWING_DONE = frozenset({"ingested", "failed"})
RUN_DONE = frozenset({"done", "failed"})


class Transient(Exception):
    """A fault worth retrying (database or storage temporarily unreachable)."""


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says that a service was unreachable, not that the work itself is wrong.

    Such a delivery ended early with the worker alive: it is retried, and it is not counted
    towards ``max_deliveries``, which is meant for files that kill their worker. A missing
    object or a refused statement is no outage: retrying cannot help.
    """
    if isinstance(exc, DBAPIError):
        return isinstance(exc, OperationalError) or bool(exc.connection_invalidated)
    if isinstance(exc, ObjectMissing):
        return False
    return isinstance(exc, StorageError | Transient | ConnectionError)


def _give_back(rt: Runtime, stmt: Update) -> None:
    """Un-count the delivery that ``stmt`` decrements, after an outage (best effort).

    When the database is still unreachable the delivery stays counted, which at worst stops
    the retries of that step earlier; it never loses work.
    """
    try:
        with rt.db.session() as s:
            s.execute(stmt)
    except Exception as exc:  # noqa: BLE001 - the outage may still be going on
        logger.warning("could not un-count an interrupted delivery: %s", exc)


@dataclass(frozen=True, slots=True)
class Runtime:
    """What a stage needs: settings, the database and the file storage."""

    settings: Settings
    db: Database
    storage: Storage


@dataclass(frozen=True, slots=True)
class Next:
    """Messages to publish after the transaction that decided them has committed."""

    checks: tuple[tuple[int, str], ...] = ()
    aggregate: int | None = None


def _lock(s: Session, db: Database, submission_id: int) -> Submission | None:
    """The submission row, locked until the transaction ends (SQLite: BEGIN IMMEDIATE).

    Only the submission's own row: PostgreSQL refuses ``FOR UPDATE`` on the outer joins that
    load its project and organization.
    """
    q = select(Submission).where(Submission.id == submission_id)
    if not db.is_sqlite:
        q = q.with_for_update(of=Submission)
    return s.scalar(q)


def subject_key(d: dict[str, Any]) -> str:
    """Identity of a finding within its submission (same rule, same place, same subject)."""
    ident = [
        d.get("code"),
        d.get("file"),
        d.get("sheet"),
        sorted(d.get("handles") or []),
        d.get("location"),
        d.get("message"),
    ]
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()


def store_findings(
    s: Session, db: Database, submission_id: int, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert findings, ignoring those already stored by an earlier delivery."""
    if not rows:
        return
    values = []
    for r in rows:
        r = clean(r)
        values.append(
            {
                "submission_id": submission_id,
                "drawing_id": r.get("drawing_id"),
                "subject_key": subject_key(r),
                "source": r["source"],
                "code": r["code"],
                "slug": r["slug"],
                "discipline": r["discipline"],
                "severity": r["severity"],
                "message": r["message"],
                "message_en": r.get("message_en") or "",
                "clause": r.get("clause") or "—",
                "measured": r.get("measured"),
                "limit": r.get("limit"),
                "unit": r.get("unit"),
                "file": r.get("file"),
                "sheet": r.get("sheet"),
                "location": r.get("location"),
                "handles": list(r.get("handles") or []),
                "params": r.get("params") or {},
                "review_status": "open",
            }
        )
    insert = sqlite_insert if db.is_sqlite else pg_insert
    for start in range(0, len(values), 500):
        stmt = insert(Finding).values(values[start : start + 500])
        s.execute(stmt.on_conflict_do_nothing(index_elements=["submission_id", "subject_key"]))


# --- ingest ---------------------------------------------------------------------------------


def _begin_delivery(rt: Runtime, drawing_id: int) -> Drawing | None:
    """Count this delivery; None when there is nothing (more) to do for the drawing."""
    with rt.db.session() as s:
        d = s.get(Drawing, drawing_id)
        if d is None or d.status in DRAWING_DONE:
            return None
        d.deliveries += 1
        d.updated_at = utcnow()
        if d.deliveries > rt.settings.max_deliveries:
            zh = (
                f"图纸“{d.file}”处理 {d.deliveries - 1} 次均未完成（处理进程被终止，可能超出内存或"
                "时间限制），已停止重试。"
            )
            en = (
                f"Processing of '{d.file}' was interrupted {d.deliveries - 1} times (the worker "
                "was killed, likely out of memory or time); no further attempts."
            )
            d.status, d.error_reason, d.error = "failed", "resource", clean(f"{zh} / {en}")
            # the applicant hears of it with the other findings, as of any unreadable drawing
            store_findings(s, rt.db, d.submission_id, [_refusal(d, "resource", zh, en)])
            return None
        d.status = "ingesting"
        s.flush()  # an expunged object's changes would never be written
        s.expunge(d)
        return d


def ingest_drawing(rt: Runtime, drawing_id: int) -> Next:
    """Read one drawing, store its model and intake findings; advance the pipeline."""
    d = _begin_delivery(rt, drawing_id)
    if d is None:
        with rt.db.session() as s:
            row = s.get(Drawing, drawing_id)
            sub_id = None if row is None else row.submission_id
        return Next() if sub_id is None else advance(rt, sub_id)
    try:
        return _ingest(rt, d)
    except Exception as exc:
        if is_outage(exc):
            _give_back(
                rt,
                update(Drawing)
                .where(Drawing.id == d.id, Drawing.status == "ingesting", Drawing.deliveries > 0)
                .values(deliveries=Drawing.deliveries - 1),
            )
        raise


def _ingest(rt: Runtime, d: Drawing) -> Next:
    """The work of one counted delivery of ``d``: load it, store its model and findings."""
    from checkers.params import parse_project
    from drawings import LayerMap, UnreadableDrawingError, load
    from drawings.limits import limits_from_env
    from drawings.serialize import dumps

    with rt.db.session() as s:
        sub = s.get(Submission, d.submission_id)
        assert sub is not None
        project_toml, layers_toml = sub.project_toml, sub.layers_toml
    params = parse_project(project_toml)
    layer_map = (
        LayerMap.from_toml(layers_toml, source="layers.toml") if layers_toml else LayerMap.default()
    )
    with tempfile.TemporaryDirectory(prefix="lianshen-ingest-") as tmp:
        local = Path(tmp) / "drawing.dxf"
        rt.storage.fetch(d.storage_key, local)
        try:
            model = load(
                local,
                discipline=d.discipline,
                layer_map=layer_map,
                limits=limits_from_env(),
                drawing_unit=params.drawing_unit,
                codepage=params.codepage,
                display_name=d.file,
            )
        except UnreadableDrawingError as exc:
            _fail_drawing(rt, d, exc.reason, exc.message, exc.message_en)
            return advance(rt, d.submission_id)
        except Exception as exc:  # noqa: BLE001 - any parser exception means a bad file
            logger.exception("ingest of drawing %s crashed", d.id)
            why = f"{type(exc).__name__}: {exc}"[:300]
            _fail_drawing(
                rt, d, "internal",
                f"读取图纸时发生内部错误：{why}",
                f"internal error while reading the drawing: {why}",
            )
            return advance(rt, d.submission_id)
    model_key = f"models/{d.submission_id}/{d.id}.lsdm"
    rt.storage.put_bytes(model_key, dumps(model))
    _prepare_viewer(rt, d.id, model)
    _finish_drawing(rt, d, model, model_key)
    return advance(rt, d.submission_id)


def _prepare_viewer(rt: Runtime, drawing_id: int, model: Any) -> None:
    """Store what the browser viewer loads, so the first view needs no preparation; on any
    failure the viewer's endpoint makes it on first use instead."""
    from viewer.api import prepare_drawing

    try:
        prepare_drawing(rt.storage, drawing_id, model)
    except Exception:  # noqa: BLE001 - an optimisation, never a reason to fail the ingest
        logger.exception("viewer payload of drawing %s", drawing_id)


def _fail_drawing(rt: Runtime, d: Drawing, reason: str, zh: str, en: str) -> None:
    with rt.db.session() as s:
        row = s.get(Drawing, d.id)
        assert row is not None
        row.status, row.error_reason = "failed", reason
        row.error = clean(f"{zh} / {en}")
        row.updated_at = utcnow()
        store_findings(s, rt.db, d.submission_id, [_refusal(d, reason, zh, en)])


def _refusal(d: Drawing, reason: str, zh: str, en: str) -> dict[str, Any]:
    """The DXF-001 finding of a drawing that could not be read (``reason``: why)."""
    return {
        "source": "intake", "drawing_id": d.id, "code": "DXF-001",
        "slug": "unreadable", "discipline": d.discipline, "severity": "error",
        "message": zh, "message_en": en, "file": d.file, "params": {"reason": reason},
    }


def _finish_drawing(rt: Runtime, d: Drawing, model: Any, model_key: str) -> None:
    rows = []
    for f in model.findings:
        rows.append(
            {
                "source": "intake", "drawing_id": d.id, "code": f.code, "slug": f.slug,
                "discipline": d.discipline, "severity": f.severity.value,
                "message": f.message, "message_en": f.message_en, "file": d.file,
                "sheet": f.sheet, "location": f.location, "handles": list(f.handles),
                "measured": f.measured, "limit": f.limit, "unit": f.unit,
                "params": {"layer": f.layer, "details": list(f.details)},
            }
        )
    summary = {
        "dxf_version": model.dxf_version,
        "encoding": model.encoding,
        "unit": model.unit,
        "loaded_via": model.loaded_via,
        "sheets": [
            {"sheet_no": sh.sheet_no, "title": sh.title, "floor": sh.floor, "bbox_m": sh.bbox}
            for sh in model.sheets
        ],
        "stats": {
            "entities": model.stats.entities,
            "layers": model.stats.layers,
            "blocks": model.stats.blocks,
            "objects": len(model.objects),
        },
        "extents": model.extents,
    }
    with rt.db.session() as s:
        row = s.get(Drawing, d.id)
        assert row is not None
        store_findings(s, rt.db, d.submission_id, rows)
        row.status, row.model_key, row.summary = "ingested", model_key, clean(summary)
        row.error = row.error_reason = None
        row.updated_at = utcnow()


# --- checks ---------------------------------------------------------------------------------


def check_group(rt: Runtime, submission_id: int, group: str) -> Next:
    """Run one group of rules on every ingested drawing of the submission."""
    this_run = (CheckRun.submission_id == submission_id, CheckRun.group == group)
    with rt.db.session() as s:
        run = s.scalar(select(CheckRun).where(*this_run))
        if run is None:
            return Next()
        go = run.status not in RUN_DONE
        if go:
            run.deliveries += 1
            run.updated_at = utcnow()
            if run.deliveries > rt.settings.max_deliveries:
                run.status = "failed"
                run.error = "检查多次被中断，已停止重试 / the checks were interrupted too often"
                go = False
            else:
                run.status = "running"
    # advance() runs in a transaction of its own, after this one: on SQLite a second
    # BEGIN IMMEDIATE inside it would wait for this transaction's own write lock
    if not go:
        return advance(rt, submission_id)
    try:
        findings, not_checked = _run_rules(rt, submission_id, group)
        with rt.db.session() as s:
            store_findings(s, rt.db, submission_id, findings)
            s.execute(
                update(CheckRun)
                .where(*this_run)
                .values(status="done", not_checked=clean(not_checked), error=None,
                        updated_at=utcnow())
            )
    except Exception as exc:
        if is_outage(exc):  # retried by the task, not the rules' fault
            _give_back(
                rt,
                update(CheckRun)
                .where(*this_run, CheckRun.status == "running", CheckRun.deliveries > 0)
                .values(deliveries=CheckRun.deliveries - 1),
            )
            raise
        # recorded on the run; the other groups go on
        logger.exception("check group %s of submission %s crashed", group, submission_id)
        with rt.db.session() as s:
            s.execute(
                update(CheckRun)
                .where(*this_run)
                .values(status="failed", error=clean(f"{type(exc).__name__}: {exc}"[:500]),
                        updated_at=utcnow())
            )
    return advance(rt, submission_id)


def _run_rules(
    rt: Runtime, submission_id: int, group: str
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    from checkers.context import CheckContext
    from checkers.context import Drawing as CheckDrawing
    from checkers.engine import run
    from checkers.params import parse_project
    from checkers.registry import load_all
    from drawings import Discipline
    from drawings.serialize import loads

    with rt.db.session() as s:
        sub = s.get(Submission, submission_id)
        assert sub is not None
        project_toml = sub.project_toml
        rows = s.execute(
            select(Drawing.id, Drawing.discipline, Drawing.file, Drawing.model_key)
            .where(Drawing.submission_id == submission_id, Drawing.status == "ingested")
            .order_by(Drawing.id)
        ).all()
    drawings, ids = [], {}
    for did, discipline, file, key in rows:
        assert key is not None  # ingested drawings always have a stored model
        model = loads(rt.storage.get_bytes(key))
        model.materialize()
        drawings.append(CheckDrawing(Discipline(discipline), file, model))
        ids[file] = did
    ctx = CheckContext(params=parse_project(project_toml), drawings=tuple(drawings))
    rules = [r for r in load_all().values() if r.discipline == group]
    result = run(ctx, rules)
    findings = []
    for f in result.findings:
        d = f.to_dict()
        d["source"] = "rule"
        d["drawing_id"] = ids.get(d.get("file") or "")
        findings.append(d)
    not_checked = [{"code": c, "reason": zh, "reason_en": en} for c, zh, en in result.not_checked]
    return findings, not_checked


# --- advancing ------------------------------------------------------------------------------


def advance(rt: Runtime, submission_id: int) -> Next:
    """Move the pipeline on when a stage is complete; returns what to publish."""
    with rt.db.session() as s:
        sub = _lock(s, rt.db, submission_id)
        if sub is None:
            return Next()
        if sub.processing in ("queued", "ingesting"):
            states = s.scalars(
                select(Drawing.status).where(Drawing.submission_id == submission_id)
            ).all()
            if states and all(st in DRAWING_DONE for st in states):
                existing = set(
                    s.scalars(
                        select(CheckRun.group).where(CheckRun.submission_id == submission_id)
                    )
                )
                for g in GROUPS:
                    if g not in existing:
                        s.add(CheckRun(submission_id=submission_id, group=g))
                sub.processing = "checking"
                sub.updated_at = utcnow()
                return Next(checks=tuple((submission_id, g) for g in GROUPS))
            if sub.processing == "queued":
                sub.processing = "ingesting"
            return Next()
        if sub.processing == "checking":
            states = s.scalars(
                select(CheckRun.status).where(CheckRun.submission_id == submission_id)
            ).all()
            if states and all(st in RUN_DONE for st in states):
                sub.processing = "aggregating"
                sub.updated_at = utcnow()
                return Next(aggregate=submission_id)
        return Next()


def aggregate(rt: Runtime, submission_id: int) -> None:
    """Close the pipeline: open items of the previous round carried over, summary, final
    state, one audit event."""
    with rt.db.session() as s:
        sub = s.get(Submission, submission_id)
        if sub is None or sub.processing != "aggregating":
            return
    from review_api.rounds import carry_over

    carried = carry_over(rt, submission_id)  # idempotent: a redelivery carries nothing twice
    with rt.db.session() as s:
        sub = _lock(s, rt.db, submission_id)
        if sub is None or sub.processing != "aggregating":
            return
        failed_drawings = s.scalar(
            select(func.count()).where(
                Drawing.submission_id == submission_id, Drawing.status == "failed"
            )
        )
        failed_runs = s.scalars(
            select(CheckRun.group).where(
                CheckRun.submission_id == submission_id, CheckRun.status == "failed"
            )
        ).all()
        by_severity = dict(
            s.execute(
                select(Finding.severity, func.count())
                .where(Finding.submission_id == submission_id)
                .group_by(Finding.severity)
            ).all()
        )
        sub.processing = "done"
        sub.processing_error = (
            None
            if not failed_runs
            else "未完成的检查 / checks that failed: " + ", ".join(sorted(failed_runs))
        )
        sub.updated_at = utcnow()
        audit.record(
            s, None, "processing.done", "submission", sub.id, submission_id=sub.id,
            after={
                "failed_drawings": failed_drawings,
                "failed_checks": sorted(failed_runs),
                "findings": by_severity,
                "carried_items": carried,
            },
        )


def progress(s: Session, submission_id: int) -> tuple[int, int]:
    """(done, total) steps: one per drawing, one per rule group, one for aggregation."""
    drawings = s.scalars(select(Drawing.status).where(Drawing.submission_id == submission_id)).all()
    runs = s.scalars(select(CheckRun.status).where(CheckRun.submission_id == submission_id)).all()
    sub = s.get(Submission, submission_id)
    done = sum(st in DRAWING_DONE for st in drawings) + sum(st in RUN_DONE for st in runs)
    done += 1 if sub is not None and sub.processing == "done" else 0
    return done, len(drawings) + len(GROUPS) + 1


def stalled(rt: Runtime, now: dt.datetime | None = None) -> list[tuple[str, tuple[Any, ...]]]:
    """Work whose message was lost: unfinished steps without progress for a while.

    Returns ``(task, args)`` pairs to publish again; the stages' idempotence makes a duplicate
    publication harmless.
    """
    now = now or utcnow()
    before = now - dt.timedelta(seconds=rt.settings.stalled_after_seconds)
    out: list[tuple[str, tuple[Any, ...]]] = []
    with rt.db.session() as s:
        for sub in s.scalars(
            select(Submission).where(Submission.processing.not_in(("done",)))
        ):
            steps: Sequence[Drawing | CheckRun] = ()
            if sub.processing in ("queued", "ingesting"):
                drawings = s.scalars(
                    select(Drawing).where(
                        Drawing.submission_id == sub.id,
                        Drawing.status.in_(("pending", "ingesting")),
                        Drawing.updated_at < before,
                    )
                ).all()
                out += [("ingest", (d.id,)) for d in drawings]
                steps = drawings
            elif sub.processing == "checking":
                runs = s.scalars(
                    select(CheckRun).where(
                        CheckRun.submission_id == sub.id,
                        CheckRun.status.in_(("pending", "running")),
                        CheckRun.updated_at < before,
                    )
                ).all()
                out += [("check", (sub.id, r.group)) for r in runs]
                steps = runs
            for step in steps:
                step.updated_at = now
            # No step of its own is stuck, yet the submission is: the worker that finished the
            # last step died before it advanced (or aggregated) the submission.
            if not steps and sub.updated_at < before:
                sub.updated_at = now
                task = "aggregate" if sub.processing == "aggregating" else "advance"
                out.append((task, (sub.id,)))
    return out

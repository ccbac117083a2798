"""Celery tasks of the processing pipeline; the logic is in ``tasks.stages``.

Tasks take ids only. Each publishes the next stage's messages after its own transaction has
committed (so a worker never picks up work whose rows it cannot see yet). Outages (database or
storage unreachable, ``stages.is_outage``) are retried with backoff; anything else is recorded
by the stage on its drawing or rule group and the rest of the package goes on. An error that
escapes a stage all the same (a bug) fails the task at once instead of being retried: the
sweeper publishes the step again later, and its delivery count stops it after
``max_deliveries``.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from celery.signals import worker_process_init

from review_api.db import Database
from review_api.settings import get_settings
from review_api.storage import storage_from_settings
from tasks import stages
from tasks.celery_app import app

__all__ = ["enqueue_submission", "publish", "runtime"]

logger = logging.getLogger(__name__)

_runtime: stages.Runtime | None = None


def runtime() -> stages.Runtime:
    """This process's settings, database and storage (created on first use)."""
    global _runtime
    if _runtime is None:
        settings = get_settings()
        _runtime = stages.Runtime(settings, Database(settings), storage_from_settings(settings))
    return _runtime


def set_runtime(rt: stages.Runtime | None) -> None:
    """Use ``rt`` in this process (the API process shares its own; tests set theirs)."""
    global _runtime
    _runtime = rt


@worker_process_init.connect
def _after_fork(**_: Any) -> None:
    """A forked pool process must not share the parent's database connections."""
    if _runtime is not None:
        _runtime.db.dispose(close=False)


def publish(nxt: stages.Next) -> None:
    """Send the messages a stage decided on."""
    for sub_id, group in nxt.checks:
        check.delay(sub_id, group)
    if nxt.aggregate is not None:
        aggregate.delay(nxt.aggregate)


def _retry_outage(task: Task, exc: Exception) -> None:
    """Retry ``task`` with backoff when ``exc`` is an outage; otherwise let it fail."""
    if not stages.is_outage(exc):
        raise exc
    logger.warning("transient fault in %s: %s; retrying", task.name, exc)
    raise task.retry(exc=exc, countdown=min(60, 2 ** (task.request.retries + 1)), max_retries=8)


@app.task(bind=True, name="tasks.pipeline.ingest")
def ingest(self: Task, drawing_id: int) -> None:
    """Read one drawing (model, intake findings, viewer inputs)."""
    try:
        publish(stages.ingest_drawing(runtime(), drawing_id))
    except Exception as exc:
        _retry_outage(self, exc)


@app.task(bind=True, name="tasks.pipeline.check")
def check(self: Task, submission_id: int, group: str) -> None:
    """Run one discipline's rules, or the cross-drawing checks."""
    try:
        publish(stages.check_group(runtime(), submission_id, group))
    except Exception as exc:
        _retry_outage(self, exc)


@app.task(bind=True, name="tasks.pipeline.aggregate")
def aggregate(self: Task, submission_id: int) -> None:
    """Close the submission's processing."""
    try:
        stages.aggregate(runtime(), submission_id)
    except Exception as exc:
        _retry_outage(self, exc)


@app.task(bind=True, name="tasks.pipeline.advance")
def advance(self: Task, submission_id: int) -> None:
    """Re-evaluate a submission whose pipeline seems stuck."""
    try:
        publish(stages.advance(runtime(), submission_id))
    except Exception as exc:
        _retry_outage(self, exc)


@app.task(name="tasks.pipeline.sweep")
def sweep() -> int:
    """Publish again the work of stalled pipelines (lost messages); returns how many.

    Audit events whose chaining after their commit failed are chained here too, so the trail
    catches up even when nobody acts or reads it, and stale login records are deleted."""
    from review_api.security import purge_stale

    rt = runtime()
    rt.db.chain_audit()
    with rt.db.session() as s:
        purge_stale(s, rt.settings)
    found = stages.stalled(rt)
    senders = {"ingest": ingest, "check": check, "aggregate": aggregate, "advance": advance}
    for name, args in found:
        senders[name].delay(*args)
    return len(found)


def enqueue_submission(drawing_ids: list[int]) -> None:
    """Start the pipeline of a new submission: one ingest message per drawing.

    A broker that is down is not the uploader's problem: the rows are committed, and the
    sweeper publishes the messages once the broker is back. After the first failure the rest
    is not tried, so the upload answers without waiting out one publish retry per drawing.
    """
    for n, drawing_id in enumerate(drawing_ids):
        try:
            ingest.delay(drawing_id)
        except Exception as exc:  # noqa: BLE001 - the sweeper recovers unsent messages
            logger.warning(
                "could not publish ingest of drawings %s: %s", drawing_ids[n:], exc
            )
            return

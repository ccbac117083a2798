"""The Celery application, configured from the platform's settings.

Reliability choices (``../shared/RELIABILITY.md`` §1.3, §4.2):

- ``task_acks_late`` + ``task_reject_on_worker_lost``: a task whose worker dies (kill -9, OOM)
  is redelivered instead of lost. Tasks are idempotent, and each counts its deliveries in the
  database, so a file that kills its worker every time is marked failed after
  ``max_deliveries`` instead of looping.
- ``worker_prefetch_multiplier = 1``: a worker reserves one long task at a time, so a redelivery
  after a worker loss is not delayed behind prefetched work.
- Redis: the visibility timeout is set in every place Celery reads it, and kombu looks for
  messages past it every 10 s, so a dead worker's task is redelivered soon after it.
- No result backend: the pipeline keeps its state in the platform's database, not in Celery.
- Soft and hard time limits per task; the soft limit lets the task record a clean error.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import Celery

from review_api.settings import Settings, get_settings

__all__ = ["app", "configure"]

app = Celery("lianshen", include=["tasks.pipeline", "tasks.supervision"])


def configure(celery: Celery, settings: Settings) -> None:
    """Apply ``settings`` to ``celery`` (called at import, and by tests with their settings)."""
    _forget_broker_connections(celery)
    transport: dict[str, Any] = {
        "visibility_timeout": settings.visibility_timeout_seconds,
        # kombu scans for messages past their visibility timeout every interval x throttle
        # seconds (10 x 10 by default); scanning every 10 s keeps the redelivery of a dead
        # worker's task close to the visibility timeout (RELIABILITY.md §4.2, F2)
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
    broker = settings.resolved_broker_url
    if broker.startswith("sqla+"):
        transport = {}  # the SQLAlchemy transport passes its options to create_engine
    elif broker.startswith("amqp"):
        transport = {"confirm_publish": True}
    if broker.startswith("sqla+sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    celery.conf.update(
        broker_url=broker,
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport,
        task_publish_retry=True,
        task_publish_retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5},
        task_soft_time_limit=600,
        task_time_limit=660,
        task_always_eager=settings.task_always_eager,
        task_eager_propagates=True,
        task_default_queue="lianshen",
        worker_hijack_root_logger=False,
        timezone="Asia/Shanghai",
        beat_schedule={
            "raise-step-warnings": {
                "task": "tasks.supervision.raise_warnings",
                "schedule": timedelta(seconds=60),
            },
            "sweep-stalled-pipelines": {
                "task": "tasks.pipeline.sweep",
                "schedule": timedelta(seconds=60),
            },
        },
    )


def _forget_broker_connections(celery: Celery) -> None:
    """Drop the app's references to the connection and producer pools of earlier settings.

    Celery creates them on the first publish and never looks at ``broker_url`` again, so an
    app configured a second time (one process that serves several deployments in turn, as the
    tests do) would keep publishing to the first broker. They are looked up again, by URL, on
    next use. They are not closed: kombu keeps them in a registry by URL and would hand the
    closed pool back to a later configuration with the same broker.
    """
    celery._pool = None
    amqp = celery.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


configure(app, get_settings())

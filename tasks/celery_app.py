"""The Celery application, configured from the platform's settings.

Reliability choices (``../shared/RELIABILITY.md`` §1.3, §4.2):

- ``task_acks_late`` + ``task_reject_on_worker_lost``: a task whose worker dies (kill -9, OOM)
  is redelivered instead of lost. Tasks are idempotent, and each counts its deliveries in the
  database, so a file that kills its worker every time is marked failed after
  ``max_deliveries`` instead of looping.
- ``worker_prefetch_multiplier = 1``: a worker reserves one long task at a time, so a redelivery
  after a worker loss is not delayed behind prefetched work.
- Redis: the visibility timeout is set in every place Celery reads it.
- No result backend: the pipeline keeps its state in the platform's database, not in Celery.
- Soft and hard time limits per task; the soft limit lets the task record a clean error.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import Celery

from review_api.settings import Settings, get_settings

__all__ = ["app", "configure"]

app = Celery("lianshen", include=["tasks.pipeline"])


def configure(celery: Celery, settings: Settings) -> None:
    """Apply ``settings`` to ``celery`` (called at import, and by tests with their settings)."""
    transport: dict[str, Any] = {"visibility_timeout": settings.visibility_timeout_seconds}
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
            "sweep-stalled-pipelines": {
                "task": "tasks.pipeline.sweep",
                "schedule": timedelta(seconds=60),
            },
        },
    )


configure(app, get_settings())

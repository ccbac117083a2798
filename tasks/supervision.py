"""The periodic supervision task (Celery beat): warnings, the event feed, warning e-mails.

Each run, at the current time:

1. records the step starts and ends the event feed does not have yet;
2. raises the yellow and red warnings now due (each once: ``UNIQUE(step_id, level)``) and
   writes their notifications, in one transaction;
3. after that commit, sends the queued e-mails (an outbox: a crash between 2 and 3 only delays
   them to the next run).

The run is idempotent, so overlapping runs, a redelivered message or two schedulers by mistake
raise nothing twice. The schedule entry is ``tasks.supervision.raise_warnings`` every minute.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from review_api.models import utcnow
from review_api.supervision import feed
from review_api.supervision.alerts import raise_warnings as raise_due_warnings
from review_api.supervision.notify import send_pending
from review_api.supervision.settings import SupervisionSettings, get_supervision_settings
from tasks import stages
from tasks.celery_app import app
from tasks.pipeline import runtime

__all__ = ["app", "raise_warnings", "run_once"]

logger = logging.getLogger(__name__)


def run_once(rt: stages.Runtime, sup: SupervisionSettings, now: dt.datetime) -> dict[str, Any]:
    """One supervision run at ``now`` (the task's body; tests call it with their own clock)."""
    with rt.db.session() as s:
        swept = feed.sweep_steps(s, rt.settings, now=now, yellow_share=sup.yellow_share)
        raised = raise_due_warnings(s, rt.settings, sup, now=now)
        summary = [
            {"step_id": r.warning.step_id, "level": r.warning.level, "notified": list(r.notified)}
            for r in raised
        ]
    mail = send_pending(rt.db, sup, now=now)
    if summary or mail["sent"] or mail["failed"]:
        logger.info("supervision: %d warnings raised, e-mails %s", len(summary), mail)
    return {"feed_events": swept, "warnings": summary, "email": mail}


@app.task(name="tasks.supervision.raise_warnings", ignore_result=True)
def raise_warnings(now: str | None = None) -> dict[str, Any]:
    """Beat entry point; ``now`` (ISO 8601) replays a run as of that time, for operators."""
    at = utcnow() if now is None else dt.datetime.fromisoformat(now).astimezone(dt.UTC)
    return run_once(runtime(), get_supervision_settings(), at)

"""Notifications: in the app for every one, by e-mail when a mail server is configured.

The e-mail copy is an outbox: the notification row is written with ``email_status =
'pending'`` in the same transaction as the warning it reports, and ``send_pending`` sends it
after that transaction has committed. A sender *claims* a row before sending (``pending`` →
``sending`` in its own short transaction, so two senders never take the same row), then marks
it ``sent``, or back to ``pending`` with the error, until ``smtp_max_attempts`` is reached and
it is ``failed``. A sender that dies while sending leaves a claim that expires after
``CLAIM_SECONDS``, and the e-mail is sent again (at least once, never silently lost).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from review_api.db import Database
from review_api.models import User
from review_api.supervision.models import Notification
from review_api.supervision.settings import SupervisionSettings

__all__ = ["CLAIM_SECONDS", "notify", "notification_json", "send_pending"]

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 600


def notify(
    s: Session,
    user: User,
    *,
    kind: str,
    title: str,
    body: str,
    sup: SupervisionSettings,
    now: dt.datetime,
    submission_id: int | None = None,
    step_id: int | None = None,
    warning_id: int | None = None,
) -> Notification:
    """An in-app notification for ``user``; its e-mail copy is queued when mail is configured
    and the user has an address."""
    email = (user.email or "").strip()
    n = Notification(
        user_id=user.id, kind=kind, title=title[:300], body=body, submission_id=submission_id,
        step_id=step_id, warning_id=warning_id, created_at=now,
        email_to=email or None,
        email_status="pending" if sup.email_enabled and email else "none",
    )
    s.add(n)
    s.flush()
    return n


def notification_json(n: Notification) -> dict[str, object]:
    """``{"id", "kind", "title", "body", "submission_id", "step_id", "created_at", "read_at",
    "email_status"}`` (``email_status``: none|pending|sending|sent|failed)."""
    return {
        "id": n.id,
        "kind": n.kind,
        "title": n.title,
        "body": n.body,
        "submission_id": n.submission_id,
        "step_id": n.step_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
        "email_status": n.email_status,
    }


def _claim(db: Database, now: dt.datetime, limit: int) -> list[Notification]:
    """Take up to ``limit`` e-mails to send: pending ones, and claims that have expired."""
    stale = now - dt.timedelta(seconds=CLAIM_SECONDS)
    claimed = []
    with db.session() as s:
        ids = s.scalars(
            select(Notification.id).where(
                or_(
                    Notification.email_status == "pending",
                    and_(Notification.email_status == "sending",
                         Notification.email_claimed_at < stale),
                )
            ).order_by(Notification.id).limit(limit)
        ).all()
    for nid in ids:
        with db.session() as s:
            taken = s.execute(
                update(Notification)
                .where(
                    Notification.id == nid,
                    or_(
                        Notification.email_status == "pending",
                        and_(Notification.email_status == "sending",
                             Notification.email_claimed_at < stale),
                    ),
                )
                .values(email_status="sending", email_claimed_at=now,
                        email_attempts=Notification.email_attempts + 1)
                .returning(Notification.id)
            ).first()
            if taken is not None:
                n = s.get(Notification, nid)
                assert n is not None
                claimed.append(n)
    return claimed


def _message(n: Notification, sup: SupervisionSettings) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = n.title
    msg["From"] = formataddr(("联审平台 Lianshen", sup.smtp_from))
    msg["To"] = n.email_to or ""
    msg["Message-ID"] = make_msgid(idstring=f"lianshen-notification-{n.id}")
    msg.set_content(n.body, charset="utf-8")
    return msg


def send_pending(
    db: Database, sup: SupervisionSettings, *, now: dt.datetime, limit: int = 100
) -> dict[str, int]:
    """Send the queued e-mails (each in its own transactions); counts of sent and failed."""
    out = {"sent": 0, "failed": 0, "retry": 0}
    if not sup.email_enabled:
        return out
    for n in _claim(db, now, limit):
        error = None
        try:
            with smtplib.SMTP(sup.smtp_host, sup.smtp_port,
                              timeout=sup.smtp_timeout_seconds) as smtp:
                smtp.send_message(_message(n, sup))
        except (OSError, smtplib.SMTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
            logger.warning("e-mail of notification %s not sent: %s", n.id, error)
        with db.session() as s:
            row = s.get(Notification, n.id)
            assert row is not None
            if error is None:
                row.email_status, row.emailed_at, row.email_error = "sent", now, None
                out["sent"] += 1
            elif row.email_attempts >= sup.smtp_max_attempts:
                row.email_status, row.email_error = "failed", error
                out["failed"] += 1
            else:
                row.email_status, row.email_error = "pending", error
                out["retry"] += 1
    return out

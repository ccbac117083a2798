"""The append-only, hash-chained audit trail (可留痕可追查).

Every event stores ``prev_hash`` and ``hash = SHA-256(prev_hash ‖ canonical JSON of the event)``
where the canonical JSON has sorted keys, no spaces and UTF-8 text (RFC 8785 in spirit for the
values stored here: strings, integers, booleans, null, and datetimes as ISO strings).

An action records its event in ``audit_pending``, in its own transaction and without touching
the chain. Right after that transaction commits, ``chain_pending`` moves the pending events into
``audit_events``: under one lock (an advisory lock on PostgreSQL, the write lock on SQLite) it
reads the head, gives each event the next ``seq`` and its hashes, and advances the head. Only
that short move is serialised, not the actions. An event whose chaining did not happen (the
process died between the commit and the move, the database went away) stays pending until the
next chaining: after any later audited action, before the trail is read or verified, and by the
periodic sweep. ``verify`` walks the chain in ``seq`` order and reports the first event whose
hash, predecessor link or sequence number is wrong: an altered, deleted or reordered event.

The migration ``audit_append_only`` makes the two tables append-only in the database (triggers;
``audit_pending`` refuses updates), so the chain's check is what remains for someone who can
lift that guard: a database superuser. Such a person can also rewrite the chain consistently
from some event on and re-hash it. Every issued document therefore prints the chain's head at
its issue under the bureau's signature (and keeps it in its row): ``verify`` requires the chain
to pass through those heads, and the signed copies in the parties' hands keep them beyond the
database's reach.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from review_api.models import AuditEvent, AuditHead, AuditPending, Document, User, utcnow
from review_api.textsafe import clean

__all__ = [
    "GENESIS",
    "VerifyResult",
    "actor_label",
    "chain_pending",
    "event_out",
    "pending_count",
    "record",
    "verify",
]

GENESIS = "0" * 64


def actor_label(user: User | None) -> str:
    """How a person appears in the trail: real name and user name (实名)."""
    return "system" if user is None else f"{user.real_name} ({user.username})"


def _canonical(event: dict[str, Any]) -> bytes:
    return json.dumps(
        event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def event_out(e: AuditEvent) -> dict[str, Any]:
    """An event as readers get it (``/api/audit``, the case archive): with both hashes, so the
    chain can be checked outside the platform."""
    return {
        "seq": e.seq,
        "at": e.at,
        "actor": e.actor,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "submission_id": e.submission_id,
        "before": e.before,
        "after": e.after,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


def _content(e: AuditEvent) -> dict[str, Any]:
    """The hashed content of an event: what readers get, but its own hash, plus the actor's id,
    with the time as an ISO string in UTC."""
    content = event_out(e)
    del content["hash"]
    content["at"] = e.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    content["actor_id"] = e.actor_id
    return content


def event_hash(e: AuditEvent) -> str:
    """The hash an event must carry."""
    return hashlib.sha256(e.prev_hash.encode() + _canonical(_content(e))).hexdigest()


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Round-trip through JSON so that what is hashed is exactly what the database returns.

    Strings are made storable first (no NUL, no lone surrogates): the values come from users
    and drawings, and an event the database refuses would undo the action it records.
    """
    if value is None:
        return None
    loaded: dict[str, Any] = json.loads(
        json.dumps(clean(value), ensure_ascii=False, default=str)
    )
    return loaded


PENDING_MARK = "lianshen.audit_pending"
"""Set in ``Session.info`` by ``record``: the session's commit is followed by ``chain_pending``."""

CHAIN_LOCK = 0x6C69616E_73686E01
"""The PostgreSQL advisory lock that serialises chainers (on SQLite the write lock does)."""

CHAIN_BATCH = 500


def record(
    s: Session,
    user: User | None,
    action: str,
    object_type: str,
    object_id: object,
    *,
    submission_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditPending:
    """Record one event in the caller's transaction (it commits or rolls back with the change).

    The event is not chained here: chaining needs the chain head, and holding the head from
    here to the end of the caller's transaction made every audited write of the platform wait
    for the previous one's whole request. ``Database.session`` chains it right after the commit.
    """
    e = AuditPending(
        at=utcnow(),
        actor_id=None if user is None else user.id,
        actor=actor_label(user),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        submission_id=submission_id,
        before=_jsonable(before),
        after=_jsonable(after),
    )
    s.add(e)
    s.info[PENDING_MARK] = True
    return e


def chain_pending(sessions: sessionmaker[Session], *, postgresql: bool) -> int:
    """Move the committed pending events into the chain, oldest first; returns how many.

    Each batch is one short transaction that holds the chain lock (an advisory lock on
    PostgreSQL, the write lock on SQLite) while it reads the head, appends the events with their
    hashes, advances the head one event at a time (the database guard allows no jump) and
    deletes the pending rows. The chain's order is therefore the order in which events became
    visible, which is why a reader may page through the trail by ``seq`` without missing one.
    """
    moved = 0
    while True:
        with sessions() as s, s.begin():
            if postgresql:
                s.execute(select(func.pg_advisory_xact_lock(CHAIN_LOCK)))
            pending = s.scalars(
                select(AuditPending).order_by(AuditPending.id).limit(CHAIN_BATCH)
            ).all()
            if not pending:
                return moved
            head = s.get(AuditHead, 1, with_for_update=True)
            if head is None:
                head = AuditHead(id=1, seq=0, hash=GENESIS)
                s.add(head)
                s.flush()
            seq, prev = head.seq, head.hash
            events = []
            for p in pending:
                seq += 1
                e = AuditEvent(
                    seq=seq, at=p.at, actor_id=p.actor_id, actor=p.actor, action=p.action,
                    object_type=p.object_type, object_id=p.object_id,
                    submission_id=p.submission_id, before=p.before, after=p.after,
                    prev_hash=prev,
                )
                e.hash = prev = event_hash(e)
                events.append(e)
            s.add_all(events)
            s.flush()  # the events exist before the head points at them (the database guard)
            s.execute(
                update(AuditHead),
                [{"id": 1, "seq": e.seq, "hash": e.hash} for e in events],
            )
            s.execute(delete(AuditPending).where(AuditPending.id.in_([p.id for p in pending])))
            s.expire(head)
        moved += len(pending)
        if len(pending) < CHAIN_BATCH:
            return moved


def pending_count(s: Session) -> int:
    """Events recorded but not yet chained (normally none: they are chained on commit)."""
    return int(s.scalar(select(func.count()).select_from(AuditPending)) or 0)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The answer of ``GET /api/audit/verify``."""

    valid: bool
    events: int
    first_bad_event: int | None
    reason: str | None = None


def _anchors(s: Session) -> dict[int, tuple[str, str]]:
    """``seq → (hash, verification code)`` of the chain heads printed in issued documents (the
    earliest document of each head)."""
    out: dict[int, tuple[str, str]] = {}
    rows = s.execute(
        select(Document.audit_seq, Document.audit_hash, Document.verification_code)
        .where(Document.audit_seq.is_not(None))
        .order_by(Document.id.desc())
    )
    for seq, digest, code in rows:
        if seq is not None and digest is not None:
            out[seq] = (digest, code)
    return out


def verify(s: Session) -> VerifyResult:
    """Walk the chain; the first event (by ``seq``) that does not fit is reported.

    Besides each event's own hash and link, the chain must pass through the heads that issued
    documents recorded: a chain re-hashed consistently from some event on (which needs the
    database guard lifted) is caught there, at or after the event that was changed.
    """
    anchors = _anchors(s)
    prev, expected_seq, count = GENESIS, 1, 0
    for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq)).yield_per(1000):
        count += 1
        if e.seq != expected_seq:
            return VerifyResult(False, count, expected_seq, f"event {expected_seq} is missing")
        if e.prev_hash != prev:
            return VerifyResult(False, count, e.seq, "link to the previous event is broken")
        if event_hash(e) != e.hash:
            return VerifyResult(False, count, e.seq, "event content was altered")
        if e.seq in anchors and anchors[e.seq][0] != e.hash:
            return VerifyResult(
                False, count, e.seq,
                f"document {anchors[e.seq][1]} recorded another hash for this event: the trail "
                "was rewritten at or before it",
            )
        prev, expected_seq = e.hash, expected_seq + 1
    head = s.get(AuditHead, 1)
    if head is None:
        if count:
            return VerifyResult(False, count, expected_seq, "the chain head was removed")
    elif head.seq != expected_seq - 1 or head.hash != prev:
        return VerifyResult(False, count, expected_seq, "events after the last one are missing")
    beyond = [seq for seq in anchors if seq >= expected_seq]
    if beyond:
        return VerifyResult(
            False, count, min(beyond),
            f"document {anchors[min(beyond)][1]} recorded event {min(beyond)}, which the trail "
            "no longer has",
        )
    return VerifyResult(True, count, None)

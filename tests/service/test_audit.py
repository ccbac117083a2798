"""The audit trail: tamper evidence, the database guard, concurrent appends, real names.

On SQLite and on PostgreSQL (RELIABILITY.md §1.6, §4.4 S8): after a review round with many
events, the platform's own connection cannot change or remove an event (migration
``audit_append_only``); with that guard lifted, as a database superuser can, every alteration,
deletion, reordering or rewind is reported by ``GET /api/audit/verify`` at exactly the event
where the chain breaks.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from review_api import audit
from review_api.db import MIGRATIONS
from review_api.models import AuditEvent, AuditHead, AuditPending, Document, User
from review_api.textsafe import clean
from review_api.workflow import DEPARTMENTS
from tests.service.harness import (
    PASSWORD,
    Platform,
    package_zip,
    platform_on,
    wait_for,
)

EVENTS = AuditEvent.__table__
HEAD = AuditHead.__table__
PENDING = AuditPending.__table__
DOCUMENTS = Document.__table__
BACKENDS = ["sqlite", "postgresql"]


def run_round(p: Platform) -> list[tuple[str, str]]:
    """One review round done by named people; returns ``(action, username)`` of each step."""
    done: list[tuple[str, str]] = []
    project_id = p.new_project("审计链项目")
    done.append(("project.create", "applicant"))
    r = p.submit(project_id, package_zip("residential_tower_violations"))
    assert r.status_code == 201, r.text
    sub = r.json()["id"]
    done.append(("submission.submit", "applicant"))
    r = p.as_("bureau")("post", f"/api/submissions/{sub}/intake", json={"decision": "accept"})
    assert r.status_code == 200, r.text
    done.append(("submission.accept", "bureau"))
    findings = p.as_("applicant")("get", f"/api/submissions/{sub}/findings").json()
    drawings = p.as_("applicant")("get", f"/api/submissions/{sub}").json()["drawings"]
    for dept in DEPARTMENTS:
        who = f"reviewer-{dept}"
        rev = p.as_(who)
        own = [f for f in findings if f["discipline"] == dept]
        if own:
            r = rev("patch", f"/api/findings/{own[0]['id']}", json={"review_status": "confirmed"})
            assert r.status_code == 200, r.text
            done.append(("finding.review", who))
        drawing = next(d for d in drawings if d["discipline"] == dept)
        r = rev("post", f"/api/drawings/{drawing['id']}/annotations",
                json={"geometry": {"type": "Point", "coordinates": [1.0, 2.0]},
                      "text": f"{dept} 标注", "kind": "cloud"})
        assert r.status_code == 201, r.text
        done.append(("annotation.create", who))
        r = rev("post", f"/api/submissions/{sub}/opinions",
                json={"department": dept, "verdict": "pass", "items": []})
        assert r.status_code == 201, r.text
        done.append(("opinion.give", who))
    r = p.as_("bureau")("post", f"/api/submissions/{sub}/consolidated-opinion",
                        json={"decision": "revise", "note": "请修改"})
    assert r.status_code == 201, r.text
    done.append(("submission.revise", "bureau"))
    return done


@dataclass
class Trail:
    """A platform after a review round, and who did what in it."""

    platform: Platform
    backend: str
    done: list[tuple[str, str]]

    @property
    def engine(self) -> Engine:
        return self.platform.runtime.db.engine

    def verify(self) -> dict[str, Any]:
        """``GET /api/audit/verify`` as the supervisor (logged in before any tampering)."""
        r = self.platform.as_("supervisor")("get", "/api/audit/verify")
        assert r.status_code == 200, r.text
        answer: dict[str, Any] = r.json()
        return answer

    def seqs(self) -> list[int]:
        with self.engine.connect() as c:
            return list(c.scalars(select(EVENTS.c.seq).order_by(EVENTS.c.seq)))


@pytest.fixture(scope="module", params=BACKENDS)
def trail(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trail]:
    with platform_on(request.param, tmp_path_factory.mktemp(request.param)) as p:
        done = run_round(p)
        t = Trail(p, request.param, done)
        assert t.verify()["valid"] is True
        yield t


# ---------------------------------------------------------------- lifting the guard


def guard_migration() -> ModuleType:
    """The migration that installs the guard, loaded for its own statements."""
    (path,) = (MIGRATIONS / "versions").glob("*_audit_append_only.py")
    spec = importlib.util.spec_from_file_location("audit_append_only", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def guard_statements(engine: Engine, *, install: bool) -> list[str]:
    m = guard_migration()
    if engine.dialect.name == "postgresql":
        return list(m.POSTGRESQL_UP if install else m.POSTGRESQL_DOWN)
    return list(m.SQLITE_UP if install else m.SQLITE_DOWN)


def run_sql(engine: Engine, statements: list[str]) -> None:
    with engine.begin() as c:
        for statement in statements:
            c.execute(text(statement))


@dataclass
class Saved:
    """The trail's rows exactly as they were, to put back after a tamper trial."""

    events: list[dict[str, Any]]
    head: dict[str, Any]

    @classmethod
    def read(cls, engine: Engine) -> Saved:
        with engine.connect() as c:
            events = [dict(r._mapping) for r in c.execute(select(EVENTS).order_by(EVENTS.c.seq))]
            head = dict(c.execute(select(HEAD).where(HEAD.c.id == 1)).one()._mapping)
        return cls(events, head)

    def restore(self, engine: Engine) -> None:
        with engine.begin() as c:
            c.execute(delete(EVENTS))
            c.execute(EVENTS.insert(), self.events)
            c.execute(delete(HEAD))
            c.execute(HEAD.insert(), [self.head])


@contextmanager
def guard_lifted(t: Trail) -> Iterator[Saved]:
    """Drop the append-only triggers, as a database superuser can; afterwards put the trail
    back exactly as it was, reinstall the guard and check the chain is whole again."""
    saved = Saved.read(t.engine)
    run_sql(t.engine, guard_statements(t.engine, install=False))
    try:
        yield saved
    finally:
        saved.restore(t.engine)
        run_sql(t.engine, guard_statements(t.engine, install=True))
    assert t.verify() == {"valid": True, "events": len(saved.events), "first_bad_event": None,
                          "reason": None, "pending": 0}


def tamper(t: Trail, *statements: Any) -> None:
    """Run SQLAlchemy statements in one committed transaction, as the tamperer."""
    with t.engine.begin() as c:
        for statement in statements:
            c.execute(statement)


def event_where(t: Trail, seq: int) -> dict[str, Any]:
    with t.engine.connect() as c:
        return dict(c.execute(select(EVENTS).where(EVENTS.c.seq == seq)).one()._mapping)


# ---------------------------------------------------------------- the guard


def test_the_platform_connection_cannot_change_the_trail(trail: Trail) -> None:
    """UPDATE and DELETE on events, and rewinding or removing the head, all fail through the
    application's own engine; an append still works afterwards."""
    last = trail.seqs()[-1]
    attempts: list[Callable[[Any], Any]] = [
        lambda s: s.execute(update(AuditEvent).where(AuditEvent.seq == 2)
                            .values(after={"name": "改过"})),
        lambda s: s.execute(update(AuditEvent).where(AuditEvent.seq == last)
                            .values(hash="0" * 64)),
        lambda s: s.execute(delete(AuditEvent).where(AuditEvent.seq == last)),
        lambda s: s.execute(delete(AuditEvent)),
        lambda s: s.execute(update(AuditHead).values(seq=AuditHead.seq - 1)),
        lambda s: s.execute(update(AuditHead).values(seq=AuditHead.seq + 1, hash="f" * 64)),
        lambda s: s.execute(update(AuditHead).values(hash=event_where(trail, 1)["hash"])),
        lambda s: s.execute(delete(AuditHead)),
    ]
    if trail.backend == "postgresql":
        attempts.append(lambda s: s.execute(text("TRUNCATE audit_events")))
    for i, attempt in enumerate(attempts):
        with pytest.raises(DBAPIError, match="append-only"):  # noqa: PT012
            with trail.platform.runtime.db.session() as s:
                attempt(s)
        assert trail.verify()["valid"] is True, i
    with trail.platform.runtime.db.session() as s:
        audit.record(s, None, "test.append", "test", 1)
    after = trail.verify()
    assert after["valid"] is True and trail.seqs()[-1] == last + 1


# ---------------------------------------------------------------- tamper evidence


def test_altered_event_is_reported_at_its_seq(trail: Trail) -> None:
    seqs = trail.seqs()
    k = next(s for s in seqs[len(seqs) // 3:] if event_where(trail, s)["after"])
    with guard_lifted(trail):
        changed = dict(event_where(trail, k)["after"]) | {"tampered": True}
        tamper(trail, update(EVENTS).where(EVENTS.c.seq == k).values(after=changed))
        answer = trail.verify()
        assert answer["valid"] is False
        assert answer["first_bad_event"] == k, answer
        assert "altered" in answer["reason"]


def test_deleted_event_is_reported_as_a_gap(trail: Trail) -> None:
    k = trail.seqs()[len(trail.seqs()) // 2]
    with guard_lifted(trail):
        tamper(trail, delete(EVENTS).where(EVENTS.c.seq == k))
        answer = trail.verify()
        assert answer["valid"] is False
        assert answer["first_bad_event"] == k, answer
        assert "missing" in answer["reason"]


@pytest.mark.parametrize("distance", [1, 7])
def test_swapped_events_are_reported(trail: Trail, distance: int) -> None:
    seqs = trail.seqs()
    j = seqs[len(seqs) // 4]
    k = j + distance
    with guard_lifted(trail):
        tamper(
            trail,
            update(EVENTS).where(EVENTS.c.seq == j).values(seq=-1),
            update(EVENTS).where(EVENTS.c.seq == k).values(seq=j),
            update(EVENTS).where(EVENTS.c.seq == -1).values(seq=k),
        )
        answer = trail.verify()
        assert answer["valid"] is False
        assert answer["first_bad_event"] == j, answer


def test_altered_last_event_and_head_are_reported(trail: Trail) -> None:
    """The last event has no successor to give it away: the head does, and so does its own
    hash when the tamperer points the head at a made-up one."""
    last = trail.seqs()[-1]
    with guard_lifted(trail):
        forged = "e" * 64
        tamper(
            trail,
            update(EVENTS).where(EVENTS.c.seq == last).values(actor="某人 (someone)", hash=forged),
            update(HEAD).values(hash=forged),
        )
        answer = trail.verify()
        assert answer["valid"] is False and answer["first_bad_event"] == last, answer


def test_removed_last_event_with_rewound_head_seq_is_reported(trail: Trail) -> None:
    last = trail.seqs()[-1]
    with guard_lifted(trail):
        tamper(trail, delete(EVENTS).where(EVENTS.c.seq == last),
               update(HEAD).values(seq=last - 1))
        answer = trail.verify()
        assert answer["valid"] is False and answer["first_bad_event"] == last, answer


def rehash_from(t: Trail, k: int, change: dict[str, Any]) -> None:
    """Change event ``k`` and re-hash it and every later event, and the head: a rewrite the
    chain alone cannot show (what someone who can lift the guard could do)."""
    with t.engine.begin() as c:
        rows = [dict(r._mapping) for r in
                c.execute(select(EVENTS).where(EVENTS.c.seq >= k).order_by(EVENTS.c.seq))]
        prev = rows[0]["prev_hash"]
        for row in rows:
            row |= change if row["seq"] == k else {}
            row["prev_hash"] = prev
            row["hash"] = prev = audit.event_hash(AuditEvent(**row))
            c.execute(update(EVENTS).where(EVENTS.c.seq == row["seq"]).values(
                **{key: v for key, v in row.items() if key not in ("id", "seq")}))
        c.execute(update(HEAD).values(hash=prev))


def issued_anchor(t: Trail) -> int:
    """The chain head printed in the round's consolidated opinion."""
    with t.engine.connect() as c:
        seq: int = c.scalar(select(DOCUMENTS.c.audit_seq).where(DOCUMENTS.c.audit_seq.is_not(None)))
    return seq


def test_a_consistent_rewrite_is_caught_by_an_issued_document(trail: Trail) -> None:
    """Re-hashing the chain from a changed event on makes every event and the head fit again;
    the head the issued opinion recorded (and printed) no longer does."""
    anchor = issued_anchor(trail)
    k = max(2, anchor - 3)
    with guard_lifted(trail):
        rehash_from(trail, k, {"actor": "某人 (someone)"})
        answer = trail.verify()
        assert answer["valid"] is False and answer["first_bad_event"] == anchor, answer
        assert "rewritten" in answer["reason"]
    with guard_lifted(trail):  # the chain cut back before the anchor, head rewound with it
        last = trail.seqs()[-1]
        keep = event_where(trail, anchor - 1)
        tamper(trail, delete(EVENTS).where(EVENTS.c.seq >= anchor),
               update(HEAD).values(seq=anchor - 1, hash=keep["hash"]))
        answer = trail.verify()
        assert answer["valid"] is False and answer["first_bad_event"] == anchor, answer
        assert "no longer has" in answer["reason"]
        assert last >= anchor


def test_head_moved_ahead_or_removed_is_reported(trail: Trail) -> None:
    last = trail.seqs()[-1]
    with guard_lifted(trail):
        tamper(trail, update(HEAD).values(seq=last + 1))
        answer = trail.verify()
        assert answer["valid"] is False and answer["first_bad_event"] == last + 1, answer
    with guard_lifted(trail):
        tamper(trail, delete(HEAD))
        answer = trail.verify()
        assert answer["valid"] is False and "head" in answer["reason"], answer


def _mutations(t: Trail, e: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One changed value for every field of event ``e``."""
    with t.engine.connect() as c:
        user_ids = list(c.scalars(select(User.id)))
        top = c.scalar(select(func.max(EVENTS.c.seq))) or 0
    other = rng.choice([u for u in user_ids if u != e["actor_id"]])
    return {
        "seq": top + 1000,
        "at": e["at"] + dt.timedelta(seconds=rng.randint(1, 3600)),
        "actor_id": None if e["actor_id"] is not None and rng.random() < 0.5 else other,
        "actor": e["actor"] + " ",
        "action": "x." + e["action"],
        "object_type": e["object_type"] + "x",
        "object_id": e["object_id"] + "0",
        "submission_id": (e["submission_id"] or 0) + 1,
        "before": {"tampered": True} if e["before"] is None else None,
        "after": (e["after"] or {}) | {"tampered": rng.randint(0, 9)},
        "prev_hash": ("1" if e["prev_hash"][0] != "1" else "2") + e["prev_hash"][1:],
        "hash": ("1" if e["hash"][0] != "1" else "2") + e["hash"][1:],
    }


def test_random_single_field_changes_are_all_detected(trail: Trail) -> None:
    rng = random.Random(20261201)
    seqs = trail.seqs()
    with guard_lifted(trail) as saved:
        for trial in range(20):
            k = rng.choice(seqs)
            e = event_where(trail, k)
            field_name, value = rng.choice(sorted(_mutations(trail, e, rng).items()))
            tamper(trail, update(EVENTS).where(EVENTS.c.seq == k).values({field_name: value}))
            answer = trail.verify()
            assert answer["valid"] is False and answer["first_bad_event"] == k, (
                trial, field_name, k, answer)
            saved.restore(trail.engine)
            assert trail.verify()["valid"] is True, (trial, field_name, k)


# ---------------------------------------------------------------- hostile text

HOSTILE = [
    "a\x00b",
    "\ud800",
    "x\udcff\udc80y",
    "\u202eevil.dxf",
    "line\r\nbreak\x1b[31m",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x")',
    "长" * 5000,
]


def test_hostile_text_is_recorded_storably_and_verifies(trail: Trail) -> None:
    """Values from users and drawings (NUL, lone surrogates, controls, markup) never make the
    database refuse an event, and what is stored is what was hashed."""
    with trail.platform.runtime.db.session() as s:
        for value in HOSTILE:
            audit.record(s, None, "test.hostile", "text", 1,
                         before={"list": [value, {"k": value}]}, after={"text": value, value: 1})
    assert trail.verify()["valid"] is True
    events = trail.platform.as_("supervisor")("get", "/api/audit?limit=1000").json()["events"]
    stored = [e["after"]["text"] for e in events if e["action"] == "test.hostile"]
    assert stored[-len(HOSTILE):] == [str(clean(v)) for v in HOSTILE]
    assert stored[-1] == HOSTILE[-1] and stored[-3] == HOSTILE[-3]  # nothing else altered


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(alphabet=st.characters(blacklist_categories=()), max_size=40))
def test_any_text_is_storable_in_the_trail(trail: Trail, value: str) -> None:
    with trail.platform.runtime.db.session() as s:
        audit.record(s, None, "test.any", "text", 1, after={"v": value, value: [value]})
    trail.platform.runtime.db.chain_audit()  # PostgreSQL chains in a thread: no waiting here
    with trail.platform.runtime.db.session() as s:
        stored = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
        assert stored.action == "test.any"
        assert stored.hash == audit.event_hash(stored)
        assert stored.after == {"v": clean(value), clean(value): [clean(value)]}


# ---------------------------------------------------------------- who did it


def test_every_step_names_the_real_person(trail: Trail) -> None:
    """Each action of the round is recorded as "real name (username)" of the person who did
    it, as that person's login answer gives the real name, and points at that user's id."""
    people: dict[str, dict[str, Any]] = {}
    for _action, username in trail.done:
        if username not in people:
            r = trail.platform.client.post(
                "/api/auth/login", json={"username": username, "password": PASSWORD}
            )
            people[username] = r.json()["user"]
    r = trail.platform.as_("supervisor")("get", "/api/audit?limit=1000")
    events = r.json()["events"]
    with trail.engine.connect() as c:
        actor_ids = dict(c.execute(select(EVENTS.c.seq, EVENTS.c.actor_id)).tuples().all())
    for action, username in trail.done:
        who = people[username]
        label = f"{who['real_name']} ({who['username']})"
        assert who["real_name"] and who["real_name"] != who["username"]
        mine = [e for e in events if e["action"] == action and actor_ids[e["seq"]] == who["id"]]
        assert mine, (action, username)
        assert all(e["actor"] == label for e in mine), (action, [e["actor"] for e in mine])
    names = {u["id"]: f"{u['real_name']} ({u['username']})" for u in people.values()}
    for e in events:
        actor_id = actor_ids[e["seq"]]
        if actor_id is None:
            assert e["actor"] == "system", e
        elif actor_id in names:
            assert e["actor"] == names[actor_id], e


# ---------------------------------------------------------------- concurrent appends


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_appends_keep_one_gapless_chain(backend: str, tmp_path: Path) -> None:
    """8 threads × 25 appends, each in its own session and transaction."""
    threads, appends = 8, 25
    with platform_on(backend, tmp_path) as p:
        p.runtime.db.chain_audit()  # the setup's events (PostgreSQL chains them in a thread)
        before = len(Saved.read(p.runtime.db.engine).events)
        barrier = threading.Barrier(threads)
        errors: list[BaseException] = []

        def append(worker: int) -> None:
            try:
                barrier.wait()
                for i in range(appends):
                    with p.runtime.db.session() as s:
                        audit.record(s, None, "test.concurrent", "thread", f"{worker}-{i}",
                                     after={"worker": worker, "i": i})
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        pool = [threading.Thread(target=append, args=(w,)) for w in range(threads)]
        for th in pool:
            th.start()
        for th in pool:
            th.join()
        assert not errors, errors
        p.runtime.db.chain_audit()
        saved = Saved.read(p.runtime.db.engine)
        total = before + threads * appends
        assert [e["seq"] for e in saved.events] == list(range(1, total + 1))
        assert saved.head["seq"] == total
        ids = {e["object_id"] for e in saved.events if e["action"] == "test.concurrent"}
        assert ids == {f"{w}-{i}" for w in range(threads) for i in range(appends)}
        with p.runtime.db.session() as s:
            result = audit.verify(s)
        assert result.valid and result.events == total, result



# ---------------------------------------------------------------- chaining after the commit


def last_events(t: Trail, n: int) -> list[dict[str, Any]]:
    with t.engine.connect() as c:
        rows = c.execute(select(EVENTS).order_by(EVENTS.c.seq.desc()).limit(n)).all()
    return [dict(r._mapping) for r in reversed(rows)]


def test_an_event_left_pending_is_chained_before_the_trail_is_read(trail: Trail) -> None:
    """A process that committed its action but died before chaining leaves the event in
    ``audit_pending``; reading or verifying the trail chains it, with its content intact."""
    with trail.engine.begin() as c:
        c.execute(PENDING.insert(), [{
            "at": dt.datetime.now(dt.UTC), "actor_id": None, "actor": "system",
            "action": "test.left_pending", "object_type": "test", "object_id": "7",
            "submission_id": None, "before": None, "after": {"名": "值"},
        }])
    before = len(trail.seqs())
    answer = trail.verify()
    assert answer["valid"] is True and answer["pending"] == 0
    assert answer["events"] == before + 1
    (e,) = last_events(trail, 1)
    assert (e["action"], e["object_id"], e["after"]) == ("test.left_pending", "7", {"名": "值"})
    with trail.engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(PENDING)) == 0


def test_a_pending_event_cannot_be_altered_and_a_rollback_leaves_none(trail: Trail) -> None:
    db = trail.platform.runtime.db
    before = trail.seqs()[-1]
    with pytest.raises(DBAPIError, match="cannot be altered"), db.session() as s:
        audit.record(s, None, "test.alter_pending", "test", 1)
        s.flush()
        s.execute(update(AuditPending).values(action="test.altered"))
    with pytest.raises(RuntimeError, match="undone"), db.session() as s:
        audit.record(s, None, "test.rolled_back", "test", 1)
        raise RuntimeError("undone")
    assert trail.seqs()[-1] == before
    assert trail.verify()["pending"] == 0


@pytest.mark.parametrize("trail", ["postgresql"], indirect=True)
def test_an_open_action_does_not_hold_up_another(trail: Trail) -> None:
    """The action still inside its transaction holds nothing the next one needs: the second
    action commits and is chained first, the first follows when it commits (chain order is
    commit order, so a reader paging by ``seq`` never skips one). On SQLite one writer at a
    time is the database's own rule, so this is a PostgreSQL test."""
    db = trail.platform.runtime.db
    before = trail.seqs()[-1]
    with db.session() as slow:
        audit.record(slow, None, "test.slow", "test", 1)
        slow.flush()
        done = threading.Event()

        def quick() -> None:
            with db.session() as s:
                audit.record(s, None, "test.quick", "test", 2)
            done.set()

        th = threading.Thread(target=quick)
        th.start()
        assert done.wait(10), "the second action waited for the first one's transaction"
        th.join()
        wait_for(lambda: last_events(trail, 1)[0]["action"] == "test.quick", 10,
                 "the quick action's event chained by the chaining thread", every=0.05)
    wait_for(lambda: last_events(trail, 1)[0]["action"] == "test.slow", 10,
             "the slow action's event chained after its commit", every=0.05)
    events = last_events(trail, 2)
    assert [(e["seq"], e["action"]) for e in events] == [
        (before + 1, "test.quick"), (before + 2, "test.slow")]
    assert trail.verify()["valid"] is True

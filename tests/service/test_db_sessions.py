"""Sessions: on SQLite writers serialise with BEGIN IMMEDIATE and read-only sessions never wait
for them (a live event stream polls every second); on PostgreSQL a request uses one
connection and one transaction, its login check included."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import event, select, text

from review_api.db import Database, migrate
from review_api.models import Project
from review_api.settings import Settings
from tests.service.harness import platform_on


def test_read_session_runs_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    migrate(settings)
    db = Database(settings)
    writer_has_lock, reader_done = threading.Event(), threading.Event()
    seen: list[int] = []
    done_while_locked: list[bool] = []

    def writer() -> None:
        with db.session() as s:
            s.execute(text("INSERT INTO login_attempts (username, at) VALUES ('w', '2026-01-01')"))
            writer_has_lock.set()
            # hold the write transaction: a reader that needed the lock could not finish now
            done_while_locked.append(reader_done.wait(timeout=20))

    def reader() -> None:
        writer_has_lock.wait(timeout=60)
        with db.read_session() as s:
            seen.append(len(s.scalars(select(Project)).all()))
        reader_done.set()

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert done_while_locked == [True] and seen == [0]


def test_read_session_commits_nothing(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    migrate(settings)
    db = Database(settings)
    with db.read_session() as s:
        s.execute(text("INSERT INTO login_attempts (username, at) VALUES ('r', '2026-01-01')"))
    with db.session() as s:
        assert s.scalar(text("SELECT count(*) FROM login_attempts")) == 0


def test_a_request_takes_one_connection_on_postgresql(tmp_path: Path) -> None:
    """On PostgreSQL the token is looked up in the request's own session: reading findings
    checks out one pooled connection and runs one transaction, however many queries it makes."""
    with platform_on("postgresql", tmp_path) as p:
        headers = p.login("reviewer-fire")
        p.client.get("/api/submissions/1/findings", headers=headers)  # the pool warms up
        checkouts: list[int] = []
        begins: list[int] = []
        engine = p.runtime.db.engine
        on_checkout = lambda *_: checkouts.append(1)  # noqa: E731
        on_begin = lambda *_: begins.append(1)  # noqa: E731
        event.listen(engine, "checkout", on_checkout)
        event.listen(engine, "begin", on_begin)
        try:
            r = p.client.get("/api/projects", headers=headers)
        finally:
            event.remove(engine, "checkout", on_checkout)
            event.remove(engine, "begin", on_begin)
        assert r.status_code == 200, r.text
        assert (len(checkouts), len(begins)) == (1, 1)
        assert p.client.get("/api/projects", headers={"Authorization": "Bearer nope"}
                            ).status_code == 401

"""Sessions on SQLite: writers serialise with BEGIN IMMEDIATE, read-only sessions never wait
for them (a live event stream polls every second)."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import select, text

from review_api.db import Database, migrate
from review_api.models import Project
from review_api.settings import Settings


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

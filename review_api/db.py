"""Database engine, sessions and migrations.

The same code runs on SQLite (embedded mode) and PostgreSQL (distributed mode). On SQLite the API
and the worker are separate processes writing one file, so every transaction starts with
``BEGIN IMMEDIATE`` (it waits for the write lock up front instead of failing half-way when two
writers upgrade their locks at once) and the journal is in WAL mode so readers never block.
On PostgreSQL, ``pool_pre_ping`` replaces connections that died with a server restart.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from review_api.audit import PENDING_MARK, chain_pending
from review_api.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["Database", "migrate"]

MIGRATIONS = Path(__file__).with_name("migrations")


class Database:
    """An engine and its session factory for one settings object."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        url = settings.resolved_database_url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                url, connect_args={"timeout": 60, "check_same_thread": False}
            )
            _sqlite_setup(self.engine, immediate=True)
            self.read_engine: Engine = create_engine(
                url, connect_args={"timeout": 60, "check_same_thread": False}
            )
            _sqlite_setup(self.read_engine, immediate=False)
        else:
            # a lock held by a stuck transaction turns into an error (503) instead of a wedge
            options = "-c lock_timeout=15000 -c idle_in_transaction_session_timeout=120000"
            self.engine = create_engine(
                url,
                pool_pre_ping=True,
                pool_size=10,
                max_overflow=20,
                pool_timeout=10,
                connect_args={"options": options},
            )
            self.read_engine = self.engine
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)
        self._chaining: _Chainer | None = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error.

        Audit events recorded in it are chained right after the commit (``audit.py``).
        """
        with self.sessions() as s:
            with s.begin():
                yield s
            if s.info.pop(PENDING_MARK, False):
                self._chain_after_commit()

    def _chain_after_commit(self) -> None:
        """On SQLite chain now (one writer at a time anyway). On PostgreSQL hand the work to
        this process's chaining thread, so the request answers without it: the thread takes
        every event pending when it runs in one transaction, and a reader of the trail chains
        first (``chain_audit``), so nobody reads a trail that lags behind. A failure is logged
        and leaves the events pending for the next chaining, since the action is committed."""
        if self.is_sqlite:
            self.chain_audit()
        else:
            self._chainer().kick()

    def _chainer(self) -> _Chainer:
        """This process's chaining thread (started on first need; a forked child starts its
        own, since threads do not survive a fork)."""
        with _CHAINER_LOCK:
            if self._chaining is None or self._chaining.pid != os.getpid():
                self._chaining = _Chainer(self)
            return self._chaining

    def chain_audit(self) -> int:
        """Chain the pending audit events now, waiting for the lock; 0 on a database error."""
        try:
            return chain_pending(self.sessions, postgresql=not self.is_sqlite)
        except SQLAlchemyError:
            log.warning("audit events left pending for the next chaining", exc_info=True)
            return 0

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for readers that poll (live event streams): on SQLite its transaction
        is an ordinary deferred one, so a poll every second never takes the write lock that
        every ``session()`` takes up front. Nothing written in it is committed."""
        with self.read_sessions() as s, s.begin():
            yield s
            s.rollback()

    def dispose(self, *, close: bool = True) -> None:
        """Drop every pooled connection: closed at shutdown; only forgotten (``close=False``)
        in a forked child, whose inherited connections still belong to the parent — closing
        them there would end the parent's sessions too."""
        if close and self._chaining is not None and self._chaining.pid == os.getpid():
            self._chaining.stop()
            self._chaining = None
        self.engine.dispose(close=close)
        if self.read_engine is not self.engine:
            self.read_engine.dispose(close=close)


_CHAINER_LOCK = threading.Lock()


class _Chainer:
    """A daemon thread that chains pending audit events whenever it is kicked.

    A request that recorded events kicks it after its commit and answers at once. The thread
    clears the kick before it chains, so a kick that arrives while it works makes it chain
    once more: no committed event is left behind, events that arrive together are chained
    in one transaction, and at most one thread per process waits for the chain lock.
    """

    def __init__(self, db: Database) -> None:
        self.pid = os.getpid()
        self._db = db
        self._kicked = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="audit-chainer", daemon=True)
        self._thread.start()

    def kick(self) -> None:
        self._kicked.set()

    def stop(self, timeout: float = 30.0) -> None:
        """End the thread after one last chaining and wait for it, so that its connection is
        back in the pool before the pool is closed."""
        self._stopping = True
        self._kicked.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping:
            self._kicked.wait()
            self._kicked.clear()
            try:
                self._db.chain_audit()
            except Exception:  # noqa: BLE001 - the thread must outlive any one failure
                log.exception("chaining audit events failed; they stay pending")


def _sqlite_setup(engine: Engine, *, immediate: bool) -> None:
    """WAL journal (readers never block), foreign keys, a long busy timeout; SQLAlchemy, not
    pysqlite, emits BEGIN: ``BEGIN IMMEDIATE`` for sessions that may write, a deferred
    ``BEGIN`` for the read-only ones."""
    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)


def migrate(settings: Settings) -> None:
    """Bring the schema to the newest Alembic revision (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", settings.resolved_database_url.replace("%", "%%"))
    if settings.resolved_database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(cfg, "head")

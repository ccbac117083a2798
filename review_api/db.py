"""Database engine, sessions and migrations.

The same code runs on SQLite (embedded mode) and PostgreSQL (distributed mode). On SQLite the API
and the worker are separate processes writing one file, so every transaction starts with
``BEGIN IMMEDIATE`` (it waits for the write lock up front instead of failing half-way when two
writers upgrade their locks at once) and the journal is in WAL mode so readers never block.
On PostgreSQL, ``pool_pre_ping`` replaces connections that died with a server restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from review_api.settings import Settings

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

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error."""
        with self.sessions() as s, s.begin():
            yield s

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
        self.engine.dispose(close=close)
        if self.read_engine is not self.engine:
            self.read_engine.dispose(close=close)


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

"""Alembic environment: the platform's metadata, the URL from the caller's configuration.

Every process of a deployment (``lianshen serve``, each ``lianshen worker``) migrates at start,
so on a fresh database several of them start migrating at the same moment. Migrations are
therefore serialised: on PostgreSQL by a transaction-level advisory lock taken before Alembic
reads the current revision, on SQLite by an exclusive lock on a file beside the database. The
processes that wait then find the schema current and do nothing.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import context
from sqlalchemy import Connection, create_engine, make_url, text

from review_api.models import Base

config = context.config
target_metadata = Base.metadata

MIGRATION_LOCK_KEY = 0x6C69616E7368656E  # "lianshen": the advisory lock of schema changes


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL without connecting."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


@contextmanager
def _sqlite_file_lock(url: str) -> Iterator[None]:
    """Hold an exclusive lock on ``<database>.migrate.lock`` while migrating a SQLite file."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        yield
        return
    lock = Path(database).with_name(Path(database).name + ".migrate.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _postgresql_lock(connection: Connection) -> None:
    """Wait for any other migrating process (released when this transaction ends)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


def run_migrations_online() -> None:
    """Apply the migrations; batch mode lets SQLite alter tables by copying them."""
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = create_engine(url)
    with _sqlite_file_lock(url), engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            _postgresql_lock(connection)
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

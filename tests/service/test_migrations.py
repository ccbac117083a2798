"""Alembic migrations on a fresh SQLite file and a fresh PostgreSQL database.

``migrate`` reaches the newest revision, a second run changes nothing, the migrated schema is
exactly what ``review_api.models`` declares (so models and migrations never drift apart), the
whole chain goes down to nothing and up again, and processes that migrate at the same moment
(every ``lianshen worker`` migrates at start) all succeed.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from review_api import audit
from review_api.db import MIGRATIONS, migrate
from review_api.models import Base
from review_api.settings import Settings
from tests.service.harness import ROOT, fresh_postgres, postgres_available

BACKENDS = ["sqlite", "postgresql"]


@contextmanager
def fresh_settings(backend: str, tmp_path: Path) -> Iterator[Settings]:
    """Settings on an empty database of ``backend`` (nothing migrated yet)."""
    if backend == "sqlite":
        yield Settings(data_dir=tmp_path / "var")
        return
    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432 (CI starts it)")
    with fresh_postgres() as url:
        yield Settings(data_dir=tmp_path / "var", database_url=url)


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with fresh_settings(request.param, tmp_path) as s:
        yield s


def alembic_config(settings: Settings) -> Config:
    """The configuration ``migrate`` uses, for the commands it does not run."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", settings.resolved_database_url.replace("%", "%%"))
    return cfg


def newest_revision(settings: Settings) -> str:
    head = ScriptDirectory.from_config(alembic_config(settings)).get_current_head()
    assert head is not None
    return head


def with_connection(settings: Settings, fn: Any) -> Any:
    engine = create_engine(settings.resolved_database_url)
    try:
        with engine.connect() as c:
            return fn(c)
    finally:
        engine.dispose()


def current_revision(settings: Settings) -> str | None:
    return with_connection(  # type: ignore[no-any-return]
        settings, lambda c: MigrationContext.configure(c).get_current_revision()
    )


def drift(settings: Settings) -> list[Any]:
    """What autogenerate would write: differences between the database and the models."""
    return with_connection(  # type: ignore[no-any-return]
        settings, lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
    )


def schema(settings: Settings) -> dict[str, Any]:
    """Tables with their columns, indexes, keys and constraints, plus triggers and functions."""

    def read(c: Any) -> dict[str, Any]:
        insp = inspect(c)
        out: dict[str, Any] = {}
        for table in sorted(insp.get_table_names()):
            out[table] = {
                "columns": [(col["name"], str(col["type"]), col["nullable"])
                            for col in insp.get_columns(table)],
                "pk": insp.get_pk_constraint(table)["constrained_columns"],
                "fks": sorted((fk["name"] or "", tuple(fk["constrained_columns"]),
                               fk["referred_table"]) for fk in insp.get_foreign_keys(table)),
                "indexes": sorted((ix["name"] or "", tuple(ix["column_names"]), ix["unique"])
                                  for ix in insp.get_indexes(table)),
                "uniques": sorted((u["name"] or "", tuple(u["column_names"]))
                                  for u in insp.get_unique_constraints(table)),
            }
        out["(triggers)"] = triggers(c)
        if c.dialect.name == "postgresql":
            out["(functions)"] = sorted(c.scalars(text(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = 'public'")))
        return out

    return with_connection(settings, read)  # type: ignore[no-any-return]


def triggers(c: Any) -> list[tuple[str, str]]:
    """``(table, trigger)`` of every trigger the migrations created."""
    if c.dialect.name == "postgresql":
        rows = c.execute(text(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal"))
    else:
        rows = c.execute(text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"))
    return sorted((table, name) for table, name in rows)


def upgrades_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Running upgrade")]


def test_migrate_brings_a_fresh_database_to_the_newest_revision(settings: Settings) -> None:
    migrate(settings)
    assert current_revision(settings) == newest_revision(settings)
    tables = set(schema(settings)) - {"(triggers)", "(functions)"}
    assert tables == set(Base.metadata.tables) | {"alembic_version"}

    def head(c: Any) -> Any:
        return c.execute(text("SELECT id, seq, hash FROM audit_head")).all()

    assert with_connection(settings, head) == [(1, 0, audit.GENESIS)]
    tables_guarded = {table for table, _ in with_connection(settings, triggers)}
    assert {"audit_events", "audit_head"} <= tables_guarded


def test_second_migrate_is_a_no_op(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="alembic")
    migrate(settings)
    assert upgrades_logged(caplog), "the first run must apply the migrations"
    before = schema(settings)

    def add_marker(c: Any) -> None:
        c.execute(text("INSERT INTO organizations (name, kind) VALUES ('迁移标记', 'firm')"))
        c.commit()

    with_connection(settings, add_marker)
    caplog.clear()
    migrate(settings)
    assert upgrades_logged(caplog) == []
    assert schema(settings) == before
    assert current_revision(settings) == newest_revision(settings)

    def markers(c: Any) -> Any:
        return c.scalar(text("SELECT count(*) FROM organizations WHERE name = '迁移标记'"))

    assert with_connection(settings, markers) == 1


def test_models_and_migrations_do_not_drift(settings: Settings) -> None:
    migrate(settings)
    assert drift(settings) == []


def test_drift_is_noticed(settings: Settings) -> None:
    """The control of the test above: a schema change made outside the migrations shows."""
    migrate(settings)

    def add_column(c: Any) -> None:
        c.execute(text("ALTER TABLE projects ADD COLUMN stray INTEGER"))
        c.commit()

    with_connection(settings, add_column)
    assert any("stray" in str(diff) for diff in drift(settings))


def test_downgrade_to_base_and_upgrade_again(settings: Settings) -> None:
    migrate(settings)
    migrated = schema(settings)
    cfg = alembic_config(settings)
    command.downgrade(cfg, "base")
    emptied = schema(settings)
    assert set(emptied) - {"(triggers)", "(functions)"} == {"alembic_version"}
    assert emptied["(triggers)"] == []
    assert emptied.get("(functions)", []) == []
    assert current_revision(settings) is None
    command.upgrade(cfg, "head")
    assert schema(settings) == migrated
    assert drift(settings) == []


def test_each_revision_downgrades_and_upgrades_again(settings: Settings) -> None:
    """Step by step: every revision's downgrade undoes exactly its upgrade."""
    cfg = alembic_config(settings)
    revisions = [r.revision for r in ScriptDirectory.from_config(cfg).walk_revisions()][::-1]
    shapes = {}
    for revision in revisions:
        command.upgrade(cfg, revision)
        shapes[revision] = schema(settings)
    for previous, revision in zip(reversed(revisions[:-1]), reversed(revisions[1:]), strict=True):
        command.downgrade(cfg, previous)
        assert schema(settings) == shapes[previous], f"downgrade of {revision}"
        command.upgrade(cfg, revision)
        assert schema(settings) == shapes[revision], f"upgrade to {revision} after downgrade"
        command.downgrade(cfg, previous)


MIGRATE = (
    "import sys\n"
    "from pathlib import Path\n"
    "from review_api.db import migrate\n"
    "from review_api.settings import Settings\n"
    "migrate(Settings(data_dir=Path(sys.argv[1]), database_url=sys.argv[2]))\n"
)


def test_processes_migrating_at_once_all_succeed(settings: Settings) -> None:
    """Three processes migrate the same fresh database at the same moment, as a deployment's
    API and workers do at start: none fails, and the schema is migrated once."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE, str(settings.data_dir), settings.database_url],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(3)
    ]
    for p in procs:
        _out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-3000:]
    assert current_revision(settings) == newest_revision(settings)
    assert drift(settings) == []

    def heads(c: Any) -> Any:
        return c.scalar(text("SELECT count(*) FROM audit_head"))

    assert with_connection(settings, heads) == 1

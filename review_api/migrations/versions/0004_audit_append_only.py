"""Audit trail append-only in the database itself.

The hash chain makes tampering *visible*; these triggers make it *refused* for everyone who
connects as the platform does (a bug, an injected statement, a careless maintenance script):

- ``audit_events``: no UPDATE, no DELETE (and on PostgreSQL no TRUNCATE);
- ``audit_head``: never deleted; its ``seq`` only moves forward one step at a time, and its hash
  can only become the hash of the event that carries the head's ``seq``, so the head cannot be
  rewound to hide events removed with the guard lifted.

A database superuser can still drop the triggers; the verifier (``GET /api/audit/verify``)
detects what is done then. A later migration that rebuilds ``audit_events`` or ``audit_head``
on SQLite (batch mode copies the table) must create these triggers again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSED = "审计记录只能追加，不能修改或删除 / the audit trail is append-only"

POSTGRESQL_UP = [
    f"""
    CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{REFUSED} (% on %)', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    """
    CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
    """,
    """
    CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
    """,
    f"""
    CREATE OR REPLACE FUNCTION audit_head_forward_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'UPDATE'
           OR NEW.id <> OLD.id
           OR NEW.seq < OLD.seq
           OR NEW.seq > OLD.seq + 1
           OR (NEW.hash <> OLD.hash AND NOT EXISTS (
                   SELECT 1 FROM audit_events WHERE seq = NEW.seq AND hash = NEW.hash))
        THEN
            RAISE EXCEPTION '{REFUSED} (% on %)', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only()
    """,
    """
    CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
    """,
]

POSTGRESQL_DOWN = [
    "DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_head",
    "DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_head",
    "DROP FUNCTION IF EXISTS audit_head_forward_only()",
    "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
    "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
    "DROP FUNCTION IF EXISTS audit_events_append_only()",
]

SQLITE_UP = [
    f"""
    CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, '{REFUSED} (UPDATE on audit_events)'); END
    """,
    f"""
    CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, '{REFUSED} (DELETE on audit_events)'); END
    """,
    f"""
    CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
    WHEN NEW.id <> OLD.id
      OR NEW.seq < OLD.seq
      OR NEW.seq > OLD.seq + 1
      OR (NEW.hash <> OLD.hash AND NOT EXISTS (
              SELECT 1 FROM audit_events WHERE seq = NEW.seq AND hash = NEW.hash))
    BEGIN SELECT RAISE(ABORT, '{REFUSED} (UPDATE on audit_head)'); END
    """,
    f"""
    CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    BEGIN SELECT RAISE(ABORT, '{REFUSED} (DELETE on audit_head)'); END
    """,
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_head_no_delete",
    "DROP TRIGGER IF EXISTS audit_head_forward_only",
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
    "DROP TRIGGER IF EXISTS audit_events_no_update",
]


def _statements(up: bool) -> list[str]:
    """The dialect's statements; other databases get no guard (the chain still detects)."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        return POSTGRESQL_UP if up else POSTGRESQL_DOWN
    if dialect == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    return []


def upgrade() -> None:
    """Install the append-only guard."""
    for statement in _statements(up=True):
        op.execute(statement)


def downgrade() -> None:
    """Remove the guard (the chain itself is left as it is)."""
    for statement in _statements(up=False):
        op.execute(statement)

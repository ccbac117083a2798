"""Audit events are recorded unchained and chained right after their transaction commits.

Before this revision every audited action locked the chain head (``audit_head``) from the moment
it recorded its event until its transaction committed, so all audited writes of the platform
queued behind each other for the whole length of their requests. Now an action only inserts its
event into ``audit_pending``; the chainer (``review_api.audit.chain_pending``) moves pending events
into ``audit_events`` in commit order, holding the head only for that move.

``audit_pending`` refuses UPDATE (an event cannot be altered before it is hashed); DELETE is the
chainer's move. ``audit_events`` and ``audit_head`` keep the guards of revision 0004 unchanged.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import review_api.models

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSED = "待入链的审计记录不能修改 / a pending audit event cannot be altered"

POSTGRESQL_UP = [
    f"""
    CREATE OR REPLACE FUNCTION audit_pending_no_update() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{REFUSED} (% on %)', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    """
    CREATE TRIGGER audit_pending_no_update BEFORE UPDATE ON audit_pending
    FOR EACH ROW EXECUTE FUNCTION audit_pending_no_update()
    """,
]
POSTGRESQL_DOWN = [
    "DROP TRIGGER IF EXISTS audit_pending_no_update ON audit_pending",
    "DROP FUNCTION IF EXISTS audit_pending_no_update()",
]
SQLITE_UP = [
    f"""
    CREATE TRIGGER audit_pending_no_update BEFORE UPDATE ON audit_pending
    BEGIN SELECT RAISE(ABORT, '{REFUSED} (UPDATE on audit_pending)'); END
    """,
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_pending_no_update"]


def _statements(up: bool) -> list[str]:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        return POSTGRESQL_UP if up else POSTGRESQL_DOWN
    if dialect == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    return []


def upgrade() -> None:
    """Create the pending table and its guard."""
    op.create_table(
        "audit_pending",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("at", review_api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=40), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_pending_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_pending")),
    )
    for statement in _statements(up=True):
        op.execute(statement)


def downgrade() -> None:
    """Drop the pending table (chain its events first: ``audit.chain_pending``)."""
    for statement in _statements(up=False):
        op.execute(statement)
    op.drop_table("audit_pending")

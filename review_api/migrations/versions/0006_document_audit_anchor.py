"""Issued documents record the audit chain's head at issue (``audit_seq``, ``audit_hash``).

The head is also printed in the signed PDF, so a chain rewritten consistently from some event
on (possible for someone who can lift the database guard) no longer matches what documents in
other people's hands say; ``GET /api/audit/verify`` compares the two.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Two nullable columns: documents issued before this revision have no anchor."""
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audit_seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("audit_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop the anchor columns."""
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("audit_hash")
        batch_op.drop_column("audit_seq")

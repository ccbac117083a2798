"""Uploads started per user, for the per-user upload rate (429 beyond it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 05:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import review_api.models

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The table of started uploads (rows older than a minute are purged by the sweep)."""
    op.create_table(
        "upload_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", review_api.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_upload_attempts_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_attempts")),
    )
    with op.batch_alter_table("upload_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_upload_attempts_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("upload_attempts")

"""A message can be erased once sent (the confirmation of an account's erasure)

Revision ID: 5f2c8e1d7a30
Revises: 7e1b5c3a9d20
Create Date: 2026-12-02 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5f2c8e1d7a30"
down_revision: str | None = "7e1b5c3a9d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "outbox_messages",
        sa.Column("erase_once_sent", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("outbox_messages", "erase_once_sent")

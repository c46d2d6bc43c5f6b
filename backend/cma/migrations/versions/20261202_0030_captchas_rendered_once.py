"""A captcha's image and audio are rendered once and kept with it

Revision ID: 7e1b5c3a9d20
Revises: dccbe68abfd2
Create Date: 2026-12-02 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7e1b5c3a9d20"
down_revision: str | None = "dccbe68abfd2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("captchas", sa.Column("image", sa.LargeBinary(), nullable=True))
    op.add_column("captchas", sa.Column("audio", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("captchas", "audio")
    op.drop_column("captchas", "image")

"""A receipt for each submitted basket

"Valider mon panier" said only that the applications were filed. A learner who calls the
City, or wants proof of what was filed and when, now has a reference, the time, and the courses
in their order, on the page and in the confirmation mail.

Revision ID: 3d7b1f5a9e42
Revises: b3e7a1d9c402
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3d7b1f5a9e42"
down_revision: str | None = "b3e7a1d9c402"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "receipts",
        sa.Column("reference", sa.String(13), primary_key=True),
        sa.Column(
            "learner_id",
            sa.Uuid(),
            sa.ForeignKey(
                "learners.id", ondelete="CASCADE", name="fk_receipts_learner_id_learners"
            ),
            nullable=False,
        ),
        sa.Column(
            "campaign_id",
            sa.BigInteger(),
            sa.ForeignKey("campaigns.id", name="fk_receipts_campaign_id_campaigns"),
            nullable=False,
        ),
        sa.Column(
            "submitted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("courses", postgresql.JSONB(), nullable=False),
        sa.CheckConstraint(
            r"reference ~ '^CMA-[A-Z0-9]{4}-[A-Z0-9]{4}$'", name="ck_receipts_reference"
        ),
        sa.CheckConstraint("jsonb_typeof(courses) = 'array'", name="ck_receipts_courses"),
    )
    op.create_index(
        "ix_receipts_learner_campaign", "receipts", ["learner_id", "campaign_id", "submitted_at"]
    )


def downgrade() -> None:
    op.drop_table("receipts")

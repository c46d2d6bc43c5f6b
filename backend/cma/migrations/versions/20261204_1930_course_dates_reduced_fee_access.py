"""A course's first and last day and its reduced fee; a venue's access

A course page said neither when the course starts and ends, nor what a learner entitled to the
reduced rate pays, nor whether the venue can be reached without steps.

Revision ID: 6c2e8a4f1b73
Revises: 3d7b1f5a9e42
Create Date: 2026-12-04 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6c2e8a4f1b73"
down_revision: str | None = "3d7b1f5a9e42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("courses", sa.Column("starts_on", sa.Date(), nullable=True))
    op.add_column("courses", sa.Column("ends_on", sa.Date(), nullable=True))
    op.add_column("courses", sa.Column("reduced_fee", sa.Numeric(7, 2), nullable=True))
    op.create_check_constraint(
        "dates", "courses", "(starts_on IS NULL) = (ends_on IS NULL) AND starts_on <= ends_on"
    )
    op.create_check_constraint("reduced_fee", "courses", "reduced_fee BETWEEN 0 AND fee")
    op.add_column("venues", sa.Column("step_free", sa.Boolean(), nullable=True))
    op.add_column("venues", sa.Column("access", sa.String(300), nullable=True))
    op.create_check_constraint(
        "access_text", "venues", "btrim(access) <> '' AND access !~ '[[:cntrl:]]'"
    )


def downgrade() -> None:
    op.drop_constraint("ck_venues_access_text", "venues")
    op.drop_column("venues", "access")
    op.drop_column("venues", "step_free")
    op.drop_constraint("ck_courses_reduced_fee", "courses")
    op.drop_constraint("ck_courses_dates", "courses")
    op.drop_column("courses", "reduced_fee")
    op.drop_column("courses", "ends_on")
    op.drop_column("courses", "starts_on")

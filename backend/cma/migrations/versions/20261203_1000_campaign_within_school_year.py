"""A campaign's dates fall within its school year

A campaign of 2026-2027 whose applications opened on 0001-01-01 was kept: the API and the
database took any date. Its dates now lie between January of the first year and December of
the second, in the API (an error on the field) and here.

Revision ID: 5c8a2f6e0b14
Revises: 3b7d9e4f1a62
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5c8a2f6e0b14"
down_revision: str | None = "3b7d9e4f1a62"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_check_constraint(
        "within_school_year",
        "campaigns",
        "extract(year FROM application_start) >= substr(school_year, 1, 4)::int "
        "AND extract(year FROM response_end) <= substr(school_year, 6, 4)::int",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_campaigns_within_school_year"), "campaigns", type_="check")

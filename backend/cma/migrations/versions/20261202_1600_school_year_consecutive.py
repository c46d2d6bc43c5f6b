"""A campaign's school year is two years that follow each other

"2026-2020" matched the format and was kept: the school year a learner and the staff read
was then impossible. The database now refuses it, as the API does.

Revision ID: 3b7d9e4f1a62
Revises: 9a4e6b2c7d15
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3b7d9e4f1a62"
down_revision: str | None = "9a4e6b2c7d15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_check_constraint(
        "school_year_consecutive",
        "campaigns",
        "substr(school_year, 6, 4)::int = substr(school_year, 1, 4)::int + 1",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_campaigns_school_year_consecutive"), "campaigns", type_="check")

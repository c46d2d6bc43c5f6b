"""A course in a basket or with applications stays in its campaign

Moving such a course to another campaign carried its lines along (ON UPDATE CASCADE): a
basket could then hold two campaigns' courses, and an allocated course's seats and waiting
list passed to a campaign whose allocation knew nothing of them. The move is now refused.

Revision ID: 9a4e6b2c7d15
Revises: 5f2c8e1d7a30
Create Date: 2026-12-02 00:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9a4e6b2c7d15"
down_revision: str | None = "5f2c8e1d7a30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recreate(**options: str) -> None:
    for table in ("applications", "basket_items"):
        op.drop_constraint(f"fk_{table}_course_campaign", table, type_="foreignkey")
        op.create_foreign_key(
            f"fk_{table}_course_campaign",
            table,
            "courses",
            ["course_code", "campaign_id"],
            ["code", "campaign_id"],
            **options,
        )


def upgrade() -> None:
    _recreate()


def downgrade() -> None:
    _recreate(onupdate="CASCADE")

"""A basket line's, and an application's, campaign is its course's

A basket could mix the courses of two open campaigns, and its submission stamped them all with
the first one's campaign, which its allocation then could not read. Lines now refer to their
course together with its campaign. Lines already mixed are put right first: a basket line of
another campaign is dropped, an application of one is withdrawn (its learner applies again).

Revision ID: dccbe68abfd2
Revises: 3c7d2a9e41f0
Create Date: 2026-12-02 00:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "dccbe68abfd2"
down_revision: str | None = "3c7d2a9e41f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM basket_items b USING courses c "
        "WHERE c.code = b.course_code AND b.campaign_id <> c.campaign_id"
    )
    op.execute(
        "UPDATE applications a SET status = 'withdrawn', withdrawn_at = now() FROM courses c "
        "WHERE c.code = a.course_code AND a.campaign_id <> c.campaign_id "
        "AND a.status = 'submitted'"
    )
    # What is left mismatched was decided already: it keeps its course's campaign.
    op.execute(
        "UPDATE applications a SET campaign_id = c.campaign_id FROM courses c "
        "WHERE c.code = a.course_code AND a.campaign_id <> c.campaign_id"
    )
    op.create_unique_constraint("uq_courses_code_campaign", "courses", ["code", "campaign_id"])
    for table in ("applications", "basket_items"):
        op.create_foreign_key(
            f"fk_{table}_course_campaign",
            table,
            "courses",
            ["course_code", "campaign_id"],
            ["code", "campaign_id"],
            onupdate="CASCADE",
        )


def downgrade() -> None:
    for table in ("basket_items", "applications"):
        op.drop_constraint(f"fk_{table}_course_campaign", table, type_="foreignkey")
    op.drop_constraint("uq_courses_code_campaign", "courses", type_="unique")

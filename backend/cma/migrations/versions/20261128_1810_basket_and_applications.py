"""basket and applications

Revision ID: cb9620868e37
Revises: 1df63678acc6
Create Date: 2026-11-28 18:10:51.554535
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cb9620868e37"
down_revision: str | None = "1df63678acc6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("course_code", sa.String(length=10), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("priority_situation", sa.String(length=32), nullable=True),
        sa.Column("previous_level", sa.String(length=200), nullable=True),
        sa.Column("motivation", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="submitted", nullable=False),
        sa.Column(
            "submitted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(status = 'withdrawn') = (withdrawn_at IS NOT NULL)",
            name=op.f("ck_applications_withdrawn_at"),
        ),
        sa.CheckConstraint(
            "priority_situation IN ('aucune', 'demandeur_emploi', 'rsa', 'autre_minima_sociaux')",
            name=op.f("ck_basket_items_priority_situation"),
        ),
        sa.CheckConstraint(
            "status IN ('submitted', 'withdrawn')", name=op.f("ck_applications_status")
        ),
        sa.CheckConstraint("rank BETWEEN 1 AND 10", name=op.f("ck_basket_items_rank")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_applications_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["course_code"], ["courses.code"], name=op.f("fk_applications_course_code_courses")
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_applications_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    op.create_index(
        "ix_applications_campaign_course",
        "applications",
        ["campaign_id", "course_code"],
        unique=False,
    )
    op.create_index(
        "uq_applications_course", "applications", ["learner_id", "course_code"], unique=True
    )
    op.create_index(
        "uq_applications_rank",
        "applications",
        ["learner_id", "campaign_id", "rank"],
        unique=True,
        postgresql_where=sa.text("status = 'submitted'"),
    )
    op.create_table(
        "basket_items",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("course_code", sa.String(length=10), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("priority_situation", sa.String(length=32), nullable=True),
        sa.Column("previous_level", sa.String(length=200), nullable=True),
        sa.Column("motivation", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "priority_situation IN ('aucune', 'demandeur_emploi', 'rsa', 'autre_minima_sociaux')",
            name=op.f("ck_basket_items_priority_situation"),
        ),
        sa.CheckConstraint("rank BETWEEN 1 AND 10", name=op.f("ck_basket_items_rank")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_basket_items_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["course_code"], ["courses.code"], name=op.f("fk_basket_items_course_code_courses")
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_basket_items_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_basket_items")),
    )
    op.create_index(
        "uq_basket_items_course", "basket_items", ["learner_id", "course_code"], unique=True
    )
    op.create_index(
        "uq_basket_items_rank", "basket_items", ["learner_id", "campaign_id", "rank"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_basket_items_rank", table_name="basket_items")
    op.drop_index("uq_basket_items_course", table_name="basket_items")
    op.drop_table("basket_items")
    op.drop_index(
        "uq_applications_rank",
        table_name="applications",
        postgresql_where=sa.text("status = 'submitted'"),
    )
    op.drop_index("uq_applications_course", table_name="applications")
    op.drop_index("ix_applications_campaign_course", table_name="applications")
    op.drop_table("applications")

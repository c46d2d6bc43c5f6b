"""learners and pairing

Revision ID: 1df63678acc6
Revises: e9c9ff683671
Create Date: 2026-11-28 17:58:13.422620
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "1df63678acc6"
down_revision: str | None = "e9c9ff683671"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "legacy_accounts",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("title", sa.String(length=3), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("birth_name", sa.String(length=100), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("birth_country", sa.String(length=2), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("address_2", sa.String(length=200), nullable=True),
        sa.Column("address_3", sa.String(length=200), nullable=True),
        sa.Column("postal_code", sa.String(length=5), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("mobile_phone", sa.String(length=16), nullable=True),
        sa.Column("landline_phone", sa.String(length=16), nullable=True),
        sa.Column("heard_from", sa.String(length=32), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "birth_country ~ '^[A-Z]{2}$'", name=op.f("ck_legacy_accounts_birth_country")
        ),
        sa.CheckConstraint(
            "heard_from IN ('mairie_arrondissement', 'connaissance', 'reseaux_sociaux', 'internet', 'affichage', 'autre')",
            name=op.f("ck_legacy_accounts_heard_from"),
        ),
        sa.CheckConstraint(
            "landline_phone ~ '^\\+[1-9][0-9]{6,14}$'",
            name=op.f("ck_legacy_accounts_landline_phone"),
        ),
        sa.CheckConstraint(
            "mobile_phone ~ '^\\+[1-9][0-9]{6,14}$'", name=op.f("ck_legacy_accounts_mobile_phone")
        ),
        sa.CheckConstraint(
            "postal_code ~ '^[0-9]{5}$'", name=op.f("ck_legacy_accounts_postal_code")
        ),
        sa.CheckConstraint("title IN ('M', 'Mme')", name=op.f("ck_legacy_accounts_title")),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_legacy_accounts_email_lower")),
        sa.CheckConstraint(
            "linked_at IS NULL OR password_hash IS NULL",
            name=op.f("ck_legacy_accounts_no_password_once_linked"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legacy_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_legacy_accounts_email")),
    )
    op.create_table(
        "learners",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("legacy_account_id", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.String(length=3), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("birth_name", sa.String(length=100), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("birth_country", sa.String(length=2), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("address_2", sa.String(length=200), nullable=True),
        sa.Column("address_3", sa.String(length=200), nullable=True),
        sa.Column("postal_code", sa.String(length=5), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("mobile_phone", sa.String(length=16), nullable=True),
        sa.Column("landline_phone", sa.String(length=16), nullable=True),
        sa.Column("heard_from", sa.String(length=32), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "birth_country ~ '^[A-Z]{2}$'", name=op.f("ck_legacy_accounts_birth_country")
        ),
        sa.CheckConstraint(
            "heard_from IN ('mairie_arrondissement', 'connaissance', 'reseaux_sociaux', 'internet', 'affichage', 'autre')",
            name=op.f("ck_legacy_accounts_heard_from"),
        ),
        sa.CheckConstraint(
            "landline_phone ~ '^\\+[1-9][0-9]{6,14}$'",
            name=op.f("ck_legacy_accounts_landline_phone"),
        ),
        sa.CheckConstraint(
            "mobile_phone ~ '^\\+[1-9][0-9]{6,14}$'", name=op.f("ck_legacy_accounts_mobile_phone")
        ),
        sa.CheckConstraint("postal_code ~ '^[0-9]{5}$'", name=op.f("ck_learners_postal_code")),
        sa.CheckConstraint("title IN ('M', 'Mme')", name=op.f("ck_legacy_accounts_title")),
        sa.CheckConstraint(
            "mobile_phone IS NOT NULL OR landline_phone IS NOT NULL",
            name=op.f("ck_learners_at_least_one_phone"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_learners_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["legacy_account_id"],
            ["legacy_accounts.id"],
            name=op.f("fk_learners_legacy_account_id_legacy_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learners")),
        sa.UniqueConstraint("account_id", name=op.f("uq_learners_account_id")),
        sa.UniqueConstraint("legacy_account_id", name=op.f("uq_learners_legacy_account_id")),
    )
    op.create_table(
        "legacy_password_resets",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("legacy_account_id", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "expires_at > created_at", name=op.f("ck_legacy_password_resets_expiry")
        ),
        sa.ForeignKeyConstraint(
            ["legacy_account_id"],
            ["legacy_accounts.id"],
            name=op.f("fk_legacy_password_resets_legacy_account_id_legacy_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legacy_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_legacy_password_resets_token_hash")),
    )
    op.create_index(
        "uq_legacy_password_resets_live",
        "legacy_password_resets",
        ["legacy_account_id"],
        unique=True,
        postgresql_where=sa.text("consumed_at IS NULL"),
    )
    op.create_table(
        "link_audit",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("legacy_account_id", sa.BigInteger(), nullable=True),
        sa.Column("client_address", postgresql.INET(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('wrong_password', 'throttled', 'no_password', 'already_linked', 'ticket_issued', 'ticket_invalid', 'linked', 'conflict')",
            name=op.f("ck_link_audit_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_link_audit_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["legacy_account_id"],
            ["legacy_accounts.id"],
            name=op.f("fk_link_audit_legacy_account_id_legacy_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_audit")),
    )
    op.create_index(op.f("ix_link_audit_account_id"), "link_audit", ["account_id"], unique=False)
    op.create_index(op.f("ix_link_audit_at"), "link_audit", ["at"], unique=False)
    op.create_index(
        op.f("ix_link_audit_legacy_account_id"), "link_audit", ["legacy_account_id"], unique=False
    )
    op.create_table(
        "pairing_tickets",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("legacy_account_id", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("expires_at > created_at", name=op.f("ck_pairing_tickets_expiry")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_pairing_tickets_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["legacy_account_id"],
            ["legacy_accounts.id"],
            name=op.f("fk_pairing_tickets_legacy_account_id_legacy_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairing_tickets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_pairing_tickets_token_hash")),
    )
    op.create_index(
        "uq_pairing_tickets_live",
        "pairing_tickets",
        ["account_id"],
        unique=True,
        postgresql_where=sa.text("consumed_at IS NULL"),
    )
    op.create_table(
        "training_history",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("legacy_account_id", sa.BigInteger(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("course_code", sa.String(length=20), nullable=False),
        sa.Column("course_title", sa.String(length=200), nullable=False),
        sa.Column("result", sa.String(length=100), nullable=True),
        sa.CheckConstraint("year BETWEEN 1950 AND 2100", name=op.f("ck_training_history_year")),
        sa.ForeignKeyConstraint(
            ["legacy_account_id"],
            ["legacy_accounts.id"],
            name=op.f("fk_training_history_legacy_account_id_legacy_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_history")),
        sa.UniqueConstraint(
            "legacy_account_id", "year", "course_code", name="uq_training_history_row"
        ),
    )
    op.create_index(
        op.f("ix_training_history_legacy_account_id"),
        "training_history",
        ["legacy_account_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_training_history_legacy_account_id"), table_name="training_history")
    op.drop_table("training_history")
    op.drop_index(
        "uq_pairing_tickets_live",
        table_name="pairing_tickets",
        postgresql_where=sa.text("consumed_at IS NULL"),
    )
    op.drop_table("pairing_tickets")
    op.drop_index(op.f("ix_link_audit_legacy_account_id"), table_name="link_audit")
    op.drop_index(op.f("ix_link_audit_at"), table_name="link_audit")
    op.drop_index(op.f("ix_link_audit_account_id"), table_name="link_audit")
    op.drop_table("link_audit")
    op.drop_index(
        "uq_legacy_password_resets_live",
        table_name="legacy_password_resets",
        postgresql_where=sa.text("consumed_at IS NULL"),
    )
    op.drop_table("legacy_password_resets")
    op.drop_table("learners")
    op.drop_table("legacy_accounts")

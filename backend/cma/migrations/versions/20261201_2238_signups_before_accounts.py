"""Sign-ups before accounts; jobs; security events; links bound to the address

An account now exists only once its mailbox is proven: a sign-up waits in `signups` with the
password chosen on its form, and becomes an account when its link is followed with that
password. Pending accounts become sign-ups (their live activation link keeps working, with the
password), and are removed from `accounts`.

Revision ID: e2ea68bd7ec3
Revises: ed54b9cfbfd8
Create Date: 2026-12-01 22:38:12.375208
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e2ea68bd7ec3"
down_revision: str | None = "ed54b9cfbfd8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_next_attempt_at"), "jobs", ["next_attempt_at"], unique=False)

    op.create_table(
        "signups",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("kind", sa.String(length=16), server_default="sign_up", nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("mobile_phone", sa.String(length=16), nullable=True),
        sa.Column(
            "accept_information", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("terms_version", sa.String(length=32), nullable=True),
        sa.Column("invited_by", sa.String(length=200), nullable=True),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "(kind = 'sign_up') = (terms_version IS NOT NULL)", name=op.f("ck_signups_terms")
        ),
        sa.CheckConstraint(
            "consumed_at IS NOT NULL OR (kind = 'sign_up') = (password_hash IS NOT NULL)",
            name=op.f("ck_signups_password_hash"),
        ),
        sa.CheckConstraint("kind IN ('sign_up', 'invitation')", name=op.f("ck_signups_kind")),
        sa.CheckConstraint(
            "mobile_phone ~ '^\\+[1-9][0-9]{6,14}$'", name=op.f("ck_signups_mobile_phone_e164")
        ),
        sa.CheckConstraint(
            "consumed_at IS NULL OR password_hash IS NULL", name=op.f("ck_signups_used_keeps_none")
        ),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_signups_email_lower")),
        sa.CheckConstraint("expires_at > created_at", name=op.f("ck_signups_expiry")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signups")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_signups_token_hash")),
    )
    op.create_index(op.f("ix_signups_email"), "signups", ["email"], unique=False)
    # A used sign-up cannot be used again (the function of 20261128_1644).
    op.execute(
        "CREATE TRIGGER signups_single_use BEFORE UPDATE OF consumed_at ON signups "
        "FOR EACH ROW EXECUTE FUNCTION keep_consumed()"
    )

    op.create_table(
        "security_events",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.CheckConstraint(
            "kind IN ('staff_granted', 'staff_invited', 'invitation_accepted', 'staff_revoked')",
            name=op.f("ck_security_events_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_security_events_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_events")),
    )
    op.create_index(
        op.f("ix_security_events_account_id"), "security_events", ["account_id"], unique=False
    )
    op.create_index(op.f("ix_security_events_at"), "security_events", ["at"], unique=False)

    # Pending accounts become sign-ups; their live activation link carries over.
    op.execute(
        """
        INSERT INTO signups (id, kind, email, password_hash, mobile_phone, accept_information,
                             terms_version, token_hash, created_at, expires_at)
        SELECT a.id, 'sign_up', a.email, a.password_hash, a.mobile_phone,
               EXISTS (SELECT 1 FROM subscriptions s
                       WHERE s.account_id = a.id AND s.topic = 'information_mairie'),
               a.terms_version, t.token_hash, a.terms_accepted_at,
               greatest(coalesce(t.expires_at, a.created_at + interval '48 hours'),
                        a.terms_accepted_at + interval '1 second')
        FROM accounts a
        LEFT JOIN account_tokens t
               ON t.account_id = a.id AND t.purpose = 'activation' AND t.consumed_at IS NULL
        WHERE a.status = 'pending'
        """
    )
    op.execute("DELETE FROM accounts WHERE status = 'pending'")
    op.execute("DELETE FROM account_tokens WHERE purpose = 'activation'")
    op.drop_constraint(op.f("ck_account_tokens_purpose"), "account_tokens", type_="check")
    op.create_check_constraint(
        op.f("ck_account_tokens_purpose"),
        "account_tokens",
        "purpose IN ('password_reset', 'email_change')",
    )
    op.drop_constraint(op.f("ck_accounts_activated_at"), "accounts", type_="check")
    op.drop_constraint(op.f("ck_accounts_status"), "accounts", type_="check")
    op.create_check_constraint(op.f("ck_accounts_status"), "accounts", "status IN ('active')")
    op.alter_column("accounts", "status", server_default="active")
    op.alter_column("accounts", "activated_at", server_default=NOW, nullable=False)

    # Links are bound to the address too: one issued before a change of address is dead.
    op.add_column(
        "accounts", sa.Column("email_changed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute("UPDATE accounts SET email_changed_at = created_at")
    op.alter_column("accounts", "email_changed_at", server_default=NOW, nullable=False)


def downgrade() -> None:
    op.drop_column("accounts", "email_changed_at")
    op.alter_column("accounts", "activated_at", server_default=None, nullable=True)
    op.alter_column("accounts", "status", server_default="pending")
    op.drop_constraint(op.f("ck_accounts_status"), "accounts", type_="check")
    op.create_check_constraint(
        op.f("ck_accounts_status"), "accounts", "status IN ('pending', 'active')"
    )
    op.create_check_constraint(
        op.f("ck_accounts_activated_at"),
        "accounts",
        "(status = 'active') = (activated_at IS NOT NULL)",
    )
    op.drop_constraint(op.f("ck_account_tokens_purpose"), "account_tokens", type_="check")
    op.create_check_constraint(
        op.f("ck_account_tokens_purpose"),
        "account_tokens",
        "purpose IN ('activation', 'password_reset', 'email_change')",
    )
    # The latest live sign-up of each address without an account becomes a pending account.
    op.execute(
        """
        INSERT INTO accounts (id, email, password_hash, status, mobile_phone, terms_version,
                              terms_accepted_at, created_at)
        SELECT DISTINCT ON (s.email) s.id, s.email, s.password_hash, 'pending', s.mobile_phone,
               s.terms_version, s.created_at, s.created_at
        FROM signups s
        WHERE s.kind = 'sign_up' AND s.consumed_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.email = s.email)
        ORDER BY s.email, s.created_at DESC
        """
    )
    op.execute(
        """
        INSERT INTO account_tokens (account_id, purpose, token_hash, expires_at, created_at)
        SELECT s.id, 'activation', s.token_hash, s.expires_at, s.created_at
        FROM signups s JOIN accounts a ON a.id = s.id
        WHERE a.status = 'pending' AND s.token_hash IS NOT NULL
        """
    )
    op.drop_index(op.f("ix_security_events_at"), table_name="security_events")
    op.drop_index(op.f("ix_security_events_account_id"), table_name="security_events")
    op.drop_table("security_events")
    op.drop_index(op.f("ix_signups_email"), table_name="signups")
    op.drop_table("signups")
    op.drop_index(op.f("ix_jobs_next_attempt_at"), table_name="jobs")
    op.drop_table("jobs")

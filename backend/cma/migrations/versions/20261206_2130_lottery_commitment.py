"""The lottery's secret, committed on the calendar; the allocation's inputs digest; its trail

The committing staff member chose the seed. Now each campaign is born with a secret drawn by
the database, whose hash the calendar publishes, and which no update can change; the seed is
the hash of the secret and of the allocation's inputs; every preview and commit is written to
`allocation_events` with who, when and the inputs' digest. An offer's reminder is noted on
its application; `auto_responders` are the learners who let a better seat be taken for them.

Revision ID: 8e1f4c2a7d90
Revises: 6c2e8a4f1b73
Create Date: 2026-12-06 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8e1f4c2a7d90"
down_revision: str | None = "6c2e8a4f1b73"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported: a migration stays what it was when it landed.
REASONS = (
    "'seats_for_all', 'selected', 'course_full', 'cap_reached', 'promoted', "
    "'course_cancelled', 'swapped'"
)
# 32 bytes of two random UUIDs: 244 bits from the server's strong random source.
RANDOM_32_BYTES = (
    "decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex')"
)


def upgrade() -> None:
    op.add_column(
        "campaigns",
        sa.Column(
            "lottery_secret",
            sa.LargeBinary(32),
            server_default=sa.text(RANDOM_32_BYTES),
            nullable=False,
        ),
    )
    op.create_check_constraint("lottery_secret", "campaigns", "octet_length(lottery_secret) = 32")
    op.execute(
        """
        CREATE FUNCTION keep_lottery_secret() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.lottery_secret IS DISTINCT FROM OLD.lottery_secret THEN
                RAISE EXCEPTION 'a campaign''s lottery secret is committed: it never changes'
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER campaigns_keep_lottery_secret BEFORE UPDATE OF lottery_secret "
        "ON campaigns FOR EACH ROW EXECUTE FUNCTION keep_lottery_secret()"
    )
    # Runs committed before: their seed was chosen, their inputs were not digested ('').
    op.add_column(
        "allocation_runs",
        sa.Column("inputs_digest", sa.String(64), server_default="", nullable=False),
    )
    op.alter_column("allocation_runs", "inputs_digest", server_default=None)
    op.create_check_constraint(
        "inputs_digest", "allocation_runs", "inputs_digest ~ '^([0-9a-f]{64})?$'"
    )
    op.add_column("allocation_runs", sa.Column("published", sa.LargeBinary()))
    op.create_table(
        "allocation_events",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("campaign_id", sa.BigInteger(), sa.ForeignKey("campaigns.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("account_id", sa.Uuid(), sa.ForeignKey("accounts.id", ondelete="SET NULL")),
        sa.Column("inputs_digest", sa.String(64), nullable=False),
        sa.Column("applications_digest", sa.String(64), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("kind IN ('preview', 'commit')", name="kind"),
        sa.CheckConstraint("inputs_digest ~ '^[0-9a-f]{64}$'", name="inputs_digest"),
        sa.CheckConstraint("applications_digest ~ '^[0-9a-f]{64}$'", name="applications_digest"),
    )
    op.create_index("ix_allocation_events_campaign_id", "allocation_events", ["campaign_id"])
    # The waiting list lives on: the day-before reminder of an offer, and the learners who let
    # a better seat be accepted for them ("répondeur automatique").
    op.add_column("applications", sa.Column("reminded_at", sa.DateTime(timezone=True)))
    # A seat freed because its learner took one they ranked higher.
    op.drop_constraint(op.f("ck_applications_reason"), "applications", type_="check")
    op.create_check_constraint("reason", "applications", f"reason IN ({REASONS})")
    op.create_table(
        "auto_responders",
        sa.Column(
            "learner_id",
            sa.Uuid(),
            sa.ForeignKey("learners.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("campaign_id", sa.BigInteger(), sa.ForeignKey("campaigns.id"), primary_key=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )


def downgrade() -> None:
    op.execute("UPDATE applications SET reason = 'cap_reached' WHERE reason = 'swapped'")
    op.drop_constraint(op.f("ck_applications_reason"), "applications", type_="check")
    before = REASONS.replace(", 'swapped'", "")
    op.create_check_constraint("reason", "applications", f"reason IN ({before})")
    op.drop_table("auto_responders")
    op.drop_column("applications", "reminded_at")
    op.drop_table("allocation_events")
    op.drop_column("allocation_runs", "published")
    op.drop_column("allocation_runs", "inputs_digest")
    op.execute("DROP TRIGGER campaigns_keep_lottery_secret ON campaigns")
    op.execute("DROP FUNCTION keep_lottery_secret()")
    op.drop_column("campaigns", "lottery_secret")

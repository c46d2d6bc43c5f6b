"""allocation, responses and SMS

The seats a course gives are checked by the database: a statement trigger counts the
applications holding a seat (offered or confirmed) of every course a statement touches, after
locking those courses in code order, so two transactions can never both take the last seat.

Revision ID: ed54b9cfbfd8
Revises: cb9620868e37
Create Date: 2026-11-28 18:42:27.576900
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from cma.enrolment.models import ALLOCATED, REASONS, STATUSES

revision: str = "ed54b9cfbfd8"
down_revision: str | None = "cb9620868e37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "allocation_runs",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("cap", sa.SmallInteger(), nullable=False),
        sa.Column("committed_by", sa.Uuid(), nullable=True),
        sa.Column("report", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_allocation_runs_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["committed_by"],
            ["accounts.id"],
            name=op.f("fk_allocation_runs_committed_by_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_runs")),
        sa.UniqueConstraint("campaign_id", name=op.f("uq_allocation_runs_campaign_id")),
    )
    op.create_table(
        "response_mails",
        sa.Column("allocation_run_id", sa.BigInteger(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["allocation_run_id"],
            ["allocation_runs.id"],
            name=op.f("fk_response_mails_allocation_run_id_allocation_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_response_mails_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("allocation_run_id", "learner_id", name=op.f("pk_response_mails")),
    )
    op.add_column("applications", sa.Column("allocation_run_id", sa.BigInteger(), nullable=True))
    op.add_column("applications", sa.Column("outcome", sa.String(length=16), nullable=True))
    op.add_column("applications", sa.Column("tier", sa.SmallInteger(), nullable=True))
    op.add_column("applications", sa.Column("draw", sa.BigInteger(), nullable=True))
    op.add_column("applications", sa.Column("reason", sa.String(length=32), nullable=True))
    op.add_column("applications", sa.Column("waitlist_rank", sa.Integer(), nullable=True))
    op.add_column("applications", sa.Column("offer_deadline", sa.Date(), nullable=True))
    op.add_column(
        "applications", sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "uq_applications_waitlist",
        "applications",
        ["course_code", "waitlist_rank"],
        unique=True,
        postgresql_where=sa.text("waitlist_rank IS NOT NULL"),
    )
    op.create_foreign_key(
        op.f("fk_applications_allocation_run_id_allocation_runs"),
        "applications",
        "allocation_runs",
        ["allocation_run_id"],
        ["id"],
    )
    op.add_column(
        "campaigns",
        sa.Column("max_accepted", sa.SmallInteger(), server_default="2", nullable=False),
    )
    op.add_column(
        "campaigns",
        sa.Column("confirm_days", sa.SmallInteger(), server_default="7", nullable=False),
    )
    op.add_column(
        "courses",
        sa.Column(
            "prerequisite_codes",
            postgresql.ARRAY(sa.String(length=20)),
            server_default=sa.text("'{}'::varchar[]"),
            nullable=False,
        ),
    )
    op.add_column("courses", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "outbox_messages",
        sa.Column("channel", sa.String(length=8), server_default="mail", nullable=False),
    )
    op.drop_index(
        op.f("ix_outbox_messages_due"),
        table_name="outbox_messages",
        postgresql_where="((status)::text = 'pending'::text)",
    )
    op.create_index(
        "ix_outbox_messages_due",
        "outbox_messages",
        ["channel", "next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_applications_allocation_run_id", "applications", ["allocation_run_id"], unique=False
    )
    op.drop_constraint(op.f("ck_applications_status"), "applications", type_="check")
    op.create_check_constraint(
        op.f("ck_applications_status"), "applications", f"status IN ({STATUSES})"
    )
    for name, condition in {
        "reason": f"reason IN ({REASONS})",
        "allocated": f"status NOT IN ({ALLOCATED}) OR (allocation_run_id IS NOT NULL AND "
        "reason IS NOT NULL AND tier IS NOT NULL AND draw IS NOT NULL AND outcome IS NOT NULL)",
        "offer_deadline": "status NOT IN ('offered', 'confirmed', 'declined', 'expired') "
        "OR offer_deadline IS NOT NULL",
        "waitlist_rank": "status <> 'waitlisted' OR waitlist_rank IS NOT NULL",
        "tier": "tier BETWEEN 1 AND 4",
        "outcome": "outcome IN ('offered', 'waitlisted', 'not_retained')",
    }.items():
        op.create_check_constraint(op.f(f"ck_applications_{name}"), "applications", condition)
    op.create_check_constraint(
        op.f("ck_campaigns_max_accepted"), "campaigns", "max_accepted BETWEEN 1 AND max_courses"
    )
    op.create_check_constraint(
        op.f("ck_campaigns_confirm_days"), "campaigns", "confirm_days BETWEEN 1 AND 60"
    )
    op.create_check_constraint(
        op.f("ck_outbox_messages_channel"), "outbox_messages", "channel IN ('mail', 'sms')"
    )
    op.create_check_constraint(
        op.f("ck_outbox_messages_sms_recipient"),
        "outbox_messages",
        r"channel = 'mail' OR recipient ~ '^\+[1-9][0-9]{6,14}$'",
    )
    op.execute(CAPACITY)
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER applications_capacity_{event.lower()} AFTER {event} ON applications "
            "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT "
            "EXECUTE FUNCTION cma_check_capacity()"
        )
    op.execute(SEATS)
    op.execute(
        "CREATE TRIGGER courses_seats BEFORE UPDATE OF seats ON courses "
        "FOR EACH ROW EXECUTE FUNCTION cma_check_seats()"
    )


CAPACITY = """
CREATE FUNCTION cma_check_capacity() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    full_course text;
BEGIN
    -- Serialise the writers of each course's seats; the count below then sees theirs.
    PERFORM 1 FROM courses
     WHERE code IN (SELECT course_code FROM changed WHERE status IN ('offered', 'confirmed'))
     ORDER BY code FOR NO KEY UPDATE;
    SELECT c.code INTO full_course FROM courses c
     WHERE c.code IN (SELECT course_code FROM changed WHERE status IN ('offered', 'confirmed'))
       AND c.seats < (SELECT count(*) FROM applications a
                       WHERE a.course_code = c.code AND a.status IN ('offered', 'confirmed'))
     LIMIT 1;
    IF full_course IS NOT NULL THEN
        RAISE EXCEPTION 'course % would be over capacity', full_course
              USING ERRCODE = 'check_violation', CONSTRAINT = 'course_capacity';
    END IF;
    RETURN NULL;
END $$
"""

SEATS = """
CREATE FUNCTION cma_check_seats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seats < (SELECT count(*) FROM applications
                     WHERE course_code = NEW.code AND status IN ('offered', 'confirmed')) THEN
        RAISE EXCEPTION 'course % has more learners than % seats', NEW.code, NEW.seats
              USING ERRCODE = 'check_violation', CONSTRAINT = 'course_capacity';
    END IF;
    RETURN NEW;
END $$
"""


def downgrade() -> None:
    op.execute("DROP TRIGGER courses_seats ON courses")
    op.execute("DROP FUNCTION cma_check_seats()")
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER applications_capacity_{event} ON applications")
    op.execute("DROP FUNCTION cma_check_capacity()")
    for table, name in (
        ("outbox_messages", "sms_recipient"),
        ("outbox_messages", "channel"),
        ("campaigns", "confirm_days"),
        ("campaigns", "max_accepted"),
        ("applications", "tier"),
        ("applications", "outcome"),
        ("applications", "waitlist_rank"),
        ("applications", "offer_deadline"),
        ("applications", "allocated"),
        ("applications", "reason"),
        ("applications", "status"),
    ):
        op.drop_constraint(op.f(f"ck_{table}_{name}"), table, type_="check")
    op.create_check_constraint(
        op.f("ck_applications_status"), "applications", "status IN ('submitted', 'withdrawn')"
    )
    op.drop_index("ix_applications_allocation_run_id", table_name="applications")
    op.drop_index(
        "ix_outbox_messages_due",
        table_name="outbox_messages",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        op.f("ix_outbox_messages_due"),
        "outbox_messages",
        ["next_attempt_at"],
        unique=False,
        postgresql_where="((status)::text = 'pending'::text)",
    )
    op.drop_column("outbox_messages", "channel")
    op.drop_column("courses", "cancelled_at")
    op.drop_column("courses", "prerequisite_codes")
    op.drop_column("campaigns", "confirm_days")
    op.drop_column("campaigns", "max_accepted")
    op.drop_constraint(
        op.f("fk_applications_allocation_run_id_allocation_runs"),
        "applications",
        type_="foreignkey",
    )
    op.drop_index(
        "uq_applications_waitlist",
        table_name="applications",
        postgresql_where=sa.text("waitlist_rank IS NOT NULL"),
    )
    op.drop_column("applications", "answered_at")
    op.drop_column("applications", "offer_deadline")
    op.drop_column("applications", "waitlist_rank")
    op.drop_column("applications", "reason")
    op.drop_column("applications", "draw")
    op.drop_column("applications", "tier")
    op.drop_column("applications", "outcome")
    op.drop_column("applications", "allocation_run_id")
    op.drop_table("response_mails")
    op.drop_table("allocation_runs")

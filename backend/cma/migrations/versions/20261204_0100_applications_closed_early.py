"""Staff may close a campaign's applications before their announced last day

To allocate, staff had to edit the period's end date into the past, which nothing suggested
and which a period that opened today cannot take. A closure is now a moment of its own: the
period then ends that day, and the answers may start the same day.

For the staff console besides: each learner's answers mail is remembered (staff see how many
are queued, sent or failed), a course says who teaches it, and every time staff open a
learner's record is kept (`staff_reads`).

Revision ID: 9a4c6e2f8b31
Revises: 7e1d4b9a3c25
Create Date: 2026-12-04 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a4c6e2f8b31"
down_revision: str | None = "7e1d4b9a3c25"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = (
    "application_start <= application_end AND application_end < response_start "
    "AND response_start <= response_end"
)
AFTER = (
    "application_start <= application_end AND response_start <= response_end "
    "AND (application_end < response_start "
    "OR (applications_closed_at IS NOT NULL AND application_end <= response_start))"
)


def upgrade() -> None:
    op.add_column(
        "campaigns", sa.Column("applications_closed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.drop_constraint(op.f("ck_campaigns_calendar"), "campaigns", type_="check")
    op.create_check_constraint("calendar", "campaigns", AFTER)
    # Who teaches a course: staff set it with the rest of the course.
    op.add_column("courses", sa.Column("teacher", sa.String(150), nullable=True))
    op.create_check_constraint(
        "teacher_text", "courses", "btrim(teacher) <> '' AND teacher !~ '[[:cntrl:]]'"
    )
    # Which queued mail carried a learner's answers, so that staff see them leave.
    op.add_column(
        "response_mails",
        sa.Column(
            "message_id",
            sa.BigInteger(),
            sa.ForeignKey(
                "outbox_messages.id",
                name=op.f("fk_response_mails_message_id_outbox_messages"),
                ondelete="SET NULL",
            ),
            nullable=True,
        ),
    )

    op.create_table(
        "staff_reads",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column(
            "staff_account_id",
            sa.Uuid(),
            sa.ForeignKey(
                "accounts.id",
                name=op.f("fk_staff_reads_staff_account_id_accounts"),
                ondelete="SET NULL",
            ),
        ),
        sa.Column(
            "learner_id",
            sa.Uuid(),
            sa.ForeignKey(
                "learners.id", name=op.f("fk_staff_reads_learner_id_learners"), ondelete="SET NULL"
            ),
        ),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_reads")),
    )
    for column in ("at", "staff_account_id", "learner_id"):
        op.create_index(op.f(f"ix_staff_reads_{column}"), "staff_reads", [column])


def downgrade() -> None:
    op.drop_table("staff_reads")
    op.drop_column("response_mails", "message_id")
    op.drop_constraint(op.f("ck_courses_teacher_text"), "courses", type_="check")
    op.drop_column("courses", "teacher")
    op.drop_constraint(op.f("ck_campaigns_calendar"), "campaigns", type_="check")
    op.create_check_constraint("calendar", "campaigns", BEFORE)
    op.drop_column("campaigns", "applications_closed_at")

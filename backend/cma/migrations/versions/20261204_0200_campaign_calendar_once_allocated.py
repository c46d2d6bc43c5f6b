"""A campaign's calendar keeps what learners were told

Reviewed on 2026-12-04: an allocated campaign could have its application period moved back
into the future, and took applications nothing would ever allocate; a campaign whose answers
were mailed could have its response period moved, which hid those answers again and voided
the offers' deadlines. The database now refuses, whoever writes:
- once the period has begun, its first day pushed past today, what the campaign covers
  changed, or fewer courses allowed in a basket (baskets were filled to the old number);
- once allocated, any change to the application period, what the campaign covers, its basket
  and its cap;
- once the answers are mailed, a change to the response period's first day or the days to
  confirm, and a response period shortened.
Before the answers are mailed, moving the response period or the days to confirm recomputes
the deadlines of the seats offered, as the commit computed them.

Revision ID: b3e7a1d9c402
Revises: 9a4c6e2f8b31
Create Date: 2026-12-04 02:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b3e7a1d9c402"
down_revision: str | None = "9a4c6e2f8b31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION cma_campaign_calendar() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            paris date := (now() AT TIME ZONE 'Europe/Paris')::date;
            run bigint;
            answered boolean;
        BEGIN
            IF OLD.application_start <= paris AND (
                   (NEW.application_start > OLD.application_start AND NEW.application_start > paris)
                   OR NEW.covers <> OLD.covers OR NEW.max_courses < OLD.max_courses) THEN
                RAISE EXCEPTION 'the applications of campaign % have begun', NEW.id
                      USING ERRCODE = 'check_violation', CONSTRAINT = 'campaign_begun';
            END IF;
            SELECT id INTO run FROM allocation_runs WHERE campaign_id = NEW.id;
            IF run IS NULL THEN
                RETURN NEW;
            END IF;
            IF (NEW.application_start, NEW.application_end, NEW.covers, NEW.school_year,
                NEW.max_courses, NEW.max_accepted)
               IS DISTINCT FROM (OLD.application_start, OLD.application_end, OLD.covers,
                                 OLD.school_year, OLD.max_courses, OLD.max_accepted) THEN
                RAISE EXCEPTION 'campaign % is allocated', NEW.id
                      USING ERRCODE = 'check_violation', CONSTRAINT = 'campaign_allocated';
            END IF;
            answered := EXISTS (SELECT 1 FROM response_mails WHERE allocation_run_id = run);
            IF answered AND (NEW.response_start <> OLD.response_start
                             OR NEW.confirm_days <> OLD.confirm_days
                             OR NEW.response_end < OLD.response_end) THEN
                RAISE EXCEPTION 'the answers of campaign % are mailed', NEW.id
                      USING ERRCODE = 'check_violation', CONSTRAINT = 'campaign_answered';
            END IF;
            IF NOT answered AND (NEW.response_start, NEW.response_end, NEW.confirm_days)
               IS DISTINCT FROM (OLD.response_start, OLD.response_end, OLD.confirm_days) THEN
                UPDATE applications
                   SET offer_deadline = LEAST(GREATEST(paris, NEW.response_start)
                                              + NEW.confirm_days, NEW.response_end)
                 WHERE allocation_run_id = run AND status = 'offered';
            END IF;
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER campaign_calendar BEFORE UPDATE ON campaigns "
        "FOR EACH ROW EXECUTE FUNCTION cma_campaign_calendar()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER campaign_calendar ON campaigns")
    op.execute("DROP FUNCTION cma_campaign_calendar()")

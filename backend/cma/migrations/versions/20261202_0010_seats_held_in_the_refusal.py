"""The refusal of fewer seats than a course holds says how many it holds

Revision ID: 3c7d2a9e41f0
Revises: e2ea68bd7ec3
Create Date: 2026-12-02 00:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3c7d2a9e41f0"
down_revision: str | None = "e2ea68bd7ec3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # DETAIL carries the count, for the API to say it (a problem, not a 500).
    op.execute(
        """
        CREATE OR REPLACE FUNCTION cma_check_seats() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            held integer;
        BEGIN
            SELECT count(*) INTO held FROM applications
             WHERE course_code = NEW.code AND status IN ('offered', 'confirmed');
            IF NEW.seats < held THEN
                RAISE EXCEPTION 'course % holds % seats, more than %', NEW.code, held, NEW.seats
                      USING ERRCODE = 'check_violation', CONSTRAINT = 'course_capacity',
                            DETAIL = held::text;
            END IF;
            RETURN NEW;
        END $$
        """
    )


def downgrade() -> None:
    op.execute(
        """
        CREATE OR REPLACE FUNCTION cma_check_seats() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.seats < (SELECT count(*) FROM applications
                             WHERE course_code = NEW.code AND status IN ('offered', 'confirmed'))
            THEN
                RAISE EXCEPTION 'course % has more learners than % seats', NEW.code, NEW.seats
                      USING ERRCODE = 'check_violation', CONSTRAINT = 'course_capacity';
            END IF;
            RETURN NEW;
        END $$
        """
    )

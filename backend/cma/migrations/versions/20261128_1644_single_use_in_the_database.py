"""Single use in the database: a consumed token or captcha can never be used again

Revision ID: 5b1f0e2c7d41
Revises: c2b3ce059cad
Create Date: 2026-11-28 16:44:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5b1f0e2c7d41"
down_revision: str | None = "c2b3ce059cad"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("account_tokens", "captchas")


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION keep_consumed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.consumed_at IS NOT NULL
               AND NEW.consumed_at IS DISTINCT FROM OLD.consumed_at THEN
                RAISE EXCEPTION 'a consumed % cannot be used again', TG_TABLE_NAME
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_single_use BEFORE UPDATE OF consumed_at ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION keep_consumed()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_single_use ON {table}")
    op.execute("DROP FUNCTION keep_consumed()")

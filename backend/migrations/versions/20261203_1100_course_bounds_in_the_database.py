"""A course's numbers and texts keep the API's bounds in the database

The back office wrote what the API refuses: a fee of NaN (numeric takes it, `fee >= 0` holds
for it, and every catalogue page then failed to show it), a description of 6,000 characters.
The bounds are now the database's.

Revision ID: 7e1d4b9a3c25
Revises: 5c8a2f6e0b14
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7e1d4b9a3c25"
down_revision: str | None = "5c8a2f6e0b14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOUNDS = {
    "hours": ("hours > 0", "hours BETWEEN 1 AND 2000"),
    "fee": ("fee >= 0", "fee BETWEEN 0 AND 10000"),
    "seats": ("seats > 0", "seats BETWEEN 1 AND 500"),
}
TEXTS = (
    "btrim(title) <> '' AND char_length(description) BETWEEN 1 AND 5000 "
    "AND char_length(prerequisites) <= 2000"
)


def upgrade() -> None:
    for name, (_, bound) in BOUNDS.items():
        op.drop_constraint(op.f(f"ck_courses_{name}"), "courses", type_="check")
        op.create_check_constraint(name, "courses", bound)
    op.create_check_constraint("texts", "courses", TEXTS)


def downgrade() -> None:
    op.drop_constraint(op.f("ck_courses_texts"), "courses", type_="check")
    for name, (before, _) in BOUNDS.items():
        op.drop_constraint(op.f(f"ck_courses_{name}"), "courses", type_="check")
        op.create_check_constraint(name, "courses", before)

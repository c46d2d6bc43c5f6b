"""The catalogue's numbers and texts keep the API's bounds in the database

The back office wrote what the API refuses: a fee of NaN (numeric takes it, `fee >= 0` holds
for it, and every catalogue page then failed to show it), a description of 6,000 characters,
a page of 260,000 (seconds of rendering), titles blank or with control characters, a school
year of 1899-1900. The bounds are now the database's.

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
    "btrim(title) <> '' AND title !~ '[[:cntrl:]]' "
    "AND char_length(description) BETWEEN 1 AND 5000 "
    "AND char_length(prerequisites) <= 2000"
)
CHECKS = (
    ("campaigns", "school_year_century", "substr(school_year, 1, 4)::int BETWEEN 2000 AND 2098"),
    ("campaigns", "name_text", "btrim(name) <> '' AND name !~ '[[:cntrl:]]'"),
    (
        "pages",
        "texts",
        "btrim(title) <> '' AND title !~ '[[:cntrl:]]' AND char_length(body) <= 50000",
    ),
    ("pages", "position", "position BETWEEN 0 AND 1000"),
)


def upgrade() -> None:
    for name, (_, bound) in BOUNDS.items():
        op.drop_constraint(op.f(f"ck_courses_{name}"), "courses", type_="check")
        op.create_check_constraint(name, "courses", bound)
    op.create_check_constraint("texts", "courses", TEXTS)
    for table, name, check in CHECKS:
        op.create_check_constraint(name, table, check)


def downgrade() -> None:
    for table, name, _ in CHECKS:
        op.drop_constraint(op.f(f"ck_{table}_{name}"), table, type_="check")
    op.drop_constraint(op.f("ck_courses_texts"), "courses", type_="check")
    for name, (before, _) in BOUNDS.items():
        op.drop_constraint(op.f(f"ck_courses_{name}"), "courses", type_="check")
        op.create_check_constraint(name, "courses", before)

"""catalogue and staff role

Revision ID: e9c9ff683671
Revises: 5b1f0e2c7d41
Create Date: 2026-11-28 17:05:59.026382
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e9c9ff683671"
down_revision: str | None = "5b1f0e2c7d41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


CATALOGUE_TABLES = ("domains", "venues", "campaigns", "courses", "pages")

# Accent- and case-folding with core functions only (the unaccent extension is not
# everywhere, e.g. not in the embedded server): immutable, so usable in generated columns.
# The typographic apostrophe becomes a plain one (chr(39)), a word separator.
FOLD = """
CREATE FUNCTION cma_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN translate(
    replace(replace(lower(value), 'œ', 'oe'), 'æ', 'ae'),
    'àáâãäåçèéêëìíîïñòóôõöùúûüýÿ’',
    'aaaaaaceeeeiiiinooooouuuuyy' || chr(39)
)
"""

BUMP = """
CREATE FUNCTION bump_catalogue_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalogue_version SET version = version + 1, changed_at = now() WHERE id = 1;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.execute(FOLD)
    op.create_table(
        "campaigns",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("covers", sa.String(length=32), nullable=False),
        sa.Column("application_start", sa.Date(), nullable=False),
        sa.Column("application_end", sa.Date(), nullable=False),
        sa.Column("response_start", sa.Date(), nullable=False),
        sa.Column("response_end", sa.Date(), nullable=False),
        sa.Column("max_courses", sa.SmallInteger(), server_default="3", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "covers IN ('annual_and_first_semester', 'second_semester')",
            name=op.f("ck_campaigns_covers"),
        ),
        sa.CheckConstraint(
            "school_year ~ '^[0-9]{4}-[0-9]{4}$'", name=op.f("ck_campaigns_school_year")
        ),
        sa.CheckConstraint(
            "application_start <= application_end AND application_end < response_start AND response_start <= response_end",
            name=op.f("ck_campaigns_calendar"),
        ),
        sa.CheckConstraint("max_courses BETWEEN 1 AND 10", name=op.f("ck_campaigns_max_courses")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index(op.f("ix_campaigns_school_year"), "campaigns", ["school_year"], unique=False)
    op.create_table(
        "catalogue_version",
        sa.Column("id", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_catalogue_version_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_version")),
    )
    op.create_table(
        "domains",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domains")),
        sa.UniqueConstraint("name", name=op.f("uq_domains_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_domains_slug")),
    )
    op.create_table(
        "pages",
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
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
        sa.CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name=op.f("ck_pages_slug")),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_pages")),
    )
    op.create_table(
        "venues",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("postal_code", sa.String(length=5), nullable=False),
        sa.Column("arrondissement", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("postal_code ~ '^750[0-9]{2}$'", name=op.f("ck_venues_postal_code")),
        sa.CheckConstraint(
            "arrondissement BETWEEN 1 AND 20", name=op.f("ck_venues_arrondissement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
        sa.UniqueConstraint("name", name=op.f("uq_venues_name")),
    )
    op.create_table(
        "courses",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("domain_id", sa.SmallInteger(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("prerequisites", sa.Text(), nullable=True),
        sa.Column("venue_id", sa.BigInteger(), nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("fee", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("is_new", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("needs_motivation", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("needs_priority_situation", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('french'::regconfig, cma_fold(title)), 'A') || setweight(to_tsvector('french'::regconfig, cma_fold(search_extra)), 'B') || setweight(to_tsvector('french'::regconfig, cma_fold(description)), 'C')",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column("search_extra", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("code ~ '^[A-Z]{2,4}[0-9]{3,5}$'", name=op.f("ck_courses_code")),
        sa.CheckConstraint(
            "level IN ('tous_niveaux', 'debutant', 'elementaire', 'intermediaire', 'avance')",
            name=op.f("ck_courses_level"),
        ),
        sa.CheckConstraint(
            "period IN ('annual', 'first_semester', 'second_semester')",
            name=op.f("ck_courses_period"),
        ),
        sa.CheckConstraint("end_time > start_time", name=op.f("ck_courses_hours_of_day")),
        sa.CheckConstraint("fee >= 0", name=op.f("ck_courses_fee")),
        sa.CheckConstraint("hours > 0", name=op.f("ck_courses_hours")),
        sa.CheckConstraint("seats > 0", name=op.f("ck_courses_seats")),
        sa.CheckConstraint("weekday BETWEEN 1 AND 7", name=op.f("ck_courses_weekday")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_courses_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domains.id"], name=op.f("fk_courses_domain_id_domains")
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_courses_venue_id_venues")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_courses")),
    )
    op.create_index(op.f("ix_courses_campaign_id"), "courses", ["campaign_id"], unique=False)
    op.create_index("ix_courses_domain_id_code", "courses", ["domain_id", "code"], unique=False)
    op.create_index(
        "ix_courses_search", "courses", ["search"], unique=False, postgresql_using="gin"
    )
    op.create_index(op.f("ix_courses_venue_id"), "courses", ["venue_id"], unique=False)
    op.add_column(
        "accounts",
        sa.Column("role", sa.String(length=16), server_default="learner", nullable=False),
    )
    op.execute("INSERT INTO catalogue_version (id, version) VALUES (1, 1)")
    op.execute(BUMP)
    for table in CATALOGUE_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_bump_catalogue_version "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_version()"
        )


def downgrade() -> None:
    for table in CATALOGUE_TABLES:
        op.execute(f"DROP TRIGGER {table}_bump_catalogue_version ON {table}")
    op.execute("DROP FUNCTION bump_catalogue_version()")
    op.drop_column("accounts", "role")
    op.drop_index(op.f("ix_courses_venue_id"), table_name="courses")
    op.drop_index("ix_courses_search", table_name="courses", postgresql_using="gin")
    op.drop_index("ix_courses_domain_id_code", table_name="courses")
    op.drop_index(op.f("ix_courses_campaign_id"), table_name="courses")
    op.drop_table("courses")
    op.drop_table("venues")
    op.drop_table("pages")
    op.drop_table("domains")
    op.drop_table("catalogue_version")
    op.drop_index(op.f("ix_campaigns_school_year"), table_name="campaigns")
    op.drop_table("campaigns")
    op.execute("DROP FUNCTION cma_fold(text)")

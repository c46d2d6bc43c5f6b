"""Tables of the catalogue: domains, venues, campaigns, courses, information pages.

Every change to them bumps `catalogue_version` (a statement trigger, see the migration), which
is how each server process knows its cached answers are stale.
"""

from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Computed,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cma.core.database import Base, CreatedAt


class Level(StrEnum):
    TOUS = "tous_niveaux"
    DEBUTANT = "debutant"
    ELEMENTAIRE = "elementaire"
    INTERMEDIAIRE = "intermediaire"
    AVANCE = "avance"


class Period(StrEnum):
    ANNUAL = "annual"
    FIRST_SEMESTER = "first_semester"
    SECOND_SEMESTER = "second_semester"


class Covers(StrEnum):
    """What a campaign opens: the seed's two kinds of campaign."""

    ANNUAL_AND_FIRST_SEMESTER = "annual_and_first_semester"
    SECOND_SEMESTER = "second_semester"


class Domain(Base):
    __tablename__ = "domains"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(SmallInteger)


class Venue(Base):
    __tablename__ = "venues"
    __table_args__ = (
        CheckConstraint("arrondissement BETWEEN 1 AND 20", name="arrondissement"),
        CheckConstraint(r"postal_code ~ '^750[0-9]{2}$'", name="postal_code"),
        CheckConstraint("btrim(access) <> '' AND access !~ '[[:cntrl:]]'", name="access_text"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    address: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(5))
    arrondissement: Mapped[int] = mapped_column(SmallInteger)
    # Whether a wheelchair reaches the classrooms without steps; None: not known.
    step_free: Mapped[bool | None]
    access: Mapped[str | None] = mapped_column(String(300))  # "Métro Bastille (1, 5, 8)"


class Campaign(CreatedAt, Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(
            "covers IN ('annual_and_first_semester', 'second_semester')", name="covers"
        ),
        # Announced, the answers start after the last day of applications; closed early
        # by staff, the answers may start the day of the closure.
        CheckConstraint(
            "application_start <= application_end AND response_start <= response_end "
            "AND (application_end < response_start "
            "OR (applications_closed_at IS NOT NULL AND application_end <= response_start))",
            name="calendar",
        ),
        CheckConstraint("max_courses BETWEEN 1 AND 10", name="max_courses"),
        CheckConstraint("max_accepted BETWEEN 1 AND max_courses", name="max_accepted"),
        CheckConstraint("confirm_days BETWEEN 1 AND 60", name="confirm_days"),
        CheckConstraint(r"school_year ~ '^[0-9]{4}-[0-9]{4}$'", name="school_year"),
        CheckConstraint(
            "substr(school_year, 6, 4)::int = substr(school_year, 1, 4)::int + 1",
            name="school_year_consecutive",
        ),
        CheckConstraint(
            "extract(year FROM application_start) >= substr(school_year, 1, 4)::int "
            "AND extract(year FROM response_end) <= substr(school_year, 6, 4)::int",
            name="within_school_year",
        ),
        CheckConstraint(
            "substr(school_year, 1, 4)::int BETWEEN 2000 AND 2098", name="school_year_century"
        ),
        CheckConstraint("btrim(name) <> '' AND name !~ '[[:cntrl:]]'", name="name_text"),
        CheckConstraint("octet_length(lottery_secret) = 32", name="lottery_secret"),
    )
    # Read back on insert: the lottery's secret is the database's to draw.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012 - SQLAlchemy's own attribute

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    school_year: Mapped[str] = mapped_column(String(9), index=True)
    covers: Mapped[str] = mapped_column(String(32))
    # Calendar dates in Europe/Paris, end days included.
    application_start: Mapped[date]
    application_end: Mapped[date]
    response_start: Mapped[date]
    response_end: Mapped[date]
    max_courses: Mapped[int] = mapped_column(SmallInteger, server_default="3")
    # The allocation's cap of accepted courses per learner, and the days an offer stays open.
    max_accepted: Mapped[int] = mapped_column(SmallInteger, server_default="2")
    confirm_days: Mapped[int] = mapped_column(SmallInteger, server_default="7")
    # Set when staff closed the applications before their last day (which then became that
    # day): from this moment no basket is submitted, and the allocation may run.
    applications_closed_at: Mapped[datetime | None]
    # Drawn by the database when the campaign is created (244 random bits); its hash is on the
    # public calendar from then, the secret itself only once the allocation is committed, and
    # a trigger refuses any change to it (see enrolment/lottery.py).
    lottery_secret: Mapped[bytes] = mapped_column(
        LargeBinary(32),
        server_default=text(  # as PostgreSQL writes it back (the models-and-migrations test)
            "decode(replace(((gen_random_uuid())::text || (gen_random_uuid())::text), "
            "'-'::text, ''::text), 'hex'::text)"
        ),
    )

    def accepts_applications(self, day: date) -> bool:
        """Whether learners may apply on this Paris day."""
        return (
            self.applications_closed_at is None
            and self.application_start <= day <= self.application_end
        )

    def applications_over(self, day: date) -> bool:
        """Whether the application period is behind us on this Paris day."""
        return self.applications_closed_at is not None or day > self.application_end


class Course(CreatedAt, Base):
    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint(r"code ~ '^[A-Z]{2,4}[0-9]{3,5}$'", name="code"),
        CheckConstraint(
            "level IN ('tous_niveaux', 'debutant', 'elementaire', 'intermediaire', 'avance')",
            name="level",
        ),
        CheckConstraint("period IN ('annual', 'first_semester', 'second_semester')", name="period"),
        CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday"),
        CheckConstraint("end_time > start_time", name="hours_of_day"),
        # The API's bounds, here too for whatever else writes (the back office): a NaN fee,
        # which numeric accepts and no page can show, fails BETWEEN.
        CheckConstraint("hours BETWEEN 1 AND 2000", name="hours"),
        CheckConstraint("fee BETWEEN 0 AND 10000", name="fee"),
        CheckConstraint("seats BETWEEN 1 AND 500", name="seats"),
        CheckConstraint(
            "(starts_on IS NULL) = (ends_on IS NULL) AND starts_on <= ends_on", name="dates"
        ),
        CheckConstraint("reduced_fee BETWEEN 0 AND fee", name="reduced_fee"),
        CheckConstraint(
            "btrim(title) <> '' AND title !~ '[[:cntrl:]]' "
            "AND char_length(description) BETWEEN 1 AND 5000 "
            "AND char_length(prerequisites) <= 2000",
            name="texts",
        ),
        CheckConstraint("btrim(teacher) <> '' AND teacher !~ '[[:cntrl:]]'", name="teacher_text"),
        Index("ix_courses_search", "search", postgresql_using="gin"),
        Index("ix_courses_domain_id_code", "domain_id", "code"),
        # What basket lines and applications refer to: a course with its campaign.
        UniqueConstraint("code", "campaign_id", name="uq_courses_code_campaign"),
    )

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id"))
    level: Mapped[str] = mapped_column(String(16))
    prerequisites: Mapped[str | None] = mapped_column(Text)
    teacher: Mapped[str | None] = mapped_column(String(150))
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)  # ISO: 1 = Monday
    start_time: Mapped[time]
    end_time: Mapped[time]
    period: Mapped[str] = mapped_column(String(16))
    hours: Mapped[int] = mapped_column(Integer)
    fee: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    # What a learner entitled to the reduced rate pays; None: no reduced rate.
    reduced_fee: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    starts_on: Mapped[date | None]  # first and last day of classes
    ends_on: Mapped[date | None]
    seats: Mapped[int] = mapped_column(Integer)
    is_new: Mapped[bool] = mapped_column(server_default="false")
    needs_motivation: Mapped[bool] = mapped_column(server_default="false")
    needs_priority_situation: Mapped[bool] = mapped_column(server_default="false")
    # Codes (of this catalogue or of the old site's history) any one of which, in a learner's
    # history, meets the prerequisites: the allocation's second priority tier.
    prerequisite_codes: Mapped[list[str]] = mapped_column(
        ARRAY(String(20)), server_default=text("'{}'::varchar[]")
    )
    retired_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    # French full text, accents and case folded (cma_fold), title weighted above the rest.
    search: Mapped[str] = mapped_column(
        TSVECTOR,
        Computed(
            "setweight(to_tsvector('french'::regconfig, cma_fold(title)), 'A') || "
            "setweight(to_tsvector('french'::regconfig, cma_fold(search_extra)), 'B') || "
            "setweight(to_tsvector('french'::regconfig, cma_fold(description)), 'C')",
            persisted=True,
        ),
    )
    # The domain's name and the venue's, copied here so the generated column can use them.
    search_extra: Mapped[str] = mapped_column(Text, server_default="")

    domain: Mapped[Domain] = relationship(lazy="raise")
    venue: Mapped[Venue] = relationship(lazy="raise")
    campaign: Mapped[Campaign] = relationship(lazy="raise")


class Page(CreatedAt, Base):
    """An information page linked from the home page ("Aide à l'inscription", …)."""

    __tablename__ = "pages"
    __table_args__ = (
        CheckConstraint(r"slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="slug"),
        # The API's bounds: a 260,000-character body held the server for seconds to render.
        CheckConstraint(
            "btrim(title) <> '' AND title !~ '[[:cntrl:]]' AND char_length(body) <= 50000",
            name="texts",
        ),
        CheckConstraint("position BETWEEN 0 AND 1000", name="position"),
    )

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text, doc="Markdown")
    position: Mapped[int] = mapped_column(SmallInteger)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class CatalogueVersion(Base):
    """One row; bumped by triggers whenever anything a reader sees changes."""

    __tablename__ = "catalogue_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default="1")
    version: Mapped[int] = mapped_column(server_default="1")
    changed_at: Mapped[datetime] = mapped_column(server_default=func.now())

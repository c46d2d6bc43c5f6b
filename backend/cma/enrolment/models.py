"""The basket ("Mon panier") and the applications it turns into.

The basket is the learner's editable list; submitting copies it into applications, which
are what the allocation will read. Both keep the learner's ranking and answers.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from cma.core.database import Base, CreatedAt


class PrioritySituation(StrEnum):
    """A situation that gives priority on an oversubscribed course."""

    AUCUNE = "aucune"
    DEMANDEUR_EMPLOI = "demandeur_emploi"
    RSA = "rsa"
    AUTRE_MINIMA = "autre_minima_sociaux"


class Phase(StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"
    ALLOCATED = "allocated"
    ANSWERED = "answered"


class NextStep(StrEnum):
    PREPARE = "prepare"
    CLOSE = "close"
    ALLOCATE = "allocate"
    WAIT = "wait"
    ANSWER = "answer"
    FOLLOW = "follow"
    NONE = "none"


class ApplicationStatus(StrEnum):
    """Where an application stands; the allocation moves `submitted` to its outcome."""

    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    OFFERED = "offered"  # accepted, waiting for the learner to confirm by the deadline
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    EXPIRED = "expired"  # the deadline passed without an answer
    WAITLISTED = "waitlisted"
    NOT_RETAINED = "not_retained"
    CANCELLED = "cancelled"  # the course was cancelled


class Reason(StrEnum):
    """Why an application got its outcome; with the tier, draw and rank it explains it."""

    SEATS_FOR_ALL = "seats_for_all"
    SELECTED = "selected"
    COURSE_FULL = "course_full"
    CAP_REACHED = "cap_reached"
    PROMOTED = "promoted"
    COURSE_CANCELLED = "course_cancelled"
    SWAPPED = "swapped"  # freed for a seat the learner ranked higher


STATUSES = ", ".join(f"'{s.value}'" for s in ApplicationStatus)
REASONS = ", ".join(f"'{r.value}'" for r in Reason)
# Statuses that hold one of the course's seats.
HOLDING = (ApplicationStatus.OFFERED, ApplicationStatus.CONFIRMED)
# Statuses only an allocation can give.
ALLOCATED = "'offered', 'confirmed', 'declined', 'expired', 'waitlisted', 'not_retained'"


def _answers(table: str) -> tuple[Any, ...]:
    return (
        CheckConstraint(
            "priority_situation IN ('aucune', 'demandeur_emploi', 'rsa', 'autre_minima_sociaux')",
            name="priority_situation",
        ),
        CheckConstraint("rank BETWEEN 1 AND 10", name="rank"),
        # A line's campaign is its course's: a basket or an application of one campaign can
        # never hold a course of another, and a course that is in a basket or has applications
        # cannot move to another campaign (its seats and waiting list belong to this one's
        # allocation).
        ForeignKeyConstraint(
            ["course_code", "campaign_id"],
            ["courses.code", "courses.campaign_id"],
            name=f"fk_{table}_course_campaign",
        ),
    )


class ApplicationAnswers:
    """What a learner chose and answered for a course; a basket line and an application alike."""

    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    course_code: Mapped[str] = mapped_column(ForeignKey("courses.code"))
    rank: Mapped[int] = mapped_column(SmallInteger)
    priority_situation: Mapped[str | None] = mapped_column(String(32))
    previous_level: Mapped[str | None] = mapped_column(String(200))
    motivation: Mapped[str | None] = mapped_column(Text)


class BasketItem(ApplicationAnswers, CreatedAt, Base):
    __tablename__ = "basket_items"
    __table_args__ = (
        *_answers("basket_items"),
        Index("uq_basket_items_course", "learner_id", "course_code", unique=True),
        Index("uq_basket_items_rank", "learner_id", "campaign_id", "rank", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)


class Application(ApplicationAnswers, CreatedAt, Base):
    __tablename__ = "applications"
    __table_args__ = (
        *_answers("applications"),
        CheckConstraint(f"status IN ({STATUSES})", name="status"),
        CheckConstraint(f"reason IN ({REASONS})", name="reason"),
        CheckConstraint("(status = 'withdrawn') = (withdrawn_at IS NOT NULL)", name="withdrawn_at"),
        CheckConstraint(
            f"status NOT IN ({ALLOCATED}) OR (allocation_run_id IS NOT NULL AND reason IS NOT NULL "
            "AND tier IS NOT NULL AND draw IS NOT NULL AND outcome IS NOT NULL)",
            name="allocated",
        ),
        CheckConstraint(
            "status NOT IN ('offered', 'confirmed', 'declined', 'expired') "
            "OR offer_deadline IS NOT NULL",
            name="offer_deadline",
        ),
        CheckConstraint(
            "status <> 'waitlisted' OR waitlist_rank IS NOT NULL", name="waitlist_rank"
        ),
        CheckConstraint("tier BETWEEN 1 AND 4", name="tier"),
        CheckConstraint("outcome IN ('offered', 'waitlisted', 'not_retained')", name="outcome"),
        Index(
            "uq_applications_waitlist",
            "course_code",
            "waitlist_rank",
            unique=True,
            postgresql_where=text("waitlist_rank IS NOT NULL"),
        ),
        Index("uq_applications_course", "learner_id", "course_code", unique=True),
        # Ranks are unique among the live applications of a campaign.
        Index(
            "uq_applications_rank",
            "learner_id",
            "campaign_id",
            "rank",
            unique=True,
            postgresql_where=text("status = 'submitted'"),
        ),
        Index("ix_applications_campaign_course", "campaign_id", "course_code"),
        Index("ix_applications_allocation_run_id", "allocation_run_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(
        String(16), server_default=ApplicationStatus.SUBMITTED.value
    )
    submitted_at: Mapped[datetime] = mapped_column(server_default=func.now())
    withdrawn_at: Mapped[datetime | None]
    # The allocation's decision and what explains it (see allocation.py).
    allocation_run_id: Mapped[int | None] = mapped_column(ForeignKey("allocation_runs.id"))
    # What the allocation decided, kept as it was while the status moves on (replays compare it).
    outcome: Mapped[str | None] = mapped_column(String(16))
    tier: Mapped[int | None] = mapped_column(SmallInteger)
    draw: Mapped[int | None] = mapped_column(BigInteger)
    reminded_at: Mapped[datetime | None]  # the day-before reminder of an offer went
    reason: Mapped[str | None] = mapped_column(String(32))
    waitlist_rank: Mapped[int | None] = mapped_column(Integer)
    offer_deadline: Mapped[date | None]  # Paris calendar day, included
    answered_at: Mapped[datetime | None]


class AllocationRun(CreatedAt, Base):
    """A committed allocation: its seed, cap and report; one per campaign."""

    __tablename__ = "allocation_runs"
    __table_args__ = (CheckConstraint("inputs_digest ~ '^([0-9a-f]{64})?$'", name="inputs_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), unique=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    cap: Mapped[int] = mapped_column(SmallInteger)
    committed_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    report: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # SHA-256 of the published inputs, from which the seed came ('' for a run committed
    # before the lottery was committed, whose seed staff chose).
    inputs_digest: Mapped[str] = mapped_column(String(64))
    # The published inputs and outcome, under pseudonyms: anonymous, so they outlive the
    # erasure of any learner and the allocation stays checkable (None before the lottery
    # was committed). Their JSON, compressed: some 13 MB at 150,000 applications, which
    # JSONB would parse for nothing (nobody queries inside it).
    published: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)


class AllocationEvent(Base):
    """Every preview and commit of an allocation: who, when, from which inputs, which seed."""

    __tablename__ = "allocation_events"
    __table_args__ = (
        CheckConstraint("kind IN ('preview', 'commit')", name="kind"),
        CheckConstraint("inputs_digest ~ '^[0-9a-f]{64}$'", name="inputs_digest"),
        CheckConstraint("applications_digest ~ '^[0-9a-f]{64}$'", name="applications_digest"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    inputs_digest: Mapped[str] = mapped_column(String(64))
    # The applications the seed came from: the first event's fixes the campaign's seed.
    applications_digest: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(server_default=func.now())


class ResponseMail(CreatedAt, Base):
    """The answers of an allocation were mailed to this learner (never twice)."""

    __tablename__ = "response_mails"

    allocation_run_id: Mapped[int] = mapped_column(
        ForeignKey("allocation_runs.id"), primary_key=True
    )
    learner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True
    )
    # The queued mail that carries them, for staff to follow (gone with the mail).
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )


class Receipt(Base):
    """The proof of a submitted basket: its reference, when, and the courses in their order.

    A new receipt for each submission that changes the applications; the last one of a campaign
    is what "Mon panier" and the confirmation mail show.
    """

    __tablename__ = "receipts"
    __table_args__ = (
        CheckConstraint(r"reference ~ '^CMA-[A-Z0-9]{4}-[A-Z0-9]{4}$'", name="reference"),
        CheckConstraint("jsonb_typeof(courses) = 'array'", name="courses"),
        Index("ix_receipts_learner_campaign", "learner_id", "campaign_id", "submitted_at"),
    )

    reference: Mapped[str] = mapped_column(String(13), primary_key=True)
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    submitted_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # [{"rank", "code", "title"}], as they were submitted (a course may be renamed later).
    courses: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)


class AutoResponder(CreatedAt, Base):
    """A learner's "répondeur automatique" for a campaign: a seat freed on a course they ranked
    above one they hold is accepted for them, and their lowest-ranked seat goes down its list."""

    __tablename__ = "auto_responders"

    learner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)

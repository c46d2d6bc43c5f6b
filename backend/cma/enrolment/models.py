"""The basket ("Mon panier") and the applications it turns into.

The basket is the learner's editable list; submitting copies it into applications, which
are what the allocation will read. Both keep the learner's ranking and answers.
"""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from cma.core.database import Base, CreatedAt


class PrioritySituation(StrEnum):
    """A situation that gives priority on an oversubscribed course."""

    AUCUNE = "aucune"
    DEMANDEUR_EMPLOI = "demandeur_emploi"
    RSA = "rsa"
    AUTRE_MINIMA = "autre_minima_sociaux"


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


_ANSWERS = (
    CheckConstraint(
        "priority_situation IN ('aucune', 'demandeur_emploi', 'rsa', 'autre_minima_sociaux')",
        name="priority_situation",
    ),
    CheckConstraint("rank BETWEEN 1 AND 10", name="rank"),
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
        *_ANSWERS,
        Index("uq_basket_items_course", "learner_id", "course_code", unique=True),
        Index("uq_basket_items_rank", "learner_id", "campaign_id", "rank", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)


class Application(ApplicationAnswers, CreatedAt, Base):
    __tablename__ = "applications"
    __table_args__ = (
        *_ANSWERS,
        CheckConstraint("status IN ('submitted', 'withdrawn')", name="status"),
        CheckConstraint("(status = 'withdrawn') = (withdrawn_at IS NOT NULL)", name="withdrawn_at"),
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
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(
        String(16), server_default=ApplicationStatus.SUBMITTED.value
    )
    submitted_at: Mapped[datetime] = mapped_column(server_default=func.now())
    withdrawn_at: Mapped[datetime | None]

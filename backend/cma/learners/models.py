"""Tables of the learner ("fiche CMA") and of the old CMA accounts it may be paired with.

The invariants live here: one learner record per Paris account, one Paris account per legacy
account, at least one phone, and a linked legacy account keeps no usable password.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.orm import Mapped, mapped_column

from cma.core.database import Base, CreatedAt
from cma.core.single_use import SingleUseColumns


class Title(StrEnum):
    M = "M"
    MME = "Mme"


class HeardFrom(StrEnum):
    """ "Comment avez-vous connu les CMA ?", the seed's six answers."""

    MAIRIE = "mairie_arrondissement"
    CONNAISSANCE = "connaissance"
    RESEAUX_SOCIAUX = "reseaux_sociaux"
    INTERNET = "internet"
    AFFICHAGE = "affichage"
    AUTRE = "autre"


class LinkOutcome(StrEnum):
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 - an outcome, not a secret
    THROTTLED = "throttled"
    NO_PASSWORD = "no_password"  # noqa: S105
    ALREADY_LINKED = "already_linked"
    TICKET_ISSUED = "ticket_issued"
    TICKET_INVALID = "ticket_invalid"
    LINKED = "linked"
    CONFLICT = "conflict"


_PERSON = (
    CheckConstraint("title IN ('M', 'Mme')", name="title"),
    CheckConstraint(r"birth_country ~ '^[A-Z]{2}$'", name="birth_country"),
    CheckConstraint(r"mobile_phone ~ '^\+[1-9][0-9]{6,14}$'", name="mobile_phone"),
    CheckConstraint(r"landline_phone ~ '^\+[1-9][0-9]{6,14}$'", name="landline_phone"),
    CheckConstraint(
        "heard_from IN ('mairie_arrondissement', 'connaissance', 'reseaux_sociaux', "
        "'internet', 'affichage', 'autre')",
        name="heard_from",
    ),
)


class LegacyAccount(CreatedAt, Base):
    """An account of the old CMA site, as its export gave it. Fields are nullable: the old
    site was lax, and the review form is where a person completes them."""

    __tablename__ = "legacy_accounts"
    __table_args__ = (
        *_PERSON,
        CheckConstraint("email = lower(email)", name="email_lower"),
        CheckConstraint(r"postal_code ~ '^[0-9]{5}$'", name="postal_code"),
        # Once linked, the old credentials are gone for good.
        CheckConstraint(
            "linked_at IS NULL OR password_hash IS NULL", name="no_password_once_linked"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # the old site's id
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(3))
    last_name: Mapped[str | None] = mapped_column(String(100))
    birth_name: Mapped[str | None] = mapped_column(String(100))
    first_name: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date | None]
    birth_country: Mapped[str | None] = mapped_column(String(2))
    address: Mapped[str | None] = mapped_column(String(200))
    address_2: Mapped[str | None] = mapped_column(String(200))
    address_3: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(5))
    city: Mapped[str | None] = mapped_column(String(100))
    mobile_phone: Mapped[str | None] = mapped_column(String(16))
    landline_phone: Mapped[str | None] = mapped_column(String(16))
    heard_from: Mapped[str | None] = mapped_column(String(32))
    linked_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class TrainingHistory(Base):
    """A year of the old site's training history ("Mon historique", legacy years)."""

    __tablename__ = "training_history"
    __table_args__ = (
        UniqueConstraint(
            "legacy_account_id", "year", "course_code", name="uq_training_history_row"
        ),
        CheckConstraint("year BETWEEN 1950 AND 2100", name="year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    legacy_account_id: Mapped[int] = mapped_column(
        ForeignKey("legacy_accounts.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(SmallInteger)
    course_code: Mapped[str] = mapped_column(String(20))
    course_title: Mapped[str] = mapped_column(String(200))
    result: Mapped[str | None] = mapped_column(String(100))


class Learner(CreatedAt, Base):
    """The learner record (fiche), linked to one Paris account, and to at most one legacy
    account whose history it keeps."""

    __tablename__ = "learners"
    __table_args__ = (
        *_PERSON,
        CheckConstraint(r"postal_code ~ '^[0-9]{5}$'", name="postal_code"),
        CheckConstraint(
            "mobile_phone IS NOT NULL OR landline_phone IS NOT NULL", name="at_least_one_phone"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    legacy_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("legacy_accounts.id", ondelete="SET NULL"), unique=True
    )
    title: Mapped[str] = mapped_column(String(3))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_name: Mapped[str | None] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date]
    birth_country: Mapped[str] = mapped_column(String(2))
    address: Mapped[str] = mapped_column(String(200))
    address_2: Mapped[str | None] = mapped_column(String(200))
    address_3: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(5))
    city: Mapped[str] = mapped_column(String(100))
    mobile_phone: Mapped[str | None] = mapped_column(String(16))
    landline_phone: Mapped[str | None] = mapped_column(String(16))
    heard_from: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class PairingTicket(SingleUseColumns, Base):
    """Proof, for a few minutes and once, that this Paris account knew the legacy password."""

    __tablename__ = "pairing_tickets"
    __table_args__ = (
        CheckConstraint("expires_at > created_at", name="expiry"),
        Index(
            "uq_pairing_tickets_live",
            "account_id",
            unique=True,
            postgresql_where=text("consumed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    legacy_account_id: Mapped[int] = mapped_column(
        ForeignKey("legacy_accounts.id", ondelete="CASCADE")
    )


class LegacyPasswordReset(SingleUseColumns, Base):
    """A mailed link to choose a new password for an old account, so that it can be paired."""

    __tablename__ = "legacy_password_resets"
    __table_args__ = (
        CheckConstraint("expires_at > created_at", name="expiry"),
        Index(
            "uq_legacy_password_resets_live",
            "legacy_account_id",
            unique=True,
            postgresql_where=text("consumed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    legacy_account_id: Mapped[int] = mapped_column(
        ForeignKey("legacy_accounts.id", ondelete="CASCADE")
    )


class LinkAudit(Base):
    """Every pairing attempt, failed or not: who, when, from where, what happened."""

    __tablename__ = "link_audit"
    __table_args__ = (
        CheckConstraint(
            "outcome IN ('wrong_password', 'throttled', 'no_password', 'already_linked', "
            "'ticket_issued', 'ticket_invalid', 'linked', 'conflict')",
            name="outcome",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    legacy_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("legacy_accounts.id", ondelete="SET NULL"), index=True
    )
    client_address: Mapped[str | None] = mapped_column(INET)
    outcome: Mapped[str] = mapped_column(String(20))

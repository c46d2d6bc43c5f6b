"""Tables of the Paris account: accounts, one-time tokens, sessions, subscriptions, captchas."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.orm import Mapped, mapped_column

from cma.core.database import Base, CreatedAt


class Role(StrEnum):
    LEARNER = "learner"
    STAFF = "staff"


class AccountStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"


class Civility(StrEnum):
    NON_PRECISEE = "non_precisee"
    MADAME = "madame"
    MONSIEUR = "monsieur"


class TokenPurpose(StrEnum):
    ACTIVATION = "activation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a secret
    EMAIL_CHANGE = "email_change"


class Topic(StrEnum):
    INFORMATION_MAIRIE = "information_mairie"


class Account(CreatedAt, Base):
    __tablename__ = "accounts"
    __table_args__ = (
        # Addresses are stored lower-cased, so the unique constraint is case-insensitive.
        CheckConstraint("email = lower(email)", name="email_lower"),
        CheckConstraint("status IN ('pending', 'active')", name="status"),
        CheckConstraint("(status = 'active') = (activated_at IS NOT NULL)", name="activated_at"),
        CheckConstraint(r"mobile_phone ~ '^\+[1-9][0-9]{6,14}$'", name="mobile_phone_e164"),
        CheckConstraint("civility IN ('non_precisee', 'madame', 'monsieur')", name="civility"),
        CheckConstraint(r"postal_code ~ '^[0-9]{5}$'", name="postal_code"),
        CheckConstraint("role IN ('learner', 'staff')", name="role"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), server_default=AccountStatus.PENDING.value)
    role: Mapped[str] = mapped_column(String(16), server_default=Role.LEARNER.value)
    mobile_phone: Mapped[str | None] = mapped_column(String(16))
    terms_version: Mapped[str] = mapped_column(String(32))
    terms_accepted_at: Mapped[datetime]
    activated_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime] = mapped_column(server_default=func.now())

    # MON PROFIL: every field optional.
    civility: Mapped[str] = mapped_column(String(16), server_default=Civility.NON_PRECISEE.value)
    usage_name: Mapped[str | None] = mapped_column(String(100))
    birth_name: Mapped[str | None] = mapped_column(String(100))
    first_name: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date | None]
    address: Mapped[str | None] = mapped_column(String(200))
    address_complement: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(5))
    city: Mapped[str | None] = mapped_column(String(100))
    profile_updated_at: Mapped[datetime | None]


class AccountToken(CreatedAt, Base):
    """A mailed one-time link. Only the HMAC of the token is kept."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint(
            "purpose IN ('activation', 'password_reset', 'email_change')", name="purpose"
        ),
        CheckConstraint("(purpose = 'email_change') = (new_email IS NOT NULL)", name="new_email"),
        CheckConstraint("new_email = lower(new_email)", name="new_email_lower"),
        CheckConstraint("expires_at > created_at", name="expiry"),
        # At most one live link per account and purpose: issuing a new one retires the old.
        Index(
            "uq_account_tokens_live",
            "account_id",
            "purpose",
            unique=True,
            postgresql_where=text("consumed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    new_email: Mapped[str | None] = mapped_column(String(254))
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]


class LoginSession(CreatedAt, Base):
    """A server-side session; the client holds the token, the table its HMAC."""

    __tablename__ = "sessions"
    __table_args__ = (CheckConstraint("expires_at > created_at", name="expiry"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    last_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    client_address: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(String(300))


class Subscription(CreatedAt, Base):
    """MES ABONNEMENTS: a row per topic the account opted in to."""

    __tablename__ = "subscriptions"
    __table_args__ = (CheckConstraint("topic IN ('information_mairie')", name="topic"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(32), primary_key=True)


class Captcha(CreatedAt, Base):
    """A verification code, shown as an image and read aloud; single use, short-lived."""

    __tablename__ = "captchas"
    __table_args__ = (CheckConstraint("expires_at > created_at", name="expiry"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    code: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    consumed_at: Mapped[datetime | None]

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
from cma.core.single_use import SingleUseColumns


class Role(StrEnum):
    LEARNER = "learner"
    STAFF = "staff"


class AccountStatus(StrEnum):
    # An account exists only once its owner proved the mailbox (see Signup); the status leaves
    # room for an account that staff suspend.
    ACTIVE = "active"


class SignupKind(StrEnum):
    SIGN_UP = "sign_up"  # "Je crée mon compte": the person chose a password on the form
    INVITATION = "invitation"  # an operator invited a staff member, who chooses the password


class Civility(StrEnum):
    NON_PRECISEE = "non_precisee"
    MADAME = "madame"
    MONSIEUR = "monsieur"


class TokenPurpose(StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a secret
    EMAIL_CHANGE = "email_change"


class Topic(StrEnum):
    INFORMATION_MAIRIE = "information_mairie"


class Account(CreatedAt, Base):
    __tablename__ = "accounts"
    __table_args__ = (
        # Addresses are stored lower-cased, so the unique constraint is case-insensitive.
        CheckConstraint("email = lower(email)", name="email_lower"),
        CheckConstraint("status IN ('active')", name="status"),
        CheckConstraint(r"mobile_phone ~ '^\+[1-9][0-9]{6,14}$'", name="mobile_phone_e164"),
        CheckConstraint("civility IN ('non_precisee', 'madame', 'monsieur')", name="civility"),
        CheckConstraint(r"postal_code ~ '^[0-9]{5}$'", name="postal_code"),
        CheckConstraint("role IN ('learner', 'staff')", name="role"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), server_default=AccountStatus.ACTIVE.value)
    role: Mapped[str] = mapped_column(String(16), server_default=Role.LEARNER.value)
    mobile_phone: Mapped[str | None] = mapped_column(String(16))
    terms_version: Mapped[str] = mapped_column(String(32))
    terms_accepted_at: Mapped[datetime]
    activated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    password_changed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Links mailed before the last change of address are dead, as those before a new password.
    email_changed_at: Mapped[datetime] = mapped_column(server_default=func.now())

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


class AccountToken(SingleUseColumns, Base):
    """A mailed one-time link. Only the HMAC of the token is kept."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint("purpose IN ('password_reset', 'email_change')", name="purpose"),
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
    new_email: Mapped[str | None] = mapped_column(String(254))


class Signup(CreatedAt, Base):
    """A sign-up, or a staff invitation, waiting for its mailbox to be proven.

    No account exists before that proof, so signing up someone else's address gives nothing.
    Each sign-up keeps its own password and its own link: following a link and giving the
    password chosen with it (an invitation: choosing one) creates the account, and the other
    sign-ups of the address are erased. Left alone, a sign-up is erased after its link's life.
    """

    __tablename__ = "signups"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lower"),
        CheckConstraint("kind IN ('sign_up', 'invitation')", name="kind"),
        CheckConstraint(r"mobile_phone ~ '^\+[1-9][0-9]{6,14}$'", name="mobile_phone_e164"),
        # A live sign-up holds the password chosen with it; an invitation holds none; a used
        # one keeps nothing but what answers "already activated" to its link.
        CheckConstraint(
            "consumed_at IS NOT NULL OR (kind = 'sign_up') = (password_hash IS NOT NULL)",
            name="password_hash",
        ),
        CheckConstraint("consumed_at IS NULL OR password_hash IS NULL", name="used_keeps_none"),
        CheckConstraint("(kind = 'sign_up') = (terms_version IS NOT NULL)", name="terms"),
        CheckConstraint("expires_at > created_at", name="expiry"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    kind: Mapped[str] = mapped_column(String(16), server_default=SignupKind.SIGN_UP.value)
    email: Mapped[str] = mapped_column(String(254), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    mobile_phone: Mapped[str | None] = mapped_column(String(16))
    accept_information: Mapped[bool] = mapped_column(server_default=text("false"))
    terms_version: Mapped[str | None] = mapped_column(String(32))
    invited_by: Mapped[str | None] = mapped_column(String(200))
    # The HMAC of the link's token, set when the mail is written (a resend replaces it).
    token_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]


class SecurityEventKind(StrEnum):
    STAFF_GRANTED = "staff_granted"
    STAFF_INVITED = "staff_invited"
    INVITATION_ACCEPTED = "invitation_accepted"
    STAFF_REVOKED = "staff_revoked"


class SecurityEvent(Base):
    """Who gave an account its powers, when, and how: kept a year for accountability, with the
    address concerned (an account deleted since then leaves its address here, for that duty)."""

    __tablename__ = "security_events"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('staff_granted', 'staff_invited', 'invitation_accepted', 'staff_revoked')",
            name="kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(254))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(String(500))


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
    # Rendered once, when first asked for; the same bytes after.
    image: Mapped[bytes | None] = mapped_column(LargeBinary)
    audio: Mapped[bytes | None] = mapped_column(LargeBinary)

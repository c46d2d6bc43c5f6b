"""The transactional outbox: a mail is a row written in the transaction that causes it."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from cma.core.database import Base, CreatedAt


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Channel(StrEnum):
    MAIL = "mail"
    SMS = "sms"


class OutboxMessage(CreatedAt, Base):
    """A mail or an SMS to send; `recipient` is an address or an E.164 mobile number."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("channel IN ('mail', 'sms')", name="channel"),
        CheckConstraint(
            r"channel = 'mail' OR recipient ~ '^\+[1-9][0-9]{6,14}$'", name="sms_recipient"
        ),
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
        CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_at"),
        # Secrets (the token of a link) are kept only until the mail has left.
        CheckConstraint("status = 'pending' OR secrets IS NULL", name="secrets_scrubbed"),
        Index(
            "ix_outbox_messages_due",
            "channel",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), server_default=Channel.MAIL.value)
    template: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(320))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    context: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    secrets: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16), server_default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    # Gone once sent (or given up): a mail that must leave no trace, as the one confirming an
    # account's erasure to its address.
    erase_once_sent: Mapped[bool] = mapped_column(server_default=text("false"))

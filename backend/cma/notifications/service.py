"""Enqueue mails (in the caller's transaction) and read them back for the account's export."""

import uuid
from collections.abc import Collection
from email.utils import make_msgid
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cma.core.settings import get_settings
from cma.notifications.models import Channel as Channel
from cma.notifications.models import OutboxMessage
from cma.notifications.models import OutboxStatus as OutboxStatus
from cma.notifications.rendering import (
    SMS_TEMPLATES,
    TEMPLATES,
    render,
    render_for_export,
    render_sms,
)


async def enqueue(
    session: AsyncSession,
    template: str,
    recipient: str,
    *,
    account_id: uuid.UUID | None = None,
    context: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
    channel: Channel = Channel.MAIL,
    erase_once_sent: bool = False,
) -> OutboxMessage:
    """Queue a mail (or an SMS); it leaves only if the caller's transaction commits.

    `secrets` (links carrying a token) are merged into the context at rendering time and erased
    once the mail is sent, so the database never keeps a usable token.
    """
    if template not in (SMS_TEMPLATES if channel == Channel.SMS else TEMPLATES):
        raise ValueError(f"unknown {channel} template {template!r}")
    message = OutboxMessage(
        channel=channel.value,
        template=template,
        recipient=recipient,
        account_id=account_id,
        context=context or {},
        secrets=secrets,
        message_id=make_msgid(domain=get_settings().mail_from.rsplit("@", 1)[-1]),
        erase_once_sent=erase_once_sent,
    )
    # No flush: the rows go out with the caller's next flush or its commit, all at once (the
    # answers of a whole campaign are tens of thousands of mails).
    session.add(message)
    return message


def preview(template: str, context: dict[str, Any]) -> dict[str, str | None]:
    """What a message of this template will say (for staff, before they send it)."""
    mail = render(template, context)
    return {
        "subject": mail.subject,
        "text": mail.text,
        "sms": render_sms(template, context) if template in SMS_TEMPLATES else None,
    }


def subject_of(message: OutboxMessage) -> str:
    """What the person saw of a message: a mail's subject, or "SMS"."""
    return TEMPLATES.get(message.template, "") if message.channel == Channel.MAIL else "SMS"


def title_of(message: OutboxMessage) -> str:
    """What a message was about, a mail's or an SMS's: its template's subject."""
    return TEMPLATES.get(message.template, "")


def text_of(message: OutboxMessage) -> str:
    """What a message said, as the person read it, its personal link withheld."""
    return render_for_export(message.template, message.channel == Channel.SMS, message.context)


async def list_for_account(session: AsyncSession, account_id: uuid.UUID) -> list[OutboxMessage]:
    result = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.account_id == account_id)
        .order_by(OutboxMessage.id)
    )
    return list(result)


async def enqueue_mail_and_sms(
    session: AsyncSession,
    template: str,
    email: str,
    mobile: str | None,
    *,
    account_id: uuid.UUID,
    context: dict[str, Any],
) -> None:
    """The same message by mail, and by SMS when there is a mobile to send it to."""
    await enqueue(session, template, email, account_id=account_id, context=context)
    if mobile:
        await enqueue(
            session, template, mobile, account_id=account_id, context=context, channel=Channel.SMS
        )


async def count_by_status(session: AsyncSession, ids: Collection[int]) -> dict[OutboxStatus, int]:
    """How many of these messages wait, went or failed (an erased one is none of them)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.id.in_(list(ids)))
        .group_by(OutboxMessage.status)
    )
    return {OutboxStatus(status): count for status, count in rows}


async def adopt(session: AsyncSession, recipient: str, account_id: uuid.UUID) -> None:
    """Mails sent to an address before it had an account become that account's."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.account_id.is_(None),
            OutboxMessage.channel == Channel.MAIL,
            OutboxMessage.recipient == recipient,
        )
        .values(account_id=account_id)
    )


async def purge_unowned(session: AsyncSession) -> None:
    """Housekeeping: a sent mail that belongs to no account (a sign-up never activated, an old
    account's reset) is not kept past a week."""
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.account_id.is_(None),
            OutboxMessage.status != OutboxStatus.PENDING,
            OutboxMessage.created_at < func.now() - func.make_interval(0, 0, 1),
        )
    )


async def forget_unowned(session: AsyncSession, template: str, recipients: list[str]) -> None:
    """Erase the messages of this template sent to these recipients on no account's behalf."""
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.template == template,
            OutboxMessage.account_id.is_(None),
            OutboxMessage.recipient.in_(recipients),
        )
    )


async def forget(session: AsyncSession, account_id: uuid.UUID, recipients: list[str]) -> None:
    """Erase every message of an account being deleted, and every one sent to an address or
    a phone it was known by (sent or still waiting: none will leave now)."""
    await session.execute(
        delete(OutboxMessage).where(
            (OutboxMessage.account_id == account_id) | OutboxMessage.recipient.in_(recipients)
        )
    )


async def backlog(session: AsyncSession) -> tuple[int, float]:
    """How many messages wait to be sent, and for how many seconds the oldest has."""
    count, oldest = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(
                    func.extract("epoch", func.now() - func.min(OutboxMessage.created_at)), 0
                ),
            ).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
    ).one()
    return int(count), float(oldest)

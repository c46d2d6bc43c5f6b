"""The outbox worker: sends due mails, retries with backoff, never holds a secret longer.

Several workers (in API processes or `cma worker`) can run at once: each claims one message
at a time with `FOR UPDATE SKIP LOCKED` for a lease, so a mail is handled by one of them and
no connection is held while it is sent. A worker killed while sending leaves that one message
to be sent again when its lease ends (at-least-once, same Message-ID).
"""

import asyncio
import logging
from datetime import timedelta
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.core.settings import Settings
from cma.notifications.models import Channel, OutboxMessage, OutboxStatus
from cma.notifications.rendering import render, render_sms
from cma.notifications.sender import MailSender
from cma.notifications.sms import SmsSender

logger = logging.getLogger(__name__)


class Transport(Protocol):
    """How the messages of one channel leave."""

    channel: Channel

    async def deliver(self, message: OutboxMessage) -> None: ...


class MailTransport:
    channel = Channel.MAIL

    def __init__(self, sender: MailSender) -> None:
        self._sender = sender

    async def deliver(self, message: OutboxMessage) -> None:
        mail = render(message.template, {**message.context, **(message.secrets or {})})
        await self._sender.send(message.recipient, message.message_id, mail)


class SmsTransport:
    channel = Channel.SMS

    def __init__(self, sender: SmsSender) -> None:
        self._sender = sender

    async def deliver(self, message: OutboxMessage) -> None:
        text = render_sms(message.template, message.context)
        await self._sender.send(message.recipient, message.message_id, text)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at 30 min."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 1800))


async def _claim(
    sessionmaker: async_sessionmaker[AsyncSession], channel: Channel, lease: timedelta
) -> OutboxMessage | None:
    """Take the channel's next due message for `lease`, in a transaction of its own: the
    message is not due again until the lease ends, so no connection and no lock is held while
    it is sent. A worker that dies with it leaves it to be sent again when the lease ends."""
    async with sessionmaker() as session, session.begin():
        due = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= func.now(),
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        message = await session.scalar(
            update(OutboxMessage)
            .where(OutboxMessage.id == due)
            .values(next_attempt_at=func.now() + lease)
            .returning(OutboxMessage),
            execution_options={"synchronize_session": False},
        )
        if message is not None:
            session.expunge(message)  # read once, used after the transaction ends
        return message


async def _record(
    sessionmaker: async_sessionmaker[AsyncSession],
    sent: OutboxMessage,
    error: Exception | None,
    max_attempts: int,
) -> None:
    """What became of a sending, in a short transaction of its own."""
    async with sessionmaker() as session, session.begin():
        message = await session.get(OutboxMessage, sent.id, with_for_update=True)
        if message is None or message.status != OutboxStatus.PENDING:
            return  # erased with its person meanwhile, or recorded by another worker
        message.attempts += 1
        if error is None:
            message.status = OutboxStatus.SENT
            message.sent_at = func.now()
            message.secrets = None
            message.last_error = None
            if message.erase_once_sent:
                await session.delete(message)
            return
        message.last_error = f"{type(error).__name__}: {error}"[:1000]
        if message.attempts >= max_attempts:
            message.status = OutboxStatus.FAILED
            message.secrets = None
            if message.erase_once_sent:
                await session.delete(message)
            logger.error(
                "%s %s to %s abandoned: %s",
                message.channel,
                message.id,
                message.recipient,
                error,
            )
        else:
            message.next_attempt_at = func.now() + backoff(message.attempts)
            logger.warning(
                "%s %s not sent (attempt %d): %s",
                message.channel,
                message.id,
                message.attempts,
                error,
            )


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    transport: Transport,
    *,
    batch_size: int = 20,
    max_attempts: int = 12,
    lease: timedelta = timedelta(seconds=120),
) -> int:
    """Send up to `batch_size` of the channel's due messages, one at a time. Returns how many
    were handled.

    Each is claimed for `lease`, sent with no connection held (an SMTP server or an SMS
    gateway that takes its time keeps nothing from the API's pool), then its outcome written.
    The lease is longer than a sending can last (the SMTP and SMS timeouts are 30 s and 10 s):
    a message sent twice is one whose worker died between sending and recording it, with the
    same Message-ID both times.
    """
    handled = 0
    while handled < batch_size:
        message = await _claim(sessionmaker, transport.channel, lease)
        if message is None:
            break
        error: Exception | None = None
        try:
            await transport.deliver(message)
        except Exception as exc:
            error = exc
        await _record(sessionmaker, message, error, max_attempts)
        handled += 1
    return handled


async def run_worker(
    sessionmaker: async_sessionmaker[AsyncSession],
    transport: Transport,
    settings: Settings,
    stop: asyncio.Event,
) -> None:
    """Drain the channel until `stop` is set; survives database and SMTP outages."""
    while not stop.is_set():
        try:
            handled = await deliver_due(
                sessionmaker,
                transport,
                batch_size=settings.outbox_batch_size,
                max_attempts=settings.outbox_max_attempts,
                lease=timedelta(seconds=settings.outbox_lease_seconds),
            )
        except Exception:  # the database may be down for a while; keep trying
            logger.exception("outbox worker: batch failed")
            handled = 0
        if handled:
            continue
        try:
            await asyncio.wait_for(stop.wait(), timeout=settings.outbox_poll_seconds)
        except TimeoutError:
            pass

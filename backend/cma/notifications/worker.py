"""The outbox worker: sends due mails, retries with backoff, never holds a secret longer.

Several workers (in API processes or `cma worker`) can run at once: each claims a batch with
`FOR UPDATE SKIP LOCKED`, so a mail is handled by one of them. A worker killed mid-batch rolls
back its claim and the batch is sent again later (at-least-once, same Message-ID).
"""

import asyncio
import logging
from datetime import timedelta
from typing import Protocol

from sqlalchemy import func, select
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


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    transport: Transport,
    *,
    batch_size: int = 20,
    max_attempts: int = 12,
) -> int:
    """Send one batch of the channel's due messages. Returns how many were handled."""
    async with sessionmaker() as session, session.begin():
        batch = list(
            await session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.channel == transport.channel,
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= func.now(),
                )
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            )
        )
        for message in batch:
            try:
                await transport.deliver(message)
            except Exception as exc:
                message.attempts += 1
                message.last_error = f"{type(exc).__name__}: {exc}"[:1000]
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
                        exc,
                    )
                else:
                    message.next_attempt_at = func.now() + backoff(message.attempts)
                    logger.warning(
                        "%s %s not sent (attempt %d): %s",
                        message.channel,
                        message.id,
                        message.attempts,
                        exc,
                    )
            else:
                message.attempts += 1
                message.status = OutboxStatus.SENT
                message.sent_at = func.now()
                message.secrets = None
                message.last_error = None
                if message.erase_once_sent:
                    await session.delete(message)
        return len(batch)


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

"""The outbox worker: sends due mails, retries with backoff, never holds a secret longer.

Several workers (in API processes or `cma worker`) can run at once: each claims a batch of
messages with `FOR UPDATE SKIP LOCKED` for a lease, so a mail is handled by one of them and
no connection is held while they are sent. A worker killed while sending leaves the mail in
hand to be sent again (at-least-once, same Message-ID) and the rest of its batch to be sent
when the lease ends.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import Protocol

import anyio
from sqlalchemy import Interval, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.core.database import once_a_connection_is_free
from cma.core.settings import Settings
from cma.notifications.models import Channel, OutboxMessage, OutboxStatus
from cma.notifications.rendering import render, render_sms
from cma.notifications.sender import MailSender
from cma.notifications.sms import SmsSender

logger = logging.getLogger(__name__)

Deliver = Callable[[OutboxMessage], Awaitable[None]]


class Transport(Protocol):
    """How the messages of one channel leave: `opened()` gives what sends one, for a batch."""

    channel: Channel

    def opened(self) -> AbstractAsyncContextManager[Deliver]: ...


class MailTransport:
    channel = Channel.MAIL

    def __init__(self, sender: MailSender) -> None:
        self._sender = sender

    @asynccontextmanager
    async def opened(self) -> AsyncIterator[Deliver]:
        async with self._sender.session() as send:

            async def deliver(message: OutboxMessage) -> None:
                mail = render(message.template, {**message.context, **(message.secrets or {})})
                await send(message.recipient, message.message_id, mail)

            yield deliver


class SmsTransport:
    channel = Channel.SMS

    def __init__(self, sender: SmsSender) -> None:
        self._sender = sender

    @asynccontextmanager
    async def opened(self) -> AsyncIterator[Deliver]:
        async def deliver(message: OutboxMessage) -> None:
            text = render_sms(message.template, message.context)
            await self._sender.send(message.recipient, message.message_id, text)

        yield deliver


# Seconds between the tries of an outcome's record that found no connection free.
RECORD_WAITS = (0.2, 0.5, 1.0)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at 30 min."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 1800))


async def _claim(
    sessionmaker: async_sessionmaker[AsyncSession],
    channel: Channel,
    lease: timedelta,
    limit: int,
) -> list[OutboxMessage]:
    """Take the channel's next due messages for `lease`, in a transaction of its own: they
    are not due again until the lease ends, so no connection and no lock is held while they
    are sent. A worker that dies with them leaves them to be sent again when the lease ends."""
    async with sessionmaker() as session, session.begin():
        due = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= func.now(),
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        messages = list(
            await session.scalars(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(due.scalar_subquery()))
                .values(next_attempt_at=func.now() + lease)
                .returning(OutboxMessage),
                execution_options={"synchronize_session": False},
            )
        )
        session.expunge_all()  # read once, used after the transaction ends
        return sorted(messages, key=lambda m: m.id)


# A message is still this worker's while it is pending under the lease this worker holds: a
# message erased with its person, or taken by another worker after the lease ran out, is not.
_MINE = (
    OutboxMessage.id == bindparam("outbox_id"),
    OutboxMessage.status == OutboxStatus.PENDING,
    OutboxMessage.next_attempt_at == bindparam("held"),
)
_RENEW = (
    update(OutboxMessage)
    .where(*_MINE)
    .values(next_attempt_at=func.now() + bindparam("lease", type_=Interval()))
    .returning(OutboxMessage.next_attempt_at)
)
_MARK_SENT = (
    update(OutboxMessage)
    .where(*_MINE)
    .values(
        status=OutboxStatus.SENT,
        sent_at=func.now(),
        secrets=None,
        last_error=None,
        attempts=OutboxMessage.attempts + 1,
    )
)
_ERASE_SENT = delete(OutboxMessage).where(*_MINE)


async def _mine_again(
    sessionmaker: async_sessionmaker[AsyncSession], message: OutboxMessage, lease: timedelta
) -> bool:
    """Just before its sending: whether the message is still this worker's (not erased with
    its person, not taken by another worker meanwhile), with a whole lease for the sending."""
    async with sessionmaker() as session, session.begin():
        renewed = await session.scalar(
            _RENEW,
            {"outbox_id": message.id, "held": message.next_attempt_at, "lease": lease},
            execution_options={"synchronize_session": False},
        )
    if renewed is None:
        return False
    message.next_attempt_at = renewed
    return True


async def _record(
    sessionmaker: async_sessionmaker[AsyncSession],
    sent: OutboxMessage,
    error: Exception | None,
    max_attempts: int,
) -> None:
    """What became of a sending, written right after it: a worker killed later in its batch
    sends again none of the mails it had sent before. It waits for a connection rather than
    be lost (a mail sent and not recorded would be sent again)."""
    await once_a_connection_is_free(
        lambda: _record_once(sessionmaker, sent, error, max_attempts), RECORD_WAITS
    )


async def _record_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    sent: OutboxMessage,
    error: Exception | None,
    max_attempts: int,
) -> None:
    async with sessionmaker() as session, session.begin():
        if error is None:  # the common case, in one statement
            await session.execute(
                _ERASE_SENT if sent.erase_once_sent else _MARK_SENT,
                {"outbox_id": sent.id, "held": sent.next_attempt_at},
                execution_options={"synchronize_session": False},
            )
            return
        message = await session.scalar(
            select(OutboxMessage).where(*_MINE).with_for_update(),
            {"outbox_id": sent.id, "held": sent.next_attempt_at},
        )
        if message is None:
            return  # erased with its person meanwhile, or recorded by another worker
        message.attempts += 1
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


async def _give_back(
    sessionmaker: async_sessionmaker[AsyncSession], messages: list[OutboxMessage]
) -> None:
    """The claimed messages a batch did not send (it was stopped) are due again at once."""
    async with sessionmaker() as session, session.begin():
        for message in messages:
            await session.execute(
                update(OutboxMessage).where(*_MINE).values(next_attempt_at=func.now()),
                {"outbox_id": message.id, "held": message.next_attempt_at},
                execution_options={"synchronize_session": False},
            )


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    transport: Transport,
    *,
    batch_size: int = 20,
    max_attempts: int = 12,
    lease: timedelta = timedelta(seconds=120),
    stop: asyncio.Event | None = None,
) -> int:
    """Send up to `batch_size` of the channel's due messages over one opened transport (one
    SMTP connection for the batch). Returns how many were claimed.

    They are claimed for `lease` and sent with no connection held (an SMTP server or an SMS
    gateway that takes its time keeps nothing from the API's pool). Just before its sending,
    each is checked to be still this worker's and given a whole lease; its outcome is
    written as soon as it is known. A message is sent twice only when its worker died
    between sending and recording it, with the same Message-ID both times; one erased with
    its person meanwhile is not sent. A batch stopped midway (`stop` set: the worker is
    shutting down) gives the rest back.
    """
    messages = await _claim(sessionmaker, transport.channel, lease, batch_size)
    if not messages:
        return 0
    left = list(messages)
    try:
        async with transport.opened() as deliver:
            while left and not (stop and stop.is_set()):
                message = left.pop(0)
                if not await _mine_again(sessionmaker, message, lease):
                    continue
                error: Exception | None = None
                try:
                    await deliver(message)
                except Exception as exc:
                    error = exc
                await _record(sessionmaker, message, error, max_attempts)
    finally:
        if left:
            with anyio.CancelScope(shield=True):
                await _give_back(sessionmaker, left)
    return len(messages)


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
                stop=stop,
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

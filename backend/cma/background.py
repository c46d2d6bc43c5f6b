"""Work done outside requests: the mail worker and periodic housekeeping."""

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.accounts import service as accounts
from cma.core.ratelimit import PostgresStorage, Throttle
from cma.core.settings import Settings
from cma.notifications.sender import SmtpSender
from cma.notifications.worker import run_worker

logger = logging.getLogger(__name__)
HOUSEKEEPING_SECONDS = 600


async def housekeeping(sessionmaker: async_sessionmaker[AsyncSession], throttle: Throttle) -> None:
    async with sessionmaker() as session, session.begin():
        await accounts.purge_expired(session)
    if isinstance(throttle.storage, PostgresStorage):
        await throttle.storage.purge_expired()


async def _periodic_housekeeping(
    sessionmaker: async_sessionmaker[AsyncSession], throttle: Throttle, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        try:
            await housekeeping(sessionmaker, throttle)
        except Exception:
            logger.exception("housekeeping failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=HOUSEKEEPING_SECONDS)
        except TimeoutError:
            pass


async def run_background(
    sessionmaker: async_sessionmaker[AsyncSession],
    throttle: Throttle,
    settings: Settings,
    stop: asyncio.Event,
) -> None:
    tasks = [_periodic_housekeeping(sessionmaker, throttle, stop)]
    if settings.smtp_host:
        tasks.append(run_worker(sessionmaker, SmtpSender(settings), settings, stop))
    else:
        logger.warning("SMTP_HOST is not set: mails stay queued in the outbox")
    await asyncio.gather(*tasks)

"""Work done outside requests: the mail worker and periodic housekeeping."""

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.accounts import service as accounts
from cma.core import jobs
from cma.core.ratelimit import PostgresStorage, Throttle
from cma.core.settings import Settings
from cma.enrolment import offers
from cma.learners import service as learners
from cma.notifications import service as notifications
from cma.notifications.sender import SmtpSender
from cma.notifications.sms import sms_sender
from cma.notifications.worker import MailTransport, SmsTransport, run_worker

logger = logging.getLogger(__name__)
HOUSEKEEPING_SECONDS = 600


async def housekeeping(sessionmaker: async_sessionmaker[AsyncSession], throttle: Throttle) -> None:
    async with sessionmaker() as session, session.begin():
        await accounts.purge_expired(session)
        await notifications.purge_unowned(session)
    async with sessionmaker() as session, session.begin():
        expired = await offers.expire(session)
    if expired:
        logger.info("%d offers expired; their seats went down the waiting lists", expired)
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


def job_handlers(throttle: Throttle, settings: Settings) -> dict[str, jobs.Handler]:
    """Every kind of job the requests hand over, and who does it."""
    rules = accounts.Rules.from_settings(settings)
    return {
        **accounts.job_handlers(throttle, rules),
        **learners.job_handlers(throttle, rules),
    }


async def run_background(
    sessionmaker: async_sessionmaker[AsyncSession],
    throttle: Throttle,
    settings: Settings,
    stop: asyncio.Event,
) -> None:
    tasks = [
        _periodic_housekeeping(sessionmaker, throttle, stop),
        jobs.run_jobs(
            sessionmaker, job_handlers(throttle, settings), settings.outbox_poll_seconds, stop
        ),
    ]
    if settings.smtp_host:
        tasks.append(run_worker(sessionmaker, MailTransport(SmtpSender(settings)), settings, stop))
    else:
        logger.warning("SMTP_HOST is not set: mails stay queued in the outbox")
    if (sms := sms_sender(settings)) is not None:
        tasks.append(run_worker(sessionmaker, SmsTransport(sms), settings, stop))
    else:
        logger.warning("SMS_URL is not set: SMS stay queued in the outbox")
    await asyncio.gather(*tasks)

"""The gauges no request moves: every few seconds each API process writes the outbox's
backlog and oldest age, its database pools' use and its password queue (when metrics are
served)."""

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cma.core.metrics import (
    DB_POOL_IN_USE,
    DB_POOL_SIZE,
    HASHING_IN_FLIGHT,
    HASHING_WAITING,
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
)
from cma.core.security import hasher
from cma.notifications import service as notifications

logger = logging.getLogger(__name__)


async def sample(
    sessionmaker: async_sessionmaker[AsyncSession],
    engines: list[AsyncEngine],
    stop: asyncio.Event,
    every: float = 5.0,
) -> None:
    while not stop.is_set():
        try:
            async with sessionmaker() as session:
                count, oldest = await notifications.backlog(session)
            OUTBOX_BACKLOG.set(count)
            OUTBOX_OLDEST_AGE.set(oldest)
        except Exception as exc:  # the database may be away for a while: the next try tells
            logger.warning("metrics: cannot read the outbox: %r", exc)
        DB_POOL_IN_USE.set(sum(engine.pool.checkedout() for engine in engines))  # type: ignore[attr-defined]
        DB_POOL_SIZE.set(sum(engine.pool.size() for engine in engines))  # type: ignore[attr-defined]
        queue = hasher()
        HASHING_IN_FLIGHT.set(queue.in_flight)
        HASHING_WAITING.set(queue.waiting)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)

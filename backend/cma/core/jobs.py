"""Work a request hands over to the worker, so that its answer takes the same time whatever the
work turns out to be.

"Mot de passe oublié ?" must answer alike, in alike time, for an address that has an account and
one that has none: the request only writes a job (one row, the same row either way), and the
worker looks the address up, makes the link and writes the mail. A job is done in its own
transaction with what it causes; several workers share the queue (`FOR UPDATE SKIP LOCKED`);
one that fails is tried again later, and given up after a while.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, Text, delete, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from cma.core.database import Base, CreatedAt

logger = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]
MAX_ATTEMPTS = 8


class Job(CreatedAt, Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    # What the worker needs (an address, an id): gone once the job is done.
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)


async def defer(session: AsyncSession, kind: str, payload: dict[str, Any]) -> None:
    """Queue `kind` with `payload`, in the caller's transaction."""
    session.add(Job(kind=kind, payload=payload))


def _retry_in(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2**attempts, 900))


async def run_one(
    sessionmaker: async_sessionmaker[AsyncSession], handlers: Mapping[str, Handler]
) -> bool:
    """Do the oldest due job, if any; False when there was none."""
    async with sessionmaker() as session, session.begin():
        job = await session.scalar(
            select(Job)
            .where(Job.next_attempt_at <= func.now())
            .order_by(Job.next_attempt_at, Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if job is None:
            return False
        handler = handlers.get(job.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for job {job.kind!r}")
            async with session.begin_nested():
                await handler(session, job.payload)
        except Exception as exc:
            job.attempts += 1
            job.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            if job.attempts >= MAX_ATTEMPTS:
                logger.error("job %s (%s) abandoned: %s", job.id, job.kind, exc)
                await session.execute(delete(Job).where(Job.id == job.id))
            else:
                logger.warning(
                    "job %s (%s) failed (attempt %d): %s", job.id, job.kind, job.attempts, exc
                )
                job.next_attempt_at = func.now() + _retry_in(job.attempts)
        else:
            await session.execute(delete(Job).where(Job.id == job.id))
        return True


async def run_due(
    sessionmaker: async_sessionmaker[AsyncSession], handlers: Mapping[str, Handler]
) -> int:
    """Do every due job now; returns how many were handled."""
    done = 0
    while await run_one(sessionmaker, handlers):
        done += 1
    return done


async def run_jobs(
    sessionmaker: async_sessionmaker[AsyncSession],
    handlers: Mapping[str, Handler],
    poll_seconds: float,
    stop: asyncio.Event,
) -> None:
    """Do jobs until `stop` is set; survives database outages."""
    while not stop.is_set():
        try:
            handled = await run_due(sessionmaker, handlers)
        except Exception:
            logger.exception("jobs: a run failed")
            handled = 0
        if handled:
            continue
        try:
            await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
        except TimeoutError:
            pass

"""Engine, sessions and the request-owned transaction."""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, ClassVar, TypeVar

from fastapi import Depends, Request
from sqlalchemy import BigInteger, DateTime, MetaData, event, func
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import ConnectionPoolEntry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        int: BigInteger,
    }


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


# A connection idle longer than this is checked before use (see `_ping_after_idle`).
PING_AFTER_IDLE_SECONDS = 5.0


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    pool_timeout: float = 30.0,
    ping_after_idle: float = PING_AFTER_IDLE_SECONDS,
) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=pool_timeout,
        connect_args={
            "server_settings": {
                "application_name": "cma",
                "timezone": "UTC",
                # No request may wait for ever: a lock or a query that long is an error.
                "lock_timeout": "10s",
                "statement_timeout": "60s",
                "idle_in_transaction_session_timeout": "60s",
            }
        },
    )
    _ping_after_idle(engine, ping_after_idle)
    return engine


def _ping_after_idle(engine: AsyncEngine, seconds: float) -> None:
    """Pessimistic disconnect handling for the connections that sat idle, free for busy ones.

    A connection that sat in the pool may have been cut meanwhile (a failover, a server
    restart, a firewall's idle timeout): it is pinged before use and, if dead, replaced by a
    fresh one, so the request never sees it. One used a moment ago is not: `pool_pre_ping`
    pings every checkout, three round trips on asyncpg (BEGIN, a query, ROLLBACK), which was
    the largest single cost of a login after the password. A connection cut while in use
    still fails its request (a 503 with Retry-After), and the pool then replaces them all.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:
            # The pool's documented signal: discard this connection and check out another.
            raise DisconnectionError("the connection was lost while idle") from error


T = TypeVar("T")


async def once_a_connection_is_free(work: Callable[[], Awaitable[T]], waits: Sequence[float]) -> T:
    """`work`, tried again after each of `waits` while no pooled connection was free in time,
    then a last time: for a write that is owed (a give-back, a sending's outcome), which a
    pool timeout in a rush must not lose."""
    for wait in waits:
        try:
            return await work()
        except PoolTimeout:
            await asyncio.sleep(wait)
    return await work()


async def release(session: AsyncSession) -> None:
    """Give the request's connection back to the pool before a wait that is not the
    database's (a password's hashing, a captcha's rendering), so that a queue of such waits
    never holds the pool that every other request needs.

    What the transaction did so far is committed (it holds no write where this is called,
    only reads and the session's touch), what was read stays usable, and the next statement
    takes a connection again, in a new transaction.
    """
    if session.in_transaction():
        await session.commit()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the handler returns, rolled back on error.

    Services only flush; nothing commits halfway, so a state change and the mail it causes
    land together or not at all.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# scope="function": the commit happens before the response is sent, so a client never sees a
# success for a write that failed to commit.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]

"""The pool: a connection cut while it sat idle never reaches a request."""

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from cma.core.database import create_engine
from cma.core.settings import to_asyncpg_url


async def _cut_while_idle(url: str, ping_after_idle: float) -> tuple[int, int]:
    """Check a connection out and back in, have the server end it, then check out again.

    Returns the server process ids of the first and the second checkout.
    """
    engine = create_engine(url, pool_size=1, ping_after_idle=ping_after_idle)
    killer = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            first = await conn.scalar(text("SELECT pg_backend_pid()"))
        async with killer.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        await asyncio.sleep(0.2)  # idle for longer than ping_after_idle
        async with engine.connect() as conn:
            second = await conn.scalar(text("SELECT pg_backend_pid()"))
        return int(first), int(second)
    finally:
        await engine.dispose()
        await killer.dispose()


async def test_a_connection_cut_while_idle_is_replaced_before_use(database_url: str) -> None:
    first, second = await _cut_while_idle(to_asyncpg_url(database_url), ping_after_idle=0.1)
    assert second != first


async def test_a_connection_used_a_moment_ago_is_not_pinged(database_url: str) -> None:
    # The converse shows what the ping does: within the idle threshold nothing checks the
    # connection, and the one the server ended fails its statement.
    with pytest.raises(DBAPIError):
        await _cut_while_idle(to_asyncpg_url(database_url), ping_after_idle=60)

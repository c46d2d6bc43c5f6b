"""The throttle behaves the same on each store it can keep its counters in."""

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator

import pytest

from cma.core.database import create_engine
from cma.core.problems import TooManyRequests
from cma.core.ratelimit import Rule, Throttle, create_throttle
from cma.core.settings import to_asyncpg_url

REDIS = ("127.0.0.1", 6379)


def _redis_running() -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(REDIS) == 0


@pytest.fixture(
    params=[
        "postgresql",
        "async+memory://",
        pytest.param(
            f"async+redis://{REDIS[0]}:{REDIS[1]}",
            marks=pytest.mark.skipif(not _redis_running(), reason="no Redis on this machine"),
        ),
    ]
)
async def throttle(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[Throttle]:
    engine = create_engine(to_asyncpg_url(database_url), pool_size=1)
    store = None if request.param == "postgresql" else request.param
    yield create_throttle(engine, store)
    await engine.dispose()


async def test_reserves_before_the_work_gives_back_and_forgets(throttle: Throttle) -> None:
    # Keys of their own: Redis outlives the test.
    tight = Rule.of(f"tight-{uuid.uuid4().hex}", "2 per minute")
    loose = Rule.of(f"loose-{uuid.uuid4().hex}", "10 per minute")

    assert await throttle.reserve((tight, "a"), (loose, "a")) == [1, 1]
    assert await throttle.reserve((tight, "a"), (loose, "a"), (tight, "b")) == [2, 2, 1]
    await throttle.release((tight, "a"), (loose, "a"))
    assert await throttle.reserve((loose, "a"), (tight, "a")) == [2, 2]

    await throttle.consume(tight, "b")
    with pytest.raises(TooManyRequests) as refused:
        await throttle.consume(tight, "b")
    assert 0 < int(refused.value.headers["Retry-After"]) <= 61

    await throttle.forget(tight, "a")
    assert await throttle.reserve((tight, "a")) == [1]


async def test_concurrent_reservations_are_counted_one_by_one(throttle: Throttle) -> None:
    rule = Rule.of(f"race-{uuid.uuid4().hex}", "5 per minute")

    counts = await asyncio.gather(*(throttle.reserve((rule, "x")) for _ in range(20)))

    assert sorted(c for (c,) in counts) == list(range(1, 21))
    assert not await throttle.allows(rule, "x")


async def test_a_give_back_waits_for_a_connection_rather_than_be_lost(database_url: str) -> None:
    # Every connection of the counters' pool is busy (a rush) when a login's attempt is
    # given back: it is given back once one is free, not dropped with a pool timeout.
    engine = create_engine(to_asyncpg_url(database_url), pool_size=1, pool_timeout=0.1)
    throttle = create_throttle(engine, None)
    rule = Rule.of(f"owed-{uuid.uuid4().hex}", "5 per minute")
    try:
        assert await throttle.reserve((rule, "learner")) == [1]
        busy = [await engine.connect(), await engine.connect()]  # the pool and its overflow
        giving_back = asyncio.create_task(throttle.release((rule, "learner")))
        await asyncio.sleep(0.3)  # past the pool's timeout
        for conn in busy:
            await conn.close()
        await giving_back
        assert await throttle.reserve((rule, "learner")) == [1]
    finally:
        await engine.dispose()

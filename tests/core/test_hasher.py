"""The password hasher's admission: bounded work, a short wait for room, then a clear no."""

import asyncio
import multiprocessing
import os
import signal
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from cma.core.problems import Busy
from cma.core.security import Hasher


@pytest.fixture
async def one_at_a_time() -> AsyncIterator[Hasher]:
    hasher = Hasher(concurrency=1, queue=0, patience=5.0)
    await hasher.warm()
    yield hasher
    hasher.close()


@pytest.fixture
def release() -> Iterator[Any]:
    """What holds a password process until the test lets it go (no sleep to guess at)."""
    with multiprocessing.Manager() as manager:
        event = manager.Event()
        yield event
        event.set()


def _held(release: Any) -> bool:
    """Password work that lasts until it is released."""
    return bool(release.wait(60))


async def _until(condition: Callable[[], bool]) -> None:
    """As soon as the event loop sees `condition` (on a loaded machine, later: not a fixed
    delay that a slow moment overruns)."""
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


async def test_a_request_that_finds_it_full_gets_in_when_room_is_made(
    one_at_a_time: Hasher, release: Any
) -> None:
    busy = asyncio.create_task(one_at_a_time.run(_held, release))
    await _until(lambda: one_at_a_time.in_flight == 1)

    admitted = asyncio.create_task(one_at_a_time.admit())
    await _until(lambda: one_at_a_time.waiting == 1)  # it waits instead of refusing
    release.set()
    await admitted

    assert await busy
    assert await one_at_a_time.run(abs, -2) == 2
    assert (one_at_a_time.in_flight, one_at_a_time.waiting) == (0, 0)


async def test_it_refuses_once_its_patience_is_spent(one_at_a_time: Hasher, release: Any) -> None:
    one_at_a_time.patience = 0.05
    busy = asyncio.create_task(one_at_a_time.run(_held, release))
    await _until(lambda: one_at_a_time.in_flight == 1)

    with pytest.raises(Busy):
        await one_at_a_time.admit()
    with pytest.raises(Busy):  # and work that skipped admission is bounded all the same
        await one_at_a_time.run(abs, -2)

    release.set()
    assert await busy
    assert (one_at_a_time.in_flight, one_at_a_time.waiting) == (0, 0)


async def test_no_more_wait_than_the_queue_holds(one_at_a_time: Hasher, release: Any) -> None:
    busy = asyncio.create_task(one_at_a_time.run(_held, release))
    await _until(lambda: one_at_a_time.in_flight == 1)
    waiter = asyncio.create_task(one_at_a_time.admit())
    await _until(lambda: one_at_a_time.waiting == 1)

    with pytest.raises(Busy):  # capacity is one: a second waiter is refused at once
        await one_at_a_time.admit()

    release.set()
    await waiter
    assert await busy


async def test_the_password_processes_run_at_the_priority_they_are_given() -> None:
    hasher = Hasher(concurrency=1, queue=0, niceness=7)
    try:
        assert await hasher.run(os.nice, 0) == 7 + os.nice(0)
    finally:
        hasher.close()


def _interrupt_is_ignored() -> bool:
    return signal.getsignal(signal.SIGINT) == signal.SIG_IGN


async def test_ctrl_c_is_the_servers_to_handle_not_the_password_processes() -> None:
    # In a terminal, Ctrl-C reaches every process of the group; the server shuts the pool
    # down, and a password process that took it too printed a KeyboardInterrupt traceback.
    hasher = Hasher(concurrency=1, queue=0)
    try:
        assert await hasher.run(_interrupt_is_ignored)
    finally:
        hasher.close()

"""The app as production runs it (`cma serve`, its own process), for the hostile tests."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient

from cma.core.settings import Settings
from tests.support.serving import LOG, serving


@pytest.fixture(scope="session")
def served(settings: Settings) -> Iterator[str]:
    """The app as `cma serve` runs it, shared by the tests of a session."""
    LOG.parent.mkdir(exist_ok=True)
    LOG.write_text("")
    # Short deadlines for slow clients, so that tests see them pass.
    with serving(REQUEST_HEADER_TIMEOUT="2", REQUEST_BODY_TIMEOUT="3") as url:
        yield url


@pytest.fixture
def server_log(served: str) -> Iterator[Path]:
    """The served app's log; a test using it fails if anything escaped to the server."""
    start = LOG.stat().st_size
    yield LOG
    with LOG.open() as log:
        log.seek(start)
        escaped = [line for line in log if "Exception in ASGI application" in line]
    assert not escaped, f"unhandled errors reached the server, see {LOG}"


@pytest.fixture
async def crowd(app: object) -> AsyncIterator[list[AsyncClient]]:
    """Fifty clients, each from its own address (per-address throttles stay out of the way)."""
    clients = [
        AsyncClient(
            transport=ASGITransport(app=app, client=(f"198.51.100.{n + 1}", 40000)),  # type: ignore[arg-type]
            base_url="https://cma.test",
        )
        for n in range(50)
    ]
    yield clients
    for http in clients:
        await http.aclose()

"""The app as production runs it (`cma serve`, its own process), for the hostile tests."""

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from httpx import ASGITransport, AsyncClient

from cma.core.settings import Settings
from cma.notifications.smtp_sink import free_port
from tests.catalogue.conftest import catalogue  # noqa: F401 - the demo catalogue fixture
from tests.learners.conftest import export, imported  # noqa: F401 - the pairing fixtures

CMA = Path(sys.executable).parent / "cma"
LOG = Path(__file__).resolve().parents[2] / "test-artifacts" / "served.log"


@contextmanager
def serving(*args: str, **env: str) -> Iterator[str]:
    """`cma serve` on a free loopback port, on the tests' database, with these arguments and
    settings (environment variables) added; yields its base URL. Its output goes to LOG."""
    port = free_port()
    LOG.parent.mkdir(exist_ok=True)
    log = LOG.open("a")
    process = subprocess.Popen(
        [CMA, "serve", "--port", str(port), *args],
        env={**os.environ, "OUTBOX_IN_PROCESS": "false", **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("cma serve did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


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

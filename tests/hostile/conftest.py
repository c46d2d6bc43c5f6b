"""The app as production runs it (`cma serve`, its own process), for the hostile tests."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cma.core.settings import Settings
from cma.notifications.smtp_sink import free_port
from tests.catalogue.conftest import catalogue  # noqa: F401 - the demo catalogue fixture

CMA = Path(sys.executable).parent / "cma"


@pytest.fixture(scope="session")
def served(settings: Settings) -> Iterator[str]:
    """`cma serve` on a free loopback port, on the tests' database; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [CMA, "serve", "--port", str(port)],
        env={**os.environ, "OUTBOX_IN_PROCESS": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
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

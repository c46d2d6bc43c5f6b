"""The app as production runs it: `cma serve`, in its own process."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from cma.notifications.smtp_sink import free_port

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

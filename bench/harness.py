"""What the benchmarks share: a fresh, migrated database (on DATABASE_URL's server, or the
embedded one), free ports, waiting for a server to answer, and wrk's measures."""

import asyncio
import os
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"


async def _admin(server_url: str, statement: str) -> None:
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(statement))
    await engine.dispose()


@contextmanager
def fresh_database() -> Iterator[str]:
    """Yields the postgresql:// URL of a new migrated database, dropped afterwards."""
    from cma.core.settings import to_asyncpg_url

    with ExitStack() as stack:
        server = os.environ.get("DATABASE_URL")
        if not server:
            from cma.core import embedded

            database = embedded.start(ROOT / ".data" / "bench-postgres", "postgres")
            stack.callback(database.stop)
            server = database.url
        admin_url = to_asyncpg_url(server)
        name = f"cma_bench_{uuid.uuid4().hex[:8]}"
        asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
        stack.callback(
            lambda: asyncio.run(_admin(admin_url, f'DROP DATABASE "{name}" WITH (FORCE)'))
        )
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        url = url.replace("+asyncpg", "")
        subprocess.run(
            [BIN / "cma", "migrate"],
            env={**os.environ, "DATABASE_URL": url},
            check=True,
            capture_output=True,
        )
        yield url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited ({process.returncode})")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(name: str, url: str, seconds: int, connections: int, script: list[str]) -> Result:
    """wrk's closed loop (2 threads) on `url`; `script` adds wrk options such as a Lua script."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", *script, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        errors += sum(int(n) for n in match.groups())
    return Result(name, rps, p50, p99, errors)

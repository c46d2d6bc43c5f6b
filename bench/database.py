"""A fresh, migrated database for a benchmark: on DATABASE_URL's server, or the embedded one."""

import asyncio
import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

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

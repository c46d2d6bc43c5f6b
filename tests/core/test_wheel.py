"""The service as an operator installs it: from its wheel, in an environment of its own, far
from the checkout. The wheel carries the migrations and the built SPA: it migrates a fresh
database and serves the API and the SPA."""

import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from cma.core.settings import to_asyncpg_url
from cma.notifications.smtp_sink import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_database(server_url: str) -> Iterator[str]:
    server = make_url(to_asyncpg_url(server_url))
    name = f"cma_wheel_{uuid.uuid4().hex[:10]}"

    async def admin(statement: str) -> None:
        engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(statement))
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    yield url.replace("postgresql+asyncpg://", "postgresql://", 1)
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _run(*command: object, **options: object) -> None:
    subprocess.run([str(part) for part in command], check=True, timeout=300, **options)  # type: ignore[call-overload]


def test_the_wheel_installed_elsewhere_migrates_and_serves(
    tmp_path: Path, fresh_database: str
) -> None:
    built = ROOT / "frontend" / "dist"
    assert (built / "index.html").is_file(), "the SPA is not built: run `make install`"
    # The wheel is built from a copy: the checkout is left as it is.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT / "backend",
        source / "backend",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "web"),
    )
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copytree(built, source / "backend" / "cma" / "web")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    _run(*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path / "wheels", source)
    [wheel] = (tmp_path / "wheels").glob("cma-*.whl")
    site = tmp_path / "site"
    _run(*pip, "install", "--no-deps", "--target", site, wheel)

    # Python without this environment's site hooks (`-S`: no editable install of the checkout),
    # the package from the wheel only, its dependencies from here.
    dependencies = [entry for entry in sys.path if entry.endswith("site-packages")]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), *dependencies]),
        "DATABASE_URL": fresh_database,
        "OUTBOX_IN_PROCESS": "false",
        "CMA_DATA_DIR": str(tmp_path / "data"),
    }
    cma = [sys.executable, "-S", "-c", "import sys; from cma.cli import main; main(sys.argv[1:])"]
    where = subprocess.run(
        [sys.executable, "-S", "-c", "import cma; print(cma.__file__)"],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.strip().startswith(str(site))
    _run(*cma, "migrate", env=env, cwd=tmp_path)

    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [*cma, "serve", "--port", str(port)], env=env, cwd=tmp_path, stdout=log, stderr=log
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                health = httpx.get(f"{url}/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError((tmp_path / "serve.log").read_text())
        home = httpx.get(f"{url}/", timeout=5)
        catalogue = httpx.get(f"{url}/catalogue", timeout=5)
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()

    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "ok"}
    assert home.status_code == 200
    assert "Cours Municipaux d'Adultes" in home.text or '<div id="app">' in home.text
    assert catalogue.status_code == 200  # the SPA's own routes, from the wheel's copy

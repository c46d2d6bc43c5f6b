"""The `cma` command typed in a second terminal while `make run` runs: it finds that server's
database and address by itself, tells its outcome in French (or JSON with --json), and says
plainly when there is no database at all."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.core.settings import Settings
from cma.notifications.models import OutboxMessage

CMA = Path(sys.executable).with_name("cma")


def cma(
    *args: str, data_dir: Path, unset: tuple[str, ...] = (), **env: str
) -> subprocess.CompletedProcess[str]:
    """The command as a person runs it: no DATABASE_URL nor PUBLIC_URL of their own."""
    gone = ("DATABASE_URL", "PUBLIC_URL", *unset)
    clean = {k: v for k, v in os.environ.items() if k not in gone}
    return subprocess.run(
        [str(CMA), *args],
        env={**clean, "CMA_DATA_DIR": str(data_dir), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def announce(directory: Path, pid: int, environment: dict[str, str], mode: int = 0o600) -> Path:
    """The file `make run` leaves for other terminals."""
    path = directory / "running.json"
    path.write_text(json.dumps({"pid": pid, "environment": environment}), encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.fixture
def dev_server() -> Iterator[int]:
    """A process that looks like `cma dev` (its command line), as long as the test lasts."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "cma", "dev"])
    yield process.pid
    process.kill()
    process.wait()


@pytest.fixture
def running_server(tmp_path: Path, settings: Settings, dev_server: int) -> Path:
    """What `make run` leaves for other terminals: its database, on port 8123."""
    assert settings.database_url
    announce(
        tmp_path,
        dev_server,
        {"DATABASE_URL": settings.database_url, "PUBLIC_URL": "http://127.0.0.1:8123"},
    )
    return tmp_path


async def test_create_staff_in_a_second_terminal_uses_the_running_servers_database_and_address(
    running_server: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    done = cma("create-staff", "Nouvel.Agent@Paris.fr", data_dir=running_server)
    again = cma("--json", "create-staff", "nouvel.agent@paris.fr", data_dir=running_server)

    assert done.returncode == 0, done.stderr
    assert "nouvel.agent@paris.fr n'a pas de compte parisien activé" in done.stdout
    assert "une invitation lui a été envoyée, valable jusqu'au" in done.stdout
    assert "Traceback" not in done.stderr
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["outcome"] == "invited"
    async with sessionmaker() as session:
        mail = await session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.recipient == "nouvel.agent@paris.fr")
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
    assert mail is not None
    assert mail.secrets is not None
    assert mail.secrets["invitation_url"].startswith("http://127.0.0.1:8123/invitation#token=")


def test_without_a_database_nor_a_running_server_the_command_says_what_to_do(
    tmp_path: Path,
) -> None:
    stale = tmp_path / "running.json"
    stale.write_text(json.dumps({"pid": 2**22 + 1, "environment": {}}), encoding="utf-8")

    refused = cma("expire-offers", data_dir=tmp_path)

    assert refused.returncode == 2
    assert "Aucune base de données" in refused.stderr
    assert "Lancez `make run` dans un autre terminal" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_only_a_file_of_ones_own_running_dev_server_is_trusted(
    tmp_path: Path, settings: Settings, dev_server: int
) -> None:
    assert settings.database_url
    borrowed = {"DATABASE_URL": settings.database_url, "PUBLIC_URL": "https://evil.example"}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = announce(elsewhere, dev_server, borrowed)

    announce(tmp_path, dev_server, borrowed, mode=0o644)
    readable = cma("expire-offers", data_dir=tmp_path)
    announce(tmp_path, os.getpid(), borrowed)
    not_a_dev_server = cma("expire-offers", data_dir=tmp_path)
    (tmp_path / "running.json").unlink()
    (tmp_path / "running.json").symlink_to(target)
    linked = cma("expire-offers", data_dir=tmp_path)

    for refused in (readable, not_a_dev_server, linked):
        assert refused.returncode == 2, refused.stderr
        assert "Aucune base de données" in refused.stderr


def test_a_running_file_that_is_not_what_cma_dev_writes_is_refused_plainly(
    tmp_path: Path, settings: Settings, dev_server: int
) -> None:
    assert settings.database_url
    good = {"DATABASE_URL": settings.database_url}
    cases = {
        "a directory": lambda path: path.mkdir(),
        "a FIFO": lambda path: os.mkfifo(path, 0o600),
        "a pid of true": lambda path: announce(path.parent, True, good),
        "a pid of 0": lambda path: announce(path.parent, 0, good),
        "a pid too large": lambda path: announce(path.parent, 2**70, good),
        "nested too deep": lambda path: (
            path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8"),
            path.chmod(0o600),
        ),
        "a port that is no number": lambda path: announce(
            path.parent, dev_server, {**good, "SMTP_PORT": "abc"}
        ),
        "no database address": lambda path: announce(
            path.parent, dev_server, {"DATABASE_URL": "nonsense"}
        ),
    }
    for name, make in cases.items():
        directory = tmp_path / name.replace(" ", "-")
        directory.mkdir()
        make(directory / "running.json")

        refused = cma("--json", "expire-offers", data_dir=directory, unset=("SMTP_PORT",))

        assert refused.returncode == 2, (name, refused.stderr)
        assert "Aucune base de données" in refused.stderr, name
        assert "Traceback" not in refused.stderr, name

"""The `cma` command typed in a second terminal while `make run` runs: it finds that server's
database and address by itself, tells its outcome in French (or JSON with --json), and says
plainly when there is no database at all."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.core.settings import Settings
from cma.notifications.models import OutboxMessage

CMA = Path(sys.executable).with_name("cma")


def cma(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The command as a person runs it: no DATABASE_URL nor PUBLIC_URL of their own."""
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PUBLIC_URL")}
    return subprocess.run(
        [str(CMA), *args],
        env={**clean, "CMA_DATA_DIR": str(data_dir), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def running_server(tmp_path: Path, settings: Settings) -> Path:
    """What `make run` leaves for other terminals: its database, on port 8123."""
    (tmp_path / "running.json").write_text(
        json.dumps(
            {
                "pid": os.getpid(),
                "environment": {
                    "DATABASE_URL": settings.database_url,
                    "PUBLIC_URL": "http://127.0.0.1:8123",
                },
            }
        ),
        encoding="utf-8",
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

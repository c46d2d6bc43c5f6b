"""Test harness: a real PostgreSQL built by alembic, a real SMTP server on loopback, the app.

Each run gets its own database (on DATABASE_URL's server, or on the embedded PostgreSQL when
DATABASE_URL is unset); every test starts from empty tables.
"""

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from cma.core.settings import Settings, get_settings, to_asyncpg_url
from cma.demo import catalogue as demo_catalogue
from cma.demo.legacy_accounts import generate
from cma.learners.legacy_import import Report, import_legacy
from cma.notifications.smtp_sink import SmtpSink
from tests.support import CAPTCHA_TEST_ANSWER, Mailbox

ROOT = Path(__file__).resolve().parents[1]
COURSES = 300


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """DATABASE_URL's server, or the embedded one started for this run and stopped after."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    from cma.core import embedded

    database = embedded.start(ROOT / ".data" / "test-postgres", "postgres")
    yield database.url
    database.stop()


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    import asyncio

    server = make_url(to_asyncpg_url(server_url))
    name = f"cma_test_{uuid.uuid4().hex[:10]}"

    async def admin(statement: str) -> None:
        engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(statement))
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    plain_url = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    from cma.cli import migrate

    migrate(plain_url)
    yield plain_url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def settings(database_url: str, smtp: SmtpSink) -> Settings:
    os.environ.update(
        CMA_ENV="test",
        DATABASE_URL=database_url,
        PUBLIC_URL="https://cma.test",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp.port),
        CAPTCHA_TEST_ANSWER=CAPTCHA_TEST_ANSWER,
        OUTBOX_IN_PROCESS="false",
        DEV_SMS_DIR=tempfile.mkdtemp(prefix="cma-sms-"),
        SECRET_KEY="test-secret-key-" + uuid.uuid4().hex,
    )
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[object]:
    from cma.main import create_app

    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def sessionmaker(app: object) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker  # type: ignore[attr-defined]
    return maker


@pytest.fixture(autouse=True)
async def _clean_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    if "sessionmaker" not in request.fixturenames:
        return
    maker: async_sessionmaker[AsyncSession] = request.getfixturevalue("sessionmaker")
    if "app" in request.fixturenames:
        # The app lives for the session: the brochure it rendered goes with this test's data.
        app = request.getfixturevalue("app")
        brochures = getattr(app.state, "brochures", None)
        if brochures is not None:
            await brochures.settle()
            app.state.brochures = None
    async with maker() as session, session.begin():
        tables = (
            await session.execute(
                text(
                    "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables "
                    "WHERE schemaname = 'public' "
                    "AND tablename NOT IN ('alembic_version', 'catalogue_version')"
                )
            )
        ).scalar_one()
        await session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    if "app" in request.fixturenames:
        # The truncation bumped the catalogue version; let the next test see it at once.
        await request.getfixturevalue("app").state.catalogue_cache.refresh()


@pytest.fixture
async def client(app: object, sessionmaker: object) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=app, client=("203.0.113.10", 40000))  # type: ignore[arg-type]
    async with AsyncClient(transport=transport, base_url="https://cma.test") as http:
        yield http


@pytest.fixture
def mailbox(
    smtp: SmtpSink, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> Iterator[Mailbox]:
    box = Mailbox(smtp, sessionmaker, settings)
    box.clear()
    yield box
    box.clear()


# The data most folders' tests start from. The browser journeys (tests/e2e) have their own
# `catalogue`, made visible to their live server.


@pytest.fixture
async def catalogue(app: object, sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """The demo catalogue (smaller than the real one, same shape), visible to readers at once."""
    async with sessionmaker() as session, session.begin():
        written = await demo_catalogue.seed(session, courses=COURSES)
    await app.state.catalogue_cache.refresh()  # type: ignore[attr-defined]
    return written


@pytest.fixture(scope="session")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated old-site export: 300 accounts, dirty rows included."""
    directory = tmp_path_factory.mktemp("legacy")
    generate(directory, size=300, seed=7, sample=300)
    return directory


@pytest.fixture
async def imported(export: Path, sessionmaker: async_sessionmaker[AsyncSession]) -> Report:
    return await import_legacy(sessionmaker, export)

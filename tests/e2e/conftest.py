"""Browser journeys: the built SPA served by the real app, driven in Debian's Chromium.

The server runs in the test's event loop (uvicorn on a free loopback port), so the journeys
share the database and SMTP server of the API tests. Every screen is checked with axe-core
and photographed at desktop size and at 360 px (`tests.support.browser.check_screen`).
"""

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.core.settings import Settings
from cma.demo import catalogue as demo_catalogue
from cma.notifications.smtp_sink import free_port
from cma.spa import DIST
from tests.support.browser import DESKTOP

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def built_spa() -> Path:
    assert (DIST / "index.html").is_file(), "the SPA is not built: run `make install`"
    return DIST


@pytest.fixture(scope="session")
def live_app(settings: Settings, built_spa: Path) -> Any:
    from cma.main import create_app

    return create_app(settings)


@pytest.fixture(scope="session")
async def live_url(live_app: Any) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(live_app, host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the live server did not start"
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture(scope="session")
def chromium_path() -> str:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `make browser`"
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        await chromium.close()


@pytest.fixture
async def context(browser: Browser, live_url: str) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(base_url=live_url, viewport=DESKTOP, locale="fr-FR")
    yield context
    await context.close()


@pytest.fixture
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" and "401" not in message.text
            else None
        ),
    )
    yield page
    assert not [p for p in problems if "Content Security Policy" in p], problems
    assert not [p for p in problems if p.startswith("page error")], problems


@pytest.fixture
async def catalogue(
    live_app: Any, live_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> int:
    """The demo catalogue, visible at once to the live server (not to tests/conftest.py's app)."""
    async with sessionmaker() as session, session.begin():
        written = await demo_catalogue.seed(session, courses=300)
    await live_app.state.catalogue_cache.refresh()
    return written

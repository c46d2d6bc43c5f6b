"""Browser journeys: the built SPA served by the real app, driven in Debian's Chromium.

The server runs in the test's event loop (uvicorn on a free loopback port), so the journeys
share the database and SMTP server of the API tests. Every screen is checked with axe-core
and photographed at desktop size and at 360 px, into test-artifacts/screenshots.
"""

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright

from cma.core.settings import Settings
from cma.notifications.smtp_sink import free_port
from cma.spa import DIST

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
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
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 740}


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


async def check_screen(page: Page, name: str) -> None:
    """At desktop size and at 360 px: axe-core finds no serious or critical violation, nothing
    scrolls sideways, and a screenshot is left."""
    await page.wait_for_load_state("networkidle")
    await _no_serious_violation(page, name)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    await page.screenshot(path=SCREENSHOTS / f"{slug}-desktop.png", full_page=True)
    await page.set_viewport_size(PHONE)
    try:
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name}: {width}px wide at 360 px (horizontal scrolling)"
        await _no_serious_violation(page, f"{name} (360 px)")
        await page.screenshot(path=SCREENSHOTS / f"{slug}-360.png", full_page=True)
    finally:
        await page.set_viewport_size(DESKTOP)


async def _no_serious_violation(page: Page, name: str) -> None:
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the page's CSP stays as strict as it is.
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = await page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        })"""
    )
    serious = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "nodes": [(n["target"], n["failureSummary"]) for n in v["nodes"]],
        }
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert serious == [], f"{name}: {json.dumps(serious, ensure_ascii=False)}"


def on_live_server(link: str, live_url: str) -> str:
    """A mailed link (PUBLIC_URL + path, its token in the fragment) opened on the server under
    test."""
    parts = urlsplit(link)
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return f"{live_url}{parts.path}{query}{fragment}"

"""The browser journeys' helpers: every screen checked with axe-core and photographed at
desktop size and at 360 px (into test-artifacts/screenshots), and the account journeys as a
person goes through them in the UI.

Not re-exported by `tests.support`: the API tests need no browser, and `log_in` here is the
login form, not the API's `tests.support.log_in`.
"""

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Page, ViewportSize, expect

from tests.support.accounts import CAPTCHA_TEST_ANSWER, PASSWORD
from tests.support.mail import Mailbox, link_in

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 740}

EMAIL = "auditeur.cma@yopmail.com"


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


async def fill_sign_up(page: Page, email: str = EMAIL, password: str = PASSWORD) -> None:
    await page.get_by_label("Adresse mail").fill(email)
    await page.get_by_label("Mot de passe", exact=False).first.fill(password)
    await page.get_by_label("Confirmation du mot de passe").fill(password)
    await page.get_by_label("J'accepte les Conditions Générales d'Utilisation").check()
    await page.locator("#captcha_answer").fill(CAPTCHA_TEST_ANSWER)


async def activate_in_the_browser(
    page: Page, link: str, live_url: str, password: str = PASSWORD
) -> None:
    """Follow the activation mail's link, and give the sign-up's password."""
    await page.goto(on_live_server(link, live_url))
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Activation de votre compte parisien"
    )
    await page.get_by_label("Mot de passe").fill(password)
    await page.get_by_role("button", name="Activer mon compte").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Votre compte parisien est créé et validé."
    )


async def sign_up_and_activate(page: Page, mailbox: Mailbox, live_url: str) -> None:
    await page.goto("/inscription")
    await fill_sign_up(page)
    await page.get_by_role("button", name="JE M'INSCRIS").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("C'est presque fini !")
    link = link_in(await mailbox.last_to(EMAIL))
    assert link.startswith(mailbox.settings.public_url + "/activation#token=")
    await activate_in_the_browser(page, link, live_url)


async def log_in(page: Page, password: str = PASSWORD) -> None:
    await page.get_by_label("Courriel").fill(EMAIL)
    await page.get_by_label("Mot de passe").fill(password)
    await page.get_by_role("button", name="Valider").click()


async def log_in_to_my_account(page: Page, password: str = PASSWORD) -> None:
    """Log in; a first login shows the seed's choice page, then go to "Mon compte"."""
    await log_in(page, password)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Rattacher votre compte CMA")
    await (
        page.get_by_role("navigation", name="Navigation principale")
        .get_by_role("link", name="Mon compte")
        .click()
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mon profil")

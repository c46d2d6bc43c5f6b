"""Who ends up holding an account, in the browser: the mailbox's owner, and nobody else.

Two ways were found to take someone's account over: sign up their address first with a password
of one's own, and have an operator's `cma create-staff` promote that sign-up. Both are played
here through the SPA, as the victim would, with the attacker's moves made beside it.
"""

import os
import subprocess
import sys
from pathlib import Path

from httpx import AsyncClient
from playwright.async_api import Browser, Page, Request, expect
from sqlalchemy import func, select

from cma.accounts.models import Account
from tests.support import PASSWORD, Mailbox, link_in, sign_up, token_in
from tests.support.browser import check_screen, fill_sign_up, log_in, on_live_server

VICTIM = "auditeur.cma@yopmail.com"
ATTACKER_PASSWORD = "Pirate2026x"
CMA = Path(sys.executable).parent / "cma"


async def accounts(mailbox: Mailbox) -> int:
    async with mailbox.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Account)) or 0


async def test_signing_up_someone_elses_address_first_gives_nothing(
    page: Page, client: AsyncClient, mailbox: Mailbox, live_url: str
) -> None:
    # The attacker signs up the victim's address with a password of theirs, and waits.
    squat = await sign_up(client, mailbox.sessionmaker, VICTIM, ATTACKER_PASSWORD)
    assert squat.status_code == 202
    squat_link = link_in(await mailbox.last_to(VICTIM))

    # Later the victim signs up, in the browser, with their own password.
    await page.goto("/inscription")
    await fill_sign_up(page, VICTIM, PASSWORD)
    await page.get_by_role("button", name="JE M'INSCRIS").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("C'est presque fini !")
    own_link = link_in(await mailbox.last_to(VICTIM))
    assert own_link != squat_link

    # The first mail of their inbox is the attacker's: with their own password, nothing.
    await page.goto(on_live_server(squat_link, live_url))
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Activer mon compte").click()
    await expect(page.locator("#password-error")).to_contain_text("n'est pas celui choisi")
    await check_screen(page, "activation mot de passe d une autre inscription")
    assert await accounts(mailbox) == 0

    # Their own mail's link, with their password: the account is theirs.
    await page.goto(on_live_server(own_link, live_url))
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Activer mon compte").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Votre compte parisien est créé et validé."
    )
    await page.get_by_role("link", name="Continuer").click()
    await page.get_by_label("Courriel").fill(VICTIM)
    await log_in(page, PASSWORD)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Rattacher votre compte CMA")

    attacker = await client.post(
        "/api/v1/sessions", json={"email": VICTIM, "password": ATTACKER_PASSWORD}
    )
    assert attacker.status_code == 401
    late_squat = await client.post(
        "/api/v1/accounts/activation",
        json={
            "token": token_in((await mailbox.mails_to(VICTIM))[0]),
            "password": ATTACKER_PASSWORD,
        },
    )
    assert late_squat.status_code == 409  # spent with the owner's activation
    assert await accounts(mailbox) == 1


async def test_a_mail_scanner_that_opens_the_link_activates_nothing(
    browser: Browser, client: AsyncClient, mailbox: Mailbox, live_url: str
) -> None:
    await sign_up(client, mailbox.sessionmaker, VICTIM, ATTACKER_PASSWORD)
    link = link_in(await mailbox.last_to(VICTIM))

    scanner = await browser.new_context(base_url=live_url)
    try:
        page = await scanner.new_page()
        await page.goto(on_live_server(link, live_url))
        await page.wait_for_load_state("networkidle")
        # A scanner that also presses the page's button, with nothing typed.
        await page.get_by_role("button", name="Activer mon compte").click()
        await page.wait_for_load_state("networkidle")
    finally:
        await scanner.close()

    assert await accounts(mailbox) == 0


async def test_create_staff_never_promotes_what_a_stranger_signed_up(
    page: Page, client: AsyncClient, mailbox: Mailbox, live_url: str
) -> None:
    agent = "agent.cma@paris.fr"
    # A stranger signs up the future agent's address and never activates it.
    await sign_up(client, mailbox.sessionmaker, agent, ATTACKER_PASSWORD)

    # The operator runs the command, with no password.
    ran = subprocess.run(  # noqa: ASYNC221 - the operator's command, as it runs
        [CMA, "create-staff", agent],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "n'a pas de compte parisien activé : une invitation lui a été envoyée" in ran.stdout
    assert "Inscrit dans le journal de sécurité." in ran.stdout
    stranger = await client.post(
        "/api/v1/sessions", json={"email": agent, "password": ATTACKER_PASSWORD}
    )
    assert stranger.status_code != 201
    assert await accounts(mailbox) == 0

    # The agent follows the invitation, chooses a password, and logs in to the staff console.
    invitation = next(
        mail
        for mail in await mailbox.mails_to(agent)
        if mail.subject == "Invitation à l'espace des agents des Cours Municipaux d'Adultes"
    )
    await page.goto(on_live_server(link_in(invitation), live_url))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Créer votre compte d'agent")
    await check_screen(page, "invitation agent")
    await page.locator("#password").fill("AgentSecret2027x")
    await page.get_by_label("Confirmation du mot de passe").fill("AgentSecret2027x")
    await page.get_by_label("J'accepte les Conditions Générales d'Utilisation").check()
    await page.get_by_role("button", name="Créer mon compte d'agent").click()
    await expect(page.get_by_text("Votre compte d'agent est créé.")).to_be_visible()

    await page.goto("/agents")
    await page.get_by_label("Courriel").fill(agent)
    await page.get_by_label("Mot de passe").fill("AgentSecret2027x")
    await page.get_by_role("button", name="Valider").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")

    stranger = await client.post(
        "/api/v1/sessions", json={"email": agent, "password": ATTACKER_PASSWORD}
    )
    assert stranger.status_code == 401


async def test_a_reset_links_token_reaches_no_log_nor_referrer(
    page: Page, client: AsyncClient, mailbox: Mailbox, live_url: str
) -> None:
    from tests.support import active_account

    await active_account(client, mailbox, VICTIM)
    await client.post("/api/v1/password-resets", json={"email": VICTIM})
    link = link_in(await mailbox.last_to(VICTIM))
    token = token_in(await mailbox.last_to(VICTIM))
    seen: list[tuple[str, str]] = []

    async def record(request: Request) -> None:
        headers = await request.all_headers()
        seen.append((request.url, headers.get("referer", "")))

    page.on("request", record)
    await page.goto(on_live_server(link, live_url))
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Choisir un nouveau mot de passe"
    )
    await expect(page).to_have_url(f"{live_url}/mot-de-passe/nouveau")
    await page.get_by_label("Nouveau mot de passe").fill("Nouveau2026x")
    await page.get_by_label("Confirmation du mot de passe").fill("Nouveau2026x")
    await page.get_by_role("button", name="Valider").click()
    await expect(page.get_by_text("Votre mot de passe a été modifié.")).to_be_visible()
    await page.get_by_role("link", name="Se connecter").last.click()
    await page.wait_for_load_state("networkidle")

    assert len(seen) > 3
    assert [(url, referer) for url, referer in seen if token in url or token in referer] == []
    assert all(referer == "" for _, referer in seen)  # no page tells where it was


async def test_swagger_ui_keeps_its_bearer_token_in_memory_only(page: Page) -> None:
    await page.goto("/docs")
    await page.wait_for_function("window.ui && window.ui.getConfigs")

    persisted = await page.evaluate("window.ui.getConfigs().persistAuthorization")
    # What Authorize does once it has a token.
    await page.evaluate(
        """window.ui.authActions.authorize({OAuth2PasswordBearer: {
            name: "OAuth2PasswordBearer", schema: {type: "oauth2"}, value: "jeton-de-test"}})"""
    )
    stored = await page.evaluate("JSON.stringify(Object.assign({}, window.localStorage))")

    assert persisted is False
    assert "jeton-de-test" not in stored
    assert "authorized" not in stored

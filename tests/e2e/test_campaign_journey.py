"""A whole campaign in the browser: three learners for two seats, the allocation, the answers
by mail, a declined seat that goes to the waiting list, and its confirmation; and the
répondeur automatique that takes a better seat for a learner and frees their other one."""

from datetime import timedelta

from httpx import AsyncClient
from playwright.async_api import Browser, Page, expect
from sqlalchemy import update

from cma.catalogue.models import Campaign
from cma.core.clock import today
from cma.enrolment.models import Application
from tests.support import (
    FICHE,
    PASSWORD,
    Mailbox,
    closed_campaign,
    learner_headers,
    link_in,
    person,
    staff_headers,
)
from tests.support.browser import DESKTOP, PHONE, check_screen, on_live_server

LEARNERS = ["alice.cma@yopmail.com", "bruno.cma@yopmail.com", "chloe.cma@yopmail.com"]


async def apply_in_the_browser(page: Page, email: str, code: str) -> None:
    """Log in, add the course from its page, submit "Mon panier"."""
    await page.goto(f"/connexion?suite=/catalogue/{code}")
    await page.get_by_label("Courriel").fill(email)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Valider").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Cours CA0001")
    await page.get_by_role("button", name="Ajouter à mon panier").click()
    # The learner stays on the course, told it is in the basket.
    await expect(page.get_by_role("status")).to_contain_text("Le cours est ajouté à votre panier")
    await expect(page.get_by_role("button", name="Ajouter à mon panier")).to_have_count(0)
    await page.get_by_role("link", name="Voir mon panier").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mon panier")
    tabs = page.get_by_role("navigation", name="Navigation principale")
    await expect(tabs.get_by_role("link", name="Mon panier : 1 cours")).to_be_visible()
    await page.get_by_role("button", name="Déposer ma candidature").click()
    await expect(page.get_by_role("status")).to_contain_text("Vos candidatures sont déposées")


async def open_answers_mail(page: Page, mailbox: Mailbox, email: str, live_url: str) -> str:
    """Follow the link of the last mail; returns its subject."""
    mail = await mailbox.last_to(email)
    await page.goto(on_live_server(link_in(mail, to="/mon-compte/reponses"), live_url))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Réponses aux candidatures")
    return mail.subject


async def test_three_learners_two_seats_a_decline_and_the_waiting_list_confirms(
    browser: Browser,
    client: AsyncClient,
    mailbox: Mailbox,
    live_url: str,
    catalogue: int,
) -> None:
    campaign = await closed_campaign(mailbox.sessionmaker)
    day = today()
    # Open for applications today; the answers come once staff close it.
    await campaign.set(
        application_start=day - timedelta(days=2),
        application_end=day,
        response_start=day + timedelta(days=1),
    )
    await campaign.course("CA0001", seats=2)
    pages = {}
    for email in LEARNERS:
        auth = await learner_headers(client, mailbox, email)
        fiche = await client.post("/api/v1/me/learner", json=FICHE, headers=auth)
        assert fiche.status_code == 201
        context = await browser.new_context(base_url=live_url, viewport=DESKTOP, locale="fr-FR")
        pages[email] = await context.new_page()
        await apply_in_the_browser(pages[email], email, "CA0001")

    # The application period ends; staff allocate (preview, then commit) and send the answers.
    async with mailbox.sessionmaker() as session, session.begin():
        await session.execute(
            update(Campaign)
            .where(Campaign.id == campaign.id)
            .values(application_end=day - timedelta(days=1), response_start=day)
        )
    staff = await staff_headers(client, mailbox)
    base = f"/api/v1/admin/campaigns/{campaign.id}"
    preview = await client.post(f"{base}/allocation/preview", headers=staff)
    assert preview.json()["courses"][0]["demand"] == 3
    committed = await client.post(f"{base}/allocation", headers=staff)
    assert committed.json()["accepted"] == 2
    assert (await client.post(f"{base}/responses", headers=staff)).json() == {"count": 3}

    accepted, waiting = [], []
    for email in LEARNERS:
        page = pages[email]
        subject = await open_answers_mail(page, mailbox, email, live_url)
        assert subject == "Réponses à vos candidatures aux Cours Municipaux d'Adultes"
        await page.reload()  # the allocation emptied the basket: its tab shows no count now
        tabs = page.get_by_role("navigation", name="Navigation principale")
        await expect(tabs.get_by_role("link", name="Mon panier", exact=True)).to_be_visible()
        card = page.locator(".course-card")
        await expect(card).to_contain_text("Cours CA0001")
        if await page.get_by_role("button", name="Confirmer mon inscription").count():
            accepted.append(email)
            await expect(card).to_contain_text("Acceptée, à confirmer")
        else:
            waiting.append(email)
            await expect(card).to_contain_text("n° 1 sur la liste d'attente")
    assert len(accepted) == 2
    assert len(waiting) == 1
    await check_screen(pages[accepted[0]], "reponses acceptee")
    await check_screen(pages[waiting[0]], "reponses liste d'attente")

    # One accepted learner declines; the seat goes to the waiting list, by mail.
    leaving = pages[accepted[0]]
    # Changing one's mind keeps one's place on the page.
    await leaving.get_by_role("button", name="Refuser la place").click()
    await leaving.get_by_role("button", name="Non, revenir").click()
    await expect(leaving.get_by_role("button", name="Refuser la place")).to_be_focused()
    await leaving.get_by_role("button", name="Refuser la place").click()
    await expect(leaving.get_by_text("Voulez-vous vraiment refuser cette place ?")).to_be_visible()
    await leaving.get_by_role("button", name="Oui, refuser la place").click()
    await expect(leaving.get_by_role("status")).to_have_text("Vous avez refusé la place.")
    await expect(leaving.locator(".course-card")).to_contain_text("Place refusée")

    promoted = pages[waiting[0]]
    subject = await open_answers_mail(promoted, mailbox, waiting[0], live_url)
    assert subject == "Une place vous est proposée aux Cours Municipaux d'Adultes"
    await expect(promoted.locator(".course-card")).to_contain_text(
        "Admis depuis la liste d'attente : une place s'est libérée."
    )
    await check_screen(promoted, "reponses place proposee")
    await promoted.get_by_role("button", name="Confirmer mon inscription").click()
    await expect(promoted.get_by_role("status")).to_have_text("Votre inscription est confirmée.")
    await expect(promoted.locator(".course-card")).to_contain_text("Inscription confirmée")
    await check_screen(promoted, "reponses inscription confirmee")

    # Mon historique keeps the campaign and every application's state.
    await promoted.goto("/historique")
    await expect(promoted.get_by_text("Inscription confirmée")).to_be_visible()
    for page in pages.values():
        await page.context.close()


async def test_the_repondeur_automatique_swaps_a_learner_to_a_better_choice(
    browser: Browser, client: AsyncClient, mailbox: Mailbox, live_url: str, catalogue: int
) -> None:
    """One course each. The climber holds their second choice and waits for their first; with
    the répondeur automatique on, the first is theirs as soon as it frees, and the second goes
    to the learner waiting behind them, with its mail."""
    campaign = await closed_campaign(mailbox.sessionmaker)
    await campaign.set(max_accepted=1)
    await campaign.course("CB0001", seats=1, weekday=1, priority=True)
    await campaign.course("CB0002", seats=1, weekday=2, priority=True)
    (favoured, favoured_id), (climber, climber_id), (waiting, waiting_id) = [
        await person(client, mailbox, i) for i in range(3)
    ]
    await campaign.apply(favoured_id, "CB0001", situation="rsa")
    wanted, _ = await campaign.apply(climber_id, "CB0001", "CB0002", situation="rsa")
    async with mailbox.sessionmaker() as session, session.begin():
        # On their first choice, the climber said no situation: the favoured one passes first.
        await session.execute(
            update(Application).where(Application.id == wanted).values(priority_situation="aucune")
        )
    await campaign.apply(waiting_id, "CB0002", situation="aucune")
    staff = await staff_headers(client, mailbox)
    committed = await client.post(
        f"/api/v1/admin/campaigns/{campaign.id}/allocation", headers=staff
    )
    assert committed.status_code == 201, committed.text

    for viewport, name in ((DESKTOP, "bureau"), (PHONE, "telephone")):
        context = await browser.new_context(base_url=live_url, viewport=viewport, locale="fr-FR")
        page = await context.new_page()
        await page.goto("/connexion?suite=/mon-compte/reponses")
        await page.get_by_label("Courriel").fill(climber.email)
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Valider").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Réponses aux candidatures")
        first = page.locator(".course-card", has_text="Cours CB0001")
        await expect(first).to_contain_text("n° 1 sur la liste d'attente")
        await expect(first).to_contain_text("le dernier admis (priorité « Situation prioritaire »")
        await expect(first).to_contain_text("Votre tirage au sort dans cette campagne : 0,")
        await check_screen(page, f"repondeur automatique {name}")
        if viewport is PHONE:
            await context.close()
            break
        # Keyboard only: to the switch, then space.
        switch = page.get_by_label("Activer le répondeur automatique pour cette campagne")
        await switch.focus()
        await page.keyboard.press("Space")
        await expect(page.get_by_role("status")).to_have_text("Répondeur automatique activé.")
        await expect(switch).to_be_checked()
        await context.close()

    # The favoured learner gives up their seat: the climber's first choice frees.
    [theirs] = [a for a in await favoured.applications(client) if a["status"] == "offered"]
    left = await client.post(
        f"/api/v1/me/applications/{theirs['id']}/decline", headers=favoured.auth
    )
    assert left.status_code == 200, left.text
    await mailbox.deliver()

    context = await browser.new_context(base_url=live_url, viewport=DESKTOP, locale="fr-FR")
    page = await context.new_page()
    mail = await mailbox.last_to(climber.email)
    assert mail.subject == (
        "Votre répondeur automatique a accepté une place aux Cours Municipaux d'Adultes"
    )
    await page.goto(on_live_server(link_in(mail, to="/mon-compte/reponses"), live_url))
    await page.get_by_label("Courriel").fill(climber.email)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Valider").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Réponses aux candidatures")
    await expect(page.locator(".course-card", has_text="Cours CB0001")).to_contain_text(
        "Inscription confirmée"
    )
    await expect(page.locator(".course-card", has_text="Cours CB0002")).to_contain_text(
        "Place libérée : vous avez obtenu un cours mieux classé dans vos choix"
    )
    await check_screen(page, "repondeur automatique place echangee")
    await context.close()
    offered = await mailbox.last_to(waiting.email)
    assert offered.subject == "Une place vous est proposée aux Cours Municipaux d'Adultes"
    assert "CB0002" in offered.body()

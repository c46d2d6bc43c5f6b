"""Journey F in the browser, the learner's side: a course into the basket, submitted."""

import re
from datetime import timedelta

from playwright.async_api import Locator, Page, expect
from sqlalchemy import func, select, update

from cma.accounts.models import LoginSession
from cma.catalogue.models import Campaign, Course
from tests.support import FICHE, Mailbox
from tests.support.browser import PHONE, check_screen, log_in, sign_up_and_activate


async def a_learner_with_a_fiche(page: Page, mailbox: Mailbox, live_url: str) -> dict[str, str]:
    """Signed up, logged in in the browser, with a fiche; returns the headers of its requests."""
    await sign_up_and_activate(page, mailbox, live_url)
    await page.goto("/connexion")
    await log_in(page)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Rattacher votre compte CMA")
    csrf = next(c["value"] for c in await page.context.cookies() if c["name"] == "cma_csrf")
    headers = {"X-CSRF-Token": csrf}
    created = await page.context.request.post("/api/v1/me/learner", data=FICHE, headers=headers)
    assert created.status == 201
    return headers


async def test_add_a_course_submit_the_basket_and_see_it_in_mes_demandes(
    page: Page,
    mailbox: Mailbox,
    live_url: str,
    catalogue: int,
) -> None:
    await a_learner_with_a_fiche(page, mailbox, live_url)
    async with mailbox.sessionmaker() as session:
        code, title = (
            await session.execute(
                select(Course.code, Course.title)
                .where(
                    Course.period != "second_semester",
                    Course.needs_motivation.is_(False),
                    Course.needs_priority_situation.is_(False),
                )
                .order_by(Course.code)
                .limit(1)
            )
        ).one()

    await page.goto(f"/catalogue/{code}")
    await page.get_by_role("button", name="Ajouter à mon panier").click()
    confirmation = page.get_by_role("status")
    await expect(confirmation).to_contain_text("qui compte maintenant 1 cours")
    await expect(confirmation).to_be_focused()
    await page.reload()
    await expect(page.get_by_text("Dans votre panier.")).to_be_visible()
    await page.goto(f"/catalogue?q={title}")
    await expect(page.locator(".course-card", has_text=code)).to_contain_text("Dans votre panier")
    await page.go_back()
    await page.get_by_role("link", name="Voir mon panier").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Mon panier")
    await expect(page.locator(".course-card")).to_have_count(1)
    await check_screen(page, "mon panier")
    # The button says what it does; the receipt that follows says what was filed and what next.
    await page.get_by_role("button", name="Déposer ma candidature").click()
    receipt = page.get_by_role("region", name="Vos candidatures sont déposées")
    await expect(receipt.get_by_role("heading", level=2)).to_be_focused()
    reference = (await receipt.locator("dd strong").first.inner_text()).strip()
    assert re.fullmatch(r"CMA-[A-Z0-9]{4}-[A-Z0-9]{4}", reference), reference
    await expect(receipt.get_by_role("listitem").first).to_contain_text(f"{title} ({code})")
    await expect(receipt).to_contain_text("Les réponses vous seront envoyées par mail entre le")
    await expect(page.get_by_role("button", name="Déposer ma candidature")).to_have_count(0)
    steps = page.get_by_role("navigation", name=re.compile("^Vos démarches"))
    await expect(steps.get_by_role("heading")).to_have_text("Vos démarches : étape 4 sur 4")
    await check_screen(page, "mon panier recu")
    mail = await mailbox.last_to("auditeur.cma@yopmail.com")
    assert mail.subject == "Vos candidatures aux Cours Municipaux d'Adultes"
    assert f"Numéro de dépôt : {reference}" in mail.body()

    await (
        page.get_by_role("navigation", name="Navigation principale")
        .get_by_role("link", name="Mon compte")
        .click()
    )
    await page.get_by_role("link", name="Mes demandes").click()
    await expect(page.locator(".course-card")).to_contain_text("Déposée")
    await check_screen(page, "mes demandes candidature")
    # Before the answers: when they will come.
    await page.get_by_role("link", name="Réponses aux candidatures").click()
    awaited = page.get_by_role("region", name="Réponses à venir")
    await expect(awaited).to_contain_text(
        re.compile(r"vos réponses arriveront par mail entre le \S+ \d+(er)? \S+ 20\d\d et le")
    )
    await check_screen(page, "reponses a venir")


async def test_a_session_about_to_end_warns_and_keeps_what_was_typed(
    page: Page,
    mailbox: Mailbox,
    live_url: str,
    catalogue: int,
) -> None:
    await page.clock.install()
    await a_learner_with_a_fiche(page, mailbox, live_url)
    async with mailbox.sessionmaker() as session:
        code = await session.scalar(
            select(Course.code)
            .where(Course.period != "second_semester", Course.needs_motivation.is_(True))
            .order_by(Course.code)
            .limit(1)
        )
    await page.goto(f"/catalogue/{code}")
    motivation = "Je voudrais reprendre ce cours pour mon nouveau travail à la mairie."
    await page.get_by_label("Quelques lignes de motivation").fill(motivation)

    # 26 minutes without a request: five minutes before the server would end the session.
    await page.clock.fast_forward("26:00")
    warning = page.get_by_role("alertdialog", name="Votre session va bientôt se terminer")
    await expect(warning).to_be_visible()
    await expect(warning.get_by_role("button", name="Rester connecté(e)")).to_be_focused()
    await check_screen(page, "session bientot terminee")
    await warning.get_by_role("button", name="Rester connecté(e)").click()
    await expect(warning).to_be_hidden()

    # Away for good this time: the session ends, on the server and in the page.
    async with mailbox.sessionmaker() as session, session.begin():
        await session.execute(
            update(LoginSession).values(last_seen_at=func.now() - timedelta(minutes=31))
        )
    await page.clock.fast_forward("31:00")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter à Mon compte")
    await expect(page.get_by_text("Votre session a expiré ou a été fermée.")).to_be_visible()
    await log_in(page)

    await expect(page).to_have_url(f"{live_url}/catalogue/{code}")
    await expect(page.get_by_label("Quelques lignes de motivation")).to_have_value(motivation)


async def test_reordering_and_removing_keep_the_focus_on_the_basket(
    page: Page,
    mailbox: Mailbox,
    live_url: str,
    catalogue: int,
) -> None:
    headers = await a_learner_with_a_fiche(page, mailbox, live_url)
    async with mailbox.sessionmaker() as session:
        rows = await session.execute(
            select(Course.code, Course.weekday, Course.title)
            .join(Campaign, Campaign.id == Course.campaign_id)
            .where(
                Course.period != "second_semester",
                Course.needs_motivation.is_(False),
                Course.needs_priority_situation.is_(False),
                Campaign.application_end >= func.current_date(),
                Campaign.application_start <= func.current_date(),
            )
            .order_by(Course.weekday, Course.code)
        )
        one_a_day: dict[int, tuple[str, str]] = {}
        for code, weekday, title in rows:
            one_a_day.setdefault(weekday, (code, title))
    courses = list(one_a_day.values())[:3]
    for code, _ in courses:
        added = await page.context.request.post(
            "/api/v1/me/basket/items", data={"course_code": code}, headers=headers
        )
        assert added.status == 201, await added.text()
    (first, first_title), (_, second_title), (third, _) = courses

    await page.goto("/panier")
    await page.get_by_role("button", name=f"Descendre {first_title}").click()
    await expect(page.get_by_role("status")).to_have_text("L'ordre de vos choix a été modifié.")
    await expect(page.locator(f"#down-{first}")).to_be_focused()
    await page.keyboard.press("Enter")  # down again, to the end: its other button
    await expect(page.locator(f"#up-{first}")).to_be_focused()
    await page.get_by_role("button", name=f"Retirer {second_title}").click()
    await expect(page.get_by_role("status")).to_have_text("Le cours a été retiré de votre panier.")
    await expect(page.locator(f"#remove-{third}")).to_be_focused()


async def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until `target` has the focus, as a keyboard user would (at most 80 times)."""
    for _ in range(80):
        if await target.evaluate("element => element === document.activeElement"):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"{target} never got the focus by Tab")


async def test_a_phone_user_applies_with_the_keyboard_alone(
    page: Page,
    mailbox: Mailbox,
    live_url: str,
    catalogue: int,
) -> None:
    await a_learner_with_a_fiche(page, mailbox, live_url)
    async with mailbox.sessionmaker() as session:
        code, title = (
            await session.execute(
                select(Course.code, Course.title)
                .where(
                    Course.period != "second_semester",
                    Course.needs_motivation.is_(False),
                    Course.needs_priority_situation.is_(False),
                )
                .order_by(Course.code.desc())
                .limit(1)
            )
        ).one()
    await page.set_viewport_size(PHONE)
    await page.goto("/")

    menu = page.get_by_role("button", name="Menu")
    await tab_to(page, menu)
    await page.keyboard.press("Enter")
    catalogue_tab = page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Catalogue"
    )
    await tab_to(page, catalogue_tab)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Catalogue")

    await tab_to(page, page.get_by_label("Rechercher une formation"))
    await page.keyboard.type(title)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("trouvée")
    await tab_to(page, page.locator(".course-card", has_text=code).get_by_role("link"))
    await page.keyboard.press("Enter")
    await tab_to(page, page.get_by_role("button", name="Ajouter à mon panier"))
    await page.keyboard.press("Enter")
    confirmation = page.get_by_role("status")
    await expect(confirmation).to_be_focused()
    await tab_to(page, page.get_by_role("link", name="Voir mon panier"))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mon panier")
    await tab_to(page, page.get_by_role("button", name="Déposer ma candidature"))
    await page.keyboard.press("Enter")
    receipt = page.get_by_role("region", name="Vos candidatures sont déposées")
    await expect(receipt.get_by_role("heading", level=2)).to_be_focused()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]

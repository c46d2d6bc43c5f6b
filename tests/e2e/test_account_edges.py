"""The less travelled paths of journeys A-C, in the browser."""

import re

from playwright.async_api import Page, expect

from tests.support import CAPTCHA_TEST_ANSWER, PASSWORD, Mailbox, link_in
from tests.support.browser import (
    EMAIL,
    check_screen,
    fill_sign_up,
    log_in,
    log_in_to_my_account,
    on_live_server,
    sign_up_and_activate,
)


async def test_logging_in_before_activation_offers_to_resend_the_mail(
    page: Page, mailbox: Mailbox
) -> None:
    await page.goto("/inscription")
    await fill_sign_up(page)
    await page.get_by_role("button", name="JE M'INSCRIS").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("C'est presque fini !")
    first = link_in(await mailbox.last_to(EMAIL))

    await page.goto("/connexion")
    await log_in(page)
    await expect(page.locator(".error-summary")).to_contain_text(
        "Vous venez de créer votre compte ? Activez-le d'abord"
    )
    await check_screen(page, "se connecter compte non active")
    await page.get_by_role("button", name="me renvoyer le mail d'activation de mon compte").click()

    await expect(page.get_by_role("status")).to_contain_text("nouveau mail d'activation")
    assert link_in(await mailbox.last_to(EMAIL)) != first


async def test_after_several_failures_the_login_asks_for_the_code_and_lets_the_owner_in(
    page: Page, mailbox: Mailbox, live_url: str
) -> None:
    await sign_up_and_activate(page, mailbox, live_url)
    await page.goto("/connexion")
    for _ in range(3):
        await log_in(page, "Mauvais2026")
        await expect(page.locator(".error-summary")).to_contain_text("est incorrect")
    await expect(page.locator("#captcha_answer")).to_have_count(0)

    await log_in(page, "Mauvais2026")
    await expect(page.locator("#captcha_answer-error")).to_contain_text(
        "recopiez aussi le code de vérification"
    )
    await expect(page.get_by_role("img", name=re.compile("Code de vérification"))).to_be_visible()
    await check_screen(page, "se connecter code demande")

    await page.locator("#captcha_answer").fill(CAPTCHA_TEST_ANSWER)
    await log_in(page)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Rattacher votre compte CMA")


async def test_an_unusable_activation_link_offers_a_new_mail(page: Page, mailbox: Mailbox) -> None:
    await page.goto("/activation#token=" + "x" * 43)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Activer mon compte").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Ce lien d'activation ne fonctionne pas"
    )
    await check_screen(page, "lien d activation invalide")
    await page.get_by_label("Adresse mail de votre compte").fill("personne@yopmail.com")
    await page.get_by_role("button", name="me renvoyer le mail d'activation de mon compte").click()
    await expect(page.get_by_role("status")).to_contain_text("Si une inscription attend")


async def test_changing_the_email_from_mes_parametres(
    page: Page, mailbox: Mailbox, live_url: str
) -> None:
    await sign_up_and_activate(page, mailbox, live_url)
    await page.goto("/connexion")
    await log_in_to_my_account(page)
    await page.get_by_role("link", name="Mes paramètres").click()

    await page.get_by_label("Nouvelle adresse mail").fill("nouvelle@yopmail.com")
    await page.locator("#email_password").fill(PASSWORD)
    await page.get_by_role("button", name="Changer mon adresse mail").click()
    await expect(page.get_by_text("Un mail de confirmation a été envoyé")).to_be_visible()

    await page.goto(
        on_live_server(link_in(await mailbox.last_to("nouvelle@yopmail.com")), live_url)
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Confirmation de votre nouvelle adresse mail"
    )
    await check_screen(page, "confirmer la nouvelle adresse")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Confirmer ma nouvelle adresse").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Votre adresse mail a été modifiée"
    )
    await check_screen(page, "adresse mail modifiee")
    await expect(page.get_by_text("nouvelle@yopmail.com").first).to_be_visible()


async def test_a_session_closed_elsewhere_leads_back_to_the_login(
    page: Page, mailbox: Mailbox, live_url: str
) -> None:
    await sign_up_and_activate(page, mailbox, live_url)
    await page.goto("/connexion")
    await log_in_to_my_account(page)

    # The password is reset from another device: every session of the account is closed.
    await page.context.request.post(
        "/api/v1/password-resets", data={"email": EMAIL}, headers={"Origin": live_url}
    )
    token_link = link_in(await mailbox.last_to(EMAIL))
    other = await page.context.browser.new_context(base_url=live_url)  # type: ignore[union-attr]
    elsewhere = await other.new_page()
    await elsewhere.goto(on_live_server(token_link, live_url))
    await elsewhere.get_by_label("Nouveau mot de passe").fill("Nouveau2026x")
    await elsewhere.get_by_label("Confirmation du mot de passe").fill("Nouveau2026x")
    await elsewhere.get_by_role("button", name="Valider").click()
    await expect(elsewhere.get_by_text("Votre mot de passe a été modifié.")).to_be_visible()
    await other.close()

    await page.get_by_label("Prénom").fill("Camille")
    await page.get_by_role("button", name="ENREGISTRER MES DONNÉES").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter à Mon compte")
    await expect(page.get_by_text("Votre session a expiré ou a été fermée.")).to_be_visible()


async def test_logging_in_with_the_keyboard_alone(
    page: Page, mailbox: Mailbox, live_url: str
) -> None:
    await sign_up_and_activate(page, mailbox, live_url)
    await page.goto("/connexion")

    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Aller au contenu")).to_be_focused()
    for _ in range(12):
        await page.keyboard.press("Tab")
        if await page.get_by_label("Courriel").evaluate("el => el === document.activeElement"):
            break
    await expect(page.get_by_label("Courriel")).to_be_focused()
    await page.keyboard.type(EMAIL)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("heading", level=1)).to_have_text("Rattacher votre compte CMA")
    await expect(page.get_by_role("heading", level=1)).to_be_focused()


async def test_an_unknown_page_says_so(page: Page) -> None:
    await page.goto("/nulle-part")

    await expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    await check_screen(page, "page introuvable")


async def test_the_personal_data_page_says_what_is_kept_and_for_how_long(page: Page) -> None:
    await page.goto("/")
    await page.get_by_role("contentinfo").get_by_role("link", name="Données personnelles").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Données personnelles")
    await expect(page.get_by_role("table")).to_contain_text("Une inscription pas encore activée")
    await expect(
        page.get_by_text("Il ne reste rien qui permette de vous reconnaître")
    ).to_be_visible()
    await check_screen(page, "donnees personnelles")


async def test_a_visitor_browses_without_an_error_in_the_console(page: Page) -> None:
    errors: list[str] = []
    asked: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/api/v1/me") else None)

    for path in ("/", "/catalogue", "/connexion", "/inscription"):
        await page.goto(path)
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await page.wait_for_load_state("networkidle")

    # Not logged in is a normal state: nobody asks the server who is logged in.
    assert asked == []
    assert errors == []


async def test_a_wrong_code_is_the_only_thing_to_type_again(page: Page) -> None:
    await page.goto("/inscription")
    await expect(page.locator("#captcha_answer-hint")).to_contain_text(
        "5 caractères, lettres minuscules et chiffres"
    )
    await fill_sign_up(page, email="distrait@yopmail.com")
    await page.locator("#captcha_answer").fill("pas ce code")

    await page.get_by_role("button", name="JE M'INSCRIS").click()

    await expect(page.locator("#captcha_answer-error")).to_be_visible()
    # Only the code was wrong: what was typed elsewhere stays, the passwords included.
    await expect(page.get_by_label("Adresse mail")).to_have_value("distrait@yopmail.com")
    await expect(page.get_by_label("Confirmation du mot de passe")).to_have_value(PASSWORD)
    await expect(page.locator("#captcha_answer")).to_have_value("")


async def test_a_link_followed_again_says_once_that_the_account_is_active(
    page: Page, mailbox: Mailbox, live_url: str
) -> None:
    await sign_up_and_activate(page, mailbox, live_url)
    link = link_in(await mailbox.last_to(EMAIL))

    again = await page.context.new_page()  # the mail's link, opened later in another tab
    await again.goto(on_live_server(link, live_url))
    await again.get_by_label("Mot de passe").fill(PASSWORD)
    await again.get_by_role("button", name="Activer mon compte").click()

    await expect(again.get_by_role("heading", level=1)).to_have_text(
        "Votre compte parisien est déjà activé."
    )
    await expect(again.get_by_text("est déjà activé")).to_have_count(1)


async def test_deleting_the_account_does_not_look_like_a_harmless_button(
    page: Page, mailbox: Mailbox, live_url: str
) -> None:
    await sign_up_and_activate(page, mailbox, live_url)
    await page.goto("/connexion?suite=/mon-compte/parametres")
    await log_in(page)

    delete = page.get_by_role("button", name="Supprimer mon compte")
    save = page.get_by_role("button", name="Changer mon mot de passe")

    await expect(delete).to_have_class(re.compile(r"\bbutton--danger\b"))
    await expect(save).not_to_have_class(re.compile(r"\bbutton--danger\b"))

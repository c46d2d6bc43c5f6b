"""Journeys A, B and C in the browser, through the UI only, as a learner would go."""

import re

from playwright.async_api import Page, expect

from tests.support import PASSWORD, Mailbox, link_in
from tests.support.browser import (
    EMAIL,
    check_screen,
    fill_sign_up,
    log_in,
    log_in_to_my_account,
    on_live_server,
    sign_up_and_activate,
)

NEW_PASSWORD = "Nouveau2026x"


async def test_sign_up_activate_log_in_fill_the_profile_and_log_out(
    page: Page, mailbox: Mailbox, live_url: str
) -> None:
    await page.goto("/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Cours Municipaux d'Adultes")

    await page.get_by_role("banner").get_by_role("link", name="Se connecter").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter à Mon compte")
    await expect(
        page.get_by_text("La connexion au site d'inscription des Cours Municipaux")
    ).to_be_visible()
    await check_screen(page, "se connecter")

    await page.get_by_role("link", name="Créer un compte parisien").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Je crée mon compte")
    await expect(page.get_by_role("img", name=re.compile("Code de vérification"))).to_be_visible()
    await page.get_by_role("button", name="Écouter le code").click()
    await expect(page.locator("audio")).to_have_attribute("src", re.compile(r"/audio$"))
    # Played from the page's own button, which keeps the focus: no browser player to tab into.
    listen = page.get_by_role("button", name=re.compile("^(Écouter le code|Arrêter la lecture)$"))
    await expect(listen).to_be_focused()
    assert await page.locator("audio").get_attribute("controls") is None
    await check_screen(page, "je cree mon compte")

    await fill_sign_up(page)
    await page.get_by_label(
        "J'accepte de recevoir des informations de la part de la Mairie de Paris"
    ).check()
    await page.get_by_role("button", name="JE M'INSCRIS").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("C'est presque fini !")
    await expect(page.get_by_text(EMAIL)).to_be_visible()
    # The address is on the page, never in its URL (history, logs, a shared link).
    assert "@" not in page.url
    await page.reload()
    await expect(page.get_by_text(EMAIL)).to_be_visible()
    await check_screen(page, "c est presque fini")

    mail = await mailbox.last_to(EMAIL)
    assert mail.subject == "Confirmation de votre compte Parisien"
    await page.goto(on_live_server(link_in(mail), live_url))
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Activation de votre compte parisien"
    )
    await expect(page).to_have_url(f"{live_url}/activation")  # the token left the address bar
    await check_screen(page, "activation mot de passe")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Activer mon compte").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Votre compte parisien est créé et validé."
    )
    await check_screen(page, "compte cree et valide")

    await page.get_by_role("link", name="Continuer").click()
    await log_in_to_my_account(page)
    await expect(
        page.get_by_text(f"Vous êtes connecté à Mon compte en tant que {EMAIL}")
    ).to_be_visible()

    await page.get_by_label("Civilité").select_option("madame")
    await page.get_by_label("Prénom").fill("Camille")
    await page.get_by_label("Nom d'usage").fill("Martin")
    await page.get_by_label("Jour").fill("12")
    await page.get_by_label("Mois").fill("4")
    await page.get_by_label("Année").fill("1990")
    await page.get_by_label("Adresse", exact=True).fill("12 rue de la Roquette")
    await page.get_by_label("Code postal de la commune").fill("75011")
    await page.get_by_label("Nom de la commune").fill("Paris")
    await page.get_by_role("button", name="ENREGISTRER MES DONNÉES").click()
    await expect(page.get_by_text("Vos données ont été enregistrées.")).to_be_visible()
    await check_screen(page, "mon profil")

    await page.reload()
    await expect(page.get_by_label("Prénom")).to_have_value("Camille")
    await expect(page.get_by_label("Civilité")).to_have_value("madame")
    await expect(page.get_by_label("Code postal de la commune")).to_have_value("75011")
    await expect(page.get_by_label("Jour")).to_have_value("12")

    await page.get_by_role("link", name="Mes demandes").click()
    await expect(page.get_by_text("aucune candidature")).to_be_visible()
    await check_screen(page, "mes demandes")

    await page.get_by_role("link", name="Mes abonnements").click()
    information = page.get_by_label(
        "J'accepte de recevoir des informations de la part de la Mairie de Paris"
    )
    await expect(information).to_be_checked()
    await information.uncheck()
    await page.get_by_role("button", name="Enregistrer").click()
    await expect(page.get_by_text("Vos abonnements ont été enregistrés.")).to_be_visible()
    await page.reload()
    await expect(information).not_to_be_checked()
    await check_screen(page, "mes abonnements")

    await page.get_by_role("link", name="Mes paramètres").click()
    await expect(page.get_by_role("heading", name="Changer mon mot de passe")).to_be_visible()
    await check_screen(page, "mes parametres")

    await (
        page.get_by_role("navigation", name="Mon compte")
        .get_by_role("button", name="Déconnexion")
        .click()
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text("Cours Municipaux d'Adultes")
    await expect(
        page.get_by_role("banner").get_by_role("link", name="Se connecter")
    ).to_be_visible()
    await page.goto("/mon-compte/profil")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter à Mon compte")


async def test_a_wrong_password_gets_the_generic_error(
    page: Page, mailbox: Mailbox, live_url: str
) -> None:
    await sign_up_and_activate(page, mailbox, live_url)
    await page.goto("/connexion")

    await log_in(page, "Mauvais2026")

    summary = page.locator(".error-summary")
    await expect(summary).to_contain_text("L'adresse mail ou le mot de passe est incorrect.")
    await expect(summary).to_be_focused()
    await expect(page.get_by_label("Courriel")).to_have_value(EMAIL)
    await expect(page.get_by_label("Mot de passe")).to_have_value("")
    await check_screen(page, "se connecter erreur")


async def test_forgot_password_to_a_new_password(
    page: Page, mailbox: Mailbox, live_url: str
) -> None:
    await sign_up_and_activate(page, mailbox, live_url)
    await page.goto("/connexion")
    await page.get_by_role("link", name="Mot de passe oublié ?").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe oublié ?")
    await check_screen(page, "mot de passe oublie")

    await page.get_by_label("Courriel").fill(EMAIL)
    await page.get_by_role("button", name="Valider").click()
    await expect(page.get_by_role("status")).to_contain_text("Si un compte existe à cette adresse")

    mail = await mailbox.last_to(EMAIL)
    assert mail.subject == "Réinitialisation de votre mot de passe"
    await page.goto(on_live_server(link_in(mail), live_url))
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Choisir un nouveau mot de passe"
    )
    await check_screen(page, "nouveau mot de passe")
    await page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    await page.get_by_label("Confirmation du mot de passe").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Valider").click()
    await expect(page.get_by_text("Votre mot de passe a été modifié.")).to_be_visible()

    await page.get_by_role("link", name="Se connecter").last.click()
    await log_in_to_my_account(page, NEW_PASSWORD)


async def test_every_sign_up_error_is_shown_beside_its_field(page: Page, live_url: str) -> None:
    await page.goto("/inscription")
    await page.get_by_label("Adresse mail").fill("pas-une-adresse")
    await page.locator("#password").fill("court")
    await page.get_by_label("Confirmation du mot de passe").fill("autre")
    await page.get_by_label("Numéro de téléphone portable").fill("01 23 45 67 89")
    await page.get_by_role("button", name="JE M'INSCRIS").click()

    summary = page.locator(".error-summary")
    await expect(summary).to_be_focused()
    expected = {
        "email": "L'adresse mail n'est pas valide",
        "password": "au minimum 8 caractères",
        "password_confirmation": "La confirmation ne correspond pas au mot de passe.",
        "mobile_phone": "Veuillez indiquer un numéro de téléphone portable",
        "accept_terms": "Vous devez accepter les Conditions Générales d'Utilisation.",
        "captcha_answer": "Ce champ est obligatoire.",
    }
    for field, message in expected.items():
        await expect(page.locator(f"#{field}-error")).to_contain_text(message)
        await expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
        await expect(summary).to_contain_text(message)
    await expect(page.get_by_label("Adresse mail")).to_have_value("pas-une-adresse")
    await check_screen(page, "je cree mon compte erreurs")

    # What only the server can tell comes back beside its field too.
    await fill_sign_up(page, "nouveau@yopmail.com")
    await page.get_by_label("Numéro de téléphone portable").fill("")
    await page.locator("#captcha_answer").fill("faux")
    await page.get_by_role("button", name="JE M'INSCRIS").click()
    await expect(page.locator("#captcha_answer-error")).to_contain_text(
        "Le code de vérification saisi est incorrect"
    )
    # Only the code was wrong: the passwords typed stay (issue 17).
    await expect(page.locator("#password")).to_have_value(PASSWORD)
    await expect(page.get_by_label("Adresse mail")).to_have_value("nouveau@yopmail.com")

    await fill_sign_up(page, "nouveau@yopmail.com", "Azerty123")
    await page.get_by_role("button", name="JE M'INSCRIS").click()
    await expect(page.locator("#password-error")).to_contain_text(
        "Ce mot de passe est trop facile à deviner"
    )

    await fill_sign_up(page, "nouveau@yopmail.com")
    await page.get_by_label("Numéro de téléphone portable").fill("+44 7911 123456")
    await page.get_by_role("button", name="JE M'INSCRIS").click()
    await expect(page.locator("#mobile_phone-error")).to_have_text(
        "Veuillez indiquer un numéro de téléphone français."
    )

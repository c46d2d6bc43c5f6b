"""Journey D in the browser: from the Paris account's first login to a record, both paths."""

import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.demo.legacy_accounts import generate
from cma.learners.legacy_import import import_legacy
from tests.support import Mailbox, link_in
from tests.support.browser import check_screen, log_in, on_live_server, sign_up_and_activate


@pytest.fixture
async def old_login(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[str, str]:
    """An old CMA account of the imported export, with its clear password."""
    generate(tmp_path, size=40, seed=11, sample=40)
    await import_legacy(sessionmaker, tmp_path)
    line = (tmp_path / "credentials.csv").read_text(encoding="utf-8").splitlines()[1]
    email, password, _ = line.split(";")
    return email, password


async def test_never_enrolled_completes_the_fiche(
    page: Page, mailbox: Mailbox, live_url: str
) -> None:
    await sign_up_and_activate(page, mailbox, live_url)
    await page.goto("/connexion")
    await log_in(page)

    await expect(page.get_by_role("heading", level=1)).to_have_text("Rattacher votre compte CMA")
    # Where the learner stands: the account is done, the fiche is the step now.
    steps = page.get_by_role("navigation", name=re.compile("^Vos démarches"))
    await expect(steps.get_by_role("heading")).to_have_text("Vos démarches : étape 2 sur 4")
    await expect(steps.locator("[aria-current=step]")).to_contain_text("Votre fiche")
    await expect(steps.get_by_role("listitem").first).to_contain_text("(fait)")
    await check_screen(page, "premiere connexion choix")
    await page.get_by_role("link", name="Compléter votre fiche").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Compléter votre fiche")

    await page.get_by_role("button", name="Valider").click()
    summary = page.locator(".error-summary")
    await expect(summary).to_be_focused()
    await expect(page.locator("#landline_phone-error")).to_contain_text("au moins un téléphone")
    await expect(page.locator("#mobile_phone-error")).to_contain_text("au moins un téléphone")
    await expect(page.locator("#title-error")).to_have_text("Ce champ est obligatoire.")
    await check_screen(page, "completer votre fiche erreurs")

    await page.get_by_label("Mme", exact=True).check()
    await page.get_by_label("Nom *", exact=True).fill("Martin")
    await page.get_by_label("Prénom *").fill("Camille")
    # Three fields, the same in every browser; each says what is wrong with it.
    birth = page.get_by_role("group", name="Date de naissance *")
    await birth.get_by_label("Jour").fill("31")
    await birth.get_by_label("Mois").fill("2")
    await birth.get_by_label("Année").fill("1990")
    await page.get_by_label("Pays de naissance *").select_option("FR")
    await page.get_by_label("Adresse *", exact=True).fill("12 rue de la Roquette")
    await page.get_by_label("Code postal *").fill("75011")
    await page.get_by_label("Ville *").fill("Paris")
    await page.get_by_label("Téléphone mobile *").fill("06 12 34 56 78")
    await page.get_by_label("Mairie d'arrondissement").check()
    await page.get_by_role("button", name="Valider").click()
    await expect(page.locator("#birth_date-error")).to_have_text(
        "Cette date n'existe pas : vérifiez le jour et le mois."
    )
    await expect(birth.get_by_label("Jour")).to_have_attribute("aria-invalid", "true")
    await page.locator(".error-summary").get_by_role("link", name="Date de naissance").click()
    await expect(birth.get_by_label("Jour")).to_be_focused()
    await birth.get_by_label("Jour").fill("12")
    await birth.get_by_label("Mois").fill("")
    await page.get_by_role("button", name="Valider").click()
    await expect(page.locator("#birth_date-error")).to_have_text(
        "La date de naissance doit comporter un mois."
    )
    await expect(birth.get_by_label("Mois")).to_have_attribute("aria-invalid", "true")
    await expect(birth.get_by_label("Jour")).not_to_have_attribute("aria-invalid", "true")
    await birth.get_by_label("Mois").fill("4")
    await page.get_by_role("button", name="Valider").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Votre fiche est enregistrée")
    await expect(page.get_by_text("Les seuls identifiants à utiliser et mémoriser")).to_be_visible()
    await check_screen(page, "fiche enregistree")
    await page.get_by_role("link", name="Voir ma fiche").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ma fiche CMA")
    await expect(page.get_by_label("Nom *", exact=True)).to_have_value("Martin")
    # The phone as it was typed, not as the server keeps it (+33…).
    await expect(page.get_by_label("Téléphone mobile *")).to_have_value("06 12 34 56 78")
    await expect(page.get_by_label("Année")).to_have_value("1990")
    await expect(page.get_by_label("Mois")).to_have_value("4")
    await check_screen(page, "ma fiche")


async def test_already_enrolled_pairs_the_old_account(
    page: Page, mailbox: Mailbox, live_url: str, old_login: tuple[str, str]
) -> None:
    old_email, old_password = old_login
    await sign_up_and_activate(page, mailbox, live_url)
    await page.goto("/connexion")
    await log_in(page)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Rattacher votre compte CMA")

    await page.get_by_label("Courriel :").fill(old_email)
    await page.get_by_label("Mot de passe :").fill("Mauvais2026")
    await page.get_by_role("button", name="Valider").click()
    await expect(page.locator(".error-summary")).to_contain_text("ancien compte CMA est incorrect")
    await page.get_by_label("Mot de passe :").fill(old_password)
    await page.get_by_role("button", name="Valider").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Appairage de votre compte parisien avec votre ancien compte CMA"
    )
    await expect(page.get_by_text(old_email)).to_be_visible()
    await expect(page.get_by_label("Nom *", exact=True)).not_to_have_value("")
    await check_screen(page, "appairage")
    if not await page.get_by_label("Mairie d'arrondissement").is_checked():
        await page.get_by_label("Internet").check()
    await page.get_by_role("button", name="Valider").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Vos comptes sont connectés")
    await check_screen(page, "comptes connectes")
    assert (
        await mailbox.last_to("auditeur.cma@yopmail.com")
    ).subject == "Vos comptes sont connectés"
    await page.get_by_role("main").get_by_role("link", name="Mon historique").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mon historique")
    await expect(
        page.get_by_role("heading", name="Années de formation de votre ancien compte CMA")
    ).to_be_visible()
    await check_screen(page, "mon historique")


async def test_an_old_password_forgotten_is_chosen_again_then_the_account_paired(
    page: Page, mailbox: Mailbox, live_url: str, old_login: tuple[str, str]
) -> None:
    old_email, _ = old_login
    await sign_up_and_activate(page, mailbox, live_url)
    await page.goto("/connexion")
    await log_in(page)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Rattacher votre compte CMA")

    await page.get_by_role("link", name="Mot de passe oublié ?").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Mot de passe oublié de votre ancien compte CMA"
    )
    await page.get_by_label("Courriel de l'ancien compte CMA").fill(old_email)
    await page.get_by_role("button", name="Valider").click()
    await expect(page.get_by_role("status")).not_to_be_empty()
    await check_screen(page, "ancien compte mot de passe oublie")

    mail = await mailbox.last_to(old_email)
    await page.goto(on_live_server(link_in(mail), live_url))
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Nouveau mot de passe de votre ancien compte CMA"
    )
    await check_screen(page, "ancien compte nouveau mot de passe")
    await page.get_by_label(re.compile("^Nouveau mot de passe")).fill("Bruyere9Saule")
    await page.get_by_label(re.compile("^Confirmation du mot de passe")).fill("Bruyere9Saule")
    await page.get_by_role("button", name="Valider").click()
    await page.get_by_role("link", name="Rattacher mon ancien compte").click()

    await page.get_by_label("Courriel :").fill(old_email)
    await page.get_by_label("Mot de passe :").fill("Bruyere9Saule")
    await page.get_by_role("button", name="Valider").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Appairage de votre compte parisien avec votre ancien compte CMA"
    )

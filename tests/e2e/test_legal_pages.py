"""What every page of a public service links to: the legal notice, personal data, the terms a
learner accepts, the accessibility statement, a site map and a contact."""

from playwright.async_api import Page, expect

from cma.notifications.rendering import render
from tests.support.browser import PHONE, check_screen

FOOTER = {
    "Mentions légales": "Mentions légales",
    "Données personnelles": "Données personnelles",
    "Conditions générales d'utilisation": "Conditions générales d'utilisation",
    "Accessibilité : non conforme": "Déclaration d'accessibilité",
    "Plan du site": "Plan du site",
    "Contact": "Contact",
}


async def test_the_footer_leads_to_each_page_about_the_service(page: Page) -> None:
    await page.goto("/catalogue")
    footer = page.get_by_role("navigation", name="Informations sur le service")
    for link, heading in FOOTER.items():
        await footer.get_by_role("link", name=link, exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        await check_screen(page, f"pied de page {heading}")


async def test_the_accessibility_statement_has_its_required_parts(page: Page) -> None:
    await page.goto("/accessibilite")
    for part in (
        "État de conformité",
        "Ce qui a été vérifié",
        "Contenus non accessibles",
        "Retour d'information et contact",
        "Voies de recours",
    ):
        await expect(page.get_by_role("heading", name=part, exact=True)).to_be_visible()
    await expect(page.get_by_text("Défenseur des droits, Libre réponse 71120")).to_be_visible()
    await expect(page.get_by_text("Déclaration établie le")).to_be_visible()


async def test_the_site_map_lists_the_information_pages(page: Page) -> None:
    await page.goto("/plan-du-site")
    await expect(page.get_by_role("link", name="Catalogue", exact=True).last).to_be_visible()
    await expect(page.get_by_role("link", name="Mentions légales").first).to_be_visible()
    await expect(page.get_by_role("link", name="Se connecter", exact=True).last).to_be_visible()


async def test_the_terms_to_accept_are_linked_beside_their_checkbox(page: Page) -> None:
    await page.goto("/inscription")
    await page.get_by_label("Adresse mail").fill("camille@example.org")
    terms = page.locator(".field--checkbox", has=page.locator("#accept_terms"))
    link = terms.get_by_role(
        "link", name="Lire les conditions générales d'utilisation (nouvel onglet)"
    )
    async with page.context.expect_page() as opened:
        await link.click()
    tab = await opened.value
    await expect(tab.get_by_role("heading", level=1)).to_have_text(
        "Conditions générales d'utilisation"
    )
    await tab.close()
    # The form is untouched in its own tab.
    await expect(page.get_by_label("Adresse mail")).to_have_value("camille@example.org")


async def test_a_mail_fits_a_phone_screen(page: Page) -> None:
    # The link's fallback is one long word: it must wrap rather than widen the mail.
    mail = render(
        "activation",
        {"activation_url": "https://example.org/activation#" + "a" * 120, "valid_hours": 48},
    )
    await page.set_viewport_size(PHONE)
    await page.set_content(mail.html)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    button = await page.get_by_role("link", name="Cliquez pour activer votre compte").bounding_box()
    assert button is not None
    assert button["x"] + button["width"] <= PHONE["width"]

"""Journey E in the browser: the home page of the seed, the catalogue, a course, a page."""

import re

from playwright.async_api import Page, expect

from tests.support.browser import PHONE, check_screen


async def test_the_home_page_shows_the_domains_the_links_and_the_calendar(
    page: Page, catalogue: int
) -> None:
    await page.goto("/")

    sidebar = page.get_by_role("navigation", name="Recherche par domaine")
    await expect(sidebar.get_by_role("link")).to_have_count(11)
    await expect(sidebar.get_by_role("link").first).to_contain_text("Accompagnement professionnel")
    await expect(sidebar).to_contain_text("Langues étrangères Bis")
    links = page.get_by_role("navigation", name="Informations")
    for title in (
        "Calendrier des inscriptions",
        "Aide à l'inscription",
        "Outils d'orientation",
        "Les nouvelles formations",
        "Réponses aux candidatures",
        "Liens utiles et assistance",
    ):
        await expect(links.get_by_role("link", name=title)).to_be_visible()
    calendar = page.get_by_role("table")
    await expect(calendar.get_by_role("columnheader", name="Période d'inscription")).to_be_visible()
    await expect(calendar).to_contain_text("Cours annuels et premier semestre")
    await expect(calendar).to_contain_text("Cours du second semestre")
    await expect(calendar).to_contain_text("Inscriptions ouvertes")
    await check_screen(page, "accueil")

    await links.get_by_role("link", name="Aide à l'inscription").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Aide à l'inscription")
    await expect(
        page.get_by_role("heading", name="Comment déposer vos candidatures")
    ).to_be_visible()
    await check_screen(page, "page d information")


async def test_search_anglais_open_a_course_and_see_where_and_when(
    page: Page, catalogue: int
) -> None:
    await page.goto("/")
    await (
        page.get_by_role("navigation", name="Navigation principale")
        .get_by_role("link", name="Catalogue")
        .click()
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text("Catalogue")

    await page.get_by_label("Rechercher une formation").fill("anglais")
    await page.get_by_role("button", name="Rechercher").click()

    await expect(page.get_by_role("status")).to_contain_text("trouvée")
    results = page.locator(".course-card")
    await expect(results.first).to_contain_text("Anglais")
    await expect(page).to_have_url(re.compile(r"/catalogue\?q=anglais"))
    await check_screen(page, "catalogue recherche anglais")

    title = await results.first.get_by_role("link").inner_text()
    await results.first.get_by_role("link").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(title)
    where = page.get_by_role("region", name="Où et quand")
    await expect(where).to_contain_text("Paris")
    await expect(where).to_contain_text(re.compile(r"de \d+ h( \d\d)? à \d+ h"))
    await expect(where.get_by_text(re.compile("^Métro "))).to_be_visible()
    await expect(where.get_by_text(re.compile("^(Salles|Non renseignée)"))).to_be_visible()
    about = page.get_by_role("region", name="La formation")
    # When it starts and ends, what the reduced rate is and for whom, what "Places" counts.
    await expect(about).to_contain_text(re.compile(r"Du \S+ \d+(er)? \S+ 20\d\d au \S+ \d+"))
    await expect(about).to_contain_text(re.compile(r"Tarif réduit : \d+,\d\d\u00a0€, pour"))
    await expect(about).to_contain_text("places au total")
    await check_screen(page, "fiche du cours")

    await page.go_back()
    await expect(page.get_by_label("Rechercher une formation")).to_have_value("anglais")


async def test_filters_and_pages_of_the_catalogue(page: Page, catalogue: int) -> None:
    await page.goto("/catalogue")
    await page.get_by_label("Arrondissement").select_option("11")
    await page.get_by_label("Seulement les cours ouverts aux inscriptions").check()
    await page.get_by_role("button", name="Appliquer les filtres").click()

    await expect(page).to_have_url(re.compile(r"arrondissement=11"))
    await expect(page.locator(".course-card").first).to_contain_text("Paris 11e")
    for meta in await page.locator(".course-card").all():
        await expect(meta).to_contain_text("Paris 11e")
        await expect(meta).to_contain_text("Inscriptions ouvertes")

    await page.goto("/catalogue")
    await expect(page.get_by_role("status")).to_contain_text("page 1 sur")
    first_page = await page.locator(".course-card .code").all_inner_texts()
    await page.get_by_role("button", name="Page suivante").click()
    await expect(page.get_by_role("status")).to_contain_text("page 2 sur")
    await expect(page).to_have_url(re.compile(r"page=2"))
    second_page = await page.locator(".course-card .code").all_inner_texts()
    assert len(second_page) == 20
    assert not set(first_page) & set(second_page)


async def test_the_catalogue_works_on_a_phone(page: Page, catalogue: int) -> None:
    await page.set_viewport_size(PHONE)
    await page.goto("/catalogue?domaine=bureautique-et-internet")

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Catalogue : Bureautique et internet"
    )
    await expect(page.locator(".course-card").first).to_be_visible()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    # The first result on the first screen: the header and the filters are folded.
    first = await page.locator(".course-card").first.bounding_box()
    assert first is not None
    assert first["y"] < PHONE["height"], first
    await expect(page.get_by_label("Arrondissement")).to_be_hidden()
    filters = page.get_by_role("button", name="Filtres (1 actif)")
    await expect(filters).to_have_attribute("aria-expanded", "false")
    await filters.click()
    await page.get_by_label("Arrondissement").select_option("11")
    await page.get_by_role("button", name="Appliquer les filtres").click()
    await expect(page).to_have_url(re.compile(r"arrondissement=11"))
    await expect(page.get_by_role("button", name="Filtres (2 actifs)")).to_be_visible()

    navigation = page.get_by_role("navigation", name="Navigation principale")
    await expect(navigation).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    await menu.click()
    await expect(menu).to_have_attribute("aria-expanded", "true")
    await expect(navigation.get_by_role("link", name="Accueil")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(navigation).to_be_hidden()
    await expect(menu).to_be_focused()
    await menu.click()
    await navigation.get_by_role("link", name="Accueil").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Cours Municipaux d'Adultes")
    await expect(navigation).to_be_hidden()
    await page.goto("/catalogue?domaine=bureautique-et-internet")
    await check_screen(page, "catalogue par domaine")


async def test_the_information_pages_lead_where_a_learner_goes_next(
    page: Page, catalogue: int
) -> None:
    await page.goto("/")
    links = page.get_by_role("navigation", name="Informations")
    for title in (
        "Outils d'orientation",
        "La brochure",
        "Les nouvelles formations",
        "Document d'information rapide",
        "Informations importantes",
        "Réponses aux candidatures",
        "Liens utiles et assistance",
    ):
        await page.goto("/")
        await links.get_by_role("link", name=title).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(title)
        await check_screen(page, f"information {title}")

    await page.goto("/informations/la-brochure")
    brochure = page.get_by_role("link", name="Télécharger la brochure de l'année (PDF)")
    assert await brochure.get_attribute("href") == "/api/v1/brochure"
    pdf = await page.request.get("/api/v1/brochure")
    assert pdf.headers["content-type"] == "application/pdf"

    # The page's links to the site go through the router, to the learner's own answers too.
    await page.goto("/informations/reponses-aux-candidatures")
    await page.get_by_role("link", name="Mon compte › Réponses aux candidatures").click()
    await expect(page).to_have_url(re.compile("/connexion|/mon-compte/reponses"))
    await page.goto("/informations/les-nouvelles-formations")
    await page.get_by_role("link", name="Voir toutes les nouvelles formations").click()
    await expect(page).to_have_url(re.compile(r"/catalogue\?nouveautes=1"))
    await expect(page.locator(".course-card").first).to_contain_text("Nouveau")

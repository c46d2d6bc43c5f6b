"""A whole campaign run from the staff console alone ("Espace agents"): created, a course
edited, learners apply, the applications closed early, the allocation previewed then
committed, the answers sent and followed, an offer past its deadline expired, a course
cancelled after its preview, the outcome exported, a learner found and read."""

import csv
import io
import re
from datetime import timedelta

from httpx import AsyncClient
from playwright.async_api import Page, expect
from sqlalchemy import select, update

from cma.core.clock import today
from cma.demo.catalogue import school_year_of
from cma.enrolment.models import Application
from tests.support import FICHE, PASSWORD, Closed, Mailbox, learner_headers, make_staff
from tests.support.browser import check_screen

LEARNERS = ["dora.cma@yopmail.com", "emile.cma@yopmail.com", "farah.cma@yopmail.com"]
NAME = "Campagne de la console"


async def log_in_as_staff(page: Page, client: AsyncClient, mailbox: Mailbox) -> None:
    await make_staff(client, mailbox, "agente@paris.fr")
    await page.goto("/connexion?suite=/agents")
    await page.get_by_label("Courriel").fill("agente@paris.fr")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Valider").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")


async def create_the_campaign(page: Page) -> int:
    day = today()
    await page.get_by_role("link", name="Nouvelle campagne").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle campagne")
    await page.get_by_label("Nom de la campagne").fill(NAME)
    await page.get_by_label("Année scolaire").fill(school_year_of(day))
    await page.get_by_label("Cours annuels et premier semestre").check()
    dates = {
        "Début des inscriptions": day,
        "Fin des inscriptions": day + timedelta(days=7),
        "Début de l'envoi des réponses": day + timedelta(days=8),
        "Fin de l'envoi des réponses": day + timedelta(days=30),
    }
    for label, value in dates.items():
        await page.get_by_label(label).fill(value.isoformat())
    await check_screen(page, "agents nouvelle campagne")
    await page.get_by_role("button", name="Enregistrer la campagne").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
    found = re.search(r"/agents/campagnes/(\d+)$", page.url)
    assert found, page.url
    return int(found.group(1))


async def apply(client: AsyncClient, mailbox: Mailbox, email: str, code: str) -> None:
    auth = await learner_headers(client, mailbox, email)
    assert (await client.post("/api/v1/me/learner", json=FICHE, headers=auth)).status_code == 201
    added = await client.post("/api/v1/me/basket/items", json={"course_code": code}, headers=auth)
    assert added.status_code == 201, added.text
    submitted = await client.post("/api/v1/me/basket/submit", headers=auth)
    assert submitted.status_code == 200, submitted.text


async def test_staff_run_a_whole_campaign_from_the_console(
    page: Page,
    client: AsyncClient,
    mailbox: Mailbox,
    catalogue: int,
) -> None:
    await log_in_as_staff(page, client, mailbox)
    await check_screen(page, "agents tableau de bord")
    campaign_id = await create_the_campaign(page)
    campaign = Closed(id=campaign_id, sessionmaker=mailbox.sessionmaker)
    await campaign.course("CON001", seats=1)
    await campaign.course("CON002", seats=1, weekday=2)

    # Catalogue: the course of the new campaign, edited (two seats, its teacher).
    await page.goto("/agents/catalogue")
    await page.get_by_label("Campagne").select_option(label=f"{NAME} {school_year_of(today())}")
    await page.get_by_role("button", name="Rechercher").click()
    await expect(page.get_by_role("status")).to_have_text("2 cours")
    await check_screen(page, "agents catalogue")
    await page.get_by_role("link", name="Cours CON001").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Cours CON001")
    await page.get_by_label("Nombre de places").fill("2")
    await page.get_by_label("Enseignant ou enseignante").fill("Mme Lefèvre")
    await page.get_by_role("button", name="Enregistrer le cours").click()
    await expect(page.get_by_text("Le cours est enregistré.")).to_be_visible()
    await check_screen(page, "agents modifier un cours")

    # Learners apply (through the API, as the mobile app would).
    for email in LEARNERS:
        await apply(client, mailbox, email, "CON001")
    await apply(client, mailbox, "gael.cma@yopmail.com", "CON002")

    # Tableau de bord: the campaign is open; its next step closes the applications early.
    await page.goto("/agents")
    card = page.locator(".course-card", has_text=NAME)
    await expect(card).to_contain_text("Inscriptions ouvertes")
    await expect(card).to_contain_text("4 candidatures de 4 apprenants")
    await card.get_by_role("link", name=re.compile("^Clore les inscriptions")).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
    await check_screen(page, "agents campagne ouverte")
    closing = page.get_by_role("region", name="Clore les inscriptions")
    await closing.get_by_role("button", name="Clore les inscriptions").click()
    await expect(
        closing.get_by_text("Les inscriptions ne pourront pas être rouvertes.")
    ).to_be_visible()
    await closing.get_by_role("button", name="Oui, clore les inscriptions").click()
    await expect(page.get_by_role("status")).to_contain_text("Les inscriptions sont closes.")
    await expect(page.locator(".badge")).to_have_text("Clôturée")

    # Affectation: a preview, then the commit after its confirmation.
    await page.get_by_role("link", name="Préparer l'affectation").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Affectation des places")
    await page.get_by_role("button", name="Prévisualiser l'affectation").click()
    await expect(page.get_by_role("status").first).to_contain_text("rien n'est encore enregistré")
    by_learner = page.get_by_role("table", name="Affectation par apprenant")
    await expect(by_learner.get_by_role("row")).to_have_count(1 + 4)
    await page.get_by_label("Filtrer par nom, mail ou cours").fill("gael")
    await expect(by_learner.get_by_role("row")).to_have_count(1 + 1)
    await expect(by_learner).to_contain_text("Acceptée, à confirmer")
    row = page.get_by_role("row", name=re.compile("CON001"))
    await expect(row).to_contain_text("Sans priorité particulière : 2 sur 3")
    await check_screen(page, "agents affectation previsualisation")
    await page.get_by_role("button", name="Enregistrer l'affectation").click()
    await expect(page.get_by_text("une fois pour toutes")).to_be_visible()
    await page.get_by_role("button", name="Oui, enregistrer l'affectation").click()
    await expect(page.get_by_role("status").first).to_contain_text("L'affectation est enregistrée.")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name=re.compile("Télécharger le résultat")).click()
    download = await download_info.value
    exported = (await download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported), delimiter=";"))
    assert rows[0][:3] == ["Nom", "Prénom", "Courriel"]
    assert len(rows) == 1 + 4
    await check_screen(page, "agents affectation enregistree")

    # Réponses: the period starts in a week; closed early, it may start today.
    await page.get_by_role("link", name="Réponses", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Réponses aux candidatures")
    await expect(
        page.get_by_text("Les réponses pourront être envoyées à partir du")
    ).to_be_visible()
    await page.get_by_role("link", name="Modifier le calendrier").click()
    await page.get_by_label("Début de l'envoi des réponses").fill(today().isoformat())
    await page.get_by_role("button", name="Enregistrer la campagne").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
    await page.get_by_role("link", name="Envoyer les réponses").click()
    await expect(
        page.get_by_text("Apprenants qui n'ont pas encore reçu leurs réponses : 4.")
    ).to_be_visible()
    await page.get_by_role("button", name="Envoyer les réponses").click()
    await page.get_by_role("button", name="Oui, envoyer les réponses").click()
    await expect(page.get_by_role("status")).to_contain_text("4 apprenants vont recevoir un mail")
    mails = page.get_by_role("region", name="Les mails de réponse")
    await expect(mails).to_contain_text("En attente d'envoi4")
    await mailbox.deliver()
    await page.get_by_role("button", name="Mettre à jour les chiffres").click()
    await expect(mails).to_contain_text("Envoyés4")
    for email in LEARNERS:
        mail = await mailbox.last_to(email)
        assert mail.subject == "Réponses à vos candidatures aux Cours Municipaux d'Adultes"
    await check_screen(page, "agents reponses")

    # An offer past its deadline goes to the waiting list, from the console.
    async with mailbox.sessionmaker() as session, session.begin():
        late = await session.scalar(
            select(Application.id)
            .where(Application.course_code == "CON001", Application.status == "offered")
            .limit(1)
        )
        await session.execute(
            update(Application)
            .where(Application.id == late)
            .values(offer_deadline=today() - timedelta(days=1))
        )
    await page.get_by_role("button", name="Clore les offres dont le délai est passé").click()
    await expect(page.get_by_role("status")).to_contain_text(
        "Places non confirmées à temps, proposées aux personnes suivantes des listes d'attente : 1."
    )

    # A course cancelled: who is told and what they read, before anything is sent.
    await page.goto("/agents/catalogue/CON002")
    applicants = page.get_by_role("region", name="Candidats et liste d'attente")
    await expect(applicants).to_contain_text("gael.cma@yopmail.com), choix 1 : Acceptée")
    cancelling = page.get_by_role("region", name="Annuler le cours")
    await cancelling.get_by_role("button", name="Voir qui sera prévenu").click()
    await expect(cancelling).to_contain_text("Apprenants qui seront prévenus : 1.")
    await expect(cancelling).to_contain_text("gael.cma@yopmail.com — SMS au 06 12 34 56 78")
    await expect(cancelling).to_contain_text("Le mail : Annulation d'un cours")
    await expect(cancelling.locator("pre").last).to_contain_text("est annulé")
    await check_screen(page, "agents annuler un cours")
    await cancelling.get_by_role("button", name="Oui, annuler le cours et prévenir").click()
    await expect(page.get_by_role("status").last).to_contain_text(
        "Le cours est annulé. Apprenants prévenus"
    )
    mail = await mailbox.last_to("gael.cma@yopmail.com")
    assert mail.subject == "Annulation d'un cours des Cours Municipaux d'Adultes"

    # Apprenants: a learner found by their address, read with their applications and mails.
    await page.get_by_role("link", name="Apprenants").click()
    await page.get_by_label(
        "Nom, adresse, mail, numéro de dépôt (CMA-…) ou de l'ancien compte CMA"
    ).fill("dora.cma")
    await page.get_by_role("button", name="Rechercher").click()
    await expect(page.get_by_role("status")).to_have_text("1 personne")
    await check_screen(page, "agents apprenants")
    await page.get_by_role("link", name="Camille Martin").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Camille Martin")
    applications = page.get_by_role("region", name="Candidatures")
    await expect(applications).to_contain_text("Cours CON001")
    await expect(applications).to_contain_text(NAME)
    messages = page.get_by_role("region", name="Messages envoyés")
    await expect(messages).to_contain_text("Réponses à vos candidatures")
    await expect(messages).to_contain_text("Envoyé")
    await check_screen(page, "agents fiche apprenant")
    await page.get_by_role("link", name="Journal des appairages").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Journal des appairages")
    await check_screen(page, "agents journal des appairages")

    # The dashboard now says the answers are out.
    await page.goto("/agents")
    await expect(page.locator(".course-card", has_text=NAME)).to_contain_text("Réponses envoyées")


async def test_a_learner_who_types_the_console_address_is_told_it_is_not_theirs(
    page: Page, client: AsyncClient, mailbox: Mailbox
) -> None:
    await learner_headers(client, mailbox, "curieux@yopmail.com")
    await page.goto("/connexion?suite=/agents")
    await page.get_by_label("Courriel").fill("curieux@yopmail.com")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Valider").click()
    await expect(page.get_by_text("Cet espace est réservé aux agents")).to_be_visible()
    tabs = page.get_by_role("navigation", name="Navigation principale")
    await expect(tabs.get_by_role("link", name="Espace agents")).to_have_count(0)


async def test_staff_add_a_course_and_an_information_page_that_learners_then_see(
    page: Page,
    client: AsyncClient,
    mailbox: Mailbox,
    catalogue: int,
) -> None:
    await log_in_as_staff(page, client, mailbox)
    await page.goto("/agents/catalogue")
    await page.get_by_role("link", name="Nouveau cours").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Nouveau cours")
    await page.get_by_role("button", name="Enregistrer le cours").click()
    summary = page.locator(".error-summary")
    await expect(summary).to_contain_text("Code du cours : Le code s'écrit avec 2 à 4 lettres")
    await page.get_by_label("Code du cours").fill("NV0042")
    await page.get_by_label("Intitulé").fill("Céramique du soir")
    await page.get_by_label("Description").fill("Tourner, modeler et émailler, pas à pas.")
    await page.get_by_label("Heure de début").fill("18 h 30")
    await page.get_by_label("Heure de fin").fill("20h30")
    await page.get_by_label("Nombre d'heures").fill("60")
    await page.get_by_label("Tarif (€)").fill("142,50")
    await page.get_by_label("Nombre de places").fill("12")
    await check_screen(page, "agents nouveau cours")
    await page.get_by_role("button", name="Enregistrer le cours").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Cours NV0042")
    await expect(page.get_by_label("Heure de début")).to_have_value("18 h 30")
    await expect(page.get_by_label("Tarif (€)")).to_have_value("142,50")

    await page.get_by_role("link", name="Pages d'information").click()
    await page.get_by_role("link", name="Nouvelle page").click()
    await page.get_by_label("Adresse de la page").fill("atelier-ceramique")
    await page.get_by_label("Titre").fill("L'atelier de céramique")
    await page.get_by_label("Texte").fill("## Horaires\n\nLe soir, de **18 h 30** à 20 h 30.")
    await page.get_by_label("Ordre sur l'accueil").fill("9")
    await check_screen(page, "agents nouvelle page")
    await page.get_by_role("button", name="Enregistrer la page").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Modifier la page d'information"
    )

    await page.goto("/catalogue/NV0042")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Céramique du soir")
    await page.goto("/informations/atelier-ceramique")
    await expect(page.get_by_role("heading", level=2)).to_have_text("Horaires")

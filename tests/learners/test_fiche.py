"""The learner record: "Vous n'avez jamais été inscrit… Compléter votre fiche"."""

from datetime import date

import pytest
from httpx import AsyncClient

from tests.support import FICHE, Mailbox, field_errors, learner_headers


async def test_a_new_account_has_no_record_until_it_completes_its_fiche(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    auth = await learner_headers(client, mailbox)
    assert (await client.get("/api/v1/me", headers=auth)).json()["learner_record"] == "none"
    assert (await client.get("/api/v1/me/learner", headers=auth)).status_code == 404

    created = await client.post("/api/v1/me/learner", json=FICHE, headers=auth)

    assert created.status_code == 201, created.text
    record = created.json()
    assert record["email"] == "a@yopmail.com"
    assert record["mobile_phone"] == "+33612345678"
    assert record["birth_country_label"] == "France"
    assert record["heard_from_label"] == "Mairie d'arrondissement"
    assert record["paired_with_legacy_account"] is False
    assert (await client.get("/api/v1/me", headers=auth)).json()["learner_record"] == "created"
    again = await client.post("/api/v1/me/learner", json=FICHE, headers=auth)
    assert again.status_code == 409
    history = (await client.get("/api/v1/me/history", headers=auth)).json()
    assert history == {"legacy": [], "campaigns": []}


async def test_put_takes_back_what_get_returned(client: AsyncClient, mailbox: Mailbox) -> None:
    auth = await learner_headers(client, mailbox)
    await client.post("/api/v1/me/learner", json=FICHE, headers=auth)
    record = (await client.get("/api/v1/me/learner", headers=auth)).json()

    record["city"] = "Paris 11e"
    saved = await client.put("/api/v1/me/learner", json=record, headers=auth)

    assert saved.status_code == 200
    assert saved.json()["city"] == "Paris 11e"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "Dr"}, "title", "Valeur non autorisée"),
        ({"last_name": ""}, "last_name", "au moins 1 caractère"),
        ({"first_name": None}, "first_name", "texte"),
        ({"birth_date": "2015-01-01"}, "birth_date", "18 ans et plus"),
        ({"birth_date": "3000-01-01"}, "birth_date", "dans le passé"),
        ({"birth_country": "XX"}, "birth_country", "Veuillez choisir un pays de la liste."),
        ({"address": ""}, "address", "au moins 1 caractère"),
        ({"postal_code": "7501"}, "postal_code", "Le code postal doit contenir 5 chiffres."),
        ({"city": ""}, "city", "au moins 1 caractère"),
        ({"mobile_phone": "01 23 45 67 89"}, "mobile_phone", "portable"),
        ({"landline_phone": "12"}, "landline_phone", "n'est pas valide"),
        ({"mobile_phone": "", "landline_phone": ""}, "landline_phone", "au moins un téléphone"),
        ({"heard_from": "television"}, "heard_from", "Valeur non autorisée"),
    ],
)
async def test_every_rule_of_the_fiche_names_its_field_in_french(
    client: AsyncClient, mailbox: Mailbox, changes: dict[str, object], field: str, message: str
) -> None:
    auth = await learner_headers(client, mailbox)

    response = await client.post("/api/v1/me/learner", json={**FICHE, **changes}, headers=auth)

    assert response.status_code == 422
    assert message in field_errors(response)[field]


async def test_a_choice_outside_the_list_is_told_in_words_and_listed_for_programs(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    auth = await learner_headers(client, mailbox)

    response = await client.post(
        "/api/v1/me/learner", json={**FICHE, "heard_from": "television"}, headers=auth
    )

    [error] = response.json()["errors"]
    assert error["field"] == "heard_from"
    # A person reads no internal value; a program reads the values it may send.
    assert "mairie_arrondissement" not in error["message"]
    assert "mairie_arrondissement" in error["allowed"]
    assert len(error["allowed"]) == 6


async def test_a_landline_alone_is_enough(client: AsyncClient, mailbox: Mailbox) -> None:
    auth = await learner_headers(client, mailbox)

    response = await client.post(
        "/api/v1/me/learner",
        json={**FICHE, "mobile_phone": "", "landline_phone": "01 43 55 12 12"},
        headers=auth,
    )

    assert response.status_code == 201
    assert response.json()["landline_phone"] == "+33143551212"


async def test_one_just_turned_eighteen_is_an_adult(client: AsyncClient, mailbox: Mailbox) -> None:
    auth = await learner_headers(client, mailbox)
    today = date.today()
    birthday = (
        today.replace(year=today.year - 18)
        if (today.month, today.day) != (2, 29)
        else today.replace(year=today.year - 18, day=28)
    )

    response = await client.post(
        "/api/v1/me/learner", json={**FICHE, "birth_date": birthday.isoformat()}, headers=auth
    )

    assert response.status_code == 201, response.text


async def test_the_country_list_is_in_french(client: AsyncClient) -> None:
    countries = {c["code"]: c["name"] for c in (await client.get("/api/v1/countries")).json()}

    assert countries["DE"] == "Allemagne"
    assert countries["CI"] == "Côte d'Ivoire"
    assert len(countries) > 240
    # The names people use, not ISO's official forms.
    assert countries["KR"] == "Corée du Sud"
    assert countries["RU"] == "Russie"
    assert countries["GL"] == "Groenland"
    # France first, then in the order of a French index: É among the E, Î among the I.
    names = list(countries.values())
    assert names[0] == "France"
    assert names.index("Égypte") < names.index("Espagne") < names.index("États-Unis")
    assert names.index("Biélorussie") < names.index("Burundi")
    assert names.index("Pérou") < names.index("Portugal") < names.index("Zimbabwe")
    assert names.index("Hongrie") < names.index("Île de Man") < names.index("Inde")
    # Guadeloupe, Martinique, Guyane, La Réunion, Mayotte are France.
    assert {"GP", "MQ", "GF", "RE", "YT"}.isdisjoint(countries)


async def test_born_in_an_overseas_department_is_born_in_france(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    auth = await learner_headers(client, mailbox)

    created = await client.post(
        "/api/v1/me/learner", json={**FICHE, "birth_country": "RE"}, headers=auth
    )

    assert created.status_code == 201, created.text
    assert created.json()["birth_country"] == "FR"
    assert created.json()["birth_country_label"] == "France"


async def test_my_data_export_holds_the_record(client: AsyncClient, mailbox: Mailbox) -> None:
    auth = await learner_headers(client, mailbox)
    await client.post("/api/v1/me/learner", json=FICHE, headers=auth)

    data = (await client.get("/api/v1/me/export", headers=auth)).json()

    assert data["fiche_cma"]["nom"] == "Martin"
    assert data["annees_de_formation"] == []

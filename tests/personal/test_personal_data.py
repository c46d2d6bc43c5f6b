"""A person's data is theirs: all of it in one export, and none of it left after erasure.

The person here has used everything: paired an old CMA account, completed the fiche, applied,
got a seat in a committed allocation ahead of someone on the waiting list, received mails.
"""

import asyncio
import json
import re
import uuid
from pathlib import Path

from httpx import AsyncClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.enrolment import runs
from cma.enrolment.models import Application
from cma.learners.legacy_import import Report
from cma.learners.models import Learner, LegacyAccount, TrainingHistory
from tests.support import (
    FICHE,
    PASSWORD,
    Mailbox,
    active_account,
    bearer,
    closed_campaign,
    learner_headers,
    log_in,
    staff_headers,
)

PERSON = "zephyrine.martel@yopmail.com"
DETAILS = {
    **FICHE,
    "last_name": "Martel-Quintaine",
    "first_name": "Zéphyrine",
    "birth_name": "Quintaine",
    "address": "27 rue des Abbesses",
    "address_2": "Escalier B",
    "mobile_phone": "06 71 82 93 04",
    "landline_phone": "01 45 67 89 12",
}
TRACES = (
    PERSON,
    "Martel-Quintaine",
    "Zéphyrine",
    "Quintaine",
    "27 rue des Abbesses",
    "+33671829304",
    "+33145678912",
)


async def _learner_id(sessionmaker: async_sessionmaker[AsyncSession], phone: str) -> uuid.UUID:
    async with sessionmaker() as session:
        found = await session.scalar(select(Learner.id).where(Learner.mobile_phone == phone))
    assert found is not None
    return found


async def _everything(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    """Every row of every table, as text."""
    async with sessionmaker() as session:
        tables = list(
            await session.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
        )
        rows = []
        for table in tables:
            rows += list(
                await session.scalars(text(f'SELECT row_to_json(t)::text FROM "{table}" t'))  # noqa: S608
            )
    return "\n".join(rows)


async def test_a_fully_used_account_is_all_in_its_export_then_leaves_no_trace(
    client: AsyncClient,
    mailbox: Mailbox,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalogue: int,
    imported: Report,
    export: Path,
) -> None:
    # The person pairs an old CMA account, and reviews its record with today's details.
    lines = (export / "credentials.csv").read_text(encoding="utf-8").splitlines()[1:]
    known = dict(line.split(";")[:2] for line in lines)
    async with sessionmaker() as session:
        old = await session.scalar(
            select(LegacyAccount)
            .where(
                LegacyAccount.email.in_(known),
                LegacyAccount.id.in_(select(TrainingHistory.legacy_account_id)),
                LegacyAccount.last_name.is_not(None),
            )
            .order_by(LegacyAccount.id)
            .limit(1)
        )
        assert old is not None
        old_email, old_password = old.email, known[old.email]
        old_traces = [v for v in (old.last_name, old.address, old.mobile_phone) if v]
    auth = await learner_headers(client, mailbox, PERSON)
    ticket = await client.post(
        "/api/v1/learner-links/legacy-login",
        json={"email": old_email, "password": old_password},
        headers=auth,
    )
    linked = await client.post(
        "/api/v1/learner-links",
        json={"ticket": ticket.json()["ticket"], "learner": DETAILS},
        headers=auth,
    )
    assert linked.status_code == 201, linked.text
    # Someone else applies to the same one-seat course, and will wait behind the person.
    other = await learner_headers(client, mailbox, "autre.eleve@yopmail.com")
    # …who also tries the person's old account, now paired.
    tried = await client.post(
        "/api/v1/learner-links/legacy-login",
        json={"email": old_email, "password": old_password},
        headers=other,
    )
    assert tried.status_code == 401, tried.text
    await client.post(
        "/api/v1/me/learner", json={**FICHE, "mobile_phone": "06 99 88 77 66"}, headers=other
    )
    person_id = await _learner_id(sessionmaker, "+33671829304")
    other_id = await _learner_id(sessionmaker, "+33699887766")
    campaign = await closed_campaign(sessionmaker)
    # The course gives priority to a social situation: the person's (RSA) comes first.
    code = await campaign.course("RZ0001", seats=1, priority=True)
    await campaign.apply(person_id, code, situation="rsa")
    [theirs] = await campaign.apply(other_id, code, situation="aucune")
    async with sessionmaker() as session, session.begin():
        await runs.commit(session, campaign.id, None)
    staff = await staff_headers(client, mailbox, "agent@paris.fr")
    sent = await client.post(f"/api/v1/admin/campaigns/{campaign.id}/responses", headers=staff)
    assert sent.status_code == 200, sent.text
    await mailbox.deliver()
    client.cookies.clear()
    # …and files a basket in the open campaign: its receipt is theirs too.
    courses = (await client.get("/api/v1/courses", params={"open": True})).json()["items"]
    added = await client.post(
        "/api/v1/me/basket/items", json={"course_code": courses[0]["code"]}, headers=auth
    )
    assert added.status_code == 201, added.text
    filed = await client.post("/api/v1/me/basket/submit", headers=auth)
    assert filed.status_code == 200, filed.text
    reference = filed.json()["reference"]

    data = (await client.get("/api/v1/me/export", headers=auth)).json()

    assert data["compte"]["adresse_mail"] == PERSON
    assert data["fiche_cma"]["nom"] == "Martel-Quintaine"
    assert data["ancien_compte_cma"]["adresse_mail"] == old_email
    assert data["ancien_compte_cma"]["rattache_le"] is not None
    assert data["annees_de_formation"]
    assert len(data["rattachement"]) == 2
    assert all(step["adresse_ip"] for step in data["rattachement"])
    # The other account's attempt on the person's old account: when and how, not from where.
    [attempt] = data["essais_d_autres_comptes_sur_votre_ancien_compte"]
    assert set(attempt) == {"le", "resultat"}
    [signed_up] = data["inscriptions"]
    assert signed_up["nature"] == "Je crée mon compte"
    assert signed_up["utilisee_le"] is not None
    # What a sign-up's form said may be a stranger's who typed the address: not exported.
    assert set(signed_up) == {"nature", "cree_le", "expire_le", "utilisee_le"}
    assert [r["numero_de_depot"] for r in data["recus_de_depot"]] == [reference]
    application = next(a for a in data["candidatures"] if a["code_du_cours"] == code)
    assert application["etat"] == "Acceptée, à confirmer"
    assert application["situation_prioritaire"] == "Bénéficiaire du RSA"
    assert data["reponses_envoyees"][0]["campagne"] == "Cours annuels et premier semestre"
    said = {m["objet"]: m["texte"] for m in data["messages"]}
    # What each message said; a link's token, not kept once sent, is shown as withheld.
    assert "[lien personnel, non conservé]" in said["Confirmation de votre compte Parisien"]
    assert f"({code})" in said["Réponses à vos candidatures aux Cours Municipaux d'Adultes"]
    assert "Vos comptes sont connectés" in said
    # Nothing the person would have to decode: no code in English, no UTC.
    english = {"offered", "rsa", "sign_up", "linked", "mail", "sent", "learner", "active"}
    values = re.findall(r'": "([^"]*)"', json.dumps(data, ensure_ascii=False))
    assert english.isdisjoint(values)
    assert not [v for v in values if re.fullmatch(r"\d{4}-\d\d-\d\dT.*(Z|\+00:00)", v)]
    assert "password_hash" not in str(data)
    assert "token_hash" not in str(data)

    erased = await client.request(
        "DELETE", "/api/v1/me", json={"password": FICHE and "Tilleul7Oranger"}, headers=auth
    )
    assert erased.status_code == 204, erased.text
    farewell = await mailbox.last_to(PERSON)

    assert farewell.subject == "Votre compte parisien a été supprimé"
    left = await _everything(sessionmaker)
    assert [trace for trace in (*TRACES, old_email, *old_traces, reference) if trace in left] == []
    async with sessionmaker() as session:
        # The seat passed down the waiting list, as on a decline.
        assert (
            await session.scalar(select(Application.status).where(Application.id == theirs))
            == "offered"
        )


async def test_every_address_an_account_had_or_asked_for_is_erased_with_it(
    client: AsyncClient, mailbox: Mailbox, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    first, second, asked = (
        "premiere.adresse@yopmail.com",
        "deuxieme.adresse@yopmail.com",
        "troisieme.adresse@yopmail.com",
    )
    await active_account(client, mailbox, first)
    auth = bearer(await log_in(client, first))
    # The address changed once (the sign-up that made the account named the first one)...
    await client.post(
        "/api/v1/me/email", json={"new_email": second, "password": PASSWORD}, headers=auth
    )
    token = await mailbox.token_from_last(second)
    confirmed = await client.post(
        "/api/v1/me/email/confirm", json={"token": token, "password": PASSWORD}, headers=auth
    )
    assert confirmed.status_code == 200, confirmed.text
    # ... and a second change is asked, its link mailed, never followed.
    await client.post(
        "/api/v1/me/email", json={"new_email": asked, "password": PASSWORD}, headers=auth
    )
    await mailbox.deliver()
    assert await mailbox.mails_to(asked)

    erased = await client.request("DELETE", "/api/v1/me", json={"password": PASSWORD}, headers=auth)

    assert erased.status_code == 204, erased.text
    left = await _everything(sessionmaker)
    assert [address for address in (first, asked) if address in left] == []
    assert left.count(second) <= 1  # the farewell mail, erased once sent
    await mailbox.deliver()
    assert second not in await _everything(sessionmaker)


async def test_an_erasure_asked_twice_at_once_is_made_once(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "deux.onglets@yopmail.com")
    auth = bearer(await log_in(client, "deux.onglets@yopmail.com"))

    answers = await asyncio.gather(
        *(
            client.request("DELETE", "/api/v1/me", json={"password": PASSWORD}, headers=auth)
            for _ in range(4)
        )
    )

    assert sorted(a.status_code for a in answers) == [204, 401, 401, 401], [a.text for a in answers]
    await mailbox.deliver()
    farewells = await mailbox.mails_to("deux.onglets@yopmail.com")
    assert [m.subject for m in farewells].count("Votre compte parisien a été supprimé") == 1

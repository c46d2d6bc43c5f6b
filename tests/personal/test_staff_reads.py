"""Apprenants in the staff console: staff find a learner by name, address, mail or old account
number, read their record (each read kept, and shown in the learner's own export), and the
pairing journal names who tried what."""

from pathlib import Path

from httpx import AsyncClient
from sqlalchemy import func, select

from cma.core.staff_reads import StaffRead
from cma.learners.legacy_import import Report
from cma.learners.models import LegacyAccount
from tests.support import FICHE, Mailbox, credentials, learner_headers, legacy_login, staff_headers


async def paired_learner(
    client: AsyncClient, mailbox: Mailbox, export: Path
) -> tuple[dict[str, str], int]:
    """Zoé Lefèvre-Ñúñez, paired with an old account; returns her headers and its number."""
    email, password = credentials(export)["bcrypt"]
    auth = await learner_headers(client, mailbox, "zoe@yopmail.com")
    wrong = await legacy_login(client, auth, email, "pas le bon mot de passe")
    assert wrong.status_code == 401
    ticket = (await legacy_login(client, auth, email, password)).json()["ticket"]
    fiche = {**FICHE, "first_name": "Zoé", "last_name": "Lefèvre-Ñúñez", "city": "Paris"}
    linked = await client.post(
        "/api/v1/learner-links", json={"ticket": ticket, "learner": fiche}, headers=auth
    )
    assert linked.status_code == 201, linked.text
    async with mailbox.sessionmaker() as session:
        number = await session.scalar(select(LegacyAccount.id).where(LegacyAccount.email == email))
    assert number is not None
    return auth, number


async def test_staff_find_a_learner_by_name_mail_address_or_old_account_number(
    client: AsyncClient, mailbox: Mailbox, imported: Report, export: Path
) -> None:
    _, number = await paired_learner(client, mailbox, export)
    other = await learner_headers(client, mailbox, "paul@yopmail.com")
    await client.post("/api/v1/me/learner", json={**FICHE, "first_name": "Paul"}, headers=other)
    staff = await staff_headers(client, mailbox)

    async def found(q: str) -> list[str]:
        response = await client.get("/api/v1/admin/learners", params={"q": q}, headers=staff)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        return [hit["email"] for hit in response.json()]

    assert await found("lefevre nunez") == ["zoe@yopmail.com"]
    assert await found("ZOÉ") == ["zoe@yopmail.com"]
    assert await found("zoe@yopmail") == ["zoe@yopmail.com"]
    assert await found(str(number)) == ["zoe@yopmail.com"]
    assert sorted(await found("roquette 75011")) == ["paul@yopmail.com", "zoe@yopmail.com"]
    # Wildcards are letters like any other: nobody's name holds "%" or "_".
    assert await found("%") == []
    assert await found("_") == []
    assert await found("inconnu") == []
    empty = await client.get("/api/v1/admin/learners", params={"q": ""}, headers=staff)
    assert empty.status_code == 422


async def test_a_record_read_by_staff_is_kept_in_the_trail_and_in_the_learners_export(
    client: AsyncClient, mailbox: Mailbox, imported: Report, export: Path
) -> None:
    auth, number = await paired_learner(client, mailbox, export)
    staff = await staff_headers(client, mailbox)
    [hit] = (await client.get("/api/v1/admin/learners", params={"q": "zoe"}, headers=staff)).json()
    async with mailbox.sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(StaffRead))

    read = await client.get(f"/api/v1/admin/learners/{hit['id']}", headers=staff)
    missing = await client.get(
        "/api/v1/admin/learners/00000000-0000-4000-8000-000000000000", headers=staff
    )

    assert read.status_code == 200, read.text
    body = read.json()
    assert body["fiche"]["last_name"] == "Lefèvre-Ñúñez"
    assert body["legacy_account_id"] == number
    assert body["training_history"]
    assert [t["outcome_label"] for t in body["pairing_trail"]] == [
        "Identifiants de l'ancien compte incorrects",
        "Identifiants de l'ancien compte vérifiés",
        "Comptes rattachés",
    ]
    assert {m["subject"] for m in body["messages"]} >= {"Vos comptes sont connectés"}
    assert {m["status_label"] for m in body["messages"]} <= {"En attente d'envoi", "Envoyé"}
    assert missing.status_code == 404
    async with mailbox.sessionmaker() as session:
        after = await session.scalar(select(func.count()).select_from(StaffRead))
    assert after == (before or 0) + 1
    client.cookies.clear()
    mine = (await client.get("/api/v1/me/export", headers=auth)).json()
    assert len(mine["consultations_par_les_agents"]) == 1

    journal = await client.get(
        "/api/v1/admin/link-audit", params={"legacy_account_id": number}, headers=staff
    )
    assert journal.status_code == 200
    latest = journal.json()[0]
    assert latest["name"] == "Zoé Lefèvre-Ñúñez"
    assert latest["email"] == "zoe@yopmail.com"
    assert latest["outcome_label"] == "Comptes rattachés"

    async with mailbox.sessionmaker() as session:
        subjects = set(await session.scalars(select(StaffRead.subject)))
    # Lists are kept too, naming what was read and nobody in it.
    assert {"fiche", "journal des appairages", "recherche d'apprenants, 1 résultat"} <= subjects


async def test_staff_find_a_learner_by_the_receipt_they_quote(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    auth = await learner_headers(client, mailbox, "paul@yopmail.com")
    await client.post("/api/v1/me/learner", json={**FICHE, "first_name": "Paul"}, headers=auth)
    [course] = (await client.get("/api/v1/courses", params={"open": True})).json()["items"][:1]
    await client.post("/api/v1/me/basket/items", json={"course_code": course["code"]}, headers=auth)
    reference = (await client.post("/api/v1/me/basket/submit", headers=auth)).json()["reference"]
    staff = await staff_headers(client, mailbox)

    async def found(q: str) -> list[str]:
        response = await client.get("/api/v1/admin/learners", params={"q": q}, headers=staff)
        return [hit["email"] for hit in response.json()]

    # As it is written in the mail, as it is read out on the phone.
    assert await found(reference) == ["paul@yopmail.com"]
    assert await found(reference.removeprefix("CMA-").replace("-", "").lower()) == [
        "paul@yopmail.com"
    ]
    assert await found("CMA-AAAA-AAAA") == []
    [hit] = (
        await client.get("/api/v1/admin/learners", params={"q": reference}, headers=staff)
    ).json()
    record = (await client.get(f"/api/v1/admin/learners/{hit['id']}", headers=staff)).json()
    assert [r["reference"] for r in record["receipts"]] == [reference]

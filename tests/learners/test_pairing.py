"""Journey D: pairing the Paris account, once and for good, with an old CMA account."""

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select, update

from cma.learners.legacy_import import Report
from cma.learners.models import LegacyAccount, LinkAudit, PairingTicket, TrainingHistory
from tests.support import (
    FICHE,
    Mailbox,
    credentials,
    learner_headers,
    legacy_login,
    new_captcha,
    staff_headers,
    told,
)


@pytest.mark.parametrize("scheme", ["hex_md5", "ldap_salted_sha1", "md5_crypt", "bcrypt"])
async def test_pairing_with_each_old_password_format_keeps_the_history(
    client: AsyncClient, mailbox: Mailbox, imported: Report, export: Path, scheme: str
) -> None:
    email, password = credentials(export)[scheme]
    auth = await learner_headers(client, mailbox)

    answer = await legacy_login(client, auth, email.upper(), password)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["record"]["email"] == email
    linked = await client.post(
        "/api/v1/learner-links",
        json={
            "ticket": body["ticket"],
            "learner": {**FICHE, **{k: v for k, v in body["record"].items() if v}},
        },
        headers=auth,
    )
    assert linked.status_code == 201, linked.text
    assert linked.json()["paired_with_legacy_account"] is True
    assert linked.json()["email"] == "a@yopmail.com"  # the Paris account's, from now on
    assert (await client.get("/api/v1/me", headers=auth)).json()["learner_record"] == "paired"

    async with mailbox.sessionmaker() as session:
        legacy = await session.scalar(select(LegacyAccount).where(LegacyAccount.email == email))
        assert legacy is not None
        expected = await session.scalar(
            select(func.count()).where(TrainingHistory.legacy_account_id == legacy.id)
        )
    history = (await client.get("/api/v1/me/history", headers=auth)).json()
    assert len(history["legacy"]) == expected
    assert history["campaigns"] == []
    mail = await mailbox.last_to("a@yopmail.com")
    assert mail.subject == "Vos comptes sont connectés"
    assert (
        "Les seuls identifiants à utiliser et mémoriser sont ceux du compte parisien" in mail.body()
    )

    # The old credentials are dead, for this account and any other.
    other = await learner_headers(client, mailbox, "b@yopmail.com")
    refused = await legacy_login(client, other, email, password)
    assert refused.status_code == 401


async def test_a_wrong_or_unknown_old_login_gets_one_generic_error(
    client: AsyncClient, mailbox: Mailbox, imported: Report, export: Path
) -> None:
    email, _ = credentials(export)["hex_md5"]
    auth = await learner_headers(client, mailbox)

    wrong = await legacy_login(client, auth, email, "Mauvais2026")
    unknown = await legacy_login(client, auth, "personne@yopmail.com", "Mauvais2026")

    assert wrong.status_code == unknown.status_code == 401
    assert told(wrong) == told(unknown)
    assert "Mot de passe oublié ?" in wrong.json()["detail"]


async def test_old_password_guessing_asks_for_the_code_and_is_audited(
    client: AsyncClient, mailbox: Mailbox, imported: Report, export: Path
) -> None:
    email, password = credentials(export)["md5_crypt"]
    auth = await learner_headers(client, mailbox)

    statuses = [
        (await legacy_login(client, auth, email, f"Essai{n}")).status_code for n in range(4)
    ]
    asked = await legacy_login(client, auth, email, password)
    captcha_id, code = await new_captcha(client, mailbox.sessionmaker)
    opened = await legacy_login(
        client, auth, email, password, captcha_id=captcha_id, captcha_answer=code
    )

    assert statuses == [401, 401, 401, 422]
    assert asked.json()["type"] == "urn:cma:problem:captcha-required"
    assert opened.status_code == 200, opened.text  # the owner is never locked out
    trail = (
        await client.get("/api/v1/admin/link-audit", headers=await staff_headers(client, mailbox))
    ).json()
    outcomes = [row["outcome"] for row in trail]
    assert outcomes.count("wrong_password") == 3
    assert outcomes.count("throttled") == 2
    assert outcomes.count("ticket_issued") == 1
    assert all(row["client_address"] == "203.0.113.10" for row in trail)


async def test_concurrent_old_password_guesses_get_no_more_checks_than_the_limit(
    client: AsyncClient, mailbox: Mailbox, imported: Report, export: Path
) -> None:
    email, _ = credentials(export)["hex_md5"]
    auth = await learner_headers(client, mailbox)

    answers = await asyncio.gather(
        *(legacy_login(client, auth, email, f"Essai{n}") for n in range(20))
    )

    assert sorted(a.status_code for a in answers) == [401] * 3 + [422] * 17


async def test_a_ticket_serves_once_and_not_after_it_expires(
    client: AsyncClient, mailbox: Mailbox, imported: Report, export: Path
) -> None:
    email, password = credentials(export)["bcrypt"]
    auth = await learner_headers(client, mailbox)
    ticket = (await legacy_login(client, auth, email, password)).json()["ticket"]
    async with mailbox.sessionmaker() as session, session.begin():
        await session.execute(
            update(PairingTicket).values(
                created_at=PairingTicket.created_at - timedelta(minutes=20),
                expires_at=PairingTicket.expires_at - timedelta(minutes=20),
            )
        )

    expired = await client.post(
        "/api/v1/learner-links", json={"ticket": ticket, "learner": FICHE}, headers=auth
    )
    fresh = (await legacy_login(client, auth, email, password)).json()["ticket"]
    used = await client.post(
        "/api/v1/learner-links", json={"ticket": fresh, "learner": FICHE}, headers=auth
    )
    again = await client.post(
        "/api/v1/learner-links", json={"ticket": fresh, "learner": FICHE}, headers=auth
    )

    assert expired.status_code == 400
    assert expired.json()["type"] == "urn:cma:problem:invalid-pairing-ticket"
    assert used.status_code == 201
    assert again.status_code == 400


async def test_a_ticket_is_only_good_for_the_account_it_was_given_to(
    client: AsyncClient, mailbox: Mailbox, imported: Report, export: Path
) -> None:
    email, password = credentials(export)["hex_md5"]
    owner = await learner_headers(client, mailbox)
    ticket = (await legacy_login(client, owner, email, password)).json()["ticket"]
    thief = await learner_headers(client, mailbox, "thief@yopmail.com")

    stolen = await client.post(
        "/api/v1/learner-links", json={"ticket": ticket, "learner": FICHE}, headers=thief
    )

    assert stolen.status_code == 400


async def test_two_accounts_pairing_one_old_account_at_once_make_exactly_one_link(
    client: AsyncClient, mailbox: Mailbox, imported: Report, export: Path
) -> None:
    email, password = credentials(export)["ldap_salted_sha1"]
    people = [await learner_headers(client, mailbox, f"p{n}@yopmail.com") for n in range(2)]
    tickets = [
        (await legacy_login(client, auth, email, password)).json()["ticket"] for auth in people
    ]

    results = await asyncio.gather(
        *(
            client.post("/api/v1/learner-links", json={"ticket": t, "learner": FICHE}, headers=auth)
            for t, auth in zip(tickets, people, strict=True)
        )
    )

    assert sorted(r.status_code for r in results) == [201, 409]
    loser = next(r for r in results if r.status_code == 409)
    assert loser.json()["type"] == "urn:cma:problem:legacy-already-linked"
    async with mailbox.sessionmaker() as session:
        from cma.learners.models import Learner

        assert await session.scalar(select(func.count()).select_from(Learner)) == 1
        outcomes = list(await session.scalars(select(LinkAudit.outcome)))
        assert outcomes.count("linked") == 1
        assert outcomes.count("conflict") == 1


async def test_an_account_with_a_record_cannot_pair_again(
    client: AsyncClient, mailbox: Mailbox, imported: Report, export: Path
) -> None:
    email, password = credentials(export)["hex_md5"]
    auth = await learner_headers(client, mailbox)
    await client.post("/api/v1/me/learner", json=FICHE, headers=auth)

    response = await legacy_login(client, auth, email, password)

    assert response.status_code == 409
    assert response.json()["type"] == "urn:cma:problem:learner-exists"


async def test_the_audit_trail_is_for_staff_only(client: AsyncClient, mailbox: Mailbox) -> None:
    auth = await learner_headers(client, mailbox)
    client.cookies.clear()

    assert (await client.get("/api/v1/admin/link-audit")).status_code == 401
    assert (await client.get("/api/v1/admin/link-audit", headers=auth)).status_code == 403


async def test_forgot_the_old_password_then_pair(
    client: AsyncClient, mailbox: Mailbox, imported: Report, export: Path
) -> None:
    email, _ = credentials(export)["md5_crypt"]
    auth = await learner_headers(client, mailbox)

    asked = await client.post("/api/v1/legacy-password-resets", json={"email": email})
    unknown = await client.post("/api/v1/legacy-password-resets", json={"email": "x@yopmail.com"})
    mail = await mailbox.last_to(email)
    from tests.support import token_in

    token = token_in(mail)
    new = "Nouveau2026x"
    confirmed = await client.post(
        "/api/v1/legacy-password-resets/confirm",
        json={"token": token, "password": new, "password_confirmation": new},
    )
    reused = await client.post(
        "/api/v1/legacy-password-resets/confirm",
        json={"token": token, "password": new, "password_confirmation": new},
    )
    answer = await legacy_login(client, auth, email, new)

    assert asked.status_code == unknown.status_code == 202
    assert asked.json()["detail"] == unknown.json()["detail"]
    assert await mailbox.mails_to("x@yopmail.com") == []
    assert "/ancien-compte/mot-de-passe#token=" in mail.body()
    assert confirmed.status_code == 200
    assert reused.status_code == 400
    assert answer.status_code == 200


async def test_an_old_account_without_a_usable_password_pairs_only_after_a_reset(
    client: AsyncClient, mailbox: Mailbox, imported: Report
) -> None:
    async with mailbox.sessionmaker() as session:
        email = await session.scalar(
            select(LegacyAccount.email).where(LegacyAccount.password_hash.is_(None)).limit(1)
        )
    assert email is not None, "the generated export has accounts without a usable password"
    auth = await learner_headers(client, mailbox)

    before = await legacy_login(client, auth, email, "Nimporte2026")
    await client.post("/api/v1/legacy-password-resets", json={"email": email})
    from tests.support import token_in

    token = token_in(await mailbox.last_to(email))
    await client.post(
        "/api/v1/legacy-password-resets/confirm",
        json={"token": token, "password": "Nouveau2026x", "password_confirmation": "Nouveau2026x"},
    )
    after = await legacy_login(client, auth, email, "Nouveau2026x")

    assert before.status_code == 401
    assert after.status_code == 200
    async with mailbox.sessionmaker() as session:
        outcomes = list(await session.scalars(select(LinkAudit.outcome).order_by(LinkAudit.id)))
    assert outcomes == ["no_password", "ticket_issued"]

"""Journey B: "Mot de passe oublié ?" — same answer for all, 1 hour, single use."""

from datetime import timedelta

from httpx import AsyncClient
from sqlalchemy import select, update

from cma.accounts.models import Account, AccountToken
from tests.support import PASSWORD, Mailbox, active_account, bearer, field_errors, log_in, sign_up

NEW = "Nouveau2026x"


async def _reset_token(client: AsyncClient, mailbox: Mailbox, email: str) -> str:
    response = await client.post("/api/v1/password-resets", json={"email": email})
    assert response.status_code == 202
    mail = await mailbox.last_to(email)
    assert mail.subject == "Réinitialisation de votre mot de passe"
    return await mailbox.token_from_last(email)


async def test_forgot_password_answers_the_same_for_every_address(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "known@yopmail.com")

    known = await client.post("/api/v1/password-resets", json={"email": "known@yopmail.com"})
    unknown = await client.post("/api/v1/password-resets", json={"email": "nobody@yopmail.com"})

    assert known.status_code == unknown.status_code == 202
    assert known.json()["detail"] == unknown.json()["detail"]
    assert await mailbox.mails_to("nobody@yopmail.com") == []
    assert (await mailbox.last_to("known@yopmail.com")).subject == (
        "Réinitialisation de votre mot de passe"
    )


async def test_the_reset_link_sets_a_new_password_once_and_closes_every_session(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "a@yopmail.com")
    old_session = await log_in(client, "a@yopmail.com")
    token = await _reset_token(client, mailbox, "a@yopmail.com")
    body = {"token": token, "password": NEW, "password_confirmation": NEW}

    first = await client.post("/api/v1/password-resets/confirm", json=body)
    again = await client.post(
        "/api/v1/password-resets/confirm",
        json={**body, "password": "Autre2026xx", "password_confirmation": "Autre2026xx"},
    )

    assert first.status_code == 200
    assert again.status_code == 400
    assert again.json()["type"] == "urn:cma:problem:invalid-token"
    assert (await client.get("/api/v1/me", headers=bearer(old_session))).status_code == 401
    assert (await mailbox.last_to("a@yopmail.com")).subject == "Votre mot de passe a été modifié"
    await log_in(client, "a@yopmail.com", NEW)
    old = await client.post(
        "/api/v1/sessions", json={"email": "a@yopmail.com", "password": PASSWORD}
    )
    assert old.status_code == 401


async def test_the_reset_link_lasts_one_hour(client: AsyncClient, mailbox: Mailbox) -> None:
    await active_account(client, mailbox, "a@yopmail.com")
    token = await _reset_token(client, mailbox, "a@yopmail.com")
    async with mailbox.sessionmaker() as session, session.begin():
        row = await session.scalar(
            select(AccountToken).where(AccountToken.purpose == "password_reset")
        )
        assert row is not None
        assert row.expires_at - row.created_at == timedelta(hours=1)
        await session.execute(
            update(AccountToken)
            .where(AccountToken.id == row.id)
            .values(expires_at=AccountToken.created_at + timedelta(seconds=1))
        )
        await session.execute(
            update(AccountToken)
            .where(AccountToken.id == row.id)
            .values(
                created_at=AccountToken.created_at - timedelta(hours=2),
                expires_at=AccountToken.expires_at - timedelta(hours=2),
            )
        )
        await session.execute(
            update(Account).values(password_changed_at=Account.created_at - timedelta(hours=3))
        )

    response = await client.post(
        "/api/v1/password-resets/confirm",
        json={"token": token, "password": NEW, "password_confirmation": NEW},
    )

    assert response.status_code == 400


async def test_the_reset_link_dies_when_the_password_changes(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "a@yopmail.com")
    token = await _reset_token(client, mailbox, "a@yopmail.com")
    session_token = await log_in(client, "a@yopmail.com")
    changed = await client.put(
        "/api/v1/me/password",
        headers=bearer(session_token),
        json={"current_password": PASSWORD, "password": NEW, "password_confirmation": NEW},
    )
    assert changed.status_code == 200

    response = await client.post(
        "/api/v1/password-resets/confirm",
        json={"token": token, "password": "Autre2026xx", "password_confirmation": "Autre2026xx"},
    )

    assert response.status_code == 400
    await log_in(client, "a@yopmail.com", NEW)


async def test_a_new_reset_link_retires_the_previous_one(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "a@yopmail.com")
    first = await _reset_token(client, mailbox, "a@yopmail.com")
    second = await _reset_token(client, mailbox, "a@yopmail.com")
    body = {"password": NEW, "password_confirmation": NEW}

    assert (
        await client.post("/api/v1/password-resets/confirm", json={"token": first, **body})
    ).status_code == 400
    assert (
        await client.post("/api/v1/password-resets/confirm", json={"token": second, **body})
    ).status_code == 200


async def test_the_new_password_follows_the_policy(client: AsyncClient, mailbox: Mailbox) -> None:
    await active_account(client, mailbox, "a@yopmail.com")
    token = await _reset_token(client, mailbox, "a@yopmail.com")

    response = await client.post(
        "/api/v1/password-resets/confirm",
        json={"token": token, "password": "faible", "password_confirmation": "faible"},
    )

    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"password"}


async def test_a_forgotten_password_before_activation_leads_back_to_the_sign_up(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await sign_up(client, mailbox.sessionmaker, "attente@yopmail.com")
    asked = await client.post("/api/v1/password-resets", json={"email": "attente@yopmail.com"})

    mail = await mailbox.last_to("attente@yopmail.com")
    assert asked.status_code == 202
    assert mail.subject == "Votre compte parisien n'est pas encore activé"
    assert "https://cma.test/inscription" in mail.body("plain")
    assert "token=" not in mail.body("plain")  # no link sets a password on a sign-up


async def test_a_common_password_is_refused_as_a_new_one_too(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "a@yopmail.com")
    token = await _reset_token(client, mailbox, "a@yopmail.com")

    response = await client.post(
        "/api/v1/password-resets/confirm",
        json={"token": token, "password": "Azerty123", "password_confirmation": "Azerty123"},
    )

    assert response.status_code == 422
    assert "trop facile à deviner" in field_errors(response)["password"]

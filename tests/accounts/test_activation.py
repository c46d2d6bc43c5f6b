"""The activation link: single use, 48 hours, one live link per account, resend."""

from datetime import timedelta

from httpx import AsyncClient
from sqlalchemy import select, update

from cma.accounts.models import Account, AccountToken
from tests.support import Mailbox, sign_up


async def _pending(client: AsyncClient, mailbox: Mailbox, email: str = "a@yopmail.com") -> str:
    assert (await sign_up(client, mailbox.sessionmaker, email)).status_code == 202
    return await mailbox.token_from_last(email)


async def test_the_link_works_once_then_says_the_account_is_already_active(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    token = await _pending(client, mailbox)

    first = await client.post("/api/v1/accounts/activation", json={"token": token})
    second = await client.post("/api/v1/accounts/activation", json={"token": token})

    assert first.status_code == 200
    assert first.json() == {
        "email": "a@yopmail.com",
        "status": "active",
        "detail": "Votre compte parisien est créé et validé.",
    }
    assert second.status_code == 409
    assert second.json()["type"] == "urn:cma:problem:already-active"


async def test_an_expired_link_is_refused(client: AsyncClient, mailbox: Mailbox) -> None:
    token = await _pending(client, mailbox)
    async with mailbox.sessionmaker() as session, session.begin():
        await session.execute(
            update(AccountToken).values(
                created_at=AccountToken.created_at - timedelta(hours=49),
                expires_at=AccountToken.expires_at - timedelta(hours=49),
            )
        )
        await session.execute(
            update(Account).values(password_changed_at=Account.created_at - timedelta(hours=49))
        )

    response = await client.post("/api/v1/accounts/activation", json={"token": token})

    assert response.status_code == 400
    assert response.json()["type"] == "urn:cma:problem:invalid-token"
    async with mailbox.sessionmaker() as session:
        assert await session.scalar(select(Account.status)) == "pending"


async def test_a_tampered_link_is_refused(client: AsyncClient, mailbox: Mailbox) -> None:
    token = await _pending(client, mailbox)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = await client.post("/api/v1/accounts/activation", json={"token": tampered})
    malformed = await client.post("/api/v1/accounts/activation", json={"token": "x'; DROP--"})

    assert response.status_code == 400
    assert malformed.status_code == 422


async def test_the_link_lasts_48_hours_and_only_its_hash_is_stored(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    token = await _pending(client, mailbox)

    async with mailbox.sessionmaker() as session:
        row = await session.scalar(select(AccountToken))
        assert row is not None
        assert row.expires_at - row.created_at == timedelta(hours=48)
        assert token.encode() not in row.token_hash
        assert len(row.token_hash) == 32
        assert len(token) >= 43  # 256 bits, URL-safe base64


async def test_resend_retires_the_previous_link(client: AsyncClient, mailbox: Mailbox) -> None:
    old = await _pending(client, mailbox)

    resent = await client.post(
        "/api/v1/accounts/activation/resend", json={"email": "A@yopmail.com"}
    )
    new = await mailbox.token_from_last("a@yopmail.com")

    assert resent.status_code == 202
    assert new != old
    assert (
        await client.post("/api/v1/accounts/activation", json={"token": old})
    ).status_code == 400
    assert (
        await client.post("/api/v1/accounts/activation", json={"token": new})
    ).status_code == 200


async def test_resend_answers_the_same_for_an_unknown_address(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await _pending(client, mailbox, "known@yopmail.com")

    known = await client.post(
        "/api/v1/accounts/activation/resend", json={"email": "known@yopmail.com"}
    )
    unknown = await client.post(
        "/api/v1/accounts/activation/resend", json={"email": "unknown@yopmail.com"}
    )

    assert known.status_code == unknown.status_code == 202
    assert known.json()["detail"] == unknown.json()["detail"]
    assert await mailbox.mails_to("unknown@yopmail.com") == []


async def test_resend_is_rate_limited_per_address_silently(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await _pending(client, mailbox, "often@yopmail.com")

    for _ in range(5):
        response = await client.post(
            "/api/v1/accounts/activation/resend", json={"email": "often@yopmail.com"}
        )
        assert response.status_code == 202

    mails = await mailbox.mails_to("often@yopmail.com")
    assert len(mails) == 1 + 3  # sign-up, then at most 3 resends an hour


async def test_resend_is_rate_limited_per_client_with_retry_after(client: AsyncClient) -> None:
    statuses = []
    for n in range(21):
        response = await client.post(
            "/api/v1/accounts/activation/resend", json={"email": f"x{n}@yopmail.com"}
        )
        statuses.append(response.status_code)

    assert statuses[:20] == [202] * 20
    assert statuses[20] == 429
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["type"] == "urn:cma:problem:too-many-requests"

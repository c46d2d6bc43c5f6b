"""The activation link: the mailbox's proof, completed by the sign-up's own password.

No account exists until a sign-up's link is followed with the password chosen on its form:
whoever signs up someone else's address first holds nothing, and a mail scanner that follows
the link activates nothing.
"""

from datetime import timedelta

from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, select, update

from cma.accounts.models import Account, Signup
from cma.background import housekeeping
from cma.core.ratelimit import create_throttle
from tests.support import PASSWORD, Mailbox, log_in, sign_up, token_in

ATTACKER = "Pirate2026x"


async def _pending(
    client: AsyncClient, mailbox: Mailbox, email: str = "a@yopmail.com", password: str = PASSWORD
) -> str:
    assert (await sign_up(client, mailbox.sessionmaker, email, password)).status_code == 202
    return await mailbox.token_from_last(email)


async def _activate(client: AsyncClient, token: str, password: str = PASSWORD) -> int:
    response = await client.post(
        "/api/v1/accounts/activation", json={"token": token, "password": password}
    )
    return response.status_code


async def _accounts(mailbox: Mailbox) -> int:
    async with mailbox.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Account)) or 0


async def test_the_link_works_once_then_says_the_account_is_already_active(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    token = await _pending(client, mailbox)

    first = await client.post(
        "/api/v1/accounts/activation", json={"token": token, "password": PASSWORD}
    )
    second = await client.post(
        "/api/v1/accounts/activation", json={"token": token, "password": PASSWORD}
    )

    assert first.status_code == 200
    assert first.json() == {
        "email": "a@yopmail.com",
        "status": "active",
        "detail": "Votre compte parisien est créé et validé.",
    }
    assert second.status_code == 409
    assert second.json()["type"] == "urn:cma:problem:already-active"


async def test_whoever_signs_up_first_holds_nothing(client: AsyncClient, mailbox: Mailbox) -> None:
    # An attacker signs up the victim's address with a password of theirs and never activates;
    # then the victim signs up the same address, with their own password.
    squat = await _pending(client, mailbox, "victime@yopmail.com", ATTACKER)
    own = await _pending(client, mailbox, "victime@yopmail.com", PASSWORD)
    assert await _accounts(mailbox) == 0

    assert await _activate(client, own, PASSWORD) == 200
    assert await _activate(client, squat, ATTACKER) == 409  # the squat is gone with it

    await log_in(client, "victime@yopmail.com", PASSWORD)
    refused = await client.post(
        "/api/v1/sessions", json={"email": "victime@yopmail.com", "password": ATTACKER}
    )
    assert refused.status_code == 401


async def test_the_link_of_someone_elses_sign_up_needs_their_password(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    # The victim gets the mail of the attacker's sign-up, and follows it: with their own
    # password, nothing happens; without the attacker's, nothing can.
    squat = await _pending(client, mailbox, "victime@yopmail.com", ATTACKER)

    answer = await client.post(
        "/api/v1/accounts/activation", json={"token": squat, "password": PASSWORD}
    )

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "password"
    assert await _accounts(mailbox) == 0


async def test_a_strangers_sign_ups_never_keep_the_owners_link_from_coming(
    client: AsyncClient, mailbox: Mailbox, app: object
) -> None:
    for n in range(4):  # more than the mails one address gets in a quarter of an hour
        await _pending(client, mailbox, "victime@yopmail.com", f"{ATTACKER}{n}")
    transport = ASGITransport(app=app, client=("198.51.100.99", 4000))  # type: ignore[arg-type]
    async with AsyncClient(transport=transport, base_url="https://cma.test") as owner:
        own = await _pending(owner, mailbox, "victime@yopmail.com", PASSWORD)

        assert await _activate(owner, own, PASSWORD) == 200


async def test_the_resend_mails_the_owners_link_whoever_signed_up_since(
    client: AsyncClient, mailbox: Mailbox, app: object
) -> None:
    transport = ASGITransport(app=app, client=("198.51.100.99", 4000))  # type: ignore[arg-type]
    async with AsyncClient(transport=transport, base_url="https://cma.test") as owner:
        await _pending(owner, mailbox, "victime@yopmail.com", PASSWORD)
        await _pending(client, mailbox, "victime@yopmail.com", ATTACKER)
        await owner.post(
            "/api/v1/accounts/activation/resend", json={"email": "victime@yopmail.com"}
        )
        resent = [token_in(m) for m in (await mailbox.mails_to("victime@yopmail.com"))[-2:]]

        answers = [await _activate(owner, token, PASSWORD) for token in resent]

    assert answers.count(200) == 1  # the owner's link is among them, with the owner's password


async def test_following_the_link_without_the_password_activates_nothing(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    # What a mail scanner does with the link: open it, post it.
    token = await _pending(client, mailbox)

    bare = await client.post("/api/v1/accounts/activation", json={"token": token})

    assert bare.status_code == 422
    assert await _accounts(mailbox) == 0


async def test_guessing_the_password_with_the_link_is_limited(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    token = await _pending(client, mailbox)

    guesses = [await _activate(client, token, f"Essai{n}2026") for n in range(6)]

    assert guesses == [400] * 5 + [429]


async def test_an_expired_link_is_refused(client: AsyncClient, mailbox: Mailbox) -> None:
    token = await _pending(client, mailbox)
    async with mailbox.sessionmaker() as session, session.begin():
        await session.execute(
            update(Signup).values(
                created_at=Signup.created_at - timedelta(hours=49),
                expires_at=Signup.expires_at - timedelta(hours=49),
            )
        )

    response = await client.post(
        "/api/v1/accounts/activation", json={"token": token, "password": PASSWORD}
    )

    assert response.status_code == 400
    assert response.json()["type"] == "urn:cma:problem:invalid-token"
    assert await _accounts(mailbox) == 0


async def test_a_sign_up_never_activated_is_erased_after_its_link_died(
    client: AsyncClient, mailbox: Mailbox, app: object
) -> None:
    await _pending(client, mailbox, "oubli@yopmail.com")
    await _pending(client, mailbox, "recent@yopmail.com")
    async with mailbox.sessionmaker() as session, session.begin():
        await session.execute(
            update(Signup)
            .where(Signup.email == "oubli@yopmail.com")
            .values(
                created_at=Signup.created_at - timedelta(hours=74),
                expires_at=Signup.expires_at - timedelta(hours=74),
            )
        )

    throttle = create_throttle(mailbox.sessionmaker.kw["bind"], None)
    await housekeeping(mailbox.sessionmaker, throttle)

    async with mailbox.sessionmaker() as session:
        left = list(await session.scalars(select(Signup.email)))
    assert left == ["recent@yopmail.com"]


async def test_a_tampered_link_is_refused(client: AsyncClient, mailbox: Mailbox) -> None:
    token = await _pending(client, mailbox)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = await client.post(
        "/api/v1/accounts/activation", json={"token": tampered, "password": PASSWORD}
    )
    malformed = await client.post(
        "/api/v1/accounts/activation", json={"token": "x'; DROP--", "password": PASSWORD}
    )

    assert response.status_code == 400
    assert malformed.status_code == 422


async def test_the_link_lasts_48_hours_and_only_its_hash_is_stored(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    token = await _pending(client, mailbox)

    async with mailbox.sessionmaker() as session:
        row = await session.scalar(select(Signup))
        assert row is not None
        assert row.token_hash is not None
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
    assert await _activate(client, old) == 400
    assert await _activate(client, new) == 200


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
    assert len(mails) == 1 + 3  # the sign-up's, then at most 3 resends in 15 minutes


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

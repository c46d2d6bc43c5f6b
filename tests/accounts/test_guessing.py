"""Journey B under attack: guessing a password is slowed, and nobody can lock an owner out.

Past a few failures, a login asks for the verification code; the owner's right password, with
the code, always opens the account. Only an address that guesses too much is refused (429).
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy import update

from cma.core.ratelimit import RateLimitCounter
from tests.support import (
    PASSWORD,
    Mailbox,
    active_account,
    bearer,
    new_captcha,
    staff_headers,
    told,
)

WRONG = "Mauvais2026"


def from_address(app: object, address: str) -> AsyncClient:
    transport = ASGITransport(app=app, client=(address, 50000))  # type: ignore[arg-type]
    return AsyncClient(transport=transport, base_url="https://cma.test")


@pytest.fixture
async def owner(app: object) -> AsyncIterator[AsyncClient]:
    """The account's owner, at home: an address nobody else used."""
    async with from_address(app, "198.51.100.200") as http:
        yield http


async def log_in(http: AsyncClient, email: str, password: str, **more: Any) -> Response:
    return await http.post("/api/v1/sessions", json={"email": email, "password": password, **more})


async def with_code(http: AsyncClient, mailbox: Mailbox) -> dict[str, str]:
    """A verification code, solved as a person would."""
    captcha_id, code = await new_captcha(http, mailbox.sessionmaker)
    return {"captcha_id": captcha_id, "captcha_answer": code}


async def test_a_few_failures_ask_for_the_code_never_a_lockout(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "distrait@yopmail.com")

    tries = [await log_in(client, "distrait@yopmail.com", WRONG) for _ in range(4)]
    right_without_code = await log_in(client, "distrait@yopmail.com", PASSWORD)
    right_with_code = await log_in(
        client, "distrait@yopmail.com", PASSWORD, **await with_code(client, mailbox)
    )

    assert [t.status_code for t in tries] == [401, 401, 401, 422]
    asked = tries[3].json()
    assert asked["type"] == "urn:cma:problem:captcha-required"
    assert asked["captcha_required"] is True
    assert asked["errors"][0]["field"] == "captcha_answer"
    assert right_without_code.status_code == 422
    assert right_with_code.status_code == 201


async def test_logins_refused_for_want_of_a_connection_do_not_count_against_the_owner(
    client: AsyncClient, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from cma.accounts import service

    await active_account(client, mailbox, "presse@yopmail.com")
    read_account = service._by_email

    async def no_connection_free(*args: object) -> None:
        raise PoolTimeout("QueuePool limit reached")

    monkeypatch.setattr(service, "_by_email", no_connection_free)
    refused = [await log_in(client, "presse@yopmail.com", PASSWORD) for _ in range(5)]
    monkeypatch.setattr(service, "_by_email", read_account)
    then = await log_in(client, "presse@yopmail.com", PASSWORD)

    assert {r.status_code for r in refused} == {503}
    assert {r.json()["type"] for r in refused} == {"urn:cma:problem:busy"}
    assert {r.headers["Retry-After"] for r in refused} == {"1"}
    # Nothing was checked: the rush's refusals never make its owner solve a code.
    assert then.status_code == 201, then.text


async def test_logins_whose_client_left_during_the_check_do_not_count_against_the_owner(
    client: AsyncClient, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cma.accounts import service

    await active_account(client, mailbox, "parti@yopmail.com")
    check = service.verify_password
    checking = asyncio.Event()

    async def endless(*args: object) -> tuple[bool, str | None]:
        checking.set()
        await asyncio.sleep(3600)
        raise AssertionError("never checked")

    monkeypatch.setattr(service, "verify_password", endless)
    for _ in range(5):
        checking.clear()
        left = asyncio.create_task(log_in(client, "parti@yopmail.com", PASSWORD))
        started = asyncio.create_task(checking.wait())
        await asyncio.wait({left, started}, return_when=asyncio.FIRST_COMPLETED)
        assert not left.done(), f"answered without a check: {left.result().text}"
        left.cancel()  # the learner closed the tab while their password was being checked
        with pytest.raises(asyncio.CancelledError):
            await left
    monkeypatch.setattr(service, "verify_password", check)
    then = await log_in(client, "parti@yopmail.com", PASSWORD)

    assert then.status_code == 201, then.text


async def test_a_wrong_code_is_refused_before_the_password_is_checked(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "cible@yopmail.com")
    for _ in range(3):
        await log_in(client, "cible@yopmail.com", WRONG)
    captcha_id, _ = await new_captcha(client, mailbox.sessionmaker)

    refused = await log_in(
        client, "cible@yopmail.com", PASSWORD, captcha_id=captcha_id, captcha_answer="zzzzz"
    )

    assert refused.status_code == 422
    assert refused.json()["type"] == "urn:cma:problem:captcha-invalid"


async def test_thirty_failures_from_a_handful_of_addresses_never_refuse_the_owner(
    app: object, client: AsyncClient, mailbox: Mailbox, owner: AsyncClient
) -> None:
    for email in ("cible@yopmail.com", "agent.cible@paris.fr"):
        if email.endswith("paris.fr"):
            await staff_headers(client, mailbox, email)
        else:
            await active_account(client, mailbox, email)
        for n in range(30):
            async with from_address(app, f"192.0.2.{n % 6 + 1}") as attacker:
                answer = await log_in(attacker, email, WRONG, **await with_code(attacker, mailbox))
                assert answer.status_code == 401

        asked = await log_in(owner, email, PASSWORD)
        opened = await log_in(owner, email, PASSWORD, **await with_code(owner, mailbox))

        assert asked.status_code == 422, asked.text  # the code, not a 429 for an hour
        assert opened.status_code == 201, opened.text
        auth = bearer(opened.json()["access_token"])
        changed = await owner.put(
            "/api/v1/me/password",
            json={
                "current_password": PASSWORD,
                "password": "NouveauSecret2027",
                "password_confirmation": "NouveauSecret2027",
            },
            headers=auth,
        )
        assert changed.status_code == 200, changed.text
        deleted = await owner.request(
            "DELETE", "/api/v1/me", json={"password": "NouveauSecret2027"}, headers=auth
        )
        assert deleted.status_code == 204, deleted.text


async def test_a_success_clears_the_failures_of_its_address(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "distrait@yopmail.com")

    before = [(await log_in(client, "distrait@yopmail.com", WRONG)).status_code for _ in range(2)]
    right = await log_in(client, "distrait@yopmail.com", PASSWORD)
    after = [(await log_in(client, "distrait@yopmail.com", WRONG)).status_code for _ in range(4)]

    assert before == [401, 401]
    assert right.status_code == 201
    assert after == [401, 401, 401, 422]  # three fresh tries, not one


async def test_the_code_is_asked_only_for_its_window(client: AsyncClient, mailbox: Mailbox) -> None:
    await active_account(client, mailbox, "cible@yopmail.com")
    for _ in range(4):
        await log_in(client, "cible@yopmail.com", WRONG)
    async with mailbox.sessionmaker() as session, session.begin():
        await session.execute(
            update(RateLimitCounter).values(
                expires_at=RateLimitCounter.expires_at - timedelta(hours=1, minutes=1)
            )
        )

    assert (await log_in(client, "cible@yopmail.com", PASSWORD)).status_code == 201


async def test_an_unknown_address_asks_for_the_code_like_a_known_one(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "connue@yopmail.com")

    known = [(await log_in(client, "connue@yopmail.com", WRONG)) for _ in range(4)]
    unknown = [(await log_in(client, "inconnue@yopmail.com", WRONG)) for _ in range(4)]

    assert [told(r) for r in known] == [told(r) for r in unknown]


async def test_concurrent_guesses_get_no_more_password_checks_than_the_limit(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "cible@yopmail.com")

    answers = await asyncio.gather(
        *(log_in(client, "cible@yopmail.com", f"Essai{n}2026") for n in range(20))
    )

    checked = [a for a in answers if a.status_code == 401]
    asked = [a for a in answers if a.json().get("type") == "urn:cma:problem:captcha-required"]
    assert len(checked) == 3, [a.status_code for a in answers]  # the limit, not 19
    assert len(asked) == 17, [(a.status_code, a.json().get("type")) for a in answers]


async def test_one_address_guessing_many_accounts_is_refused(client: AsyncClient) -> None:
    statuses = [(await log_in(client, f"u{n}@yopmail.com", WRONG)).status_code for n in range(51)]

    assert statuses[:50] == [401] * 50
    assert statuses[50] == 429


async def test_one_ipv6_subscriber_counts_as_one_address(app: object) -> None:
    statuses = []
    for n in range(60):
        # Each guess from another address of the same /64, as one machine can.
        async with from_address(app, f"2001:db8:4:2::{n + 1:x}") as attacker:
            statuses.append((await log_in(attacker, f"u{n}@yopmail.com", WRONG)).status_code)
    async with from_address(app, "2001:db8:4:3::1") as neighbour:
        elsewhere = (await log_in(neighbour, "v@yopmail.com", WRONG)).status_code

    assert statuses[:50] == [401] * 50
    assert set(statuses[50:]) == {429}
    assert elsewhere == 401  # the next /64 is someone else


async def test_wrong_current_passwords_are_limited_per_session(
    client: AsyncClient, mailbox: Mailbox, owner: AsyncClient
) -> None:
    await active_account(client, mailbox, "a@yopmail.com")
    stolen = bearer((await log_in(client, "a@yopmail.com", PASSWORD)).json()["access_token"])
    change = {"password": "NouveauSecret2027", "password_confirmation": "NouveauSecret2027"}

    guesses = [
        (
            await client.put(
                "/api/v1/me/password",
                json={"current_password": f"Essai{n}2026", **change},
                headers=stolen,
            )
        ).status_code
        for n in range(6)
    ]
    own = bearer((await log_in(owner, "a@yopmail.com", PASSWORD)).json()["access_token"])
    changed = await owner.put(
        "/api/v1/me/password", json={"current_password": PASSWORD, **change}, headers=own
    )

    assert guesses == [400] * 5 + [429]
    assert changed.status_code == 200  # the owner's own session is not held by the thief's

"""Journey B: "Se connecter à Mon compte", sessions, cookies, CSRF, log out, throttling."""

from datetime import timedelta

from httpx import AsyncClient
from sqlalchemy import func, select, update

from cma.accounts.models import LoginSession
from tests.support import PASSWORD, Mailbox, active_account, bearer, log_in, sign_up, told


async def test_log_in_returns_a_bearer_token_and_sets_safe_cookies(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "a@yopmail.com")

    response = await client.post(
        "/api/v1/sessions", json={"email": "A@YOPMAIL.COM", "password": PASSWORD}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["account"]["email"] == "a@yopmail.com"
    cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("cma_session="))
    csrf_cookie = next(c for c in cookies if c.startswith("cma_csrf="))
    assert "HttpOnly" in session_cookie
    assert "Secure" in session_cookie
    assert "Secure" in csrf_cookie
    assert "samesite=lax" in session_cookie.lower()
    assert "HttpOnly" not in csrf_cookie
    assert body["access_token"] in session_cookie
    assert response.headers["cache-control"] == "no-store"


async def test_wrong_email_and_wrong_password_get_one_generic_error(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "a@yopmail.com")

    wrong_password = await client.post(
        "/api/v1/sessions", json={"email": "a@yopmail.com", "password": "Mauvais2026"}
    )
    unknown_email = await client.post(
        "/api/v1/sessions", json={"email": "inconnu@yopmail.com", "password": "Mauvais2026"}
    )

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert told(wrong_password) == told(unknown_email)
    assert wrong_password.json()["detail"] == "L'adresse mail ou le mot de passe est incorrect."


async def test_logging_in_before_activation_is_answered_like_a_wrong_password(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await sign_up(client, mailbox.sessionmaker, "pending@yopmail.com")

    response = await client.post(
        "/api/v1/sessions", json={"email": "pending@yopmail.com", "password": PASSWORD}
    )
    wrong = await client.post(
        "/api/v1/sessions", json={"email": "inconnue@yopmail.com", "password": PASSWORD}
    )

    # Told apart, "not activated yet" would tell anyone who signs an address up whether it
    # already has an account. Every refusal offers the way to activate instead.
    assert response.status_code == wrong.status_code == 401
    assert told(response) == told(wrong)
    assert response.json()["activation_hint"].startswith("Vous venez de créer votre compte ?")
    assert response.json()["resend"] == "/api/v1/accounts/activation/resend"


async def test_signing_up_an_address_tells_nothing_when_logging_in_with_it(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "prise@yopmail.com")
    for email in ("prise@yopmail.com", "libre@yopmail.com"):
        assert (await sign_up(client, mailbox.sessionmaker, email, "Sonde8Curieuse")).is_success
    await mailbox.deliver()  # the worker has decided what each sign-up gets

    answers = [
        await client.post("/api/v1/sessions", json={"email": email, "password": "Sonde8Curieuse"})
        for email in ("prise@yopmail.com", "libre@yopmail.com")
    ]

    assert answers[0].status_code == answers[1].status_code == 401
    assert told(answers[0]) == told(answers[1])


async def test_the_session_works_by_bearer_and_by_cookie(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "a@yopmail.com")
    token = await log_in(client, "a@yopmail.com")

    by_bearer = await client.get("/api/v1/me", headers=bearer(token))
    by_cookie = await client.get("/api/v1/me")  # the client kept the cookie
    client.cookies.clear()
    anonymous = await client.get("/api/v1/me")

    assert by_bearer.status_code == by_cookie.status_code == 200
    assert anonymous.status_code == 401
    assert anonymous.json()["type"] == "urn:cma:problem:not-authenticated"


async def test_an_unsafe_request_with_the_cookie_needs_the_csrf_header(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "a@yopmail.com")
    await log_in(client, "a@yopmail.com")
    profile = {"first_name": "Camille"}

    refused = await client.put("/api/v1/me/profile", json=profile)
    forged = await client.put(
        "/api/v1/me/profile", json=profile, headers={"X-CSRF-Token": "0" * 64}
    )
    accepted = await client.put(
        "/api/v1/me/profile",
        json=profile,
        headers={"X-CSRF-Token": client.cookies["cma_csrf"]},
    )

    assert refused.status_code == forged.status_code == 403
    assert refused.json()["type"] == "urn:cma:problem:csrf"
    assert accepted.status_code == 200


async def test_log_out_revokes_the_session_server_side(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "a@yopmail.com")
    token = await log_in(client, "a@yopmail.com")

    out = await client.delete("/api/v1/sessions/current", headers=bearer(token))
    after = await client.get("/api/v1/me", headers=bearer(token))

    assert out.status_code == 204
    assert after.status_code == 401
    assert 'cma_session=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
    async with mailbox.sessionmaker() as session:
        assert await session.scalar(select(LoginSession.revoked_at)) is not None


async def test_a_new_login_replaces_the_session_it_came_with(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "a@yopmail.com")
    first = await log_in(client, "a@yopmail.com")

    second = await log_in(client, "a@yopmail.com")  # the cookie of the first rides along

    assert first != second
    assert (await client.get("/api/v1/me", headers=bearer(first))).status_code == 401
    assert (await client.get("/api/v1/me", headers=bearer(second))).status_code == 200


async def test_a_session_idle_for_half_an_hour_ends(client: AsyncClient, mailbox: Mailbox) -> None:
    await active_account(client, mailbox, "a@yopmail.com")
    token = await log_in(client, "a@yopmail.com")

    async def idle(minutes: int) -> int:
        async with mailbox.sessionmaker() as session, session.begin():
            await session.execute(
                update(LoginSession).values(last_seen_at=func.now() - timedelta(minutes=minutes))
            )
        return (await client.get("/api/v1/me", headers=bearer(token))).status_code

    me = await client.get("/api/v1/me", headers=bearer(token))
    assert me.json()["session_idle_seconds"] == 30 * 60  # for the SPA to warn before
    assert await idle(29) == 200
    assert await idle(31) == 401


async def test_each_answer_that_used_the_session_says_how_long_it_lives_unused(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "a@yopmail.com")
    token = await log_in(client, "a@yopmail.com")
    async with mailbox.sessionmaker() as session, session.begin():
        # Last touched 20 seconds ago: not touched again before a minute has passed.
        await session.execute(
            update(LoginSession).values(last_seen_at=func.now() - timedelta(seconds=20))
        )

    me = await client.get("/api/v1/me", headers=bearer(token))
    courses = await client.get("/api/v1/courses", headers=bearer(token))

    # What the server counts, not a fresh half hour: the page's clock must not outlive it.
    assert 30 * 60 - 25 <= int(me.headers["CMA-Session-Idle-Left"]) <= 30 * 60 - 19
    # A catalogue read uses no session and keeps none alive: it says nothing.
    assert courses.status_code == 200
    assert "CMA-Session-Idle-Left" not in courses.headers
    # A refusal made with the session used it all the same.
    refused = await client.get("/api/v1/me/learner", headers=bearer(token))
    assert refused.status_code == 404
    assert "CMA-Session-Idle-Left" in refused.headers
    # Nearly spent: a refusal rolls its request back, the touch with it; what it says is
    # counted from the last touch that lasted.
    async with mailbox.sessionmaker() as session, session.begin():
        await session.execute(
            update(LoginSession).values(last_seen_at=func.now() - timedelta(seconds=1790))
        )
    nearly = await client.get("/api/v1/me/learner", headers=bearer(token))
    assert nearly.status_code == 404
    assert int(nearly.headers["CMA-Session-Idle-Left"]) <= 10
    async with mailbox.sessionmaker() as session, session.begin():
        await session.execute(update(LoginSession).values(last_seen_at=func.now()))
    # The answer that ends the session has nothing left to say.
    ended = await client.delete("/api/v1/sessions/current", headers=bearer(token))
    assert ended.status_code == 204
    assert "CMA-Session-Idle-Left" not in ended.headers


async def test_swagger_authorize_uses_the_oauth2_password_form(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "a@yopmail.com")

    response = await client.post(
        "/api/v1/token", data={"username": "a@yopmail.com", "password": PASSWORD}
    )
    wrong = await client.post(
        "/api/v1/token", data={"username": "a@yopmail.com", "password": "Mauvais2026"}
    )

    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"
    me = await client.get("/api/v1/me", headers=bearer(response.json()["access_token"]))
    assert me.status_code == 200
    assert wrong.status_code == 401

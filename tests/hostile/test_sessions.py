"""Sessions under attack: absolute expiry, what a stolen cookie can and cannot do, the headers
that keep the pages from being framed or sniffed, HSTS in production."""

from datetime import timedelta

from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, update

from cma.accounts.models import LoginSession
from cma.core.settings import Settings
from cma.spa import CONTENT_SECURITY_POLICY
from tests.support import PASSWORD, Mailbox, active_account, bearer, log_in


async def test_a_session_ends_at_its_absolute_limit_even_when_busy(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "assidue@yopmail.com")
    token = await log_in(client, "assidue@yopmail.com")
    async with mailbox.sessionmaker() as session, session.begin():
        await session.execute(
            update(LoginSession).values(
                # Opened 13 hours ago, used a minute ago: the 12-hour limit has passed.
                created_at=LoginSession.created_at - timedelta(hours=13),
                expires_at=LoginSession.expires_at - timedelta(hours=13),
                last_seen_at=func.now() - timedelta(minutes=1),
            )
        )

    assert (await client.get("/api/v1/me", headers=bearer(token))).status_code == 401


async def test_a_token_that_is_not_one_of_ours_gets_the_same_401(client: AsyncClient) -> None:
    for forged in ("x", "a" * 43, "a" * 129, "Bearer", "' OR 1=1 --"):
        response = await client.get("/api/v1/me", headers=bearer(forged))
        assert response.status_code == 401
        assert response.json()["type"] == "urn:cma:problem:not-authenticated"


async def test_the_session_cookie_cannot_be_read_by_scripts_or_sent_cross_site(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "biscuit@yopmail.com")
    client.cookies.clear()

    response = await client.post(
        "/api/v1/sessions", json={"email": "biscuit@yopmail.com", "password": PASSWORD}
    )

    cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("cma_session="))
    assert "HttpOnly" in session_cookie
    assert "Secure" in session_cookie
    assert "SameSite=lax" in session_cookie
    assert "Path=/" in session_cookie
    # The CSRF token cookie is readable by the page, which must echo it in a header.
    csrf_cookie = next(c for c in cookies if c.startswith("cma_csrf="))
    assert "HttpOnly" not in csrf_cookie
    forged = await client.put("/api/v1/me/profile", json={}, headers={"X-CSRF-Token": "devine"})
    assert forged.status_code == 403


async def test_every_answer_forbids_framing_sniffing_and_inline_script(client: AsyncClient) -> None:
    for path in ("/", "/api/v1/health", "/api/v1/courses", "/nulle-part", "/docs"):
        response = await client.get(path)
        policy = response.headers["content-security-policy"]
        assert policy == CONTENT_SECURITY_POLICY
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in response.headers  # not outside production


async def test_production_answers_carry_hsts(settings: Settings) -> None:
    from cma.main import create_app

    production = settings.model_copy(update={"env": "production"})
    app = create_app(production)

    async with AsyncClient(transport=ASGITransport(app=app), base_url="https://cma.test") as http:
        response = await http.get("/openapi.json")

    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


async def test_personal_answers_are_never_cached(client: AsyncClient, mailbox: Mailbox) -> None:
    await active_account(client, mailbox, "cache@yopmail.com")
    auth = bearer(await log_in(client, "cache@yopmail.com"))

    for path in ("/api/v1/me", "/api/v1/me/profile", "/api/v1/me/export"):
        assert (await client.get(path, headers=auth)).headers["cache-control"] == "no-store"
    assert (await client.get("/api/v1/courses")).headers["cache-control"] == "public, no-cache"


async def test_the_server_does_not_name_itself(served: str) -> None:
    async with AsyncClient(base_url=served) as http:
        response = await http.get("/api/v1/health")

    assert "server" not in response.headers

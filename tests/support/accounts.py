"""Paris accounts through the API: captchas, sign-up, activation, login, staff."""

import uuid
from typing import Any

from httpx import AsyncClient, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.accounts.models import Captcha
from tests.support.mail import Mailbox

PASSWORD = "Tilleul7Oranger"
# What the test settings (CAPTCHA_TEST_ANSWER) make every captcha accept.
CAPTCHA_TEST_ANSWER = "passe"


async def new_captcha(
    client: AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[str, str]:
    """A challenge and its code, read where the server keeps it (as a person reads the image)."""
    response = await client.post("/api/v1/captchas")
    assert response.status_code == 201, response.text
    return await read_captcha(response, sessionmaker)


async def read_captcha(
    response: Response, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[str, str]:
    """The code of the challenge `response` gave."""
    captcha_id = response.json()["id"]
    async with sessionmaker() as session:
        code = await session.scalar(select(Captcha.code).where(Captcha.id == uuid.UUID(captcha_id)))
    assert code is not None
    return captcha_id, code


def signup_body(
    email: str, captcha: tuple[str, str], password: str = PASSWORD, **overrides: Any
) -> dict[str, Any]:
    """The "Je crée mon compte" form, filled in as the seed shows it."""
    return {
        "email": email,
        "password": password,
        "password_confirmation": password,
        "mobile_phone": None,
        "accept_terms": True,
        "accept_information": False,
        "captcha_id": captcha[0],
        "captcha_answer": captcha[1],
        **overrides,
    }


async def sign_up(
    client: AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    email: str,
    password: str = PASSWORD,
    **overrides: Any,
) -> Response:
    captcha = await new_captcha(client, sessionmaker)
    body = signup_body(email, captcha, password, **overrides)
    return await client.post("/api/v1/accounts", json=body)


async def active_account(
    client: AsyncClient,
    mailbox: Mailbox,
    email: str,
    password: str = PASSWORD,
    **overrides: Any,
) -> None:
    """Sign up, read the activation mail, follow its link with the password."""
    response = await sign_up(client, mailbox.sessionmaker, email, password, **overrides)
    assert response.status_code == 202, response.text
    token = await mailbox.token_from_last(email)
    activated = await client.post(
        "/api/v1/accounts/activation", json={"token": token, "password": password}
    )
    assert activated.status_code == 200, activated.text


async def log_in(client: AsyncClient, email: str, password: str = PASSWORD) -> str:
    response = await client.post("/api/v1/sessions", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_staff(client: AsyncClient, mailbox: Mailbox, email: str) -> None:
    """Sign up and activate `email`, then promote it as `cma create-staff` does."""
    from cma.accounts.models import Account
    from cma.accounts.service import grant_staff

    async with mailbox.sessionmaker() as session:
        known = await session.scalar(select(Account.id).where(Account.email == email))
    if known is None:
        await active_account(client, mailbox, email)
    async with mailbox.sessionmaker() as session, session.begin():
        assert (await grant_staff(session, email, actor="tests")).outcome != "invited"


async def staff_headers(
    client: AsyncClient, mailbox: Mailbox, email: str = "agent@paris.fr"
) -> dict[str, str]:
    """A staff account (an activated account that `cma create-staff` promoted), logged in."""
    await make_staff(client, mailbox, email)
    # A login revokes the session its cookie carries: the last learner's, in a shared client.
    client.cookies.clear()
    return bearer(await log_in(client, email))

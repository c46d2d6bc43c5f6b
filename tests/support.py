"""Small helpers that read like the seed's journeys."""

import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from httpx import AsyncClient, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.accounts.models import Captcha
from cma.core import jobs
from cma.core.settings import Settings
from cma.notifications.sender import SmtpSender
from cma.notifications.sms import SinkSmsSender, read_sink
from cma.notifications.smtp_sink import ReceivedMail, SmtpSink
from cma.notifications.worker import MailTransport, SmsTransport, deliver_due

PASSWORD = "Tilleul7Oranger"
_LINK = re.compile(r"https?://\S+")


@dataclass
class Mailbox:
    """The SMTP server on loopback, plus a way to make the outbox deliver now."""

    smtp: SmtpSink
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings

    async def deliver(self) -> int:
        """Do the jobs requests handed over, then send every due mail and SMS now; returns how
        many mails and SMS."""
        assert self.settings.dev_sms_dir is not None
        await run_jobs(self.sessionmaker, self.settings)
        total = 0
        for transport in (
            MailTransport(SmtpSender(self.settings)),
            SmsTransport(SinkSmsSender(self.settings.dev_sms_dir)),
        ):
            while handled := await deliver_due(self.sessionmaker, transport):
                total += handled
        return total

    async def sms_to(self, mobile: str) -> list[str]:
        """The texts of the SMS sent to this E.164 number, oldest first."""
        await self.deliver()
        assert self.settings.dev_sms_dir is not None
        return [s["text"] for s in read_sink(self.settings.dev_sms_dir) if s["to"] == mobile]

    async def mails_to(self, address: str) -> list[ReceivedMail]:
        await self.deliver()
        return [mail for mail in self.smtp.received if address in mail.recipients]

    async def last_to(self, address: str) -> ReceivedMail:
        mails = await self.mails_to(address)
        assert mails, f"no mail to {address}"
        return mails[-1]

    async def token_from_last(self, address: str) -> str:
        return token_in(await self.last_to(address))


async def run_jobs(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    """What the worker does with the jobs requests left, done now."""
    from cma.background import job_handlers
    from cma.core.ratelimit import create_throttle

    throttle = create_throttle(sessionmaker.kw["bind"], settings.rate_limit_storage_url)
    return await jobs.run_due(sessionmaker, job_handlers(throttle, settings))


def link_in(mail: ReceivedMail, to: str = "token=") -> str:
    """The first link of the mail's text containing `to` (by default: a link with a token)."""
    links = [url for url in _LINK.findall(mail.body("plain")) if to in url]
    assert links, f"no link with {to!r} in the mail"
    return links[0]


def token_in(mail: ReceivedMail) -> str:
    """The token of the mail's link, which rides in the link's fragment."""
    return parse_qs(urlsplit(link_in(mail)).fragment)["token"][0]


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


def field_errors(response: Response) -> dict[str, str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return {error["field"]: error["message"] for error in response.json().get("errors") or []}


async def staff_headers(
    client: AsyncClient, mailbox: Mailbox, email: str = "agent@paris.fr"
) -> dict[str, str]:
    """A staff account (an activated account that `cma create-staff` promoted), logged in."""
    await make_staff(client, mailbox, email)
    # A login revokes the session its cookie carries: the last learner's, in a shared client.
    client.cookies.clear()
    return bearer(await log_in(client, email))


def told(response: Response) -> tuple[int, object]:
    """What an answer tells: its status and body, less the request's own id (which every
    problem carries, different each time) — for comparing two answers that must not differ."""
    body = response.json()
    if isinstance(body, dict):
        body = {key: value for key, value in body.items() if key != "request_id"}
    return response.status_code, body


COURSE = {
    "code": "LE9001",
    "title": "Breton — niveau débutant",
    "description": "Découvrir la langue bretonne.",
    "domain": "langues-etrangeres-bis",
    "level": "debutant",
    "venue": None,
    "campaign_id": None,
    "weekday": 3,
    "start_time": "18:30",
    "end_time": "20:30",
    "period": "annual",
    "hours": 60,
    "fee": "120.00",
    "seats": 18,
}


async def new_course(client: AsyncClient) -> dict[str, object]:
    """A new course (COURSE) in an open campaign of the demo catalogue, at one of its venues."""
    some = (await client.get("/api/v1/courses", params={"open": True, "page_size": 1})).json()
    detail = (await client.get(f"/api/v1/courses/{some['items'][0]['code']}")).json()
    return {**COURSE, "venue": detail["venue"]["name"], "campaign_id": detail["campaign"]["id"]}

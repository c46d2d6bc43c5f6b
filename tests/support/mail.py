"""The mails and SMS the app sends, read from the SMTP server on loopback and the SMS sink."""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.core import jobs
from cma.core.settings import Settings
from cma.notifications.sender import SmtpSender
from cma.notifications.sms import SinkSmsSender, read_sink
from cma.notifications.smtp_sink import ReceivedMail, SmtpSink
from cma.notifications.worker import MailTransport, SmsTransport, deliver_due

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

    def clear(self) -> None:
        """Forget what earlier tests were sent: mails and SMS alike (tests reuse addresses
        and phone numbers)."""
        self.smtp.received.clear()
        assert self.settings.dev_sms_dir is not None
        for sent in self.settings.dev_sms_dir.glob("*.json"):
            sent.unlink(missing_ok=True)

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

"""SMTP sending through fastapi-mail's connection.

The message itself is built with the standard library: fastapi-mail's builder cannot address
a mailbox whose name has an accent (grégoire@…), which people here have. Such an address is
sent with SMTPUTF8 (RFC 6531), which today's relays speak.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from email.message import EmailMessage
from email.policy import SMTPUTF8
from email.utils import formataddr, formatdate
from typing import Protocol

from fastapi_mail import ConnectionConfig
from fastapi_mail.connection import Connection

from cma.core.settings import Settings
from cma.notifications.rendering import Rendered

Send = Callable[[str, str, Rendered], Awaitable[None]]


class MailSender(Protocol):
    def session(self) -> AbstractAsyncContextManager[Send]: ...


class SmtpSender:
    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
        self._config = ConnectionConfig(
            MAIL_USERNAME=settings.smtp_user or "",
            MAIL_PASSWORD=password,
            MAIL_FROM=settings.mail_from,
            MAIL_FROM_NAME=settings.mail_from_name,
            MAIL_PORT=settings.smtp_port,
            MAIL_SERVER=settings.smtp_host,
            MAIL_STARTTLS=settings.smtp_tls,
            MAIL_SSL_TLS=False,
            USE_CREDENTIALS=bool(settings.smtp_user),
            VALIDATE_CERTS=settings.smtp_tls,
            TIMEOUT=30,
        )
        self._sender = formataddr((settings.mail_from_name, settings.mail_from), charset="utf-8")

    def build(self, recipient: str, message_id: str, mail: Rendered) -> EmailMessage:
        message = EmailMessage(policy=SMTPUTF8)
        message["Subject"] = mail.subject
        message["From"] = self._sender
        message["To"] = recipient
        message["Date"] = formatdate(usegmt=True)
        # The outbox's Message-ID, so that a mail sent twice (worker killed between sending and
        # recording) can be recognised as one by the receiving side.
        message["Message-ID"] = message_id
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        return message

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Send]:
        """Sends over one connection, opened at the first mail and kept for the next ones (a
        connection and its greeting cost more than a mail); a mail that fails drops it, and
        the next mail opens another."""
        opened: Connection | None = None

        async def send(recipient: str, message_id: str, mail: Rendered) -> None:
            nonlocal opened
            if opened is None:
                opened = await Connection(self._config).__aenter__()
            try:
                await opened.session.send_message(self.build(recipient, message_id, mail))
            except BaseException:
                opened.session.close()  # its state is unknown: never reused
                opened = None
                raise

        try:
            yield send
        finally:
            if opened is not None:
                try:
                    await opened.session.quit()
                except Exception:  # what was sent is sent; a QUIT lost is nothing
                    opened.session.close()

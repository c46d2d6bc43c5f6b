"""SMTP sending through fastapi-mail."""

from typing import Protocol

from fastapi_mail import (
    ConnectionConfig,
    FastMail,
    MessageSchema,
    MessageType,
    MultipartSubtypeEnum,
)
from fastapi_mail.connection import Connection

from cma.core.settings import Settings
from cma.notifications.rendering import Rendered


class MailSender(Protocol):
    async def send(self, recipient: str, message_id: str, mail: Rendered) -> None: ...


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
        self._mail = FastMail(self._config)

    async def send(self, recipient: str, message_id: str, mail: Rendered) -> None:
        message = MessageSchema(
            subject=mail.subject,
            recipients=[recipient],
            body=mail.html,
            alternative_body=mail.text,
            subtype=MessageType.html,
            multipart_subtype=MultipartSubtypeEnum.alternative,
            headers={"Auto-Submitted": "auto-generated"},
        )
        built = await self._mail.get_message(message)
        assert not isinstance(built, list)
        # The outbox's Message-ID, so that a mail sent twice (worker killed between sending and
        # recording) can be recognised as one by the receiving side.
        del built["Message-ID"]
        built["Message-ID"] = message_id
        async with Connection(self._config) as connection:
            await connection.session.send_message(built)

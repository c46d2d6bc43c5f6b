"""SMS: queued in the outbox like mails, sent to an HTTP provider, retried when it fails."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from cma.core.settings import Settings
from cma.notifications import service as notifications
from cma.notifications.models import Channel, OutboxMessage
from cma.notifications.sms import HttpSmsSender
from cma.notifications.worker import SmsTransport, deliver_due
from tests.support import Mailbox

CONTEXT = {"course": {"code": "LE0042", "title": "Anglais", "when": "mardi 18 h 30 – 20 h 30"}}


class Provider(HTTPServer):
    """An SMS gateway on loopback: records what it is sent, answers `status`."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.status = 202
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: Provider

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append((dict(self.headers), body))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def provider() -> Iterator[Provider]:
    server = Provider()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


async def queue_sms(mailbox: Mailbox) -> None:
    async with mailbox.sessionmaker() as session, session.begin():
        await notifications.enqueue(
            session, "course_cancelled", "+33612345678", context=CONTEXT, channel=Channel.SMS
        )


async def test_an_sms_goes_to_the_http_provider_with_its_token(
    mailbox: Mailbox, settings: Settings, provider: Provider
) -> None:
    configured = settings.model_copy(
        update={
            "sms_url": f"http://127.0.0.1:{provider.server_port}/messages",
            "sms_token": SecretStr("jeton-du-fournisseur"),
        }
    )
    await queue_sms(mailbox)

    sent = await deliver_due(mailbox.sessionmaker, SmsTransport(HttpSmsSender(configured)))

    assert sent == 1
    [(headers, body)] = provider.received
    assert headers["Authorization"] == "Bearer jeton-du-fournisseur"
    assert body["to"] == "+33612345678"
    assert body["sender"] == "PARIS CMA"
    assert "LE0042" in body["text"]
    assert "annulé" in body["text"]
    async with mailbox.sessionmaker() as session:
        message = await session.scalar(select(OutboxMessage))
        assert message is not None
        assert message.status == "sent"
        assert body["reference"] == message.message_id


async def test_a_failing_provider_leaves_the_sms_queued_for_a_retry(
    mailbox: Mailbox, settings: Settings, provider: Provider
) -> None:
    provider.status = 503
    configured = settings.model_copy(
        update={"sms_url": f"http://127.0.0.1:{provider.server_port}/messages"}
    )
    await queue_sms(mailbox)

    await deliver_due(mailbox.sessionmaker, SmsTransport(HttpSmsSender(configured)))

    async with mailbox.sessionmaker() as session:
        message = await session.scalar(select(OutboxMessage))
        assert message is not None
        assert message.status == "pending"
        assert message.attempts == 1
        assert "503" in (message.last_error or "")


async def test_an_sms_needs_a_mobile_number(mailbox: Mailbox) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError, match="sms_recipient"):
        async with mailbox.sessionmaker() as session, session.begin():
            await notifications.enqueue(
                session,
                "course_cancelled",
                "eleve@yopmail.com",
                context=CONTEXT,
                channel=Channel.SMS,
            )


@pytest.mark.parametrize(
    "title",
    ["Anglais", "Français langue étrangère — conversation, prononciation et écrit « pratique »"],
)
def test_a_cancellation_sms_is_one_gsm_7_part_whatever_the_course(title: str) -> None:
    from cma.notifications.rendering import GSM_7, SMS_LENGTH, render_sms

    course = {"code": "FLE0042", "title": title, "when": "mercredi 18 h 30 – 20 h 30"}
    text = render_sms("course_cancelled", {"course": course})

    assert len(text) <= SMS_LENGTH
    assert set(text) <= GSM_7, set(text) - GSM_7
    assert "FLE0042" in text
    assert "18 h 30 - 20 h 30" in text
    assert text.endswith("Ville de Paris")

"""A real SMTP server on loopback that keeps what it receives (dev mailbox and tests)."""

import socket
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    raw: bytes
    peer: tuple[str, int] | None = None  # the client's address: one per SMTP connection

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def body(self, subtype: str = "plain") -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        assert part is not None, f"no text/{subtype} part"
        return str(part.get_content())


class _Handler:
    def __init__(self, directory: Path | None) -> None:
        self.received: list[ReceivedMail] = []
        self.directory = directory

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = ReceivedMail(
            sender=envelope.mail_from,
            recipients=list(envelope.rcpt_tos),
            raw=envelope.content,
            peer=tuple(session.peer[:2]),
        )
        self.received.append(mail)
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{time.time_ns()}.eml"
            (self.directory / name).write_bytes(envelope.content)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpSink:
    """Start with `start()`, read `received`, stop with `stop()`."""

    def __init__(self, *, port: int | None = None, directory: Path | None = None) -> None:
        self.port = port or free_port()
        self._handler = _Handler(directory)
        self._controller: Controller | None = None

    @property
    def received(self) -> list[ReceivedMail]:
        return self._handler.received

    def start(self) -> None:
        self._controller = Controller(
            self._handler, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=True
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

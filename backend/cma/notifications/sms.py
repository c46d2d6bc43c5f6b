"""SMS sending: an HTTP provider in production, a directory sink in dev and tests.

The provider is any SMS gateway with a JSON POST endpoint; the request is the small common
denominator of those (recipient in E.164, text, sender name, our reference for deduplication).
"""

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx

from cma.core.settings import Settings

# One SMS is 160 GSM characters; French accents fit, a long text goes as several parts.
MAX_LENGTH = 480


class SmsSender(Protocol):
    async def send(self, recipient: str, reference: str, text: str) -> None: ...


class HttpSmsSender:
    def __init__(self, settings: Settings) -> None:
        assert settings.sms_url
        token = settings.sms_token.get_secret_value() if settings.sms_token else None
        self._url = settings.sms_url
        self._sender = settings.sms_sender
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def send(self, recipient: str, reference: str, text: str) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(
                self._url,
                headers=self._headers,
                json={
                    "to": recipient,
                    "text": text[:MAX_LENGTH],
                    "sender": self._sender,
                    "reference": reference,
                },
            )
            response.raise_for_status()


class SinkSmsSender:
    """Keeps each SMS as a JSON file, where tests and the dev mailbox page read it."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    async def send(self, recipient: str, reference: str, text: str) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        record = {
            "to": recipient,
            "text": text[:MAX_LENGTH],
            "reference": reference,
            "at": datetime.now(UTC).isoformat(),
        }
        # Named by time so a listing sorts them; written aside then renamed, never half read.
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{os.getpid()}"
        partial = self._directory / f"{name}.tmp"
        partial.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        partial.rename(self._directory / f"{name}.json")


def read_sink(directory: Path) -> list[dict[str, str]]:
    """Every SMS of the sink, oldest first."""
    if not directory.exists():
        return []
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.json"))]


def sms_sender(settings: Settings) -> SmsSender | None:
    if settings.sms_url:
        return HttpSmsSender(settings)
    if settings.dev_sms_dir is not None:
        return SinkSmsSender(settings.dev_sms_dir)
    return None

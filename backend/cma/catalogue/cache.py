"""The catalogue's read cache: the same bytes for everybody, computed once per change.

Each process keeps encoded answers keyed by request and Paris date. The database's
`catalogue_version` (bumped by triggers on every catalogue write, whoever makes it) is polled
every second; when it moves, the process drops what it kept. A staff edit is therefore seen
by every process within about a second, and at once by the process that made it.
"""

import asyncio
import contextlib
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.catalogue.models import CatalogueVersion

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    body: bytes
    etag: str
    status: int = 200


class ReadCache:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        refresh_seconds: float = 1.0,
        max_entries: int = 4096,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._refresh_seconds = refresh_seconds
        self._max_entries = max_entries
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[Entry]] = {}
        self._task: asyncio.Task[None] | None = None
        self.version = 0

    async def refresh(self) -> None:
        """Read the catalogue version; forget everything if it moved."""
        async with self._sessionmaker() as session:
            version = await session.scalar(select(CatalogueVersion.version))
        if version is not None and version != self.version:
            self.version = version
            self._entries.clear()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_seconds)
            try:
                await self.refresh()
            except Exception as exc:  # the database may be away for a while; keep serving
                logger.warning("catalogue cache: cannot read the version: %r", exc)
                self._entries.clear()

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def get(self, key: str, compute: Callable[[], Awaitable[Entry]]) -> Entry:
        """The cached answer for `key`, computing it once however many ask at the same time."""
        if not self.version:
            await self.refresh()
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            return entry
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Entry] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        version = self.version
        try:
            entry = await compute()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: the waiters, if any, get it themselves
            raise
        finally:
            self._inflight.pop(key, None)
        future.set_result(entry)
        if version == self.version:  # not computed across a change
            self._entries[key] = entry
            if len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return entry


def etag_for(body: bytes) -> str:
    return f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'

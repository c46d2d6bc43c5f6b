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
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from cma.catalogue.models import CatalogueVersion

logger = logging.getLogger(__name__)
T = TypeVar("T")


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
        max_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._refresh_seconds = refresh_seconds
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[str, Any] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[Any]] = {}
        self._task: asyncio.Task[None] | None = None
        self.version = 0

    async def refresh(self) -> None:
        """Read the catalogue version; forget everything if it moved."""
        async with self._sessionmaker() as session:
            version = await session.scalar(select(CatalogueVersion.version))
        if version is not None and version != self.version:
            self.version = version
            self._forget()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_seconds)
            try:
                await self.refresh()
            except Exception as exc:  # the database may be away for a while; keep serving
                logger.warning("catalogue cache: cannot read the version: %r", exc)
                self._forget()

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _forget(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def peek(self, key: str) -> Entry | None:
        entry = self._entries.get(key)
        return entry if isinstance(entry, Entry) else None

    async def get(self, key: str, compute: Callable[[], Awaitable[T]]) -> T:
        """The cached value for `key` (an answer, or anything derived from the catalogue),
        computed once however many ask at the same time, kept until the catalogue changes."""
        if not self.version:
            await self.refresh()
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            return found
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
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
        if version == self.version and key not in self._entries:  # not across a change
            self._entries[key] = entry
            self._bytes += _size(entry)
            while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
                self._bytes -= _size(self._entries.popitem(last=False)[1])
        return entry


def _size(value: object) -> int:
    if isinstance(value, Entry):
        return len(value.body)
    if isinstance(value, dict):
        return sum(len(v) for v in value.values() if isinstance(v, bytes))
    return 0


def cache_key(scope: Scope, day: str) -> str:
    """Requests are the same when their path and query string are (and the Paris day is)."""
    return f"{day} {scope['path']}?{scope['query_string'].decode('latin-1')}"


READ_HEADERS = [
    (b"content-type", b"application/json"),
    (b"cache-control", b"public, no-cache"),
    (b"vary", b"Accept-Encoding"),
]


class CachedReads:
    """Answer catalogue reads already in the cache before routing, as an edge cache would.

    Only answers computed (hence validated) by the routes are ever in the cache, so a hit is
    exactly what the route would send again; everything else goes on to the application.
    """

    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...], today: Callable[[], str]) -> None:
        self.app = app
        self.prefixes = prefixes
        self.today = today

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and scope["path"].startswith(self.prefixes)
        ):
            cache: ReadCache | None = getattr(scope["app"].state, "catalogue_cache", None)
            entry = cache.peek(cache_key(scope, self.today())) if cache is not None else None
            if entry is not None:
                await self._send(scope, entry, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def _send(scope: Scope, entry: Entry, send: Send) -> None:
        etag = entry.etag.encode()
        headers = [*READ_HEADERS, (b"etag", etag)]
        if_none_match = next((v for k, v in scope["headers"] if k == b"if-none-match"), b"")
        if etag in if_none_match:
            await send({"type": "http.response.start", "status": 304, "headers": headers[1:]})
            await send({"type": "http.response.body", "body": b""})
            return
        headers.append((b"content-length", str(len(entry.body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        body = b"" if scope["method"] == "HEAD" else entry.body
        await send({"type": "http.response.body", "body": body})


def etag_for(body: bytes) -> str:
    return f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'

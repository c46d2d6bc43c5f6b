"""Security primitives: opaque tokens stored as HMACs, and password hashing off the event loop
(in worker processes of their own)."""

import asyncio
import contextlib
import ctypes
import hashlib
import hmac
import os
import secrets
import signal
import sys
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from functools import lru_cache
from multiprocessing import get_context
from typing import TypeVar

from passlib.context import CryptContext

from cma.core.departure import client_gone
from cma.core.metrics import HASHING_REFUSALS
from cma.core.problems import Busy
from cma.core.settings import get_settings

T = TypeVar("T")
_PR_SET_PDEATHSIG = 1  # linux/prctl.h

TOKEN_BYTES = 32  # 256-bit tokens


def new_token() -> str:
    """A fresh 256-bit random token, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str, *, purpose: str) -> bytes:
    """What the database keeps of a token: an HMAC keyed by SECRET_KEY and bound to its purpose.

    A leaked table gives nothing usable, and a token minted for one purpose cannot be replayed
    for another.
    """
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, f"{purpose}:{token}".encode(), hashlib.sha256).digest()


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


# --- passwords -------------------------------------------------------------------------------

# argon2id at OWASP's recommended parameters (m=19 MiB, t=2, p=1). The legacy CMA formats are
# listed after it so that an old hash verifies and is replaced on the next successful login.
PASSWORD_CONTEXT = CryptContext(
    schemes=["argon2", "bcrypt", "md5_crypt", "ldap_salted_sha1", "hex_md5"],
    deprecated="auto",
    argon2__type="ID",
    argon2__memory_cost=19456,
    argon2__rounds=2,
    argon2__parallelism=1,
)


def worker_process(niceness: int) -> None:
    """The initializer of a process doing CPU work for the API (password checks, captcha
    rendering): at `niceness`, and ending with the server process."""
    os.nice(niceness)
    # Ctrl-C in a terminal reaches the whole process group: the server shuts its pool down;
    # a worker that took it too would only print a KeyboardInterrupt traceback on the way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # And it ends with the server process, even one killed without notice.
    if sys.platform == "linux":
        with contextlib.suppress(OSError):  # a libc without that name (musl): no such guard
            ctypes.CDLL("libc.so.6").prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ClientGone(Busy):
    """The client left while its password check waited for a process: the check is not made.
    Answered as a shed request (nobody reads it), so a login attempt it reserved is given
    back."""


async def run_for_client(
    slot: asyncio.Semaphore, pool: Executor, work: Callable[..., T], *args: object
) -> T:
    """Hand `work` to `pool` once `slot` is free, unless the request's client left meanwhile:
    a queue kept in the process, so that nobody's work is done for a client who is gone."""
    async with slot:
        if await client_gone():
            raise ClientGone()
        return await asyncio.get_running_loop().run_in_executor(pool, work, *args)


class Hasher:
    """Password work in a few processes of its own, with a short queue.

    Hashing is CPU bound: more workers than cores only adds latency to every login. A request
    that finds the queue full waits a moment for room (at most `patience` seconds, and no
    more waiting than `capacity`), without a database connection; past that it is
    refused (503, Retry-After). A burst is shed, the rest stays fast, and a client that
    ignores Retry-After cannot turn refusals into a flood that starves everything else: each
    of its connections waits before it hears no.

    The queue is kept here, not in the process pool's own: a check is handed to a process
    only when one is free, and only if its client is still there.
    """

    def __init__(
        self, concurrency: int, queue: int, patience: float = 1.0, niceness: int = 0
    ) -> None:
        self.pool = ProcessPoolExecutor(
            concurrency,
            mp_context=get_context("spawn"),
            initializer=worker_process,
            initargs=(niceness,),
        )
        self.concurrency = concurrency
        self.capacity = concurrency + queue
        self.patience = patience
        self.in_flight = 0  # only touched on the event loop: no lock needed
        self.waiting = 0
        self._room = asyncio.Condition()
        self._processes = asyncio.Semaphore(concurrency)

    def _full(self) -> bool:
        return self.in_flight >= self.capacity

    async def admit(self) -> None:
        """Wait for room in the queue, briefly, before any other work; else refuse (503)."""
        if not self._full():
            return
        if self.waiting >= self.capacity:
            HASHING_REFUSALS.inc()
            raise Busy()
        self.waiting += 1
        try:
            async with self._room:
                await asyncio.wait_for(self._room.wait_for(lambda: not self._full()), self.patience)
        except TimeoutError:
            HASHING_REFUSALS.inc()
            raise Busy() from None
        finally:
            self.waiting -= 1

    async def run(self, work: Callable[..., T], *args: object) -> T:
        if self._full():  # admitted, but others took the room meanwhile: still bounded
            HASHING_REFUSALS.inc()
            raise Busy()
        self.in_flight += 1
        try:
            return await run_for_client(self._processes, self.pool, work, *args)
        finally:
            self.in_flight -= 1
            if self.waiting:
                async with self._room:
                    self._room.notify()

    async def warm(self) -> None:
        """Start the processes now, not on the first login (a spawn takes about a second)."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(loop.run_in_executor(self.pool, _dummy_hash) for _ in range(self.concurrency))
        )

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


@lru_cache
def hasher() -> Hasher:
    settings = get_settings()
    return Hasher(
        settings.password_hash_concurrency,
        settings.password_hash_queue,
        niceness=settings.password_hash_niceness,
    )


def close_hasher() -> None:
    """Stop the hashing processes (at shutdown); a later call to `hasher` starts new ones."""
    if hasher.cache_info().currsize:
        hasher().close()
        hasher.cache_clear()


def _hash(password: str) -> str:
    return PASSWORD_CONTEXT.hash(password)


async def hash_password(password: str) -> str:
    return await hasher().run(_hash, password)


def _verify(password: str, password_hash: str) -> tuple[bool, str | None]:
    try:
        return PASSWORD_CONTEXT.verify_and_update(password, password_hash)
    except ValueError:
        # bcrypt refuses secrets over 72 bytes; an unknown or malformed hash lands here too.
        return False, None


async def verify_password(password: str, password_hash: str) -> tuple[bool, str | None]:
    """(matches, new hash if the stored one should be replaced)."""
    return await hasher().run(_verify, password, password_hash)


@lru_cache
def _dummy_hash() -> str:
    return PASSWORD_CONTEXT.hash(secrets.token_urlsafe(16))


@lru_cache
def _dummy_old_hash() -> str:
    return PASSWORD_CONTEXT.handler("md5_crypt").hash(secrets.token_urlsafe(16))


def _burn(password: str) -> tuple[bool, str | None]:
    _verify(password, _dummy_hash())
    return False, None


async def burn_password_check(password: str) -> None:
    """Spend the same time as a real check, for an address that has no account: one hop to a
    hashing process and one argon2id verification, as a known address costs."""
    await hasher().run(_burn, password)


def _verify_evenly(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    # Whatever is stored (argon2id, an old format, nothing), one argon2id verification and one
    # old-format verification are made: a cheap old hash, or none, takes as long as the rest.
    stored = password_hash or ""
    scheme = PASSWORD_CONTEXT.identify(stored) if stored else None
    new = scheme == "argon2"
    real_new = _verify(password, stored if new else _dummy_hash())
    real_old = _verify(password, stored if scheme and not new else _dummy_old_hash())
    if scheme is None:
        return False, None
    return real_new if new else real_old


async def verify_password_evenly(
    password: str, password_hash: str | None
) -> tuple[bool, str | None]:
    """`verify_password` for stores of mixed formats (the old site's accounts), in a time that
    tells neither the format nor whether there was a hash at all."""
    return await hasher().run(_verify_evenly, password, password_hash)

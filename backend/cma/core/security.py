"""Security primitives: opaque tokens stored as HMACs, and password hashing off the event loop."""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

import anyio
from passlib.context import CryptContext

from cma.core.problems import Busy
from cma.core.settings import get_settings

T = TypeVar("T")

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


class Hasher:
    """Password work off the event loop, a few at a time, with a short queue.

    Hashing is CPU bound: more threads than cores only adds latency to every login. Past the
    queue, a request is refused at once (503, Retry-After) rather than left waiting while it
    holds a database connection: the excess of a burst is shed, the rest stays fast.
    """

    def __init__(self, concurrency: int, queue: int) -> None:
        self.limiter = anyio.CapacityLimiter(concurrency)
        self.capacity = concurrency + queue
        self.in_flight = 0  # only touched on the event loop: no lock needed

    async def run(self, work: Callable[..., T], *args: object) -> T:
        if self.in_flight >= self.capacity:
            raise Busy()
        self.in_flight += 1
        try:
            return await anyio.to_thread.run_sync(work, *args, limiter=self.limiter)
        finally:
            self.in_flight -= 1


@lru_cache
def hasher() -> Hasher:
    settings = get_settings()
    return Hasher(settings.password_hash_concurrency, settings.password_hash_queue)


async def hash_password(password: str) -> str:
    return await hasher().run(PASSWORD_CONTEXT.hash, password)


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


async def burn_password_check(password: str) -> None:
    """Spend the same time as a real check, for an address that has no account."""
    dummy = await hasher().run(_dummy_hash)
    await verify_password(password, dummy)

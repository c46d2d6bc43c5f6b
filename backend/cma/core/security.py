"""Security primitives: opaque tokens stored as HMACs, and password hashing off the event loop."""

import hashlib
import hmac
import secrets
from functools import lru_cache

import anyio
from passlib.context import CryptContext

from cma.core.settings import get_settings

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


@lru_cache
def _hash_limiter() -> anyio.CapacityLimiter:
    # Hashing is CPU bound: more threads than cores only adds latency to every login.
    return anyio.CapacityLimiter(get_settings().password_hash_concurrency)


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(PASSWORD_CONTEXT.hash, password, limiter=_hash_limiter())


def _verify(password: str, password_hash: str) -> tuple[bool, str | None]:
    try:
        return PASSWORD_CONTEXT.verify_and_update(password, password_hash)
    except ValueError:
        # bcrypt refuses secrets over 72 bytes; an unknown or malformed hash lands here too.
        return False, None


async def verify_password(password: str, password_hash: str) -> tuple[bool, str | None]:
    """(matches, new hash if the stored one should be replaced)."""
    return await anyio.to_thread.run_sync(_verify, password, password_hash, limiter=_hash_limiter())


@lru_cache
def _dummy_hash() -> str:
    return PASSWORD_CONTEXT.hash(secrets.token_urlsafe(16))


async def burn_password_check(password: str) -> None:
    """Spend the same time as a real check, for an address that has no account."""
    dummy = await anyio.to_thread.run_sync(_dummy_hash, limiter=_hash_limiter())
    await verify_password(password, dummy)

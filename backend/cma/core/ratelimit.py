"""Rate limits: the `limits` library's fixed-window strategy over a shared store.

Counters live in PostgreSQL by default (table `rate_limit_counters`, written on their own
connection so that a refused request, whose transaction rolls back, still counts), or in Redis
when RATE_LIMIT_STORAGE_URL is set. No counter lives in a process.
"""

import time
from dataclasses import dataclass
from datetime import datetime

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string
from sqlalchemy import Integer, String, bindparam, delete, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from cma.core.database import Base
from cma.core.problems import TooManyRequests
from cma.core.security import token_digest


class RateLimitCounter(Base):
    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime]


_INCR = text(
    """
    INSERT INTO rate_limit_counters AS c (key, hits, expires_at)
    VALUES (:key, :amount, now() + make_interval(secs => :expiry))
    ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN c.expires_at <= now() THEN :amount ELSE c.hits + :amount END,
        expires_at = CASE WHEN c.expires_at <= now()
                          THEN now() + make_interval(secs => :expiry) ELSE c.expires_at END
    RETURNING hits
    """
)
_GET = text("SELECT hits FROM rate_limit_counters WHERE key = :key AND expires_at > now()")
_GET_MANY = text(
    "SELECT key, hits FROM rate_limit_counters WHERE key = ANY(:keys) AND expires_at > now()"
).bindparams(bindparam("keys", type_=ARRAY(String)))
_EXPIRY = text(
    "SELECT extract(epoch FROM expires_at) FROM rate_limit_counters "
    "WHERE key = :key AND expires_at > now()"
)


class PostgresStorage(Storage):
    """A `limits` storage backed by one PostgreSQL table (fixed windows only)."""

    STORAGE_SCHEME = None

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__()
        # Every operation is one statement, atomic by itself: without BEGIN and COMMIT around
        # it, a counter costs one round trip instead of three.
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return DBAPIError

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(_INCR, {"key": key, "amount": amount, "expiry": expiry})
            return int(result.scalar_one())

    async def get(self, key: str) -> int:
        async with self._engine.connect() as conn:
            value = (await conn.execute(_GET, {"key": key})).scalar_one_or_none()
            return int(value or 0)

    async def get_many(self, keys: list[str]) -> dict[str, int]:
        """Several counters in one round trip."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(_GET_MANY, {"keys": keys})
            return {key: int(hits) for key, hits in rows}

    async def get_expiry(self, key: str) -> float:
        async with self._engine.connect() as conn:
            value = (await conn.execute(_EXPIRY, {"key": key})).scalar_one_or_none()
            return float(value) if value is not None else time.time()

    async def check(self) -> bool:
        async with self._engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def reset(self) -> int | None:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(RateLimitCounter))
            return result.rowcount

    async def clear(self, key: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))

    async def purge_expired(self) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(RateLimitCounter).where(RateLimitCounter.expires_at <= func.now())
            )
            return result.rowcount


def subject_key(email: str) -> str:
    """A rate-limit key for an address that does not store the address itself."""
    return token_digest(email, purpose="rate-limit").hex()[:32]


@dataclass(frozen=True)
class Rule:
    """A named limit, e.g. Rule("login-account", "30 per hour")."""

    name: str
    limit: RateLimitItem

    @classmethod
    def of(cls, name: str, notation: str) -> "Rule":
        return cls(name, parse(notation))


class Throttle:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._strategy = FixedWindowRateLimiter(storage)

    async def _retry_after(self, rule: Rule, key: str) -> int:
        stats = await self._strategy.get_window_stats(rule.limit, rule.name, key)
        return int(stats.reset_time - time.time()) + 1

    async def ensure_all_open(self, *checks: tuple[Rule, str]) -> list[int]:
        """Refuse (429) if any of these windows is already spent; counts nothing. One round
        trip when the counters are in PostgreSQL.

        Returns what each window has counted so far, so that a caller clears only a counter
        that exists: a delete of nothing still costs a transaction.
        """
        if isinstance(self.storage, PostgresStorage):
            keys = [rule.limit.key_for(rule.name, key) for rule, key in checks]
            stored = await self.storage.get_many(keys)
            hits = [stored.get(key, 0) for key in keys]
        else:
            hits = [
                rule.limit.amount
                - (await self._strategy.get_window_stats(rule.limit, rule.name, key)).remaining
                for rule, key in checks
            ]
        for (rule, key), counted in zip(checks, hits, strict=True):
            if counted >= rule.limit.amount:
                raise TooManyRequests(await self._retry_after(rule, key))
        return hits

    async def record(self, rule: Rule, key: str) -> bool:
        """Count one event; False once the window is spent."""
        return await self._strategy.hit(rule.limit, rule.name, key)

    async def consume(self, rule: Rule, key: str) -> None:
        """Count one event and refuse (429) past the limit."""
        if not await self.record(rule, key):
            raise TooManyRequests(await self._retry_after(rule, key))

    async def forget(self, rule: Rule, key: str) -> None:
        await self._strategy.clear(rule.limit, rule.name, key)


def create_throttle(engine: AsyncEngine, storage_url: str | None) -> Throttle:
    storage = storage_from_string(storage_url) if storage_url else PostgresStorage(engine)
    assert isinstance(storage, Storage)
    return Throttle(storage)

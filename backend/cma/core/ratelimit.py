"""Rate limits: the `limits` library's fixed-window strategy over a shared store.

Counters live in PostgreSQL by default (table `rate_limit_counters`, written on their own
connection so that a refused request, whose transaction rolls back, still counts), or in Redis
when RATE_LIMIT_STORAGE_URL is set. No counter lives in a process.
"""

import time
from collections.abc import Sequence
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

from cma.core.database import Base, once_a_connection_is_free
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
# Several windows counted in one statement: each row is incremented atomically, so of any
# number of concurrent attempts, no more than a window's limit ever see a count under it.
_INCR_MANY = text(
    """
    INSERT INTO rate_limit_counters AS c (key, hits, expires_at)
    SELECT k, 1, now() + make_interval(secs => e) FROM unnest(:keys, :expiries) AS t(k, e)
    ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN c.expires_at <= now() THEN 1 ELSE c.hits + 1 END,
        expires_at = CASE WHEN c.expires_at <= now() THEN excluded.expires_at
                          ELSE c.expires_at END
    RETURNING key, hits
    """
).bindparams(bindparam("keys", type_=ARRAY(String)), bindparam("expiries", type_=ARRAY(Integer)))
# The rows are locked in key order, as the increment above takes them (its keys are sorted):
# concurrent reservations and releases of the same windows wait for each other, never in a
# cycle.
_DECR_MANY = text(
    """
    WITH locked AS (
        SELECT key FROM rate_limit_counters WHERE key = ANY(:keys) OR key = ANY(:forget)
        ORDER BY key FOR UPDATE
    ),
    forgotten AS (
        DELETE FROM rate_limit_counters c USING locked l
        WHERE c.key = l.key AND c.key = ANY(:forget)
    )
    UPDATE rate_limit_counters c SET hits = c.hits - 1 FROM locked l
    WHERE c.key = l.key AND c.key = ANY(:keys) AND c.expires_at > now() AND c.hits > 0
    """
).bindparams(bindparam("keys", type_=ARRAY(String)), bindparam("forget", type_=ARRAY(String)))
_EXPIRY = text(
    "SELECT extract(epoch FROM expires_at) FROM rate_limit_counters "
    "WHERE key = :key AND expires_at > now()"
)
_GET = text("SELECT hits FROM rate_limit_counters WHERE key = :key AND expires_at > now()")


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

    async def incr_many(self, keys: list[str], expiries: list[int]) -> dict[str, int]:
        """Count one hit on each key, in one round trip; the counts after it."""
        ordered = sorted(zip(keys, expiries, strict=True))  # rows locked in key order
        async with self._engine.begin() as conn:
            rows = await conn.execute(
                _INCR_MANY,
                {"keys": [k for k, _ in ordered], "expiries": [e for _, e in ordered]},
            )
            return {key: int(hits) for key, hits in rows}

    async def decr_many(self, keys: list[str], forget: Sequence[str] = ()) -> None:
        """Give back one hit on each of `keys` (never below zero) and drop the counters of
        `forget`, in one round trip."""
        async with self._engine.begin() as conn:
            await conn.execute(_DECR_MANY, {"keys": keys, "forget": list(forget)})

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
    """Fixed windows over a shared store. Every limit reserves before the work it guards:
    an attempt is counted first, then allowed or refused on that count, so concurrent attempts
    cannot all read a window as open and then all do the work."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._strategy = FixedWindowRateLimiter(storage)

    async def retry_after(self, rule: Rule, key: str) -> int:
        """Seconds until the window of `rule` for `key` starts afresh."""
        stats = await self._strategy.get_window_stats(rule.limit, rule.name, key)
        return int(stats.reset_time - time.time()) + 1

    async def reserve(self, *checks: tuple[Rule, str]) -> list[int]:
        """Count one attempt in each window and return each window's count, this attempt
        included. One round trip when the counters are in PostgreSQL; elsewhere each window
        is its own atomic increment."""
        keys = [rule.limit.key_for(rule.name, key) for rule, key in checks]
        if isinstance(self.storage, PostgresStorage):
            counted = await self.storage.incr_many(
                keys, [rule.limit.get_expiry() for rule, _ in checks]
            )
            return [counted[key] for key in keys]
        return [
            await self.storage.incr(key, rule.limit.get_expiry())
            for key, (rule, _) in zip(keys, checks, strict=True)
        ]

    async def release(
        self, *checks: tuple[Rule, str], forget: tuple[tuple[Rule, str], ...] = ()
    ) -> None:
        """Give back the attempt `reserve` counted, which turned out not to be one to count (a
        right password), and drop the windows of `forget` altogether. One round trip when
        the counters are in PostgreSQL."""
        keys = [rule.limit.key_for(rule.name, key) for rule, key in checks]
        dropped = [rule.limit.key_for(rule.name, key) for rule, key in forget]
        if isinstance(self.storage, PostgresStorage):
            # A give-back is owed: one lost for want of a connection in a rush would count an
            # attempt nobody made, and three of them ask the login's owner for a captcha.
            storage = self.storage
            await once_a_connection_is_free(
                lambda: storage.decr_many(keys, dropped), GIVE_BACK_WAITS
            )
            return
        for key, (rule, _) in zip(keys, checks, strict=True):
            if await self.storage.get(key) > 0:
                await self.storage.incr(key, rule.limit.get_expiry(), amount=-1)
        for rule, key in forget:
            await self.forget(rule, key)

    async def consume(self, rule: Rule, key: str) -> None:
        """Count one event and refuse (429) past the limit."""
        (counted,) = await self.reserve((rule, key))
        if counted > rule.limit.amount:
            raise TooManyRequests(await self.retry_after(rule, key))

    async def allows(self, rule: Rule, key: str) -> bool:
        """Count one event; False once the window is spent (for work that is skipped rather
        than refused, such as a mail not sent again)."""
        (counted,) = await self.reserve((rule, key))
        return counted <= rule.limit.amount

    async def forget(self, rule: Rule, key: str) -> None:
        await self._strategy.clear(rule.limit, rule.name, key)


# Seconds between the tries of a give-back that found no connection free (then a last try):
# short, as each try may wait a pool timeout, and a request waits for its give-back.
GIVE_BACK_WAITS = (0.2, 0.5)


def create_throttle(engine: AsyncEngine, storage_url: str | None) -> Throttle:
    storage = storage_from_string(storage_url) if storage_url else PostgresStorage(engine)
    assert isinstance(storage, Storage)
    return Throttle(storage)

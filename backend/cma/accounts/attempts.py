"""Password guessing, slowed without locking the owner out.

Every attempt is counted before its password is checked, in one statement, so that concurrent
guesses cannot all find the windows open; one that ends without a password check (refused, or
shed by a busy server) is given back, so the counts are of passwords actually tried.

Past a few failures for one login (an email, whether it has an account or not), an attempt
must carry a solved verification code: each guess then costs an attacker a person's attention,
while the owner's right password, with the code, still opens the account at once. Only a
network address that guesses too much is refused outright (429), and only that address.
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.accounts import captcha
from cma.accounts.exceptions import CaptchaInvalid, CaptchaRequired
from cma.core.client import Client
from cma.core.problems import TooManyRequests
from cma.core.ratelimit import Rule, Throttle


@dataclass(frozen=True)
class GuessRules:
    """The windows of one kind of login (the Paris account's, the old site's)."""

    per_address: Rule  # refused past it: this address guesses too much, whatever it guesses
    per_login: Rule  # the verification code asked past it: this login is being guessed
    per_login_and_address: Rule  # the code asked past it, sooner: from one address

    @classmethod
    def of(
        cls, name: str, *, per_address: str, per_login: str, per_login_and_address: str
    ) -> "GuessRules":
        return cls(
            per_address=Rule.of(f"{name}-address", per_address),
            per_login=Rule.of(f"{name}-login", per_login),
            per_login_and_address=Rule.of(f"{name}-login-address", per_login_and_address),
        )


@dataclass(frozen=True)
class CaptchaAnswer:
    captcha_id: uuid.UUID
    answer: str


@dataclass(frozen=True)
class Attempt:
    """A counted attempt; a right password gives it back."""

    throttle: Throttle
    checks: tuple[tuple[Rule, str], ...]

    @asynccontextmanager
    async def unless_shed(self) -> AsyncIterator[None]:
        """Around everything between the count and the verdict: an attempt that ends before
        any verdict (the hasher shed it, no connection was free in time, the database went
        away, the client left) checked no password and is given back, so that a rush's
        refusals never count against the login's owner. What is raised inside is never a
        verdict."""
        try:
            yield
        except BaseException:
            # A request cancelled meanwhile (its client left) checked nothing either: the
            # giving back must outlive the cancellation.
            with anyio.CancelScope(shield=True):
                await self.throttle.release(*self.checks)
            raise

    async def succeeded(self) -> None:
        # Only failures are worth counting: a right password takes its attempt back, and the
        # failures of this login from this address are forgiven.
        pair, *others = self.checks
        await self.throttle.release(*others, forget=(pair,))


async def begin(
    throttle: Throttle,
    sessionmaker: async_sessionmaker[AsyncSession],
    rules: GuessRules,
    login: str,
    client: Client,
    proof: CaptchaAnswer | None,
) -> Attempt:
    """Count an attempt on `login` (a key that does not reveal it) before any password work.

    Raises TooManyRequests when the address is spent, CaptchaRequired when the login has seen
    too many failures and no code came with the attempt, CaptchaInvalid for a wrong code.
    """
    checks = (
        (rules.per_login_and_address, f"{login}:{client.key}"),
        (rules.per_login, login),
        (rules.per_address, client.key),
    )
    pair, per_login, per_address = await throttle.reserve(*checks)
    # A refused attempt checked no password: it is given back, so that the counts are of
    # passwords actually tried, whatever floods the door.
    if per_address > rules.per_address.limit.amount:
        await throttle.release(*checks)
        raise TooManyRequests(await throttle.retry_after(rules.per_address, client.key))
    if pair > rules.per_login_and_address.limit.amount or per_login > rules.per_login.limit.amount:
        if proof is None:
            await throttle.release(*checks)
            raise CaptchaRequired()
        try:
            await captcha.consume(sessionmaker, proof.captcha_id, proof.answer)
        except CaptchaInvalid:
            await throttle.release(*checks)
            raise
    return Attempt(throttle, checks)

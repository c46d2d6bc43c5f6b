"""Logins queued for the password processes starve nothing else, and a login whose learner
left is not worked on, on the app as `cma serve` runs it.

The password work is slowed on purpose without touching the app: the accounts' stored hashes
are bcrypt at a high cost (an old format, verified as any other), so each check takes a good
fraction of a second on the one password process this server has. Its pool is small and
waits one second at most: a login that held a connection while it waited would leave the
others none, and they would be refused.
"""

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.accounts.models import Account
from cma.core.security import PASSWORD_CONTEXT
from tests.support import PASSWORD, Mailbox, active_account, bearer, log_in, serving

SLOW = PASSWORD_CONTEXT.handler("bcrypt").using(rounds=13).hash("Un-autre-mot-de-passe-1")
LOGINS = 12


@pytest.fixture(scope="module")
def starved() -> Iterator[str]:
    """One password process, a short queue, a pool of 2 (+2) that waits 1 s at most."""
    with serving(
        PASSWORD_HASH_CONCURRENCY="1",
        PASSWORD_HASH_QUEUE="16",
        DATABASE_POOL_SIZE="2",
        DATABASE_POOL_TIMEOUT="1",
    ) as url:
        yield url


async def slow_accounts(
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    sessionmaker: async_sessionmaker[AsyncSession],
    emails: list[str],
) -> None:
    for email in emails:
        await active_account(client, mailbox, email)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(Account).where(Account.email.in_(emails)).values(password_hash=SLOW)
        )


def from_address(n: int) -> dict[str, str]:
    # `cma serve` trusts the loopback's forwarded address: each learner has their own.
    return {"X-Forwarded-For": f"198.51.100.{n + 1}"}


@pytest.mark.hostile
async def test_queued_logins_leave_the_catalogue_and_the_accounts_answering(
    starved: str,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalogue: int,
    server_log: object,
) -> None:
    emails = [f"lente{n}@yopmail.com" for n in range(LOGINS)]
    await slow_accounts(client, mailbox, sessionmaker, emails)
    await active_account(client, mailbox, "lectrice@yopmail.com")
    token = await log_in(client, "lectrice@yopmail.com")
    code = (await client.get("/api/v1/courses")).json()["items"][0]["code"]

    async with httpx.AsyncClient(base_url=starved, timeout=60) as http:
        pending = [
            asyncio.create_task(
                http.post(
                    "/api/v1/sessions",
                    json={"email": email, "password": PASSWORD},  # not theirs: a full check
                    headers=from_address(n),
                )
            )
            for n, email in enumerate(emails)
        ]
        await asyncio.sleep(0.3)  # the logins are in, queued for the one process
        reads: list[int] = []
        while not all(task.done() for task in pending):
            answers = await asyncio.gather(
                http.get("/api/v1/courses", params={"q": "anglais"}),
                http.get(f"/api/v1/courses/{code}"),
                http.get("/api/v1/me/profile", headers=bearer(token)),
                http.get("/api/v1/me", headers=bearer(token)),
            )
            reads += [answer.status_code for answer in answers]
        logins = [task.result().status_code for task in pending]

    assert len(reads) >= 8, "the logins were done before anything else was asked"
    assert set(reads) == {200}, reads
    # Wrong passwords, each checked in full: the queue has room for them all, and none waits
    # for a connection while it waits for the process (a 503 with Retry-After is allowed to a
    # loaded machine, never a 500).
    assert set(logins) <= {401, 503}, logins
    assert logins.count(401) >= LOGINS - 2, logins


@pytest.mark.hostile
async def test_a_login_whose_learner_left_is_not_checked(
    starved: str,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    sessionmaker: async_sessionmaker[AsyncSession],
    server_log: object,
) -> None:
    busy_emails = ["occupe0@yopmail.com", "occupe1@yopmail.com"]
    await slow_accounts(client, mailbox, sessionmaker, busy_emails)
    await active_account(client, mailbox, "partie@yopmail.com")
    here = from_address(200)

    async with httpx.AsyncClient(base_url=starved, timeout=60) as http:
        # The one password process is busy for about a second with two slow checks...
        busy = [
            asyncio.create_task(
                http.post(
                    "/api/v1/sessions",
                    json={"email": email, "password": PASSWORD},
                    headers=from_address(201 + n),
                )
            )
            for n, email in enumerate(busy_emails)
        ]
        await asyncio.sleep(0.1)
        # ... while three wrong guesses at this login (as many as may be tried without the
        # verification code) wait for it, and their client gives up.
        async with httpx.AsyncClient(base_url=starved, timeout=0.3) as impatient:
            guesses = await asyncio.gather(
                *(
                    impatient.post(
                        "/api/v1/sessions",
                        json={"email": "partie@yopmail.com", "password": "Pas-le-bon-1"},
                        headers=here,
                    )
                    for _ in range(3)
                ),
                return_exceptions=True,
            )
        assert all(isinstance(g, httpx.TimeoutException) for g in guesses), guesses
        assert [(await task).status_code for task in busy] == [401, 401]

        # Three checked failures would have asked for the verification code: none was made.
        again = await http.post(
            "/api/v1/sessions",
            json={"email": "partie@yopmail.com", "password": PASSWORD},
            headers=here,
        )
    assert again.status_code == 201, again.text


@pytest.fixture(scope="module")
def no_queue() -> Iterator[str]:
    """One password process and room for one login to wait, no more."""
    with serving(PASSWORD_HASH_CONCURRENCY="1", PASSWORD_HASH_QUEUE="0") as url:
        yield url


@pytest.mark.hostile
async def test_a_refused_login_costs_nothing_but_its_answer(
    no_queue: str,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalogue: int,
    server_log: object,
) -> None:
    emails = ["pleine0@yopmail.com", "pleine1@yopmail.com"]
    await slow_accounts(client, mailbox, sessionmaker, emails)
    code = (await client.get("/api/v1/courses")).json()["items"][0]["code"]

    async with httpx.AsyncClient(base_url=no_queue, timeout=60) as http:
        # The one process checks a slow password; a second login waits for it.
        slow = []
        for n, email in enumerate(emails):
            slow.append(
                asyncio.create_task(
                    http.post(
                        "/api/v1/sessions",
                        json={"email": email, "password": PASSWORD},
                        headers=from_address(300 + n),
                    )
                )
            )
            await asyncio.sleep(0.1)
        async with httpx.AsyncClient(base_url=no_queue, timeout=60) as other:
            # The next logins are refused at once, before any of them is looked at: not even
            # a body no login could have.
            *refused, too_large = await asyncio.gather(
                other.post("/api/v1/sessions", json={"email": "x"}, headers=from_address(310)),
                other.post("/api/v1/token", data={"username": "x"}, headers=from_address(311)),
                # A body over the limit is refused for its size first, without being read.
                asyncio.wait_for(announced_too_large(no_queue), 10),
            )
            # And their connection serves the next request as usual.
            after = await other.get(f"/api/v1/courses/{code}")
        # Wrong passwords, checked; the second may have waited past its patience on a loaded
        # machine, and been refused.
        first, second = [(await task).status_code for task in slow]
        assert (first, second in {401, 503}) == (401, True)

    for answer, path in zip(refused, ("/api/v1/sessions", "/api/v1/token"), strict=True):
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "1"
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.json() == {
            "request_id": answer.headers["x-request-id"],
            "type": "urn:cma:problem:busy",
            "title": "Service très sollicité",
            "status": 503,
            "detail": "Beaucoup de personnes utilisent le service en ce moment. Veuillez "
            "réessayer dans un instant.",
            "instance": path,
        }
    assert after.status_code == 200
    assert too_large.startswith(b"HTTP/1.1 413"), too_large
    assert b"nosniff" in too_large  # the problem document of the app, not the protocol's


async def announced_too_large(url: str) -> bytes:
    """A login announcing a body over the limit, whose body never comes: the answer's head."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.99\r\n"
        b"Content-Type: application/json\r\nContent-Length: 300000\r\n\r\n"
    )
    try:
        return await reader.readuntil(b"\r\n\r\n")
    finally:
        writer.close()

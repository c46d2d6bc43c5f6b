"""Beyond capacity: password checks are bounded and the excess is shed at once with a 503 and
Retry-After, while everything else keeps answering; the service is whole again after."""

import asyncio

from httpx import AsyncClient

from cma.core import security
from tests.support import PASSWORD, Mailbox, active_account


async def test_a_burst_of_logins_is_shed_and_the_rest_still_answers(
    client: AsyncClient, mailbox: Mailbox, crowd: list[AsyncClient], catalogue: int
) -> None:
    # One account each: twenty logins of one account at once would be guessing, and asked
    # for the verification code.
    for n in range(20):
        await active_account(client, mailbox, f"foule{n}@yopmail.com")
    small = security.Hasher(concurrency=1, queue=1)
    original = security.hasher
    security.hasher = lambda: small  # type: ignore[assignment]
    try:
        logins = [
            http.post(
                "/api/v1/sessions", json={"email": f"foule{n}@yopmail.com", "password": PASSWORD}
            )
            for n, http in enumerate(crowd[:20])
        ]
        reads = [client.get("/api/v1/courses") for _ in range(5)]
        answers = await asyncio.gather(*logins, *reads)
    finally:
        security.hasher = original

    login_answers, read_answers = answers[:20], answers[20:]
    shed = [r for r in login_answers if r.status_code == 503]
    served = [r for r in login_answers if r.status_code == 201]
    assert shed, "nothing was shed"
    assert served, "nobody got in"
    assert len(shed) + len(served) == 20
    assert {r.headers["Retry-After"] for r in shed} == {"1"}
    assert {r.json()["type"] for r in shed} == {"urn:cma:problem:busy"}
    assert {r.status_code for r in read_answers} == {200}
    assert small.in_flight == 0
    # Once the burst has passed, a login goes straight through.
    again = await crowd[30].post(
        "/api/v1/sessions", json={"email": "foule0@yopmail.com", "password": PASSWORD}
    )
    assert again.status_code == 201


async def test_logins_shed_in_a_flood_do_not_count_against_the_owner(
    client: AsyncClient, mailbox: Mailbox, crowd: list[AsyncClient]
) -> None:
    await active_account(client, mailbox, "assiegee@yopmail.com")
    small = security.Hasher(concurrency=1, queue=1, patience=0.01)
    original = security.hasher
    security.hasher = lambda: small  # type: ignore[assignment]
    try:
        flood = await asyncio.gather(
            *(
                http.post(
                    "/api/v1/sessions",
                    json={"email": "assiegee@yopmail.com", "password": f"Essai{n}2026x"},
                )
                for n, http in enumerate(crowd[:30])
            )
        )
    finally:
        security.hasher = original
    checked = [r for r in flood if r.status_code == 401]
    shed = [r for r in flood if r.status_code == 503]

    owner = await crowd[40].post(
        "/api/v1/sessions", json={"email": "assiegee@yopmail.com", "password": PASSWORD}
    )

    assert shed, "nothing was shed"
    assert len(checked) < 10  # under the code's threshold: only these were attempts
    assert owner.status_code == 201, owner.text  # the shed ones did not count

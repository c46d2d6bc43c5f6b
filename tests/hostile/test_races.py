"""Races: many requests at once end in exactly the state one serial order would give."""

import asyncio
from pathlib import Path

from httpx import AsyncClient, Response
from sqlalchemy import func, select

from cma.accounts.models import Account
from cma.enrolment.models import Application, BasketItem
from cma.learners.legacy_import import Report
from cma.learners.models import Learner, LinkAudit
from tests.support import (
    FICHE,
    PASSWORD,
    Mailbox,
    apart,
    applicants,
    closed_campaign,
    credentials,
    learner_headers,
    open_courses,
    read_captcha,
    signup_body,
    token_in,
)


async def test_fifty_sign_ups_of_one_address_at_once_make_one_account(
    client: AsyncClient, mailbox: Mailbox, crowd: list[AsyncClient]
) -> None:
    spellings = ["course@yopmail.com", "COURSE@yopmail.com", "Course@YopMail.com"]

    async def sign_up(n: int) -> Response:
        """As a client does: again after Retry-After while the server sheds the burst."""
        http = crowd[n]
        for _ in range(20):
            challenge = await http.post("/api/v1/captchas")
            if challenge.status_code == 201:
                captcha = await read_captcha(challenge, mailbox.sessionmaker)
                response = await http.post(
                    "/api/v1/accounts", json=signup_body(spellings[n % 3], captcha)
                )
            else:
                response = challenge  # the burst took every connection: asked again too
            if response.status_code != 503:
                return response
            assert response.json()["type"] == "urn:cma:problem:busy"
            await asyncio.sleep(float(response.headers["Retry-After"]) / 10)
        raise AssertionError("never let in")

    async def activate(n: int, token: str) -> Response:
        """The same: a busy server (every connection taken) is asked again."""
        for _ in range(20):
            response = await crowd[n].post(
                "/api/v1/accounts/activation", json={"token": token, "password": PASSWORD}
            )
            if response.status_code != 503:
                return response
            await asyncio.sleep(float(response.headers["Retry-After"]) / 10)
        raise AssertionError("never let in")

    responses = await asyncio.gather(*(sign_up(n) for n in range(len(crowd))))
    # Every link mailed, followed at once.
    tokens = [token_in(mail) for mail in await mailbox.mails_to("course@yopmail.com")]
    activations = await asyncio.gather(*(activate(n, t) for n, t in enumerate(tokens)))

    assert {r.status_code for r in responses} == {202}  # the same answer for all: no enumeration
    assert len({r.text.lower() for r in responses}) == 1
    assert len(tokens) >= 2
    assert sorted(a.status_code for a in activations) == [200] + [409] * (len(tokens) - 1)
    async with mailbox.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Account)) == 1


async def test_twenty_pairings_of_one_old_account_at_once_make_one_link(
    client: AsyncClient, mailbox: Mailbox, imported: Report, export: Path
) -> None:
    email, password = credentials(export)["bcrypt"]
    people = [await learner_headers(client, mailbox, f"rival{n}@yopmail.com") for n in range(20)]
    tickets = []
    for auth in people:
        response = await client.post(
            "/api/v1/learner-links/legacy-login",
            json={"email": email, "password": password},
            headers=auth,
        )
        assert response.status_code == 200, response.text
        tickets.append(response.json()["ticket"])

    results = await asyncio.gather(
        *(
            client.post("/api/v1/learner-links", json={"ticket": t, "learner": FICHE}, headers=a)
            for t, a in zip(tickets, people, strict=True)
        )
    )

    assert sorted(r.status_code for r in results) == [201] + [409] * 19
    async with mailbox.sessionmaker() as session:
        linked = await session.scalar(
            select(func.count()).select_from(Learner).where(Learner.legacy_account_id.is_not(None))
        )
        outcomes = list(await session.scalars(select(LinkAudit.outcome)))
    assert linked == 1
    assert outcomes.count("linked") == 1
    assert outcomes.count("conflict") == 19


async def _pair(
    http: AsyncClient, auth: dict[str, str], email: str, password: str
) -> list[Response]:
    """The old site's login, then the link at once, as one Paris account does."""
    login = await http.post(
        "/api/v1/learner-links/legacy-login",
        json={"email": email, "password": password},
        headers=auth,
    )
    if login.status_code != 200:
        return [login]
    body = {"ticket": login.json()["ticket"], "learner": FICHE}
    return [login, await http.post("/api/v1/learner-links", json=body, headers=auth)]


async def test_racing_to_pair_an_old_account_never_a_500(
    mailbox: Mailbox, imported: Report, export: Path, crowd: list[AsyncClient]
) -> None:
    # Old accounts whose hash is still of the old format: the first right login replaces it,
    # while another Paris account may be linking the same old account.
    lines = (export / "credentials.csv").read_text(encoding="utf-8").splitlines()[1:]
    targets = [line.split(";")[:2] for line in lines if line.endswith(";md5_crypt")][:3]
    for round_, (email, password) in enumerate(targets):
        people = [
            await learner_headers(crowd[n], mailbox, f"course{round_}-{n}@yopmail.com")
            for n in range(8)
        ]

        runs = await asyncio.gather(
            *(_pair(crowd[n], auth, email, password) for n, auth in enumerate(people))
        )
        answers = [answer for run in runs for answer in run]

        assert all(a.status_code < 500 for a in answers), [a.text for a in answers]
        assert {a.status_code for a in answers} <= {200, 201, 401, 409}
        assert [a.status_code for a in answers].count(201) == 1


async def test_submits_and_withdrawals_at_once_leave_one_consistent_set(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    auth = await learner_headers(client, mailbox, "presse@yopmail.com")
    assert (await client.post("/api/v1/me/learner", json=FICHE, headers=auth)).status_code == 201
    courses = apart(await open_courses(mailbox), 3)
    for course in courses:
        await client.post(
            "/api/v1/me/basket/items", json={"course_code": course.code}, headers=auth
        )
    [first, *_] = (await client.post("/api/v1/me/basket/submit", headers=auth)).json()[
        "applications"
    ]

    results = await asyncio.gather(
        *(client.post("/api/v1/me/basket/submit", headers=auth) for _ in range(10)),
        *(client.delete(f"/api/v1/me/applications/{first['id']}", headers=auth) for _ in range(5)),
    )

    assert all(r.status_code < 500 for r in results), [
        r.text for r in results if r.status_code >= 500
    ]
    async with mailbox.sessionmaker() as session:
        rows = list(await session.execute(select(Application.course_code, Application.status)))
        basket = set(await session.scalars(select(BasketItem.course_code)))
    # One row per course, whatever the interleaving; what is submitted is what the basket holds.
    assert len(rows) == len({code for code, _ in rows}) == 3
    submitted = {code for code, status in rows if status == "submitted"}
    assert submitted <= basket | {first["course"]["code"]}
    withdrawn = {code for code, status in rows if status == "withdrawn"}
    assert withdrawn <= {first["course"]["code"]}


async def test_confirm_and_decline_of_the_last_seat_at_once(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    from cma.enrolment import runs

    campaign = await closed_campaign(mailbox.sessionmaker)
    await campaign.course("RZ0001", seats=1)
    people = await applicants(client, mailbox, campaign, "RZ0001", 3)
    async with mailbox.sessionmaker() as session, session.begin():
        await runs.commit(session, campaign.id, None)
    answers = [await p.only(client) for p in people]
    holder = next(p for p, a in zip(people, answers, strict=True) if a["status"] == "offered")
    mine = (await holder.only(client))["id"]

    results = await asyncio.gather(
        *(
            client.post(f"/api/v1/me/applications/{mine}/{verb}", headers=holder.auth)
            for verb in ("confirm", "decline") * 5
        )
    )

    assert all(r.status_code in (200, 409) for r in results), [r.text for r in results]
    async with mailbox.sessionmaker() as session:
        statuses = sorted(await session.scalars(select(Application.status)))
    # Whatever the order: the holder ends up having declined, and exactly one seat is held.
    assert statuses.count("declined") == 1
    assert statuses.count("offered") + statuses.count("confirmed") == 1
    assert statuses.count("waitlisted") == 1

"""Applications: courses open for them, and learners who applied."""

import uuid
from typing import Any

from httpx import AsyncClient
from sqlalchemy import select

from cma.catalogue.models import Campaign, Course
from cma.enrolment import runs
from cma.learners.models import Learner
from tests.support.campaigns import Closed
from tests.support.learners import FICHE, learner_headers
from tests.support.mail import Mailbox


async def open_courses(mailbox: Mailbox, **where: Any) -> list[Course]:
    """Courses open for applications today, asking nothing unless told otherwise."""
    async with mailbox.sessionmaker() as session:
        query = (
            select(Course)
            .join(Campaign)
            .where(
                Campaign.application_start <= Campaign.application_end,
                Course.period != "second_semester",
                Course.needs_motivation.is_(where.get("motivation", False)),
                Course.needs_priority_situation.is_(where.get("priority", False)),
            )
            .order_by(Course.code)
        )
        return list(await session.scalars(query))


def apart(courses: list[Course], n: int) -> list[Course]:
    """n courses of which no two are at the same time."""
    chosen: list[Course] = []
    for course in courses:
        if all(course.weekday != c.weekday for c in chosen):
            chosen.append(course)
        if len(chosen) == n:
            return chosen
    raise AssertionError("not enough courses apart")


class Applicant:
    def __init__(self, email: str, auth: dict[str, str], mobile: str) -> None:
        self.email, self.auth, self.mobile = email, auth, mobile

    async def applications(self, client: AsyncClient) -> list[dict[str, Any]]:
        response = await client.get("/api/v1/me/applications", headers=self.auth)
        assert response.status_code == 200, response.text
        return response.json()

    async def only(self, client: AsyncClient) -> dict[str, Any]:
        [application] = await self.applications(client)
        return application


async def person(client: AsyncClient, mailbox: Mailbox, i: int) -> tuple[Applicant, uuid.UUID]:
    """A learner with a real account (logged in) and a fiche, and their record's id."""
    email = f"eleve{i}@yopmail.com"
    mobile = f"06 98 76 54 3{i}"
    auth = await learner_headers(client, mailbox, email)
    created = await client.post(
        "/api/v1/me/learner", json={**FICHE, "mobile_phone": mobile}, headers=auth
    )
    assert created.status_code == 201, created.text
    async with mailbox.sessionmaker() as session:
        learner_id = await session.scalar(
            select(Learner.id).where(Learner.mobile_phone == f"+3369876543{i}")
        )
    assert learner_id is not None
    return Applicant(email, auth, f"+3369876543{i}"), learner_id


async def applicants(
    client: AsyncClient, mailbox: Mailbox, campaign: Closed, code: str, n: int
) -> list[Applicant]:
    """n learners (real accounts, logged in) who applied to the course."""
    people = []
    for i in range(n):
        applicant, learner_id = await person(client, mailbox, i)
        await campaign.apply(learner_id, code)
        people.append(applicant)
    return people


async def allocate(campaign: Closed) -> None:
    async with campaign.sessionmaker() as session, session.begin():
        await runs.commit(session, campaign.id, None)

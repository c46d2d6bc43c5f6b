"""Journey F, the learner's side: "Mon panier", submitting, withdrawing."""

import asyncio
import re
from datetime import timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from cma.catalogue.models import Campaign, Course
from cma.core.clock import today
from cma.core.wording import french_day
from cma.enrolment.models import Application, BasketItem
from tests.support import (
    FICHE,
    Mailbox,
    apart,
    field_errors,
    learner_headers,
    open_courses,
    staff_headers,
)


@pytest.fixture
async def learner(client: AsyncClient, mailbox: Mailbox, catalogue: int) -> dict[str, str]:
    auth = await learner_headers(client, mailbox)
    assert (await client.post("/api/v1/me/learner", json=FICHE, headers=auth)).status_code == 201
    return auth


async def add(client: AsyncClient, auth: dict[str, str], code: str, **answers: object):  # type: ignore[no-untyped-def]
    return await client.post(
        "/api/v1/me/basket/items", json={"course_code": code, **answers}, headers=auth
    )


async def test_a_basket_holds_up_to_three_ranked_courses(
    client: AsyncClient, mailbox: Mailbox, learner: dict[str, str]
) -> None:
    courses = apart(await open_courses(mailbox), 4)

    added = [await add(client, learner, c.code) for c in courses[:3]]
    fourth = await add(client, learner, courses[3].code)
    again = await add(client, learner, courses[0].code)

    assert [r.status_code for r in added] == [201, 201, 201]
    basket = added[-1].json()
    assert [i["rank"] for i in basket["items"]] == [1, 2, 3]
    assert basket["max_courses"] == 3
    assert fourth.status_code == 409
    assert fourth.json()["type"] == "urn:cma:problem:basket-full"
    assert "maximum" in fourth.json()["detail"]
    assert again.status_code == 409


async def two_open_campaigns(mailbox: Mailbox) -> tuple[Course, str, Campaign]:
    """Two campaigns open at once, as the staff's API allows: a course of the first, one of
    the second, and the second."""
    day = today()
    async with mailbox.sessionmaker() as session, session.begin():
        closed = await session.scalar(
            select(Campaign).where(Campaign.application_start > day).limit(1)
        )
        assert closed is not None
        closed.application_start, closed.application_end = day, day + timedelta(days=5)
        closed.response_start, closed.response_end = day + timedelta(days=6), day + timedelta(60)
        other = await session.scalar(
            select(Course.code)
            .where(
                Course.campaign_id == closed.id,
                Course.needs_motivation.is_(False),
                Course.needs_priority_situation.is_(False),
            )
            .order_by(Course.code)
        )
    first = (await open_courses(mailbox))[0]
    assert first.campaign_id != closed.id
    return first, str(other), closed


async def test_a_basket_holds_the_courses_of_one_campaign(
    client: AsyncClient, mailbox: Mailbox, learner: dict[str, str]
) -> None:
    first, other, closed = await two_open_campaigns(mailbox)
    async with mailbox.sessionmaker() as session, session.begin():
        mine = await session.get_one(Campaign, first.campaign_id)
        # Both named alike: the refusal tells them apart by their dates.
        await session.execute(
            update(Campaign).where(Campaign.id == closed.id).values(name=mine.name)
        )

    added = await add(client, learner, first.code)
    mixed = await add(client, learner, other)

    assert added.status_code == 201
    assert mixed.status_code == 409
    assert mixed.json()["type"] == "urn:cma:problem:other-campaign"
    detail = mixed.json()["detail"]
    assert detail.count(f"« {mine.name} »") == 2
    for campaign in (mine, closed):
        assert f"du {french_day(campaign.application_start)} au" in detail
    assert [
        i["course"]["code"]
        for i in (await client.get("/api/v1/me/basket", headers=learner)).json()["items"]
    ] == [first.code]


async def test_two_tabs_adding_two_campaigns_courses_at_once_fill_one_campaign(
    client: AsyncClient, mailbox: Mailbox, learner: dict[str, str]
) -> None:
    first, other, _ = await two_open_campaigns(mailbox)

    for _ in range(5):
        answers = await asyncio.gather(
            add(client, learner, first.code), add(client, learner, other)
        )

        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
        [refused] = [a for a in answers if a.status_code == 409]
        assert refused.json()["type"] == "urn:cma:problem:other-campaign"
        [kept] = (await client.get("/api/v1/me/basket", headers=learner)).json()["items"]
        emptied = await client.delete(
            f"/api/v1/me/basket/items/{kept['course']['code']}", headers=learner
        )
        assert emptied.status_code == 200, emptied.text


async def test_a_course_in_a_basket_stays_in_its_campaign(
    client: AsyncClient, mailbox: Mailbox, learner: dict[str, str]
) -> None:
    first, _, closed = await two_open_campaigns(mailbox)
    await add(client, learner, first.code)
    staff = await staff_headers(client, mailbox)
    shown = (await client.get(f"/api/v1/courses/{first.code}")).json()
    body = {
        **{key: shown[key] for key in ("code", "title", "description", "level", "weekday")},
        **{key: shown[key] for key in ("start_time", "end_time", "period", "hours", "fee")},
        "domain": shown["domain"]["slug"],
        "venue": shown["venue"]["name"],
        "seats": shown["seats"],
    }

    moved = await client.put(
        f"/api/v1/admin/courses/{first.code}",
        json={**body, "campaign_id": closed.id},
        headers=staff,
    )

    assert moved.status_code == 409, moved.text
    assert moved.json()["type"] == "urn:cma:problem:course-in-use"
    basket = (await client.get("/api/v1/me/basket", headers=learner)).json()
    assert [i["course"]["code"] for i in basket["items"]] == [first.code]


async def test_the_database_keeps_a_lines_campaign_its_courses(
    mailbox: Mailbox, learner: dict[str, str], client: AsyncClient
) -> None:
    course = (await open_courses(mailbox))[0]
    await add(client, learner, course.code)

    async with mailbox.sessionmaker() as session:
        other = await session.scalar(
            select(Campaign.id).where(Campaign.id != course.campaign_id).limit(1)
        )
        with pytest.raises(IntegrityError, match="fk_basket_items_course_campaign"):
            await session.execute(update(BasketItem).values(campaign_id=other))


async def test_no_two_courses_at_the_same_time(
    client: AsyncClient, mailbox: Mailbox, learner: dict[str, str]
) -> None:
    courses = await open_courses(mailbox)
    first = courses[0]
    clash = next(
        c
        for c in courses[1:]
        if c.weekday == first.weekday
        and c.start_time < first.end_time
        and first.start_time < c.end_time
    )
    await add(client, learner, first.code)

    response = await add(client, learner, clash.code)

    assert response.status_code == 409
    assert response.json()["type"] == "urn:cma:problem:time-overlap"
    assert first.code in response.json()["detail"]


async def test_only_courses_open_for_applications(
    client: AsyncClient, mailbox: Mailbox, learner: dict[str, str]
) -> None:
    async with mailbox.sessionmaker() as session:
        closed = await session.scalar(select(Course.code).where(Course.period == "second_semester"))
    assert closed is not None

    response = await add(client, learner, closed)
    unknown = await add(client, learner, "ZZ9999")

    assert response.status_code == unknown.status_code == 409
    assert response.json()["type"] == "urn:cma:problem:course-not-open"


async def test_a_course_asking_questions_needs_the_answers(
    client: AsyncClient, mailbox: Mailbox, learner: dict[str, str]
) -> None:
    course = (await open_courses(mailbox, motivation=True, priority=True))[0]

    missing = await add(client, learner, course.code)
    answered = await add(
        client,
        learner,
        course.code,
        priority_situation="demandeur_emploi",
        motivation="Je prépare une reconversion et ce cours m'est indispensable.",
    )

    assert missing.status_code == 422
    assert set(field_errors(missing)) == {"priority_situation", "motivation"}
    assert answered.status_code == 201


async def test_only_a_learner_with_a_record_has_a_basket(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    auth = await learner_headers(client, mailbox, "sansfiche@yopmail.com")

    response = await client.get("/api/v1/me/basket", headers=auth)

    assert response.status_code == 403
    assert response.json()["type"] == "urn:cma:problem:learner-record-needed"


async def test_reorder_and_remove_keep_ranks_contiguous(
    client: AsyncClient, mailbox: Mailbox, learner: dict[str, str]
) -> None:
    courses = apart(await open_courses(mailbox), 3)
    for c in courses:
        await add(client, learner, c.code)
    basket = (await client.get("/api/v1/me/basket", headers=learner)).json()

    basket["items"].reverse()
    reordered = await client.put(
        "/api/v1/me/basket",
        json={"items": [{"course_code": i["course"]["code"]} for i in basket["items"]]},
        headers=learner,
    )
    removed = await client.delete(f"/api/v1/me/basket/items/{courses[1].code}", headers=learner)

    assert [i["course"]["code"] for i in reordered.json()["items"]] == [
        c.code for c in reversed(courses)
    ]
    assert [(i["rank"], i["course"]["code"]) for i in removed.json()["items"]] == [
        (1, courses[2].code),
        (2, courses[0].code),
    ]


async def test_submit_then_resubmit_replaces_the_applications_and_mails_them(
    client: AsyncClient, mailbox: Mailbox, learner: dict[str, str]
) -> None:
    courses = apart(await open_courses(mailbox), 3)
    for c in courses[:2]:
        await add(client, learner, c.code)

    first = await client.post("/api/v1/me/basket/submit", headers=learner)
    assert first.status_code == 200
    receipt = first.json()
    assert [(a["rank"], a["status"]) for a in receipt["applications"]] == [
        (1, "submitted"),
        (2, "submitted"),
    ]
    # The receipt: a reference to quote, the courses in order, what comes next and when.
    assert re.fullmatch(r"CMA-[A-Z0-9]{4}-[A-Z0-9]{4}", receipt["reference"])
    assert [c["code"] for c in receipt["courses"]] == [c.code for c in courses[:2]]
    assert receipt["response_start"] > receipt["application_end"]
    mail = await mailbox.last_to("a@yopmail.com")
    assert mail.subject == "Vos candidatures aux Cours Municipaux d'Adultes"
    assert courses[0].title in mail.body()
    assert f"Numéro de dépôt : {receipt['reference']}" in mail.body()
    assert "Les réponses vous seront envoyées par mail entre le " in mail.body()
    basket = (await client.get("/api/v1/me/basket", headers=learner)).json()
    assert basket["submitted"] is True
    assert basket["receipt"]["reference"] == receipt["reference"]
    assert basket["replaces_applications"] is False

    # Submitted again as it stands (a second click): the same answer, and no second mail.
    again = await client.post("/api/v1/me/basket/submit", headers=learner)
    assert again.json() == first.json()
    await mailbox.deliver()
    assert [m.subject for m in mailbox.smtp.received].count(mail.subject) == 1

    await client.delete(f"/api/v1/me/basket/items/{courses[0].code}", headers=learner)
    await add(client, learner, courses[2].code)
    changed = (await client.get("/api/v1/me/basket", headers=learner)).json()
    assert changed["submitted"] is False
    # What was filed still stands until it is replaced: its receipt too.
    assert changed["receipt"]["reference"] == receipt["reference"]
    assert changed["replaces_applications"] is True
    second = await client.post("/api/v1/me/basket/submit", headers=learner)
    assert second.json()["reference"] != receipt["reference"]

    await mailbox.deliver()
    assert [m.subject for m in mailbox.smtp.received].count(mail.subject) == 2
    states = {a["course"]["code"]: (a["status"], a["rank"]) for a in second.json()["applications"]}
    assert states[courses[0].code][0] == "withdrawn"
    assert states[courses[1].code] == ("submitted", 1)
    assert states[courses[2].code] == ("submitted", 2)

    # Mon historique: every application and its state, grouped by campaign.
    history = (await client.get("/api/v1/me/history", headers=learner)).json()
    assert history["legacy"] == []
    [campaign] = history["campaigns"]
    assert campaign["campaign_name"] == "Cours annuels et premier semestre"
    assert {a["course"]["code"]: a["status_label"] for a in campaign["applications"]} == {
        courses[0].code: "Retirée",
        courses[1].code: "Déposée",
        courses[2].code: "Déposée",
    }


async def test_an_empty_basket_cannot_be_submitted(
    client: AsyncClient, learner: dict[str, str]
) -> None:
    response = await client.post("/api/v1/me/basket/submit", headers=learner)

    assert response.status_code == 409
    assert response.json()["type"] == "urn:cma:problem:empty-basket"


async def test_withdraw_until_the_period_ends_and_not_after(
    client: AsyncClient, mailbox: Mailbox, learner: dict[str, str]
) -> None:
    courses = apart(await open_courses(mailbox), 2)
    for c in courses:
        await add(client, learner, c.code)
    applications = (await client.post("/api/v1/me/basket/submit", headers=learner)).json()[
        "applications"
    ]

    withdrawn = await client.delete(
        f"/api/v1/me/applications/{applications[0]['id']}", headers=learner
    )
    async with mailbox.sessionmaker() as session, session.begin():
        await session.execute(
            update(Campaign)
            .where(Campaign.id == applications[1]["campaign_id"])
            .values(
                application_start=Campaign.application_start - timedelta(days=30),
                application_end=Campaign.application_start - timedelta(days=20),
            )
        )
    too_late = await client.delete(
        f"/api/v1/me/applications/{applications[1]['id']}", headers=learner
    )

    assert withdrawn.status_code == 204
    assert too_late.status_code == 409
    assert too_late.json()["type"] == "urn:cma:problem:period-closed"
    basket = (await client.get("/api/v1/me/basket", headers=learner)).json()
    assert [i["course"]["code"] for i in basket["items"]] == [courses[1].code]
    async with mailbox.sessionmaker() as session:
        statuses = sorted(await session.scalars(select(Application.status)))
    assert statuses == ["submitted", "withdrawn"]


async def test_nobody_reaches_another_learners_application(
    client: AsyncClient, mailbox: Mailbox, learner: dict[str, str]
) -> None:
    course = (await open_courses(mailbox))[0]
    await add(client, learner, course.code)
    application = (await client.post("/api/v1/me/basket/submit", headers=learner)).json()[
        "applications"
    ][0]
    other = await learner_headers(client, mailbox, "autre@yopmail.com")
    await client.post("/api/v1/me/learner", json=FICHE, headers=other)

    response = await client.delete(f"/api/v1/me/applications/{application['id']}", headers=other)

    assert response.status_code == 404

"""Journey F, the answers: responses by mail, confirm or decline, the waiting list, cancellation."""

from datetime import timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.catalogue.models import Campaign
from cma.core.clock import today
from cma.enrolment import offers
from cma.enrolment.models import Application
from cma.learners.models import Learner
from tests.support import (
    PASSWORD,
    Applicant,
    Closed,
    Mailbox,
    allocate,
    applicants,
    closed_campaign,
    staff_headers,
)


@pytest.fixture
async def campaign(catalogue: int, sessionmaker: async_sessionmaker[AsyncSession]) -> Closed:
    return await closed_campaign(sessionmaker)


async def by_status(client: AsyncClient, people: list[Applicant]) -> dict[str, list[Applicant]]:
    sorted_people: dict[str, list[Applicant]] = {}
    for person in people:
        status = (await person.only(client))["status"]
        sorted_people.setdefault(status, []).append(person)
    return sorted_people


async def test_answers_are_shown_from_the_response_period_with_their_reason(
    client: AsyncClient,
    mailbox: Mailbox,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalogue: int,
) -> None:
    campaign = await closed_campaign(sessionmaker, answering=False)
    await campaign.course("RA0001", seats=2)
    people = await applicants(client, mailbox, campaign, "RA0001", 3)
    await allocate(campaign)

    hidden = await people[0].only(client)
    await campaign.set(response_start=today())
    groups = await by_status(client, people)

    assert hidden["status"] == "submitted"
    assert hidden["reason"] is None
    assert sorted(groups) == ["offered", "waitlisted"]
    offered = await groups["offered"][0].only(client)
    waiting = await groups["waitlisted"][0].only(client)
    assert offered["status_label"] == "Acceptée, à confirmer"
    # Seven days from the first day of the response period: brought forward to today before
    # the answers went out, the deadline moved with it.
    assert offered["offer_deadline"] == str(today() + timedelta(days=7))
    assert offered["can_confirm"]
    assert offered["can_decline"]
    assert not offered["can_withdraw"]
    assert "tirage au sort" in offered["reason_label"]
    assert waiting["waitlist_position"] == 1
    assert waiting["tier_label"] == "Sans priorité particulière"
    assert not waiting["can_confirm"]


async def test_responses_go_once_per_learner_and_only_in_the_response_period(
    client: AsyncClient, mailbox: Mailbox, campaign: Closed
) -> None:
    await campaign.course("RB0001", seats=1)
    people = await applicants(client, mailbox, campaign, "RB0001", 2)
    await allocate(campaign)
    staff = await staff_headers(client, mailbox)
    url = f"/api/v1/admin/campaigns/{campaign.id}/responses"

    await campaign.set(response_start=today() + timedelta(days=1))
    early = await client.post(url, headers=staff)
    await campaign.set(response_start=today())
    first = await client.post(url, headers=staff)
    second = await client.post(url, headers=staff)

    assert first.json() == {"count": 2}
    assert second.json() == {"count": 0}
    assert early.status_code == 409
    assert early.json()["type"] == "urn:cma:problem:outside-response-period"
    for person in people:
        mails = [m for m in await mailbox.mails_to(person.email) if "Réponses" in m.subject]
        assert len(mails) == 1
        assert "RB0001" in mails[0].body()
        assert "https://cma.test/mon-compte/reponses" in mails[0].body()
    texts = [(await mailbox.last_to(p.email)).body() for p in people]
    assert any("Acceptée, à confirmer" in t and "au plus tard le" in t for t in texts)
    assert any("n° 1 sur la liste d'attente" in t for t in texts)


async def test_a_declined_seat_goes_to_the_first_on_the_waiting_list(
    client: AsyncClient, mailbox: Mailbox, campaign: Closed
) -> None:
    await campaign.course("RC0001", seats=2)
    people = await applicants(client, mailbox, campaign, "RC0001", 4)
    await allocate(campaign)
    groups = await by_status(client, people)
    leaving, staying = groups["offered"]
    positions = {p.email: (await p.only(client))["waitlist_position"] for p in groups["waitlisted"]}
    first_waiting = next(p for p in groups["waitlisted"] if positions[p.email] == 1)
    second_waiting = next(p for p in groups["waitlisted"] if positions[p.email] == 2)

    confirmed = await client.post(
        f"/api/v1/me/applications/{(await staying.only(client))['id']}/confirm",
        headers=staying.auth,
    )
    declined = await client.post(
        f"/api/v1/me/applications/{(await leaving.only(client))['id']}/decline",
        headers=leaving.auth,
    )

    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    assert declined.json()["status"] == "declined"
    promoted = await first_waiting.only(client)
    assert promoted["status"] == "offered"
    assert promoted["reason"] == "promoted"
    assert (await second_waiting.only(client))["waitlist_position"] == 1
    offer = await mailbox.last_to(first_waiting.email)
    assert offer.subject == "Une place vous est proposée aux Cours Municipaux d'Adultes"
    assert "RC0001" in offer.body()
    # The others' offers are not theirs to answer.
    stolen = await client.post(
        f"/api/v1/me/applications/{promoted['id']}/confirm", headers=second_waiting.auth
    )
    assert stolen.status_code == 404
    again = await client.post(
        f"/api/v1/me/applications/{(await second_waiting.only(client))['id']}/confirm",
        headers=second_waiting.auth,
    )
    assert again.status_code == 409
    assert again.json()["type"] == "urn:cma:problem:not-an-offer"


async def test_an_expired_offer_passes_the_seat_on(
    client: AsyncClient, mailbox: Mailbox, campaign: Closed
) -> None:
    await campaign.course("RD0001", seats=1)
    people = await applicants(client, mailbox, campaign, "RD0001", 2)
    await allocate(campaign)
    groups = await by_status(client, people)
    [late], [waiting] = groups["offered"], groups["waitlisted"]
    async with mailbox.sessionmaker() as session, session.begin():
        await session.execute(
            update(Application)
            .where(Application.status == "offered")
            .values(offer_deadline=today() - timedelta(days=1))
        )

    too_late = await client.post(
        f"/api/v1/me/applications/{(await late.only(client))['id']}/confirm", headers=late.auth
    )
    async with mailbox.sessionmaker() as session, session.begin():
        expired = await offers.expire(session)

    assert too_late.status_code == 409
    assert too_late.json()["type"] == "urn:cma:problem:offer-expired"
    assert expired == 1
    assert (await late.only(client))["status"] == "expired"
    assert (await waiting.only(client))["status"] == "offered"
    assert "Une place vous est proposée" in (await mailbox.last_to(waiting.email)).subject


async def test_a_seat_freed_before_the_answers_are_out_is_offered_once_they_are(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    campaign = await closed_campaign(mailbox.sessionmaker, answering=False)
    await campaign.course("RG0001", seats=1)
    people = await applicants(client, mailbox, campaign, "RG0001", 2)
    await allocate(campaign)
    async with mailbox.sessionmaker() as session:
        holder_mobile = await session.scalar(
            select(Learner.mobile_phone)
            .join(Application, Application.learner_id == Learner.id)
            .where(Application.status == "offered")
        )
    [holder] = [p for p in people if p.mobile == holder_mobile]
    [waiting] = [p for p in people if p is not holder]

    # The seat's holder erases their account before the answers are shown...
    erased = await client.request(
        "DELETE", "/api/v1/me", json={"password": PASSWORD}, headers=holder.auth
    )
    assert erased.status_code == 204, erased.text
    async with mailbox.sessionmaker() as session, session.begin():
        await offers.expire(session)
    assert (await waiting.only(client))["status"] == "submitted"  # no answer shown yet
    # ... and on the first day of answers, the seat goes to the one who waited.
    async with mailbox.sessionmaker() as session, session.begin():
        await session.execute(
            update(Campaign).where(Campaign.id == campaign.id).values(response_start=today())
        )
    async with mailbox.sessionmaker() as session, session.begin():
        await offers.expire(session)

    promoted = await waiting.only(client)
    assert promoted["status"] == "offered"
    assert promoted["reason"] == "promoted"
    assert "Une place vous est proposée" in (await mailbox.last_to(waiting.email)).subject


async def test_a_cancelled_course_tells_its_learners_by_mail_and_sms(
    client: AsyncClient, mailbox: Mailbox, campaign: Closed
) -> None:
    await campaign.course("RE0001", seats=1)
    people = await applicants(client, mailbox, campaign, "RE0001", 2)
    await allocate(campaign)
    staff = await staff_headers(client, mailbox)

    cancelled = await client.post("/api/v1/admin/courses/RE0001/cancellation", headers=staff)
    twice = await client.post("/api/v1/admin/courses/RE0001/cancellation", headers=staff)

    assert cancelled.json() == {"count": 2}
    assert twice.status_code == 409
    for person in people:
        mail = await mailbox.last_to(person.email)
        assert mail.subject == "Annulation d'un cours des Cours Municipaux d'Adultes"
        [sms] = await mailbox.sms_to(person.mobile)
        assert "RE0001" in sms
        assert "annulé" in sms
        application = await person.only(client)
        assert application["status"] == "cancelled"
        assert application["status_label"] == "Cours annulé"
    detail = (await client.get("/api/v1/courses/RE0001")).json()
    assert detail["cancelled"] is True
    assert detail["open_for_applications"] is False

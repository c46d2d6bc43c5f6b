"""The waiting list after the allocation: a better seat for whoever waits for it, within the
cap, by the learner's répondeur automatique or by an offer, and a reminder before its end."""

import uuid
from datetime import timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.core.clock import today
from cma.enrolment import offers
from cma.enrolment.models import Application
from tests.support import Applicant, Closed, Mailbox, allocate, closed_campaign, person


@pytest.fixture
async def campaign(catalogue: int, sessionmaker: async_sessionmaker[AsyncSession]) -> Closed:
    return await closed_campaign(sessionmaker)


async def _situation(campaign: Closed, application_id: int, situation: str) -> None:
    async with campaign.sessionmaker() as session, session.begin():
        await session.execute(
            update(Application)
            .where(Application.id == application_id)
            .values(priority_situation=situation)
        )


async def _mine(client: AsyncClient, who: Applicant, code: str) -> dict[str, object]:
    [found] = [a for a in await who.applications(client) if a["course"]["code"] == code]
    return found


async def _one_course_each(
    client: AsyncClient, mailbox: Mailbox, campaign: Closed
) -> tuple[Applicant, Applicant, Applicant, uuid.UUID]:
    """Two one-seat courses, one course each. The favoured learner takes the first; the
    climber wanted it too but holds the second, where the third learner waits behind them."""
    await campaign.set(max_accepted=1)
    await campaign.course("WA0001", seats=1, weekday=1, priority=True)
    await campaign.course("WA0002", seats=1, weekday=2, priority=True)
    (favoured, favoured_id), (climber, climber_id), (waiting, waiting_id) = [
        await person(client, mailbox, i) for i in range(3)
    ]
    await campaign.apply(favoured_id, "WA0001", situation="rsa")
    wanted, _ = await campaign.apply(climber_id, "WA0001", "WA0002", situation="rsa")
    await _situation(campaign, wanted, "aucune")  # the favoured one passes first there
    await campaign.apply(waiting_id, "WA0002", situation="aucune")
    await allocate(campaign)
    return favoured, climber, waiting, climber_id


async def test_the_repondeur_automatique_takes_the_better_seat_and_frees_the_other(
    client: AsyncClient, mailbox: Mailbox, campaign: Closed
) -> None:
    favoured, climber, waiting, _ = await _one_course_each(client, mailbox, campaign)
    assert (await _mine(client, climber, "WA0001"))["waitlist_position"] == 1
    assert (await _mine(client, climber, "WA0002"))["status"] == "offered"
    assert (await _mine(client, waiting, "WA0002"))["waitlist_position"] == 1

    turned_on = await client.put(
        f"/api/v1/me/campaigns/{campaign.id}/auto-response",
        json={"enabled": True},
        headers=climber.auth,
    )
    left = await client.post(
        f"/api/v1/me/applications/{(await _mine(client, favoured, 'WA0001'))['id']}/decline",
        headers=favoured.auth,
    )

    assert turned_on.status_code == 200, turned_on.text
    assert turned_on.json() == {"campaign_id": campaign.id, "enabled": True}
    assert left.status_code == 200, left.text
    better = await _mine(client, climber, "WA0001")
    assert better["status"] == "confirmed"
    assert better["auto_response"] is True
    assert better["explanation"] == "Admis depuis la liste d'attente : une place s'est libérée."
    freed = await _mine(client, climber, "WA0002")
    assert freed["status"] == "declined"
    assert freed["reason"] == "swapped"
    assert "vous avez obtenu un cours mieux classé" in str(freed["explanation"])
    # The seat it freed went down its own list, with its mail.
    assert (await _mine(client, waiting, "WA0002"))["status"] == "offered"
    await mailbox.deliver()
    told = await mailbox.last_to(climber.email)
    assert told.subject == (
        "Votre répondeur automatique a accepté une place aux Cours Municipaux d'Adultes"
    )
    assert "WA0001" in told.body()
    assert "WA0002" in told.body()
    offered = await mailbox.last_to(waiting.email)
    assert offered.subject == "Une place vous est proposée aux Cours Municipaux d'Adultes"


async def test_without_it_the_better_seat_is_offered_and_confirming_frees_the_other(
    client: AsyncClient, mailbox: Mailbox, campaign: Closed
) -> None:
    favoured, climber, waiting, _ = await _one_course_each(client, mailbox, campaign)

    await client.post(
        f"/api/v1/me/applications/{(await _mine(client, favoured, 'WA0001'))['id']}/decline",
        headers=favoured.auth,
    )
    await mailbox.deliver()
    offer = await mailbox.last_to(climber.email)
    still = await _mine(client, climber, "WA0002")
    better = await _mine(client, climber, "WA0001")
    confirmed = await client.post(
        f"/api/v1/me/applications/{better['id']}/confirm", headers=climber.auth
    )

    assert better["status"] == "offered"
    assert "votre place au cours" in offer.body()
    assert "WA0002" in offer.body()
    assert still["status"] == "offered"  # until they choose, both are theirs
    assert confirmed.status_code == 200, confirmed.text
    assert (await _mine(client, climber, "WA0002"))["reason"] == "swapped"
    assert (await _mine(client, waiting, "WA0002"))["status"] == "offered"


async def test_an_offer_is_reminded_the_day_before_its_end_once_by_mail_and_sms(
    client: AsyncClient, mailbox: Mailbox, campaign: Closed
) -> None:
    await campaign.course("WB0001", seats=1)
    holder, holder_id = await person(client, mailbox, 0)
    await campaign.apply(holder_id, "WB0001")
    await allocate(campaign)
    async with campaign.sessionmaker() as session, session.begin():
        await session.execute(
            update(Application)
            .where(Application.learner_id == holder_id)
            .values(offer_deadline=today() + timedelta(days=1))
        )

    for _ in range(2):
        async with campaign.sessionmaker() as session, session.begin():
            await offers.expire(session)
    await mailbox.deliver()

    reminders = [m for m in await mailbox.mails_to(holder.email) if m.subject.startswith("Rappel")]
    assert len(reminders) == 1
    assert "demain" in reminders[0].body()
    assert "WB0001" in reminders[0].body()
    texts = await mailbox.sms_to(holder.mobile)
    assert len([t for t in texts if "demain" in t]) == 1


async def test_the_published_allocation_is_for_its_candidates_and_staff_only(
    client: AsyncClient, mailbox: Mailbox, campaign: Closed
) -> None:
    await campaign.course("WC0001", seats=1)
    applicant, learner_id = await person(client, mailbox, 0)
    await campaign.apply(learner_id, "WC0001")
    stranger, _ = await person(client, mailbox, 1)
    await allocate(campaign)
    path = f"/api/v1/campaigns/{campaign.id}/allocation"

    theirs = await client.get(path, headers=applicant.auth)
    refused = await client.get(path, headers=stranger.auth)
    client.cookies.clear()
    anonymous = await client.get(path)

    assert theirs.status_code == 200, theirs.text
    [mine] = await applicant.applications(client)
    assert [mine["pseudonym"], "WC0001", "offered", None] in theirs.json()["outcome"]
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:cma:problem:not-a-candidate"
    assert anonymous.status_code == 401


async def test_confirming_an_offer_frees_only_the_seats_ranked_below_it(
    client: AsyncClient, mailbox: Mailbox, campaign: Closed
) -> None:
    """One course each, three ranked. Holding the third, offered the second then the first:
    confirming the second frees the third, and the first stays an offer to answer."""
    await campaign.set(max_accepted=1)
    for code, weekday in (("WD0001", 1), ("WD0002", 2), ("WD0003", 3)):
        await campaign.course(code, seats=1, weekday=weekday, priority=True)
    (learner, learner_id), (first, first_id), (second, second_id) = [
        await person(client, mailbox, i) for i in range(3)
    ]
    await campaign.apply(learner_id, "WD0001", "WD0002", "WD0003", situation="aucune")
    await campaign.apply(first_id, "WD0001", situation="rsa")
    await campaign.apply(second_id, "WD0002", situation="rsa")
    await allocate(campaign)
    for who, code in ((second, "WD0002"), (first, "WD0001")):
        mine = await _mine(client, who, code)
        left = await client.post(f"/api/v1/me/applications/{mine['id']}/decline", headers=who.auth)
        assert left.status_code == 200, left.text
    offered = {c: (await _mine(client, learner, c))["status"] for c in ("WD0001", "WD0002")}

    middle = await _mine(client, learner, "WD0002")
    confirmed = await client.post(
        f"/api/v1/me/applications/{middle['id']}/confirm", headers=learner.auth
    )

    assert offered == {"WD0001": "offered", "WD0002": "offered"}
    assert confirmed.status_code == 200, confirmed.text
    assert (await _mine(client, learner, "WD0003"))["reason"] == "swapped"
    assert (await _mine(client, learner, "WD0001"))["status"] == "offered"
    assert (await _mine(client, learner, "WD0002"))["status"] == "confirmed"

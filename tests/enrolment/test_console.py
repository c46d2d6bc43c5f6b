"""The staff console's API: a campaign's phase and next step, closing its applications early,
the catalogue with its demand, a cancellation previewed, the answers followed as they leave."""

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.catalogue.models import Campaign, Course
from cma.core.clock import today
from cma.demo.catalogue import school_year_of
from cma.enrolment import responses as answers
from tests.support import (
    Closed,
    Mailbox,
    allocate,
    applicants,
    closed_campaign,
    field_errors,
    staff_headers,
)


async def open_today(sessionmaker: async_sessionmaker[AsyncSession]) -> Closed:
    """A campaign whose applications opened this morning and close in a week."""
    campaign = await closed_campaign(sessionmaker)
    day = today()
    await campaign.set(
        application_start=day,
        application_end=day + timedelta(days=7),
        response_start=day + timedelta(days=8),
    )
    return campaign


async def upcoming_campaign(sessionmaker: async_sessionmaker[AsyncSession]) -> Closed:
    """A campaign whose applications open tomorrow."""
    day = today()
    async with sessionmaker() as session, session.begin():
        campaign = Campaign(
            name="Cours du second semestre",
            school_year=school_year_of(day),
            covers="second_semester",
            application_start=day + timedelta(days=1),
            application_end=day + timedelta(days=2),
            response_start=day + timedelta(days=3),
            response_end=day + timedelta(days=20),
        )
        session.add(campaign)
        await session.flush()
        return Closed(id=campaign.id, sessionmaker=sessionmaker)


async def overview(client: AsyncClient, staff: dict[str, str], campaign: Closed) -> dict[str, Any]:
    response = await client.get(f"/api/v1/admin/campaigns/{campaign.id}", headers=staff)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_campaign_goes_from_open_to_answered_with_its_next_step_each_time(
    client: AsyncClient,
    mailbox: Mailbox,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalogue: int,
) -> None:
    campaign = await open_today(sessionmaker)
    await campaign.course("CO0001", seats=1)
    people = await applicants(client, mailbox, campaign, "CO0001", 2)
    staff = await staff_headers(client, mailbox)

    opened = await overview(client, staff, campaign)
    closed = await client.post(f"/api/v1/admin/campaigns/{campaign.id}/closure", headers=staff)
    again = await client.post(f"/api/v1/admin/campaigns/{campaign.id}/closure", headers=staff)
    after = await overview(client, staff, campaign)
    basket = await client.post(
        "/api/v1/me/basket/items", json={"course_code": "CO0001"}, headers=people[0].auth
    )

    assert (opened["phase"], opened["phase_label"]) == ("open", "Inscriptions ouvertes")
    assert opened["next_step"] == "close"
    assert (opened["applications"], opened["learners"], opened["seats"]) == (2, 2, 1)
    [domain] = [d for d in opened["domains"] if d["demand"]]
    assert (domain["demand"], domain["first_choice"]) == (2, 2)
    assert closed.status_code == 200, closed.text
    assert closed.json()["application_end"] == str(today())
    assert closed.json()["closed_early"] is True
    assert closed.json()["open_for_applications"] is False
    assert again.status_code == 409
    assert again.json()["type"].endswith("applications-not-open")
    assert (after["phase"], after["next_step"]) == ("closed", "allocate")
    ends = next(s for s in after["timeline"] if s["step"] == "applications_end")
    assert ends == {
        "step": "applications_end",
        "label": "Inscriptions closes par anticipation",
        "day": str(today()),
        "done": True,
    }
    assert basket.status_code == 409, basket.text

    # Closed early, the answers may start today: staff bring the response period forward.
    edited = await client.put(
        f"/api/v1/admin/campaigns/{campaign.id}",
        json={**_calendar(after), "response_start": str(today())},
        headers=staff,
    )
    committed = await client.post(
        f"/api/v1/admin/campaigns/{campaign.id}/allocation", json={}, headers=staff
    )
    allocated = await overview(client, staff, campaign)
    sent = await client.post(f"/api/v1/admin/campaigns/{campaign.id}/responses", headers=staff)
    queued = await client.get(f"/api/v1/admin/campaigns/{campaign.id}/responses", headers=staff)
    await mailbox.deliver()
    delivered = await client.get(f"/api/v1/admin/campaigns/{campaign.id}/responses", headers=staff)
    answered = await overview(client, staff, campaign)

    reopened = await client.put(
        f"/api/v1/admin/campaigns/{campaign.id}",
        json={**_calendar(after), "application_end": str(today() + timedelta(days=3))},
        headers=staff,
    )
    assert reopened.status_code == 422
    assert "closes par anticipation" in field_errors(reopened)["application_end"]
    assert edited.status_code == 200, edited.text
    assert committed.status_code == 201, committed.text
    assert (allocated["phase"], allocated["next_step"]) == ("allocated", "answer")
    assert sent.json() == {"count": 2}
    assert queued.json() == {"unanswered": 0, "queued": 2, "sent": 0, "failed": 0}
    assert delivered.json() == {"unanswered": 0, "queued": 0, "sent": 2, "failed": 0}
    assert (answered["phase"], answered["phase_label"]) == ("answered", "Réponses envoyées")
    assert answered["next_step"] == "follow"
    assert [s["step"] for s in answered["timeline"] if s["done"]] == [
        "created",
        "applications_start",
        "applications_end",
        "allocated",
        "responses_start",
        "answered",
    ]


def _calendar(campaign: dict) -> dict[str, Any]:
    keys = (
        "name",
        "school_year",
        "covers",
        "application_start",
        "application_end",
        "response_start",
        "response_end",
        "max_courses",
        "max_accepted",
        "confirm_days",
    )
    return {key: campaign[key] for key in keys}


async def test_answers_start_on_the_last_day_of_applications_only_once_they_were_closed(
    client: AsyncClient,
    mailbox: Mailbox,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalogue: int,
) -> None:
    campaign = await open_today(sessionmaker)
    staff = await staff_headers(client, mailbox)
    calendar = _calendar(await overview(client, staff, campaign))

    same_day = await client.put(
        f"/api/v1/admin/campaigns/{campaign.id}",
        json={**calendar, "response_start": calendar["application_end"]},
        headers=staff,
    )
    before = await client.put(
        f"/api/v1/admin/campaigns/{campaign.id}",
        json={**calendar, "response_start": str(today() - timedelta(days=1))},
        headers=staff,
    )
    upcoming = await upcoming_campaign(sessionmaker)
    not_open = await client.post(f"/api/v1/admin/campaigns/{upcoming.id}/closure", headers=staff)
    missing = await client.post("/api/v1/admin/campaigns/999999/closure", headers=staff)

    assert same_day.status_code == 422
    assert "par anticipation" in field_errors(same_day)["response_start"]
    assert before.status_code == 422
    assert not_open.status_code == 409
    assert missing.status_code == 404
    assert (await overview(client, staff, upcoming))["phase_label"] == "À venir"


async def test_the_staff_catalogue_shows_demand_and_a_cancellation_is_previewed_first(
    client: AsyncClient,
    mailbox: Mailbox,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalogue: int,
) -> None:
    campaign = await closed_campaign(sessionmaker)
    await campaign.course("CO0002", seats=1)
    people = await applicants(client, mailbox, campaign, "CO0002", 2)
    staff = await staff_headers(client, mailbox)
    await allocate(campaign)

    listed = await client.get(
        "/api/v1/admin/courses", params={"campaign_id": campaign.id, "q": "co00"}, headers=staff
    )
    texts_before = [await mailbox.sms_to(p.mobile) for p in people]
    preview = await client.get("/api/v1/admin/courses/CO0002/cancellation", headers=staff)
    await mailbox.deliver()
    untouched = [await p.only(client) for p in people]

    assert listed.status_code == 200, listed.text
    [course] = listed.json()["items"]
    assert (course["demand"], course["held"], course["waitlisted"]) == (2, 1, 1)
    assert course["weekday_label"] == "Lundi"
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert sorted(p["email"] for p in body["learners"]) == sorted(p.email for p in people)
    assert {p["mobile_phone"] for p in body["learners"]} == {p.mobile for p in people}
    assert {p["status_label"] for p in body["learners"]} == {
        "Acceptée, à confirmer",
        "Liste d'attente",
    }
    assert body["message"]["subject"] == "Annulation d'un cours des Cours Municipaux d'Adultes"
    assert "Cours CO0002 (CO0002)" in body["message"]["text"]
    assert "est annulé" in body["message"]["sms"]
    # A preview writes and sends nothing.
    assert {a["status"] for a in untouched} == {"offered", "waitlisted"}
    assert [await mailbox.sms_to(p.mobile) for p in people] == texts_before

    await client.post("/api/v1/admin/courses/CO0002/cancellation", headers=staff)
    gone = await client.get("/api/v1/admin/courses/CO0002/cancellation", headers=staff)
    assert gone.status_code == 409


async def test_the_committed_allocation_exports_as_a_french_spreadsheet_without_formulas(
    client: AsyncClient,
    mailbox: Mailbox,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalogue: int,
) -> None:
    campaign = await closed_campaign(sessionmaker)
    await campaign.course("CO0004", seats=1)
    people = await applicants(client, mailbox, campaign, "CO0004", 2)
    staff = await staff_headers(client, mailbox)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(Course).where(Course.code == "CO0004").values(title='=HYPERLINK("x")')
        )
    url = f"/api/v1/admin/campaigns/{campaign.id}/allocation/outcomes"

    before = await client.get(url, headers=staff)
    preview = await client.post(
        f"/api/v1/admin/campaigns/{campaign.id}/allocation/preview", json={}, headers=staff
    )
    await allocate(campaign)
    exported = await client.get(url, headers=staff)
    decided = await client.post(
        f"/api/v1/admin/campaigns/{campaign.id}/allocation/preview", json={}, headers=staff
    )

    assert before.status_code == 409
    assert decided.status_code == 409
    for missing in ("allocation", "allocation/outcomes", "responses"):
        answer = await client.get(f"/api/v1/admin/campaigns/999999/{missing}", headers=staff)
        assert answer.status_code == 404, missing
    [line] = preview.json()["courses"]
    assert line["title"] == '=HYPERLINK("x")'
    assert {t["tier_label"] for t in line["by_tier"]} == {"Sans priorité particulière"}
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert exported.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(exported.text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0][:4] == ["Nom", "Prénom", "Courriel", "Code du cours"]
    assert sorted(row[2] for row in rows[1:]) == sorted(p.email for p in people)
    assert {row[4] for row in rows[1:]} == {'\'=HYPERLINK("x")'}
    assert sorted(row[6] for row in rows[1:]) == ["Acceptée, à confirmer", "Liste d'attente"]
    assert sorted(row[10] for row in rows[1:]) == ["", "1"]


async def test_a_campaigns_calendar_keeps_what_learners_were_told(
    client: AsyncClient,
    mailbox: Mailbox,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalogue: int,
) -> None:
    opened = await open_today(sessionmaker)
    campaign = await closed_campaign(sessionmaker)
    await campaign.course("CO0005", seats=1)
    people = await applicants(client, mailbox, campaign, "CO0005", 2)
    staff = await staff_headers(client, mailbox)

    async def edit(target: Closed, **change: object) -> tuple[int, dict[str, str]]:
        calendar = _calendar(await overview(client, staff, target))
        response = await client.put(
            f"/api/v1/admin/campaigns/{target.id}", json={**calendar, **change}, headers=staff
        )
        return response.status_code, field_errors(response) if response.status_code == 422 else {}

    postponed = await edit(opened, application_start=str(today() + timedelta(days=1)))
    smaller = await edit(opened, max_courses=2, max_accepted=1)
    larger = await edit(opened, max_courses=5)
    await allocate(campaign)
    earlier = await edit(campaign, application_start=str(today() - timedelta(days=20)))
    forward = await edit(campaign, response_start=str(today()))
    await client.post(f"/api/v1/admin/campaigns/{campaign.id}/responses", headers=staff)
    later = await edit(campaign, response_start=str(today() + timedelta(days=1)))
    shorter = await edit(campaign, response_end=str(today() + timedelta(days=3)))
    longer = await edit(campaign, response_end=str(today() + timedelta(days=25)))
    offered = [a for p in people for a in await p.applications(client) if a["offer_deadline"]]

    assert postponed[0] == 422
    assert "leur premier jour ne peut plus être repoussé" in postponed[1]["application_start"]
    assert smaller[0] == 422
    assert "ne peut que croître" in smaller[1]["max_courses"]
    assert larger[0] == 200
    assert earlier[0] == 422
    assert "L'affectation de cette campagne est enregistrée" in earlier[1]["application_start"]
    assert forward[0] == 200
    assert later[0] == 422
    assert "Les réponses ont été envoyées" in later[1]["response_start"]
    assert shorter[0] == 422
    assert "ne peut être raccourcie" in shorter[1]["response_end"]
    assert longer[0] == 200
    # The offers keep the deadline the answers' mail gave.
    assert [a["offer_deadline"] for a in offered] == [str(today() + timedelta(days=7))]


async def test_a_calendar_edit_made_while_the_answers_leave_waits_then_is_refused(
    client: AsyncClient,
    mailbox: Mailbox,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalogue: int,
) -> None:
    campaign = await closed_campaign(sessionmaker)
    await campaign.course("CO0006", seats=1)
    await applicants(client, mailbox, campaign, "CO0006", 1)
    await allocate(campaign)

    async def edit_calendar(patience: str = "5s") -> None:
        async with sessionmaker() as editing, editing.begin():
            await editing.execute(text(f"SET LOCAL lock_timeout = '{patience}'"))
            await editing.execute(
                update(Campaign).where(Campaign.id == campaign.id).values(confirm_days=20)
            )

    async with sessionmaker() as sending, sending.begin():
        assert await answers.send(sending, campaign.id) == 1
        # Meanwhile, on another connection: the edit waits for the answers' transaction.
        with pytest.raises(DBAPIError, match="lock"):
            await edit_calendar("300ms")
    # Once the answers are out, the same edit meets them and is refused.
    with pytest.raises(IntegrityError, match="mailed"):
        await edit_calendar()

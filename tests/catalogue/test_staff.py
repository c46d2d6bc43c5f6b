"""Staff keep the catalogue: courses, campaigns, pages; readers see the change at once."""

import asyncio
import time
from datetime import date, timedelta

import pytest
from httpx import ASGITransport, AsyncClient

from cma.core.settings import Settings
from tests.support import (
    Mailbox,
    active_account,
    bearer,
    field_errors,
    log_in,
    new_course,
    staff_headers,
)


def _year(campaigns: list[dict], body: dict) -> str:
    return next(c for c in campaigns if c["id"] == body["campaign_id"])["school_year"]


async def test_admin_routes_are_for_staff_only(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    body = await new_course(client)
    anonymous = await client.post("/api/v1/admin/courses", json=body)
    await active_account(client, mailbox, "learner@yopmail.com")
    learner = await client.post(
        "/api/v1/admin/courses",
        json=body,
        headers=bearer(await log_in(client, "learner@yopmail.com")),
    )
    staff = await client.post(
        "/api/v1/admin/courses", json=body, headers=await staff_headers(client, mailbox)
    )

    assert anonymous.status_code == 401
    assert learner.status_code == 403
    assert learner.json()["type"] == "urn:cma:problem:forbidden"
    assert staff.status_code == 201, staff.text
    assert staff.json()["title"] == "Breton — niveau débutant"


async def test_a_staff_edit_is_visible_to_readers_right_after(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    staff = await staff_headers(client, mailbox)
    body = await new_course(client)
    before = await client.get("/api/v1/courses", params={"q": "breton"})
    assert before.json()["total"] == 0  # and now cached

    created = await client.post("/api/v1/admin/courses", json=body, headers=staff)
    found = await client.get("/api/v1/courses", params={"q": "breton"})
    renamed = await client.put(
        "/api/v1/admin/courses/LE9001", json={**body, "title": "Breton — initiation"}, headers=staff
    )
    detail = await client.get("/api/v1/courses/LE9001")
    retired = await client.delete("/api/v1/admin/courses/LE9001", headers=staff)
    gone = await client.get("/api/v1/courses/LE9001")

    assert created.status_code == 201
    assert [c["code"] for c in found.json()["items"]] == ["LE9001"]
    assert renamed.status_code == 200
    assert detail.json()["title"] == "Breton — initiation"
    assert retired.status_code == 204
    assert gone.status_code == 404


async def test_another_server_process_sees_a_staff_edit_within_seconds(
    client: AsyncClient, mailbox: Mailbox, catalogue: int, settings: Settings
) -> None:
    from cma.main import create_app

    other_app = create_app(settings)
    async with other_app.router.lifespan_context(other_app):
        transport = ASGITransport(app=other_app)
        async with AsyncClient(transport=transport, base_url="https://cma.test") as other:
            code = (await other.get("/api/v1/courses", params={"page_size": 1})).json()["items"][0][
                "code"
            ]
            old = (await other.get(f"/api/v1/courses/{code}")).json()  # cached over there
            body = await new_course(client)
            edit = {
                **body,
                "title": "Titre modifié par un agent",
                "venue": old["venue"]["name"],
                "campaign_id": old["campaign"]["id"],
                "domain": old["domain"]["slug"],
            }
            staff = await staff_headers(client, mailbox)
            assert (
                await client.put(f"/api/v1/admin/courses/{code}", json=edit, headers=staff)
            ).status_code == 200

            started = time.monotonic()
            while (await other.get(f"/api/v1/courses/{code}")).json()["title"] != edit["title"]:
                assert time.monotonic() - started < 5, (
                    "the other process still serves the old title"
                )
                await asyncio.sleep(0.1)


async def test_course_and_campaign_rules_are_checked(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    staff = await staff_headers(client, mailbox)
    body = await new_course(client)

    reversed_hours = await client.post(
        "/api/v1/admin/courses",
        json={**body, "start_time": "21:00", "end_time": "19:00"},
        headers=staff,
    )
    unknown = await client.post(
        "/api/v1/admin/courses",
        json={**body, "domain": "astrologie", "venue": "Nulle part"},
        headers=staff,
    )
    await client.post("/api/v1/admin/courses", json=body, headers=staff)
    duplicate = await client.post("/api/v1/admin/courses", json=body, headers=staff)
    campaign = await client.post(
        "/api/v1/admin/campaigns",
        json={
            "name": "Cours d'été",
            "school_year": "2016-2017",
            "covers": "second_semester",
            "application_start": "2017-02-10",
            "application_end": "2017-02-01",
            "response_start": "2017-02-11",
            "response_end": "2017-03-01",
        },
        headers=staff,
    )

    assert reversed_hours.status_code == 422
    assert field_errors(reversed_hours) == {
        "end_time": "L'heure de fin doit être après l'heure de début."
    }
    assert unknown.status_code == 422
    assert {e["field"] for e in unknown.json()["errors"]} == {"domain", "venue"}
    assert duplicate.status_code == 409
    assert campaign.status_code == 422
    assert field_errors(campaign) == {
        "application_end": "La fin des inscriptions ne peut précéder leur début."
    }

    impossible_year = await client.post(
        "/api/v1/admin/campaigns",
        json={
            "name": "Cours d'été",
            "school_year": "2026-2020",
            "covers": "second_semester",
            "application_start": "2027-02-01",
            "application_end": "2027-02-10",
            "response_start": "2027-02-11",
            "response_end": "2027-03-01",
        },
        headers=staff,
    )
    assert impossible_year.status_code == 422
    [error] = impossible_year.json()["errors"]
    assert error["field"] == "school_year"
    assert "deux années qui se suivent" in error["message"]

    slipped = await client.post(
        "/api/v1/admin/campaigns",
        json={
            "name": "Cours d'été",
            "school_year": "2026-2027",
            "covers": "second_semester",
            "application_start": "0001-01-01",
            "application_end": "2027-02-10",
            "response_start": "2027-02-11",
            "response_end": "2207-03-01",
        },
        headers=staff,
    )
    assert slipped.status_code == 422
    assert {e["field"] for e in slipped.json()["errors"]} == {
        "application_start",
        "response_end",
    }
    assert "entre le 1er janvier 2026 et le 31 décembre 2027" in slipped.text

    for year, day in (("0000-0001", "0001-01-01"), ("9998-9999", "9999-12-31")):
        far = await client.post(
            "/api/v1/admin/campaigns",
            json={
                "name": "Cours d'été",
                "school_year": year,
                "covers": "second_semester",
                "application_start": day,
                "application_end": day,
                "response_start": day,
                "response_end": day,
            },
            headers=staff,
        )
        assert far.status_code == 422
        assert "school_year" in {e["field"] for e in far.json()["errors"]}


async def test_pages_are_rendered_from_markdown_safely(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    staff = await staff_headers(client, mailbox)

    saved = await client.put(
        "/api/v1/admin/pages/test-page",
        json={
            "title": "Essai",
            "body": "**gras** <script>alert(1)</script> [lien](javascript:alert(1))",
            "position": 99,
        },
        headers=staff,
    )
    page = (await client.get("/api/v1/pages/test-page")).json()

    assert saved.status_code == 200
    assert "<strong>gras</strong>" in page["body_html"]
    assert "<script>" not in page["body_html"]
    assert 'href="javascript' not in page["body_html"]
    assert (await client.delete("/api/v1/admin/pages/test-page", headers=staff)).status_code == 204
    assert (await client.get("/api/v1/pages/test-page")).status_code == 404


async def test_a_course_with_a_number_for_an_hour_or_a_boolean_for_a_number_is_refused(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    staff = await staff_headers(client, mailbox)
    body = await new_course(client)

    response = await client.post(
        "/api/v1/admin/courses",
        json={**body, "end_time": 0, "seats": True, "hours": False},
        headers=staff,
    )

    assert response.status_code == 422
    errors = field_errors(response)
    assert errors["end_time"] == "Ce champ doit être une heure au format HH:MM."
    assert errors["seats"] == errors["hours"] == "Ce champ attend un nombre, pas true ou false."


@pytest.mark.parametrize("written", ["1_000", "١٠٠", "１２０", "1e2", " 120"])
async def test_a_price_is_read_only_as_plain_digits(
    client: AsyncClient, mailbox: Mailbox, catalogue: int, written: str
) -> None:
    staff = await staff_headers(client, mailbox)
    body = await new_course(client)

    response = await client.post(
        "/api/v1/admin/courses", json={**body, "fee": written, "seats": written}, headers=staff
    )

    assert response.status_code == 422
    errors = field_errors(response)
    assert (
        errors["fee"]
        == errors["seats"]
        == ("Ce champ doit être un nombre écrit en chiffres (exemple : 142.50).")
    )


async def test_a_course_s_days_and_reduced_fee_are_checked_and_shown(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    staff = await staff_headers(client, mailbox)
    body = await new_course(client)
    campaign = (await client.get("/api/v1/campaigns")).json()
    closes = date.fromisoformat(
        next(c for c in campaign if c["id"] == body["campaign_id"])["application_end"]
    )
    # A Wednesday (the course's day) after the applications, and one later in the year.
    first = closes + timedelta(days=1 + (3 - (closes + timedelta(days=1)).isoweekday()) % 7)
    last = first + timedelta(weeks=20)

    def days(**values: object) -> dict[str, object]:
        return {**body, **values}

    answers = {
        "reversed": days(starts_on=str(last), ends_on=str(first)),
        "only the first": days(starts_on=str(first)),
        "only the last": days(ends_on=str(last)),
        "another year": days(starts_on="2030-09-18", ends_on="2031-06-18"),
        "before the applications end": days(starts_on=str(closes), ends_on=str(last)),
        "not the course's day": days(starts_on=str(first + timedelta(days=1)), ends_on=str(last)),
        "a reduced fee above the fee": days(reduced_fee="130.00"),
    }
    refused = {
        case: field_errors(await client.post("/api/v1/admin/courses", json=answer, headers=staff))
        for case, answer in answers.items()
    }
    created = await client.post(
        "/api/v1/admin/courses",
        json=days(starts_on=str(first), ends_on=str(last), reduced_fee="60.00"),
        headers=staff,
    )

    too_early = refused.pop("before the applications end")
    assert too_early["starts_on"].startswith(
        "Le premier jour de cours doit suivre la fin des inscriptions"
    )
    assert refused == {
        "reversed": {"ends_on": "Le dernier jour de cours doit être après le premier."},
        "only the first": {
            "ends_on": "Indiquez aussi le dernier jour de cours (ou aucun des deux)."
        },
        "only the last": {
            "starts_on": "Indiquez aussi le premier jour de cours (ou aucun des deux)."
        },
        "another year": {
            "starts_on": "Le premier jour de cours doit être dans l'année scolaire "
            f"{_year(campaign, body)} de la campagne."
        },
        "not the course's day": {
            "starts_on": "Le premier jour de cours doit être un mercredi, le jour du cours."
        },
        "a reduced fee above the fee": {
            "reduced_fee": "Le tarif réduit ne peut pas dépasser le tarif."
        },
    }
    assert created.status_code == 201, created.text
    shown = (await client.get(f"/api/v1/courses/{body['code']}")).json()
    assert (shown["starts_on"], shown["ends_on"], shown["reduced_fee"]) == (
        str(first),
        str(last),
        "60.00",
    )
    # The demo venues say how to get there and whether there are steps.
    assert shown["venue"]["access"].startswith("Métro ")
    assert shown["venue"]["step_free"] in {True, False, None}

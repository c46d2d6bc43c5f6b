"""Who may see what: every operation of the API, tried by every kind of caller.

The matrix is read from openapi/openapi.json, so a new route joins it by itself: an operation
that documents 401 needs a session, `/admin/…` needs the staff role, the basket, the
applications and the history need a learner record. Each caller gets exactly that, and
nobody ever gets a 5xx."""

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import select

from cma.catalogue.models import Campaign, Course, Page
from tests.support import (
    FICHE,
    Mailbox,
    apart,
    learner_headers,
    open_courses,
    sign_up,
    staff_headers,
)

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = json.loads((ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8"))
# They document 401 for a wrong password, not for a missing session.
OPEN_DOORS = {"/api/v1/sessions", "/api/v1/token"}
LEARNER_ONLY = (
    "/api/v1/me/basket",
    "/api/v1/me/applications",
    "/api/v1/me/history",
    "/api/v1/me/campaigns",
)
# Published for the campaign's candidates and staff: any other account gets 403.
CANDIDATES_ONLY = {
    "/api/v1/campaigns/{campaign_id}/allocation",
    "/api/v1/me/campaigns/{campaign_id}/auto-response",
}
# They end the caller's own session: tried in the account tests, not in this loop.
SESSION_ENDING = {
    ("DELETE", "/api/v1/me"),
    ("DELETE", "/api/v1/sessions/current"),
    ("PUT", "/api/v1/me/password"),
}
OPERATIONS = [
    (method.upper(), path, operation)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
]


def needs_session(path: str, operation: dict[str, Any]) -> bool:
    return "401" in operation["responses"] and path not in OPEN_DOORS


def example_body(operation: dict[str, Any]) -> Any:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if schema is None:
        return None
    name = schema.get("$ref", "").rsplit("/", 1)[-1]
    examples = DOCUMENT["components"]["schemas"].get(name, {}).get("examples") or [{}]
    return examples[0]


async def call(
    client: AsyncClient,
    method: str,
    path: str,
    operation: dict[str, Any],
    values: dict[str, Any],
    **headers: str,
) -> Response:
    url = path
    for name, value in values.items():
        url = url.replace("{" + name + "}", str(value))
    client.cookies.clear()
    return await client.request(method, url, json=example_body(operation), headers=headers)


@pytest.fixture
async def values(mailbox: Mailbox, catalogue: int) -> dict[str, Any]:
    """What fills the paths' parameters: rows that exist, or ids that do not."""
    async with mailbox.sessionmaker() as session:
        return {
            "code": await session.scalar(select(Course.code).order_by(Course.code).limit(1)),
            "slug": await session.scalar(select(Page.slug).limit(1)),
            "campaign_id": await session.scalar(select(Campaign.id).limit(1)),
            "application_id": 2**31,
            "captcha_id": uuid.uuid4(),
        }


def never_broken(response: Response, method: str, path: str) -> None:
    assert response.status_code < 500, f"{method} {path}: {response.text}"


async def test_strangers_get_401_wherever_a_session_is_needed(
    client: AsyncClient, values: dict[str, Any]
) -> None:
    for method, path, operation in OPERATIONS:
        response = await call(client, method, path, operation, values)
        never_broken(response, method, path)
        if needs_session(path, operation):
            assert response.status_code == 401, f"{method} {path}"
        elif path not in OPEN_DOORS:
            assert response.status_code not in (401, 403), f"{method} {path}: {response.text}"


async def test_an_account_not_yet_activated_cannot_open_a_session(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await sign_up(client, mailbox.sessionmaker, "pas.encore@yopmail.com")

    response = await client.post(
        "/api/v1/sessions",
        json={"email": "pas.encore@yopmail.com", "password": "Tilleul7Oranger"},
    )

    assert response.status_code == 401
    assert response.json()["type"] == "urn:cma:problem:invalid-credentials"


async def test_an_account_without_a_learner_record_is_kept_out_of_applications_and_admin(
    client: AsyncClient, mailbox: Mailbox, values: dict[str, Any]
) -> None:
    auth = await learner_headers(client, mailbox, "sans.fiche@yopmail.com")
    # The record-creating operations (the fiche, the pairing) come last.
    for method, path, operation in sorted(
        OPERATIONS, key=lambda o: not o[1].startswith(LEARNER_ONLY)
    ):
        if (method, path) in SESSION_ENDING or not needs_session(path, operation):
            continue
        response = await call(client, method, path, operation, values, **auth)
        never_broken(response, method, path)
        if path.startswith("/api/v1/admin"):
            assert response.status_code == 403, f"{method} {path}"
        elif path.startswith(LEARNER_ONLY):
            assert response.status_code == 403, f"{method} {path}"
            assert response.json()["type"] == "urn:cma:problem:learner-record-needed"
        elif path in CANDIDATES_ONLY:
            assert response.json()["type"] == "urn:cma:problem:not-a-candidate"
        else:
            assert response.status_code not in (401, 403), f"{method} {path}: {response.text}"


async def test_a_learner_reaches_their_own_space_and_never_the_admin(
    client: AsyncClient, mailbox: Mailbox, values: dict[str, Any]
) -> None:
    auth = await learner_headers(client, mailbox, "avec.fiche@yopmail.com")
    assert (await client.post("/api/v1/me/learner", json=FICHE, headers=auth)).status_code == 201
    for method, path, operation in OPERATIONS:
        if (method, path) in SESSION_ENDING or not needs_session(path, operation):
            continue
        response = await call(client, method, path, operation, values, **auth)
        never_broken(response, method, path)
        if path.startswith("/api/v1/admin"):
            assert response.status_code == 403, f"{method} {path}"
        elif path in CANDIDATES_ONLY:  # this learner applied to no campaign
            assert response.json()["type"] == "urn:cma:problem:not-a-candidate"
        else:
            assert response.status_code not in (401, 403), f"{method} {path}: {response.text}"


async def test_staff_reach_every_admin_operation(
    client: AsyncClient, mailbox: Mailbox, values: dict[str, Any]
) -> None:
    staff = await staff_headers(client, mailbox)
    for method, path, operation in OPERATIONS:
        if not path.startswith("/api/v1/admin"):
            continue
        response = await call(client, method, path, operation, values, **staff)
        never_broken(response, method, path)
        assert response.status_code not in (401, 403), f"{method} {path}: {response.text}"


async def test_nothing_of_one_learner_is_reachable_by_another(
    client: AsyncClient, mailbox: Mailbox, values: dict[str, Any]
) -> None:
    owner = await learner_headers(client, mailbox, "proprietaire@yopmail.com")
    other = await learner_headers(client, mailbox, "curieux@yopmail.com")
    for auth in (owner, other):
        assert (
            await client.post("/api/v1/me/learner", json=FICHE, headers=auth)
        ).status_code == 201
    [course] = apart(await open_courses(mailbox), 1)
    await client.post("/api/v1/me/basket/items", json={"course_code": course.code}, headers=owner)
    [mine] = (await client.post("/api/v1/me/basket/submit", headers=owner)).json()["applications"]

    attempts = [
        await client.delete(f"/api/v1/me/applications/{mine['id']}", headers=other),
        await client.post(f"/api/v1/me/applications/{mine['id']}/confirm", headers=other),
        await client.post(f"/api/v1/me/applications/{mine['id']}/decline", headers=other),
    ]
    seen = (await client.get("/api/v1/me/applications", headers=other)).json()
    history = (await client.get("/api/v1/me/history", headers=other)).json()
    export = (await client.get("/api/v1/me/export", headers=other)).text

    assert [r.status_code for r in attempts] == [404, 404, 404]
    assert seen == []
    assert history["campaigns"] == []
    assert "proprietaire" not in export
    assert course.code not in export
    still = (await client.get("/api/v1/me/applications", headers=owner)).json()
    assert [a["status"] for a in still] == ["submitted"]

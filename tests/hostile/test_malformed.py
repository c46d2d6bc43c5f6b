"""Malformed requests get a clear 4xx problem, never a 5xx, never a hang."""

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import select

from cma.accounts.models import LoginSession
from tests.support import (
    FICHE,
    PASSWORD,
    Mailbox,
    active_account,
    field_errors,
    learner_headers,
    open_courses,
    staff_headers,
)

SIGN_UP = "/api/v1/accounts"


async def test_deeply_nested_json_is_refused_clearly(client: AsyncClient) -> None:
    body = "[" * 100_000 + "]" * 100_000

    response = await client.post(
        SIGN_UP, content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_bytes_that_are_not_utf8_are_refused_like_broken_json(client: AsyncClient) -> None:
    response = await client.post(
        SIGN_UP, content=b'{"email": "\xff\xfe"}', headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["detail"] == "Le corps de la requête n'est pas un JSON valide."


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
async def test_a_body_of_another_type_is_refused(client: AsyncClient, content_type: str) -> None:
    body = b'{"email": "typed@yopmail.com", "password": "Tilleul7Oranger"}'

    response = await client.post(SIGN_UP, content=body, headers={"Content-Type": content_type})

    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_huge_query_string_is_refused_by_the_server(served: str) -> None:
    async with httpx.AsyncClient(base_url=served) as http:
        response = await http.get("/api/v1/courses", params={"q": "a" * 60_000})

    assert 400 <= response.status_code < 500


async def test_a_long_search_is_a_french_validation_problem(client: AsyncClient) -> None:
    response = await client.get("/api/v1/courses", params={"q": "a" * 5000})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "q"


async def test_null_bytes_and_control_characters_in_text_are_refused(client: AsyncClient) -> None:
    response = await client.post("/api/v1/password-resets", json={"email": "nul\u0000@yopmail.com"})

    assert response.status_code == 422


NUL = "abc\u0000def"


async def test_a_nul_in_any_text_is_a_422_that_names_its_field(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    auth = await learner_headers(client, mailbox)
    assert (await client.post("/api/v1/me/learner", json=FICHE, headers=auth)).status_code == 201
    course = (await open_courses(mailbox, motivation=True))[0]
    staff = await staff_headers(client, mailbox)
    cases = [
        ("PUT", "/api/v1/me/profile", {"first_name": NUL}, auth, "first_name"),
        ("PUT", "/api/v1/me/learner", {**FICHE, "address_2": NUL}, auth, "address_2"),
        (
            "POST",
            "/api/v1/me/basket/items",
            {"course_code": course.code, "motivation": NUL},
            auth,
            "motivation",
        ),
        ("POST", "/api/v1/sessions", {"email": "a@yopmail.com", "password": NUL}, {}, "password"),
        (
            "PUT",
            "/api/v1/admin/pages/aide-a-l-inscription",
            {"title": "Aide", "body": NUL, "position": 1},
            staff,
            "body",
        ),
    ]
    for method, path, body, headers, field in cases:
        response = await client.request(method, path, json=body, headers=headers)

        assert response.status_code == 422, (path, response.text)
        assert field in field_errors(response), (path, response.text)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/courses/%00"),
        ("GET", "/api/v1/courses/A%00B"),
        ("GET", "/api/v1/pages/%00"),
        ("GET", "/api/v1/courses?domain=%00"),
        ("GET", "/%00"),
        ("DELETE", "/api/v1/me/basket/items/%00"),
        ("DELETE", "/api/v1/admin/courses/%00"),
        ("POST", "/api/v1/admin/courses/%00/cancellation"),
    ],
)
async def test_a_nul_in_a_path_or_a_query_is_a_4xx(
    client: AsyncClient, mailbox: Mailbox, method: str, path: str
) -> None:
    staff = await staff_headers(client, mailbox)

    response = await client.request(method, path, headers=staff)

    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("forwarded", ["not-an-ip", "unknown", "1.2.3.4.5", "::ffff:zz"])
async def test_a_forwarded_address_that_is_no_ip_is_an_unknown_client(
    served: str, server_log: object, client: AsyncClient, mailbox: Mailbox, forwarded: str
) -> None:
    await active_account(client, mailbox, "proxy@yopmail.com")

    async with httpx.AsyncClient(base_url=served) as http:
        login = await http.post(
            "/api/v1/sessions",
            json={"email": "proxy@yopmail.com", "password": PASSWORD},
            headers={"X-Forwarded-For": forwarded},
        )

    assert login.status_code == 201, login.text
    async with mailbox.sessionmaker() as session:
        stored = await session.scalar(select(LoginSession.client_address))
    assert stored is None

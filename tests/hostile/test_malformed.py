"""Malformed requests get a clear 4xx problem, never a 5xx, never a hang."""

import httpx
import pytest
from httpx import AsyncClient

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
    body = b'{"email": "typed@yopmail.com", "password": "MotDePasse2026"}'

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

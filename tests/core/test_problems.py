"""Every error is RFC 9457 problem details; no trace or SQL reaches a client."""

from httpx import ASGITransport, AsyncClient

from cma.core.settings import Settings


async def test_an_unknown_path_is_a_problem(client: AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "urn:cma:problem:not-found",
        "title": "Introuvable",
        "status": 404,
        "detail": "La ressource demandée n'existe pas.",
        "instance": "/api/v1/nothing-here",
        # What to quote when asking why: the id of this request, in its header too.
        "request_id": response.headers["x-request-id"],
    }


async def test_a_wrong_method_is_a_problem(client: AsyncClient) -> None:
    response = await client.put("/api/v1/captchas")

    assert response.status_code == 405
    assert response.json()["type"] == "urn:cma:problem:method-not-allowed"


async def test_broken_json_is_a_french_validation_problem(client: AsyncClient) -> None:
    response = await client.post(
        "/api/v1/sessions", content=b'{"email": ', headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["message"] == "Le corps de la requête n'est pas un JSON valide."
    # Named as the body, not as the offset where the parser stopped.
    assert (error["field"], error["location"]) == ("body", "body")


async def test_a_body_that_is_not_an_object_is_refused_clearly(client: AsyncClient) -> None:
    response = await client.post("/api/v1/sessions", json=["a", "b"])

    assert response.status_code == 422
    assert "Traceback" not in response.text


async def test_health_checks_the_database(client: AsyncClient) -> None:
    response = await client.get("/api/v1/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_responses_carry_security_headers(client: AsyncClient) -> None:
    response = await client.get("/api/v1/health")

    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_a_database_outage_is_a_503_with_retry_after(settings: Settings) -> None:
    from cma.main import create_app
    from cma.notifications.smtp_sink import free_port

    dead = settings.model_copy(
        update={"database_url": f"postgresql://postgres@127.0.0.1:{free_port()}/cma"}
    )
    app = create_app(dead)
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app, raise_app_exceptions=False)
        async with AsyncClient(transport=transport, base_url="https://cma.test") as client:
            health = await client.get("/api/v1/health")
            captcha = await client.post("/api/v1/captchas")
            login = await client.post(
                "/api/v1/sessions", json={"email": "a@yopmail.com", "password": "Abcdefgh1"}
            )

    for response in (health, captcha, login):
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "5"
        assert response.json()["type"] == "urn:cma:problem:unavailable"
        assert "127.0.0.1" not in response.text
        assert "Traceback" not in response.text


async def test_an_unexpected_error_tells_nothing_of_its_insides(settings: Settings) -> None:
    from fastapi import APIRouter

    from cma.main import create_app

    app = create_app(settings)
    broken = APIRouter()

    @broken.get("/boom")
    async def boom() -> None:
        raise RuntimeError("SELECT password_hash FROM accounts -- secret detail")

    app.include_router(broken)
    app.router.routes.insert(0, app.router.routes.pop())  # ahead of the SPA's catch-all
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="https://cma.test") as client:
        response = await client.get("/boom")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:cma:problem:internal"
    assert "SELECT" not in response.text
    assert "secret" not in response.text


async def test_an_oversized_body_is_refused_with_a_413_problem(client: AsyncClient) -> None:
    response = await client.post(
        "/api/v1/sessions",
        content=b'{"email": "' + b"a" * 300_000 + b'", "password": "x"}',
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json()["type"] == "urn:cma:problem:too-large"
    assert response.json()["detail"] == "Le corps de la requête est trop volumineux."


async def test_a_body_streaming_past_the_limit_is_refused_too(client: AsyncClient) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"email": "'
        for _ in range(40):
            yield b"a" * 10_000
        yield b'", "password": "x"}'

    response = await client.post(
        "/api/v1/sessions", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["type"] == "urn:cma:problem:too-large"

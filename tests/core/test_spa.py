"""The SPA and Swagger UI are served from the API's origin, under a strict CSP."""

from httpx import AsyncClient

from cma.spa import DIST


async def test_client_routes_fall_back_to_the_uncached_index(client: AsyncClient) -> None:
    for path in ("/", "/connexion", "/mon-compte/profil", "/activation?token=abc"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-cache"
        assert '<div id="app">' in response.text


async def test_hashed_assets_are_cached_for_a_year(client: AsyncClient) -> None:
    asset = next((DIST / "assets").glob("index-*.js"))

    response = await client.get(f"/assets/{asset.name}")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_api_paths_never_fall_back_to_the_spa(client: AsyncClient) -> None:
    response = await client.get("/api/v1/unknown")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_no_file_outside_the_build_is_served(client: AsyncClient) -> None:
    for path in ("/..%2F..%2Fpyproject.toml", "/assets/..%2F..%2F..%2Fpyproject.toml"):
        response = await client.get(path)
        assert "[project]" not in response.text, path


async def test_swagger_ui_is_self_hosted_under_the_csp(client: AsyncClient) -> None:
    page = await client.get("/docs")
    bundle = await client.get("/swagger/swagger-ui-bundle.js")

    assert page.status_code == bundle.status_code == 200
    assert "<script>" not in page.text  # no inline script: the CSP forbids it
    assert 'src="/swagger/init.js"' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp

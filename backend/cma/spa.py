"""Serving the built SPA (frontend/dist) and the self-hosted Swagger UI from the API's origin.

Hashed assets are cached for a year; index.html is never cached, so a deployment shows at
once. Any path that is not the API's falls back to index.html for the client router.
"""

import logging
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

logger = logging.getLogger(__name__)

# The built SPA: inside the package when installed from a wheel (`make wheel` puts it there),
# the checkout's build otherwise.
_PACKAGED = Path(__file__).resolve().parent / "web"
DIST = (
    _PACKAGED
    if (_PACKAGED / "index.html").is_file()
    else (Path(__file__).resolve().parents[2] / "frontend" / "dist")
)
API_PREFIXES = ("api/", "docs", "openapi.json", "dev/")
NO_CACHE = {"Cache-Control": "no-cache"}

# Strict: no inline script or style, nothing from elsewhere. Swagger UI's assets are served
# from here too, with an external init script, so /docs lives under the same policy.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

DOCS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} — Swagger UI</title>
<link rel="stylesheet" href="/swagger/swagger-ui.css">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/swagger/swagger-ui-bundle.js"></script>
<script src="/swagger/init.js"></script>
</body>
</html>
"""


class _ImmutableAssets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def mount(app: FastAPI, dist: Path = DIST) -> None:
    """Serve the SPA and /docs from `dist`; without a build, say how to make one."""
    built = (dist / "index.html").is_file()
    if not built:
        logger.warning("%s has no build: run `make install` to serve the SPA and /docs", dist)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        if not (dist / "swagger" / "swagger-ui-bundle.js").is_file():
            raise HTTPException(status_code=404)
        return HTMLResponse(DOCS_PAGE.format(title=app.title), headers=NO_CACHE)

    if not built:
        return
    app.mount("/assets", _ImmutableAssets(directory=dist / "assets"), name="assets")
    root = dist.resolve()

    @app.api_route("/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def spa(path: str) -> FileResponse:
        if path.startswith(API_PREFIXES) or "\x00" in path:  # no file is named with a NUL
            raise HTTPException(status_code=404)
        candidate = (root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root):
            return FileResponse(candidate, headers=NO_CACHE)
        return FileResponse(root / "index.html", headers=NO_CACHE)

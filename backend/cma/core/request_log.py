"""One log line (and the metrics) per request, and its id: returned in `X-Request-ID`, on
every line logged while it runs, and in its problem documents, so that a person's "it failed"
leads to its lines."""

import logging
import re
import time
import uuid
from typing import Any

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cma.core.logs import request_id
from cma.core.metrics import LATENCY, REQUESTS

logger = logging.getLogger("cma.request")
HEADER = b"x-request-id"
# An id given by the proxy in front is kept, if it is one (no spaces, quotes or control
# characters to forge log lines with); otherwise the request gets its own.
_GIVEN = re.compile(rb"^[A-Za-z0-9._-]{8,64}$")


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_templates(app: Any) -> list[tuple[re.Pattern[str], set[str], str]]:
    """Each documented path as a pattern, with its methods and its template; the most
    specific first (more fixed characters), so `/me/basket/submit` wins over `/me/{x}/submit`.
    Built once per application, from its OpenAPI document."""
    index: list[tuple[re.Pattern[str], set[str], str]] | None = getattr(
        app.state, "route_templates", None
    )
    if index is None:
        paths = app.openapi()["paths"]
        ordered = sorted(paths, key=lambda path: -len(re.sub(r"\{[^}]*\}", "", path)))
        index = [
            (compile_path(path)[0], {method.upper() for method in paths[path]}, path)
            for path in ordered
        ]
        app.state.route_templates = index
    return index


def route_of(scope: Scope) -> str:
    """The template of the route that served the request, never its raw path."""
    app = scope.get("app")
    if app is not None and hasattr(app, "openapi"):
        for pattern, methods, template in route_templates(app):
            method = "GET" if scope["method"] == "HEAD" else scope["method"]
            if method in methods and pattern.match(scope["path"]):
                return template
    path = getattr(scope.get("route"), "path", None)  # the SPA, its assets, the dev mailbox
    return path if isinstance(path, str) and path else "(aucune route)"


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == HEADER), b"")
        rid = given.decode() if _GIVEN.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500  # what the server answers when the application sends nothing

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            duration_ms = round(elapsed * 1000, 1)
            route = route_of(scope)
            # A method is whatever token a client sends: as a label, only the known ones, or
            # every invented method would be a new series (memory, and files on disk).
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(elapsed)
            logger.info(
                "%s %s %d %.1f ms",
                scope["method"],
                route,
                status,
                duration_ms,
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": duration_ms,
                },
            )
            request_id.reset(token)

"""What sqladmin would answer with a 500: an address it cannot read.

sqladmin parses an id or a page number from the address with `int()` or `UUID()`, and hands
any text to the database: `details/1e5`, `page=abc`, an id past bigint or a NUL character in a
search each raised out of it. Here they are a French page (400, or 404 for an id that cannot
exist), and anything the database refuses for its value is the same; the rest is left alone.
"""

import logging
import re
from html import escape
from urllib.parse import unquote_to_bytes

from sqlalchemy.exc import DBAPIError
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cma.core.problems import database_refusal

logger = logging.getLogger(__name__)

_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")
_PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{title} — Gestion des CMA</title></head>
<body><main><h1>{title}</h1><p>{detail}</p>
<p><a href="/back-office/">Retour à l'accueil de la gestion des CMA</a></p></main></body></html>
"""


def _page(status: int, title: str, detail: str) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), detail=escape(detail)), status)


_UNREADABLE = (
    400,
    "Adresse illisible",
    "L'adresse contient un caractère non autorisé. Corrigez la recherche et recommencez.",
)
_NOT_FOUND = (404, "Introuvable", "Cet élément n'existe pas (vérifiez l'adresse).")


class Unreadable:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _CONTROL.search(unquote_to_bytes(scope.get("raw_path") or b"")) or _CONTROL.search(
            unquote_to_bytes(scope.get("query_string", b"").replace(b"+", b" "))
        ):
            await _page(*_UNREADABLE)(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except (ValueError, LookupError, DBAPIError) as exc:
            # A database error that is no refusal of a value (an outage) is not the address's.
            outage = isinstance(exc, DBAPIError) and database_refusal(exc) is None
            if started or outage:
                raise
            logger.warning("back office: unreadable %s: %r", scope.get("path"), exc)
            await _page(*_NOT_FOUND)(scope, receive, send)

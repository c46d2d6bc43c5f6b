"""Who may use the back office: a staff account, by the same session as the API and the SPA.

There is no second login: the back office reads the session cookie the SPA's "Se connecter"
set, and sends anyone else to that page. Its forms post with that cookie, so a write must come
from this site (Origin, or Referer, of this host) on top of the cookie's SameSite=Lax.
"""

from urllib.parse import urlsplit

from sqladmin.authentication import AuthenticationBackend
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cma.accounts import service as accounts
from cma.accounts.dependencies import CSRF_COOKIE, SESSION_COOKIE
from cma.accounts.models import Role
from cma.core.security import same_secret

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# The back office's own pages: its script files, no inline script; its widgets set styles.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class BackOfficeHeaders:
    """The back office's CSP (the app-wide one stays on everything else)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"cache-control", b"no-store"),
                    # Its forms post with the cookie: the same-origin check needs the Origin
                    # a stricter policy would blank.
                    (b"referrer-policy", b"same-origin"),
                ]
            await send(message)

        await self.app(scope, receive, send_with_policy)


def _same_origin(request: Request) -> bool:
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return False
    return urlsplit(source).netloc == request.url.netloc


class StaffSession(AuthenticationBackend):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        # No session middleware of sqladmin's own: the API's session is the only one.
        self.middlewares = [Middleware(BackOfficeHeaders)]
        self._sessionmaker = sessionmaker

    def _to_login(self, request: Request) -> Response:
        return RedirectResponse(f"/connexion?suite={request.url.path}", status_code=302)

    async def authenticate(self, request: Request) -> Response | bool:
        token = request.cookies.get(SESSION_COOKIE)
        if not token or len(token) > 128:
            return self._to_login(request)
        async with self._sessionmaker() as session, session.begin():
            found = await accounts.authenticate(session, token)
        if found is None:
            return self._to_login(request)
        account, _ = found
        if account.role != Role.STAFF:
            return PlainTextResponse(
                "Cette page est réservée aux agents des Cours Municipaux d'Adultes.",
                status_code=403,
            )
        if request.method not in SAFE_METHODS and not _same_origin(request):
            return PlainTextResponse("Requête refusée : elle ne vient pas de ce site.", 403)
        request.state.staff_id = str(account.id)
        return True

    async def get_user_id(self, request: Request) -> str | None:
        return getattr(request.state, "staff_id", None)

    async def login(self, request: Request) -> Response | bool:
        return self._to_login(request)

    async def logout(self, request: Request) -> Response | bool:
        # sqladmin's logout is a GET: a link on any site would end a staff member's session.
        # It logs nobody out; the layout's button posts to `log_out` below.
        return RedirectResponse(request.url_for("admin:index"), status_code=302)

    async def log_out(self, request: Request) -> Response:
        """POST /back-office/deconnexion: this site's form, with its CSRF token."""
        token = request.cookies.get(SESSION_COOKIE)
        if not token or len(token) > 128:
            return self._to_login(request)
        sent = str((await request.form()).get("csrf_token", ""))
        if not _same_origin(request) or not same_secret(sent, accounts.csrf_token_for(token)):
            return PlainTextResponse("Requête refusée : elle ne vient pas de ce site.", 403)
        async with self._sessionmaker() as session, session.begin():
            found = await accounts.authenticate(session, token)
            if found is not None:
                await accounts.log_out(session, found[1])
        response = RedirectResponse("/", status_code=303)
        for name in (SESSION_COOKIE, CSRF_COOKIE):
            response.delete_cookie(name, path="/")
        return response

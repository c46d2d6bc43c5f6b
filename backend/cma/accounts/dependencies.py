"""What a route of the account space needs: the throttle, the caller, a live session."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import OAuth2PasswordBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cma.accounts import service
from cma.accounts.models import Account, LoginSession, Role
from cma.core.client import ClientDep
from cma.core.database import SessionDep
from cma.core.problems import CsrfRefused, Forbidden, NotAuthenticated
from cma.core.security import same_secret
from cma.core.settings import get_settings

SESSION_COOKIE = "cma_session"
CSRF_COOKIE = "cma_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer = OAuth2PasswordBearer(
    tokenUrl="/api/v1/token",
    auto_error=False,
    description="Log in with the Paris account's email (as username) and password.",
)


# Coroutines even where they await nothing: FastAPI runs a plain `def` dependency in a worker
# thread, a hop that costs far more than reading an attribute.
async def _guard(request: Request, client: ClientDep) -> service.Guard:
    state = request.app.state
    return service.Guard(
        throttle=state.throttle,
        rules=state.rules,
        # For writes that must stand whatever the request's transaction does (its own pool).
        sessionmaker=state.side_sessionmaker,
        client=client,
    )


GuardDep = Annotated[service.Guard, Depends(_guard)]


def set_session_cookies(response: Response, token: str) -> None:
    settings = get_settings()
    max_age = int(settings.session_ttl.total_seconds())
    for name, value, httponly in (
        (SESSION_COOKIE, token, True),
        # Readable by the SPA, which echoes it in the X-CSRF-Token header.
        (CSRF_COOKIE, service.csrf_token_for(token), False),
    ):
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            secure=settings.cookie_secure,
            httponly=httponly,
            samesite="lax",
        )


def session_ended(request: Request, response: Response) -> None:
    """The request's session is over (logged out, account erased): its cookies are cleared,
    and its answer says nothing of a time left."""
    request.state.session_idle_left = None
    settings = get_settings()
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(
            name,
            path="/",
            secure=settings.cookie_secure,
            samesite="lax",
            httponly=name == SESSION_COOKIE,
        )


@dataclass(frozen=True)
class Authenticated:
    account: Account
    session: LoginSession
    token: str


# On every answer to a request its session authenticated, refusals included: how long that
# session lives unused from now. The page's idle clock follows it, and only it (a catalogue
# read keeps nothing alive). Kept in the request's state, so that an error's answer has it too.
IDLE_LEFT_HEADER = b"cma-session-idle-left"


class IdleLeftHeader:
    """Adds the session's time left, when the request's session said it, to the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_idle_left(message: Message) -> None:
            if message["type"] == "http.response.start":
                left = scope.get("state", {}).get("session_idle_left")
                if left is not None:
                    message["headers"] = [
                        *message.get("headers", []),
                        (IDLE_LEFT_HEADER, str(left).encode()),
                    ]
            await send(message)

        await self.app(scope, receive, with_idle_left)


async def _authenticated(
    request: Request,
    db: SessionDep,
    bearer_token: Annotated[str | None, Depends(bearer)],
) -> Authenticated:
    token = bearer_token
    from_cookie = False
    if token is None:
        token = request.cookies.get(SESSION_COOKIE)
        from_cookie = token is not None
    if not token or len(token) > 128:
        raise NotAuthenticated()
    found = await service.authenticate(db, token)
    if found is None:
        raise NotAuthenticated("Votre session a expiré ou a été fermée. Veuillez vous reconnecter.")
    if from_cookie and request.method not in SAFE_METHODS:
        # A cookie rides along with cross-site requests; a header the page had to read cannot.
        sent = request.headers.get(CSRF_HEADER, "")
        if not same_secret(sent, service.csrf_token_for(token)):
            raise CsrfRefused()
    account, login_session = found
    request.state.session_idle_left = service.idle_seconds_left(login_session)
    return Authenticated(account=account, session=login_session, token=token)


async def _optional_session(request: Request, db: SessionDep) -> LoginSession | None:
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip() or (
        request.cookies.get(SESSION_COOKIE)
    )
    if not token or len(token) > 128:
        return None
    found = await service.authenticate(db, token)
    return found[1] if found else None


AuthDep = Annotated[Authenticated, Depends(_authenticated)]


async def _staff(auth: AuthDep) -> Authenticated:
    if auth.account.role != Role.STAFF:
        raise Forbidden("Cette action est réservée aux agents des Cours Municipaux d'Adultes.")
    return auth


StaffDep = Annotated[Authenticated, Depends(_staff)]
OptionalSessionDep = Annotated[LoginSession | None, Depends(_optional_session)]

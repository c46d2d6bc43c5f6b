"""The application factory: routers, error handlers, middleware, background work."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from pydantic import BaseModel
from sqlalchemy import text

import cma.models  # noqa: F401 - registers every table
from cma import spa
from cma.accounts.captcha import close_renderer
from cma.accounts.dependencies import IdleLeftHeader
from cma.accounts.router import LOGIN_PATHS
from cma.accounts.router import router as accounts_router
from cma.accounts.service import Rules
from cma.background import run_background
from cma.catalogue.cache import CachedReads, ReadCache
from cma.catalogue.router import CACHED_PREFIXES
from cma.catalogue.router import admin as catalogue_admin_router
from cma.catalogue.router import router as catalogue_router
from cma.core import clock
from cma.core.body_limit import BodyLimit
from cma.core.database import create_engine, create_sessionmaker
from cma.core.departure import WatchDeparture
from cma.core.params import plain_parameters
from cma.core.problem_handlers import install_handlers
from cma.core.problems import ServiceUnavailable, responses
from cma.core.ratelimit import create_throttle
from cma.core.request_log import RequestLog, route_templates
from cma.core.security import close_hasher, hasher
from cma.core.security_headers import SecurityHeaders
from cma.core.settings import Environment, Settings, get_settings
from cma.core.shedding import ShedLogins
from cma.core.slow_clients import MAX_BODY_BYTES
from cma.enrolment.admin import admin as enrolment_admin_router
from cma.enrolment.router import router as enrolment_router
from cma.learners.router import admin as learners_admin_router
from cma.learners.router import router as learners_router
from cma.learners.service import legacy_rules
from cma.notifications import mailbox
from cma.personal.router import admin as personal_admin_router
from cma.personal.router import router as personal_router
from cma.sampling import sample

logger = logging.getLogger(__name__)

DESCRIPTION = """
API of the online application service of the **Cours Municipaux d'Adultes** (CMA) of the City
of Paris and of the **compte parisien** it signs people in with.

* Errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem details
  (`application/problem+json`) with a stable `type`, a French `detail` and, for validation
  errors (422), a per-field `errors` list; a choice outside its list names the values a
  program may send in `allowed`. A query parameter an operation does not take is a 422 too.
* Authentication: log in with `POST /api/v1/sessions` (or the **Authorize** button, which uses
  `POST /api/v1/token`) and send `Authorization: Bearer <access_token>`. Browsers get the same
  session as an HttpOnly cookie and must echo the `cma_csrf` cookie in an `X-CSRF-Token` header
  on unsafe methods. A session ends after 30 minutes unused: every answer to a request made
  with it (refusals included) carries `CMA-Session-Idle-Left`, the seconds it has left from
  now; the answer that ends it does not.
* Sign-up needs a verification code: `POST /api/v1/captchas`, then read its image or listen to
  its audio.
"""


class Health(BaseModel):
    status: str
    database: str


def _health_router() -> APIRouter:
    router = APIRouter()

    @router.get(
        "/health",
        tags=["health"],
        summary="Liveness and database readiness",
        responses=responses(ServiceUnavailable),
    )
    async def health(request: Request, response: Response) -> Health:
        response.headers["Cache-Control"] = "no-store"
        try:
            async with request.app.state.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=2)
        except Exception as exc:
            raise ServiceUnavailable(
                "La base de données ne répond pas.", headers={"Retry-After": "5"}
            ) from exc
        return Health(status="ok", database="ok")

    return router


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.sqlalchemy_url,
            pool_size=settings.database_pool_size,
            pool_timeout=settings.database_pool_timeout,
        )
        # Short autonomous writes (rate-limit counters, captcha burns, audit rows) are made while
        # a request holds its own connection: from a pool of their own, or a burst that takes
        # every connection of the main pool would wait for ever on itself.
        side_engine = create_engine(
            settings.sqlalchemy_url, pool_size=4, pool_timeout=settings.database_pool_timeout
        )
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.side_sessionmaker = create_sessionmaker(side_engine)
        app.state.throttle = create_throttle(side_engine, settings.rate_limit_storage_url)
        app.state.rules = Rules.from_settings(settings)
        app.state.legacy_rules = legacy_rules(settings)
        app.state.catalogue_cache = ReadCache(
            app.state.sessionmaker, refresh_seconds=settings.catalogue_refresh_seconds
        )
        app.state.catalogue_cache.start()
        route_templates(app)  # now, not in the first request's time
        await hasher().warm()
        stop = asyncio.Event()
        background = None
        if settings.outbox_in_process:
            background = asyncio.create_task(
                run_background(app.state.sessionmaker, app.state.throttle, settings, stop)
            )
        sampler = None
        if settings.metrics_port is not None:
            sampler = asyncio.create_task(
                sample(app.state.sessionmaker, [engine, side_engine], stop)
            )
        try:
            yield
        finally:
            stop.set()
            if background is not None:
                await background
            if sampler is not None:
                await sampler
            await app.state.catalogue_cache.stop()
            await engine.dispose()
            await side_engine.dispose()
            close_hasher()
            close_renderer()

    app = FastAPI(
        title="CMA — Cours Municipaux d'Adultes et compte parisien",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,  # self-hosted by cma.spa, so it works offline and under the CSP
        redoc_url=None,
    )
    install_handlers(app)

    api = APIRouter(prefix="/api/v1", dependencies=[Depends(plain_parameters)])
    api.include_router(accounts_router)
    api.include_router(personal_router)
    api.include_router(catalogue_router)
    api.include_router(catalogue_admin_router)
    api.include_router(learners_router)
    api.include_router(learners_admin_router)
    api.include_router(enrolment_router)
    api.include_router(enrolment_admin_router)
    api.include_router(personal_admin_router)
    api.include_router(_health_router())
    app.include_router(api)

    if settings.env == Environment.DEV and settings.dev_mailbox_dir is not None:
        app.include_router(mailbox.build_router(settings.dev_mailbox_dir, settings.dev_sms_dir))

    spa.mount(app)
    app.add_middleware(
        CachedReads, prefixes=CACHED_PREFIXES, today=lambda: clock.today().isoformat()
    )
    # Inside the body's limit: a login too large is refused 413 at once, even when it would
    # otherwise have been shed, and a shed login's body is drained only up to the limit.
    app.add_middleware(ShedLogins, paths=LOGIN_PATHS, admit=lambda: hasher().admit())
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(IdleLeftHeader)
    app.add_middleware(WatchDeparture)
    app.add_middleware(
        SecurityHeaders,
        content_security_policy=spa.CONTENT_SECURITY_POLICY,
        hsts=settings.env == Environment.PRODUCTION,
    )
    # Outermost: every answer, even a refusal of the layers above, has its id and its line.
    app.add_middleware(RequestLog)
    return app

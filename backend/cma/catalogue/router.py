"""HTTP routes of the catalogue: cached public reads, and staff writes under /admin."""

import math
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request, Response, status
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from cma.accounts.dependencies import StaffDep
from cma.catalogue import brochure, service
from cma.catalogue.cache import Entry, ReadCache, cache_key, etag_for
from cma.catalogue.exceptions import (
    ApplicationsNotOpen,
    BrochureUnavailable,
    CampaignNotFound,
    CourseConflict,
    CourseInUse,
    CourseNotFound,
    NoBrochure,
    PageNotFound,
    SeatsHeld,
)
from cma.catalogue.models import Level, Period
from cma.catalogue.schemas import (
    CampaignIn,
    CampaignOut,
    CourseDetail,
    CourseIn,
    CoursePage,
    CourseSummary,
    DomainOut,
    NewCourse,
    PageIn,
    PageOut,
    PageSummary,
    TimeOfDay,
    VenueOut,
)
from cma.core.clock import today
from cma.core.database import SessionDep
from cma.core.params import SLUG_QUERY, CourseCode, PageSlug, RowId
from cma.core.problems import CsrfRefused, Forbidden, InvalidInput, NotAuthenticated, responses

router = APIRouter(tags=["catalogue"])
admin = APIRouter(prefix="/admin", tags=["admin"])

# Everybody gets the same bytes; caches must revalidate, which the ETag makes cheap.
READ_HEADERS = {"Cache-Control": "public, no-cache", "Vary": "Accept-Encoding"}
CACHED_PREFIXES = ("/api/v1/domains", "/api/v1/courses", "/api/v1/campaigns", "/api/v1/pages")
STAFF_ERRORS = (NotAuthenticated, CsrfRefused, Forbidden)


def _cache(request: Request) -> ReadCache:
    cache: ReadCache = request.app.state.catalogue_cache
    return cache


def _encoder(model: Any) -> Callable[[Any], bytes]:
    adapter: TypeAdapter[Any] = TypeAdapter(model)
    return lambda data: adapter.dump_json(adapter.validate_python(data))


_encode_domains = _encoder(list[DomainOut])
_encode_summary = _encoder(CourseSummary)
_encode_course = _encoder(CourseDetail)
_encode_campaigns = _encoder(list[CampaignOut])
_encode_pages = _encoder(list[PageSummary])
_encode_page = _encoder(PageOut)


async def _summaries(request: Request) -> dict[str, bytes]:
    """Every course's list entry, encoded once per catalogue version (and Paris day)."""
    async with request.app.state.sessionmaker() as session:
        found = await service.summaries(session)
    return {code: _encode_summary(summary) for code, summary in found.items()}


async def _cached(request: Request, produce: Callable[[], Awaitable[bytes]]) -> Response:
    """Answer from the process's cache, producing the bytes at most once per catalogue version."""
    key = cache_key(request.scope, today().isoformat())

    async def compute() -> Entry:
        body = await produce()
        return Entry(body=body, etag=etag_for(body))

    entry = await _cache(request).get(key, compute)
    if entry.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers={**READ_HEADERS, "ETag": entry.etag})
    return Response(
        entry.body,
        media_type="application/json",
        headers={**READ_HEADERS, "ETag": entry.etag},
    )


def _read(
    request: Request,
    read: Callable[[AsyncSession], Awaitable[Any]],
    encode: Callable[[Any], bytes],
) -> Callable[[], Awaitable[bytes]]:
    """What to produce for a read that goes through a database session."""

    async def produce() -> bytes:
        async with request.app.state.sessionmaker() as session:
            return encode(await read(session))

    return produce


@router.get(
    "/domains",
    summary="Recherche par domaine : les domaines et leur nombre de cours",
    response_class=Response,
    responses={200: {"model": list[DomainOut]}, **responses(InvalidInput)},
)
async def list_domains(request: Request) -> Response:
    return await _cached(request, _read(request, service.domains, _encode_domains))


@router.get(
    "/courses",
    summary="Catalogue : recherche et filtres",
    description="French full-text search (accents and case ignored, words may be cut: "
    "`angl` finds Anglais) and filters, in pages ordered by relevance then code.",
    response_class=Response,
    responses={200: {"model": CoursePage}, **responses(InvalidInput)},
)
async def list_courses(
    request: Request,
    q: Annotated[str | None, Query(max_length=100, description="Words to look for")] = None,
    domain: Annotated[
        str | None, Query(pattern=SLUG_QUERY, max_length=64, description="Domain slug")
    ] = None,
    level: Level | None = None,
    arrondissement: Annotated[int | None, Query(ge=1, le=20)] = None,
    weekday: Annotated[int | None, Query(ge=1, le=7, description="1 = Monday")] = None,
    time_of_day: TimeOfDay | None = None,
    period: Period | None = None,
    open: Annotated[bool | None, Query(description="Open for applications today")] = None,
    new: Annotated[bool | None, Query(description="Les nouvelles formations")] = None,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    filters = service.CourseFilters(
        q=q.strip() if q and q.strip() else None,
        domain=domain,
        level=level,
        arrondissement=arrondissement,
        weekday=weekday,
        time_of_day=time_of_day,
        period=period,
        open=open,
        new=new,
    )

    cache = _cache(request)

    async def produce() -> bytes:
        fragments = await cache.get(
            f"{today().isoformat()} course-summaries", lambda: _summaries(request)
        )
        # A plain connection: the ORM session has nothing to add to a query of codes.
        async with request.app.state.engine.connect() as connection:
            codes, total = await service.ranked_codes(connection, filters, page, page_size)
        items = b",".join(fragments[code] for code in codes)
        return b'{"items":[%s],"total":%d,"page":%d,"page_size":%d,"pages":%d}' % (
            items,
            total,
            page,
            page_size,
            math.ceil(total / page_size),
        )

    return await _cached(request, produce)


@router.get(
    "/courses/{code}",
    summary="Fiche d'un cours",
    response_class=Response,
    responses={200: {"model": CourseDetail}, **responses(CourseNotFound, InvalidInput)},
)
async def get_course(request: Request, code: CourseCode) -> Response:
    async def read(session: AsyncSession) -> Any:
        return await service.course(session, code.upper())

    return await _cached(request, _read(request, read, _encode_course))


@router.get(
    "/campaigns",
    summary="Calendrier des inscriptions",
    description="Campaigns with their application and response periods (Paris dates, end "
    "days included), oldest first.",
    response_class=Response,
    responses={200: {"model": list[CampaignOut]}, **responses(InvalidInput)},
)
async def list_campaigns(
    request: Request,
    school_year: Annotated[
        str | None, Query(pattern=r"^[0-9]{4}-[0-9]{4}$", examples=["2016-2017"])
    ] = None,
) -> Response:
    async def read(session: AsyncSession) -> Any:
        return await service.campaigns(session, school_year)

    return await _cached(request, _read(request, read, _encode_campaigns))


@router.head("/brochure", include_in_schema=False)
@router.get(
    "/brochure",
    summary="La brochure (PDF)",
    description="The latest school year's catalogue as a tagged PDF, domain by domain: each "
    "course's schedule, dates, venue, level and fees. Drawn from the catalogue and kept until "
    "it changes.",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **responses(NoBrochure, BrochureUnavailable),
    },
)
async def get_brochure(request: Request) -> Response:
    entry = await _brochures(request).current(request.app.state.sessionmaker, _cache(request))
    headers = {**READ_HEADERS, "ETag": entry.etag}
    if_none_match = request.headers.get("if-none-match", "")
    if entry.etag in if_none_match or if_none_match.strip() == "*":
        return Response(status_code=304, headers=headers)
    return Response(
        b"" if request.method == "HEAD" else entry.body,
        media_type="application/pdf",
        headers={
            **headers,
            "Content-Disposition": 'inline; filename="brochure-cma.pdf"',
            "Content-Length": str(len(entry.body)),
        },
    )


def _brochures(request: Request) -> brochure.Brochures:
    found: brochure.Brochures | None = getattr(request.app.state, "brochures", None)
    if found is None:
        found = request.app.state.brochures = brochure.Brochures()
    return found


@router.get(
    "/pages",
    summary="Pages d'information (liens de l'accueil)",
    response_class=Response,
    responses={200: {"model": list[PageSummary]}, **responses(InvalidInput)},
)
async def list_pages(request: Request) -> Response:
    return await _cached(request, _read(request, service.pages, _encode_pages))


@router.get(
    "/pages/{slug}",
    summary="Une page d'information",
    response_class=Response,
    responses={200: {"model": PageOut}, **responses(PageNotFound, InvalidInput)},
)
async def get_page(request: Request, slug: PageSlug) -> Response:
    async def read(session: AsyncSession) -> Any:
        return await service.page(session, slug)

    return await _cached(request, _read(request, read, _encode_page))


# --- staff -----------------------------------------------------------------------------------


def _refresh_after(background: BackgroundTasks, request: Request) -> None:
    """This process sees its own edit at once (the others within a second)."""
    background.add_task(_cache(request).refresh)


@admin.post(
    "/courses",
    status_code=status.HTTP_201_CREATED,
    summary="Créer un cours",
    responses=responses(*STAFF_ERRORS, InvalidInput, CourseConflict),
)
async def create_course(
    body: NewCourse, _: StaffDep, db: SessionDep, request: Request, background: BackgroundTasks
) -> CourseDetail:
    _refresh_after(background, request)
    return CourseDetail.model_validate(await service.create_course(db, body))


@admin.put(
    "/courses/{code}",
    summary="Modifier un cours",
    description="Seats cannot go below those the course already gives (offered or "
    "confirmed): 409 `seats-held`, with their number in `seats_held`.",
    responses=responses(*STAFF_ERRORS, InvalidInput, CourseNotFound, SeatsHeld, CourseInUse),
)
async def update_course(
    code: CourseCode,
    body: CourseIn,
    _: StaffDep,
    db: SessionDep,
    request: Request,
    background: BackgroundTasks,
) -> CourseDetail:
    _refresh_after(background, request)
    return CourseDetail.model_validate(await service.update_course(db, code.upper(), body))


@admin.delete(
    "/courses/{code}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Retirer un cours du catalogue",
    responses=responses(*STAFF_ERRORS, InvalidInput, CourseNotFound),
)
async def retire_course(
    code: CourseCode,
    _: StaffDep,
    db: SessionDep,
    request: Request,
    background: BackgroundTasks,
) -> None:
    _refresh_after(background, request)
    await service.retire_course(db, code.upper())


@admin.post(
    "/campaigns",
    status_code=status.HTTP_201_CREATED,
    summary="Créer une campagne",
    responses=responses(*STAFF_ERRORS, InvalidInput),
)
async def create_campaign(
    body: CampaignIn, _: StaffDep, db: SessionDep, request: Request, background: BackgroundTasks
) -> CampaignOut:
    _refresh_after(background, request)
    return CampaignOut.model_validate(await service.save_campaign(db, body))


@admin.put(
    "/campaigns/{campaign_id}",
    summary="Modifier une campagne",
    responses=responses(*STAFF_ERRORS, InvalidInput, CampaignNotFound),
)
async def update_campaign(
    campaign_id: RowId,
    body: CampaignIn,
    _: StaffDep,
    db: SessionDep,
    request: Request,
    background: BackgroundTasks,
) -> CampaignOut:
    _refresh_after(background, request)
    return CampaignOut.model_validate(await service.save_campaign(db, body, campaign_id))


@admin.put(
    "/pages/{slug}",
    summary="Créer ou modifier une page d'information",
    responses=responses(*STAFF_ERRORS, InvalidInput),
)
async def put_page(
    slug: Annotated[str, Path(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)],
    body: PageIn,
    _: StaffDep,
    db: SessionDep,
    request: Request,
    background: BackgroundTasks,
) -> PageOut:
    _refresh_after(background, request)
    return PageOut.model_validate(await service.save_page(db, slug, body))


@admin.delete(
    "/pages/{slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Supprimer une page d'information",
    responses=responses(*STAFF_ERRORS, InvalidInput, PageNotFound),
)
async def delete_page(
    slug: PageSlug,
    _: StaffDep,
    db: SessionDep,
    request: Request,
    background: BackgroundTasks,
) -> None:
    _refresh_after(background, request)
    await service.delete_page(db, slug)


@admin.post(
    "/campaigns/{campaign_id}/closure",
    summary="Clore les inscriptions par anticipation",
    description="The period ends today (Paris): no basket is submitted from now on, the "
    "allocation may run at once, and the answers may start today. Nothing reopens it.",
    responses=responses(*STAFF_ERRORS, InvalidInput, CampaignNotFound, ApplicationsNotOpen),
)
async def close_applications(
    campaign_id: RowId,
    _: StaffDep,
    db: SessionDep,
    request: Request,
    background: BackgroundTasks,
) -> CampaignOut:
    _refresh_after(background, request)
    return CampaignOut.model_validate(await service.close_applications(db, campaign_id))


@admin.get(
    "/venues",
    summary="Les lieux de cours",
    responses=responses(*STAFF_ERRORS),
)
async def list_venues(_: StaffDep, db: SessionDep) -> list[VenueOut]:
    return [VenueOut.model_validate(v) for v in await service.venues(db)]

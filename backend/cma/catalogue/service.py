"""The catalogue's rules: what readers see (search, filters, calendar) and what staff change."""

import hashlib
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from markdown_it import MarkdownIt
from sqlalchemy import Select, String, any_, bindparam, delete, func, select
from sqlalchemy import text as sa_text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import joinedload

from cma.catalogue.exceptions import (
    ApplicationsNotOpen,
    CampaignNotFound,
    CourseConflict,
    CourseInUse,
    CourseNotFound,
    PageNotFound,
    SeatsHeld,
)
from cma.catalogue.labels import LEVEL_LABELS, PERIOD_LABELS, WEEKDAY_LABELS
from cma.catalogue.models import Campaign, Course, Domain, Level, Page, Period, Venue
from cma.catalogue.schemas import CampaignIn, CourseIn, NewCourse, PageIn, TimeOfDay
from cma.catalogue.views import CampaignView, CourseView
from cma.core.clock import today
from cma.core.problems import FieldError, InvalidInput
from cma.core.wording import french_day

TIMES_OF_DAY: dict[str, tuple[time, time]] = {
    "matin": (time(0, 0), time(12, 0)),
    "apres-midi": (time(12, 0), time(18, 0)),
    "soir": (time(18, 0), time(23, 59, 59)),
}
# Safe Markdown: raw HTML is escaped, links with a javascript: (or similar) target are refused.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})


def fold(text: str) -> str:
    """What cma_fold does in the database: lower case, no accents."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe").replace("æ", "ae"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_query(text: str) -> str | None:
    """A prefix query for to_tsquery from what someone typed ("angl b1" -> "angl:* & b1:*")."""
    terms = re.findall(r"[a-z0-9]+", fold(text))[:8]
    return " & ".join(f"{term}:*" for term in terms) or None


def render_markdown(body: str) -> str:
    return _MARKDOWN.render(body)


# --- reads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseFilters:
    q: str | None = None
    domain: str | None = None
    level: Level | None = None
    arrondissement: int | None = None
    weekday: int | None = None
    time_of_day: TimeOfDay | None = None
    period: Period | None = None
    open: bool | None = None
    new: bool | None = None


def _open_now(day: date) -> Any:
    return (
        (Campaign.application_start <= day)
        & (Campaign.application_end >= day)
        & Campaign.applications_closed_at.is_(None)
    )


async def domains(session: AsyncSession) -> list[dict[str, Any]]:
    count = (
        select(func.count())
        .where(Course.domain_id == Domain.id, Course.retired_at.is_(None))
        .scalar_subquery()
    )
    rows = await session.execute(select(Domain, count).order_by(Domain.position))
    return [
        {"slug": d.slug, "name": d.name, "position": d.position, "course_count": n} for d, n in rows
    ]


def campaign_out(campaign: CampaignView, day: date) -> dict[str, Any]:
    """A campaign as the calendar shows it (and staff's overview starts from)."""
    return {
        "id": campaign.id,
        "name": campaign.name,
        "school_year": campaign.school_year,
        "covers": campaign.covers,
        "application_start": campaign.application_start,
        "application_end": campaign.application_end,
        "response_start": campaign.response_start,
        "response_end": campaign.response_end,
        "max_courses": campaign.max_courses,
        "max_accepted": campaign.max_accepted,
        "confirm_days": campaign.confirm_days,
        "open_for_applications": campaign.accepts_applications(day),
        "closed_early": campaign.applications_closed_at is not None,
        "answering": campaign.response_start <= day <= campaign.response_end,
        "lottery_commitment": lottery_commitment(campaign),
    }


def lottery_commitment(campaign: CampaignView) -> str:
    """The hash (SHA-256, hexadecimal) of the campaign's lottery secret: published from the
    campaign's creation, so that the secret revealed at the allocation is shown to be the one
    fixed before anybody applied."""
    return hashlib.sha256(campaign.lottery_secret).hexdigest()


async def campaigns(session: AsyncSession, school_year: str | None = None) -> list[dict[str, Any]]:
    query = select(Campaign).order_by(Campaign.application_start)
    if school_year:
        query = query.where(Campaign.school_year == school_year)
    day = today()
    return [campaign_out(c, day) for c in await session.scalars(query)]


def _venue(venue: Venue) -> dict[str, Any]:
    return {
        "name": venue.name,
        "address": venue.address,
        "postal_code": venue.postal_code,
        "arrondissement": venue.arrondissement,
        "step_free": venue.step_free,
        "access": venue.access,
    }


async def venues(session: AsyncSession) -> list[dict[str, Any]]:
    return [_venue(v) for v in await session.scalars(select(Venue).order_by(Venue.name))]


def _summary(course: Course, day: date) -> dict[str, Any]:
    campaign = course.campaign
    return {
        "code": course.code,
        "title": course.title,
        "domain": {"slug": course.domain.slug, "name": course.domain.name},
        "level": course.level,
        "level_label": LEVEL_LABELS[Level(course.level)],
        "venue": _venue(course.venue),
        "weekday": course.weekday,
        "weekday_label": WEEKDAY_LABELS[course.weekday],
        "start_time": course.start_time,
        "end_time": course.end_time,
        "period": course.period,
        "period_label": PERIOD_LABELS[Period(course.period)],
        "fee": course.fee,
        "seats": course.seats,
        "is_new": course.is_new,
        "open_for_applications": campaign.accepts_applications(day)
        and course.retired_at is None
        and course.cancelled_at is None,
    }


def _detail(course: Course, day: date) -> dict[str, Any]:
    return {
        **_summary(course, day),
        "description": course.description,
        "prerequisites": course.prerequisites,
        "prerequisite_codes": course.prerequisite_codes,
        "starts_on": course.starts_on,
        "ends_on": course.ends_on,
        "reduced_fee": course.reduced_fee,
        "cancelled": course.cancelled_at is not None,
        "teacher": course.teacher,
        "hours": course.hours,
        "campaign": {
            "id": course.campaign.id,
            "name": course.campaign.name,
            "application_start": course.campaign.application_start,
            "application_end": course.campaign.application_end,
        },
        "needs_motivation": course.needs_motivation,
        "needs_priority_situation": course.needs_priority_situation,
    }


def _filtered(filters: CourseFilters, day: date, *columns: Any) -> Select[Any]:
    """Courses on offer matching the filters; tables are joined only when a filter needs them."""
    query = select(*columns).select_from(Course).where(Course.retired_at.is_(None))
    if filters.domain:
        query = query.join(Course.domain).where(Domain.slug == filters.domain)
    if filters.arrondissement:
        query = query.join(Course.venue).where(Venue.arrondissement == filters.arrondissement)
    if filters.open is not None:
        query = query.join(Course.campaign)
        query = query.where(_open_now(day) if filters.open else ~_open_now(day))
    if filters.level:
        query = query.where(Course.level == filters.level.value)
    if filters.weekday:
        query = query.where(Course.weekday == filters.weekday)
    if filters.time_of_day:
        start, end = TIMES_OF_DAY[filters.time_of_day]
        query = query.where(Course.start_time >= start, Course.start_time < end)
    if filters.period:
        query = query.where(Course.period == filters.period.value)
    if filters.new is not None:
        query = query.where(Course.is_new.is_(filters.new))
    return query


async def summaries(session: AsyncSession) -> dict[str, dict[str, Any]]:
    """Every course on offer, as a list shows it; the read path assembles pages from these."""
    day = today()
    rows = await session.scalars(
        select(Course)
        .where(Course.retired_at.is_(None))
        .options(joinedload(Course.domain), joinedload(Course.venue), joinedload(Course.campaign))
    )
    return {course.code: _summary(course, day) for course in rows}


async def ranked_codes(
    session: AsyncSession | AsyncConnection, filters: CourseFilters, page: int, page_size: int
) -> tuple[list[str], int]:
    """The codes of one page of results, best first, and how many results there are."""
    day = today()
    tsquery = search_query(filters.q) if filters.q else None
    if filters.q and tsquery is None:
        return [], 0
    query = _filtered(filters, day, Course.code, func.count().over().label("total"))
    if tsquery is not None:
        ts = func.to_tsquery("french", tsquery)
        query = query.where(Course.search.op("@@")(ts)).order_by(
            func.ts_rank_cd(Course.search, ts).desc(), Course.code
        )
    else:
        query = query.order_by(Course.code)
    rows = (await session.execute(query.limit(page_size).offset((page - 1) * page_size))).all()
    if rows:
        return [row.code for row in rows], int(rows[0].total)
    # Past the last page: the count alone says how many pages there are.
    counted = _filtered(filters, day, func.count())
    if tsquery is not None:
        counted = counted.where(Course.search.op("@@")(func.to_tsquery("french", tsquery)))
    return [], int(await session.scalar(counted) or 0)


async def _course(session: AsyncSession, code: str) -> Course:
    course = await session.scalar(
        select(Course)
        .where(Course.code == code)
        .options(joinedload(Course.domain), joinedload(Course.venue), joinedload(Course.campaign))
    )
    if course is None:
        raise CourseNotFound()
    return course


async def course(session: AsyncSession, code: str) -> dict[str, Any]:
    found = await _course(session, code)
    if found.retired_at is not None:
        raise CourseNotFound()
    return _detail(found, today())


async def pages(session: AsyncSession) -> list[dict[str, Any]]:
    rows = await session.scalars(select(Page).order_by(Page.position, Page.slug))
    return [{"slug": p.slug, "title": p.title, "position": p.position} for p in rows]


async def page(session: AsyncSession, slug: str) -> dict[str, Any]:
    found = await session.get(Page, slug)
    if found is None:
        raise PageNotFound()
    return {
        "slug": found.slug,
        "title": found.title,
        "position": found.position,
        "body": found.body,
        "body_html": render_markdown(found.body),
        "updated_at": found.updated_at,
    }


# --- staff writes ----------------------------------------------------------------------------


async def _resolve(session: AsyncSession, data: CourseIn) -> tuple[Domain, Venue, Campaign]:
    domain = await session.scalar(select(Domain).where(Domain.slug == data.domain))
    venue = await session.scalar(select(Venue).where(Venue.name == data.venue))
    campaign = await session.get(Campaign, data.campaign_id)
    errors = []
    if domain is None:
        errors.append(("domain", "Ce domaine n'existe pas."))
    if venue is None:
        errors.append(("venue", "Ce lieu n'existe pas."))
    if campaign is None:
        errors.append(("campaign_id", "Cette campagne n'existe pas."))
    if errors:
        raise InvalidInput(
            errors[0][1],
            errors=[FieldError(field=f, message=m, code="unknown") for f, m in errors],
        )
    assert domain is not None
    assert venue is not None
    assert campaign is not None
    _check_days(data, campaign)
    return domain, venue, campaign


def _check_days(data: CourseIn, campaign: Campaign) -> None:
    """The first and last day of classes: both or neither, in order, in the campaign's school
    year and after its applications, the first on the course's weekday. A refusal names the
    day that is wrong (or missing)."""
    first, last = data.starts_on, data.ends_on
    if first is None and last is None:
        return
    if first is None or last is None:
        missing = "starts_on" if first is None else "ends_on"
        word = "premier" if first is None else "dernier"
        raise InvalidInput.for_field(
            missing, f"Indiquez aussi le {word} jour de cours (ou aucun des deux)."
        )
    start_year = int(campaign.school_year[:4])
    opens, closes = date(start_year, 8, 1), date(start_year + 1, 7, 31)
    problem = None
    if not opens <= first <= closes:
        problem = ("starts_on", f"Le premier jour de cours doit être dans l'année scolaire "
                   f"{campaign.school_year} de la campagne.")  # fmt: skip
    elif not opens <= last <= closes:
        problem = ("ends_on", f"Le dernier jour de cours doit être dans l'année scolaire "
                   f"{campaign.school_year} de la campagne.")  # fmt: skip
    elif last < first:
        problem = ("ends_on", "Le dernier jour de cours doit être après le premier.")
    elif first <= campaign.application_end:
        problem = ("starts_on", "Le premier jour de cours doit suivre la fin des inscriptions "
                   f"({french_day(campaign.application_end)}).")  # fmt: skip
    elif first.isoweekday() != data.weekday:
        problem = ("starts_on", "Le premier jour de cours doit être un "
                   f"{WEEKDAY_LABELS[data.weekday].lower()}, le jour du cours.")  # fmt: skip
    if problem is not None:
        raise InvalidInput.for_field(*problem)


def _apply(course: Course, data: CourseIn, domain: Domain, venue: Venue) -> None:
    for field in (
        "title",
        "description",
        "prerequisites",
        "prerequisite_codes",
        "teacher",
        "campaign_id",
        "weekday",
        "start_time",
        "end_time",
        "hours",
        "fee",
        "reduced_fee",
        "starts_on",
        "ends_on",
        "seats",
        "is_new",
        "needs_motivation",
        "needs_priority_situation",
    ):
        setattr(course, field, getattr(data, field))
    course.level = data.level.value
    course.period = data.period.value
    course.domain_id = domain.id
    course.venue_id = venue.id
    course.search_extra = search_extra(domain, venue)


def search_extra(domain: Domain, venue: Venue) -> str:
    return f"{domain.name} {venue.name} Paris {venue.arrondissement}e"


async def create_course(session: AsyncSession, data: NewCourse) -> dict[str, Any]:
    domain, venue, _ = await _resolve(session, data)
    course = Course(code=data.code)
    _apply(course, data, domain, venue)
    try:
        async with session.begin_nested():
            session.add(course)
            await session.flush()
    except IntegrityError:
        raise CourseConflict() from None
    session.expunge(course)
    return _detail(await _course(session, data.code), today())


# The constraints that keep a course with basket lines or applications in its campaign.
MOVED_LINES = {"fk_applications_course_campaign", "fk_basket_items_course_campaign"}


def _refused_by(error: IntegrityError) -> str | None:
    return getattr(getattr(error.orig, "__cause__", None), "constraint_name", None)


def _seats_held(error: IntegrityError) -> int | None:
    """How many seats a course holds, when the database refused fewer (its seats trigger)."""
    cause = getattr(error.orig, "__cause__", None)
    if _refused_by(error) != "course_capacity":
        return None
    detail = str(getattr(cause, "detail", "") or "")
    return int(detail) if detail.isdigit() else None


async def update_course(session: AsyncSession, code: str, data: CourseIn) -> dict[str, Any]:
    course = await _course(session, code)
    domain, venue, _ = await _resolve(session, data)
    try:
        async with session.begin_nested():
            _apply(course, data, domain, venue)
            await session.flush()
    except IntegrityError as error:
        if _refused_by(error) in MOVED_LINES:
            raise CourseInUse() from None
        held = _seats_held(error)
        if held is None:
            raise
        raise SeatsHeld(held) from None
    session.expunge(course)
    return _detail(await _course(session, code), today())


async def retire_course(session: AsyncSession, code: str) -> None:
    course = await _course(session, code)
    if course.retired_at is None:
        course.retired_at = func.now()
        await session.flush()


async def save_campaign(
    session: AsyncSession, data: CampaignIn, campaign_id: int | None = None
) -> dict[str, Any]:
    if campaign_id is None:
        campaign = Campaign()  # added once filled in, below
    else:
        found = await session.get(Campaign, campaign_id)
        if found is None:
            raise CampaignNotFound()
        campaign = found
    closed = campaign.applications_closed_at is not None
    if closed and data.application_end != campaign.application_end:
        raise InvalidInput(errors=[_CLOSED_END_ERROR])
    # Past, the period stays past: reopened, it would let applications change after the
    # allocation's lottery may have been fixed on them.
    if (
        campaign_id is not None
        and campaign.applications_over(today())
        and data.application_end != campaign.application_end
    ):
        raise InvalidInput(errors=[_ENDED_ERROR])
    if data.application_end == data.response_start and not closed:
        raise InvalidInput(errors=[_CALENDAR_ERROR])
    values = data.model_dump()
    changed = [name for name, value in values.items() if getattr(campaign, name, None) != value]
    try:
        async with session.begin_nested():
            for name, value in values.items():
                setattr(campaign, name, value)
            session.add(campaign)
            await session.flush()
    except IntegrityError as error:
        kept = _CALENDAR_KEPT.get(_refused_by(error) or "")
        if kept is None:
            raise
        message, fields = kept
        field = next((name for name in fields if name in changed), fields[0])
        raise InvalidInput(
            message, errors=[FieldError(field=field, message=message, code="kept")]
        ) from None
    return campaign_out(campaign, today())


# What the database keeps of a campaign once learners were told (its calendar trigger): the
# message, and the fields it may be about.
_CALENDAR_KEPT = {
    "campaign_begun": (
        "Les inscriptions ont commencé : leur premier jour ne peut plus être repoussé, ce que "
        "la campagne ouvre ne change plus et le nombre de cours par panier ne peut que croître.",
        ("application_start", "covers", "max_courses"),
    ),
    "campaign_allocated": (
        "L'affectation de cette campagne est enregistrée : ses inscriptions, ce qu'elle ouvre "
        "et les règles du panier ne changent plus.",
        (
            "application_start",
            "application_end",
            "covers",
            "school_year",
            "max_courses",
            "max_accepted",
        ),
    ),
    "campaign_answered": (
        "Les réponses ont été envoyées : le début de la période de réponses et le délai de "
        "confirmation ne changent plus, et la période ne peut être raccourcie.",
        ("response_start", "confirm_days", "response_end"),
    ),
}


_CALENDAR_ERROR = FieldError(
    field="response_start",
    message="L'envoi des réponses commence après la fin des inscriptions (le jour même "
    "seulement si les inscriptions ont été closes par anticipation).",
    code="calendar",
)
_ENDED_ERROR = FieldError(
    field="application_end",
    message="Les inscriptions sont terminées : leur date de fin ne change plus.",
    code="ended",
)
_CLOSED_END_ERROR = FieldError(
    field="application_end",
    message="Les inscriptions ont été closes par anticipation : leur date de fin ne change plus.",
    code="closed",
)


async def close_applications(session: AsyncSession, campaign_id: int) -> dict[str, Any]:
    """Close an open campaign's applications now: the period ends today (Paris), and the
    allocation may run at once. Nothing reopens it; the campaign's dates stay editable."""
    campaign = await session.scalar(
        select(Campaign).where(Campaign.id == campaign_id).with_for_update()
    )
    if campaign is None:
        raise CampaignNotFound()
    day = today()
    if not campaign.accepts_applications(day):
        raise ApplicationsNotOpen()
    campaign.applications_closed_at = func.now()
    campaign.application_end = day
    await session.flush()
    await session.refresh(campaign)
    return campaign_out(campaign, day)


async def save_page(session: AsyncSession, slug: str, data: PageIn) -> dict[str, Any]:
    found = await session.get(Page, slug)
    if found is None:
        found = Page(slug=slug)
        session.add(found)
    found.title, found.body, found.position = data.title, data.body, data.position
    await session.flush()
    await session.refresh(found)
    return await page(session, slug)


async def delete_page(session: AsyncSession, slug: str) -> None:
    result = await session.execute(delete(Page).where(Page.slug == slug))
    if not result.rowcount:  # type: ignore[attr-defined]
        raise PageNotFound()


async def is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(func.count()).select_from(Domain))


# --- What the other contexts read of the catalogue: its tables are reached through these only


def _viewed() -> Select[Course]:
    return select(Course).options(joinedload(Course.campaign), joinedload(Course.venue))


# Built once: the basket's requests run them on every call.
_OPEN_COURSE = _viewed().where(
    Course.code == bindparam("code"), Course.retired_at.is_(None), Course.cancelled_at.is_(None)
)
_COURSES_BY_CODE = _viewed().where(Course.code == any_(bindparam("codes", type_=ARRAY(String))))


async def open_course(session: AsyncSession, code: str) -> CourseView | None:
    """The course with its campaign and venue, unless retired or cancelled."""
    return await session.scalar(_OPEN_COURSE, {"code": code.upper()})


async def courses_by_code(session: AsyncSession, codes: Collection[str]) -> dict[str, CourseView]:
    """These courses (whatever their state) with their campaigns and venues."""
    if not codes:
        return {}
    rows = await session.scalars(_COURSES_BY_CODE, {"codes": list(codes)})
    return {course.code: course for course in rows}


async def course_view(session: AsyncSession, code: str, *, lock: bool = False) -> CourseView | None:
    """One course with its campaign and venue; `lock` holds its row (FOR NO KEY UPDATE, which
    leaves other writers' foreign keys alone) for a change of who holds its seats."""
    query = _viewed().where(Course.code == code.upper())
    if lock:
        query = query.with_for_update(of=Course, key_share=True)
    return await session.scalar(query)


async def mark_cancelled(session: AsyncSession, code: str) -> None:
    """The course is cancelled from now: it leaves the offer, its page says so."""
    course = await session.get_one(Course, code)
    course.cancelled_at = func.now()
    await session.flush()


async def campaign_view(
    session: AsyncSession, campaign_id: int, *, lock: bool = False
) -> CampaignView | None:
    """One campaign; `lock` makes a second allocation or mailing of it wait for the first."""
    query = select(Campaign).where(Campaign.id == campaign_id)
    return await session.scalar(query.with_for_update(key_share=True) if lock else query)


async def campaigns_by_id(session: AsyncSession, ids: Collection[int]) -> dict[int, CampaignView]:
    if not ids:
        return {}
    rows = await session.scalars(select(Campaign).where(Campaign.id.in_(list(ids))))
    return {campaign.id: campaign for campaign in rows}


async def newest_campaigns(session: AsyncSession, school_year: str | None) -> list[CampaignView]:
    """The campaigns (of a school year), newest first."""
    query = select(Campaign).order_by(Campaign.application_start.desc(), Campaign.id.desc())
    if school_year:
        query = query.where(Campaign.school_year == school_year)
    return list(await session.scalars(query))


async def campaign_courses(session: AsyncSession, campaign_id: int) -> list[CourseView]:
    """Every course of the campaign, retired and cancelled ones too, by code."""
    return list(
        await session.scalars(
            _viewed().where(Course.campaign_id == campaign_id).order_by(Course.code)
        )
    )


async def answering_seats(session: AsyncSession, day: date) -> dict[str, int]:
    """The seats of every course, not cancelled, whose campaign is in its response period."""
    rows = await session.execute(
        select(Course.code, Course.seats)
        .join(Campaign, Campaign.id == Course.campaign_id)
        .where(
            Campaign.response_start <= day,
            Campaign.response_end >= day,
            Course.cancelled_at.is_(None),
        )
    )
    return {code: seats for code, seats in rows}


@dataclass(frozen=True, slots=True)
class DomainOffer:
    """What one domain offers in a campaign: its live courses (neither retired nor cancelled)."""

    domain: str
    seats: dict[str, int]  # by course code


async def offer_by_domain(session: AsyncSession, campaign_id: int) -> list[DomainOffer]:
    """The campaign's live courses and their seats, domain by domain in the catalogue's order."""
    rows = await session.execute(
        select(Domain.name, Course.code, Course.seats)
        .join(Domain, Domain.id == Course.domain_id)
        .where(
            Course.campaign_id == campaign_id,
            Course.retired_at.is_(None),
            Course.cancelled_at.is_(None),
        )
        .order_by(Domain.position, Course.code)
    )
    offers: dict[str, dict[str, int]] = {}
    for domain, code, seats in rows:
        offers.setdefault(domain, {})[code] = seats
    return [DomainOffer(domain, seats) for domain, seats in offers.items()]


async def offer_of_campaigns(
    session: AsyncSession, ids: Collection[int]
) -> dict[int, tuple[int, int]]:
    """For each campaign: how many live courses, and their seats in all."""
    rows = await session.execute(
        select(Course.campaign_id, func.count(), func.sum(Course.seats))
        .where(
            Course.campaign_id.in_(list(ids)),
            Course.retired_at.is_(None),
            Course.cancelled_at.is_(None),
        )
        .group_by(Course.campaign_id)
    )
    found = {campaign_id: (count, int(seats)) for campaign_id, count, seats in rows}
    return {campaign_id: found.get(campaign_id, (0, 0)) for campaign_id in ids}


_STAFF_COURSES = """
SELECT k.code, k.title, d.name AS domain, k.weekday, k.start_time, k.end_time,
       v.name AS venue, k.teacher, k.fee, k.seats, k.campaign_id,
       k.cancelled_at IS NOT NULL AS cancelled, count(*) OVER () AS total
  FROM courses k JOIN domains d ON d.id = k.domain_id JOIN venues v ON v.id = k.venue_id
 WHERE k.retired_at IS NULL {where}
 ORDER BY {order} LIMIT :limit OFFSET :offset
"""


async def staff_courses(
    session: AsyncSession,
    *,
    campaign_id: int | None = None,
    domain: str | None = None,
    q: str | None = None,
    code: str | None = None,
    limit: int,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the courses on offer as the staff's catalogue lists them (best match first
    when searched), and how many there are in all."""
    where: list[str] = []
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    order = "d.position, k.code"
    if code is not None:
        where.append("k.code = :code")
        params["code"] = code
    if campaign_id is not None:
        where.append("k.campaign_id = :campaign")
        params["campaign"] = campaign_id
    if domain:
        where.append("d.slug = :domain")
        params["domain"] = domain
    terms = search_query(q) if q else None
    if q and terms is None:
        return [], 0
    if terms is not None:
        # A code typed whole or in part ("LE00") finds its course as well as the words do.
        if q and re.fullmatch(r"[A-Za-z]{2,4}[0-9]{0,5}", q):
            where.append("(k.search @@ to_tsquery('french', :terms) OR k.code LIKE :prefix)")
            params["prefix"] = q.upper() + "%"
        else:
            where.append("k.search @@ to_tsquery('french', :terms)")
        params["terms"] = terms
        order = "ts_rank_cd(k.search, to_tsquery('french', :terms)) DESC, k.code"
    statement = _STAFF_COURSES.format(where="".join(f" AND {w}" for w in where), order=order)
    rows = [dict(row._mapping) for row in await session.execute(sa_text(statement), params)]
    total = rows[0].pop("total") if rows else 0
    for row in rows[1:]:
        del row["total"]
    return [{**row, "weekday_label": WEEKDAY_LABELS[row["weekday"]]} for row in rows], total

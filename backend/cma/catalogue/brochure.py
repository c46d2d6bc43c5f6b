""" "La brochure": the current school year's catalogue as a PDF, domain by domain.

Drawn from the catalogue itself (HTML rendered by WeasyPrint, tagged PDF/UA), so it never says
other than the site; the read cache keeps it until the catalogue changes.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import joinedload

from cma.catalogue.cache import Entry, ReadCache, etag_for
from cma.catalogue.exceptions import BrochureUnavailable, NoBrochure
from cma.catalogue.labels import LEVEL_LABELS, PERIOD_LABELS, WEEKDAY_LABELS
from cma.catalogue.models import Campaign, Course, Domain, Level, Period
from cma.core.clock import today
from cma.core.wording import french_day, french_hour

logger = logging.getLogger(__name__)
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
)


@dataclass(frozen=True)
class Edition:
    """What one brochure shows: a school year, its calendar, its courses by domain."""

    school_year: str
    campaigns: list[dict[str, str]]
    domains: list[dict[str, Any]]

    @property
    def courses(self) -> int:
        return sum(len(d["courses"]) for d in self.domains)


def _price(amount: Decimal) -> str:
    """ "142,00 €", as the site writes it (a no-break space before the sign)."""
    return f"{amount:.2f}".replace(".", ",") + "\u00a0€"


def _hour(moment: time) -> str:
    """ "18 h 30", never broken across two lines."""
    return french_hour(moment.hour, moment.minute).replace(" ", "\u00a0")


def _course(course: Course) -> dict[str, Any]:
    venue = course.venue
    arrondissement = "1er" if venue.arrondissement == 1 else f"{venue.arrondissement}e"
    return {
        "code": course.code,
        "title": course.title,
        "level": LEVEL_LABELS[Level(course.level)],
        "when": f"{WEEKDAY_LABELS[course.weekday]} {_hour(course.start_time)} – "
        f"{_hour(course.end_time)}",
        "period": PERIOD_LABELS[Period(course.period)],
        "dates": (
            f"du {french_day(course.starts_on)} au {french_day(course.ends_on)}"
            if course.starts_on and course.ends_on
            else None
        ),
        "hours": course.hours,
        "venue": f"{venue.name}, {venue.address}, {venue.postal_code} Paris ({arrondissement})",
        "fee": _price(course.fee),
        # A reduced rate only where it is one (a free course has none to give).
        "reduced_fee": (
            _price(course.reduced_fee)
            if course.reduced_fee is not None and course.reduced_fee < course.fee
            else None
        ),
        "is_new": course.is_new,
    }


async def current_school_year(session: AsyncSession, day: date) -> str | None:
    """The school year a learner applies for now: of the years that have courses, the
    earliest with a campaign not over yet (so a next year staff are preparing waits until
    this one ends), else the latest."""
    years = (
        select(Campaign.school_year, func.max(Campaign.response_end).label("ends"))
        .join(Course, Course.campaign_id == Campaign.id)
        .where(Course.retired_at.is_(None))
        .group_by(Campaign.school_year)
    ).subquery()
    running = await session.scalar(
        select(years.c.school_year)
        .where(years.c.ends >= day)
        .order_by(years.c.school_year)
        .limit(1)
    )
    if running is not None:
        return running
    return await session.scalar(
        select(years.c.school_year).order_by(years.c.school_year.desc()).limit(1)
    )


async def edition(session: AsyncSession, day: date) -> Edition | None:
    """The current school year's brochure; None when no campaign has courses yet."""
    school_year = await current_school_year(session, day)
    if school_year is None:
        return None
    campaigns = list(
        await session.scalars(
            select(Campaign)
            .where(Campaign.school_year == school_year)
            .order_by(Campaign.application_start)
        )
    )
    courses = await session.scalars(
        select(Course)
        .join(Campaign, Campaign.id == Course.campaign_id)
        .join(Domain, Domain.id == Course.domain_id)
        .where(
            Campaign.school_year == school_year,
            Course.retired_at.is_(None),
            Course.cancelled_at.is_(None),
        )
        .order_by(Domain.position, Course.title, Course.code)
        .options(joinedload(Course.domain), joinedload(Course.venue))
    )
    domains: dict[int, dict[str, Any]] = {}
    for course in courses:
        domain = domains.setdefault(course.domain_id, {"name": course.domain.name, "courses": []})
        domain["courses"].append(_course(course))
    return Edition(
        school_year=school_year,
        campaigns=[
            {
                "name": c.name,
                "applications": f"du {french_day(c.application_start)} "
                f"au {french_day(c.application_end)}",
                "answers": f"du {french_day(c.response_start)} au {french_day(c.response_end)}",
            }
            for c in campaigns
        ],
        domains=list(domains.values()),
    )


def render(edition: Edition, day: date) -> bytes:
    """The PDF (CPU-bound, seconds for a thousand courses: call it off the event loop)."""
    # Imported here: WeasyPrint loads Pango when imported, which only this needs; a machine
    # without it still serves everything else.
    try:
        from weasyprint import HTML
    except OSError as missing:
        raise BrochureUnavailable() from missing

    html = _templates.get_template("brochure.html").render(edition=edition, printed=french_day(day))
    pdf: bytes = HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
    return pdf


class Brochures:
    """The brochure of the catalogue as it is, rendered once per change; while a newer one
    renders (seconds, for a thousand courses), the one before is served, so that nobody waits
    for a staff member's edit."""

    def __init__(self) -> None:
        self.entry: Entry | None = None
        self.key = ""
        self._rendering: asyncio.Task[Entry] | None = None

    async def current(
        self, sessionmaker: async_sessionmaker[AsyncSession], cache: ReadCache
    ) -> Entry:
        if not cache.version:
            await cache.refresh()
        day = today()
        key = f"{cache.version} {day.isoformat()}"
        if self.entry is not None and self.key == key:
            return self.entry
        if self._rendering is None or self._rendering.done():
            self._rendering = asyncio.create_task(self._render(sessionmaker, key, day))
            # Read by whoever awaits it; when nobody does (the one before was served), its
            # failure is still taken, not reported as never retrieved.
            self._rendering.add_done_callback(_taken)
        if self.entry is not None:
            return self.entry
        return await asyncio.shield(self._rendering)

    async def settle(self) -> None:
        """Wait for a rendering under way to end (before the catalogue is wiped, in tests)."""
        if self._rendering is not None:
            await asyncio.gather(self._rendering, return_exceptions=True)

    async def _render(
        self, sessionmaker: async_sessionmaker[AsyncSession], key: str, day: date
    ) -> Entry:
        try:
            async with sessionmaker() as session:
                found = await edition(session, day)
            if found is None:
                raise NoBrochure()
            body = await asyncio.to_thread(render, found, day)
        except NoBrochure:
            self.entry = None  # nothing to show any more: the one before is not served either
            raise
        except Exception:
            if self.entry is None:
                raise
            logger.exception("brochure: keeping the previous one")
            return self.entry
        self.entry, self.key = Entry(body=body, etag=etag_for(body)), key
        return self.entry


def _taken(task: "asyncio.Task[Entry]") -> None:
    if not task.cancelled():
        task.exception()

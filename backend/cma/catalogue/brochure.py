""" "La brochure": the current school year's catalogue as a PDF, domain by domain.

Drawn from the catalogue itself (HTML rendered by WeasyPrint, tagged PDF/UA), so it never says
other than the site; the read cache keeps it until the catalogue changes.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from cma.catalogue.exceptions import BrochureUnavailable
from cma.catalogue.models import Campaign, Course, Domain, Level, Period
from cma.catalogue.schemas import LEVEL_LABELS, PERIOD_LABELS, WEEKDAY_LABELS
from cma.core.wording import french_day, french_hour

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


def _course(course: Course) -> dict[str, Any]:
    venue = course.venue
    arrondissement = "1er" if venue.arrondissement == 1 else f"{venue.arrondissement}e"
    return {
        "code": course.code,
        "title": course.title,
        "level": LEVEL_LABELS[Level(course.level)],
        "when": f"{WEEKDAY_LABELS[course.weekday]} "
        f"{french_hour(course.start_time.hour, course.start_time.minute)} – "
        f"{french_hour(course.end_time.hour, course.end_time.minute)}",
        "period": PERIOD_LABELS[Period(course.period)],
        "dates": (
            f"du {french_day(course.starts_on)} au {french_day(course.ends_on)}"
            if course.starts_on and course.ends_on
            else None
        ),
        "hours": course.hours,
        "venue": f"{venue.name}, {venue.address}, {venue.postal_code} Paris ({arrondissement})",
        "fee": _price(course.fee),
        "reduced_fee": _price(course.reduced_fee) if course.reduced_fee is not None else None,
        "is_new": course.is_new,
    }


async def edition(session: AsyncSession, day: date) -> Edition | None:
    """The latest school year's brochure; None when there is no campaign yet."""
    school_year = await session.scalar(
        select(Campaign.school_year).order_by(Campaign.school_year.desc()).limit(1)
    )
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

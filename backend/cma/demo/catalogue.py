"""`cma seed`: the seed's domains, calendar and information pages, and a realistic catalogue.

Deterministic for a given seed and idempotent: rows are matched on their natural keys (domain
slug, venue name, campaign school year and kind, course code, page slug), so running it again
updates and never duplicates. The words and figures it draws from are data/catalogue.toml; the
pages, data/pages/*.md.
"""

import random
import tomllib
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cma.catalogue.models import Campaign, Course, Covers, Domain, Page, Venue
from cma.catalogue.service import search_extra
from cma.core.clock import today
from cma.demo.fake import french_faker

if TYPE_CHECKING:
    from faker import Faker

DATA = files("cma.demo") / "data"
_CATALOGUE = tomllib.loads((DATA / "catalogue.toml").read_text(encoding="utf-8"))

DOMAINS: list[tuple[str, str, str]] = [tuple(domain) for domain in _CATALOGUE["domains"]]

CENT = Decimal("0.01")

# The seed's blue links on the home page, in their order: one Markdown file each, named
# "<position>-<slug>.md", its first line the title ("# Aide à l'inscription").
PAGES = DATA / "pages"


def demo_pages() -> list[tuple[str, str, str]]:
    """(slug, title, body) of each page, in the order of the home page."""
    pages = []
    stems = [page.name.removesuffix(".md") for page in PAGES.iterdir() if page.name.endswith(".md")]
    for stem in sorted(stems, key=lambda stem: int(stem.split("-", 1)[0])):
        title, body = (PAGES / f"{stem}.md").read_text(encoding="utf-8").split("\n", 1)
        pages.append((stem.split("-", 1)[1], title.removeprefix("# "), body.strip() + "\n"))
    return pages


@dataclass(frozen=True)
class Family:
    """A kind of course of a domain, offered at some levels."""

    title: str
    description: str
    levels: tuple[str, ...]
    hours: int
    motivation: bool = False
    priority: bool = False


_LANGUAGES = _CATALOGUE["foreign_languages"]
LANGUAGE_LEVELS: dict[str, str] = _LANGUAGES["levels"]
LANGUAGES: list[str] = _LANGUAGES["languages"]

FAMILIES: dict[str, list[Family]] = {
    slug: [Family(**{**family, "levels": tuple(family["levels"])}) for family in families]
    for slug, families in _CATALOGUE["families"].items()
}
# The foreign languages' domain: one kind of course per language, at every level.
FAMILIES["langues-etrangeres-bis"] = []
for language in LANGUAGES:
    article = "la " if language.startswith("Langue") else "l'" if language[0] in "AEI" else "le "
    FAMILIES["langues-etrangeres-bis"].append(
        Family(
            language,
            _LANGUAGES["description"].format(article=article, language=language.lower()),
            tuple(LANGUAGE_LEVELS),
            _LANGUAGES["hours"],
        )
    )

WEIGHTS: dict[str, int] = _CATALOGUE["weights"]
LEVEL_TITLES: dict[str, str] = _CATALOGUE["level_titles"]
EVENING_SLOTS: list[tuple[time, time]] = [tuple(slot) for slot in _CATALOGUE["evening_slots"]]
SATURDAY_SLOTS: list[tuple[time, time]] = [tuple(slot) for slot in _CATALOGUE["saturday_slots"]]
SCHOOL_KINDS: list[str] = _CATALOGUE["school_kinds"]
DESCRIPTION_ENDINGS: list[str] = _CATALOGUE["description_endings"]
PREREQUISITES: str = _CATALOGUE["prerequisites"]
CAMPAIGN_NAMES: dict[str, str] = _CATALOGUE["campaign_names"]
SEED_CALENDAR: list[dict[str, Any]] = _CATALOGUE["seed_calendar"]
STATIONS: dict[int, str] = {int(number): name for number, name in _CATALOGUE["stations"].items()}


def school_year_of(day: date) -> str:
    start = day.year if day.month >= 8 else day.year - 1
    return f"{start}-{start + 1}"


def seed_campaigns(day: date) -> list[dict[str, object]]:
    """The seed's 2016-2017 calendar, and two campaigns around `day`, the first open now."""
    year = school_year_of(day)
    first_open = day - timedelta(days=3)
    first_close = day + timedelta(days=11)
    second_open = first_close + timedelta(days=120)
    return [
        *({"name": CAMPAIGN_NAMES[past["covers"]], **past} for past in SEED_CALENDAR),
        dict(
            name=CAMPAIGN_NAMES[Covers.ANNUAL_AND_FIRST_SEMESTER],
            school_year=year,
            covers=Covers.ANNUAL_AND_FIRST_SEMESTER.value,
            application_start=first_open,
            application_end=first_close,
            response_start=first_close + timedelta(days=1),
            response_end=first_close + timedelta(days=23),
        ),
        dict(
            name=CAMPAIGN_NAMES[Covers.SECOND_SEMESTER],
            school_year=year,
            covers=Covers.SECOND_SEMESTER.value,
            application_start=second_open,
            application_end=second_open + timedelta(days=14),
            response_start=second_open + timedelta(days=15),
            response_end=second_open + timedelta(days=38),
        ),
    ]


async def _upsert_campaigns(session: AsyncSession, day: date) -> dict[tuple[str, str], int]:
    ids = {}
    for values in seed_campaigns(day):
        existing = await session.scalar(
            select(Campaign).where(
                Campaign.school_year == values["school_year"], Campaign.covers == values["covers"]
            )
        )
        campaign = existing or Campaign()
        try:
            async with session.begin_nested():
                for field, value in values.items():
                    setattr(campaign, field, value)
                session.add(campaign)
                await session.flush()
        except IntegrityError:
            # Allocated or answered since the last seed: it keeps the calendar learners were
            # told (the database's calendar trigger), and the demo keeps it as it is.
            if existing is None:
                raise
            await session.refresh(campaign)
        ids[(str(values["school_year"]), str(values["covers"]))] = campaign.id
    return ids


def _venues(rng: random.Random, fake: "Faker") -> list[dict[str, object]]:
    # The venues' access is drawn apart, so that the rest of the demo stays as it was.
    access = random.Random(len(STATIONS))  # noqa: S311 - demo data
    venues: dict[str, dict[str, object]] = {}
    for arrondissement in range(1, 21):
        for _ in range(3):
            while True:
                street = fake.street_name()
                name = f"{rng.choice(SCHOOL_KINDS)} {street.split(' ', 1)[-1]}"
                if name not in venues:
                    break
            venues[name] = {
                "name": name,
                "address": f"{rng.randint(1, 120)} {street}",
                "postal_code": f"750{arrondissement:02d}",
                "arrondissement": arrondissement,
                "step_free": access.choice([True, True, False, None]),
                "access": f"Métro {STATIONS[arrondissement]}",
            }
    return list(venues.values())


def _first_weekday(day: date, weekday: int, step: int) -> date:
    """`day` or the nearest ISO `weekday` after it (step 1) or before it (step -1)."""
    while day.isoweekday() != weekday:
        day += timedelta(days=step)
    return day


def class_days(school_year: str, period: str, weekday: int, answered: date) -> tuple[date, date]:
    """The first and last day of classes of a course given on `weekday` in `period`: the
    period's usual days, but never before a week after the answers (`answered`), at least ten
    weeks long, and within the school year."""
    start_year = int(school_year[:4])
    first, last = {
        "annual": (date(start_year, 9, 14), date(start_year + 1, 6, 19)),
        "first_semester": (date(start_year, 9, 14), date(start_year + 1, 1, 29)),
        "second_semester": (date(start_year + 1, 2, 8), date(start_year + 1, 6, 19)),
    }[period]
    begins = _first_weekday(max(first, answered + timedelta(days=7)), weekday, 1)
    year_end = _first_weekday(date(start_year + 1, 7, 31), weekday, -1)
    ends = min(_first_weekday(max(last, begins + timedelta(weeks=10)), weekday, -1), year_end)
    return begins, max(begins, ends)


async def seed(session: AsyncSession, *, courses: int = 1200, random_seed: int = 2016) -> int:
    """Load or refresh the demo catalogue. Returns the number of courses written."""
    rng = random.Random(random_seed)  # noqa: S311 - demo data, reproducible on purpose
    fake = french_faker(random_seed)

    for position, (slug, name, _) in enumerate(DOMAINS, start=1):
        await session.execute(
            insert(Domain)
            .values(id=position, slug=slug, name=name, position=position)
            .on_conflict_do_update(
                index_elements=[Domain.slug], set_={"name": name, "position": position}
            )
        )
    for position, (slug, title, body) in enumerate(demo_pages(), start=1):
        await session.execute(
            insert(Page)
            .values(slug=slug, title=title, body=body, position=position)
            .on_conflict_do_update(
                index_elements=[Page.slug],
                set_={"title": title, "body": body, "position": position},
            )
        )
    for venue_row in _venues(rng, fake):
        await session.execute(
            insert(Venue)
            .values(**venue_row)
            .on_conflict_do_update(index_elements=[Venue.name], set_=venue_row)
        )
    day = today()
    campaigns = await _upsert_campaigns(session, day)
    answered = {
        row.id: row.response_end
        for row in await session.execute(select(Campaign.id, Campaign.response_end))
    }
    year = school_year_of(day)
    domains = {d.slug: d for d in await session.scalars(select(Domain))}
    venues = list(await session.scalars(select(Venue).order_by(Venue.name)))
    prefixes = {slug: prefix for slug, _, prefix in DOMAINS}

    rows = []
    total_weight = sum(WEIGHTS.values())
    for slug, weight in WEIGHTS.items():
        families = FAMILIES[slug]
        for number in range(1, round(courses * weight / total_weight) + 1):
            family = rng.choice(families)
            level = rng.choice(family.levels)
            period = rng.choices(["annual", "first_semester", "second_semester"], [5, 3, 2])[0]
            covers = (
                "second_semester" if period == "second_semester" else ("annual_and_first_semester")
            )
            saturday = rng.random() < 0.15
            start, end = rng.choice(SATURDAY_SLOTS if saturday else EVENING_SLOTS)
            hours = family.hours if period == "annual" else max(10, family.hours // 2)
            venue = rng.choice(venues)
            domain = domains[slug]
            title = family.title
            if level != "tous_niveaux":
                suffix = LANGUAGE_LEVELS.get(level) if slug == "langues-etrangeres-bis" else None
                title += f" — niveau {LEVEL_TITLES[level]}" + (f" ({suffix})" if suffix else "")
            row: dict[str, Any] = {
                "code": f"{prefixes[slug]}{number:04d}",
                "title": title,
                "description": family.description + " " + rng.choice(DESCRIPTION_ENDINGS),
                "domain_id": domain.id,
                "level": level,
                "prerequisites": None if level in ("debutant", "tous_niveaux") else PREREQUISITES,
                "venue_id": venue.id,
                "campaign_id": campaigns[(year, covers)],
                "weekday": 6 if saturday else rng.randint(1, 5),
                "start_time": start,
                "end_time": end,
                "period": period,
                "hours": hours,
                "fee": (fee := Decimal(hours * rng.choice([2, 2, 3])).quantize(CENT)),
                "reduced_fee": (fee / 2).quantize(CENT),
                "seats": rng.choice([12, 15, 16, 18, 20, 24, 25]),
                "is_new": rng.random() < 0.06,
                "needs_motivation": family.motivation,
                "needs_priority_situation": family.priority,
                "search_extra": search_extra(domain, venue),
                "retired_at": None,
            }
            row["starts_on"], row["ends_on"] = class_days(
                year, period, row["weekday"], answered[row["campaign_id"]]
            )
            rows.append(row)
    for offset in range(0, len(rows), 500):
        batch = rows[offset : offset + 500]
        statement = insert(Course).values(batch)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[Course.code],
                set_={
                    column: statement.excluded[column] for column in batch[0] if column != "code"
                },
            )
        )
    # Fresh statistics, so that the planner uses the search index from the first query on.
    for table in ("courses", "venues", "domains", "campaigns"):
        await session.execute(text(f"ANALYZE {table}"))
    return len(rows)

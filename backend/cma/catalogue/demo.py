"""`cma seed`: the seed's domains, calendar and information pages, and a realistic catalogue.

Deterministic for a given seed and idempotent: rows are matched on their natural keys (domain
slug, venue name, campaign school year and kind, course code, page slug), so running it again
updates and never duplicates.
"""

import random
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from faker import Faker
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cma.catalogue.models import Campaign, Course, Covers, Domain, Page, Venue
from cma.catalogue.service import search_extra
from cma.core.clock import today

# The seed's "Recherche par domaine", in its order and wording.
DOMAINS = [
    ("accompagnement-professionnel", "Accompagnement professionnel", "AP"),
    ("artisanat-metiers-d-art", "Artisanat & métiers d'Art", "AR"),
    ("bureautique-et-internet", "Bureautique et internet", "BU"),
    ("domaine-par-defaut", "Domaine par défaut", "DD"),
    ("enseignement-general", "Enseignement général", "EG"),
    ("entreprise", "Entreprise", "EN"),
    ("environnement", "Environnement", "EV"),
    ("langue-francaise", "Langue française", "LF"),
    ("langues-etrangeres-bis", "Langues étrangères Bis", "LE"),
    ("metiers-de-l-informatique", "Métiers de l'informatique", "MI"),
    ("sanitaire-et-social", "Sanitaire et social", "SS"),
]

CENT = Decimal("0.01")

# The seed's blue links on the home page, in their order: one Markdown file each, named
# "<position>-<slug>.md", its first line the title ("# Aide à l'inscription").
PAGES_DIR = Path(__file__).parent / "demo_pages"


def demo_pages() -> list[tuple[str, str, str]]:
    """(slug, title, body) of each page, in the order of the home page."""
    pages = []
    for path in sorted(PAGES_DIR.glob("*.md"), key=lambda p: int(p.stem.split("-", 1)[0])):
        title, body = path.read_text(encoding="utf-8").split("\n", 1)
        pages.append((path.stem.split("-", 1)[1], title.removeprefix("# "), body.strip() + "\n"))
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


LANGUAGE_LEVELS = {
    "debutant": "A1",
    "elementaire": "A2",
    "intermediaire": "B1",
    "avance": "B2",
}
LANGUAGES = [
    "Anglais",
    "Espagnol",
    "Allemand",
    "Italien",
    "Portugais",
    "Chinois",
    "Arabe",
    "Russe",
    "Japonais",
    "Néerlandais",
    "Langue des signes française",
]

FAMILIES: dict[str, list[Family]] = {
    "accompagnement-professionnel": [
        Family(
            "Bilan et projet professionnel",
            "Faire le point sur son parcours, ses "
            "compétences et ses envies pour construire un projet réaliste.",
            ("tous_niveaux",),
            40,
            motivation=True,
            priority=True,
        ),
        Family(
            "Techniques de recherche d'emploi",
            "CV, lettre de motivation, entretien d'embauche et réseaux professionnels.",
            ("tous_niveaux",),
            30,
            priority=True,
        ),
        Family(
            "Prise de parole en public",
            "Gagner en assurance à l'oral : voix, posture, structure d'une intervention.",
            ("debutant", "intermediaire"),
            30,
        ),
    ],
    "artisanat-metiers-d-art": [
        Family(
            "Reliure",
            "Techniques traditionnelles de reliure et de restauration de livres.",
            ("debutant", "intermediaire", "avance"),
            90,
        ),
        Family(
            "Céramique et modelage",
            "Façonnage, tournage et émaillage de la terre.",
            ("debutant", "intermediaire"),
            90,
        ),
        Family(
            "Couture",
            "Patronage, coupe et assemblage de vêtements simples.",
            ("debutant", "intermediaire", "avance"),
            60,
        ),
        Family(
            "Photographie numérique",
            "Prise de vue, lumière, composition et retouche.",
            ("debutant", "intermediaire"),
            60,
        ),
        Family(
            "Ébénisterie",
            "Travail du bois massif, assemblages et finitions.",
            ("debutant", "avance"),
            120,
        ),
    ],
    "bureautique-et-internet": [
        Family(
            "Initiation à l'ordinateur",
            "Premiers pas : souris, clavier, fichiers et dossiers.",
            ("debutant",),
            30,
        ),
        Family(
            "Word : traitement de texte",
            "Mettre en forme un courrier, un rapport, un publipostage avec Word.",
            ("debutant", "intermediaire", "avance"),
            30,
        ),
        Family(
            "Excel : tableur",
            "Formules, tableaux croisés dynamiques et graphiques avec Excel.",
            ("debutant", "intermediaire", "avance"),
            30,
        ),
        Family(
            "PowerPoint : présentations",
            "Construire une présentation claire et animée.",
            ("debutant", "intermediaire"),
            20,
        ),
        Family(
            "Internet et messagerie",
            "Naviguer, chercher, échanger par mail et faire ses démarches en ligne en sécurité.",
            ("debutant",),
            20,
        ),
    ],
    "domaine-par-defaut": [
        Family(
            "Atelier découverte",
            "Un atelier pour découvrir les Cours Municipaux d'Adultes et choisir sa formation.",
            ("tous_niveaux",),
            10,
        ),
    ],
    "enseignement-general": [
        Family(
            "Mathématiques — remise à niveau",
            "Calcul, proportionnalité, géométrie et résolution de problèmes.",
            ("debutant", "intermediaire"),
            60,
        ),
        Family(
            "Préparation au DAEU",
            "Préparer le diplôme d'accès aux études universitaires (littéraire ou scientifique).",
            ("intermediaire", "avance"),
            120,
            motivation=True,
        ),
        Family(
            "Histoire de l'art",
            "Grands courants artistiques, de l'Antiquité à nos jours.",
            ("tous_niveaux",),
            40,
        ),
        Family(
            "Sciences physiques",
            "Mécanique, électricité et chimie pour adultes.",
            ("intermediaire",),
            60,
        ),
    ],
    "entreprise": [
        Family(
            "Comptabilité générale",
            "Enregistrer les opérations, établir un bilan et un compte de résultat.",
            ("debutant", "intermediaire", "avance"),
            90,
        ),
        Family(
            "Gestion de la paie",
            "Bulletin de salaire, cotisations et déclarations sociales.",
            ("intermediaire",),
            60,
        ),
        Family(
            "Droit du travail",
            "Contrat, durée du travail, rupture et représentation du personnel.",
            ("tous_niveaux",),
            40,
        ),
        Family(
            "Création d'entreprise",
            "De l'idée au projet : étude de marché, statut, financement.",
            ("tous_niveaux",),
            40,
            motivation=True,
        ),
        Family(
            "Marketing digital",
            "Réseaux sociaux, référencement et campagnes en ligne.",
            ("debutant", "intermediaire"),
            40,
        ),
    ],
    "environnement": [
        Family(
            "Jardinage urbain",
            "Cultiver en ville : sols, semis, compost et biodiversité.",
            ("debutant",),
            30,
        ),
        Family(
            "Transition écologique",
            "Climat, énergie et ressources : comprendre pour agir.",
            ("tous_niveaux",),
            30,
        ),
        Family(
            "Éco-construction",
            "Matériaux biosourcés, isolation et rénovation énergétique.",
            ("intermediaire",),
            60,
        ),
    ],
    "langue-francaise": [
        Family(
            "Français langue étrangère",
            "Communiquer au quotidien en français : comprendre, parler, lire et écrire.",
            ("debutant", "elementaire", "intermediaire", "avance"),
            90,
            priority=True,
        ),
        Family(
            "Remise à niveau en français",
            "Orthographe, grammaire et expression écrite.",
            ("elementaire", "intermediaire"),
            60,
        ),
        Family(
            "Alphabétisation",
            "Apprendre à lire et à écrire en français.",
            ("debutant",),
            120,
            priority=True,
        ),
    ],
    "langues-etrangeres-bis": [],  # built from LANGUAGES below
    "metiers-de-l-informatique": [
        Family(
            "Développement web (HTML, CSS, JavaScript)",
            "Concevoir et programmer des pages web accessibles.",
            ("debutant", "intermediaire"),
            90,
        ),
        Family(
            "Programmation Python",
            "Variables, fonctions, fichiers et premiers programmes utiles.",
            ("debutant", "intermediaire", "avance"),
            90,
        ),
        Family(
            "Administration Linux",
            "Installer, configurer et maintenir un serveur Linux.",
            ("intermediaire", "avance"),
            90,
        ),
        Family(
            "Réseaux informatiques",
            "Protocoles, adressage IP et sécurité des réseaux.",
            ("intermediaire",),
            60,
        ),
        Family(
            "Bases de données SQL",
            "Modéliser et interroger une base de données relationnelle.",
            ("intermediaire",),
            60,
        ),
    ],
    "sanitaire-et-social": [
        Family(
            "Préparation au concours d'aide-soignant",
            "Épreuves écrites et orales, connaissances sanitaires et sociales.",
            ("intermediaire",),
            90,
            motivation=True,
            priority=True,
        ),
        Family(
            "Prévention et secours civiques (PSC1)",
            "Les gestes qui sauvent, avec certificat.",
            ("tous_niveaux",),
            10,
        ),
        Family(
            "Accompagnement des personnes âgées",
            "Comprendre le vieillissement et accompagner au quotidien.",
            ("tous_niveaux",),
            40,
        ),
    ],
}
for language in LANGUAGES:
    article = "la " if language.startswith("Langue") else "l'" if language[0] in "AEI" else "le "
    FAMILIES["langues-etrangeres-bis"].append(
        Family(
            language,
            f"Apprendre {article}{language.lower()} : comprendre et s'exprimer à l'oral comme à "
            "l'écrit, vocabulaire de la vie quotidienne et découverte de la culture.",
            tuple(LANGUAGE_LEVELS),
            60,
        )
    )

# How many courses each domain gets out of the total.
WEIGHTS = {
    "langues-etrangeres-bis": 30,
    "bureautique-et-internet": 14,
    "langue-francaise": 12,
    "metiers-de-l-informatique": 9,
    "entreprise": 9,
    "artisanat-metiers-d-art": 8,
    "enseignement-general": 7,
    "sanitaire-et-social": 4,
    "accompagnement-professionnel": 3,
    "environnement": 3,
    "domaine-par-defaut": 1,
}
LEVEL_TITLES = {
    "debutant": "débutant",
    "elementaire": "élémentaire",
    "intermediaire": "intermédiaire",
    "avance": "avancé",
}
EVENING_SLOTS = [
    (time(18, 0), time(20, 0)),
    (time(18, 30), time(20, 30)),
    (time(19, 0), time(21, 0)),
    (time(19, 0), time(21, 30)),
]
SATURDAY_SLOTS = [(time(9, 30), time(12, 30)), (time(14, 0), time(17, 0))]
SCHOOL_KINDS = ["École élémentaire", "École polyvalente", "Collège", "Lycée"]


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
        dict(
            name="Cours annuels et premier semestre",
            school_year="2016-2017",
            covers=Covers.ANNUAL_AND_FIRST_SEMESTER.value,
            application_start=date(2016, 8, 23),
            application_end=date(2016, 9, 7),
            response_start=date(2016, 9, 8),
            response_end=date(2016, 9, 30),
        ),
        dict(
            name="Cours du second semestre",
            school_year="2016-2017",
            covers=Covers.SECOND_SEMESTER.value,
            application_start=date(2017, 1, 24),
            application_end=date(2017, 2, 7),
            response_start=date(2017, 2, 8),
            response_end=date(2017, 3, 3),
        ),
        dict(
            name="Cours annuels et premier semestre",
            school_year=year,
            covers=Covers.ANNUAL_AND_FIRST_SEMESTER.value,
            application_start=first_open,
            application_end=first_close,
            response_start=first_close + timedelta(days=1),
            response_end=first_close + timedelta(days=23),
        ),
        dict(
            name="Cours du second semestre",
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


# Plausible stations by arrondissement, for the venues' "access" line.
STATIONS = {
    1: "Châtelet (lignes 1, 4, 7, 11, 14)", 2: "Bourse (ligne 3)",
    3: "Arts et Métiers (lignes 3, 11)",
    4: "Saint-Paul (ligne 1)", 5: "Place Monge (ligne 7)", 6: "Saint-Placide (ligne 4)",
    7: "École Militaire (ligne 8)", 8: "Saint-Lazare (lignes 3, 12, 13, 14)",
    9: "Cadet (ligne 7)", 10: "Château-Landon (ligne 7)", 11: "Parmentier (ligne 3)",
    12: "Daumesnil (lignes 6, 8)", 13: "Place d'Italie (lignes 5, 6, 7)",
    14: "Alésia (ligne 4)", 15: "Vaugirard (ligne 12)", 16: "Passy (ligne 6)",
    17: "Brochant (ligne 13)", 18: "Marcadet-Poissonniers (lignes 4, 12)",
    19: "Laumière (ligne 5)", 20: "Gambetta (lignes 3, 3bis)",
}  # fmt: skip


def _venues(rng: random.Random, fake: Faker) -> list[dict[str, object]]:
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
    fake = Faker("fr_FR")
    fake.seed_instance(random_seed)

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
                "description": family.description
                + " "
                + rng.choice(
                    [
                        "Travail en petits groupes.",
                        "Exercices pratiques à chaque séance.",
                        "Un suivi personnalisé de vos progrès.",
                        "Des supports fournis à chaque séance.",
                    ]
                ),
                "domain_id": domain.id,
                "level": level,
                "prerequisites": None
                if level in ("debutant", "tous_niveaux")
                else "Avoir suivi le niveau précédent ou passer un test de positionnement.",
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

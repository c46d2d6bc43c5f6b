"""Applications learner by learner as staff read them: the committed allocation exported (a
spreadsheet in French), and a course's applicants with its waiting list."""

import csv
import io
from typing import Any

from sqlalchemy import BigInteger, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from cma.catalogue import service as catalogue
from cma.catalogue.exceptions import CourseNotFound
from cma.enrolment.allocation import Decision
from cma.enrolment.labels import REASON_LABELS, STATUS_LABELS, TIER_LABELS
from cma.enrolment.models import Application, ApplicationStatus, Reason
from cma.enrolment.runs import committed_run
from cma.learners import service as learners
from cma.learners.service import Person

HEADER = (
    "Nom",
    "Prénom",
    "Courriel",
    "Code du cours",
    "Intitulé du cours",
    "Choix",
    "Résultat de l'affectation",
    "État actuel",
    "Motif",
    "Priorité",
    "Rang sur la liste d'attente",
)
# A cell a spreadsheet would read as a formula (OWASP's CSV injection): shown as text instead.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA) else text


async def _named(
    session: AsyncSession, applications: list[Application]
) -> list[tuple[Application, str, Person]]:
    """The applications with their course's title and their learner, learner by learner (by
    name), each learner's choices in order."""
    courses = await catalogue.courses_by_code(session, {a.course_code for a in applications})
    found = await learners.people(session, {a.learner_id for a in applications})
    named = [(a, courses[a.course_code].title, found[a.learner_id]) for a in applications]
    return sorted(named, key=lambda line: (line[2].sort_key, line[0].rank))


def _line(
    application: Application, title: str, person: Person, decision: Decision | None = None
) -> dict[str, Any]:
    """One application and its outcome: the decision given (a preview's), else the one
    recorded, with where the application stands now."""
    outcome = (
        decision.status
        if decision
        else ApplicationStatus(application.outcome)
        if application.outcome
        else None
    )
    reason = (
        decision.reason if decision else Reason(application.reason) if application.reason else None
    )
    tier = decision.tier if decision else application.tier
    return {
        "name": person.name,
        "last_name": person.last_name,
        "first_name": person.first_name,
        "email": person.email,
        "course_code": application.course_code,
        "course_title": title,
        "rank": application.rank,
        "outcome": outcome,
        "outcome_label": STATUS_LABELS[outcome] if outcome else None,
        "status_label": STATUS_LABELS[ApplicationStatus(application.status)],
        "reason_label": REASON_LABELS[reason] if reason else None,
        "tier_label": TIER_LABELS.get(tier or 0),
        "waitlist_rank": decision.waitlist_rank if decision else application.waitlist_rank,
    }


async def previewed(session: AsyncSession, decisions: list[Decision]) -> list[dict[str, Any]]:
    """A preview's decisions, learner by learner (nothing of it is written)."""
    by_id = {d.application_id: d for d in decisions}
    applications = await session.scalars(
        select(Application).where(
            Application.id == any_(bindparam("ids", type_=ARRAY(BigInteger)))
        ),
        {"ids": list(by_id)},
    )
    named = await _named(session, list(applications))
    return [_line(*line, decision=by_id[line[0].id]) for line in named]


async def recorded(session: AsyncSession, campaign_id: int) -> list[dict[str, Any]]:
    """The committed allocation's decisions, learner by learner."""
    run = await committed_run(session, campaign_id)
    applications = await session.scalars(
        select(Application).where(Application.allocation_run_id == run.id)
    )
    return [_line(*line) for line in await _named(session, list(applications))]


async def as_csv(session: AsyncSession, campaign_id: int) -> str:
    """Every application the allocation decided, by learner then choice; `;`-separated with a
    byte-order mark, which is how French spreadsheets open a UTF-8 file."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for line in await recorded(session, campaign_id):
        writer.writerow(
            _cell(line[key])
            for key in (
                "last_name",
                "first_name",
                "email",
                "course_code",
                "course_title",
                "rank",
                "outcome_label",
                "status_label",
                "reason_label",
                "tier_label",
                "waitlist_rank",
            )
        )
    return out.getvalue()


# Seats held first, then the waiting list, then the rest.
_STANDING_ORDER = {
    ApplicationStatus.OFFERED: 0,
    ApplicationStatus.CONFIRMED: 0,
    ApplicationStatus.WAITLISTED: 1,
}


async def course_applicants(session: AsyncSession, code: str) -> list[dict[str, Any]]:
    """Who applied to the course and where they stand: seats held first, then the waiting list
    in its order, then the rest (withdrawn applications aside)."""
    if await catalogue.course_view(session, code) is None:
        raise CourseNotFound()
    applications = list(
        await session.scalars(
            select(Application).where(
                Application.course_code == code, Application.status != ApplicationStatus.WITHDRAWN
            )
        )
    )
    found = await learners.people(session, {a.learner_id for a in applications})
    rows = sorted(
        ((a, found[a.learner_id]) for a in applications),
        key=lambda row: (
            _STANDING_ORDER.get(ApplicationStatus(row[0].status), 2),
            row[0].waitlist_rank is None,
            row[0].waitlist_rank or 0,
            row[1].sort_key,
        ),
    )
    return [
        {
            "name": person.name,
            "email": person.email,
            "rank": application.rank,
            "status": application.status,
            "status_label": STATUS_LABELS[ApplicationStatus(application.status)],
            "waitlist_rank": application.waitlist_rank
            if application.status == ApplicationStatus.WAITLISTED
            else None,
            "offer_deadline": application.offer_deadline
            if application.status == ApplicationStatus.OFFERED
            else None,
        }
        for application, person in rows
    ]

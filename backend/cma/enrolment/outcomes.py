"""Applications learner by learner as staff read them: the committed allocation exported (a
spreadsheet in French), and a course's applicants with its waiting list."""

import csv
import io
from typing import Any

from sqlalchemy import BigInteger, any_, bindparam, case, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from cma.accounts.models import Account
from cma.catalogue.exceptions import CourseNotFound
from cma.catalogue.models import Course
from cma.enrolment.allocation import TIER_LABELS, Decision
from cma.enrolment.labels import REASON_LABELS, STATUS_LABELS
from cma.enrolment.models import Application, ApplicationStatus, Reason
from cma.enrolment.runs import committed_run
from cma.learners.models import Learner

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


_NAMED = (
    select(
        Application,
        Course.title,
        Learner.first_name,
        Learner.last_name,
        Account.email,
    )
    .join(Course, Course.code == Application.course_code)
    .join(Learner, Learner.id == Application.learner_id)
    .join(Account, Account.id == Learner.account_id)
    .order_by(Learner.last_name, Learner.first_name, Learner.id, Application.rank)
)


def _line(
    application: Application,
    title: str,
    first: str,
    last: str,
    email: str,
    decision: Decision | None = None,
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
        "name": f"{first} {last}",
        "last_name": last,
        "first_name": first,
        "email": email,
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
    rows = await session.execute(
        _NAMED.where(Application.id == any_(bindparam("ids", type_=ARRAY(BigInteger)))),
        {"ids": list(by_id)},
    )
    return [_line(*row, decision=by_id[row[0].id]) for row in rows]


async def recorded(session: AsyncSession, campaign_id: int) -> list[dict[str, Any]]:
    """The committed allocation's decisions, learner by learner."""
    run = await committed_run(session, campaign_id)
    rows = await session.execute(_NAMED.where(Application.allocation_run_id == run.id))
    return [_line(*row) for row in rows]


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


async def course_applicants(session: AsyncSession, code: str) -> list[dict[str, Any]]:
    """Who applied to the course and where they stand: seats held first, then the waiting list
    in its order, then the rest (withdrawn applications aside)."""
    if await session.scalar(select(Course.code).where(Course.code == code)) is None:
        raise CourseNotFound()
    order = case(
        (Application.status.in_(("offered", "confirmed")), 0),
        (Application.status == "waitlisted", 1),
        else_=2,
    )
    rows = await session.execute(
        select(Application, Learner.first_name, Learner.last_name, Account.email)
        .join(Learner, Learner.id == Application.learner_id)
        .join(Account, Account.id == Learner.account_id)
        .where(Application.course_code == code, Application.status != "withdrawn")
        .order_by(order, Application.waitlist_rank, Learner.last_name, Learner.first_name)
    )
    return [
        {
            "name": f"{first} {last}",
            "email": email,
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
        for application, first, last, email in rows
    ]

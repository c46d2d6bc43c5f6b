"""The committed allocation learner by learner, as staff export it (a spreadsheet in French)."""

import csv
import io

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cma.accounts.models import Account
from cma.catalogue.models import Course
from cma.enrolment.allocation import TIER_LABELS
from cma.enrolment.exceptions import NotAllocated
from cma.enrolment.labels import REASON_LABELS, STATUS_LABELS
from cma.enrolment.models import Application, ApplicationStatus, Reason
from cma.enrolment.runs import committed
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


async def as_csv(session: AsyncSession, campaign_id: int) -> str:
    """Every application the allocation decided, by learner then choice; `;`-separated with a
    byte-order mark, which is how French spreadsheets open a UTF-8 file."""
    run = await committed(session, campaign_id)
    if run is None:
        raise NotAllocated()
    rows = await session.execute(
        select(Application, Course.title, Learner.last_name, Learner.first_name, Account.email)
        .join(Course, Course.code == Application.course_code)
        .join(Learner, Learner.id == Application.learner_id)
        .join(Account, Account.id == Learner.account_id)
        .where(Application.allocation_run_id == run.id)
        .order_by(Learner.last_name, Learner.first_name, Learner.id, Application.rank)
    )
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for application, title, last_name, first_name, email in rows:
        outcome = ApplicationStatus(application.outcome) if application.outcome else None
        writer.writerow(
            _cell(value)
            for value in (
                last_name,
                first_name,
                email,
                application.course_code,
                title,
                application.rank,
                STATUS_LABELS[outcome] if outcome else "",
                STATUS_LABELS[ApplicationStatus(application.status)],
                REASON_LABELS[Reason(application.reason)] if application.reason else "",
                TIER_LABELS.get(application.tier or 0, ""),
                application.waitlist_rank,
            )
        )
    return out.getvalue()

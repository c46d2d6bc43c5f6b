"""Réponses aux candidatures: one mail per learner with every answer, once per allocation."""

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import BigInteger, Uuid, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from cma.catalogue import service as catalogue
from cma.catalogue.exceptions import CampaignNotFound
from cma.catalogue.views import CourseView
from cma.core.clock import today
from cma.core.wording import french_day
from cma.enrolment.exceptions import OutsideResponsePeriod
from cma.enrolment.labels import REASON_LABELS, STATUS_LABELS
from cma.enrolment.models import Application, ApplicationStatus, Reason
from cma.enrolment.offers import answers_link
from cma.enrolment.runs import committed_run
from cma.enrolment.service import course_context
from cma.learners import service as learners
from cma.notifications import service as notifications
from cma.notifications.service import OutboxStatus

# Claim the learners not yet answered for this allocation; a concurrent or repeated call
# claims nobody twice (primary key on run and learner).
_CLAIM = text("""
INSERT INTO response_mails (allocation_run_id, learner_id)
SELECT DISTINCT CAST(:run AS bigint), learner_id FROM applications WHERE allocation_run_id = :run
ON CONFLICT DO NOTHING
RETURNING learner_id
""")


_CARRIED_BY = text("""
UPDATE response_mails r SET message_id = m.message_id
  FROM unnest(:learners, :messages) AS m(learner_id, message_id)
 WHERE r.allocation_run_id = :run AND r.learner_id = m.learner_id
""").bindparams(
    bindparam("learners", type_=ARRAY(Uuid)), bindparam("messages", type_=ARRAY(BigInteger))
)

_UNANSWERED = text("""
SELECT count(DISTINCT learner_id) FROM applications a
 WHERE a.allocation_run_id = :run
   AND NOT EXISTS (SELECT 1 FROM response_mails r
                    WHERE r.allocation_run_id = :run AND r.learner_id = a.learner_id)
""")
_MAILS = text("""
SELECT message_id FROM response_mails WHERE allocation_run_id = :run AND message_id IS NOT NULL
""")


async def send(session: AsyncSession, campaign_id: int) -> int:
    """Queue the answers of the campaign's allocation; returns how many learners get a mail."""
    # Locked until the answers are queued: a calendar edit made meanwhile waits, then meets
    # the mails (and the database's refusal) instead of slipping in before them.
    campaign = await catalogue.campaign_view(session, campaign_id, lock=True)
    if campaign is None:
        raise CampaignNotFound()
    day = today()
    if not campaign.response_start <= day <= campaign.response_end:
        raise OutsideResponsePeriod()
    run = await committed_run(session, campaign.id)
    claimed = list(await session.scalars(_CLAIM, {"run": run.id}))
    if not claimed:
        return 0
    applications = list(
        await session.scalars(
            select(Application)
            .where(Application.allocation_run_id == run.id, Application.learner_id.in_(claimed))
            .order_by(Application.learner_id, Application.rank)
        )
    )
    courses = await catalogue.courses_by_code(session, {a.course_code for a in applications})
    reached = await learners.people(session, claimed)
    answers: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for application in applications:
        answers[application.learner_id].append(
            _answer(application, courses[application.course_code])
        )
    mails = {
        learner_id: await notifications.enqueue(
            session,
            "allocation_responses",
            reached[learner_id].email,
            account_id=reached[learner_id].account_id,
            context={"campaign": campaign.name, "answers": lines, "link": answers_link()},
        )
        for learner_id, lines in answers.items()
    }
    await session.flush()
    await session.execute(
        _CARRIED_BY,
        {"run": run.id, "learners": list(mails), "messages": [m.id for m in mails.values()]},
    )
    return len(answers)


async def progress(session: AsyncSession, campaign_id: int) -> dict[str, int]:
    """How the answers of the campaign's allocation are leaving: learners still to answer,
    and the mails queued, sent or failed (a mail gone with its erased account is neither)."""
    run = await committed_run(session, campaign_id)
    unanswered = await session.scalar(_UNANSWERED, {"run": run.id})
    mails = list(await session.scalars(_MAILS, {"run": run.id}))
    counted = await notifications.count_by_status(session, mails)
    return {
        "unanswered": unanswered or 0,
        "queued": counted.get(OutboxStatus.PENDING, 0),
        "sent": counted.get(OutboxStatus.SENT, 0),
        "failed": counted.get(OutboxStatus.FAILED, 0),
    }


def _answer(application: Application, course: CourseView) -> dict[str, Any]:
    status = ApplicationStatus(application.status)
    return {
        "rank": application.rank,
        "course": course_context(course),
        "status": status.value,
        "status_label": STATUS_LABELS[status],
        "reason_label": REASON_LABELS[Reason(application.reason)] if application.reason else None,
        "deadline": french_day(application.offer_deadline)
        if status == ApplicationStatus.OFFERED and application.offer_deadline
        else None,
        "waitlist_rank": application.waitlist_rank
        if status == ApplicationStatus.WAITLISTED
        else None,
    }

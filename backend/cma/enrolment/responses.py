"""Réponses aux candidatures: one mail per learner with every answer, once per allocation."""

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import BigInteger, Uuid, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from cma.accounts.models import Account
from cma.catalogue.exceptions import CampaignNotFound
from cma.catalogue.models import Campaign, Course
from cma.core.clock import today
from cma.core.wording import french_day
from cma.enrolment.exceptions import OutsideResponsePeriod
from cma.enrolment.labels import REASON_LABELS, STATUS_LABELS
from cma.enrolment.models import Application, ApplicationStatus, Reason
from cma.enrolment.offers import answers_link
from cma.enrolment.runs import committed_run
from cma.enrolment.service import course_context
from cma.learners.models import Learner
from cma.notifications import service as notifications

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

_PROGRESS = text("""
SELECT (SELECT count(DISTINCT learner_id) FROM applications a
         WHERE a.allocation_run_id = :run
           AND NOT EXISTS (SELECT 1 FROM response_mails r
                            WHERE r.allocation_run_id = :run AND r.learner_id = a.learner_id))
         AS unanswered,
       count(*) FILTER (WHERE o.status = 'pending') AS queued,
       count(*) FILTER (WHERE o.status = 'sent') AS sent,
       count(*) FILTER (WHERE o.status = 'failed') AS failed
  FROM response_mails r LEFT JOIN outbox_messages o ON o.id = r.message_id
 WHERE r.allocation_run_id = :run
""")


async def send(session: AsyncSession, campaign_id: int) -> int:
    """Queue the answers of the campaign's allocation; returns how many learners get a mail."""
    # Locked until the answers are queued: a calendar edit made meanwhile waits, then meets
    # the mails (and the database's refusal) instead of slipping in before them.
    campaign = await session.scalar(
        select(Campaign).where(Campaign.id == campaign_id).with_for_update(key_share=True)
    )
    if campaign is None:
        raise CampaignNotFound()
    day = today()
    if not campaign.response_start <= day <= campaign.response_end:
        raise OutsideResponsePeriod()
    run = await committed_run(session, campaign.id)
    learners = list(await session.scalars(_CLAIM, {"run": run.id}))
    if not learners:
        return 0
    rows = await session.execute(
        select(Application, Course, Account)
        .join(Course, Course.code == Application.course_code)
        .join(Learner, Learner.id == Application.learner_id)
        .join(Account, Account.id == Learner.account_id)
        .where(Application.allocation_run_id == run.id, Application.learner_id.in_(learners))
        .options(joinedload(Course.venue))
        .order_by(Application.learner_id, Application.rank)
    )
    answers: dict[tuple[uuid.UUID, Account], list[dict[str, Any]]] = defaultdict(list)
    for application, course, account in rows:
        answers[application.learner_id, account].append(_answer(application, course))
    mails = {
        learner_id: await notifications.enqueue(
            session,
            "allocation_responses",
            account.email,
            account_id=account.id,
            context={"campaign": campaign.name, "answers": lines, "link": answers_link()},
        )
        for (learner_id, account), lines in answers.items()
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
    row = (await session.execute(_PROGRESS, {"run": run.id})).one()
    return dict(row._mapping)


def _answer(application: Application, course: Course) -> dict[str, Any]:
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

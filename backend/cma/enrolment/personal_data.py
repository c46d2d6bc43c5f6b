"""What enrolment keeps about a learner: given in their export, erased with their account."""

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from cma.catalogue import service as catalogue
from cma.core.clock import today
from cma.enrolment import auto_response, offers
from cma.enrolment.models import (
    HOLDING,
    AllocationRun,
    Application,
    AutoResponder,
    BasketItem,
    Receipt,
    ResponseMail,
)
from cma.enrolment.service import ANSWER_FIELDS, applications, receipts


async def export_of(session: AsyncSession, learner_id: uuid.UUID) -> dict[str, Any]:
    """The learner's basket, applications (as the learner sees them: an outcome shows from
    the response period) and the answers mailed."""
    items = list(
        await session.scalars(
            select(BasketItem).where(BasketItem.learner_id == learner_id).order_by(BasketItem.rank)
        )
    )
    courses = await catalogue.courses_by_code(session, {item.course_code for item in items})
    answered = list(
        await session.execute(
            select(AllocationRun.campaign_id, ResponseMail.created_at)
            .join(AllocationRun, AllocationRun.id == ResponseMail.allocation_run_id)
            .where(ResponseMail.learner_id == learner_id)
            .order_by(ResponseMail.created_at)
        )
    )
    campaigns = await catalogue.campaigns_by_id(session, {campaign for campaign, _ in answered})
    return {
        "basket": [
            {
                "campaign_id": item.campaign_id,
                "campaign_name": courses[item.course_code].campaign.name,
                "course_code": item.course_code,
                "course_title": courses[item.course_code].title,
                "rank": item.rank,
                **{f: getattr(item, f) for f in ANSWER_FIELDS},
                "added_at": item.created_at,
            }
            for item in items
        ],
        "applications": [
            {
                **{k: v for k, v in application.items() if not k.startswith("can_")},
                "course_code": application["course"]["code"],
                "course_title": application["course"]["title"],
            }
            for application in await applications(session, learner_id)
        ],
        "receipts": await receipts(session, learner_id),
        "auto_responses": await auto_response.export_of(session, learner_id),
        "answers_mailed": [
            {"campaign_name": campaigns[campaign].name, "sent_at": at} for campaign, at in answered
        ],
    }


async def forget(session: AsyncSession, learner_id: uuid.UUID) -> None:
    """Erase the learner's basket, applications and answers; a seat they held goes down the
    waiting list, as on a decline."""
    held = list(
        await session.scalars(
            select(Application.course_code).where(
                Application.learner_id == learner_id, Application.status.in_(HOLDING)
            )
        )
    )
    await session.execute(delete(ResponseMail).where(ResponseMail.learner_id == learner_id))
    await session.execute(delete(AutoResponder).where(AutoResponder.learner_id == learner_id))
    await session.execute(delete(BasketItem).where(BasketItem.learner_id == learner_id))
    await session.execute(delete(Receipt).where(Receipt.learner_id == learner_id))
    await session.execute(delete(Application).where(Application.learner_id == learner_id))
    await session.flush()
    for code in sorted(set(held)):
        await offers.promote(session, code, today())

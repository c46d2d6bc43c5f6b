"""A learner's "répondeur automatique", campaign by campaign (as Parcoursup's): when a seat
frees on a course where they wait, it is accepted for them at once, and a seat they hold that
they ranked lower, beyond the campaign's cap, goes to the next on its list."""

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cma.catalogue import service as catalogue
from cma.catalogue.exceptions import CampaignNotFound
from cma.enrolment.models import AutoResponder


async def is_on(session: AsyncSession, learner_id: uuid.UUID, campaign_id: int) -> bool:
    found = await session.scalar(
        select(AutoResponder.learner_id).where(
            AutoResponder.learner_id == learner_id, AutoResponder.campaign_id == campaign_id
        )
    )
    return found is not None


async def switch(
    session: AsyncSession, learner_id: uuid.UUID, campaign_id: int, enabled: bool
) -> None:
    if await catalogue.campaign_view(session, campaign_id) is None:
        raise CampaignNotFound()
    if enabled:
        await session.execute(
            insert(AutoResponder)
            .values(learner_id=learner_id, campaign_id=campaign_id)
            .on_conflict_do_nothing()
        )
    else:
        await session.execute(
            delete(AutoResponder).where(
                AutoResponder.learner_id == learner_id, AutoResponder.campaign_id == campaign_id
            )
        )


async def campaigns_of(session: AsyncSession, learner_id: uuid.UUID) -> set[int]:
    """The campaigns where the learner's répondeur automatique is on."""
    return set(
        await session.scalars(
            select(AutoResponder.campaign_id).where(AutoResponder.learner_id == learner_id)
        )
    )


async def export_of(session: AsyncSession, learner_id: uuid.UUID) -> list[dict[str, Any]]:
    """For the learner's export: each campaign where it is on, since when."""
    rows = list(
        await session.scalars(
            select(AutoResponder)
            .where(AutoResponder.learner_id == learner_id)
            .order_by(AutoResponder.created_at)
        )
    )
    campaigns = await catalogue.campaigns_by_id(session, {r.campaign_id for r in rows})
    return [{"campaign_name": campaigns[r.campaign_id].name, "since": r.created_at} for r in rows]

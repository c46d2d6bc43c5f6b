"""A campaign whose application period has just ended, with courses made to measure."""

import uuid
from dataclasses import dataclass
from datetime import time, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.catalogue.models import Campaign, Course, Domain, Venue
from cma.core.clock import today
from cma.demo.catalogue import school_year_of
from cma.enrolment.models import Application
from cma.learners.models import Learner, LegacyAccount, TrainingHistory


@dataclass
class Closed:
    """The campaign and its courses; `sessionmaker` to write applications and read outcomes."""

    id: int
    sessionmaker: async_sessionmaker[AsyncSession]

    async def course(
        self,
        code: str,
        seats: int,
        *,
        weekday: int = 1,
        priority: bool = False,
        prerequisites: tuple[str, ...] = (),
    ) -> str:
        async with self.sessionmaker() as session, session.begin():
            domain = await session.scalar(select(Domain.id).limit(1))
            venue = await session.scalar(select(Venue.id).limit(1))
            assert domain is not None
            assert venue is not None
            session.add(
                Course(
                    code=code,
                    title=f"Cours {code}",
                    description="Un cours fait pour le test.",
                    domain_id=domain,
                    level="tous_niveaux",
                    venue_id=venue,
                    campaign_id=self.id,
                    weekday=weekday,
                    start_time=time(18, 30),
                    end_time=time(20, 30),
                    period="annual",
                    hours=60,
                    fee=Decimal("120.00"),
                    seats=seats,
                    needs_priority_situation=priority,
                    prerequisite_codes=list(prerequisites),
                )
            )
        return code

    async def apply(
        self, learner_id: uuid.UUID, *codes: str, situation: str | None = None
    ) -> list[int]:
        """Submitted applications in this order of preference (as the basket's submit writes)."""
        async with self.sessionmaker() as session, session.begin():
            rows = [
                Application(
                    learner_id=learner_id,
                    campaign_id=self.id,
                    course_code=code,
                    rank=rank,
                    priority_situation=situation,
                )
                for rank, code in enumerate(codes, start=1)
            ]
            session.add_all(rows)
            await session.flush()
            return [row.id for row in rows]

    async def set(self, **values: object) -> None:
        async with self.sessionmaker() as session, session.begin():
            await session.execute(update(Campaign).where(Campaign.id == self.id).values(**values))

    async def outcomes(self) -> dict[int, tuple[str, str | None, int | None, int | None]]:
        """application id -> (status, reason, tier, waitlist rank)."""
        async with self.sessionmaker() as session:
            rows = await session.execute(
                select(
                    Application.id,
                    Application.status,
                    Application.reason,
                    Application.tier,
                    Application.waitlist_rank,
                ).where(Application.campaign_id == self.id)
            )
            return {row.id: (row.status, row.reason, row.tier, row.waitlist_rank) for row in rows}


async def closed_campaign(
    sessionmaker: async_sessionmaker[AsyncSession], *, answering: bool = True
) -> Closed:
    """Applications closed yesterday; answers from today (or from tomorrow if not answering)."""
    day = today()
    async with sessionmaker() as session, session.begin():
        campaign = Campaign(
            name="Cours annuels et premier semestre",
            school_year=school_year_of(day),
            covers="annual_and_first_semester",
            application_start=day - timedelta(days=15),
            application_end=day - timedelta(days=1),
            response_start=day if answering else day + timedelta(days=1),
            response_end=day + timedelta(days=22),
        )
        session.add(campaign)
        await session.flush()
        return Closed(id=campaign.id, sessionmaker=sessionmaker)


async def followed_before(
    sessionmaker: async_sessionmaker[AsyncSession], learner_id: uuid.UUID, code: str
) -> None:
    """Give the learner an old CMA account whose history holds this course."""
    async with sessionmaker() as session, session.begin():
        legacy_id = abs(hash(learner_id)) % 10**9
        session.add(LegacyAccount(id=legacy_id, email=f"{legacy_id}@ancien.cma.test"))
        await session.flush()
        session.add(
            TrainingHistory(
                legacy_account_id=legacy_id, year=2015, course_code=code, course_title="Ancien"
            )
        )
        await session.execute(
            update(Learner).where(Learner.id == learner_id).values(legacy_account_id=legacy_id)
        )

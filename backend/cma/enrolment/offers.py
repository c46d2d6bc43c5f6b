"""Offered seats: confirm, decline, expiry, and the waiting list that takes a freed seat.

A seat changes hands only with its course row locked (FOR NO KEY UPDATE, which leaves the
foreign keys of other writers alone); the database's capacity trigger is the backstop.
"""

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cma.catalogue import service as catalogue
from cma.catalogue.views import CourseView
from cma.core.clock import today
from cma.core.settings import get_settings
from cma.core.wording import french_day
from cma.enrolment.exceptions import NotAnOffer, OfferExpired
from cma.enrolment.models import HOLDING, AllocationRun, Application, ApplicationStatus, Reason
from cma.enrolment.runs import offer_deadline
from cma.enrolment.service import course_context, own_application, revealed
from cma.learners import service as learners
from cma.notifications import service as notifications


def answers_link() -> str:
    return f"{get_settings().public_url}/mon-compte/reponses"


async def confirm(session: AsyncSession, learner_id: uuid.UUID, application_id: int) -> None:
    application, campaign = await own_application(session, learner_id, application_id)
    day = today()
    if application.status == ApplicationStatus.CONFIRMED:
        return
    if application.status != ApplicationStatus.OFFERED or not revealed(campaign, day):
        raise NotAnOffer()
    assert application.offer_deadline is not None
    if day > application.offer_deadline:
        raise OfferExpired()
    application.status = ApplicationStatus.CONFIRMED.value
    application.answered_at = func.now()
    await session.flush()


async def decline(session: AsyncSession, learner_id: uuid.UUID, application_id: int) -> None:
    """Give up an offered or confirmed seat (it goes to the waiting list), or leave the list."""
    application, campaign = await own_application(session, learner_id, application_id)
    day = today()
    if application.status == ApplicationStatus.DECLINED:
        return
    holding = application.status in HOLDING
    if not revealed(campaign, day) or not (
        holding or application.status == ApplicationStatus.WAITLISTED
    ):
        raise NotAnOffer()
    application.status = ApplicationStatus.DECLINED.value
    application.answered_at = func.now()
    await session.flush()
    if holding:
        await promote(session, application.course_code, day)


async def promote(session: AsyncSession, course_code: str, day: date) -> int:
    """Offer the course's free seats to the next on its waiting list; returns how many."""
    course = await catalogue.course_view(session, course_code, lock=True)
    if course is None:
        return 0
    campaign = course.campaign
    run = await session.scalar(
        select(AllocationRun).where(AllocationRun.campaign_id == course.campaign_id)
    )
    if (
        run is None
        or course.cancelled_at is not None
        or not revealed(campaign, day)
        or day > campaign.response_end
    ):
        return 0
    taken = await session.scalar(
        select(func.count()).where(
            Application.course_code == course_code, Application.status.in_(HOLDING)
        )
    )
    assert taken is not None
    offered = 0
    while taken < course.seats:
        following = await session.scalar(
            select(Application)
            .where(
                Application.course_code == course_code,
                Application.status == ApplicationStatus.WAITLISTED,
            )
            .order_by(Application.waitlist_rank)
            .limit(1)
            .with_for_update()
        )
        if following is None:
            break
        held = await session.scalar(
            select(func.count()).where(
                Application.learner_id == following.learner_id,
                Application.campaign_id == campaign.id,
                Application.status.in_(HOLDING),
            )
        )
        if held is not None and held >= run.cap:
            following.status = ApplicationStatus.NOT_RETAINED.value
            following.reason = Reason.CAP_REACHED.value
            await session.flush()
            continue
        following.status = ApplicationStatus.OFFERED.value
        following.reason = Reason.PROMOTED.value
        following.offer_deadline = offer_deadline(campaign, day)
        await session.flush()
        await _mail_offer(session, following, course)
        taken += 1
        offered += 1
    return offered


async def _mail_offer(session: AsyncSession, application: Application, course: CourseView) -> None:
    person = (await learners.people(session, [application.learner_id]))[application.learner_id]
    assert application.offer_deadline is not None
    await notifications.enqueue(
        session,
        "seat_offered",
        person.email,
        account_id=person.account_id,
        context={
            "course": course_context(course),
            "deadline": french_day(application.offer_deadline),
            "link": answers_link(),
        },
    )


async def expire(session: AsyncSession, day: date | None = None) -> int:
    """Offers whose last day has passed lose their seat, and every free seat of a course whose
    answers are out goes down its waiting list; returns how many offers expired.

    The sweep catches seats freed while nothing could be offered yet: between the allocation
    and the first day of answers, an erasure or a withdrawal frees a seat that `promote`
    must leave alone, and it is offered here once the answers are out.
    """
    day = day or today()
    lapsed = list(
        await session.scalars(
            select(Application)
            .where(
                Application.status == ApplicationStatus.OFFERED,
                Application.offer_deadline < day,
            )
            .order_by(Application.id)
            .with_for_update(skip_locked=True)
        )
    )
    for application in lapsed:
        application.status = ApplicationStatus.EXPIRED.value
    await session.flush()
    seats = await catalogue.answering_seats(session, day)
    rows = await session.execute(
        select(
            Application.course_code,
            func.count().filter(Application.status.in_(HOLDING)),
            func.count().filter(Application.status == ApplicationStatus.WAITLISTED),
        )
        .where(Application.course_code.in_(list(seats)))
        .group_by(Application.course_code)
    )
    vacant = {code for code, held, waiting in rows if waiting and held < seats[code]}
    for code in sorted(vacant | {a.course_code for a in lapsed}):
        await promote(session, code, day)
    return len(lapsed)

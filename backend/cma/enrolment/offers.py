"""Offered seats and the waiting list that lives on after the allocation.

A freed seat goes to the next on its course's list (the list is in priority, then draw,
order). A learner who already holds as many courses as the campaign allows is offered it only
if they ranked it above one they hold. With their "répondeur automatique" on, a seat offered
to them is accepted for them at once, and their lowest-ranked seat, beyond the cap, goes down
its own list; without it, the offer says which seat accepting would free. Whoever holds their
full share of courses leaves the lists of the courses they ranked below all of them. An offer
not confirmed by its deadline (a reminder goes the day before, by mail and SMS) moves on; the
worker's sweep does that, and offers the seats freed meanwhile: nobody on staff needs to act.

A seat changes hands only with its course row locked (FOR NO KEY UPDATE, which leaves the
foreign keys of other writers alone); the database's capacity trigger is the backstop.
"""

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cma.catalogue import service as catalogue
from cma.catalogue.views import CourseView
from cma.core.clock import today
from cma.core.settings import get_settings
from cma.core.wording import french_day
from cma.enrolment import auto_response
from cma.enrolment.exceptions import NotAnOffer, OfferExpired
from cma.enrolment.models import (
    HOLDING,
    AllocationRun,
    Application,
    ApplicationStatus,
    Reason,
)
from cma.enrolment.runs import offer_deadline
from cma.enrolment.service import course_context, own_application, revealed
from cma.learners import service as learners
from cma.notifications import service as notifications


def answers_link() -> str:
    return f"{get_settings().public_url}/mon-compte/reponses"


async def confirm(session: AsyncSession, learner_id: uuid.UUID, application_id: int) -> None:
    """Confirm an offered seat; one held beyond the campaign's cap (an offer accepted over a
    seat ranked lower) frees that lower seat."""
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
    freed = await _within_cap(session, application, campaign.max_accepted)
    await promote_all(session, freed, day)


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
        await promote_all(session, {application.course_code}, day)


async def _held(
    session: AsyncSession, learner_id: uuid.UUID, campaign_id: int
) -> list[Application]:
    """The learner's seats in the campaign, best ranked first, locked."""
    return list(
        await session.scalars(
            select(Application)
            .where(
                Application.learner_id == learner_id,
                Application.campaign_id == campaign_id,
                Application.status.in_(HOLDING),
            )
            .order_by(Application.rank)
            .with_for_update()
        )
    )


async def _within_cap(session: AsyncSession, gained: Application, cap: int) -> set[str]:
    """After `gained` became the learner's: past the cap, their lowest-ranked other seat is
    freed; holding their full share, they leave the lists of courses ranked below all of it.
    Returns the courses whose seat was freed."""
    held = await _held(session, gained.learner_id, gained.campaign_id)
    freed: set[str] = set()
    # Only seats ranked below the one gained: a better offer still pending stays theirs to
    # answer (until then they may hold more than the cap, as offers).
    below = [a for a in held if a.rank > gained.rank]
    while len(held) > cap and below:
        lowest = below.pop()
        lowest.status = ApplicationStatus.DECLINED.value
        lowest.reason = Reason.SWAPPED.value
        lowest.answered_at = func.now()
        held.remove(lowest)
        freed.add(lowest.course_code)
    if len(held) >= cap:
        worst = max(a.rank for a in held)
        outranked = await session.scalars(
            select(Application)
            .where(
                Application.learner_id == gained.learner_id,
                Application.campaign_id == gained.campaign_id,
                Application.status == ApplicationStatus.WAITLISTED,
                Application.rank > worst,
            )
            .with_for_update()
        )
        for application in outranked:
            application.status = ApplicationStatus.NOT_RETAINED.value
            application.reason = Reason.CAP_REACHED.value
    await session.flush()
    return freed


async def promote_all(session: AsyncSession, codes: set[str], day: date) -> int:
    """Offer the free seats of these courses down their lists, and those that this frees in
    turn (a seat accepted for a learner frees their lower one); returns how many offers."""
    offered = 0
    pending = set(codes)
    while pending:
        code = min(pending)  # courses in one order: two sweeps lock them alike
        pending.discard(code)
        made, freed = await _promote(session, code, day)
        offered += made
        pending |= freed
    return offered


async def promote(session: AsyncSession, course_code: str, day: date) -> int:
    """Offer the course's free seats to the next on its waiting list; returns how many."""
    return await promote_all(session, {course_code}, day)


async def _promote(session: AsyncSession, course_code: str, day: date) -> tuple[int, set[str]]:
    course = await catalogue.course_view(session, course_code, lock=True)
    if course is None:
        return 0, set()
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
        return 0, set()
    taken = await session.scalar(
        select(func.count()).where(
            Application.course_code == course_code, Application.status.in_(HOLDING)
        )
    )
    assert taken is not None
    offered = 0
    freed: set[str] = set()
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
        held = await _held(session, following.learner_id, campaign.id)
        lowest = held[-1] if len(held) >= run.cap else None
        if lowest is not None and following.rank > lowest.rank:
            # Ranked below every seat they hold, and they hold their full share.
            following.status = ApplicationStatus.NOT_RETAINED.value
            following.reason = Reason.CAP_REACHED.value
            await session.flush()
            continue
        following.reason = Reason.PROMOTED.value
        taken += 1
        offered += 1
        following.offer_deadline = offer_deadline(campaign, day)
        if await auto_response.is_on(session, following.learner_id, following.campaign_id):
            following.status = ApplicationStatus.CONFIRMED.value
            following.answered_at = func.now()
            await session.flush()
            freed |= await _within_cap(session, following, run.cap)
            await _mail(session, following, "seat_accepted", course, released=lowest)
            continue
        following.status = ApplicationStatus.OFFERED.value
        await session.flush()
        await _mail(session, following, "seat_offered", course, released=lowest)
    return offered, freed


async def _mail(
    session: AsyncSession,
    application: Application,
    template: str,
    course: CourseView,
    *,
    released: Application | None,
) -> None:
    person = (await learners.people(session, [application.learner_id]))[application.learner_id]
    other = (
        course_context(
            (await catalogue.courses_by_code(session, [released.course_code]))[released.course_code]
        )
        if released is not None
        else None
    )
    context: dict[str, Any] = {"course": course_context(course), "link": answers_link()}
    if template == "seat_offered":
        assert application.offer_deadline is not None
        context |= {"deadline": french_day(application.offer_deadline), "releases": other}
    else:
        context["released"] = other
    await notifications.enqueue(
        session, template, person.email, account_id=person.account_id, context=context
    )


async def _remind(session: AsyncSession, day: date) -> int:
    """The day before an offer's last day, its learner is reminded by mail and by SMS."""
    due = list(
        await session.scalars(
            select(Application)
            .where(
                Application.status == ApplicationStatus.OFFERED,
                Application.offer_deadline == day + timedelta(days=1),
                Application.reminded_at.is_(None),
            )
            .order_by(Application.id)
            .with_for_update(skip_locked=True)
        )
    )
    if not due:
        return 0
    courses = await catalogue.courses_by_code(session, {a.course_code for a in due})
    people = await learners.people(session, {a.learner_id for a in due})
    for application in due:
        assert application.offer_deadline is not None
        person = people[application.learner_id]
        context = {
            "course": course_context(courses[application.course_code]),
            "deadline": french_day(application.offer_deadline),
            "link": answers_link(),
        }
        await notifications.enqueue_mail_and_sms(
            session,
            "offer_reminder",
            person.email,
            person.mobile_phone,
            account_id=person.account_id,
            context=context,
        )
        application.reminded_at = func.now()
    await session.flush()
    return len(due)


async def expire(session: AsyncSession, day: date | None = None) -> int:
    """Offers whose last day has passed lose their seat, offers whose last day is tomorrow
    are reminded, and every free seat of a course whose answers are out goes down its waiting
    list; returns how many offers expired.

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
    await _remind(session, day)
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
    await promote_all(session, vacant | {a.course_code for a in lapsed}, day)
    return len(lapsed)

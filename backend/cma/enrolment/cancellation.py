"""A cancelled course: its applications end, its learners hear it by mail and by SMS."""

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from cma.catalogue import service as catalogue
from cma.catalogue.exceptions import CourseNotFound
from cma.catalogue.views import CourseView
from cma.enrolment.exceptions import CourseAlreadyCancelled
from cma.enrolment.labels import STATUS_LABELS
from cma.enrolment.models import Application, ApplicationStatus, BasketItem, Reason
from cma.enrolment.service import course_context
from cma.learners import service as learners
from cma.learners.service import Person
from cma.notifications import service as notifications

# Applications still alive: waiting for the allocation, holding a seat or waiting for one.
LIVE = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.OFFERED,
    ApplicationStatus.CONFIRMED,
    ApplicationStatus.WAITLISTED,
)


async def _course(session: AsyncSession, code: str, *, lock: bool) -> CourseView:
    course = await catalogue.course_view(session, code, lock=lock)
    if course is None:
        raise CourseNotFound()
    if course.cancelled_at is not None:
        raise CourseAlreadyCancelled()
    return course


async def _reached(
    session: AsyncSession, code: str, *, lock: bool = False
) -> list[tuple[Application, Person]]:
    """The live applications of the course, with whom they belong to, by name."""
    query = select(Application).where(Application.course_code == code, Application.status.in_(LIVE))
    applications = list(await session.scalars(query.with_for_update() if lock else query))
    found = await learners.people(session, {a.learner_id for a in applications})
    reached = [(a, found[a.learner_id]) for a in applications]
    return sorted(reached, key=lambda pair: (pair[1].sort_key, pair[0].id))


async def preview(session: AsyncSession, code: str) -> dict[str, Any]:
    """Whom cancelling the course would reach, and the mail and SMS they would get."""
    course = await _course(session, code, lock=False)
    reached = [
        {
            "name": person.name,
            "email": person.email,
            "mobile_phone": person.mobile_phone,
            "status": application.status,
            "status_label": STATUS_LABELS[ApplicationStatus(application.status)],
        }
        for application, person in await _reached(session, course.code)
    ]
    return {
        "code": course.code,
        "title": course.title,
        "learners": reached,
        "message": notifications.preview("course_cancelled", {"course": course_context(course)}),
    }


async def cancel(session: AsyncSession, code: str) -> int:
    """Cancel the course; returns how many learners were told."""
    course = await _course(session, code, lock=True)
    await catalogue.mark_cancelled(session, course.code)
    context = {"course": course_context(course)}
    told = 0
    for application, person in await _reached(session, course.code, lock=True):
        application.status = ApplicationStatus.CANCELLED.value
        application.reason = Reason.COURSE_CANCELLED.value
        await notifications.enqueue_mail_and_sms(
            session,
            "course_cancelled",
            person.email,
            person.mobile_phone,
            account_id=person.account_id,
            context=context,
        )
        told += 1
    await session.execute(delete(BasketItem).where(BasketItem.course_code == course.code))
    await session.flush()
    return told

"""A cancelled course: its applications end, its learners hear it by mail and by SMS."""

from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from cma.accounts.models import Account
from cma.catalogue.exceptions import CourseNotFound
from cma.catalogue.models import Course
from cma.enrolment.exceptions import CourseAlreadyCancelled
from cma.enrolment.labels import STATUS_LABELS
from cma.enrolment.models import Application, ApplicationStatus, BasketItem, Reason
from cma.enrolment.service import course_context
from cma.learners.models import Learner
from cma.notifications import service as notifications
from cma.notifications.models import Channel

# Applications still alive: waiting for the allocation, holding a seat or waiting for one.
LIVE = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.OFFERED,
    ApplicationStatus.CONFIRMED,
    ApplicationStatus.WAITLISTED,
)


async def _course(session: AsyncSession, code: str, *, lock: bool) -> Course:
    query = select(Course).where(Course.code == code).options(joinedload(Course.venue))
    course = await session.scalar(
        query.with_for_update(of=Course, key_share=True) if lock else query
    )
    if course is None:
        raise CourseNotFound()
    if course.cancelled_at is not None:
        raise CourseAlreadyCancelled()
    return course


def _reached(code: str) -> Select[Application, Learner, Account]:
    """The live applications of the course, with whom they belong to."""
    return (
        select(Application, Learner, Account)
        .join(Learner, Learner.id == Application.learner_id)
        .join(Account, Account.id == Learner.account_id)
        .where(Application.course_code == code, Application.status.in_(LIVE))
        .order_by(Learner.last_name, Learner.first_name, Application.id)
    )


async def preview(session: AsyncSession, code: str) -> dict[str, Any]:
    """Whom cancelling the course would reach, and the mail and SMS they would get."""
    course = await _course(session, code, lock=False)
    learners = [
        {
            "name": f"{learner.first_name} {learner.last_name}",
            "email": account.email,
            "mobile_phone": learner.mobile_phone or account.mobile_phone,
            "status": application.status,
            "status_label": STATUS_LABELS[ApplicationStatus(application.status)],
        }
        for application, learner, account in await session.execute(_reached(course.code))
    ]
    return {
        "code": course.code,
        "title": course.title,
        "learners": learners,
        "message": notifications.preview("course_cancelled", {"course": course_context(course)}),
    }


async def cancel(session: AsyncSession, code: str) -> int:
    """Cancel the course; returns how many learners were told."""
    course = await _course(session, code, lock=True)
    course.cancelled_at = func.now()
    rows = await session.execute(_reached(course.code).with_for_update(of=Application))
    context = {"course": course_context(course)}
    told = 0
    for application, learner, account in rows:
        application.status = ApplicationStatus.CANCELLED.value
        application.reason = Reason.COURSE_CANCELLED.value
        await notifications.enqueue(
            session, "course_cancelled", account.email, account_id=account.id, context=context
        )
        mobile = learner.mobile_phone or account.mobile_phone
        if mobile:
            await notifications.enqueue(
                session,
                "course_cancelled",
                mobile,
                account_id=account.id,
                context=context,
                channel=Channel.SMS,
            )
        told += 1
    await session.execute(delete(BasketItem).where(BasketItem.course_code == course.code))
    await session.flush()
    return told

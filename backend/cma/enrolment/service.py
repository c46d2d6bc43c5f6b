"""The rules of "Mon panier" and of the applications (journey F, the learner's side).

The time of submission never matters: nothing here is first-come-first-served, so
submitting, resubmitting or withdrawing only changes what the allocation will read.
"""

import secrets
import uuid
from datetime import date
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from cma.accounts.views import AccountView
from cma.catalogue import service as catalogue
from cma.catalogue.labels import WEEKDAY_LABELS
from cma.catalogue.views import CampaignView, CourseView
from cma.core.clock import today
from cma.core.problems import FieldError, InvalidInput
from cma.core.wording import french_day, french_hour, french_moment
from cma.enrolment import auto_response, explanations, lottery
from cma.enrolment.exceptions import (
    AlreadyInBasket,
    ApplicationNotFound,
    BasketFull,
    CourseNotOpen,
    EmptyBasket,
    NotInBasket,
    OtherCampaign,
    PeriodClosed,
    TimeOverlap,
)
from cma.enrolment.labels import REASON_LABELS, STATUS_LABELS, TIER_LABELS, draw_label
from cma.enrolment.models import (
    AllocationRun,
    Application,
    ApplicationStatus,
    BasketItem,
    Reason,
    Receipt,
)
from cma.enrolment.schemas import Answers, BasketLine
from cma.learners import service as learners
from cma.notifications import service as notifications

ANSWER_FIELDS = ("priority_situation", "previous_level", "motivation")


def _overlap(a: CourseView, b: CourseView) -> bool:
    return a.weekday == b.weekday and a.start_time < b.end_time and b.start_time < a.end_time


def course_context(course: CourseView) -> dict[str, Any]:
    """A course as the mails name it (its venue loaded)."""
    return {
        "title": course.title,
        "code": course.code,
        "when": f"{WEEKDAY_LABELS[course.weekday].lower()} "
        f"{french_hour(course.start_time.hour, course.start_time.minute)} – "
        f"{french_hour(course.end_time.hour, course.end_time.minute)}",
        "venue": course.venue.name,
    }


def brief(course: CourseView) -> dict[str, Any]:
    return {
        "code": course.code,
        "title": course.title,
        "weekday_label": WEEKDAY_LABELS[course.weekday],
        "start_time": course.start_time,
        "end_time": course.end_time,
        "venue": course.venue.name,
        "arrondissement": course.venue.arrondissement,
        "needs_motivation": course.needs_motivation,
        "needs_priority_situation": course.needs_priority_situation,
    }


# The statements of every basket request are built once: composing one costs about as much
# as running it.
_BASKET_LOCK = select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("key"), 0)))
_ITEMS = (
    select(BasketItem)
    .where(BasketItem.learner_id == bindparam("learner_id"))
    .order_by(BasketItem.rank)
)
_SUBMITTED_LINES = select(
    Application.course_code,
    Application.rank,
    Application.priority_situation,
    Application.previous_level,
    Application.motivation,
).where(
    Application.learner_id == bindparam("learner_id"),
    Application.status == ApplicationStatus.SUBMITTED,
)

_WITHDRAW_SUBMITTED = (
    update(Application)
    .where(
        Application.learner_id == bindparam("of_learner"),
        Application.campaign_id == bindparam("of_campaign"),
        Application.status == ApplicationStatus.SUBMITTED,
    )
    .values(status=ApplicationStatus.WITHDRAWN.value, withdrawn_at=func.now())
)
# On the table, not the mapped class: an INSERT … SELECT is not the ORM's bulk insert.
_APPLICATIONS_TABLE = cast(Table, Application.__table__)
_BASKET_AS_APPLICATIONS = insert(_APPLICATIONS_TABLE).from_select(
    ["learner_id", "campaign_id", "course_code", "rank", *ANSWER_FIELDS],
    select(
        BasketItem.learner_id,
        BasketItem.campaign_id,
        BasketItem.course_code,
        BasketItem.rank,
        *(getattr(BasketItem, f) for f in ANSWER_FIELDS),
    ).where(BasketItem.learner_id == bindparam("of_learner")),
)
_SUBMIT_BASKET = _BASKET_AS_APPLICATIONS.on_conflict_do_update(
    index_elements=[Application.learner_id, Application.course_code],
    set_={
        **{k: _BASKET_AS_APPLICATIONS.excluded[k] for k in ("rank", *ANSWER_FIELDS)},
        "status": ApplicationStatus.SUBMITTED.value,
        "withdrawn_at": None,
    },
)


async def _lock_basket(session: AsyncSession, learner_id: uuid.UUID) -> None:
    """Take the learner's basket lock for the transaction.

    Two changes at once (two tabs, a retried request) are made one after the other, so each
    one's checks (one campaign, the maximum, no overlap) see the other's line. It is taken
    before any row of the learner's applications, by every change, so that two changes never
    wait for each other's locks in opposite orders.
    """
    await session.execute(_BASKET_LOCK, {"key": f"basket:{learner_id}"})


async def _items(
    session: AsyncSession, learner_id: uuid.UUID, *, to_change: bool = True
) -> list[tuple[BasketItem, CourseView]]:
    """The basket's lines with their courses, in order; `to_change` (every caller but the
    reader) takes the basket lock first."""
    if to_change:
        await _lock_basket(session, learner_id)
    items = list(await session.scalars(_ITEMS, {"learner_id": learner_id}))
    courses = await catalogue.courses_by_code(session, [item.course_code for item in items])
    return [(item, courses[item.course_code]) for item in items]


class HasAnswers(Protocol):
    @property
    def priority_situation(self) -> Any: ...
    @property
    def motivation(self) -> str | None: ...


def _check_answers(course: CourseView, answers: HasAnswers, prefix: str = "") -> None:
    errors = []
    if course.needs_priority_situation and answers.priority_situation is None:
        errors.append(
            FieldError(
                field=f"{prefix}priority_situation",
                message="Ce cours demande votre situation (demandeur d'emploi, RSA… ou aucune).",
                code="missing",
            )
        )
    if course.needs_motivation and not (answers.motivation and len(answers.motivation) >= 20):
        errors.append(
            FieldError(
                field=f"{prefix}motivation",
                message="Ce cours demande quelques lignes de motivation (20 caractères au moins).",
                code="missing",
            )
        )
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)


def _named(campaign: CampaignView) -> str:
    """A campaign as a person tells it from another of the same name: by its year and dates."""
    return (
        f"« {campaign.name} » {campaign.school_year} (inscriptions du "
        f"{french_day(campaign.application_start)} au {french_day(campaign.application_end)})"
    )


def _check_fits(course: CourseView, others: list[CourseView]) -> None:
    """A basket holds courses of one open campaign, up to its maximum, never at once."""
    if others and others[0].campaign_id != course.campaign_id:
        raise OtherCampaign(
            f"Votre panier contient des cours de la campagne {_named(others[0].campaign)}. "
            f"Ce cours est de la campagne {_named(course.campaign)} : déposez ou videz "
            "d'abord votre panier, puis ajoutez-le."
        )
    if len(others) >= course.campaign.max_courses:
        raise BasketFull(
            f"Votre panier contient déjà {course.campaign.max_courses} cours, le maximum pour "
            f"la campagne « {course.campaign.name} ». Retirez-en un pour en ajouter un autre."
        )
    for other in others:
        if _overlap(course, other):
            raise TimeOverlap(
                f"Ce cours a lieu en même temps que « {other.title} » ({other.code}), déjà "
                "dans votre panier."
            )


async def basket(
    session: AsyncSession,
    learner_id: uuid.UUID,
    items: list[tuple[BasketItem, CourseView]] | None = None,
) -> dict[str, Any]:
    """The basket as "Mon panier" shows it; `items`, when the caller has just written them."""
    if items is None:
        items = await _items(session, learner_id, to_change=False)
    campaign = items[0][1].campaign if items else None
    filed = await _submitted_lines(session, learner_id)
    submitted = bool(items) and _lines(items) == filed
    standing = await _standing_receipt(session, learner_id) if filed else None
    return {
        "campaign_id": campaign.id if campaign else None,
        "campaign_name": campaign.name if campaign else None,
        "max_courses": campaign.max_courses if campaign else None,
        "items": [
            {
                "rank": item.rank,
                "course": brief(course),
                **{f: getattr(item, f) for f in ANSWER_FIELDS},
            }
            for item, course in items
        ],
        "submitted": submitted,
        "replaces_applications": bool(filed) and not submitted,
        "receipt": receipt_out(*standing) if standing else None,
    }


def _lines(items: list[tuple[BasketItem, CourseView]]) -> set[tuple[Any, ...]]:
    return {
        (i.course_code, i.rank, i.priority_situation, i.previous_level, i.motivation)
        for i, _ in items
    }


async def _submitted_lines(session: AsyncSession, learner_id: uuid.UUID) -> set[tuple[Any, ...]]:
    """The learner's submitted applications, as basket lines (course, rank, answers)."""
    return {
        tuple(line) for line in await session.execute(_SUBMITTED_LINES, {"learner_id": learner_id})
    }


async def add(
    session: AsyncSession, learner_id: uuid.UUID, code: str, answers: Answers
) -> dict[str, Any]:
    """Adds the course; the basket after it."""
    course = await catalogue.open_course(session, code)
    if course is None or not course.campaign.accepts_applications(today()):
        raise CourseNotOpen()
    items = await _items(session, learner_id)
    if any(c.code == course.code for _, c in items):
        raise AlreadyInBasket()
    _check_fits(course, [c for _, c in items])
    _check_answers(course, answers)
    item = BasketItem(
        learner_id=learner_id,
        campaign_id=course.campaign_id,
        course_code=course.code,
        rank=max((i.rank for i, _ in items), default=0) + 1,
        **answers.model_dump(include=set(ANSWER_FIELDS)),
    )
    session.add(item)
    await session.flush()
    return await basket(session, learner_id, [*items, (item, course)])


async def remove(session: AsyncSession, learner_id: uuid.UUID, code: str) -> None:
    items = await _items(session, learner_id)
    if not any(c.code == code.upper() for _, c in items):
        raise NotInBasket()
    await _replace(
        session,
        learner_id,
        [(i, c) for i, c in items if c.code != code.upper()],
    )


async def _replace(
    session: AsyncSession, learner_id: uuid.UUID, lines: list[tuple[Any, CourseView]]
) -> None:
    """Write the basket anew in this order (ranks 1, 2, …)."""
    await session.execute(delete(BasketItem).where(BasketItem.learner_id == learner_id))
    await session.flush()
    for rank, (answers, course) in enumerate(lines, start=1):
        session.add(
            BasketItem(
                learner_id=learner_id,
                campaign_id=course.campaign_id,
                course_code=course.code,
                rank=rank,
                **{f: getattr(answers, f) for f in ANSWER_FIELDS},
            )
        )
    await session.flush()


async def reorder(session: AsyncSession, learner_id: uuid.UUID, lines: list[BasketLine]) -> None:
    """The same courses in a new order, with their answers (what GET returned, edited)."""
    current = {c.code: c for _, c in await _items(session, learner_id)}
    codes = [line.course_code.upper() for line in lines]
    if sorted(codes) != sorted(current):
        raise InvalidInput.for_field(
            "items", "La liste doit reprendre les cours du panier, chacun une fois."
        )
    for index, line in enumerate(lines):
        _check_answers(current[codes[index]], line, prefix=f"items.{index}.")
    await _replace(
        session,
        learner_id,
        [(line, current[code]) for line, code in zip(lines, codes, strict=True)],
    )


async def submit(
    session: AsyncSession, account: AccountView, learner_id: uuid.UUID
) -> dict[str, Any]:
    """The basket becomes the applications of its campaign, in one transaction, and a mail
    lists them with the receipt's reference; a basket already submitted as it stands changes
    nothing and sends nothing (a second click, a retried request, or somebody with the session
    filling the inbox): its receipt is given again."""
    items = await _items(session, learner_id)
    if not items:
        raise EmptyBasket()
    day = today()
    campaign = items[0][1].campaign
    if not campaign.accepts_applications(day):
        raise PeriodClosed("La période d'inscription de cette campagne est terminée.")
    for item, course in items:
        _check_answers(course, item)
    if _lines(items) == await _submitted_lines(session, learner_id):
        last = await _last_receipt(session, learner_id, campaign.id)
        if last is not None:
            return receipt_out(last, campaign)
    # Withdraw them all, then put back what the basket holds: ranks never collide midway.
    await session.execute(
        _WITHDRAW_SUBMITTED, {"of_learner": learner_id, "of_campaign": campaign.id}
    )
    await session.execute(_SUBMIT_BASKET, {"of_learner": learner_id})
    receipt = Receipt(
        reference=_new_reference(),
        learner_id=learner_id,
        campaign_id=campaign.id,
        courses=[
            {"rank": item.rank, "code": course.code, "title": course.title}
            for item, course in items
        ],
    )
    session.add(receipt)
    await session.flush()
    await session.refresh(receipt, ["submitted_at"])
    await notifications.enqueue(
        session,
        "applications_submitted",
        account.email,
        account_id=account.id,
        context={
            "campaign": campaign.name,
            "reference": receipt.reference,
            "submitted_at": french_moment(receipt.submitted_at),
            "application_end": french_day(campaign.application_end),
            "response_start": french_day(campaign.response_start),
            "response_end": french_day(campaign.response_end),
            "courses": [{"rank": item.rank, **course_context(course)} for item, course in items],
        },
    )
    await session.flush()
    return receipt_out(receipt, campaign)


# Without look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B), for a reference read out on the phone.
_REFERENCE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


def _new_reference() -> str:
    draw = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"CMA-{draw[:4]}-{draw[4:]}"


async def _last_receipt(
    session: AsyncSession, learner_id: uuid.UUID, campaign_id: int
) -> Receipt | None:
    return await session.scalar(
        select(Receipt)
        .where(Receipt.learner_id == learner_id, Receipt.campaign_id == campaign_id)
        .order_by(Receipt.submitted_at.desc())
        .limit(1)
    )


async def _standing_receipt(
    session: AsyncSession, learner_id: uuid.UUID
) -> tuple[Receipt, CampaignView] | None:
    """The last receipt of a campaign where the learner's applications still stand."""
    found = await session.scalar(
        select(Receipt)
        .where(
            Receipt.learner_id == learner_id,
            select(Application.id)
            .where(
                Application.learner_id == learner_id,
                Application.campaign_id == Receipt.campaign_id,
                Application.status == ApplicationStatus.SUBMITTED,
            )
            .exists(),
        )
        .order_by(Receipt.submitted_at.desc())
        .limit(1)
    )
    if found is None:
        return None
    campaign = await catalogue.campaign_view(session, found.campaign_id)
    assert campaign is not None  # a receipt's campaign stays (its foreign key restricts)
    return found, campaign


def receipt_out(receipt: Receipt, campaign: CampaignView) -> dict[str, Any]:
    """A receipt with what comes next: until when the basket may change, when answers come."""
    return {
        "reference": receipt.reference,
        "submitted_at": receipt.submitted_at,
        "campaign_name": campaign.name,
        "courses": receipt.courses,
        "application_end": campaign.application_end,
        "response_start": campaign.response_start,
        "response_end": campaign.response_end,
    }


async def receipts(session: AsyncSession, learner_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every receipt of the learner, oldest first (their export, staff's view of them)."""
    rows = list(
        await session.scalars(
            select(Receipt).where(Receipt.learner_id == learner_id).order_by(Receipt.submitted_at)
        )
    )
    campaigns = await catalogue.campaigns_by_id(session, {r.campaign_id for r in rows})
    return [
        {
            "reference": r.reference,
            "submitted_at": r.submitted_at,
            "campaign_name": campaigns[r.campaign_id].name,
            "courses": r.courses,
        }
        for r in rows
    ]


async def learner_with_receipt(session: AsyncSession, reference: str) -> uuid.UUID | None:
    """Whose receipt this reference is."""
    return await session.scalar(select(Receipt.learner_id).where(Receipt.reference == reference))


async def history(
    session: AsyncSession, account: AccountView, learner_id: uuid.UUID
) -> dict[str, Any]:
    """The old account's years, then the applications grouped by campaign, newest first."""
    legacy = [
        {
            "year": h.year,
            "course_code": h.course_code,
            "course_title": h.course_title,
            "result": h.result,
        }
        for h in await learners.history(session, account)
    ]
    campaigns: dict[int, dict[str, Any]] = {}
    for application in await applications(session, learner_id):
        group = campaigns.setdefault(
            application["campaign_id"],
            {
                "campaign_id": application["campaign_id"],
                "campaign_name": application["campaign_name"],
                "school_year": application["school_year"],
                "applications": [],
            },
        )
        group["applications"].append(application)
    return {"legacy": legacy, "campaigns": list(campaigns.values())}


def revealed(campaign: CampaignView, day: date) -> bool:
    """The allocation's answers are shown from the first day of the response period."""
    return day >= campaign.response_start


def _waitlist_position() -> Any:
    """Where a waitlisted application stands now (those ahead may have been served)."""
    ahead = aliased(Application)
    return (
        select(func.count())
        .where(
            ahead.course_code == Application.course_code,
            ahead.status == ApplicationStatus.WAITLISTED,
            ahead.waitlist_rank <= Application.waitlist_rank,
        )
        .correlate(Application)
        .scalar_subquery()
    )


_APPLICATIONS = (
    select(Application, _waitlist_position())
    .where(Application.learner_id == bindparam("learner_id"))
    .order_by(Application.status == ApplicationStatus.WITHDRAWN, Application.rank, Application.id)
)


def explain(
    app: Application,
    campaign: CampaignView,
    day: date,
    position: int | None,
    run: AllocationRun | None,
    *,
    for_staff: bool = False,
) -> dict[str, Any]:
    """The application's state for its learner (or for staff, who see the allocation's answer
    before it is announced), with what explains it."""
    status = ApplicationStatus(app.status)
    if (
        not for_staff
        and app.allocation_run_id is not None
        and status != ApplicationStatus.CANCELLED  # told by mail and SMS at once
        and not revealed(campaign, day)
    ):
        status = ApplicationStatus.SUBMITTED  # decided, not announced yet
    shown = status != ApplicationStatus.SUBMITTED and app.reason is not None
    decided = shown and run is not None and app.draw is not None
    cutoff = _cutoffs(run).get(app.course_code) if decided and run else None
    return {
        "status": status,
        "status_label": STATUS_LABELS[status],
        "reason": app.reason if shown else None,
        "reason_label": REASON_LABELS[Reason(app.reason)] if shown and app.reason else None,
        "tier": app.tier if shown else None,
        "tier_label": TIER_LABELS[app.tier] if shown and app.tier else None,
        "draw": app.draw if decided else None,
        "draw_label": draw_label(app.draw) if decided and app.draw is not None else None,
        "pseudonym": lottery.pseudonym(campaign.lottery_secret, app.learner_id).hex()
        if decided and run and run.inputs_digest
        else None,
        "cutoff": cutoff,
        "explanation": explanations.explain(
            status,
            Reason(app.reason),
            app.tier,
            app.draw,
            cutoff,
            position,
            run.cap if run else campaign.max_accepted,
        )
        if shown and app.reason
        else None,
        "waitlist_position": position if status == ApplicationStatus.WAITLISTED else None,
        "offer_deadline": app.offer_deadline if status == ApplicationStatus.OFFERED else None,
        "can_withdraw": status == ApplicationStatus.SUBMITTED
        and campaign.accepts_applications(day),
        "can_confirm": status == ApplicationStatus.OFFERED
        and app.offer_deadline is not None
        and day <= app.offer_deadline,
        "can_decline": status
        in (ApplicationStatus.OFFERED, ApplicationStatus.CONFIRMED, ApplicationStatus.WAITLISTED),
    }


def _cutoffs(run: AllocationRun) -> dict[str, dict[str, Any] | None]:
    """Each course's cut-off, as the committed run reported it."""
    return {line["code"]: line.get("cutoff") for line in run.report["courses"]}


async def applications(
    session: AsyncSession, learner_id: uuid.UUID, *, for_staff: bool = False
) -> list[dict[str, Any]]:
    rows = list(await session.execute(_APPLICATIONS, {"learner_id": learner_id}))
    decided = {app.allocation_run_id for app, _ in rows if app.allocation_run_id is not None}
    runs = {
        run.id: run
        for run in (
            await session.scalars(select(AllocationRun).where(AllocationRun.id.in_(decided)))
            if decided
            else []
        )
    }
    courses = await catalogue.courses_by_code(session, {app.course_code for app, _ in rows})
    # The newest campaign first; within one, as the query ordered them (a stable sort).
    rows.sort(key=lambda row: courses[row[0].course_code].campaign.application_start, reverse=True)
    automatic = await auto_response.campaigns_of(session, learner_id)
    day = today()
    lines = []
    for app, position in rows:
        course = courses[app.course_code]
        lines.append(
            {
                "id": app.id,
                "campaign_id": course.campaign.id,
                "campaign_name": course.campaign.name,
                "school_year": course.campaign.school_year,
                "rank": app.rank,
                "submitted_at": app.submitted_at,
                "withdrawn_at": app.withdrawn_at,
                "course": brief(course),
                "auto_response": course.campaign.id in automatic,
                **{f: getattr(app, f) for f in ANSWER_FIELDS},
                **explain(
                    app,
                    course.campaign,
                    day,
                    position,
                    runs.get(app.allocation_run_id) if app.allocation_run_id else None,
                    for_staff=for_staff,
                ),
            }
        )
    return lines


async def own_application(
    session: AsyncSession, learner_id: uuid.UUID, application_id: int
) -> tuple[Application, CampaignView]:
    """The learner's application, locked, with its campaign; 404 for anybody else's."""
    application = await session.scalar(
        select(Application)
        .where(Application.id == application_id, Application.learner_id == learner_id)
        .with_for_update()
    )
    if application is None:
        raise ApplicationNotFound()
    campaign = await catalogue.campaign_view(session, application.campaign_id)
    assert campaign is not None  # an application's campaign stays (its foreign key restricts)
    return application, campaign


async def withdraw(session: AsyncSession, learner_id: uuid.UUID, application_id: int) -> None:
    """Withdraw an application (and take its course out of the basket) until the period ends."""
    await _lock_basket(session, learner_id)
    application, campaign = await own_application(session, learner_id, application_id)
    if not campaign.accepts_applications(today()):
        raise PeriodClosed()
    if application.status != ApplicationStatus.SUBMITTED:
        return  # already withdrawn, or its course was cancelled
    application.status = ApplicationStatus.WITHDRAWN.value
    application.withdrawn_at = func.now()
    items = await _items(session, learner_id)
    if any(c.code == application.course_code for _, c in items):
        await _replace(
            session, learner_id, [(i, c) for i, c in items if c.code != application.course_code]
        )

"""What staff see of a campaign: its phase, its numbers, its next step, its timeline; and the
catalogue's courses with their demand."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from cma.catalogue import service as catalogue
from cma.catalogue.exceptions import CampaignNotFound, CourseNotFound
from cma.catalogue.service import campaign_out
from cma.catalogue.views import CampaignView
from cma.core.clock import PARIS, today
from cma.enrolment.labels import NEXT_STEP_LABELS, PHASE_LABELS
from cma.enrolment.models import NextStep, Phase

# Per campaign: its applications (withdrawn ones aside), the learners behind them and those
# with a basket not yet submitted, its allocation and answers. Its courses and seats are the
# catalogue's to count.
_NUMBERS = text("""
SELECT c.id,
       (SELECT count(*) FROM applications a
         WHERE a.campaign_id = c.id AND a.status <> 'withdrawn') AS applications,
       (SELECT count(DISTINCT a.learner_id) FROM applications a
         WHERE a.campaign_id = c.id AND a.status <> 'withdrawn') AS learners,
       (SELECT count(DISTINCT b.learner_id) FROM basket_items b
         WHERE b.campaign_id = c.id
           AND NOT EXISTS (SELECT 1 FROM applications a
                            WHERE a.campaign_id = c.id AND a.learner_id = b.learner_id
                              AND a.status <> 'withdrawn')) AS baskets,
       r.created_at AS allocated_at,
       (SELECT min(m.created_at) FROM response_mails m WHERE m.allocation_run_id = r.id)
         AS answered_at
  FROM unnest(CAST(:ids AS integer[])) AS c(id)
  LEFT JOIN allocation_runs r ON r.campaign_id = c.id
""")

# What learners ask of each course: applications (withdrawn ones aside), first choices, seats
# held and places on the waiting list.
_DEMAND = text("""
SELECT course_code,
       count(*) FILTER (WHERE status <> 'withdrawn') AS demand,
       count(*) FILTER (WHERE status <> 'withdrawn' AND rank = 1) AS first_choice,
       count(*) FILTER (WHERE status IN ('offered', 'confirmed')) AS held,
       count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted
  FROM applications WHERE course_code = ANY (CAST(:codes AS varchar[]))
 GROUP BY course_code
""")
_NO_DEMAND = {"demand": 0, "first_choice": 0, "held": 0, "waitlisted": 0}


async def _numbers(session: AsyncSession, ids: list[int]) -> dict[int, dict[str, Any]]:
    offer = await catalogue.offer_of_campaigns(session, ids)
    rows = await session.execute(_NUMBERS, {"ids": ids})
    return {
        row.id: {
            **row._mapping,
            "courses": offer[row.id][0],
            "seats": offer[row.id][1],
        }
        for row in rows
    }


async def _demand(session: AsyncSession, codes: list[str]) -> dict[str, dict[str, int]]:
    rows = await session.execute(_DEMAND, {"codes": codes})
    return {row.course_code: dict(row._mapping) for row in rows}


def _phase(campaign: CampaignView, numbers: dict[str, Any], day: date) -> Phase:
    if numbers["answered_at"] is not None:
        return Phase.ANSWERED
    if numbers["allocated_at"] is not None:
        return Phase.ALLOCATED
    if campaign.applications_over(day):
        return Phase.CLOSED
    return Phase.OPEN if campaign.accepts_applications(day) else Phase.UPCOMING


def _next_step(campaign: CampaignView, phase: Phase, day: date) -> NextStep:
    if day > campaign.response_end and phase in (Phase.ALLOCATED, Phase.ANSWERED):
        return NextStep.NONE
    return {
        Phase.UPCOMING: NextStep.PREPARE,
        Phase.OPEN: NextStep.CLOSE,
        Phase.CLOSED: NextStep.ALLOCATE,
        Phase.ALLOCATED: NextStep.ANSWER if day >= campaign.response_start else NextStep.WAIT,
        Phase.ANSWERED: NextStep.FOLLOW,
    }[phase]


def _paris_day(moment: datetime | None) -> date | None:
    return moment.astimezone(PARIS).date() if moment is not None else None


def _timeline(campaign: CampaignView, numbers: dict[str, Any], day: date) -> list[dict[str, Any]]:
    closed = _paris_day(campaign.applications_closed_at)
    steps = [
        ("created", "Campagne créée", _paris_day(campaign.created_at)),
        ("applications_start", "Ouverture des inscriptions", campaign.application_start),
        (
            "applications_end",
            "Inscriptions closes par anticipation" if closed else "Fin des inscriptions",
            closed or campaign.application_end,
        ),
        ("allocated", "Affectation enregistrée", _paris_day(numbers["allocated_at"])),
        ("responses_start", "Début de la période de réponses", campaign.response_start),
        ("answered", "Réponses envoyées", _paris_day(numbers["answered_at"])),
        ("responses_end", "Fin de la période de réponses", campaign.response_end),
    ]
    return [
        {"step": step, "label": label, "day": when, "done": when is not None and when <= day}
        for step, label, when in steps
        if when is not None or step in ("allocated", "answered")
    ]


def _overview(campaign: CampaignView, numbers: dict[str, Any], day: date) -> dict[str, Any]:
    phase = _phase(campaign, numbers, day)
    step = _next_step(campaign, phase, day)
    return {
        **campaign_out(campaign, day),
        "phase": phase,
        "phase_label": PHASE_LABELS[phase],
        "next_step": step,
        "next_step_label": NEXT_STEP_LABELS[step],
        "courses": numbers["courses"],
        "seats": numbers["seats"],
        "applications": numbers["applications"],
        "learners": numbers["learners"],
        "baskets": numbers["baskets"],
        "timeline": _timeline(campaign, numbers, day),
    }


async def campaigns(session: AsyncSession, school_year: str | None) -> list[dict[str, Any]]:
    """The campaigns (of a school year), newest first, each with its phase and numbers."""
    found = await catalogue.newest_campaigns(session, school_year)
    numbers = await _numbers(session, [c.id for c in found])
    day = today()
    return [_overview(c, numbers[c.id], day) for c in found]


async def campaign(session: AsyncSession, campaign_id: int) -> dict[str, Any]:
    """One campaign's overview, with its demand against its seats by domain."""
    found = await catalogue.campaign_view(session, campaign_id)
    if found is None:
        raise CampaignNotFound()
    numbers = (await _numbers(session, [campaign_id]))[campaign_id]
    offers = await catalogue.offer_by_domain(session, campaign_id)
    demand = await _demand(session, [code for offer in offers for code in offer.seats])
    return {
        **_overview(found, numbers, today()),
        "domains": [
            {
                "domain": offer.domain,
                "courses": len(offer.seats),
                "seats": sum(offer.seats.values()),
                "demand": sum(demand.get(c, _NO_DEMAND)["demand"] for c in offer.seats),
                "first_choice": sum(demand.get(c, _NO_DEMAND)["first_choice"] for c in offer.seats),
            }
            for offer in offers
        ],
    }


async def _with_demand(session: AsyncSession, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    demand = await _demand(session, [row["code"] for row in rows])
    return [
        {
            **row,
            **{k: demand.get(row["code"], _NO_DEMAND)[k] for k in ("demand", "held", "waitlisted")},
        }
        for row in rows
    ]


async def course(session: AsyncSession, code: str) -> dict[str, Any]:
    """One course of the staff's catalogue, with its demand."""
    rows, _ = await catalogue.staff_courses(session, code=code, limit=1)
    if not rows:
        raise CourseNotFound()
    return (await _with_demand(session, rows))[0]


async def courses(
    session: AsyncSession,
    *,
    campaign_id: int | None,
    domain: str | None,
    q: str | None,
    page: int,
    page_size: int,
) -> dict[str, Any]:
    """Courses on offer with what learners ask of them: for the staff's catalogue."""
    rows, total = await catalogue.staff_courses(
        session,
        campaign_id=campaign_id,
        domain=domain,
        q=q,
        limit=page_size,
        offset=(page - 1) * page_size,
    )
    return {
        "items": await _with_demand(session, rows),
        "total": total,
        "page": page,
        "page_size": page_size,
        "pages": -(-total // page_size),
    }

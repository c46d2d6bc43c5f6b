"""What staff see of a campaign: its phase, its numbers, its next step, its timeline; and the
catalogue's courses with their demand."""

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from cma.catalogue.exceptions import CampaignNotFound, CourseNotFound
from cma.catalogue.models import Campaign
from cma.catalogue.schemas import WEEKDAY_LABELS
from cma.catalogue.service import campaign_out, search_query
from cma.core.clock import PARIS, today


class Phase(StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"
    ALLOCATED = "allocated"
    ANSWERED = "answered"


PHASE_LABELS = {
    Phase.UPCOMING: "À venir",
    Phase.OPEN: "Inscriptions ouvertes",
    Phase.CLOSED: "Clôturée",
    Phase.ALLOCATED: "Affectée",
    Phase.ANSWERED: "Réponses envoyées",
}


class NextStep(StrEnum):
    PREPARE = "prepare"
    CLOSE = "close"
    ALLOCATE = "allocate"
    WAIT = "wait"
    ANSWER = "answer"
    FOLLOW = "follow"
    NONE = "none"


NEXT_STEP_LABELS = {
    NextStep.PREPARE: "Préparer le catalogue avant l'ouverture des inscriptions",
    NextStep.CLOSE: "Clore les inscriptions à leur date, ou par anticipation",
    NextStep.ALLOCATE: "Prévisualiser puis enregistrer l'affectation des places",
    NextStep.WAIT: "Envoyer les réponses dès le début de la période de réponses",
    NextStep.ANSWER: "Envoyer les réponses aux candidatures",
    NextStep.FOLLOW: "Suivre les confirmations et les listes d'attente",
    NextStep.NONE: "Rien : la période de réponses est terminée",
}

# Per campaign: its courses and seats on offer, its applications (withdrawn ones aside), the
# learners behind them and those with a basket not yet submitted, its allocation and answers.
_NUMBERS = text("""
SELECT c.id,
       (SELECT count(*) FROM courses k
         WHERE k.campaign_id = c.id AND k.retired_at IS NULL AND k.cancelled_at IS NULL)
         AS courses,
       (SELECT coalesce(sum(k.seats), 0) FROM courses k
         WHERE k.campaign_id = c.id AND k.retired_at IS NULL AND k.cancelled_at IS NULL)
         AS seats,
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
  FROM campaigns c LEFT JOIN allocation_runs r ON r.campaign_id = c.id
 WHERE c.id = ANY (:ids)
""")

_BY_DOMAIN = text("""
SELECT d.name AS domain, count(k.code) AS courses, coalesce(sum(k.seats), 0) AS seats,
       coalesce(sum(n.demand), 0) AS demand, coalesce(sum(n.first_choice), 0) AS first_choice
  FROM courses k JOIN domains d ON d.id = k.domain_id
  LEFT JOIN (SELECT course_code, count(*) AS demand,
                    count(*) FILTER (WHERE rank = 1) AS first_choice
               FROM applications WHERE campaign_id = :campaign AND status <> 'withdrawn'
              GROUP BY course_code) n ON n.course_code = k.code
 WHERE k.campaign_id = :campaign AND k.retired_at IS NULL AND k.cancelled_at IS NULL
 GROUP BY d.name, d.position ORDER BY d.position
""")


def _phase(campaign: Campaign, numbers: Row[Any], day: date) -> Phase:
    if numbers.answered_at is not None:
        return Phase.ANSWERED
    if numbers.allocated_at is not None:
        return Phase.ALLOCATED
    if campaign.applications_over(day):
        return Phase.CLOSED
    return Phase.OPEN if campaign.accepts_applications(day) else Phase.UPCOMING


def _next_step(campaign: Campaign, phase: Phase, day: date) -> NextStep:
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


def _timeline(campaign: Campaign, numbers: Row[Any], day: date) -> list[dict[str, Any]]:
    closed = _paris_day(campaign.applications_closed_at)
    steps = [
        ("created", "Campagne créée", _paris_day(campaign.created_at)),
        ("applications_start", "Ouverture des inscriptions", campaign.application_start),
        (
            "applications_end",
            "Inscriptions closes par anticipation" if closed else "Fin des inscriptions",
            closed or campaign.application_end,
        ),
        ("allocated", "Affectation enregistrée", _paris_day(numbers.allocated_at)),
        ("responses_start", "Début de la période de réponses", campaign.response_start),
        ("answered", "Réponses envoyées", _paris_day(numbers.answered_at)),
        ("responses_end", "Fin de la période de réponses", campaign.response_end),
    ]
    return [
        {"step": step, "label": label, "day": when, "done": when is not None and when <= day}
        for step, label, when in steps
        if when is not None or step in ("allocated", "answered")
    ]


def _overview(campaign: Campaign, numbers: Row[Any], day: date) -> dict[str, Any]:
    phase = _phase(campaign, numbers, day)
    step = _next_step(campaign, phase, day)
    return {
        **campaign_out(campaign, day),
        "phase": phase,
        "phase_label": PHASE_LABELS[phase],
        "next_step": step,
        "next_step_label": NEXT_STEP_LABELS[step],
        "courses": numbers.courses,
        "seats": numbers.seats,
        "applications": numbers.applications,
        "learners": numbers.learners,
        "baskets": numbers.baskets,
        "timeline": _timeline(campaign, numbers, day),
    }


async def campaigns(session: AsyncSession, school_year: str | None) -> list[dict[str, Any]]:
    """The campaigns (of a school year), newest first, each with its phase and numbers."""
    query = select(Campaign).order_by(Campaign.application_start.desc(), Campaign.id.desc())
    if school_year:
        query = query.where(Campaign.school_year == school_year)
    found = list(await session.scalars(query))
    numbers = {
        row.id: row for row in await session.execute(_NUMBERS, {"ids": [c.id for c in found]})
    }
    day = today()
    return [_overview(c, numbers[c.id], day) for c in found]


async def campaign(session: AsyncSession, campaign_id: int) -> dict[str, Any]:
    """One campaign's overview, with its demand against its seats by domain."""
    found = await session.get(Campaign, campaign_id)
    if found is None:
        raise CampaignNotFound()
    numbers = (await session.execute(_NUMBERS, {"ids": [campaign_id]})).one()
    domains = await session.execute(_BY_DOMAIN, {"campaign": campaign_id})
    return {
        **_overview(found, numbers, today()),
        "domains": [dict(row._mapping) for row in domains],
    }


_COURSES = """
SELECT k.code, k.title, d.name AS domain, k.weekday, k.start_time, k.end_time,
       v.name AS venue, k.teacher, k.fee, k.seats, k.campaign_id,
       k.cancelled_at IS NOT NULL AS cancelled,
       count(a.id) FILTER (WHERE a.status <> 'withdrawn') AS demand,
       count(a.id) FILTER (WHERE a.status IN ('offered', 'confirmed')) AS held,
       count(a.id) FILTER (WHERE a.status = 'waitlisted') AS waitlisted,
       count(*) OVER () AS total
  FROM courses k JOIN domains d ON d.id = k.domain_id JOIN venues v ON v.id = k.venue_id
  LEFT JOIN applications a ON a.course_code = k.code
 WHERE k.retired_at IS NULL {where}
 GROUP BY k.code, d.name, d.position, v.name
 ORDER BY {order} LIMIT :limit OFFSET :offset
"""


async def course(session: AsyncSession, code: str) -> dict[str, Any]:
    """One course of the staff's catalogue, with its demand."""
    statement = _COURSES.format(where=" AND k.code = :code", order="k.code")
    row = (await session.execute(text(statement), {"code": code, "limit": 1, "offset": 0})).first()
    if row is None:
        raise CourseNotFound()
    return {**row._mapping, "weekday_label": WEEKDAY_LABELS[row.weekday]}


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
    where: list[str] = []
    params: dict[str, Any] = {}
    order = "d.position, k.code"
    if campaign_id is not None:
        where.append("k.campaign_id = :campaign")
        params["campaign"] = campaign_id
    if domain:
        where.append("d.slug = :domain")
        params["domain"] = domain
    terms = search_query(q) if q else None
    if q and terms is None:
        return {"items": [], "total": 0, "page": page, "page_size": page_size, "pages": 0}
    if terms is not None:
        # A code typed whole or in part ("LE00") finds its course as well as the words do.
        if q and re.fullmatch(r"[A-Za-z]{2,4}[0-9]{0,5}", q):
            where.append("(k.search @@ to_tsquery('french', :terms) OR k.code LIKE :code)")
            params["code"] = q.upper() + "%"
        else:
            where.append("k.search @@ to_tsquery('french', :terms)")
        params["terms"] = terms
        order = "ts_rank_cd(k.search, to_tsquery('french', :terms)) DESC, k.code"
    statement = _COURSES.format(where="".join(f" AND {w}" for w in where), order=order)
    rows = list(
        await session.execute(
            text(statement),
            {**params, "limit": page_size, "offset": (page - 1) * page_size},
        )
    )
    total = rows[0].total if rows else 0
    return {
        "items": [{**row._mapping, "weekday_label": WEEKDAY_LABELS[row.weekday]} for row in rows],
        "total": total,
        "page": page,
        "page_size": page_size,
        "pages": -(-total // page_size),
    }

"""Allocation runs: preview a campaign's allocation, then commit it (staff, CLI and /admin)."""

import secrets
import uuid
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    SmallInteger,
    String,
    Uuid,
    any_,
    bindparam,
    delete,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from cma.catalogue import service as catalogue
from cma.catalogue.exceptions import CampaignNotFound
from cma.catalogue.views import CampaignView
from cma.core.clock import today
from cma.core.metrics import ALLOCATION_RUNS, ALLOCATION_SECONDS
from cma.enrolment.allocation import Candidate, Decision, allocate, report, tier
from cma.enrolment.exceptions import (
    AlreadyAllocated,
    ApplicationsStillOpen,
    NotAllocated,
    UnexpectedApplication,
)
from cma.enrolment.models import (
    AllocationRun,
    Application,
    ApplicationStatus,
    BasketItem,
    PrioritySituation,
)
from cma.learners import service as learners

# The situations that give priority on a course that asks for one.
SOCIAL = frozenset(
    {PrioritySituation.DEMANDEUR_EMPLOI, PrioritySituation.RSA, PrioritySituation.AUTRE_MINIMA}
)
# Courses confirmed in an earlier campaign count as done, as the old site's years do.
_CONFIRMED_ELSEWHERE = select(Application.learner_id, Application.course_code).where(
    Application.learner_id == any_(bindparam("learners", type_=ARRAY(Uuid))),
    Application.status == ApplicationStatus.CONFIRMED,
    Application.campaign_id != bindparam("campaign"),
)


_WRITE = text("""
UPDATE applications a
   SET status = d.status, outcome = d.status, reason = d.reason, tier = d.tier, draw = d.draw,
       waitlist_rank = d.waitlist_rank, allocation_run_id = :run,
       offer_deadline = CASE WHEN d.status = 'offered' THEN CAST(:deadline AS date) END
  FROM unnest(:ids, :statuses, :reasons, :tiers, :draws, :ranks)
       AS d(id, status, reason, tier, draw, waitlist_rank)
 WHERE a.id = d.id AND a.status = 'submitted'
""").bindparams(
    bindparam("ids", type_=ARRAY(BigInteger)),
    bindparam("statuses", type_=ARRAY(String)),
    bindparam("reasons", type_=ARRAY(String)),
    bindparam("tiers", type_=ARRAY(SmallInteger)),
    bindparam("draws", type_=ARRAY(BigInteger)),
    bindparam("ranks", type_=ARRAY(Integer)),
)


def new_seed() -> int:
    return secrets.randbits(52)  # exact in JSON numbers, which are doubles


def offer_deadline(campaign: CampaignView, day: date) -> date:
    """The last day to confirm an offer made on `day`: some days, within the response period."""
    start = max(day, campaign.response_start)
    return min(start + timedelta(days=campaign.confirm_days), campaign.response_end)


async def _campaign(session: AsyncSession, campaign_id: int, *, lock: bool) -> CampaignView:
    # Two allocations of one campaign at once: the second waits here, then finds the first.
    campaign = await catalogue.campaign_view(session, campaign_id, lock=lock)
    if campaign is None:
        raise CampaignNotFound()
    if not campaign.applications_over(today()):
        raise ApplicationsStillOpen()
    return campaign


async def _done(
    session: AsyncSession, campaign: CampaignView, learner_ids: set[uuid.UUID]
) -> dict[uuid.UUID, set[str]]:
    """The courses each learner has done: the old site's years, or a course confirmed in an
    earlier campaign."""
    done = await learners.courses_done(session, learner_ids)
    rows = await session.execute(
        _CONFIRMED_ELSEWHERE, {"learners": list(learner_ids), "campaign": campaign.id}
    )
    for learner_id, code in rows:
        done.setdefault(learner_id, set()).add(code)
    return done


async def _decide(
    session: AsyncSession, campaign: CampaignView, seed: int
) -> tuple[list[Decision], dict[str, int], dict[str, str]]:
    courses = {c.code: c for c in await catalogue.campaign_courses(session, campaign.id)}
    rows = list(
        await session.execute(
            select(
                Application.id,
                Application.learner_id,
                Application.course_code,
                Application.rank,
                Application.priority_situation,
            ).where(
                Application.campaign_id == campaign.id,
                Application.status == ApplicationStatus.SUBMITTED,
            )
        )
    )
    for row in rows:
        if row.course_code not in courses:
            # The database keeps an application's campaign its course's; should a row slip
            # through anyway, say which one rather than fail.
            raise UnexpectedApplication(row.id, row.course_code)
    # The social situation counts on a course that asks for it; prerequisites are met when
    # the learner has done one of the course's codes.
    done = await _done(
        session,
        campaign,
        {row.learner_id for row in rows if courses[row.course_code].prerequisite_codes},
    )
    candidates = []
    for row in rows:
        course = courses[row.course_code]
        social = course.needs_priority_situation and row.priority_situation in SOCIAL
        met = not done.get(row.learner_id, set()).isdisjoint(course.prerequisite_codes)
        candidates.append(
            Candidate(
                application_id=row.id,
                learner_id=row.learner_id,
                course_code=row.course_code,
                rank=row.rank,
                tier=tier(social, met),
            )
        )
    seats = {code: course.seats for code, course in courses.items()}
    titles = {code: course.title for code, course in courses.items()}
    return allocate(candidates, seats, seed=seed, cap=campaign.max_accepted), seats, titles


def _report(
    campaign: CampaignView,
    seed: int,
    decisions: list[Decision],
    seats: dict[str, int],
    titles: dict[str, str],
) -> dict[str, Any]:
    courses = [asdict(line) for line in report(decisions, seats)]
    for line in courses:
        line["title"] = titles[line["code"]]
        line["by_tier"] = [
            {"tier": t, "demand": d, "accepted": a} for t, (d, a) in line["by_tier"].items()
        ]
    return {
        "campaign_id": campaign.id,
        "seed": seed,
        "cap": campaign.max_accepted,
        "applications": len(decisions),
        "learners": len({d.learner_id for d in decisions}),
        "accepted": sum(line["accepted"] for line in courses),
        "waitlisted": sum(line["waitlisted"] for line in courses),
        "not_retained": sum(line["not_retained"] for line in courses),
        "courses": courses,
    }


async def preview(session: AsyncSession, campaign_id: int, seed: int | None) -> dict[str, Any]:
    """What a commit with this seed would decide; writes nothing."""
    report, _ = await preview_decisions(session, campaign_id, seed)
    return report


async def preview_decisions(
    session: AsyncSession, campaign_id: int, seed: int | None
) -> tuple[dict[str, Any], list[Decision]]:
    """The preview's report, and each of its decisions."""
    campaign = await _campaign(session, campaign_id, lock=False)
    if await committed(session, campaign.id) is not None:
        raise AlreadyAllocated()  # its applications are decided: nothing left to preview
    chosen = new_seed() if seed is None else seed
    with ALLOCATION_SECONDS.labels("preview").time():
        decisions, seats, titles = await _decide(session, campaign, chosen)
    ALLOCATION_RUNS.labels("preview").inc()
    return {**_report(campaign, chosen, decisions, seats, titles), "committed": False}, decisions


async def commit(
    session: AsyncSession, campaign_id: int, seed: int | None, by: uuid.UUID | None
) -> dict[str, Any]:
    """Decide and write the outcome of every submitted application of the campaign, once."""
    campaign = await _campaign(session, campaign_id, lock=True)
    if await session.scalar(
        select(AllocationRun.id).where(AllocationRun.campaign_id == campaign.id)
    ):
        raise AlreadyAllocated()
    chosen = new_seed() if seed is None else seed
    with ALLOCATION_SECONDS.labels("commit").time():
        decisions, seats, titles = await _decide(session, campaign, chosen)
    ALLOCATION_RUNS.labels("commit").inc()
    summary = _report(campaign, chosen, decisions, seats, titles)
    run = AllocationRun(
        campaign_id=campaign.id,
        seed=chosen,
        cap=campaign.max_accepted,
        committed_by=by,
        report=summary,
    )
    session.add(run)
    await session.flush()
    await session.execute(
        _WRITE,
        {
            "run": run.id,
            "deadline": offer_deadline(campaign, today()),
            "ids": [d.application_id for d in decisions],
            "statuses": [d.status.value for d in decisions],
            "reasons": [d.reason.value for d in decisions],
            "tiers": [d.tier for d in decisions],
            "draws": [d.draw for d in decisions],
            "ranks": [d.waitlist_rank for d in decisions],
        },
    )
    # The baskets of the campaign have served: their applications are decided.
    await session.execute(delete(BasketItem).where(BasketItem.campaign_id == campaign.id))
    return {**summary, "committed": True, "run_id": run.id}


async def replay(
    session: AsyncSession, campaign_id: int, seed: int | None = None
) -> list[Decision]:
    """The committed allocation decided again from what it stored (tiers, ranks, seed, cap):
    an auditor compares it with each application's `outcome` and `waitlist_rank`, or sees
    what another seed would have done."""
    run = await committed_run(session, campaign_id)
    seats = {line["code"]: line["seats"] for line in run.report["courses"]}  # as they were
    rows = await session.execute(
        select(
            Application.id,
            Application.learner_id,
            Application.course_code,
            Application.rank,
            Application.tier,
        ).where(Application.allocation_run_id == run.id)
    )
    candidates = [
        Candidate(row.id, row.learner_id, row.course_code, row.rank, row.tier) for row in rows
    ]
    return allocate(candidates, seats, seed=run.seed if seed is None else seed, cap=run.cap)


async def committed_run(session: AsyncSession, campaign_id: int) -> AllocationRun:
    """The campaign's committed allocation; 404 for no such campaign, 409 before its commit."""
    run = await committed(session, campaign_id)
    if run is not None:
        return run
    if await catalogue.campaign_view(session, campaign_id) is None:
        raise CampaignNotFound()
    raise NotAllocated()


async def committed(session: AsyncSession, campaign_id: int) -> AllocationRun | None:
    return await session.scalar(
        select(AllocationRun).where(AllocationRun.campaign_id == campaign_id)
    )

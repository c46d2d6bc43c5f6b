"""Allocation runs: preview a campaign's allocation, then commit it (staff, CLI and /admin)."""

import uuid
from dataclasses import dataclass
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

from cma.accounts import service as accounts
from cma.catalogue import service as catalogue
from cma.catalogue.exceptions import CampaignNotFound
from cma.catalogue.views import CampaignView
from cma.core.clock import today
from cma.core.metrics import ALLOCATION_RUNS, ALLOCATION_SECONDS
from cma.enrolment import lottery, verification
from cma.enrolment.allocation import Candidate, Decision, allocate, draw, report, tier
from cma.enrolment.exceptions import (
    AlreadyAllocated,
    ApplicationsStillOpen,
    NotAllocated,
    NotVerifiable,
    UnexpectedApplication,
)
from cma.enrolment.labels import ALLOCATION_EVENT_LABELS
from cma.enrolment.models import (
    AllocationEvent,
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


@dataclass(frozen=True, slots=True)
class Inputs:
    """What the allocation decides from, and its published form."""

    candidates: list[Candidate]
    seats: dict[str, int]
    titles: dict[str, str]
    document: dict[str, Any]
    digest: str
    applications_digest: str  # that of the applications the seed came from
    seed: int


# Every submitted application of a campaign. Run on the connection, not through the ORM: at
# 150,000 rows the ORM's row processing costs more than the query.
_SUBMITTED = select(
    Application.id,
    Application.learner_id,
    Application.course_code,
    Application.rank,
    Application.priority_situation,
).where(
    Application.campaign_id == bindparam("campaign"),
    Application.status == ApplicationStatus.SUBMITTED,
)


async def inputs_of(session: AsyncSession, campaign: CampaignView) -> Inputs:
    """The campaign's submitted applications as the allocation reads them, with their tiers,
    pseudonyms, the published document and the seed they give."""
    courses = {c.code: c for c in await catalogue.campaign_courses(session, campaign.id)}
    connection = await session.connection()
    rows = list(await connection.execute(_SUBMITTED, {"campaign": campaign.id}))
    for application_id, _, code, _, _ in rows:
        if code not in courses:
            # The database keeps an application's campaign its course's; should a row slip
            # through anyway, say which one rather than fail.
            raise UnexpectedApplication(application_id, code)
    # The social situation counts on a course that asks for it; prerequisites are met when
    # the learner has done one of the course's codes.
    rules = {
        code: (c.needs_priority_situation, frozenset(c.prerequisite_codes))
        for code, c in courses.items()
    }
    done = await _done(session, campaign, {row[1] for row in rows if rules[row[2]][1]})
    secret = campaign.lottery_secret
    keys = {row[1]: lottery.pseudonym(secret, row[1]) for row in rows}
    nothing: frozenset[str] = frozenset()
    candidates = []
    for application_id, learner_id, code, rank, situation in rows:
        asks_situation, prerequisites = rules[code]
        social = asks_situation and situation in SOCIAL
        met = bool(prerequisites) and not prerequisites.isdisjoint(done.get(learner_id, nothing))
        candidates.append(
            Candidate(application_id, learner_id, keys[learner_id], code, rank, tier(social, met))
        )
    seats = {c.course_code: courses[c.course_code].seats for c in candidates}
    document = lottery.inputs(
        campaign.id,
        campaign.max_accepted,
        seats,
        [lottery.Entry(c.key.hex(), c.course_code, c.rank, c.tier) for c in candidates],
    )
    # The first preview or commit after the close fixes the seed; every later one keeps it.
    fixed = await session.scalar(
        select(AllocationEvent)
        .where(AllocationEvent.campaign_id == campaign.id)
        .order_by(AllocationEvent.at, AllocationEvent.id)
        .limit(1)
    )
    applications_digest = (
        fixed.applications_digest if fixed else lottery.digest(document["applications"])
    )
    return Inputs(
        candidates=candidates,
        seats=seats,
        titles={code: courses[code].title for code in seats},
        document=document,
        digest=lottery.digest(document),
        applications_digest=applications_digest,
        seed=fixed.seed if fixed else lottery.seed(secret, applications_digest),
    )


def _decide(campaign: CampaignView, inputs: Inputs) -> list[Decision]:
    return allocate(inputs.candidates, inputs.seats, seed=inputs.seed, cap=campaign.max_accepted)


def _report(campaign: CampaignView, inputs: Inputs, decisions: list[Decision]) -> dict[str, Any]:
    courses = [
        {
            "code": line.code,
            "title": inputs.titles[line.code],
            "seats": line.seats,
            "demand": line.demand,
            "accepted": line.accepted,
            "waitlisted": line.waitlisted,
            "not_retained": line.not_retained,
            "by_tier": [
                {"tier": t, "demand": d, "accepted": a} for t, (d, a) in line.by_tier.items()
            ],
            "cutoff": {"tier": line.cutoff.tier, "draw": line.cutoff.draw} if line.cutoff else None,
        }
        for line in report(decisions, inputs.seats)
    ]
    return {
        "campaign_id": campaign.id,
        "seed": inputs.seed,
        "inputs_digest": inputs.digest,
        "lottery_commitment": catalogue.lottery_commitment(campaign),
        "cap": campaign.max_accepted,
        "applications": len(decisions),
        "learners": len({d.learner_id for d in decisions}),
        "accepted": sum(line["accepted"] for line in courses),
        "waitlisted": sum(line["waitlisted"] for line in courses),
        "not_retained": sum(line["not_retained"] for line in courses),
        "courses": courses,
    }


def _trail(
    session: AsyncSession, campaign: CampaignView, kind: str, inputs: Inputs, by: uuid.UUID | None
) -> None:
    session.add(
        AllocationEvent(
            campaign_id=campaign.id,
            kind=kind,
            account_id=by,
            inputs_digest=inputs.digest,
            applications_digest=inputs.applications_digest,
            seed=inputs.seed,
        )
    )


async def preview(
    session: AsyncSession, campaign_id: int, by: uuid.UUID | None
) -> tuple[dict[str, Any], list[Decision]]:
    """What the commit would decide from the applications as they stand, and each decision;
    writes nothing but its line in the trail (who looked, when, at which inputs)."""
    campaign = await _campaign(session, campaign_id, lock=False)
    if await committed(session, campaign.id) is not None:
        raise AlreadyAllocated()  # its applications are decided: nothing left to preview
    with ALLOCATION_SECONDS.labels("preview").time():
        inputs = await inputs_of(session, campaign)
        decisions = allocate(
            inputs.candidates, inputs.seats, seed=inputs.seed, cap=campaign.max_accepted
        )
    ALLOCATION_RUNS.labels("preview").inc()
    _trail(session, campaign, "preview", inputs, by)
    return {**_report(campaign, inputs, decisions), "committed": False}, decisions


def _outcome(decisions: list[Decision]) -> list[tuple[Any, ...]]:
    """The published outcome: each application under its learner's pseudonym (tuples sort
    several times faster than lists; JSON writes them alike; a pseudonym and a course are
    never twice the same pair, so the rank, which may be null, is never compared)."""
    return sorted((d.key.hex(), d.course_code, d.status.value, d.waitlist_rank) for d in decisions)


async def commit(session: AsyncSession, campaign_id: int, by: uuid.UUID | None) -> dict[str, Any]:
    """Decide and write the outcome of every submitted application of the campaign, once,
    with the published inputs and outcome (anonymous: they outlive any erasure)."""
    campaign = await _campaign(session, campaign_id, lock=True)
    if await session.scalar(
        select(AllocationRun.id).where(AllocationRun.campaign_id == campaign.id)
    ):
        raise AlreadyAllocated()
    with ALLOCATION_SECONDS.labels("commit").time():
        inputs = await inputs_of(session, campaign)
        decisions = allocate(
            inputs.candidates, inputs.seats, seed=inputs.seed, cap=campaign.max_accepted
        )
    ALLOCATION_RUNS.labels("commit").inc()
    summary = _report(campaign, inputs, decisions)
    run = AllocationRun(
        campaign_id=campaign.id,
        seed=inputs.seed,
        cap=campaign.max_accepted,
        committed_by=by,
        report=summary,
        inputs_digest=inputs.digest,
        published=lottery.pack({"inputs": inputs.document, "outcome": _outcome(decisions)}),
    )
    session.add(run)
    _trail(session, campaign, "commit", inputs, by)
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


async def published(session: AsyncSession, campaign_id: int) -> dict[str, Any]:
    """The committed allocation as anyone may check it: the revealed secret, the inputs under
    pseudonyms, their digest, the seed, the outcome."""
    run = await committed_run(session, campaign_id)
    stored = await session.scalar(select(AllocationRun.published).where(AllocationRun.id == run.id))
    if stored is None:
        raise NotVerifiable()
    campaign = await catalogue.campaign_view(session, campaign_id)
    assert campaign is not None  # the run's foreign key keeps it
    run_event_digest = await session.scalar(
        select(AllocationEvent.applications_digest)
        .where(AllocationEvent.campaign_id == campaign_id, AllocationEvent.kind == "commit")
        .limit(1)
    )
    return {
        "campaign_id": campaign_id,
        "lottery_commitment": catalogue.lottery_commitment(campaign),
        "lottery_secret": campaign.lottery_secret.hex(),
        "inputs_digest": run.inputs_digest,
        "seed": run.seed,
        "committed_at": run.created_at,
        **lottery.unpack(stored),
        "applications_digest": run_event_digest,
        "trail": [
            {
                "kind": e["kind"],
                "at": e["at"],
                "inputs_digest": e["inputs_digest"],
                "applications_digest": e["applications_digest"],
                "seed": e["seed"],
            }
            for e in await trail(session, campaign_id)
        ],
    }


async def verify(session: AsyncSession, campaign_id: int) -> verification.Verification:
    """The published allocation checked (see verification.verify), then held against what the
    applications recorded at the commit (those whose learner is still here)."""
    document = await published(session, campaign_id)
    checked = verification.verify(document)
    if not checked.identical:
        return checked
    secret = bytes.fromhex(document["lottery_secret"])
    published_outcome = {
        (key, code): (status, rank) for key, code, status, rank in document["outcome"]
    }
    tiers = {(key, code): tier for key, code, _, tier in document["inputs"]["applications"]}
    rows = await session.execute(
        select(
            Application.learner_id,
            Application.course_code,
            Application.outcome,
            Application.waitlist_rank,
            Application.tier,
            Application.draw,
        ).where(Application.campaign_id == campaign_id, Application.outcome.is_not(None))
    )
    for learner_id, code, outcome, rank, recorded_tier, recorded_draw in rows:
        key = lottery.pseudonym(secret, learner_id).hex()
        # What each learner is shown (their priority and draw) must be what decided.
        if (recorded_tier, recorded_draw) != (
            tiers.get((key, code)),
            draw(document["seed"], bytes.fromhex(key)),
        ):
            return verification.Verification.differs(
                f"Première différence : la candidature de {key} au cours {code} montre une "
                "priorité ou un tirage que le document publié ne donne pas."
            )
        recorded = (outcome, rank)
        if published_outcome.get((key, code)) != recorded:
            theirs = published_outcome.get((key, code))
            return verification.Verification.differs(
                f"Première différence : {verification.said((key, code, *recorded))} d'après "
                "les candidatures enregistrées, "
                + (
                    f"{verification.said((key, code, *theirs))} d'après le document publié."
                    if theirs
                    else "et le document publié ne la contient pas."
                )
            )
    return checked


async def trail(session: AsyncSession, campaign_id: int) -> list[dict[str, Any]]:
    """Every preview and commit of the campaign's allocation, oldest first."""
    if await catalogue.campaign_view(session, campaign_id) is None:
        raise CampaignNotFound()
    events = list(
        await session.scalars(
            select(AllocationEvent)
            .where(AllocationEvent.campaign_id == campaign_id)
            .order_by(AllocationEvent.at, AllocationEvent.id)
        )
    )
    emails = await accounts.emails_by_id(session, {e.account_id for e in events if e.account_id})
    return [
        {
            "kind": e.kind,
            "kind_label": ALLOCATION_EVENT_LABELS[e.kind],
            "at": e.at,
            "by": emails.get(e.account_id) if e.account_id else None,
            "inputs_digest": e.inputs_digest,
            "applications_digest": e.applications_digest,
            "seed": e.seed,
        }
        for e in events
    ]


async def answers_out(session: AsyncSession, campaign_id: int) -> bool:
    """Whether the campaign's answers are shown to its learners (from the response period)."""
    campaign = await catalogue.campaign_view(session, campaign_id)
    return campaign is not None and today() >= campaign.response_start


async def has_applied(session: AsyncSession, learner_id: uuid.UUID, campaign_id: int) -> bool:
    found = await session.scalar(
        select(Application.id)
        .where(Application.learner_id == learner_id, Application.campaign_id == campaign_id)
        .limit(1)
    )
    return found is not None

"""Staff routes of a campaign's outcome: allocation runs, responses, cancellations, expiry."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from cma.accounts.dependencies import StaffDep
from cma.catalogue.exceptions import CampaignNotFound, CourseNotFound
from cma.core import staff_reads
from cma.core.database import SessionDep
from cma.core.params import SLUG_QUERY, CourseCode, OptionalRowId, RowId
from cma.core.problems import CsrfRefused, Forbidden, InvalidInput, NotAuthenticated, responses
from cma.enrolment import cancellation, offers, outcomes, overview, runs
from cma.enrolment import responses as answers
from cma.enrolment.exceptions import (
    AlreadyAllocated,
    ApplicationsStillOpen,
    CourseAlreadyCancelled,
    NotAllocated,
    NotVerifiable,
    OutsideResponsePeriod,
    UnexpectedApplication,
)
from cma.enrolment.schemas import (
    AllocationEventOut,
    AllocationReport,
    CampaignDetail,
    CampaignOverview,
    CancellationPreview,
    CourseApplicant,
    Handled,
    ResponsesProgress,
    StaffCourse,
    StaffCoursePage,
    VerificationOut,
)

admin = APIRouter(prefix="/admin", tags=["admin"])
STAFF_ERRORS = (NotAuthenticated, CsrfRefused, Forbidden, InvalidInput)


@admin.post(
    "/campaigns/{campaign_id}/allocation/preview",
    summary="Prévisualiser l'affectation des places",
    description="What the commit would decide from the applications as they stand, per course "
    "(with its cut-off) and per priority tier, and learner by learner (`lines`). The seed is "
    "the one the commit would use: nobody chooses it (it comes from the campaign's lottery "
    "secret and the inputs' digest). Writes nothing but a line in the allocation's trail. "
    "Only after the application period.",
    responses=responses(
        *STAFF_ERRORS, CampaignNotFound, ApplicationsStillOpen, UnexpectedApplication
    ),
)
async def preview(campaign_id: RowId, staff: StaffDep, db: SessionDep) -> AllocationReport:
    report, decisions = await runs.preview(db, campaign_id, staff.account.id)
    staff_reads.record(
        db, staff.account.id, f"affectation de la campagne {campaign_id} (prévisualisation)"
    )
    return AllocationReport.model_validate(
        {**report, "lines": await outcomes.previewed(db, decisions)}
    )


@admin.post(
    "/campaigns/{campaign_id}/allocation",
    status_code=status.HTTP_201_CREATED,
    summary="Enregistrer l'affectation des places",
    description="Decides and writes the outcome of every application, with its reason, tier "
    "and waiting-list rank; once per campaign. The same applications give the preview's result.",
    responses=responses(
        *STAFF_ERRORS,
        CampaignNotFound,
        ApplicationsStillOpen,
        AlreadyAllocated,
        UnexpectedApplication,
    ),
)
async def commit(campaign_id: RowId, staff: StaffDep, db: SessionDep) -> AllocationReport:
    return AllocationReport.model_validate(await runs.commit(db, campaign_id, staff.account.id))


@admin.get(
    "/campaigns/{campaign_id}/allocation",
    summary="L'affectation enregistrée",
    responses=responses(*STAFF_ERRORS, CampaignNotFound, NotAllocated),
)
async def committed(campaign_id: RowId, staff: StaffDep, db: SessionDep) -> AllocationReport:
    run = await runs.committed_run(db, campaign_id)
    staff_reads.record(db, staff.account.id, f"affectation de la campagne {campaign_id}")
    return AllocationReport.model_validate(
        {
            **run.report,
            "committed": True,
            "run_id": run.id,
            "lines": await outcomes.recorded(db, campaign_id),
        }
    )


@admin.get(
    "/campaigns/{campaign_id}/allocation/verification",
    summary="Vérifier l'affectation enregistrée",
    description="Recomputes the committed allocation from its published inputs and revealed "
    "secret, then holds it against what each application recorded: `identical`, or the first "
    "difference (as `cma verify-allocation`).",
    responses=responses(*STAFF_ERRORS, CampaignNotFound, NotAllocated, NotVerifiable),
)
async def verification(campaign_id: RowId, _: StaffDep, db: SessionDep) -> VerificationOut:
    result = await runs.verify(db, campaign_id)
    return VerificationOut(identical=result.identical, detail=result.detail)


@admin.get(
    "/campaigns/{campaign_id}/allocation/trail",
    summary="Journal de l'affectation",
    description="Every preview and the commit: when, by whom, from which inputs (digest) and "
    "with which seed. Oldest first.",
    responses=responses(*STAFF_ERRORS, CampaignNotFound),
)
async def allocation_trail(
    campaign_id: RowId, _: StaffDep, db: SessionDep
) -> list[AllocationEventOut]:
    return [AllocationEventOut.model_validate(e) for e in await runs.trail(db, campaign_id)]


@admin.post(
    "/campaigns/{campaign_id}/responses",
    summary="Envoyer les réponses aux candidatures",
    description="One mail per learner with every answer, only in the response period, never "
    "twice to a learner for the same allocation. Returns how many learners were mailed now.",
    responses=responses(*STAFF_ERRORS, CampaignNotFound, OutsideResponsePeriod, NotAllocated),
)
async def send_responses(campaign_id: RowId, _: StaffDep, db: SessionDep) -> Handled:
    return Handled(count=await answers.send(db, campaign_id))


@admin.post(
    "/courses/{code}/cancellation",
    summary="Annuler un cours",
    description="Every learner with a live application (submitted, accepted, confirmed or "
    "waitlisted) gets a mail and an SMS. Returns how many learners were told.",
    responses=responses(*STAFF_ERRORS, CourseNotFound, CourseAlreadyCancelled),
)
async def cancel_course(code: CourseCode, _: StaffDep, db: SessionDep) -> Handled:
    return Handled(count=await cancellation.cancel(db, code.upper()))


@admin.post(
    "/offers/expiry",
    summary="Clore les offres dont le délai est passé",
    description="Also done by the worker's housekeeping; returns how many offers expired.",
    responses=responses(*STAFF_ERRORS),
)
async def expire_offers(_: StaffDep, db: SessionDep) -> Handled:
    return Handled(count=await offers.expire(db))


@admin.get(
    "/campaigns",
    summary="Les campagnes et où elles en sont",
    description="Newest first: each campaign's phase, its numbers, its next step and timeline.",
    responses=responses(*STAFF_ERRORS),
)
async def list_campaigns(
    _: StaffDep,
    db: SessionDep,
    school_year: Annotated[
        str | None, Query(pattern=r"^[0-9]{4}-[0-9]{4}$", examples=["2026-2027"])
    ] = None,
) -> list[CampaignOverview]:
    return [CampaignOverview.model_validate(c) for c in await overview.campaigns(db, school_year)]


@admin.get(
    "/campaigns/{campaign_id}",
    summary="Une campagne : où elle en est, la demande par domaine",
    responses=responses(*STAFF_ERRORS, CampaignNotFound),
)
async def get_campaign(campaign_id: RowId, _: StaffDep, db: SessionDep) -> CampaignDetail:
    return CampaignDetail.model_validate(await overview.campaign(db, campaign_id))


@admin.get(
    "/campaigns/{campaign_id}/responses",
    summary="L'envoi des réponses : mails en attente, envoyés, en échec",
    responses=responses(*STAFF_ERRORS, CampaignNotFound, NotAllocated),
)
async def responses_progress(campaign_id: RowId, _: StaffDep, db: SessionDep) -> ResponsesProgress:
    return ResponsesProgress.model_validate(await answers.progress(db, campaign_id))


@admin.get(
    "/courses",
    summary="Catalogue des agents : les cours et leur demande",
    description="Courses on offer (cancelled ones included), with their applications, seats "
    "held and waiting lists; French full-text search as in the public catalogue.",
    responses=responses(*STAFF_ERRORS),
)
async def list_courses(
    _: StaffDep,
    db: SessionDep,
    campaign_id: OptionalRowId = None,
    domain: Annotated[str | None, Query(pattern=SLUG_QUERY, max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 50,
) -> StaffCoursePage:
    return StaffCoursePage.model_validate(
        await overview.courses(
            db,
            campaign_id=campaign_id,
            domain=domain,
            q=q.strip() if q and q.strip() else None,
            page=page,
            page_size=page_size,
        )
    )


@admin.get(
    "/courses/{code}",
    summary="Un cours du catalogue des agents, avec sa demande",
    responses=responses(*STAFF_ERRORS, CourseNotFound),
)
async def get_course(code: CourseCode, _: StaffDep, db: SessionDep) -> StaffCourse:
    return StaffCourse.model_validate(await overview.course(db, code.upper()))


@admin.get(
    "/courses/{code}/applications",
    summary="Les candidats d'un cours et sa liste d'attente",
    description="Seats held first, then the waiting list in its order, then the rest "
    "(withdrawn applications aside).",
    responses=responses(*STAFF_ERRORS, CourseNotFound),
)
async def course_applicants(
    code: CourseCode, staff: StaffDep, db: SessionDep, response: Response
) -> list[CourseApplicant]:
    response.headers["Cache-Control"] = "no-store"
    found = await outcomes.course_applicants(db, code.upper())
    staff_reads.record(db, staff.account.id, f"candidats du cours {code.upper()}")
    return [CourseApplicant.model_validate(a) for a in found]


@admin.get(
    "/courses/{code}/cancellation",
    summary="Prévisualiser l'annulation d'un cours",
    description="The learners it would reach (mail, and SMS when they gave a mobile) and the "
    "text they would get; writes nothing.",
    responses=responses(*STAFF_ERRORS, CourseNotFound, CourseAlreadyCancelled),
)
async def preview_cancellation(
    code: CourseCode, staff: StaffDep, db: SessionDep
) -> CancellationPreview:
    found = await cancellation.preview(db, code.upper())
    staff_reads.record(
        db, staff.account.id, f"annulation du cours {code.upper()} (prévisualisation)"
    )
    return CancellationPreview.model_validate(found)


@admin.get(
    "/campaigns/{campaign_id}/allocation/outcomes",
    summary="L'affectation enregistrée, apprenant par apprenant (tableur CSV)",
    description="One line per application: the learner, the course, the choice, the outcome "
    "and its reason, the priority and the waiting-list rank; French headers, `;`-separated, "
    "UTF-8 with a byte-order mark; a cell that a spreadsheet would run as a formula is "
    "written as text.",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}},
        **responses(*STAFF_ERRORS, CampaignNotFound, NotAllocated),
    },
)
async def export_outcomes(campaign_id: RowId, staff: StaffDep, db: SessionDep) -> Response:
    spreadsheet = await outcomes.as_csv(db, campaign_id)
    staff_reads.record(db, staff.account.id, f"affectation de la campagne {campaign_id} (tableur)")
    return Response(
        spreadsheet,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="affectation-campagne-{campaign_id}.csv"',
            "Cache-Control": "no-store",
        },
    )

"""Bodies of "Mon panier" and of the applications."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    computed_field,
)

from cma.catalogue.schemas import CampaignOut
from cma.core.validation import Input, LocalTime, OptionalText200, blank_to_none
from cma.enrolment.labels import TIER_LABELS, draw_label
from cma.enrolment.models import ApplicationStatus, NextStep, Phase, PrioritySituation, Reason

Motivation = Annotated[
    Annotated[str, Field(max_length=2000)] | None, BeforeValidator(blank_to_none)
]


class Answers(Input):
    """What a course may ask: a priority situation, the previous level, a few lines."""

    priority_situation: PrioritySituation | None = Field(
        default=None, description="Situation prioritaire (demandeur d'emploi, RSA…)"
    )
    previous_level: OptionalText200 = Field(default=None, description="Niveau précédent")
    motivation: Motivation = Field(default=None, description="Quelques lignes de motivation")


class BasketAdd(Answers):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "course_code": "LE0042",
                    "priority_situation": "demandeur_emploi",
                    "previous_level": "Anglais A2 en 2016",
                    "motivation": "Pour mon travail, je dois échanger en anglais chaque jour.",
                }
            ]
        }
    )

    course_code: str = Field(max_length=10, pattern=r"^[A-Za-z]{2,4}[0-9]{3,5}$")


class BasketLine(Answers):
    model_config = ConfigDict(extra="ignore")

    course_code: str = Field(max_length=10)


class BasketIn(Input):
    """The basket in the learner's order of preference; takes back what GET returned."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [{"items": [{"course_code": "LE0042"}, {"course_code": "BU0037"}]}]
        },
    )

    items: list[BasketLine] = Field(max_length=10)


class CourseBrief(BaseModel):
    code: str
    title: str
    weekday_label: str
    start_time: LocalTime
    end_time: LocalTime
    venue: str
    arrondissement: int
    needs_motivation: bool
    needs_priority_situation: bool


class BasketItemOut(Answers):
    rank: int
    course: CourseBrief


class ReceiptCourse(BaseModel):
    rank: int
    code: str
    title: str


class ReceiptOut(BaseModel):
    """The proof of a submission, and what comes next."""

    reference: str = Field(
        examples=["CMA-K7MX-3PTA"], description="To quote when calling the City about it"
    )
    submitted_at: datetime
    campaign_name: str
    courses: list[ReceiptCourse] = Field(description="As submitted, in order of preference")
    application_end: date = Field(description="The basket may change until this day (Paris)")
    response_start: date = Field(description="Answers are mailed from this day")
    response_end: date


class ReceiptSummary(BaseModel):
    """A receipt as staff read it on a learner's record."""

    reference: str = Field(examples=["CMA-K7MX-3PTA"])
    submitted_at: datetime
    campaign_name: str
    courses: list[ReceiptCourse]


class SubmissionOut(ReceiptOut):
    applications: list["ApplicationOut"]


class BasketOut(BaseModel):
    campaign_id: int | None
    campaign_name: str | None
    max_courses: int | None
    items: list[BasketItemOut]
    submitted: bool = Field(description="The applications match the basket as it is.")
    replaces_applications: bool = Field(
        description="Applications were filed and the basket has changed since: submitting "
        "replaces them"
    )
    receipt: ReceiptOut | None = Field(
        description="The last submission's, while its applications stand (the basket may have "
        "changed since: see `submitted`)"
    )


class CutOffOut(BaseModel):
    tier: int
    draw: int = Field(description="The lottery number (63 bits; lower is served first)")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def tier_label(self) -> str:
        return TIER_LABELS[self.tier]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def draw_label(self) -> str:
        return draw_label(self.draw)


class ApplicationOut(Answers):
    """An application; from the response period on, with the allocation's answer and why."""

    id: int
    campaign_id: int
    campaign_name: str
    school_year: str
    rank: int = Field(description="The learner's preference: 1 is the first choice")
    status: ApplicationStatus
    status_label: str = Field(examples=["Liste d'attente"])
    submitted_at: datetime
    withdrawn_at: datetime | None
    course: CourseBrief
    reason: Reason | None = Field(description="Why the allocation decided so")
    reason_label: str | None
    tier: int | None = Field(
        description="Priority tier: 1 social situation and prerequisites, 2 social situation, "
        "3 prerequisites, 4 neither"
    )
    tier_label: str | None
    draw: int | None = Field(
        description="The learner's lottery number in this campaign (63 bits; lower is served "
        "first), once the answers are out"
    )
    draw_label: str | None = Field(examples=["0,482131"], description="The draw as a share")
    pseudonym: str | None = Field(
        description="The learner's pseudonym in the allocation's published data "
        "(GET /api/v1/campaigns/{id}/allocation)"
    )
    cutoff: CutOffOut | None = Field(
        description="The priority and draw of the course's last learner admitted (when full)"
    )
    explanation: str | None = Field(
        examples=["Non retenu : vous avez déjà obtenu 2 cours mieux classés dans vos choix."],
        description="Why this answer, in plain French, with the numbers that decide it",
    )
    waitlist_position: int | None = Field(description="Place on the waiting list now")
    auto_response: bool = Field(
        description="The learner's répondeur automatique is on for this campaign: a seat freed "
        "where they wait is accepted for them (PUT /me/campaigns/{id}/auto-response)"
    )
    offer_deadline: date | None = Field(description="Last day (Paris) to confirm the offer")
    can_withdraw: bool
    can_confirm: bool
    can_decline: bool


class TierCount(BaseModel):
    tier: int
    demand: int
    accepted: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def tier_label(self) -> str:
        return TIER_LABELS[self.tier]


class CourseAllocation(BaseModel):
    code: str
    title: str | None = Field(default=None, description="Absent from reports before 2026-12-04")
    seats: int
    demand: int
    accepted: int
    waitlisted: int
    not_retained: int
    by_tier: list[TierCount]
    cutoff: CutOffOut | None = Field(
        default=None,
        description="The priority of the last learner admitted, when the course filled; "
        "absent when places remained",
    )


class OutcomeLine(BaseModel):
    """One application and what the allocation decides (or decided) for it."""

    name: str
    email: str
    course_code: str
    course_title: str
    rank: int = Field(description="The learner's choice: 1 = first")
    outcome: ApplicationStatus | None
    outcome_label: str | None = Field(examples=["Acceptée, à confirmer"])
    status_label: str = Field(description="Where the application stands now")
    reason_label: str | None
    tier_label: str | None
    waitlist_rank: int | None


class AllocationReport(BaseModel):
    """What an allocation decides (preview) or decided (committed), per course and tier."""

    campaign_id: int
    seed: int = Field(description="From the lottery's secret and the inputs' digest")
    inputs_digest: str = Field(
        default="", description="SHA-256 of the published inputs ('' before 2026-12-06)"
    )
    lottery_commitment: str | None = Field(
        default=None, description="The calendar's commitment to the lottery's secret"
    )
    cap: int = Field(description="Most courses one learner was given")
    committed: bool
    run_id: int | None = None
    applications: int
    learners: int
    accepted: int
    waitlisted: int
    not_retained: int
    courses: list[CourseAllocation]
    lines: list[OutcomeLine] = Field(
        default_factory=list,
        description="Learner by learner, by name then choice (in the preview and the committed "
        "allocation's reading; empty in the commit's answer)",
    )


class Handled(BaseModel):
    count: int = Field(description="How many learners (or offers) this acted on")


class LegacyYear(BaseModel):
    year: int = Field(examples=[2015], description="First year of the school year")
    course_code: str = Field(examples=["ANG2"])
    course_title: str = Field(examples=["Anglais niveau 2"])
    result: str | None = Field(examples=["Assidu"])


class CampaignApplications(BaseModel):
    campaign_id: int
    campaign_name: str
    school_year: str
    applications: list[ApplicationOut]


class HistoryOut(BaseModel):
    """Mon historique: the years of the old CMA account, then every campaign applied to."""

    legacy: list[LegacyYear]
    campaigns: list[CampaignApplications]


# --- staff console ---------------------------------------------------------------------------


class TimelineStep(BaseModel):
    step: str = Field(examples=["applications_end"])
    label: str = Field(examples=["Fin des inscriptions"])
    day: date | None = Field(description="Paris day; none for a step still to come")
    done: bool


class DomainDemand(BaseModel):
    domain: str = Field(examples=["Langues étrangères"])
    courses: int
    seats: int
    demand: int = Field(description="Applications to the domain's courses, withdrawn ones aside")
    first_choice: int = Field(description="Of which ranked first")


class CampaignOverview(CampaignOut):
    """A campaign as staff follow it: its calendar, phase, numbers and next step."""

    phase: Phase
    phase_label: str = Field(examples=["Inscriptions ouvertes"])
    next_step: NextStep
    next_step_label: str = Field(
        examples=["Clore les inscriptions à leur date, ou par anticipation"]
    )
    courses: int = Field(description="Courses on offer (neither retired nor cancelled)")
    seats: int
    applications: int = Field(description="Applications, withdrawn ones aside")
    learners: int = Field(description="Learners with at least one application")
    baskets: int = Field(description="Learners with a basket and no application yet")
    timeline: list[TimelineStep]


class CampaignDetail(CampaignOverview):
    domains: list[DomainDemand]


class StaffCourse(BaseModel):
    code: str
    title: str
    domain: str
    weekday: int
    weekday_label: str = Field(examples=["Mardi"])
    start_time: LocalTime
    end_time: LocalTime
    venue: str
    teacher: str | None
    fee: Decimal
    seats: int
    campaign_id: int
    cancelled: bool
    demand: int = Field(description="Applications, withdrawn ones aside")
    held: int = Field(description="Seats offered or confirmed")
    waitlisted: int


class StaffCoursePage(BaseModel):
    items: list[StaffCourse]
    total: int
    page: int
    page_size: int
    pages: int


class ReachedLearner(BaseModel):
    name: str = Field(examples=["Alice Martin"])
    email: str
    mobile_phone: str | None = Field(description="E.164; the SMS goes there when present")
    status: ApplicationStatus
    status_label: str


class MessagePreview(BaseModel):
    subject: str
    text: str = Field(description="The mail's plain-text part")
    sms: str | None


class CancellationPreview(BaseModel):
    """Whom cancelling the course would reach, and what they would read; writes nothing."""

    code: str
    title: str
    learners: list[ReachedLearner]
    message: MessagePreview


class ResponsesProgress(BaseModel):
    unanswered: int = Field(description="Learners of the allocation not yet mailed")
    queued: int
    sent: int
    failed: int


class CourseApplicant(BaseModel):
    name: str = Field(examples=["Camille Martin"])
    email: str
    rank: int = Field(description="The learner's choice: 1 = first")
    status: ApplicationStatus
    status_label: str
    waitlist_rank: int | None = Field(description="Place on the waiting list (1 = next)")
    offer_deadline: date | None = Field(description="Last day to confirm an offered seat")


class PublishedInputs(BaseModel):
    campaign_id: int
    cap: int
    seats: dict[str, int] = Field(description="The seats of each course applied to")
    applications: list[tuple[str, str, int, int]] = Field(
        description="[pseudonym, course code, rank (1 = first choice), priority tier], sorted"
    )


class PublishedEvent(BaseModel):
    kind: str = Field(examples=["preview"], description="preview or commit")
    at: datetime
    inputs_digest: str
    applications_digest: str
    seed: int


class PublishedAllocation(BaseModel):
    """A committed allocation as anyone with a stake may check it (`cma verify-allocation
    --file`): the secret revealed, the inputs under pseudonyms, their digest, the seed and the
    outcome. The seed comes from the secret and the applications' digest; a learner's draw is
    the hash of the seed and their pseudonym (see the README's "How the allocation decides")."""

    campaign_id: int
    lottery_commitment: str = Field(description="As the calendar published it: SHA-256(secret)")
    lottery_secret: str = Field(description="The secret, revealed by the commit (hexadecimal)")
    inputs_digest: str = Field(description="SHA-256 of the inputs' canonical JSON")
    applications_digest: str = Field(
        description="SHA-256 of the applications the seed came from: those of the first "
        "preview or commit after the close, which fixed the seed"
    )
    seed: int
    committed_at: datetime
    inputs: PublishedInputs
    outcome: list[tuple[str, str, str, int | None]] = Field(
        description="[pseudonym, course code, status at the commit (offered, waitlisted, "
        "not_retained), waiting-list rank], sorted"
    )
    trail: list[PublishedEvent] = Field(description="Every preview and the commit, in order")


class VerificationOut(BaseModel):
    identical: bool
    detail: str = Field(examples=["identique"], description="In French: or the first difference")


class AllocationEventOut(BaseModel):
    """A preview or a commit, with who made it and from which inputs."""

    kind: str = Field(examples=["preview"])
    kind_label: str = Field(examples=["Prévisualisation"])
    at: datetime
    by: str | None = Field(description="The staff member's address (none from the CLI)")
    inputs_digest: str
    applications_digest: str
    seed: int


class AutoResponseIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"enabled": True}]})

    enabled: StrictBool = Field(
        description="On: a freed seat where the learner waits is accepted for "
        "them at once, and a seat they ranked lower, beyond the campaign's cap, is freed"
    )


class AutoResponseOut(BaseModel):
    campaign_id: int
    enabled: bool

"""Bodies of the catalogue API (public reads and staff writes)."""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
)

from cma.catalogue.models import Covers, Level, Period
from cma.core.validation import Input, IsoDate, LocalTime, Text100, Text150

TimeOfDay = Literal["matin", "apres-midi", "soir"]


class DomainOut(BaseModel):
    slug: str = Field(examples=["langues-etrangeres-bis"])
    name: str = Field(examples=["Langues étrangères Bis"])
    position: int
    course_count: int = Field(examples=[214])


class DomainRef(BaseModel):
    slug: str
    name: str


class VenueOut(BaseModel):
    name: str = Field(examples=["École élémentaire Keller"])
    address: str = Field(examples=["14 rue Keller"])
    postal_code: str = Field(examples=["75011"])
    arrondissement: int = Field(examples=[11])
    step_free: bool | None = Field(description="Classrooms reached without steps (None: not known)")
    access: str | None = Field(examples=["Métro Parmentier (ligne 3)"])


class CampaignOut(BaseModel):
    id: int
    name: str = Field(examples=["Cours annuels et premier semestre"])
    school_year: str = Field(examples=["2016-2017"])
    covers: Covers
    application_start: date = Field(examples=["2016-08-23"])
    application_end: date = Field(examples=["2016-09-07"])
    response_start: date = Field(examples=["2016-09-08"])
    response_end: date = Field(examples=["2016-09-30"])
    max_courses: int = Field(examples=[3])
    max_accepted: int = Field(examples=[2], description="Most courses one learner is given")
    confirm_days: int = Field(examples=[7], description="Days to confirm an offered seat")
    open_for_applications: bool = Field(description="Today (Europe/Paris) is in the period.")
    answering: bool = Field(description="Today (Europe/Paris) is in the response period.")
    closed_early: bool = Field(
        description="Staff closed the applications before their announced last day."
    )
    lottery_commitment: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the lottery's secret, drawn when the campaign was created and "
        "revealed once its allocation is committed: the seed comes from that secret and the "
        "applications, so nobody chooses it (GET /api/v1/campaigns/{id}/allocation).",
    )


class CampaignRef(BaseModel):
    id: int
    name: str
    application_start: date
    application_end: date


class CourseSummary(BaseModel):
    code: str = Field(examples=["LE0042"])
    title: str = Field(examples=["Anglais — niveau intermédiaire (B1)"])
    domain: DomainRef
    level: Level
    level_label: str = Field(examples=["Intermédiaire"])
    venue: VenueOut
    weekday: int = Field(ge=1, le=7, examples=[2], description="ISO weekday, 1 = Monday")
    weekday_label: str = Field(examples=["Mardi"])
    start_time: LocalTime
    end_time: LocalTime
    period: Period
    period_label: str = Field(examples=["Cours annuel"])
    fee: Decimal = Field(examples=["142.00"], description="Euros for the whole course")
    seats: int = Field(examples=[20])
    is_new: bool
    open_for_applications: bool


class CourseDetail(CourseSummary):
    description: str
    prerequisites: str | None
    prerequisite_codes: list[str] = Field(
        examples=[["ANG2", "LE0041"]],
        description="A course code (old site's or this catalogue's) in a learner's history meets "
        "the prerequisites: the allocation's second priority.",
    )
    cancelled: bool
    teacher: str | None = Field(examples=["Mme Martin"])
    hours: int = Field(examples=[60], description="Hours of teaching in the period")
    starts_on: date | None = Field(examples=["2026-09-15"], description="First day of classes")
    ends_on: date | None = Field(examples=["2027-06-15"], description="Last day of classes")
    reduced_fee: Decimal | None = Field(
        examples=["71.00"], description="Euros for a learner entitled to the reduced rate"
    )
    campaign: CampaignRef
    needs_motivation: bool
    needs_priority_situation: bool


class CoursePage(BaseModel):
    items: list[CourseSummary]
    total: int = Field(examples=[1200])
    page: int = Field(examples=[1])
    page_size: int = Field(examples=[20])
    pages: int = Field(examples=[60])


class PageSummary(BaseModel):
    slug: str = Field(examples=["aide-a-l-inscription"])
    title: str = Field(examples=["Aide à l'inscription"])
    position: int


class PageOut(PageSummary):
    body: str = Field(description="Markdown")
    body_html: str = Field(description="The Markdown rendered safely (no raw HTML)")
    updated_at: datetime


# --- staff writes ----------------------------------------------------------------------------


class CourseIn(Input):
    """A course as staff create or edit it; `code` comes from the path when editing."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "title": "Anglais — niveau intermédiaire (B1)",
                    "description": "Consolider les bases et gagner en aisance à l'oral.",
                    "domain": "langues-etrangeres-bis",
                    "level": "intermediaire",
                    "prerequisites": "Avoir suivi le niveau A2 ou test de positionnement.",
                    "venue": "École élémentaire Keller",
                    "teacher": "Mme Martin",
                    "campaign_id": 3,
                    "weekday": 2,
                    "start_time": "18:30",
                    "end_time": "20:30",
                    "period": "annual",
                    "hours": 60,
                    "fee": "142.00",
                    "reduced_fee": "71.00",
                    "starts_on": "2016-09-19",
                    "ends_on": "2017-06-12",
                    "seats": 20,
                    "is_new": False,
                    "needs_motivation": False,
                    "needs_priority_situation": False,
                }
            ]
        },
    )

    title: Text150
    description: str = Field(min_length=1, max_length=5000)
    domain: str = Field(max_length=64, description="Domain slug")
    level: Level
    prerequisites: str | None = Field(default=None, max_length=2000)
    prerequisite_codes: list[Annotated[str, Field(pattern=r"^[A-Z0-9]{2,20}$")]] = Field(
        default_factory=list, max_length=20
    )
    venue: str = Field(max_length=150, description="Venue name")
    teacher: Text150 | None = None
    campaign_id: int
    weekday: int = Field(ge=1, le=7)
    start_time: LocalTime
    end_time: LocalTime
    period: Period
    hours: int = Field(gt=0, le=2000)
    fee: Decimal = Field(ge=0, le=10000, decimal_places=2)
    reduced_fee: Decimal | None = Field(default=None, ge=0, le=10000, decimal_places=2)
    starts_on: IsoDate | None = Field(default=None, description="First day of classes")
    ends_on: IsoDate | None = Field(
        default=None,
        description="Last day of classes; with the first, or neither (checked with the campaign)",
    )
    seats: int = Field(gt=0, le=500)
    is_new: StrictBool = False
    needs_motivation: StrictBool = False
    needs_priority_situation: StrictBool = False

    @field_validator("end_time")
    @classmethod
    def _end_after_start(cls, value: time, info: ValidationInfo) -> time:
        start = info.data.get("start_time")
        if start is not None and value <= start:
            raise ValueError("L'heure de fin doit être après l'heure de début.")
        return value

    @field_validator("reduced_fee")
    @classmethod
    def _reduced_below_fee(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        fee = info.data.get("fee")
        if value is not None and fee is not None and value > fee:
            raise ValueError("Le tarif réduit ne peut pas dépasser le tarif.")
        return value


class NewCourse(CourseIn):
    code: str = Field(pattern=r"^[A-Z]{2,4}[0-9]{3,5}$", examples=["LE0042"])


class CampaignIn(Input):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "name": "Cours du second semestre",
                    "school_year": "2016-2017",
                    "covers": "second_semester",
                    "application_start": "2017-01-24",
                    "application_end": "2017-02-07",
                    "response_start": "2017-02-08",
                    "response_end": "2017-03-03",
                    "max_courses": 3,
                }
            ]
        },
    )

    name: Text100
    school_year: str = Field(pattern=r"^[0-9]{4}-[0-9]{4}$")
    covers: Covers
    application_start: IsoDate
    application_end: IsoDate
    response_start: IsoDate
    response_end: IsoDate
    max_courses: int = Field(default=3, ge=1, le=10)
    max_accepted: int = Field(
        default=2, ge=1, le=10, description="Most courses one learner is given (≤ max_courses)"
    )
    confirm_days: int = Field(default=7, ge=1, le=60, description="Days to confirm an offer")

    @field_validator("school_year")
    @classmethod
    def _two_years_that_follow(cls, value: str) -> str:
        first, second = value.split("-")
        if int(second) != int(first) + 1:
            raise ValueError(
                "L'année scolaire s'écrit avec deux années qui se suivent, par exemple 2026-2027."
            )
        # 0000-0001 or 9998-9999 are typing slips (and 9999's last day is no date PostgreSQL
        # keeps as written): a campaign's year is of this century.
        if not 2000 <= int(first) <= 2098:
            raise ValueError("L'année scolaire va de 2000-2001 à 2098-2099.")
        return value

    @field_validator("application_start", "application_end", "response_start", "response_end")
    @classmethod
    def _within_the_school_year(cls, value: date, info: ValidationInfo) -> date:
        # From January of its first year (applications open in spring) to December of its
        # second: a date outside is a typing slip (0001-01-01, 2206 for 2026), not a plan.
        year = info.data.get("school_year")
        if year is None:
            return value
        first, second = (int(part) for part in year.split("-"))
        if not first <= value.year <= second:
            raise ValueError(
                f"Cette date doit tomber pendant l'année scolaire {year}, entre le 1er janvier "
                f"{first} et le 31 décembre {second}."
            )
        return value

    # Each date after the one before it, the error on the later one; the answers may start on
    # the last day of applications only once staff closed them early, which the service
    # checks (it needs the campaign's state).
    @field_validator("application_end")
    @classmethod
    def _ends_after_it_starts(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("application_start")
        if start is not None and value < start:
            raise ValueError("La fin des inscriptions ne peut précéder leur début.")
        return value

    @field_validator("response_start")
    @classmethod
    def _answers_after_applications(cls, value: date, info: ValidationInfo) -> date:
        end = info.data.get("application_end")
        if end is not None and value < end:
            raise ValueError("L'envoi des réponses commence après la fin des inscriptions.")
        return value

    @field_validator("response_end")
    @classmethod
    def _answers_end_after_they_start(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("response_start")
        if start is not None and value < start:
            raise ValueError("La fin de l'envoi des réponses ne peut précéder son début.")
        return value

    @field_validator("max_accepted")
    @classmethod
    def _cap_within_the_basket(cls, value: int, info: ValidationInfo) -> int:
        basket = info.data.get("max_courses")
        if basket is not None and value > basket:
            raise ValueError(
                "Le nombre de cours attribués par personne ne peut dépasser le nombre de cours "
                "du panier."
            )
        return value


class PageIn(Input):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "title": "Aide à l'inscription",
                    "body": "## Comment s'inscrire\n\n1. Créez votre compte parisien…",
                    "position": 2,
                }
            ]
        },
    )

    title: Text150
    body: str = Field(max_length=50000)
    position: int = Field(ge=0, le=1000)

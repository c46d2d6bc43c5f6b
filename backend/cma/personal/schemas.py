"""The export of a person's data: one JSON document, every part of it documented here."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from cma.accounts.schemas import ProfileOut, SubscriptionOut
from cma.enrolment.schemas import ApplicationOut, ReceiptCourse
from cma.learners.schemas import LearnerOut


class AccountPart(BaseModel):
    id: uuid.UUID
    email: str
    status: str
    role: str
    mobile_phone: str | None
    created_at: datetime
    activated_at: datetime
    terms_version: str
    terms_accepted_at: datetime
    password_changed_at: datetime
    email_changed_at: datetime


class SessionPart(BaseModel):
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    client_address: str | None
    user_agent: str | None


class LinkPart(BaseModel):
    purpose: str = Field(description="`password_reset` or `email_change`")
    created_at: datetime
    expires_at: datetime
    used_or_retired_at: datetime | None
    new_email: str | None


class SecurityEventPart(BaseModel):
    at: datetime
    kind: str
    by: str
    detail: str


class SignupPart(BaseModel):
    """A sign-up (or a staff invitation) of the person's address, spent when the account was
    opened: the one whose link opened it, and any other made with the address. Kept until a
    day after its link's end."""

    kind: str = Field(description="`sign_up` or `invitation`")
    created_at: datetime
    expires_at: datetime
    spent_at: datetime


class MessagePart(BaseModel):
    channel: str = Field(description="`mail` or `sms`")
    template: str
    subject: str
    text: str = Field(
        description="What the message said (a mail's plain-text part); the personal link it "
        "carried is not kept once sent, and is shown as withheld"
    )
    recipient: str
    created_at: datetime
    status: str
    sent_at: datetime | None


class OldAccountPart(BaseModel):
    """The old CMA site's account, as its export gave it (paired: its password is gone)."""

    id: int
    email: str
    title: str | None
    last_name: str | None
    birth_name: str | None
    first_name: str | None
    birth_date: date | None
    birth_country: str | None
    address: str | None
    address_2: str | None
    address_3: str | None
    postal_code: str | None
    city: str | None
    mobile_phone: str | None
    landline_phone: str | None
    heard_from: str | None
    linked_at: datetime | None
    created_at: datetime
    updated_at: datetime


class HistoryPart(BaseModel):
    year: int
    course_code: str
    course_title: str
    result: str | None


class PairingPart(BaseModel):
    at: datetime
    outcome: str
    outcome_label: str
    client_address: str | None


class AttemptByOtherPart(BaseModel):
    """Someone signed in to another Paris account tried the person's old account."""

    at: datetime
    outcome: str
    outcome_label: str


class BasketPart(BaseModel):
    campaign_id: int
    campaign_name: str
    course_code: str
    course_title: str
    rank: int
    priority_situation: str | None
    previous_level: str | None
    motivation: str | None
    added_at: datetime


class ApplicationPart(BaseModel):
    id: int
    campaign_id: int
    campaign_name: str
    school_year: str
    course_code: str
    course_title: str
    rank: int
    priority_situation: str | None
    previous_level: str | None
    motivation: str | None
    submitted_at: datetime
    withdrawn_at: datetime | None
    status: str
    status_label: str
    reason: str | None
    reason_label: str | None
    tier: int | None
    tier_label: str | None
    waitlist_position: int | None
    offer_deadline: date | None


class ReceiptPart(BaseModel):
    reference: str
    submitted_at: datetime
    courses: list[ReceiptCourse] = Field(description="As submitted, in order of preference")


class AnswersMailedPart(BaseModel):
    allocation_run_id: int
    campaign_id: int
    sent_at: datetime


class PersonalData(BaseModel):
    """Everything the service keeps about the person, secrets (password and token hashes)
    excepted. An allocation's outcome shows from the first day of its response period, as on
    the site."""

    generated_at: datetime
    account: AccountPart
    profile: ProfileOut
    subscriptions: list[SubscriptionOut]
    sessions: list[SessionPart]
    sign_ups: list[SignupPart]
    links_sent: list[LinkPart]
    security_events: list[SecurityEventPart]
    messages: list[MessagePart] = Field(description="Mails and SMS sent to the person")
    learner: LearnerOut | None = Field(description="The fiche CMA")
    old_account: OldAccountPart | None
    training_history: list[HistoryPart]
    pairing_trail: list[PairingPart]
    old_account_attempts_by_others: list[AttemptByOtherPart]
    basket: list[BasketPart]
    applications: list[ApplicationPart]
    receipts: list[ReceiptPart] = Field(description="Each basket submitted: its receipt")
    answers_mailed: list[AnswersMailedPart]
    read_by_staff: list[datetime] = Field(
        description="When staff opened the fiche in their console (who did is theirs to know)"
    )


# --- the staff console's "Apprenants" --------------------------------------------------------


class LearnerHit(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_name: str | None
    birth_date: date
    postal_code: str
    city: str
    email: str
    legacy_account_id: int | None = Field(description="The old CMA account's number, if paired")


class StaffMessage(BaseModel):
    channel_label: str = Field(examples=["Mail"])
    subject: str
    created_at: datetime
    status_label: str = Field(examples=["Envoyé"])
    sent_at: datetime | None


class LearnerView(BaseModel):
    """A learner as staff read them; this read is written to the trail."""

    id: uuid.UUID
    fiche: LearnerOut
    account_created_at: datetime
    legacy_account_id: int | None
    training_history: list[HistoryPart]
    pairing_trail: list[PairingPart]
    applications: list[ApplicationOut]
    messages: list[StaffMessage]

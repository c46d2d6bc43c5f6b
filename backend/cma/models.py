"""Every table, imported once so that the metadata (and alembic) sees them all."""

from cma.accounts.models import (
    Account,
    AccountToken,
    Captcha,
    LoginSession,
    SecurityEvent,
    Signup,
    Subscription,
)
from cma.catalogue.models import Campaign, CatalogueVersion, Course, Domain, Page, Venue
from cma.core.database import Base
from cma.core.jobs import Job
from cma.core.ratelimit import RateLimitCounter
from cma.core.staff_reads import StaffRead
from cma.enrolment.models import AllocationRun, Application, BasketItem, ResponseMail
from cma.learners.models import (
    Learner,
    LegacyAccount,
    LegacyPasswordReset,
    LinkAudit,
    PairingTicket,
    TrainingHistory,
)
from cma.notifications.models import OutboxMessage

__all__ = [
    "Account",
    "AccountToken",
    "AllocationRun",
    "Application",
    "Base",
    "BasketItem",
    "Campaign",
    "Captcha",
    "CatalogueVersion",
    "Course",
    "Domain",
    "Job",
    "Learner",
    "LegacyAccount",
    "LegacyPasswordReset",
    "LinkAudit",
    "LoginSession",
    "OutboxMessage",
    "Page",
    "PairingTicket",
    "RateLimitCounter",
    "ResponseMail",
    "SecurityEvent",
    "Signup",
    "StaffRead",
    "Subscription",
    "TrainingHistory",
    "Venue",
]

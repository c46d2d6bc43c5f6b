"""Every table, imported once so that the metadata (and alembic) sees them all."""

from cma.accounts.models import Account, AccountToken, Captcha, LoginSession, Subscription
from cma.catalogue.models import Campaign, CatalogueVersion, Course, Domain, Page, Venue
from cma.core.database import Base
from cma.core.ratelimit import RateLimitCounter
from cma.notifications.models import OutboxMessage

__all__ = [
    "Account",
    "AccountToken",
    "Base",
    "Campaign",
    "Captcha",
    "CatalogueVersion",
    "Course",
    "Domain",
    "LoginSession",
    "OutboxMessage",
    "Page",
    "RateLimitCounter",
    "Subscription",
    "Venue",
]

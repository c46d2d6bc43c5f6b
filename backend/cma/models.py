"""Every table, imported once so that the metadata (and alembic) sees them all."""

from cma.accounts.models import Account, AccountToken, Captcha, LoginSession, Subscription
from cma.core.database import Base
from cma.core.ratelimit import RateLimitCounter
from cma.notifications.models import OutboxMessage

__all__ = [
    "Account",
    "AccountToken",
    "Base",
    "Captcha",
    "LoginSession",
    "OutboxMessage",
    "RateLimitCounter",
    "Subscription",
]

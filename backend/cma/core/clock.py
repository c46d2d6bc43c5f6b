"""The one clock of the service: campaign dates, deadlines and ages are Paris calendar days."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def today() -> date:
    """The calendar day in Paris."""
    return datetime.now(PARIS).date()

"""Dates, times and phones in French as the SPA writes them (shared/format.ts): "vendredi 1er
janvier 2027", "vendredi 1er janvier 2027 à 18 h 30", Paris time, "06 12 34 56 78"."""

import re
from datetime import date, datetime

from cma.core.clock import PARIS

_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def french_day(day: date) -> str:
    """A calendar day (a moment's, in Paris): "samedi 12 décembre 2026"."""
    if isinstance(day, datetime):
        day = day.astimezone(PARIS).date()
    number = "1er" if day.day == 1 else str(day.day)
    return f"{_WEEKDAYS[day.weekday()]} {number} {_MONTHS[day.month - 1]} {day.year}"


def french_hour(hours: int, minutes: int) -> str:
    """ "18 h 30", "9 h"."""
    return f"{hours} h" if minutes == 0 else f"{hours} h {minutes:02d}"


def french_moment(moment: datetime) -> str:
    """An instant, in Paris: "samedi 12 décembre 2026 à 18 h 30"."""
    local = moment.astimezone(PARIS)
    return f"{french_day(local.date())} à {french_hour(local.hour, local.minute)}"


_FRENCH_NUMBER = re.compile(r"^\+(?:33|262|590|594|596)(\d{9})$")


def french_phone(e164: str) -> str:
    """ "+33612345678" -> "06 12 34 56 78", as the site shows it (the overseas departments'
    numbers as dialled there); another country's number stays as it is kept."""
    match = _FRENCH_NUMBER.match(e164)
    if not match:
        return e164
    digits = f"0{match[1]}"
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))

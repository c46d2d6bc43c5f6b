"""A learner as staff find and read them in the console ("Apprenants"): read-only, and every
record opened is written to the trail (`staff_reads`), since it is personal data."""

import re
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from cma.accounts.models import Account
from cma.core import staff_reads
from cma.enrolment import service as enrolment
from cma.learners import service as learners
from cma.learners.exceptions import LearnerRecordNotFound
from cma.learners.models import Learner
from cma.notifications import service as notifications
from cma.notifications.models import Channel, OutboxStatus
from cma.personal.schemas import CHANNEL_LABELS, MESSAGE_STATUS_LABELS

# Every word typed is found in the learner's names, address, city or mail address (accents
# and case aside); a number alone is also an old CMA account's.
_SEARCH = """
SELECT l.id, l.first_name, l.last_name, l.birth_name, l.birth_date, l.postal_code, l.city,
       a.email, l.legacy_account_id
  FROM learners l JOIN accounts a ON a.id = l.account_id
 WHERE {where}
 ORDER BY l.last_name, l.first_name, l.id
 LIMIT :limit
"""
_HAYSTACK = (
    "cma_fold(concat_ws(' ', l.last_name, l.first_name, l.birth_name, l.address, l.address_2, "
    "l.address_3, l.postal_code, l.city, a.email))"
)


_BY_RECEIPT = "SELECT learner_id FROM receipts WHERE reference = :reference"
_RECEIPT = re.compile(r"(?:CMA-?)?([A-Z0-9]{4})-?([A-Z0-9]{4})")


def _like(word: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", word) + "%"


async def search(session: AsyncSession, q: str, limit: int = 50) -> list[dict[str, Any]]:
    words = q.split()[:8]
    if not words:
        return []
    params: dict[str, Any] = {"limit": limit}
    matches = []
    for i, word in enumerate(words):
        params[f"w{i}"] = _like(word)
        matches.append(f"{_HAYSTACK} LIKE cma_fold(:w{i})")
    where = " AND ".join(matches)
    if len(words) == 1 and words[0].isdigit() and len(words[0]) <= 18:
        params["number"] = int(words[0])
        where = f"({where}) OR l.legacy_account_id = :number"
    # The reference of a receipt, which a learner is told to quote: with or without "CMA-".
    receipt = _RECEIPT.fullmatch(words[0].upper()) if len(words) == 1 else None
    if receipt is not None:
        params["reference"] = f"CMA-{receipt[1]}-{receipt[2]}"
        where = f"({where}) OR l.id IN ({_BY_RECEIPT})"
    rows = await session.execute(text(_SEARCH.format(where=where)), params)
    return [dict(row._mapping) for row in rows]


async def read(session: AsyncSession, learner_id: uuid.UUID, staff: uuid.UUID) -> dict[str, Any]:
    """The learner's fiche, pairing, applications and messages; the read goes to the trail in
    the same transaction (no read without its trace)."""
    learner = await session.get(Learner, learner_id)
    if learner is None:
        raise LearnerRecordNotFound()
    account = await session.get(Account, learner.account_id)
    assert account is not None
    staff_reads.record(session, staff, "fiche", learner.id)
    messages = await notifications.list_for_account(session, account.id)
    return {
        "id": learner.id,
        "fiche": learners.record_out(learner, account),
        "account_created_at": account.created_at,
        "legacy_account_id": learner.legacy_account_id,
        "training_history": [
            {
                "year": h.year,
                "course_code": h.course_code,
                "course_title": h.course_title,
                "result": h.result,
            }
            for h in await learners.history(session, account)
        ],
        "pairing_trail": await learners.pairing_trail(session, account.id),
        "applications": await enrolment.applications(session, learner.id, for_staff=True),
        "receipts": await enrolment.receipts(session, learner.id),
        "messages": [
            {
                "channel_label": CHANNEL_LABELS[Channel(m.channel)],
                "subject": notifications.title_of(m),
                "created_at": m.created_at,
                "status_label": MESSAGE_STATUS_LABELS[OutboxStatus(m.status)],
                "sent_at": m.sent_at,
            }
            for m in reversed(messages)
        ],
    }

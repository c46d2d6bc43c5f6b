"""A learner as staff find and read them in the console ("Apprenants"): read-only, and every
record opened is written to the trail (`staff_reads`), since it is personal data."""

import re
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cma.accounts import service as accounts
from cma.core import staff_reads
from cma.enrolment import service as enrolment
from cma.learners import service as learners
from cma.learners.exceptions import LearnerRecordNotFound
from cma.notifications import service as notifications
from cma.notifications.labels import CHANNEL_LABELS, MESSAGE_STATUS_LABELS
from cma.notifications.service import Channel, OutboxStatus

_RECEIPT = re.compile(r"(?:CMA-?)?([A-Z0-9]{4})-?([A-Z0-9]{4})")


async def search(session: AsyncSession, q: str, limit: int = 50) -> list[dict[str, Any]]:
    """Learners whose names, address, city or mail address hold every word typed (accents
    and case aside); a number alone is also an old CMA account's, and the reference of a
    receipt (which a learner is told to quote, with or without "CMA-") finds its learner."""
    words = q.split()[:8]
    if not words:
        return []
    receipt = _RECEIPT.fullmatch(words[0].upper()) if len(words) == 1 else None
    also = (
        await enrolment.learner_with_receipt(session, f"CMA-{receipt[1]}-{receipt[2]}")
        if receipt is not None
        else None
    )
    return await learners.search(session, words, also=also, limit=limit)


async def read(session: AsyncSession, learner_id: uuid.UUID, staff: uuid.UUID) -> dict[str, Any]:
    """The learner's fiche, pairing, applications and messages; the read goes to the trail in
    the same transaction (no read without its trace)."""
    learner = await learners.learner(session, learner_id)
    if learner is None:
        raise LearnerRecordNotFound()
    account = (await accounts.accounts_by_id(session, [learner.account_id]))[learner.account_id]
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

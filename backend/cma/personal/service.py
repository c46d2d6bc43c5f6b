"""One person across the contexts: their export, and their erasure, in one transaction."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cma.accounts import service as accounts
from cma.accounts.dependencies import Authenticated
from cma.accounts.service import Guard
from cma.core import staff_reads
from cma.enrolment import personal_data as enrolment
from cma.learners import service as learners
from cma.personal.schemas import PersonalData


async def export(session: AsyncSession, auth: Authenticated) -> PersonalData:
    account = auth.account
    learner = await learners.learner_of(session, account.id)
    return PersonalData.model_validate(
        {
            "generated_at": datetime.now(UTC),
            **await accounts.export(session, account),
            **await learners.export_of(session, account),
            **(
                await enrolment.export_of(session, learner.id)
                if learner
                else {
                    "basket": [],
                    "applications": [],
                    "receipts": [],
                    "answers_mailed": [],
                    "auto_responses": [],
                }
            ),
            "read_by_staff": await staff_reads.reads_of(session, learner.id) if learner else [],
        }
    )


async def erase(
    session: AsyncSession,
    guard: Guard,
    auth: Authenticated,
    password: str,
) -> None:
    """Everything about the person goes: applications (a seat they held passes down the
    waiting list), the fiche, the old account it was paired with, its years and trail, the
    messages, the account. Nothing that names them is left."""
    await accounts.confirm_password(session, guard, auth.account, auth.session, password)
    learner = await learners.learner_of(session, auth.account.id)
    if learner is not None:
        await enrolment.forget(session, learner.id)
    known = await learners.forget(session, auth.account.id)
    await accounts.forget_account(session, auth.account, known)

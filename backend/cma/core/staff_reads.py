"""Who among staff read which learner's personal data, and when: the trail of the console.

A learner's record opened is one row naming them; a list (a course's applicants, an
allocation learner by learner, its spreadsheet, a cancellation's recipients, a search) is one
row saying what was read, naming nobody. The learner's erasure takes their id out of the
trail; a staff member's erasure, theirs."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from cma.core.database import Base


class StaffRead(Base):
    __tablename__ = "staff_reads"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    staff_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    learner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("learners.id", ondelete="SET NULL"), index=True
    )
    # What was read, in words: "fiche", "candidats du cours LE0042", …
    subject: Mapped[str] = mapped_column(String(200))


def record(
    session: AsyncSession, staff: uuid.UUID, subject: str, learner_id: uuid.UUID | None = None
) -> None:
    """Keep the read in the caller's transaction: no read without its trace."""
    session.add(StaffRead(staff_account_id=staff, learner_id=learner_id, subject=subject))


async def reads_of(session: AsyncSession, learner_id: uuid.UUID) -> list[datetime]:
    """When staff opened the learner's record (for the learner's own export)."""
    rows = await session.scalars(
        select(StaffRead.at).where(StaffRead.learner_id == learner_id).order_by(StaffRead.at)
    )
    return list(rows)

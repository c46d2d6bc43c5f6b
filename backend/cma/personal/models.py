"""Who among staff read a learner's personal data, and when: the trail of the console."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, func
from sqlalchemy.orm import Mapped, mapped_column

from cma.core.database import Base


class StaffRead(Base):
    """A staff member opened a learner's record in the console. The learner's erasure leaves
    the row without them (nothing then names them); the staff member's, without them."""

    __tablename__ = "staff_reads"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    staff_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    learner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("learners.id", ondelete="SET NULL"), index=True
    )

"""Single-use secrets: mailed links, pairing tickets, and whatever later token is used once.

A kind of token is a table (with `SingleUseColumns`) and an owner column: issuing one for an
owner retires the owner's live one (a partial unique index in the table keeps it so),
consuming it is one UPDATE … RETURNING (of two concurrent uses, exactly one gets it), and only
its HMAC is stored (bound to the kind, so a token minted for one kind is nothing for another).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, LargeBinary, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from cma.core.database import CreatedAt
from cma.core.security import new_token, token_digest


class SingleUseColumns(CreatedAt):
    """The columns every single-use token's table has."""

    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]


Row = TypeVar("Row", bound=SingleUseColumns)


@dataclass(frozen=True)
class SingleUse(Generic[Row]):
    """One kind of token: its table, its owner column, and for a table that holds several
    kinds, what tells this kind's rows (`scope`, also written on issue)."""

    table: type[Row]
    purpose: str  # bound into the HMAC
    owner: str  # the column whose value has at most one live token of this kind
    scope: tuple[tuple[str, Any], ...] = ()

    def _column(self, name: str) -> Any:
        return getattr(self.table, name)

    def _mine(self) -> list[ColumnElement[bool]]:
        return [self._column(name) == value for name, value in self.scope]

    def live(self, raw: str, *also: ColumnElement[bool]) -> list[ColumnElement[bool]]:
        """Where a row is `raw`'s and still usable: unused, unexpired (and `also`)."""
        table: Any = self.table
        return [
            table.token_hash == token_digest(raw, purpose=self.purpose),
            table.consumed_at.is_(None),
            table.expires_at > func.now(),
            *self._mine(),
            *also,
        ]

    async def issue(
        self, session: AsyncSession, owner: Any, ttl: timedelta, **columns: Any
    ) -> tuple[str, Row]:
        """A new token for `owner`, its previous live one retired; the raw token is for the
        person only (a mail, an answer), never kept."""
        await self.retire(session, owner)
        raw = new_token()
        table: Any = self.table  # a mapped class: its constructor takes its columns
        row: Row = table(
            token_hash=token_digest(raw, purpose=self.purpose),
            expires_at=func.now() + ttl,
            **{self.owner: owner},
            **dict(self.scope),
            **columns,
        )
        session.add(row)
        await session.flush()
        return raw, row

    async def retire(self, session: AsyncSession, owner: Any) -> None:
        """The owner's live token of this kind can no longer be used."""
        table: Any = self.table
        await session.execute(
            update(self.table)
            .where(self._column(self.owner) == owner, table.consumed_at.is_(None), *self._mine())
            .values(consumed_at=func.now())
        )

    async def find(self, session: AsyncSession, raw: str, *also: ColumnElement[bool]) -> Row | None:
        """The live row of `raw`, left usable (to check before work that must not hold it)."""
        return await session.scalar(select(self.table).where(*self.live(raw, *also)))

    async def consume(
        self, session: AsyncSession, raw: str, *also: ColumnElement[bool]
    ) -> Row | None:
        """Use `raw` once: its row if it was live, None for a used, expired or unknown one."""
        return await session.scalar(
            update(self.table)
            .where(*self.live(raw, *also))
            .values(consumed_at=func.now())
            .returning(self.table)
        )

"""The migrations build exactly the tables the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.models import Base


async def test_models_and_migrations_agree(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(
            connection,  # type: ignore[arg-type]
            opts={"compare_type": True, "compare_server_default": True},
        )
        return list(compare_metadata(context, Base.metadata))

    async with sessionmaker() as session:
        connection = await session.connection()
        differences = await connection.run_sync(diff)

    assert differences == []


async def test_a_consumed_token_cannot_be_revived(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    async with sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO captchas (code, expires_at, consumed_at) "
                "VALUES ('abcde', now() + interval '1 minute', now())"
            )
        )
    async with sessionmaker() as session:
        with pytest.raises(IntegrityError, match="cannot be used again"):
            await session.execute(text("UPDATE captchas SET consumed_at = NULL"))

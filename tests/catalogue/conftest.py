import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.catalogue import demo

COURSES = 300


@pytest.fixture
async def catalogue(app: object, sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """The demo catalogue (smaller than the real one, same shape), visible to readers at once."""
    async with sessionmaker() as session, session.begin():
        written = await demo.seed(session, courses=COURSES)
    await app.state.catalogue_cache.refresh()  # type: ignore[attr-defined]
    return written

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.learners.legacy_generate import generate
from cma.learners.legacy_import import Report, import_legacy


@pytest.fixture(scope="session")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated old-site export: 300 accounts, dirty rows included."""
    directory = tmp_path_factory.mktemp("legacy")
    generate(directory, size=300, seed=7, sample=300)
    return directory


@pytest.fixture
async def imported(export: Path, sessionmaker: async_sessionmaker[AsyncSession]) -> Report:
    return await import_legacy(sessionmaker, export)


def credentials(export: Path) -> dict[str, tuple[str, str]]:
    """scheme -> (email, password) of an account of that hash format."""
    found: dict[str, tuple[str, str]] = {}
    lines = (export / "credentials.csv").read_text(encoding="utf-8").splitlines()[1:]
    for line in lines:
        email, password, scheme = line.split(";")
        found.setdefault(scheme, (email, password))
    return found

"""`cma import-legacy`: the old site's export, checked row by row, imported once."""

from pathlib import Path

import phonenumbers
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.core.validation import FRENCH_REGIONS
from cma.learners.legacy_import import Report, import_legacy
from cma.learners.models import LegacyAccount, TrainingHistory


async def test_dirty_rows_are_reported_and_the_rest_imported(
    imported: Report, export: Path
) -> None:
    lines = len((export / "accounts.csv").read_text(encoding="utf-8").splitlines()) - 1

    rejected_accounts = [r for r in imported.rejected if r[0] == "accounts.csv"]
    assert imported.accounts + len(rejected_accounts) == lines
    assert rejected_accounts, "the generated export has dirty rows"
    reasons = " ".join(reason for _, _, reason in imported.rejected + imported.corrected)
    assert "déjà utilisée par le compte" in reasons  # the same email in another case
    assert all(isinstance(line, int) and line > 1 for _, line, _ in imported.rejected)


async def test_running_it_again_updates_and_never_duplicates(
    imported: Report, export: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    again = await import_legacy(sessionmaker, export)

    assert (again.accounts, again.history, len(again.rejected)) == (
        imported.accounts,
        imported.history,
        len(imported.rejected),
    )
    async with sessionmaker() as session:
        assert (
            await session.scalar(select(func.count()).select_from(LegacyAccount))
            == imported.accounts
        )
        assert (
            await session.scalar(select(func.count()).select_from(TrainingHistory))
            == imported.history
        )


async def test_emails_are_stored_lower_cased_and_phones_in_e164(
    imported: Report, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session:
        emails = list(await session.scalars(select(LegacyAccount.email)))
        phones = [p for p in await session.scalars(select(LegacyAccount.mobile_phone)) if p]
    assert all(e == e.lower() for e in emails)
    assert phones
    for phone in phones:  # E.164, and French (overseas departments included)
        number = phonenumbers.parse(phone)
        assert phonenumbers.region_code_for_number(number) in FRENCH_REGIONS, phone

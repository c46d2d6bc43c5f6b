"""`cma import-legacy DIR`: the old CMA site's export, checked row by row and upserted.

The export is two CSV files, UTF-8, `;`-separated, with a header line:

accounts.csv
    id             the old site's account number (integer, unique)
    email          the access email (unique in any letter case)
    password_hash  as the old site stored it: hex MD5 (32 hex digits), {SSHA} salted SHA-1,
                   $1$ MD5-crypt, $2a$/$2b$/$2y$ bcrypt; empty when unusable
    title          M or Mme
    last_name, birth_name, first_name
    birth_date     YYYY-MM-DD or DD/MM/YYYY
    birth_country  ISO 3166-1 alpha-2 code (FR, DZ, …)
    address, address_2, address_3, postal_code (5 digits), city
    mobile_phone, landline_phone   French numbers, any usual writing
    heard_from     one of: mairie_arrondissement, connaissance, reseaux_sociaux, internet,
                   affichage, autre

history.csv
    account_id     an id of accounts.csv
    year           the school year's first year (2015 for 2015-2016)
    course_code, course_title, result

A row that cannot be identified (id, email, duplicate, unknown password format) is reported
with its line and reason and left out. A row with an unusable detail (a birth date, a phone,
a postal code…) goes in without that detail, reported too: the person completes it on the
review form, and keeps their history. Running the import again updates rows and never
duplicates them; an account already paired keeps its link and no password.
"""

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.core.clock import today
from cma.core.countries import check_country
from cma.core.validation import (
    check_postal_code,
    normalize_email,
    normalize_french_mobile,
    normalize_french_phone,
)
from cma.learners.models import HeardFrom, LegacyAccount

ACCOUNT_COLUMNS = [
    "id", "email", "password_hash", "title", "last_name", "birth_name", "first_name",
    "birth_date", "birth_country", "address", "address_2", "address_3", "postal_code", "city",
    "mobile_phone", "landline_phone", "heard_from",
]  # fmt: skip
HISTORY_COLUMNS = ["account_id", "year", "course_code", "course_title", "result"]
HASH_PREFIXES = ("{SSHA}", "$1$", "$2a$", "$2b$", "$2y$")
BATCH = 20_000  # rows a transaction; COPY has no parameter limit


class Rejected(ValueError):
    """A row left out, with why."""


@dataclass
class Report:
    accounts: int = 0
    history: int = 0
    rejected: list[tuple[str, int, str]] = field(default_factory=list)
    corrected: list[tuple[str, int, str]] = field(default_factory=list)

    def reject(self, file: str, line: int, reason: str) -> None:
        self.rejected.append((file, line, reason))


def _rows(path: Path, columns: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        missing = set(columns) - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path.name}: missing columns {sorted(missing)}")
        for row in reader:
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}


def _date(value: str) -> date | None:
    if not value:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            parsed = datetime.strptime(value, pattern).date()
        except ValueError:
            continue
        if not 1900 <= parsed.year <= today().year:
            raise ValueError(f"date de naissance invraisemblable : {value}")
        return parsed
    raise ValueError(f"date de naissance illisible : {value}")


def _hash(value: str) -> str | None:
    if not value:
        return None
    if (len(value) == 32 and all(c in "0123456789abcdef" for c in value.lower())) or (
        value.startswith(HASH_PREFIXES)
    ):
        return value
    raise Rejected("format de mot de passe inconnu")


def _choice(allowed: set[str], what: str) -> Any:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"{what} inconnu : {value}")
        return value

    return check


def _country(value: str) -> str:
    try:
        return check_country(value)
    except ValueError:
        raise ValueError(f"pays inconnu : {value}") from None


OPTIONAL_CHECKS: dict[str, tuple[Any, str]] = {
    "title": (_choice({"M", "Mme"}, "titre"), "titre"),
    "birth_date": (_date, "date de naissance"),
    "birth_country": (_country, "pays de naissance"),
    "postal_code": (check_postal_code, "code postal"),
    "mobile_phone": (normalize_french_mobile, "téléphone mobile"),
    "landline_phone": (normalize_french_phone, "téléphone fixe"),
    "heard_from": (_choice({h.value for h in HeardFrom}, "réponse"), "« Comment avez-vous connu »"),
}


def account_row(raw: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The row to import and what had to be left out of it; Rejected if it cannot be used."""
    try:
        legacy_id = int(raw["id"])
    except ValueError:
        raise Rejected(f"identifiant invalide : {raw['id']}") from None
    try:
        email = normalize_email(raw["email"])
    except ValueError:
        raise Rejected(f"adresse mail invalide : {raw['email']}") from None
    row: dict[str, Any] = {
        "id": legacy_id,
        "email": email,
        "password_hash": _hash(raw["password_hash"]),
        **{name: raw[name][:100] or None for name in ("last_name", "birth_name", "first_name")},
        **{name: raw[name][:200] or None for name in ("address", "address_2", "address_3")},
        "city": raw["city"][:100] or None,
    }
    dropped = []
    for name, (check, label) in OPTIONAL_CHECKS.items():
        value = raw[name]
        try:
            row[name] = check(value) if value else None
        except ValueError as error:
            row[name] = None
            dropped.append(f"{label} ignoré ({error})")
    return row, dropped


async def _copy_to_stage(
    session: AsyncSession, table: str, columns: list[str], rows: list[dict[str, Any]]
) -> None:
    """COPY rows into a temporary copy of `table`, dropped at commit: no parameter limits,
    no per-value binding."""
    await session.execute(
        text(f"CREATE TEMP TABLE stage_{table} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
    )
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    await raw.copy_records_to_table(
        f"stage_{table}", records=[tuple(row[c] for c in columns) for row in rows], columns=columns
    )


STAGED_COLUMNS = [*ACCOUNT_COLUMNS, "updated_at"]
_REPLACED = ", ".join(
    f"{c} = excluded.{c}" for c in STAGED_COLUMNS if c not in ("id", "password_hash")
)
UPSERT_ACCOUNTS = text(
    f"""
    INSERT INTO legacy_accounts ({", ".join(STAGED_COLUMNS)})
    SELECT {", ".join(STAGED_COLUMNS)} FROM stage_legacy_accounts
    ON CONFLICT (id) DO UPDATE SET
        {_REPLACED},
        -- A paired account keeps no password, whatever the export says.
        password_hash = CASE WHEN legacy_accounts.linked_at IS NULL
                             THEN excluded.password_hash END
    """  # noqa: S608 - column names are ours
)
HISTORY_TABLE_COLUMNS = ["legacy_account_id", "year", "course_code", "course_title", "result"]
UPSERT_HISTORY = text(
    f"""
    INSERT INTO training_history ({", ".join(HISTORY_TABLE_COLUMNS)})
    SELECT {", ".join(HISTORY_TABLE_COLUMNS)} FROM stage_training_history
    ON CONFLICT ON CONSTRAINT uq_training_history_row DO UPDATE SET
        course_title = excluded.course_title, result = excluded.result
    """  # noqa: S608 - column names are ours
)


async def import_legacy(sessionmaker: async_sessionmaker[AsyncSession], directory: Path) -> Report:
    report = Report()
    async with sessionmaker() as session, session.begin():
        owners = dict((await session.execute(select(LegacyAccount.email, LegacyAccount.id))).all())
    seen_ids: set[int] = set()
    batch: list[dict[str, Any]] = []
    for line, raw in _rows(directory / "accounts.csv", ACCOUNT_COLUMNS):
        try:
            row, dropped = account_row(raw)
            if row["id"] in seen_ids:
                raise Rejected(f"identifiant {row['id']} en double dans le fichier")
            owner = owners.get(row["email"])
            if owner is not None and owner != row["id"]:
                raise Rejected(f"adresse mail déjà utilisée par le compte {owner}")
        except Rejected as reason:
            report.reject("accounts.csv", line, str(reason))
            continue
        seen_ids.add(row["id"])
        owners[row["email"]] = row["id"]
        report.corrected += [("accounts.csv", line, note) for note in dropped]
        batch.append({**row, "updated_at": datetime.now().astimezone()})
        if len(batch) >= BATCH:
            await _flush_accounts(sessionmaker, batch)
            report.accounts += len(batch)
            batch = []
    if batch:
        await _flush_accounts(sessionmaker, batch)
        report.accounts += len(batch)

    known = set(owners.values())
    history: list[dict[str, Any]] = []
    for line, raw in _rows(directory / "history.csv", HISTORY_COLUMNS):
        try:
            account_id, year = int(raw["account_id"]), int(raw["year"])
        except ValueError:
            report.reject("history.csv", line, "compte ou année illisible")
            continue
        if account_id not in known:
            report.reject("history.csv", line, f"compte {account_id} inconnu")
            continue
        if not (1950 <= year <= 2100) or not raw["course_code"] or not raw["course_title"]:
            report.reject("history.csv", line, "année, code ou intitulé du cours manquant")
            continue
        history.append(
            {
                "legacy_account_id": account_id,
                "year": year,
                "course_code": raw["course_code"][:20],
                "course_title": raw["course_title"][:200],
                "result": raw["result"][:100] or None,
            }
        )
        if len(history) >= BATCH:
            report.history += await _flush_history(sessionmaker, history)
            history = []
    if history:
        report.history += await _flush_history(sessionmaker, history)
    return report


async def _flush_accounts(
    sessionmaker: async_sessionmaker[AsyncSession], batch: list[dict[str, Any]]
) -> None:
    async with sessionmaker() as session, session.begin():
        await _copy_to_stage(session, "legacy_accounts", STAGED_COLUMNS, batch)
        await session.execute(UPSERT_ACCOUNTS)


async def _flush_history(
    sessionmaker: async_sessionmaker[AsyncSession], batch: list[dict[str, Any]]
) -> int:
    # The same row twice in one statement would make ON CONFLICT fail: keep the last.
    unique = list(
        {(r["legacy_account_id"], r["year"], r["course_code"]): r for r in batch}.values()
    )
    async with sessionmaker() as session, session.begin():
        await _copy_to_stage(session, "training_history", HISTORY_TABLE_COLUMNS, unique)
        await session.execute(UPSERT_HISTORY)
    return len(unique)

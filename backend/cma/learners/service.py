"""The learner record and the one-time pairing with an old CMA account (journey D)."""

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Uuid, and_, any_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cma.accounts import service as accounts
from cma.accounts.service import CaptchaAnswer, CaptchaRequired, Guard, GuessRules, Rules
from cma.accounts.views import AccountView
from cma.core import jobs
from cma.core.countries import french_names
from cma.core.database import release
from cma.core.problems import TooManyRequests
from cma.core.ratelimit import Throttle, subject_key
from cma.core.security import hash_password, verify_password_evenly
from cma.core.settings import Settings, get_settings
from cma.core.single_use import SingleUse
from cma.learners.exceptions import (
    AlreadyHasRecord,
    InvalidLegacyCredentials,
    InvalidLegacyResetToken,
    InvalidTicket,
    LearnerNotFound,
    LegacyAlreadyLinked,
)
from cma.learners.labels import HEARD_FROM_LABELS, LINK_OUTCOME_LABELS
from cma.learners.models import (
    Learner,
    LegacyAccount,
    LegacyPasswordReset,
    LinkAudit,
    LinkOutcome,
    PairingTicket,
    TrainingHistory,
)
from cma.learners.schemas import LearnerIn
from cma.notifications import service as notifications

TICKET_TTL = timedelta(minutes=15)
# Proof, once, that an account knew an old password; the mailed link to choose a new one.
_TICKETS = SingleUse(PairingTicket, "pairing", owner="account_id")
_LEGACY_RESETS = SingleUse(LegacyPasswordReset, "legacy-reset", owner="legacy_account_id")
FICHE_FIELDS = tuple(LearnerIn.model_fields)


def legacy_rules(settings: Settings) -> GuessRules:
    """Guessing an old password is slowed like a login: per old account, per address."""
    return GuessRules.of(
        "legacy",
        per_address=settings.login_limit_per_address,
        per_login=settings.login_captcha_per_account,
        per_login_and_address=settings.login_captcha_per_account_and_address,
    )


async def audit(
    guard: Guard,
    account_id: uuid.UUID,
    legacy_account_id: int | None,
    outcome: LinkOutcome,
) -> None:
    """Record an attempt in its own transaction: a refused request rolls back, the trail not."""
    async with guard.sessionmaker() as session, session.begin():
        session.add(
            LinkAudit(
                account_id=account_id,
                legacy_account_id=legacy_account_id,
                client_address=guard.client.address,
                outcome=outcome.value,
            )
        )


# --- the record ------------------------------------------------------------------------------


_LEARNER_OF = select(Learner).where(Learner.account_id == bindparam("account_id"))
_LEARNER_ID_OF = select(Learner.id).where(Learner.account_id == bindparam("account_id"))


async def learner_of(session: AsyncSession, account_id: uuid.UUID) -> Learner | None:
    return await session.scalar(_LEARNER_OF, {"account_id": account_id})


async def learner_id_of(session: AsyncSession, account_id: uuid.UUID) -> uuid.UUID | None:
    """The id of the account's record, without loading the record (every basket request)."""
    return await session.scalar(_LEARNER_ID_OF, {"account_id": account_id})


@dataclass(frozen=True, slots=True)
class Person:
    """A learner as other contexts name and reach them."""

    learner_id: uuid.UUID
    account_id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    mobile_phone: str | None  # the fiche's, else the account's

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def sort_key(self) -> tuple[str, str, str]:
        """By family name, then given name, as staff's lists are ordered."""
        return (self.last_name.casefold(), self.first_name.casefold(), str(self.learner_id))


async def people(
    session: AsyncSession, learner_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Person]:
    """These learners' names, address and phone (those whose record is still there)."""
    wanted = set(learner_ids)
    if not wanted:
        return {}
    found = list(
        await session.execute(
            select(
                Learner.id,
                Learner.account_id,
                Learner.first_name,
                Learner.last_name,
                Learner.mobile_phone,
            ).where(Learner.id == any_(bindparam("ids", type_=ARRAY(Uuid)))),
            {"ids": list(wanted)},
        )
    )
    owners = await accounts.accounts_by_id(session, {row.account_id for row in found})
    return {
        row.id: Person(
            learner_id=row.id,
            account_id=row.account_id,
            first_name=row.first_name,
            last_name=row.last_name,
            email=owners[row.account_id].email,
            mobile_phone=row.mobile_phone or owners[row.account_id].mobile_phone,
        )
        for row in found
    }


async def learner(session: AsyncSession, learner_id: uuid.UUID) -> Learner | None:
    return await session.get(Learner, learner_id)


def _like(word: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", word) + "%"


async def search(
    session: AsyncSession, words: list[str], *, also: uuid.UUID | None, limit: int
) -> list[dict[str, Any]]:
    """Learners whose names, address, city or mail address hold every word (accents and case
    aside), by name; a number alone is also an old CMA account's; `also`, one more learner."""
    email = accounts.email_of(Learner.account_id)
    haystack = func.cma_fold(
        func.concat_ws(
            " ",
            Learner.last_name,
            Learner.first_name,
            Learner.birth_name,
            Learner.address,
            Learner.address_2,
            Learner.address_3,
            Learner.postal_code,
            Learner.city,
            email,
        )
    )
    found = and_(*(haystack.like(func.cma_fold(_like(word))) for word in words))
    if len(words) == 1 and words[0].isdigit() and len(words[0]) <= 18:
        found = or_(found, Learner.legacy_account_id == int(words[0]))
    if also is not None:
        found = or_(found, Learner.id == also)
    rows = await session.execute(
        select(
            Learner.id,
            Learner.first_name,
            Learner.last_name,
            Learner.birth_name,
            Learner.birth_date,
            Learner.postal_code,
            Learner.city,
            email.label("email"),
            Learner.legacy_account_id,
        )
        .where(found)
        .order_by(Learner.last_name, Learner.first_name, Learner.id)
        .limit(limit)
    )
    return [dict(row._mapping) for row in rows]


def record_out(learner: Learner, account: AccountView) -> dict[str, Any]:
    return {
        "email": account.email,
        **{field: getattr(learner, field) for field in FICHE_FIELDS},
        "birth_country_label": french_names().get(learner.birth_country, learner.birth_country),
        "heard_from_label": HEARD_FROM_LABELS[learner.heard_from],  # type: ignore[index]
        "paired_with_legacy_account": learner.legacy_account_id is not None,
        "updated_at": learner.updated_at,
    }


def _fill(learner: Learner, data: LearnerIn) -> None:
    for field, value in data.model_dump(mode="python").items():
        setattr(learner, field, getattr(value, "value", value))


async def _insert(session: AsyncSession, learner: Learner) -> bool:
    """False when the database refuses it: this account (or old account) already has one."""
    try:
        async with session.begin_nested():
            session.add(learner)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def create_learner(session: AsyncSession, account: AccountView, data: LearnerIn) -> Learner:
    """ "Vous n'avez jamais été inscrit aux Cours Municipaux d'Adultes ?": a new record."""
    learner = Learner(account_id=account.id)
    _fill(learner, data)
    if not await _insert(session, learner):
        raise AlreadyHasRecord()
    await session.refresh(learner)
    return learner


async def update_learner(session: AsyncSession, account: AccountView, data: LearnerIn) -> Learner:
    learner = await learner_of(session, account.id)
    if learner is None:
        raise LearnerNotFound()
    _fill(learner, data)
    await session.flush()
    await session.refresh(learner)
    return learner


async def history(session: AsyncSession, account: AccountView) -> list[TrainingHistory]:
    learner = await learner_of(session, account.id)
    if learner is None:
        raise LearnerNotFound()
    if learner.legacy_account_id is None:
        return []
    rows = await session.scalars(
        select(TrainingHistory)
        .where(TrainingHistory.legacy_account_id == learner.legacy_account_id)
        .order_by(TrainingHistory.year.desc(), TrainingHistory.course_code)
    )
    return list(rows)


async def courses_done(
    session: AsyncSession, learner_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, set[str]]:
    """The course codes in each learner's years on the old site (for prerequisites)."""
    wanted = set(learner_ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(Learner.id, TrainingHistory.course_code)
        .join(TrainingHistory, TrainingHistory.legacy_account_id == Learner.legacy_account_id)
        .where(Learner.id == any_(bindparam("ids", type_=ARRAY(Uuid)))),
        {"ids": list(wanted)},
    )
    done: dict[uuid.UUID, set[str]] = {}
    for learner_id, code in rows:
        done.setdefault(learner_id, set()).add(code)
    return done


# --- pairing ---------------------------------------------------------------------------------


async def _upgrade_hash(session: AsyncSession, legacy_id: int, new_hash: str) -> bool:
    """Replace an old format by argon2id, unless the account was linked meanwhile (its
    password is gone for good then). False in that case."""
    upgraded = await session.scalar(
        update(LegacyAccount)
        .where(LegacyAccount.id == legacy_id, LegacyAccount.linked_at.is_(None))
        .values(password_hash=new_hash)
        .returning(LegacyAccount.id)
        .execution_options(synchronize_session=False)
    )
    return upgraded is not None


def _legacy_record(legacy: LegacyAccount) -> dict[str, Any]:
    return {"email": legacy.email, **{f: getattr(legacy, f) for f in FICHE_FIELDS}}


@dataclass(frozen=True)
class Ticket:
    token: str
    expires_at: datetime
    record: dict[str, Any]


async def legacy_login(
    session: AsyncSession,
    guard: Guard,
    rules: GuessRules,
    account: AccountView,
    email: str,
    password: str,
    proof: CaptchaAnswer | None = None,
) -> Ticket:
    """ "Vous avez déjà été inscrit…": prove the old password, get a ticket and the record."""
    if await learner_of(session, account.id) is not None:
        raise AlreadyHasRecord()
    try:
        attempt = await accounts.begin_password_attempt(
            guard.throttle, guard.sessionmaker, rules, subject_key(email), guard.client, proof
        )
    except (TooManyRequests, CaptchaRequired):
        await audit(guard, account.id, None, LinkOutcome.THROTTLED)
        raise
    async with attempt.unless_shed():
        legacy = await session.scalar(select(LegacyAccount).where(LegacyAccount.email == email))
        # Same work and same answer as a wrong password: nothing tells which addresses exist,
        # nor which hash format an account has.
        await release(session)  # no connection waits with the password work
        matches, new_hash = await verify_password_evenly(
            password, legacy.password_hash if legacy else None
        )
    if not matches:
        outcome = (
            LinkOutcome.WRONG_PASSWORD
            if legacy is None or legacy.password_hash is not None
            else LinkOutcome.ALREADY_LINKED
            if legacy.linked_at is not None
            else LinkOutcome.NO_PASSWORD
        )
        await audit(guard, account.id, legacy.id if legacy else None, outcome)
        raise InvalidLegacyCredentials()
    assert legacy is not None
    await attempt.succeeded()
    if new_hash is not None and not await _upgrade_hash(session, legacy.id, new_hash):
        # Another Paris account linked it while this password was checked: the same answer
        # as for an old account already linked.
        await audit(guard, account.id, legacy.id, LinkOutcome.ALREADY_LINKED)
        raise InvalidLegacyCredentials()
    # One live ticket per account: a new one retires the previous.
    raw, ticket = await _TICKETS.issue(session, account.id, TICKET_TTL, legacy_account_id=legacy.id)
    session.add(
        LinkAudit(
            account_id=account.id,
            legacy_account_id=legacy.id,
            client_address=guard.client.address,
            outcome=LinkOutcome.TICKET_ISSUED.value,
        )
    )
    await session.flush()
    await session.refresh(ticket, ["expires_at"])
    return Ticket(token=raw, expires_at=ticket.expires_at, record=_legacy_record(legacy))


async def link(
    session: AsyncSession,
    guard: Guard,
    account: AccountView,
    raw_ticket: str,
    data: LearnerIn,
) -> Learner:
    """The reviewed record becomes this account's, with the old account's history, for good."""
    ticket = await _TICKETS.consume(session, raw_ticket, PairingTicket.account_id == account.id)
    legacy_id = ticket.legacy_account_id if ticket is not None else None
    if legacy_id is None:
        await audit(guard, account.id, None, LinkOutcome.TICKET_INVALID)
        raise InvalidTicket()
    # Of two attempts on one old account, the second waits here, then finds it linked. NO KEY
    # UPDATE, so that the audit trail's foreign key (another connection) is not blocked by it.
    legacy = await session.get_one(LegacyAccount, legacy_id, with_for_update={"key_share": True})
    if legacy.linked_at is not None:
        await audit(guard, account.id, legacy_id, LinkOutcome.CONFLICT)
        raise LegacyAlreadyLinked()
    learner = Learner(account_id=account.id, legacy_account_id=legacy_id)
    _fill(learner, data)
    if not await _insert(session, learner):
        await audit(guard, account.id, legacy_id, LinkOutcome.CONFLICT)
        raise AlreadyHasRecord()
    legacy.linked_at = func.now()
    legacy.password_hash = None  # the old credentials stop working
    session.add(
        LinkAudit(
            account_id=account.id,
            legacy_account_id=legacy_id,
            client_address=guard.client.address,
            outcome=LinkOutcome.LINKED.value,
        )
    )
    await notifications.enqueue(
        session,
        "learner_linked",
        account.email,
        account_id=account.id,
        context={
            "legacy_email": legacy.email,
            "login_url": get_settings().public_url + "/connexion",
        },
    )
    await session.flush()
    await session.refresh(learner)
    return learner


async def audit_trail(
    session: AsyncSession, legacy_account_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """ "Journal des appairages", newest first: each attempt with whose account made it."""
    query = (
        select(LinkAudit, Learner.first_name, Learner.last_name)
        .outerjoin(Learner, Learner.account_id == LinkAudit.account_id)
        .order_by(LinkAudit.at.desc(), LinkAudit.id.desc())
        .limit(limit)
    )
    if legacy_account_id is not None:
        query = query.where(LinkAudit.legacy_account_id == legacy_account_id)
    rows = list(await session.execute(query))
    emails = await accounts.emails_by_id(
        session, {r.account_id for r, _, _ in rows if r.account_id}
    )
    return [
        {
            "at": row.at,
            "account_id": str(row.account_id) if row.account_id else None,
            "name": f"{first} {last}" if last else None,
            "email": emails.get(row.account_id) if row.account_id else None,
            "legacy_account_id": row.legacy_account_id,
            "client_address": str(row.client_address) if row.client_address else None,
            "outcome": row.outcome,
            "outcome_label": LINK_OUTCOME_LABELS[LinkOutcome(row.outcome)],
        }
        for row, first, last in rows
    ]


async def pairing_trail(session: AsyncSession, account_id: uuid.UUID) -> list[dict[str, Any]]:
    """The account's pairing attempts, oldest first, in words."""
    rows = await session.scalars(
        select(LinkAudit).where(LinkAudit.account_id == account_id).order_by(LinkAudit.at)
    )
    return [
        {
            "at": row.at,
            "outcome": row.outcome,
            "outcome_label": LINK_OUTCOME_LABELS[LinkOutcome(row.outcome)],
            "client_address": str(row.client_address) if row.client_address else None,
        }
        for row in rows
    ]


# --- "Mot de passe oublié ?" of the old account ------------------------------------------------


LEGACY_RESET_JOB = "learners.legacy-password-reset"


async def request_legacy_reset(
    session: AsyncSession,
    guard: Guard,
    email: str,
) -> None:
    """Mail a reset link to the old address: the request writes the same row whether it
    exists or not, and the worker decides."""
    await guard.throttle.consume(guard.rules.mail_address, guard.client.key)
    await jobs.defer(session, LEGACY_RESET_JOB, {"email": email})


async def mail_legacy_reset(
    session: AsyncSession, throttle: Throttle, rules: Rules, payload: dict[str, Any]
) -> None:
    """Job: the reset link of an old account not yet paired."""
    email = payload["email"]
    legacy = await session.scalar(
        select(LegacyAccount).where(LegacyAccount.email == email).with_for_update()
    )
    if legacy is None or legacy.linked_at is not None:
        return
    if not await throttle.allows(rules.mail_email, subject_key(email)):
        return
    settings = get_settings()
    raw, _ = await _LEGACY_RESETS.issue(session, legacy.id, settings.password_reset_ttl)
    await notifications.enqueue(
        session,
        "legacy_password_reset",
        legacy.email,
        context={"valid_minutes": int(settings.password_reset_ttl.total_seconds() // 60)},
        secrets={"reset_url": accounts.link_to("/ancien-compte/mot-de-passe", raw)},
    )


def job_handlers(throttle: Throttle, rules: Rules) -> dict[str, jobs.Handler]:
    async def legacy_reset_mail(session: AsyncSession, payload: dict[str, Any]) -> None:
        await mail_legacy_reset(session, throttle, rules, payload)

    return {LEGACY_RESET_JOB: legacy_reset_mail}


async def reset_legacy_password(session: AsyncSession, raw: str, password: str) -> None:
    if await _LEGACY_RESETS.find(session, raw) is None:
        raise InvalidLegacyResetToken()
    await release(session)  # hashed with no connection held; the link is used after
    password_hash = await hash_password(password)
    reset = await _LEGACY_RESETS.consume(session, raw)
    legacy_id = reset.legacy_account_id if reset is not None else None
    legacy = (
        await session.get(LegacyAccount, legacy_id, with_for_update=True) if legacy_id else None
    )
    if legacy is None or legacy.linked_at is not None:
        raise InvalidLegacyResetToken()
    legacy.password_hash = password_hash
    await session.flush()


# --- the person's data -----------------------------------------------------------------------

_OLD_ACCOUNT_FIELDS = ("email", *FICHE_FIELDS, "linked_at", "created_at", "updated_at")


async def export_of(session: AsyncSession, account: AccountView) -> dict[str, Any]:
    """The fiche, the old account it came from, its years, and every pairing attempt."""
    learner = await learner_of(session, account.id)
    legacy = (
        await session.get(LegacyAccount, learner.legacy_account_id)
        if learner is not None and learner.legacy_account_id is not None
        else None
    )
    # Attempts on the person's old account from other Paris accounts: when and how they ended
    # is about the person's account; who made them, and from where, is the other's data.
    by_others: Iterable[LinkAudit] = (
        await session.scalars(
            select(LinkAudit)
            .where(
                LinkAudit.legacy_account_id == legacy.id,
                LinkAudit.account_id.is_distinct_from(account.id),
            )
            .order_by(LinkAudit.at)
        )
        if legacy is not None
        else []
    )
    return {
        "learner": record_out(learner, account) if learner else None,
        "old_account": ({f: getattr(legacy, f) for f in _OLD_ACCOUNT_FIELDS} if legacy else None),
        "training_history": [
            {
                "year": h.year,
                "course_code": h.course_code,
                "course_title": h.course_title,
                "result": h.result,
            }
            for h in (await history(session, account) if learner else [])
        ],
        "pairing_trail": await pairing_trail(session, account.id),
        "old_account_attempts_by_others": [
            {
                "at": row.at,
                "outcome": row.outcome,
                "outcome_label": LINK_OUTCOME_LABELS[LinkOutcome(row.outcome)],
            }
            for row in by_others
        ],
    }


async def forget(session: AsyncSession, account_id: uuid.UUID) -> list[str]:
    """Erase the fiche, the old account it was paired with (its record and years), and the
    pairing trail of the account. Returns the addresses and phones the person was known by
    here, for the messages sent to them to go too."""
    learner = await learner_of(session, account_id)
    known: list[str] = []
    await session.execute(delete(LinkAudit).where(LinkAudit.account_id == account_id))
    if learner is None:
        return known
    known += [p for p in (learner.mobile_phone, learner.landline_phone) if p]
    if learner.legacy_account_id is not None:
        legacy = await session.get(LegacyAccount, learner.legacy_account_id)
        if legacy is not None:
            known += [v for v in (legacy.email, legacy.mobile_phone, legacy.landline_phone) if v]
            await session.delete(legacy)  # its history and reset links go with it
    await session.delete(learner)
    await session.flush()
    return known

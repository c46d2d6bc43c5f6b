"""Journey A: "Je crée mon compte", the activation mail, and the staff invitations.

An account exists only once someone proved they read the address's mail: a sign-up waits in
`signups` with the password chosen on its form, and its link activates it only with that same
password. Whoever signs up someone else's address first holds nothing: the owner's own sign-up
has its own link and password, and activating it erases the others. A mail scanner that
follows the link knows no password and activates nothing. A staff invitation is a sign-up
without a password: its owner chooses one when following the link.

What a request would tell by its time (is there an account here?) is decided by the worker: the
request writes the sign-up and a job, the job writes the right mail.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.accounts import attempts, captcha, links
from cma.accounts.exceptions import AlreadyActive, InvalidToken, WrongPassword
from cma.accounts.models import (
    Account,
    LoginSession,
    Role,
    SecurityEvent,
    SecurityEventKind,
    Signup,
    SignupKind,
    Subscription,
    Topic,
)
from cma.accounts.schemas import SignupRequest
from cma.core import jobs
from cma.core.client import Client
from cma.core.database import release
from cma.core.problems import TooManyRequests
from cma.core.ratelimit import Rule, Throttle, subject_key
from cma.core.security import hash_password, new_token, token_digest, verify_password
from cma.core.settings import get_settings
from cma.notifications import service as notifications

ACTIVATION = "activation"
INVITATION = "invitation"
SIGN_UP_JOB = "accounts.sign-up"
RESEND_JOB = "accounts.resend-activation"


# --- sign-up ---------------------------------------------------------------------------------


async def sign_up(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    throttle: Throttle,
    signup_rule: Rule,
    data: SignupRequest,
    client: Client,
) -> None:
    """Keep the sign-up and hand its mail to the worker.

    The answer, and the work, are the same whether the address already has an account or not:
    the worker mails its owner instead of an activation link.
    """
    await throttle.consume(signup_rule, client.key)
    await captcha.consume(sessionmaker, data.captcha_id, data.captcha_answer)
    settings = get_settings()
    signup_id = uuid.uuid4()
    session.add(
        Signup(
            id=signup_id,
            kind=SignupKind.SIGN_UP.value,
            email=data.email,
            password_hash=await hash_password(data.password),
            mobile_phone=data.mobile_phone,
            accept_information=data.accept_information,
            terms_version=settings.terms_version,
            expires_at=func.now() + settings.activation_ttl,
        )
    )
    await jobs.defer(session, SIGN_UP_JOB, {"signup_id": str(signup_id)})


async def _account_at(session: AsyncSession, email: str) -> Account | None:
    return await session.scalar(select(Account).where(Account.email == email))


async def _mail_activation(session: AsyncSession, signup: Signup) -> None:
    """A fresh link for this sign-up (the previous one, if any, stops working)."""
    raw = new_token()
    signup.token_hash = token_digest(raw, purpose=ACTIVATION)
    await notifications.enqueue(
        session,
        "activation",
        signup.email,
        context={"valid_hours": int(get_settings().activation_ttl.total_seconds() // 3600)},
        secrets={"activation_url": links.link("/activation", raw)},
    )


async def mail_sign_up(
    session: AsyncSession, throttle: Throttle, mail_rule: Rule, payload: dict[str, Any]
) -> None:
    """Job: the activation link of a sign-up, or, if the address has an account, a word to its
    owner (and the sign-up is dropped).

    An activation link is always sent: each sign-up cost a verification code, and a quota of
    mails per address would let a stranger's sign-ups use it up and keep the owner's own
    sign-up from ever getting its link. The word to an account's owner has the quota.
    """
    signup = await session.get(Signup, uuid.UUID(payload["signup_id"]), with_for_update=True)
    if signup is None or signup.consumed_at is not None or signup.token_hash is not None:
        return
    existing = await _account_at(session, signup.email)
    if existing is None:
        await _mail_activation(session, signup)
        return
    await session.delete(signup)
    if not await throttle.allows(mail_rule, subject_key(signup.email)):
        return
    await notifications.enqueue(
        session,
        "account_exists",
        existing.email,
        account_id=existing.id,
        context={
            "login_url": links.link("/connexion"),
            "forgot_url": links.link("/mot-de-passe-oublie"),
        },
    )


async def resend_activation(
    session: AsyncSession, throttle: Throttle, mail_address_rule: Rule, email: str, client: Client
) -> None:
    await throttle.consume(mail_address_rule, client.key)
    await jobs.defer(session, RESEND_JOB, {"email": email})


RESENT_SIGNUPS = 3


async def mail_resend(
    session: AsyncSession, throttle: Throttle, mail_rule: Rule, payload: dict[str, Any]
) -> None:
    """Job: a new link for each of the address's latest sign-ups (a few), if it has no account
    yet. Each link works only with its own sign-up's password, so the owner's is among them
    whoever else signed the address up since."""
    email = payload["email"]
    waiting = list(
        await session.scalars(
            select(Signup)
            .where(
                Signup.email == email,
                Signup.kind == SignupKind.SIGN_UP,
                Signup.consumed_at.is_(None),
                Signup.expires_at > func.now(),
            )
            .order_by(Signup.created_at.desc())
            .limit(RESENT_SIGNUPS)
            .with_for_update()
        )
    )
    if not waiting or await _account_at(session, email) is not None:
        return
    if not await throttle.allows(mail_rule, subject_key(email)):
        return
    for signup in waiting:
        signup.expires_at = func.now() + get_settings().activation_ttl
        await _mail_activation(session, signup)


async def pending_password_hash(session: AsyncSession, email: str) -> str | None:
    """The password of the address's latest sign-up not yet activated, for the login to say
    "not activated yet" to whoever knows it (and to nobody else)."""
    return await session.scalar(
        select(Signup.password_hash)
        .where(
            Signup.email == email,
            Signup.kind == SignupKind.SIGN_UP,
            Signup.consumed_at.is_(None),
            Signup.expires_at > func.now(),
        )
        .order_by(Signup.created_at.desc())
        .limit(1)
    )


# --- following the link ----------------------------------------------------------------------


async def _lock_address(session: AsyncSession, email: str) -> None:
    """Serialise what turns an address's sign-ups into its account (until the transaction
    ends): two links of one address followed at once make one account, and no deadlock."""
    key = func.hashtextextended(f"signup:{email}", 0)
    await session.execute(select(func.pg_advisory_xact_lock(key)))


async def _live(session: AsyncSession, raw: str, kind: SignupKind, *, lock: bool) -> Signup:
    """The sign-up of a link (locked, with its address, when `lock`); refuses a dead link
    (409 once it has served)."""
    purpose = ACTIVATION if kind == SignupKind.SIGN_UP else INVITATION
    if lock:
        email = await session.scalar(
            select(Signup.email).where(
                Signup.token_hash == token_digest(raw, purpose=purpose), Signup.kind == kind
            )
        )
        if email is None:
            raise InvalidToken()
        await _lock_address(session, email)
    query = select(Signup, (Signup.expires_at <= func.now()).label("expired")).where(
        Signup.token_hash == token_digest(raw, purpose=purpose), Signup.kind == kind
    )
    row = (await session.execute(query.with_for_update() if lock else query)).one_or_none()
    if row is None:
        raise InvalidToken()
    signup, expired = row
    if signup.consumed_at is not None:
        if await _account_at(session, signup.email) is not None:
            raise AlreadyActive()
        raise InvalidToken()
    if expired:
        raise InvalidToken()
    return signup


async def _open_account(
    session: AsyncSession, signup: Signup, password_hash: str, role: Role, terms_version: str
) -> Account:
    """The account of a proven sign-up; every other sign-up of the address is erased."""
    account_id = await session.scalar(
        insert(Account)
        .values(
            email=signup.email,
            password_hash=password_hash,
            mobile_phone=signup.mobile_phone,
            role=role.value,
            terms_version=terms_version,
            terms_accepted_at=signup.created_at if signup.terms_version else func.now(),
        )
        .on_conflict_do_nothing(index_elements=[Account.email])
        .returning(Account.id)
    )
    if account_id is None:
        # Another of its sign-ups, or an invitation, made the account first.
        raise AlreadyActive()
    if signup.accept_information:
        session.add(Subscription(account_id=account_id, topic=Topic.INFORMATION_MAIRIE.value))
    # Every sign-up of the address is spent, this one and any other (someone else's password
    # included): their links now answer "already activated", and keep nothing else.
    await session.execute(
        update(Signup)
        .where(Signup.email == signup.email, Signup.consumed_at.is_(None))
        .values(consumed_at=func.now(), password_hash=None, mobile_phone=None)
    )
    # The mails sent to the address on the way (its activation links) are the account's now:
    # in its export, and erased with it.
    await notifications.adopt(session, signup.email, account_id)
    await session.flush()
    return await session.get_one(Account, account_id)


async def activate(
    session: AsyncSession, throttle: Throttle, guess_rule: Rule, raw: str, password: str
) -> Account:
    """The link proves the mailbox, the password proves whose sign-up this is."""
    signup = await _live(session, raw, SignupKind.SIGN_UP, lock=False)
    check = (guess_rule, str(signup.id))
    (counted,) = await throttle.reserve(check)
    if counted > guess_rule.limit.amount:
        raise TooManyRequests(await throttle.retry_after(*check))
    assert signup.password_hash is not None
    # Checked with nothing locked and no connection held; the sign-up is taken after.
    await release(session)
    async with attempts.Attempt(throttle, (check,)).unless_shed():
        matches, _ = await verify_password(password, signup.password_hash)
    if not matches:
        raise WrongPassword(
            "password",
            "Ce mot de passe n'est pas celui choisi en créant le compte avec ce lien. Saisissez "
            "le mot de passe de votre inscription.",
        )
    await throttle.release(check)
    signup = await _live(session, raw, SignupKind.SIGN_UP, lock=True)
    assert signup.password_hash is not None
    assert signup.terms_version is not None
    return await _open_account(
        session, signup, signup.password_hash, Role.LEARNER, signup.terms_version
    )


# --- staff -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffGrant:
    outcome: Literal["promoted", "already", "invited"]
    email: str
    activated_at: datetime | None = None
    expires_at: datetime | None = None


def _event(
    kind: SecurityEventKind, email: str, account_id: uuid.UUID | None, actor: str, detail: str
) -> SecurityEvent:
    return SecurityEvent(
        kind=kind.value, email=email, account_id=account_id, actor=actor, detail=detail
    )


async def grant_staff(session: AsyncSession, email: str, *, actor: str) -> StaffGrant:
    """Make the owner of `email` staff.

    An activated account (its owner proved the mailbox and holds the only password) becomes
    staff, its password untouched. With none, the address is mailed an invitation: the staff
    account is made when its owner follows the link and chooses a password. Nothing a stranger
    signed up there is ever promoted, and no password is kept that its owner did not prove.
    """
    account = await session.scalar(select(Account).where(Account.email == email).with_for_update())
    if account is not None:
        already = account.role == Role.STAFF
        account.role = Role.STAFF.value
        session.add(
            _event(
                SecurityEventKind.STAFF_GRANTED,
                email,
                account.id,
                actor,
                "déjà agent" if already else "compte d'apprenant devenu compte d'agent",
            )
        )
        await session.flush()
        return StaffGrant(
            "already" if already else "promoted", email, activated_at=account.activated_at
        )
    settings = get_settings()
    # One live invitation per address: a new one replaces the last.
    await session.execute(
        delete(Signup).where(
            Signup.email == email,
            Signup.kind == SignupKind.INVITATION,
            Signup.consumed_at.is_(None),
        )
    )
    raw = new_token()
    invitation = Signup(
        kind=SignupKind.INVITATION.value,
        email=email,
        invited_by=actor,
        token_hash=token_digest(raw, purpose=INVITATION),
        expires_at=func.now() + settings.invitation_ttl,
    )
    session.add(invitation)
    await notifications.enqueue(
        session,
        "staff_invitation",
        email,
        context={"valid_days": settings.invitation_ttl.days},
        secrets={"invitation_url": links.link("/invitation", raw)},
    )
    session.add(
        _event(SecurityEventKind.STAFF_INVITED, email, None, actor, "invitation envoyée par mail")
    )
    await session.flush()
    await session.refresh(invitation, ["expires_at"])
    return StaffGrant("invited", email, expires_at=invitation.expires_at)


async def revoke_staff(session: AsyncSession, email: str, *, actor: str) -> bool:
    """The account of `email` is a learner's again; its sessions end. False if it had no
    staff account."""
    account_id = await session.scalar(
        update(Account)
        .where(Account.email == email, Account.role == Role.STAFF)
        .values(role=Role.LEARNER.value)
        .returning(Account.id)
    )
    if account_id is None:
        return False
    await session.execute(
        update(LoginSession)
        .where(LoginSession.account_id == account_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    session.add(
        _event(SecurityEventKind.STAFF_REVOKED, email, account_id, actor, "droits d'agent retirés")
    )
    return True


async def accept_invitation(session: AsyncSession, raw: str, password: str) -> Account:
    """The invited person proves the mailbox and chooses the password: the staff account."""
    await _live(session, raw, SignupKind.INVITATION, lock=False)
    await release(session)
    password_hash = await hash_password(password)
    invitation = await _live(session, raw, SignupKind.INVITATION, lock=True)
    account = await _open_account(
        session, invitation, password_hash, Role.STAFF, get_settings().terms_version
    )
    session.add(
        _event(
            SecurityEventKind.INVITATION_ACCEPTED,
            account.email,
            account.id,
            invitation.invited_by or "inconnu",
            "compte d'agent créé par son titulaire",
        )
    )
    return account


async def forget_address(session: AsyncSession, email: str) -> None:
    """An account took this address (a change of address): its waiting sign-ups are void."""
    await session.execute(delete(Signup).where(Signup.email == email, Signup.consumed_at.is_(None)))


async def forget_spent(session: AsyncSession, email: str) -> None:
    """An account left this address (a change of address): the sign-ups that made it, kept to
    answer their links, go with it; someone else's sign-up waiting for the address stays."""
    await session.execute(
        delete(Signup).where(Signup.email == email, Signup.consumed_at.is_not(None))
    )


async def export_of(session: AsyncSession, email: str) -> list[dict[str, Any]]:
    """The sign-ups of this address spent when its account was opened (until a day after
    their link's end): the one whose link opened it, and any other made with the address.

    When and of what kind only: what a sign-up's form said (a phone, a choice of mails) may be
    someone else's, who typed this address, and the account holds the person's own.
    """
    spent = await session.scalars(
        select(Signup)
        .where(Signup.email == email, Signup.consumed_at.is_not(None))
        .order_by(Signup.created_at)
    )
    return [
        {
            "kind": s.kind,
            "created_at": s.created_at,
            "expires_at": s.expires_at,
            "spent_at": s.consumed_at,
        }
        for s in spent
    ]


async def forget_all(session: AsyncSession, email: str) -> None:
    """The account of this address is erased: so is every sign-up that ever named it."""
    await session.execute(delete(Signup).where(Signup.email == email))


async def purge_expired(session: AsyncSession) -> None:
    """Housekeeping: a sign-up never activated is erased a day after its link died."""
    await session.execute(
        delete(Signup).where(Signup.expires_at < func.now() - func.make_interval(0, 0, 0, 1))
    )
    await session.execute(
        delete(SecurityEvent).where(SecurityEvent.at < func.now() - func.make_interval(1))
    )

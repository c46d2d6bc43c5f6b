"""The rules of the Paris account: sign-up, activation, login, recovery and the account space.

Services flush, never commit: the request owns the transaction, so a change and the mail it
causes are written together. Rate-limit counters and captcha burns are the exceptions, on
purpose: they must survive the rollback of the request they refuse.
"""

import hashlib
import hmac
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Interval,
    ScalarSelect,
    Uuid,
    any_,
    bindparam,
    delete,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from cma.accounts import attempts, captcha, links, signups
from cma.accounts.attempts import CaptchaAnswer as CaptchaAnswer
from cma.accounts.attempts import GuessRules as GuessRules
from cma.accounts.exceptions import CaptchaRequired as CaptchaRequired
from cma.accounts.exceptions import (
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    WrongPassword,
)
from cma.accounts.labels import CIVILITY_LABELS, TOPIC_LABELS
from cma.accounts.models import (
    Account,
    AccountStatus,
    AccountToken,
    Civility,
    LoginSession,
    Role,
    SecurityEvent,
    Subscription,
    TokenPurpose,
    Topic,
)
from cma.accounts.schemas import ProfileIn, SignupRequest
from cma.accounts.views import AccountView
from cma.core import jobs
from cma.core.client import Client
from cma.core.database import release
from cma.core.problems import InvalidInput, NotAuthenticated, TooManyRequests
from cma.core.ratelimit import Rule, Throttle, subject_key
from cma.core.security import (
    burn_password_check,
    hash_password,
    hasher,
    new_token,
    token_digest,
    verify_password,
)
from cma.core.settings import Settings, get_settings
from cma.core.single_use import SingleUse
from cma.notifications import service as notifications

SESSION_TOUCH_SECONDS = 60
ERASED = "compte supprimé"
# For the other contexts' password checks (the old site's login): one way to slow guessing.
begin_password_attempt = attempts.begin
# And their mailed links: one form of link.
link_to = links.link


@dataclass(frozen=True)
class Rules:
    login: GuessRules
    reauth_session: Rule
    activation_guess: Rule
    signup_address: Rule
    mail_address: Rule
    mail_email: Rule
    captcha_address: Rule
    captcha_image_address: Rule
    captcha_audio_address: Rule

    @classmethod
    def from_settings(cls, settings: Settings) -> "Rules":
        return cls(
            login=GuessRules.of(
                "login",
                per_address=settings.login_limit_per_address,
                per_login=settings.login_captcha_per_account,
                per_login_and_address=settings.login_captcha_per_account_and_address,
            ),
            reauth_session=Rule.of("reauth-session", settings.reauth_limit_per_session),
            activation_guess=Rule.of("activation-link", settings.activation_guess_limit),
            signup_address=Rule.of("signup-address", settings.signup_limit_per_address),
            mail_address=Rule.of("mail-address", settings.mail_request_limit_per_address),
            mail_email=Rule.of("mail-email", settings.mail_request_limit_per_email),
            captcha_address=Rule.of("captcha-address", settings.captcha_limit_per_address),
            captcha_image_address=Rule.of(
                "captcha-image-address", settings.captcha_image_limit_per_address
            ),
            captcha_audio_address=Rule.of(
                "captcha-audio-address", settings.captcha_audio_limit_per_address
            ),
        )


@dataclass(frozen=True, slots=True)
class Guard:
    """What checking a guess or a request for mail needs, in one: the shared counters and
    their rules, who is asking, and a session maker of its own pool, for what a refusal
    records (it must outlive the request's rollback)."""

    throttle: Throttle
    rules: Rules
    sessionmaker: async_sessionmaker[AsyncSession]
    client: Client


def csrf_token_for(session_token: str) -> str:
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, f"csrf:{session_token}".encode(), hashlib.sha256).hexdigest()


# --- lookups ---------------------------------------------------------------------------------


_BY_EMAIL = select(Account).where(Account.email == bindparam("address"))
_BY_EMAIL_LOCKED = _BY_EMAIL.with_for_update()


async def _by_email(session: AsyncSession, email: str, *, lock: bool = False) -> Account | None:
    return await session.scalar(_BY_EMAIL_LOCKED if lock else _BY_EMAIL, {"address": email})


async def _lock(session: AsyncSession, account_id: uuid.UUID) -> None:
    """Serialise token issuance per account (one live link per purpose)."""
    await session.execute(select(Account.id).where(Account.id == account_id).with_for_update())


# The mailed links of an account, one kind per purpose.
_LINKS = {
    purpose: SingleUse(
        AccountToken, purpose.value, owner="account_id", scope=(("purpose", purpose.value),)
    )
    for purpose in TokenPurpose
}


async def _issue_token(
    session: AsyncSession,
    account_id: uuid.UUID,
    purpose: TokenPurpose,
    *,
    new_email: str | None = None,
) -> str:
    settings = get_settings()
    ttl = {
        TokenPurpose.PASSWORD_RESET: settings.password_reset_ttl,
        TokenPurpose.EMAIL_CHANGE: settings.email_change_ttl,
    }[purpose]
    raw, _ = await _LINKS[purpose].issue(session, account_id, ttl, new_email=new_email)
    return raw


async def _retire_tokens(session: AsyncSession, account_id: uuid.UUID) -> None:
    """Kill the account's live links, whatever their purpose."""
    for kind in _LINKS.values():
        await kind.retire(session, account_id)


def _newer_than_credentials() -> ColumnElement[bool]:
    """A link outlives neither the account's password nor its address, wherever it went."""
    credentials_changed = (
        select(func.greatest(Account.password_changed_at, Account.email_changed_at))
        .where(Account.id == AccountToken.account_id)
        .scalar_subquery()
    )
    return AccountToken.created_at >= credentials_changed


async def _find_token(
    session: AsyncSession, raw: str, purpose: TokenPurpose
) -> AccountToken | None:
    return await _LINKS[purpose].find(session, raw, _newer_than_credentials())


async def _consume_token(
    session: AsyncSession, raw: str, purpose: TokenPurpose
) -> AccountToken | None:
    """Atomically use a live link: of two concurrent uses, exactly one gets it."""
    return await _LINKS[purpose].consume(session, raw, _newer_than_credentials())


async def _revoke_sessions(
    session: AsyncSession, account_id: uuid.UUID, *, keep: int | None = None
) -> None:
    query = update(LoginSession).where(
        LoginSession.account_id == account_id, LoginSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(LoginSession.id != keep)
    await session.execute(query.values(revoked_at=func.now()))


# --- A. sign-up and activation (see signups) --------------------------------------------------


async def sign_up(
    session: AsyncSession,
    guard: Guard,
    data: SignupRequest,
) -> None:
    await signups.sign_up(
        session, guard.sessionmaker, guard.throttle, guard.rules.signup_address, data, guard.client
    )


async def activate(session: AsyncSession, guard: Guard, raw: str, password: str) -> Account:
    return await signups.activate(
        session, guard.throttle, guard.rules.activation_guess, raw, password
    )


async def resend_activation(
    session: AsyncSession,
    guard: Guard,
    email: str,
) -> None:
    await signups.resend_activation(
        session, guard.throttle, guard.rules.mail_address, email, guard.client
    )


accept_invitation = signups.accept_invitation
grant_staff = signups.grant_staff
revoke_staff = signups.revoke_staff
StaffGrant = signups.StaffGrant


# --- B. sessions and recovery ----------------------------------------------------------------


async def _check_current_password(
    session: AsyncSession,
    guard: Guard,
    account: Account,
    current_session: LoginSession,
    password: str,
) -> bool:
    """The current password, asked again before a sensitive change.

    Counted per session, never with the login's failures: guesses at someone's login cannot
    keep its owner from changing their password or deleting their account.
    """
    check = (guard.rules.reauth_session, str(current_session.id))
    (counted,) = await guard.throttle.reserve(check)
    if counted > guard.rules.reauth_session.limit.amount:
        raise TooManyRequests(await guard.throttle.retry_after(*check))
    await release(session)
    async with attempts.Attempt(guard.throttle, (check,)).unless_shed():
        matches, new_hash = await verify_password(password, account.password_hash)
    if not matches:
        return False
    await guard.throttle.release(check)
    if new_hash is not None:
        account.password_hash = new_hash
    return True


@dataclass(frozen=True)
class NewSession:
    account: Account
    token: str
    expires_at: datetime


_NEW_SESSION = (
    insert(LoginSession)
    .values(expires_at=func.now() + bindparam("ttl", type_=Interval()))
    .returning(LoginSession.expires_at)
)


async def log_in(
    session: AsyncSession,
    guard: Guard,
    email: str,
    password: str,
    *,
    proof: CaptchaAnswer | None = None,
    replaces: LoginSession | None = None,
) -> NewSession:
    # Admission (a short wait for room, or a 503) comes before any query: a shed request
    # costs the database nothing.
    await hasher().admit()
    # The counters have a pool of their own: a count or a give-back that waits for one of its
    # connections holds none of the request's (the caller's session may have read already).
    await release(session)
    attempt = await attempts.begin(
        guard.throttle,
        guard.sessionmaker,
        guard.rules.login,
        subject_key(email),
        guard.client,
        proof,
    )
    async with attempt.unless_shed():
        account = await _by_email(session, email)
        await release(session)  # no connection waits with the password work
        if account is None:
            # Unknown addresses, and sign-ups not yet activated, cost the same time as known
            # ones and get the same answer: whether an address has an account, or a sign-up
            # waiting, is told to nobody (one could sign an address up to find out).
            await burn_password_check(password)
            matches, new_hash = False, None
        else:
            matches, new_hash = await verify_password(password, account.password_hash)
    if account is None or not matches:
        raise InvalidCredentials()
    await attempt.succeeded()
    if new_hash is not None:
        account.password_hash = new_hash
    if account.status != AccountStatus.ACTIVE:
        raise InvalidCredentials()
    if replaces is not None:
        replaces.revoked_at = func.now()
    raw = new_token()
    # One round trip: the database sets the expiry and says which (RETURNING).
    expires_at = await session.scalar(
        _NEW_SESSION,
        {
            "account_id": account.id,
            "token_hash": token_digest(raw, purpose="session"),
            "ttl": get_settings().session_ttl,
            "client_address": guard.client.address,
            "user_agent": (guard.client.user_agent or "")[:300] or None,
        },
    )
    assert expires_at is not None
    return NewSession(account=account, token=raw, expires_at=expires_at)


# Built once: composing this statement cost twice as much as running it, on every request.
_LIVE_SESSION = (
    select(
        LoginSession,
        Account,
        (
            LoginSession.last_seen_at
            < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, SESSION_TOUCH_SECONDS)
        ).label("stale"),
    )
    .join(Account, Account.id == LoginSession.account_id)
    .where(
        LoginSession.token_hash == bindparam("token_hash"),
        LoginSession.revoked_at.is_(None),
        LoginSession.expires_at > func.now(),
        LoginSession.last_seen_at > func.now() - bindparam("idle_ttl", type_=Interval()),
        Account.status == AccountStatus.ACTIVE,
    )
)


async def authenticate(session: AsyncSession, raw: str) -> tuple[Account, LoginSession] | None:
    row = (
        await session.execute(
            _LIVE_SESSION,
            {
                "token_hash": token_digest(raw, purpose="session"),
                "idle_ttl": get_settings().session_idle_ttl,
            },
        )
    ).one_or_none()
    if row is None:
        return None
    login_session, account, stale = row
    if stale:
        # Touch at most once a minute: the idle timeout needs no write per request.
        login_session.last_seen_at = func.now()
    return account, login_session


def idle_seconds_left(login_session: LoginSession) -> int:
    """How long the session lives unused from now, as the server counts it (its last lasting
    touch may be up to a minute old), or its absolute end if that comes first."""
    now = datetime.now(UTC)
    seen = login_session.last_seen_at
    if not isinstance(seen, datetime):
        # Touched in this request's transaction, which a refusal rolls back: counted from the
        # touch before, so that the page never believes in time the session does not have.
        before = inspect(login_session).attrs.last_seen_at.history.deleted
        seen = before[0] if before else now
    idle_end = seen + get_settings().session_idle_ttl
    return max(0, int((min(idle_end, login_session.expires_at) - now).total_seconds()))


_REVOKE = (
    update(LoginSession)
    .where(LoginSession.id == bindparam("session_id"))
    .values(revoked_at=func.now())
    .execution_options(synchronize_session=False)
)


async def log_out(session: AsyncSession, login_session: LoginSession) -> None:
    await session.execute(_REVOKE, {"session_id": login_session.id})


PASSWORD_RESET_JOB = "accounts.password-reset"  # noqa: S105 - a job name
EMAIL_CHANGE_JOB = "accounts.email-change"


async def request_password_reset(
    session: AsyncSession,
    guard: Guard,
    email: str,
) -> None:
    """The same row written whether the address has an account or not; the worker decides."""
    await guard.throttle.consume(guard.rules.mail_address, guard.client.key)
    await jobs.defer(session, PASSWORD_RESET_JOB, {"email": email})


async def mail_password_reset(
    session: AsyncSession, throttle: Throttle, rules: Rules, payload: dict[str, Any]
) -> None:
    """Job: the reset link, if the address has an account; if it has only a sign-up waiting,
    the way back to the sign-up form (no link ever sets the password of a sign-up)."""
    email = payload["email"]
    account = await _by_email(session, email, lock=True)
    if account is None:
        if await signups.pending_password_hash(session, email) is not None and (
            await throttle.allows(rules.mail_email, subject_key(email))
        ):
            await notifications.enqueue(
                session,
                "signup_not_activated",
                email,
                context={"signup_url": links.link("/inscription")},
            )
        return
    if not await throttle.allows(rules.mail_email, subject_key(account.email)):
        return
    raw = await _issue_token(session, account.id, TokenPurpose.PASSWORD_RESET)
    await notifications.enqueue(
        session,
        "password_reset",
        account.email,
        account_id=account.id,
        context={"valid_minutes": int(get_settings().password_reset_ttl.total_seconds() // 60)},
        secrets={"reset_url": links.link("/mot-de-passe/nouveau", raw)},
    )


async def _set_password(
    session: AsyncSession,
    account: Account,
    password: str,
    *,
    keep_session: int | None = None,
    password_hash: str | None = None,
) -> None:
    if password_hash is None:
        await release(session)
        password_hash = await hash_password(password)
    account.password_hash = password_hash
    account.password_changed_at = func.now()
    await _retire_tokens(session, account.id)
    await _revoke_sessions(session, account.id, keep=keep_session)
    await notifications.enqueue(
        session,
        "password_changed",
        account.email,
        account_id=account.id,
        context={"forgot_url": links.link("/mot-de-passe-oublie")},
    )


async def reset_password(session: AsyncSession, raw: str, password: str) -> Account:
    # The new password is hashed with no connection held; the link is used only after, so a
    # refusal on the way (a busy server) leaves it usable.
    if await _find_token(session, raw, TokenPurpose.PASSWORD_RESET) is None:
        raise InvalidToken()
    await release(session)
    password_hash = await hash_password(password)
    token = await _consume_token(session, raw, TokenPurpose.PASSWORD_RESET)
    if token is None:
        raise InvalidToken()
    account = await session.get_one(Account, token.account_id, with_for_update=True)
    await _set_password(session, account, password, password_hash=password_hash)
    await session.flush()
    return account


# --- C. the account space --------------------------------------------------------------------


async def change_password(
    session: AsyncSession,
    guard: Guard,
    account: Account,
    current_session: LoginSession,
    current_password: str,
    new_password: str,
) -> None:
    if not await _check_current_password(
        session, guard, account, current_session, current_password
    ):
        raise WrongPassword("current_password")
    await _set_password(session, account, new_password, keep_session=current_session.id)


async def request_email_change(
    session: AsyncSession,
    guard: Guard,
    account: Account,
    current_session: LoginSession,
    new_email: str,
    password: str,
) -> None:
    if not await _check_current_password(session, guard, account, current_session, password):
        raise WrongPassword("password")
    if new_email == account.email:
        raise InvalidInput.for_field("new_email", "C'est déjà l'adresse mail de votre compte.")
    await guard.throttle.consume(guard.rules.mail_address, guard.client.key)
    # Whether the new address is taken is the worker's to find: the answer, and its time, are
    # the same either way.
    await jobs.defer(
        session, EMAIL_CHANGE_JOB, {"account_id": str(account.id), "new_email": new_email}
    )


async def mail_email_change(
    session: AsyncSession, throttle: Throttle, rules: Rules, payload: dict[str, Any]
) -> None:
    """Job: the confirmation link to the new address, or a word that it is taken.

    Both leave the account in the same state (a new link of its own, the previous one retired,
    no mail of its own), so that its owner cannot tell from their side, nor from their export,
    which addresses have an account: the link of a taken address is just never mailed.
    """
    new_email = payload["new_email"]
    account = await session.get(Account, uuid.UUID(payload["account_id"]), with_for_update=True)
    if account is None or not await throttle.allows(rules.mail_email, subject_key(new_email)):
        return
    raw = await _issue_token(session, account.id, TokenPurpose.EMAIL_CHANGE, new_email=new_email)
    if await _by_email(session, new_email) is not None:
        await notifications.enqueue(session, "email_change_taken", new_email)
        return
    await notifications.enqueue(
        session,
        "email_change",
        new_email,
        context={"valid_hours": int(get_settings().email_change_ttl.total_seconds() // 3600)},
        secrets={"confirm_url": links.link("/mon-compte/adresse", raw)},
    )


async def confirm_email_change(
    session: AsyncSession, guard: Guard, raw: str, password: str
) -> Account:
    """The link proves the new mailbox; the password proves the account's owner sent it there
    (a mistyped address's reader, or their mail scanner, changes nothing)."""
    token = await _find_token(session, raw, TokenPurpose.EMAIL_CHANGE)
    if token is None or token.new_email is None:
        raise InvalidToken()
    account = await session.get_one(Account, token.account_id)
    check = (guard.rules.activation_guess, f"email-change:{token.id}")
    (counted,) = await guard.throttle.reserve(check)
    if counted > guard.rules.activation_guess.limit.amount:
        raise TooManyRequests(await guard.throttle.retry_after(*check))
    await release(session)  # nothing locked, no connection held, while the password is checked
    async with attempts.Attempt(guard.throttle, (check,)).unless_shed():
        matches, _ = await verify_password(password, account.password_hash)
    if not matches:
        raise WrongPassword(
            "password", "Le mot de passe n'est pas celui du compte dont l'adresse change."
        )
    await guard.throttle.release(check)
    if await _consume_token(session, raw, TokenPurpose.EMAIL_CHANGE) is None:
        raise InvalidToken()
    await session.refresh(account, with_for_update=True)
    old_email = account.email
    try:
        async with session.begin_nested():
            account.email = token.new_email
            account.email_changed_at = func.now()
            await session.flush()
    except IntegrityError:
        raise EmailTaken() from None
    # Every link mailed before, to the old address or the new, dies with the change.
    await _retire_tokens(session, account.id)
    await signups.forget_address(session, token.new_email)
    await signups.forget_spent(session, old_email)
    await notifications.enqueue(
        session,
        "email_changed",
        old_email,
        account_id=account.id,
        context={"new_email": token.new_email},
    )
    await session.refresh(account)
    return account


def profile_of(account: Account) -> dict[str, Any]:
    civility = Civility(account.civility)
    return {
        "civility": civility,
        "civility_label": CIVILITY_LABELS[civility],
        "usage_name": account.usage_name,
        "birth_name": account.birth_name,
        "first_name": account.first_name,
        "birth_date": account.birth_date,
        "address": account.address,
        "address_complement": account.address_complement,
        "postal_code": account.postal_code,
        "city": account.city,
        "mobile_phone": account.mobile_phone,
        "updated_at": account.profile_updated_at,
    }


async def update_profile(session: AsyncSession, account: Account, data: ProfileIn) -> Account:
    for field, value in data.model_dump().items():
        setattr(account, field, value.value if isinstance(value, Civility) else value)
    account.profile_updated_at = func.now()
    await session.flush()
    await session.refresh(account)
    return account


async def subscriptions_of(session: AsyncSession, account: Account) -> list[dict[str, Any]]:
    rows = {
        row.topic: row
        for row in await session.scalars(
            select(Subscription).where(Subscription.account_id == account.id)
        )
    }
    return [
        {
            "topic": topic,
            "label": TOPIC_LABELS[topic],
            "subscribed": topic.value in rows,
            "since": rows[topic.value].created_at if topic.value in rows else None,
        }
        for topic in Topic
    ]


async def set_subscriptions(
    session: AsyncSession, account: Account, wanted: dict[Topic, bool]
) -> None:
    for topic, subscribed in wanted.items():
        if subscribed:
            await session.execute(
                insert(Subscription)
                .values(account_id=account.id, topic=topic.value)
                .on_conflict_do_nothing()
            )
        else:
            await session.execute(
                delete(Subscription).where(
                    Subscription.account_id == account.id, Subscription.topic == topic.value
                )
            )


async def export(session: AsyncSession, account: Account) -> dict[str, Any]:
    """Everything kept about the account (GDPR right of access), secrets excepted."""
    sessions = await session.scalars(
        select(LoginSession)
        .where(LoginSession.account_id == account.id)
        .order_by(LoginSession.created_at)
    )
    tokens = await session.scalars(
        select(AccountToken)
        .where(AccountToken.account_id == account.id)
        .order_by(AccountToken.created_at)
    )
    # Not the mail that went to an address the person asked to move to: whether one went at
    # all says whether the address is someone else's (the change itself is in the links).
    mails = await notifications.list_for_account(session, account.id)
    events = await session.scalars(
        select(SecurityEvent)
        .where(SecurityEvent.account_id == account.id)
        .order_by(SecurityEvent.at)
    )
    return {
        "account": {
            "id": str(account.id),
            "email": account.email,
            "status": account.status,
            "mobile_phone": account.mobile_phone,
            "created_at": account.created_at,
            "activated_at": account.activated_at,
            "terms_version": account.terms_version,
            "terms_accepted_at": account.terms_accepted_at,
            "password_changed_at": account.password_changed_at,
            "email_changed_at": account.email_changed_at,
            "role": account.role,
        },
        "profile": profile_of(account),
        "subscriptions": await subscriptions_of(session, account),
        "sign_ups": await signups.export_of(session, account.email),
        "sessions": [
            {
                "created_at": s.created_at,
                "last_seen_at": s.last_seen_at,
                "expires_at": s.expires_at,
                "revoked_at": s.revoked_at,
                "client_address": str(s.client_address) if s.client_address else None,
                "user_agent": s.user_agent,
            }
            for s in sessions
        ],
        "links_sent": [
            {
                "purpose": t.purpose,
                "created_at": t.created_at,
                "expires_at": t.expires_at,
                "used_or_retired_at": t.consumed_at,
                "new_email": t.new_email,
            }
            for t in tokens
        ],
        "security_events": [
            {"at": e.at, "kind": e.kind, "by": e.actor, "detail": e.detail} for e in events
        ],
        "messages": [
            {
                "channel": m.channel,
                "template": m.template,
                "subject": notifications.subject_of(m),
                "text": notifications.text_of(m),
                "recipient": m.recipient,
                "created_at": m.created_at,
                "status": m.status,
                "sent_at": m.sent_at,
            }
            for m in mails
        ],
    }


async def confirm_password(
    session: AsyncSession,
    guard: Guard,
    account: Account,
    current_session: LoginSession,
    password: str,
) -> None:
    """The current password, asked before an account is erased (400 when wrong); then the
    account is locked for the rest of the transaction, so that two erasures at once (two tabs,
    a retried request) make one, and the second is told the account is gone (401)."""
    if not await _check_current_password(session, guard, account, current_session, password):
        raise WrongPassword("password")
    still = select(Account.id).where(Account.id == account.id).with_for_update()
    if await session.scalar(still) is None:
        raise NotAuthenticated()


async def forget_account(session: AsyncSession, account: Account, known: list[str]) -> None:
    """Erase the account, everything attached to it, and the messages sent to it or to any of
    the addresses and phones in `known`; its address is told, by a mail erased once sent.

    A security event (staff given, taken back) outlives the account, for accountability, but
    loses the address: nothing left names the person.
    """
    await session.execute(
        update(SecurityEvent)
        .where(SecurityEvent.account_id == account.id)
        .values(email=ERASED, account_id=None)
    )
    await signups.forget_all(session, account.email)
    reached = [account.email, *([account.mobile_phone] if account.mobile_phone else []), *known]
    await notifications.forget(session, account.id, reached)
    # The link to a new address is mailed as no account's (see mail_email_change): found by
    # the account's pending changes.
    changes = select(AccountToken.new_email).where(
        AccountToken.account_id == account.id, AccountToken.new_email.is_not(None)
    )
    await notifications.forget_unowned(
        session, "email_change", list(await session.scalars(changes))
    )
    await notifications.enqueue(session, "account_deleted", account.email, erase_once_sent=True)
    await session.delete(account)
    await session.flush()


def is_staff(account: AccountView) -> bool:
    return account.role == Role.STAFF


async def accounts_by_id(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, AccountView]:
    """These accounts, for another context to read (the ones still there)."""
    if not ids:
        return {}
    rows = await session.scalars(
        select(Account).where(Account.id == any_(bindparam("ids", type_=ARRAY(Uuid)))),
        {"ids": list(ids)},
    )
    return {account.id: account for account in rows}


async def emails_by_id(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The addresses of these accounts (the ones still there)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Account.id, Account.email).where(
            Account.id == any_(bindparam("ids", type_=ARRAY(Uuid)))
        ),
        {"ids": list(ids)},
    )
    return {account_id: email for account_id, email in rows}


def email_of(
    account_id: ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID],
) -> ScalarSelect[str]:
    """The address of the account `account_id` names, as a column of another context's query
    (a search that matches a person's names and address at once)."""
    return select(Account.email).where(Account.id == account_id).scalar_subquery()


async def purge_expired(session: AsyncSession) -> None:
    """Housekeeping: drop what can no longer be used (kept a week for the export's sake)."""
    await session.execute(
        delete(LoginSession).where(
            func.coalesce(LoginSession.revoked_at, LoginSession.expires_at)
            < func.now() - func.make_interval(0, 0, 1)
        )
    )
    await session.execute(
        delete(AccountToken).where(
            AccountToken.expires_at < func.now() - func.make_interval(0, 0, 1)
        )
    )
    await captcha.purge_expired(session)
    await signups.purge_expired(session)


def job_handlers(throttle: Throttle, rules: Rules) -> dict[str, jobs.Handler]:
    """What the worker does with the jobs the account's requests hand it."""

    async def sign_up_mail(session: AsyncSession, payload: dict[str, Any]) -> None:
        await signups.mail_sign_up(session, throttle, rules.mail_email, payload)

    async def resend_mail(session: AsyncSession, payload: dict[str, Any]) -> None:
        await signups.mail_resend(session, throttle, rules.mail_email, payload)

    async def reset_mail(session: AsyncSession, payload: dict[str, Any]) -> None:
        await mail_password_reset(session, throttle, rules, payload)

    async def email_change_mail(session: AsyncSession, payload: dict[str, Any]) -> None:
        await mail_email_change(session, throttle, rules, payload)

    return {
        signups.SIGN_UP_JOB: sign_up_mail,
        signups.RESEND_JOB: resend_mail,
        PASSWORD_RESET_JOB: reset_mail,
        EMAIL_CHANGE_JOB: email_change_mail,
    }

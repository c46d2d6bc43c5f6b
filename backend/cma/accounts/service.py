"""The rules of the Paris account: sign-up, activation, login, recovery and the account space.

Services flush, never commit: the request owns the transaction, so a change and the mail it
causes are written together. Rate-limit counters and captcha burns are the exceptions, on
purpose: they must survive the rollback of the request they refuse.
"""

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.accounts import attempts, captcha
from cma.accounts.attempts import CaptchaAnswer as CaptchaAnswer
from cma.accounts.attempts import GuessRules as GuessRules
from cma.accounts.exceptions import (
    AccountPending,
    AlreadyActive,
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    WrongPassword,
)
from cma.accounts.exceptions import CaptchaRequired as CaptchaRequired
from cma.accounts.models import (
    Account,
    AccountStatus,
    AccountToken,
    Civility,
    LoginSession,
    Role,
    Subscription,
    TokenPurpose,
    Topic,
)
from cma.accounts.schemas import ProfileIn, SignupRequest
from cma.core.client import Client
from cma.core.problems import InvalidInput, TooManyRequests
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
from cma.notifications import service as notifications

CIVILITY_LABELS = {
    Civility.NON_PRECISEE: "Non précisée",
    Civility.MADAME: "Madame",
    Civility.MONSIEUR: "Monsieur",
}
TOPIC_LABELS = {
    Topic.INFORMATION_MAIRIE: (
        "J'accepte de recevoir des informations de la part de la Mairie de Paris"
    ),
}
SESSION_TOUCH_SECONDS = 60
# For the other contexts' password checks (the old site's login): one way to slow guessing.
begin_password_attempt = attempts.begin


@dataclass(frozen=True)
class Rules:
    login: GuessRules
    reauth_session: Rule
    signup_address: Rule
    mail_address: Rule
    mail_email: Rule
    captcha_address: Rule

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
            signup_address=Rule.of("signup-address", settings.signup_limit_per_address),
            mail_address=Rule.of("mail-address", settings.mail_request_limit_per_address),
            mail_email=Rule.of("mail-email", settings.mail_request_limit_per_email),
            captcha_address=Rule.of("captcha-address", settings.captcha_limit_per_address),
        )


def csrf_token_for(session_token: str) -> str:
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, f"csrf:{session_token}".encode(), hashlib.sha256).hexdigest()


def _link(path: str, token: str | None = None) -> str:
    base = get_settings().public_url + path
    return f"{base}?token={token}" if token else base


# --- lookups ---------------------------------------------------------------------------------


async def _by_email(session: AsyncSession, email: str, *, lock: bool = False) -> Account | None:
    query = select(Account).where(Account.email == email)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def _lock(session: AsyncSession, account_id: uuid.UUID) -> None:
    """Serialise token issuance per account (one live link per purpose)."""
    await session.execute(select(Account.id).where(Account.id == account_id).with_for_update())


async def _issue_token(
    session: AsyncSession,
    account_id: uuid.UUID,
    purpose: TokenPurpose,
    *,
    new_email: str | None = None,
) -> str:
    settings = get_settings()
    ttl = {
        TokenPurpose.ACTIVATION: settings.activation_ttl,
        TokenPurpose.PASSWORD_RESET: settings.password_reset_ttl,
        TokenPurpose.EMAIL_CHANGE: settings.email_change_ttl,
    }[purpose]
    await _retire_tokens(session, account_id, purpose)
    raw = new_token()
    session.add(
        AccountToken(
            account_id=account_id,
            purpose=purpose.value,
            token_hash=token_digest(raw, purpose=purpose.value),
            new_email=new_email,
            expires_at=func.now() + ttl,
        )
    )
    await session.flush()
    return raw


async def _retire_tokens(
    session: AsyncSession, account_id: uuid.UUID, *purposes: TokenPurpose
) -> None:
    await session.execute(
        update(AccountToken)
        .where(
            AccountToken.account_id == account_id,
            AccountToken.purpose.in_([p.value for p in purposes]),
            AccountToken.consumed_at.is_(None),
        )
        .values(consumed_at=func.now())
    )


async def _consume_token(
    session: AsyncSession, raw: str, purpose: TokenPurpose
) -> AccountToken | None:
    """Atomically use a live token: of two concurrent uses, exactly one gets it."""
    return await session.scalar(
        update(AccountToken)
        .where(
            AccountToken.token_hash == token_digest(raw, purpose=purpose.value),
            AccountToken.purpose == purpose.value,
            AccountToken.consumed_at.is_(None),
            AccountToken.expires_at > func.now(),
            # A link issued before the last password change is dead.
            AccountToken.created_at
            >= select(Account.password_changed_at)
            .where(Account.id == AccountToken.account_id)
            .scalar_subquery(),
        )
        .values(consumed_at=func.now())
        .returning(AccountToken)
    )


async def _send_activation(session: AsyncSession, account: Account) -> None:
    await _lock(session, account.id)
    raw = await _issue_token(session, account.id, TokenPurpose.ACTIVATION)
    await notifications.enqueue(
        session,
        "activation",
        account.email,
        account_id=account.id,
        context={"valid_hours": int(get_settings().activation_ttl.total_seconds() // 3600)},
        secrets={"activation_url": _link("/activation", raw)},
    )


async def _revoke_sessions(
    session: AsyncSession, account_id: uuid.UUID, *, keep: int | None = None
) -> None:
    query = update(LoginSession).where(
        LoginSession.account_id == account_id, LoginSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(LoginSession.id != keep)
    await session.execute(query.values(revoked_at=func.now()))


# --- A. sign-up and activation ---------------------------------------------------------------


async def sign_up(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    throttle: Throttle,
    rules: Rules,
    data: SignupRequest,
    client: Client,
) -> None:
    """Create a pending account and mail its activation link.

    The answer is the same whether the address is new or not: the owner of an existing address
    gets a mail instead, so the form cannot be used to find out who has an account.
    """
    await throttle.consume(rules.signup_address, client.key)
    await captcha.consume(sessionmaker, data.captcha_id, data.captcha_answer)
    password_hash = await hash_password(data.password)
    settings = get_settings()
    account_id = await session.scalar(
        insert(Account)
        .values(
            email=data.email,
            password_hash=password_hash,
            mobile_phone=data.mobile_phone,
            terms_version=settings.terms_version,
            terms_accepted_at=func.now(),
        )
        .on_conflict_do_nothing(index_elements=[Account.email])
        .returning(Account.id)
    )
    if account_id is None:
        await _signup_of_existing_address(session, throttle, rules, data.email)
        return
    account = await session.get_one(Account, account_id)
    if data.accept_information:
        session.add(Subscription(account_id=account_id, topic=Topic.INFORMATION_MAIRIE.value))
    await _send_activation(session, account)


async def _signup_of_existing_address(
    session: AsyncSession, throttle: Throttle, rules: Rules, email: str
) -> None:
    existing = await _by_email(session, email)
    if existing is None or not await throttle.allows(rules.mail_email, subject_key(email)):
        return
    if existing.status == AccountStatus.PENDING:
        await _send_activation(session, existing)
        return
    await notifications.enqueue(
        session,
        "account_exists",
        existing.email,
        account_id=existing.id,
        context={"login_url": _link("/connexion"), "forgot_url": _link("/mot-de-passe-oublie")},
    )


async def activate(session: AsyncSession, raw: str) -> Account:
    token = await _consume_token(session, raw, TokenPurpose.ACTIVATION)
    if token is None:
        account = await session.scalar(
            select(Account)
            .join(AccountToken, AccountToken.account_id == Account.id)
            .where(AccountToken.token_hash == token_digest(raw, purpose="activation"))
        )
        if account is not None and account.status == AccountStatus.ACTIVE:
            raise AlreadyActive()
        raise InvalidToken()
    account = await session.get_one(Account, token.account_id, with_for_update=True)
    if account.status == AccountStatus.ACTIVE:
        raise AlreadyActive()
    account.status = AccountStatus.ACTIVE.value
    account.activated_at = func.now()
    await session.flush()
    await session.refresh(account)
    return account


async def resend_activation(
    session: AsyncSession, throttle: Throttle, rules: Rules, email: str, client: Client
) -> None:
    await throttle.consume(rules.mail_address, client.key)
    account = await _by_email(session, email)
    if account is None or account.status != AccountStatus.PENDING:
        return
    if await throttle.allows(rules.mail_email, subject_key(email)):
        await _send_activation(session, account)


# --- B. sessions and recovery ----------------------------------------------------------------


async def _check_current_password(
    throttle: Throttle,
    rules: Rules,
    account: Account,
    current_session: LoginSession,
    password: str,
) -> bool:
    """The current password, asked again before a sensitive change.

    Counted per session, never with the login's failures: guesses at someone's login cannot
    keep its owner from changing their password or deleting their account.
    """
    check = (rules.reauth_session, str(current_session.id))
    (counted,) = await throttle.reserve(check)
    if counted > rules.reauth_session.limit.amount:
        raise TooManyRequests(await throttle.retry_after(*check))
    matches, new_hash = await verify_password(password, account.password_hash)
    if not matches:
        return False
    await throttle.release(check)
    if new_hash is not None:
        account.password_hash = new_hash
    return True


@dataclass(frozen=True)
class NewSession:
    account: Account
    token: str
    expires_at: datetime


async def log_in(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    throttle: Throttle,
    rules: Rules,
    email: str,
    password: str,
    client: Client,
    *,
    proof: CaptchaAnswer | None = None,
    replaces: LoginSession | None = None,
) -> NewSession:
    # Admission (a short wait for room, or a 503) comes before any query: a shed request
    # costs the database nothing.
    await hasher().admit()
    attempt = await attempts.begin(
        throttle, sessionmaker, rules.login, subject_key(email), client, proof
    )
    account = await _by_email(session, email)
    if account is None:
        # Unknown addresses cost the same time as known ones.
        await burn_password_check(password)
        raise InvalidCredentials()
    matches, new_hash = await verify_password(password, account.password_hash)
    if not matches:
        raise InvalidCredentials()
    await attempt.succeeded()
    if new_hash is not None:
        account.password_hash = new_hash
    if account.status != AccountStatus.ACTIVE:
        # Said only to someone who knows the password: no enumeration of pending accounts.
        raise AccountPending(extra={"resend": "/api/v1/accounts/activation/resend"})
    if replaces is not None:
        replaces.revoked_at = func.now()
    raw = new_token()
    # One round trip: the database sets the expiry and says which (RETURNING).
    expires_at = await session.scalar(
        insert(LoginSession)
        .values(
            account_id=account.id,
            token_hash=token_digest(raw, purpose="session"),
            expires_at=func.now() + get_settings().session_ttl,
            client_address=client.address,
            user_agent=(client.user_agent or "")[:300] or None,
        )
        .returning(LoginSession.expires_at)
    )
    assert expires_at is not None
    return NewSession(account=account, token=raw, expires_at=expires_at)


async def authenticate(session: AsyncSession, raw: str) -> tuple[Account, LoginSession] | None:
    settings = get_settings()
    row = (
        await session.execute(
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
                LoginSession.token_hash == token_digest(raw, purpose="session"),
                LoginSession.revoked_at.is_(None),
                LoginSession.expires_at > func.now(),
                LoginSession.last_seen_at > func.now() - settings.session_idle_ttl,
                Account.status == AccountStatus.ACTIVE,
            )
        )
    ).one_or_none()
    if row is None:
        return None
    login_session, account, stale = row
    if stale:
        # Touch at most once a minute: the idle timeout needs no write per request.
        login_session.last_seen_at = func.now()
    return account, login_session


async def log_out(session: AsyncSession, login_session: LoginSession) -> None:
    login_session.revoked_at = func.now()
    await session.flush()


async def request_password_reset(
    session: AsyncSession, throttle: Throttle, rules: Rules, email: str, client: Client
) -> None:
    await throttle.consume(rules.mail_address, client.key)
    account = await _by_email(session, email)
    if account is None or not await throttle.allows(rules.mail_email, subject_key(email)):
        return
    await _lock(session, account.id)
    raw = await _issue_token(session, account.id, TokenPurpose.PASSWORD_RESET)
    await notifications.enqueue(
        session,
        "password_reset",
        account.email,
        account_id=account.id,
        context={"valid_minutes": int(get_settings().password_reset_ttl.total_seconds() // 60)},
        secrets={"reset_url": _link("/mot-de-passe/nouveau", raw)},
    )


async def _set_password(
    session: AsyncSession, account: Account, password: str, *, keep_session: int | None = None
) -> None:
    account.password_hash = await hash_password(password)
    account.password_changed_at = func.now()
    await _retire_tokens(session, account.id, TokenPurpose.PASSWORD_RESET)
    await _revoke_sessions(session, account.id, keep=keep_session)
    await notifications.enqueue(
        session,
        "password_changed",
        account.email,
        account_id=account.id,
        context={"forgot_url": _link("/mot-de-passe-oublie")},
    )


async def reset_password(session: AsyncSession, raw: str, password: str) -> Account:
    token = await _consume_token(session, raw, TokenPurpose.PASSWORD_RESET)
    if token is None:
        raise InvalidToken()
    account = await session.get_one(Account, token.account_id, with_for_update=True)
    if account.status == AccountStatus.PENDING:
        # The link reached the mailbox: that proves the address as activation would.
        account.status = AccountStatus.ACTIVE.value
        account.activated_at = func.now()
        await _retire_tokens(session, account.id, TokenPurpose.ACTIVATION)
    await _set_password(session, account, password)
    await session.flush()
    return account


# --- C. the account space --------------------------------------------------------------------


async def change_password(
    session: AsyncSession,
    throttle: Throttle,
    rules: Rules,
    account: Account,
    current_session: LoginSession,
    current_password: str,
    new_password: str,
) -> None:
    if not await _check_current_password(
        throttle, rules, account, current_session, current_password
    ):
        raise WrongPassword("current_password")
    await _set_password(session, account, new_password, keep_session=current_session.id)
    await _retire_tokens(session, account.id, TokenPurpose.EMAIL_CHANGE)


async def request_email_change(
    session: AsyncSession,
    throttle: Throttle,
    rules: Rules,
    account: Account,
    current_session: LoginSession,
    new_email: str,
    password: str,
    client: Client,
) -> None:
    if not await _check_current_password(throttle, rules, account, current_session, password):
        raise WrongPassword("password")
    if new_email == account.email:
        raise InvalidInput.for_field("new_email", "C'est déjà l'adresse mail de votre compte.")
    await throttle.consume(rules.mail_address, client.key)
    if not await throttle.allows(rules.mail_email, subject_key(new_email)):
        return
    if await _by_email(session, new_email) is not None:
        await notifications.enqueue(session, "email_change_taken", new_email)
        return
    await _lock(session, account.id)
    raw = await _issue_token(session, account.id, TokenPurpose.EMAIL_CHANGE, new_email=new_email)
    await notifications.enqueue(
        session,
        "email_change",
        new_email,
        account_id=account.id,
        context={"valid_hours": int(get_settings().email_change_ttl.total_seconds() // 3600)},
        secrets={"confirm_url": _link("/mon-compte/adresse", raw)},
    )


async def confirm_email_change(session: AsyncSession, raw: str) -> Account:
    token = await _consume_token(session, raw, TokenPurpose.EMAIL_CHANGE)
    if token is None or token.new_email is None:
        raise InvalidToken()
    account = await session.get_one(Account, token.account_id, with_for_update=True)
    old_email = account.email
    try:
        async with session.begin_nested():
            account.email = token.new_email
            await session.flush()
    except IntegrityError:
        raise EmailTaken() from None
    await notifications.enqueue(
        session,
        "email_changed",
        old_email,
        account_id=account.id,
        context={"new_email": token.new_email},
    )
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
    mails = await notifications.list_for_account(session, account.id)
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
        },
        "profile": profile_of(account),
        "subscriptions": await subscriptions_of(session, account),
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
        "mails": [
            {
                "template": m.template,
                "recipient": m.recipient,
                "created_at": m.created_at,
                "status": m.status,
                "sent_at": m.sent_at,
            }
            for m in mails
        ],
    }


async def delete_account(
    session: AsyncSession,
    throttle: Throttle,
    rules: Rules,
    account: Account,
    current_session: LoginSession,
    password: str,
) -> None:
    if not await _check_current_password(throttle, rules, account, current_session, password):
        raise WrongPassword("password")
    await notifications.forget_account(session, account.id)
    await notifications.enqueue(session, "account_deleted", account.email)
    await session.delete(account)
    await session.flush()


async def ensure_staff(session: AsyncSession, email: str, password: str | None) -> bool:
    """Make `email` an active staff account (created if needed). True when created."""
    account = await _by_email(session, email, lock=True)
    created = account is None
    if account is None:
        if password is None:
            raise ValueError("a new staff account needs a password")
        account = Account(
            email=email,
            password_hash=await hash_password(password),
            terms_version=get_settings().terms_version,
            terms_accepted_at=func.now(),
        )
        session.add(account)
    elif password is not None:
        account.password_hash = await hash_password(password)
        account.password_changed_at = func.now()
    account.role = Role.STAFF.value
    if account.status != AccountStatus.ACTIVE:
        account.status = AccountStatus.ACTIVE.value
        account.activated_at = func.now()
    await session.flush()
    return created


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

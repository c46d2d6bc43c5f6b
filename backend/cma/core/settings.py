"""Configuration, read from the environment (and an optional `.env` file)."""

from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "dev-secret-key-change-me-in-production"  # noqa: S105 - refused in production


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str | None = Field(
        default=None,
        description="postgresql://user:password@host:port/db; unset means the embedded server "
        "(make run and make test only).",
    )
    env: Environment = Field(default=Environment.DEV, alias="CMA_ENV")
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Base of every link put in a mail."
    )
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: bool = False
    mail_from: str = "ne-pas-repondre@cma.paris.fr"
    mail_from_name: str = "Mon Compte - Ville de Paris"

    sms_url: str | None = Field(
        default=None, description="The SMS provider's endpoint (JSON POST); unset keeps SMS queued."
    )
    sms_token: SecretStr | None = Field(default=None, description="Bearer token of SMS_URL.")
    sms_sender: str = Field(default="PARIS CMA", max_length=11, description="Sender name shown.")

    captcha_test_answer: str | None = None
    captcha_ttl: timedelta = timedelta(minutes=10)

    terms_version: str = "2026-11"
    password_min_length: int = 8
    password_max_length: int = 64

    activation_ttl: timedelta = timedelta(hours=48)
    invitation_ttl: timedelta = timedelta(days=7)
    password_reset_ttl: timedelta = timedelta(hours=1)
    email_change_ttl: timedelta = timedelta(hours=24)
    session_ttl: timedelta = timedelta(hours=12)
    # A session unused this long ends (ASVS 3.3.2, level 2); the SPA warns five minutes before.
    session_idle_ttl: timedelta = timedelta(minutes=30)

    # limits' notation: "N per M unit", several separated by ";".
    rate_limit_storage_url: str | None = Field(
        default=None,
        description="async+redis://host:port to keep rate-limit counters in Redis; "
        "unset keeps them in PostgreSQL.",
    )
    # Failed logins never lock an account: past these, the login asks for the verification
    # code (per login, and sooner per login and address); one address that guesses too much is
    # refused (429), only that address.
    login_captcha_per_account_and_address: str = "3 per 15 minutes"
    login_captcha_per_account: str = "10 per hour"
    login_limit_per_address: str = "50 per 15 minutes"
    # Wrong current passwords (password and address change, deletion), per session.
    reauth_limit_per_session: str = "5 per 15 minutes"
    signup_limit_per_address: str = "20 per hour"
    mail_request_limit_per_address: str = "20 per hour"
    # Mails about one address (activation, reset…): enough to stop mail bombing, short enough
    # that whoever exhausts it delays the owner's own request by minutes, not an hour.
    mail_request_limit_per_email: str = "3 per 15 minutes"
    # Wrong passwords given with one activation link.
    activation_guess_limit: str = "5 per 15 minutes"
    captcha_limit_per_address: str = "60 per 10 minutes"
    # Renderings per client: an image is cheap, a French audio reading takes about a quarter of
    # a second of CPU; a challenge already rendered is served again for nothing.
    captcha_image_limit_per_address: str = "60 per 10 minutes"
    captcha_audio_limit_per_address: str = "10 per 10 minutes"

    # The request pool of each API process (and as many more in overflow), and how long a
    # request waits for one of its connections before a 503 `busy` with Retry-After.
    database_pool_size: int = Field(default=10, ge=1)
    database_pool_timeout: float = Field(default=1.0, gt=0)

    password_hash_concurrency: int = Field(
        default=2, description="Password hashes computed at once per process (CPU bound)."
    )
    password_hash_queue: int = Field(
        default=16,
        description="Password checks that may wait per process; past it, 503 with Retry-After.",
    )
    # Below the event loops' priority the loops answer first and the hashing takes what they
    # leave: on a host of its own, the specified rush's pages went from a p99 of 2 s to 0.16 s
    # at 10 (README). On a host shared with other busy programs (a developer's machine, CI),
    # the others take that CPU instead and a login waits seconds for its hash: 0 there.
    password_hash_niceness: int = Field(
        default=0,
        ge=0,
        le=19,
        description="Priority (nice) of the password processes: 10 on a host of its own.",
    )

    # A request's headers must arrive within this, from its first byte (or the connection's
    # opening), then its body within this: a client that dribbles is answered 408 and cut off.
    request_header_timeout: float = Field(default=10.0, gt=0)
    request_body_timeout: float = Field(default=30.0, gt=0)

    outbox_in_process: bool = Field(
        default=True, description="Run the mail worker inside each API process."
    )
    outbox_poll_seconds: float = 1.0
    outbox_batch_size: int = 20
    outbox_max_attempts: int = 12
    outbox_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="A message being sent is not due again before this; a worker that dies "
        "sending it leaves it to be sent again after it.",
    )

    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Serve Prometheus metrics on this port (of METRICS_HOST), apart from the "
        "public one; unset: no metrics endpoint.",
    )
    metrics_host: str = Field(
        default="127.0.0.1", description="Where the metrics port listens (keep it private)."
    )

    catalogue_refresh_seconds: float = Field(
        default=1.0, description="How often each process checks for catalogue changes."
    )

    dev_mailbox_dir: Path | None = Field(
        default=None, description="Where the dev SMTP sink writes mails (dev only)."
    )
    dev_sms_dir: Path | None = Field(
        default=None, description="Where SMS go instead of a provider (dev and tests only)."
    )

    @field_validator("public_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("captcha_test_answer")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        # `CAPTCHA_TEST_ANSWER=` left empty in a file is no test word: a blank answer would
        # then pass every captcha.
        if value is None or not "".join(value.split()):
            return None
        return "".join(value.split()).lower()

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> "Settings":
        if self.env != Environment.PRODUCTION:
            return self
        problems = []
        if self.secret_key.get_secret_value() == DEFAULT_SECRET_KEY:
            problems.append("SECRET_KEY is the default one")
        if len(self.secret_key.get_secret_value()) < 32:
            problems.append("SECRET_KEY is shorter than 32 characters")
        if self.captcha_test_answer:
            problems.append("CAPTCHA_TEST_ANSWER is set")
        if not self.smtp_host:
            problems.append("SMTP_HOST is not set")
        if not self.public_url.startswith("https://"):
            problems.append("PUBLIC_URL is not https")
        if self.dev_mailbox_dir is not None:
            problems.append("DEV_MAILBOX_DIR is set")
        if self.dev_sms_dir is not None:
            problems.append("DEV_SMS_DIR is set")
        if not self.sms_url:
            problems.append("SMS_URL is not set")
        elif not self.sms_url.startswith("https://"):
            problems.append("SMS_URL is not https")
        if problems:
            raise ValueError("refusing to run in production: " + "; ".join(problems))
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """DATABASE_URL in the form SQLAlchemy's asyncpg dialect expects."""
        if not self.database_url:
            raise RuntimeError("DATABASE_URL is not set")
        return to_asyncpg_url(self.database_url)

    @property
    def cookie_secure(self) -> bool:
        return self.env != Environment.DEV or urlsplit(self.public_url).scheme == "https"


def to_asyncpg_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in {"postgres", "postgresql", "postgresql+asyncpg"}:
        raise ValueError("DATABASE_URL must look like postgresql://user:password@host:port/db")
    return f"postgresql+asyncpg://{rest}"


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""Configuration: the names operators rely on, and no unsafe production."""

import pytest
from pydantic import ValidationError

from cma.core.settings import Settings, to_asyncpg_url

SAFE = {
    "CMA_ENV": "production",
    "SECRET_KEY": "k" * 40,
    "SMTP_HOST": "smtp.example.org",
    "PUBLIC_URL": "https://cma.example.org",
    "DATABASE_URL": "postgresql://cma:secret@db:5432/cma",
    "SMS_URL": "https://sms.example.org/v1/messages",
}


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in (
        "CAPTCHA_TEST_ANSWER",
        "SMTP_HOST",
        "DEV_MAILBOX_DIR",
        "DEV_SMS_DIR",
        "SMS_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)


def test_production_starts_with_safe_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch, **SAFE)

    assert settings.cookie_secure
    assert settings.sqlalchemy_url == "postgresql+asyncpg://cma:secret@db:5432/cma"


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"SECRET_KEY": "dev-secret-key-change-me-in-production"}, "SECRET_KEY is the default"),
        ({"CAPTCHA_TEST_ANSWER": "passe"}, "CAPTCHA_TEST_ANSWER is set"),
        ({"SMTP_HOST": ""}, "SMTP_HOST is not set"),
        ({"PUBLIC_URL": "http://cma.example.org"}, "PUBLIC_URL is not https"),
        ({"SMS_URL": ""}, "SMS_URL is not set"),
        ({"SMS_URL": "http://sms.example.org"}, "SMS_URL is not https"),
        ({"DEV_SMS_DIR": "sms"}, "DEV_SMS_DIR is set"),
    ],
)
def test_production_refuses_unsafe_settings(
    monkeypatch: pytest.MonkeyPatch, override: dict[str, str], reason: str
) -> None:
    with pytest.raises(ValidationError, match=reason):
        _settings(monkeypatch, **{**SAFE, **override})


@pytest.mark.parametrize("blank", ["", " ", "\t", "\u00a0", " \u00a0\n"])
def test_a_blank_captcha_test_answer_counts_as_unset(
    monkeypatch: pytest.MonkeyPatch, blank: str
) -> None:
    assert (
        _settings(monkeypatch, CMA_ENV="test", CAPTCHA_TEST_ANSWER=blank).captcha_test_answer
        is None
    )
    assert _settings(monkeypatch, **SAFE, CAPTCHA_TEST_ANSWER=blank).captcha_test_answer is None


@pytest.mark.parametrize("word", ["passe", " passe ", "x"])
def test_production_refuses_any_captcha_test_answer(
    monkeypatch: pytest.MonkeyPatch, word: str
) -> None:
    with pytest.raises(ValidationError, match="CAPTCHA_TEST_ANSWER is set"):
        _settings(monkeypatch, **{**SAFE, "CAPTCHA_TEST_ANSWER": word})


def test_database_url_takes_the_usual_form() -> None:
    assert to_asyncpg_url("postgresql://u:p@h:5432/d") == "postgresql+asyncpg://u:p@h:5432/d"
    assert to_asyncpg_url("postgres://u@h/d") == "postgresql+asyncpg://u@h/d"
    with pytest.raises(ValueError, match="postgresql://"):
        to_asyncpg_url("mysql://u@h/d")


def test_cookies_are_secure_everywhere_but_plain_http_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not _settings(
        monkeypatch, CMA_ENV="dev", PUBLIC_URL="http://127.0.0.1:8000"
    ).cookie_secure
    assert _settings(monkeypatch, CMA_ENV="dev", PUBLIC_URL="https://cma.local").cookie_secure
    assert _settings(monkeypatch, CMA_ENV="test").cookie_secure

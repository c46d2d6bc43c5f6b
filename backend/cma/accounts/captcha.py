"""The verification code of the sign-up form: one code, an image and a French audio reading.

A challenge is a row (code, expiry); it is consumed by the first answer, right or wrong, so one
code cannot be guessed at repeatedly. Images and audio are rendered on demand off the event loop.
"""

import secrets
import uuid
from datetime import timedelta
from functools import lru_cache
from io import BytesIO
from pathlib import Path

import anyio
from captcha.audio import AudioCaptcha
from captcha.image import ImageCaptcha
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.accounts.exceptions import CaptchaInvalid, CaptchaNotFound
from cma.accounts.models import Captcha
from cma.core.security import same_secret
from cma.core.settings import get_settings

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/i/l: people confuse them
CODE_LENGTH = 5
VOICES = Path(__file__).parent / "captcha_voices"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


@lru_cache
def _image() -> ImageCaptcha:
    return ImageCaptcha(width=280, height=90)


@lru_cache
def _audio() -> AudioCaptcha:
    return AudioCaptcha(voicedir=str(VOICES))


def _render_png(code: str) -> bytes:
    buffer = BytesIO()
    _image().generate_image(code).save(buffer, format="PNG")
    return buffer.getvalue()


def _render_wav(code: str) -> bytes:
    return bytes(_audio().generate(code))


async def create(session: AsyncSession) -> Captcha:
    ttl: timedelta = get_settings().captcha_ttl
    captcha = Captcha(code=new_code(), expires_at=func.now() + ttl)
    session.add(captcha)
    await session.flush()
    await session.refresh(captcha, ["id", "created_at", "expires_at"])
    return captcha


async def _live_code(session: AsyncSession, captcha_id: uuid.UUID) -> str:
    code = await session.scalar(
        select(Captcha.code).where(
            Captcha.id == captcha_id, Captcha.consumed_at.is_(None), Captcha.expires_at > func.now()
        )
    )
    if code is None:
        raise CaptchaNotFound()
    return code


async def image(session: AsyncSession, captcha_id: uuid.UUID) -> bytes:
    code = await _live_code(session, captcha_id)
    return await anyio.to_thread.run_sync(_render_png, code)


async def audio(session: AsyncSession, captcha_id: uuid.UUID) -> bytes:
    code = await _live_code(session, captcha_id)
    return await anyio.to_thread.run_sync(_render_wav, code)


async def consume(
    sessionmaker: async_sessionmaker[AsyncSession], captcha_id: uuid.UUID, answer: str
) -> None:
    """Check an answer and burn the challenge whatever the outcome.

    Runs in its own committed transaction: a refused sign-up rolls back, the burn must not.
    """
    async with sessionmaker() as session, session.begin():
        code = await session.scalar(
            update(Captcha)
            .where(
                Captcha.id == captcha_id,
                Captcha.consumed_at.is_(None),
                Captcha.expires_at > func.now(),
            )
            .values(consumed_at=func.now())
            .returning(Captcha.code)
        )
    if code is None:
        raise CaptchaInvalid(
            "Le code de vérification a expiré ou a déjà servi. Veuillez saisir le nouveau code."
        )
    given = "".join(answer.split()).lower()
    test_answer = get_settings().captcha_test_answer
    if given and (
        same_secret(given, code) or (test_answer is not None and same_secret(given, test_answer))
    ):
        return
    raise CaptchaInvalid()


async def purge_expired(session: AsyncSession) -> None:
    await session.execute(delete(Captcha).where(Captcha.expires_at <= func.now()))

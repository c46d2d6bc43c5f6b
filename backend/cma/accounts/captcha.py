"""The verification code of the sign-up form: one code, an image and a French audio reading.

A challenge is a row (code, expiry); it is consumed by the first answer, right or wrong, so one
code cannot be guessed at repeatedly. Its image and its audio are rendered once, when first
asked for, in a low-priority process (an audio reading takes a quarter of a second of CPU),
and kept with it: every later request gets the same bytes, so a solver hears it as often as
it likes without costing anything, and each client may have only so many rendered.
"""

import asyncio
import secrets
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from functools import lru_cache, partial
from io import BytesIO
from multiprocessing import get_context
from pathlib import Path
from typing import Literal

from captcha.audio import AudioCaptcha
from captcha.image import ImageCaptcha
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.accounts.exceptions import CaptchaInvalid, CaptchaNotFound
from cma.accounts.models import Captcha
from cma.core.client import Client
from cma.core.problems import Busy
from cma.core.ratelimit import Rule, Throttle
from cma.core.security import run_for_client, same_secret, worker_process
from cma.core.settings import get_settings

# Nothing a careful reader takes for another in the distorted image: no 0/o, 1/i/l, 5/s, 8/b,
# 6/b, 9/g/q, 2/z, u/v/w (`vv` reads as `w`, `u` as `4`).
ALPHABET = "acdefhjkmnprtxy234679"
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


Medium = Literal["image", "audio"]
_RENDER: dict[Medium, Callable[[str], bytes]] = {"image": _render_png, "audio": _render_wav}
_rendering: dict[tuple[uuid.UUID, Medium], asyncio.Lock] = {}


# At the lowest priority: a reading waits for everything else, logins' password work included.
# Each client may have only so many rendered.
RENDER_NICENESS = 19
# Renderings that may wait in each API process; past that, a 503 busy. Only so many per client,
# but many clients at once (or one with many addresses) could otherwise queue without end.
RENDER_QUEUE = 16


class Renderer:
    """One low-priority rendering process with a short queue kept here, so that a rendering is
    handed to the process only when it is free, and only if its client is still there."""

    def __init__(self) -> None:
        self.pool = ProcessPoolExecutor(
            1, mp_context=get_context("spawn"), initializer=partial(worker_process, RENDER_NICENESS)
        )
        self.waiting = 0  # only touched on the event loop
        self._process = asyncio.Semaphore(1)

    async def render(self, medium: Medium, code: str) -> bytes:
        if self.waiting >= RENDER_QUEUE:
            raise Busy()
        self.waiting += 1
        try:
            return await run_for_client(self._process, self.pool, _RENDER[medium], code)
        finally:
            self.waiting -= 1


@lru_cache
def _renderer() -> Renderer:
    return Renderer()


def close_renderer() -> None:
    """Stop the rendering process (at shutdown); a later rendering starts a new one."""
    if _renderer.cache_info().currsize:
        _renderer().pool.shutdown(wait=False, cancel_futures=True)
        _renderer.cache_clear()


async def _stored(
    session: AsyncSession, captcha_id: uuid.UUID, medium: Medium
) -> tuple[str, bytes | None]:
    column = Captcha.image if medium == "image" else Captcha.audio
    row = (
        await session.execute(
            select(Captcha.code, column).where(
                Captcha.id == captcha_id,
                Captcha.consumed_at.is_(None),
                Captcha.expires_at > func.now(),
            )
        )
    ).one_or_none()
    if row is None:
        raise CaptchaNotFound()
    return row[0], row[1]


async def media(
    session: AsyncSession,
    throttle: Throttle,
    render_rule: Rule,
    captcha_id: uuid.UUID,
    medium: Medium,
    client: Client,
) -> bytes:
    """The challenge's image or audio: rendered the first time (counted against the client),
    the same bytes every time after."""
    code, stored = await _stored(session, captcha_id, medium)
    if stored is not None:
        return stored
    lock = _rendering.setdefault((captcha_id, medium), asyncio.Lock())
    try:
        async with lock:
            code, stored = await _stored(session, captcha_id, medium)
            if stored is not None:
                return stored
            await throttle.consume(render_rule, client.key)
            # Nothing written yet: the connection goes back to the pool while the process
            # renders, instead of waiting with it.
            await session.commit()
            try:
                rendered = await _renderer().render(medium, code)
            except Busy:  # not rendered: not counted against the client
                await throttle.release((render_rule, client.key))
                raise
            column = Captcha.image if medium == "image" else Captcha.audio
            # Another process may have rendered it meanwhile: the first one kept wins.
            await session.execute(
                update(Captcha)
                .where(Captcha.id == captcha_id, column.is_(None))
                .values({column: rendered})
            )
            _, kept = await _stored(session, captcha_id, medium)
            return kept or rendered
    finally:
        if not lock.locked():
            _rendering.pop((captcha_id, medium), None)


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

"""The verification code: image and French audio of one code, single use, 10 minutes."""

import asyncio
import io
import os
import wave
from datetime import timedelta

import pytest
from httpx import ASGITransport, AsyncClient
from PIL import Image
from sqlalchemy import update

from cma.accounts.models import Captcha
from cma.core.settings import get_settings
from tests.support import (
    CAPTCHA_TEST_ANSWER,
    Mailbox,
    field_errors,
    new_captcha,
    sign_up,
    signup_body,
)


async def test_a_challenge_comes_as_an_image_and_as_audio(client: AsyncClient) -> None:
    created = await client.post("/api/v1/captchas")

    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "image_url", "audio_url", "expires_at", "length"}
    assert body["length"] == 5
    image = await client.get(body["image_url"])
    assert image.headers["content-type"] == "image/png"
    assert image.headers["cache-control"] == "no-store"
    assert Image.open(io.BytesIO(image.content)).size == (280, 90)
    audio = await client.get(body["audio_url"])
    assert audio.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(audio.content)) as sound:
        assert sound.getframerate() == 8000
        assert sound.getnframes() / sound.getframerate() > 2  # five letters read aloud


async def test_the_audio_is_read_with_the_french_voices_of_the_code(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    from cma.accounts.captcha import ALPHABET, VOICES

    assert {path.name for path in VOICES.iterdir()} == set(ALPHABET)
    captcha_id, code = await new_captcha(client, mailbox.sessionmaker)
    assert len(code) == 5
    assert set(code) <= set(ALPHABET)
    audio = await client.get(f"/api/v1/captchas/{captcha_id}/audio")
    assert audio.status_code == 200


async def test_a_wrong_answer_is_refused_and_burns_the_challenge(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    response = await sign_up(client, mailbox.sessionmaker, "a@yopmail.com", captcha_answer="zzzzz")

    assert response.status_code == 422
    assert response.json()["type"] == "urn:cma:problem:captcha-invalid"
    assert field_errors(response) == {
        "captcha_answer": "Le code de vérification saisi est incorrect. "
        "Veuillez saisir le nouveau code."
    }


async def test_a_challenge_serves_once_even_when_answered_right(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    captcha_id, code = await new_captcha(client, mailbox.sessionmaker)
    # Case does not matter.
    body = signup_body("once@yopmail.com", (captcha_id, code.upper()))
    assert (await client.post("/api/v1/accounts", json=body)).status_code == 202

    again = await client.post("/api/v1/accounts", json={**body, "email": "twice@yopmail.com"})

    assert again.status_code == 422
    assert "déjà servi" in field_errors(again)["captcha_answer"]
    assert (await client.get(f"/api/v1/captchas/{captcha_id}/image")).status_code == 404


async def test_an_expired_challenge_is_refused(client: AsyncClient, mailbox: Mailbox) -> None:
    captcha_id, code = await new_captcha(client, mailbox.sessionmaker)
    async with mailbox.sessionmaker() as session, session.begin():
        await session.execute(
            update(Captcha).values(
                created_at=Captcha.created_at - timedelta(minutes=11),
                expires_at=Captcha.expires_at - timedelta(minutes=11),
            )
        )

    response = await sign_up(client, mailbox.sessionmaker, "late@yopmail.com")
    late = await client.post(
        "/api/v1/accounts", json=signup_body("late@yopmail.com", (captcha_id, code))
    )

    assert response.status_code == 202  # a fresh challenge still works
    assert late.status_code == 422
    assert "expiré" in field_errors(late)["captcha_answer"]
    assert (await client.get(f"/api/v1/captchas/{captcha_id}/audio")).status_code == 404


async def test_the_configured_test_answer_passes_outside_production(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    response = await sign_up(
        client, mailbox.sessionmaker, "robot@yopmail.com", captcha_answer=CAPTCHA_TEST_ANSWER
    )

    assert response.status_code == 202


@pytest.mark.parametrize("blank", [" ", "\t", "\u00a0", "\u2003 \n"])
async def test_a_blank_answer_never_passes(
    client: AsyncClient, mailbox: Mailbox, blank: str
) -> None:
    # Even where the configured test word is left blank too: a blank word counts as none.
    os.environ["CAPTCHA_TEST_ANSWER"] = blank
    get_settings.cache_clear()
    try:
        assert get_settings().captcha_test_answer is None
        response = await sign_up(
            client, mailbox.sessionmaker, "vide@yopmail.com", captcha_answer=blank
        )
    finally:
        os.environ["CAPTCHA_TEST_ANSWER"] = CAPTCHA_TEST_ANSWER
        get_settings.cache_clear()
    assert response.status_code == 422
    assert response.json()["type"] == "urn:cma:problem:captcha-invalid"


async def test_an_unknown_challenge_is_a_clear_404(client: AsyncClient) -> None:
    response = await client.get("/api/v1/captchas/8c4f1f5e-0000-4000-8000-000000000000/image")

    assert response.status_code == 404
    assert response.json()["type"] == "urn:cma:problem:captcha-not-found"


async def test_a_challenge_is_rendered_once_and_then_always_the_same(client: AsyncClient) -> None:
    body = (await client.post("/api/v1/captchas")).json()

    audios = [(await client.get(body["audio_url"])).content for _ in range(3)]
    images = [(await client.get(body["image_url"])).content for _ in range(3)]

    # One hearing as good as any other: a solver gains nothing by asking again.
    assert len(set(audios)) == 1
    assert len(set(images)) == 1


async def test_each_client_has_only_so_many_audio_readings_rendered(
    client: AsyncClient, app: object
) -> None:
    fresh = [(await client.post("/api/v1/captchas")).json() for _ in range(11)]

    statuses = [(await client.get(c["audio_url"])).status_code for c in fresh]
    again = await client.get(fresh[0]["audio_url"])
    transport = ASGITransport(app=app, client=("198.51.100.77", 4000))  # type: ignore[arg-type]
    async with AsyncClient(transport=transport, base_url="https://cma.test") as other:
        elsewhere = await other.get(fresh[10]["audio_url"])

    assert statuses == [200] * 10 + [429]
    assert again.status_code == 200  # already rendered: served again for nothing
    assert elsewhere.status_code == 200


async def test_renderings_past_a_short_queue_are_refused_at_once_and_not_counted(
    client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cma.accounts import captcha

    monkeypatch.setattr(captcha, "RENDER_QUEUE", 1)
    fresh = [(await client.post("/api/v1/captchas")).json() for _ in range(10)]

    answers = await asyncio.gather(*(client.get(c["audio_url"]) for c in fresh))

    assert {a.status_code for a in answers} == {200, 503}, [a.status_code for a in answers]
    refused = [c for c, a in zip(fresh, answers, strict=True) if a.status_code == 503]
    busy = next(a for a in answers if a.status_code == 503)
    assert busy.json()["type"] == "urn:cma:problem:busy"
    assert busy.headers["Retry-After"] == "1"
    # Refused, not counted: asked again one by one, each is rendered within the client's ten.
    late = [await client.get(c["audio_url"]) for c in refused]
    assert [a.status_code for a in late] == [200] * len(refused)
    assert all(a.headers["content-type"] == "audio/wav" for a in late)


def test_the_code_has_no_look_alike_characters() -> None:
    from cma.accounts.captcha import ALPHABET

    # Each pair a careful reader confused in the distorted image (or could).
    for pair in ("0o", "1il", "5s", "8b", "6b", "9gq", "2z", "uvw", "4u"):
        assert len(set(pair) & set(ALPHABET)) <= 1, pair

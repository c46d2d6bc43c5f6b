"""No account enumeration: an address that has an account and one that has none get the same
answer, in the same time.

Times are taken in interleaved rounds (known, unknown, then unknown, known, …), so that the
machine's load falls on both alike. Other work on the machine only ever adds time, so each
side is measured by its lower quartile, the work it cannot go below; the two must be within
30 % of each other: a path that does twice the work of the other cannot pass.
"""

import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from statistics import quantiles

from httpx import AsyncClient, Response

from cma.learners.legacy_import import Report
from tests.support import (
    Mailbox,
    active_account,
    learner_headers,
    new_captcha,
    sign_up,
    signup_body,
)

TRIES = 20
TOLERANCE = 1.3  # the slower median may be at most 30 % above the quicker one
SLACK = 0.001  # plus a millisecond, for paths that take a few


Attempt = Callable[[int], Awaitable[Response]]


def _answer(response: Response) -> tuple[int, str]:
    # The answer may repeat the address it was given: compared without it.
    sent = json.loads(response.request.content or b"{}")
    text = response.text
    # …and without the request's own id, different for every request whatever the answer.
    request_id = response.headers.get("x-request-id")
    if request_id:
        text = text.replace(request_id, "<request>")
    for field in ("email", "new_email"):
        if sent.get(field):
            text = text.replace(sent[field], "<email>")
    return response.status_code, text


def floor(durations: list[float]) -> float:
    """The lower quartile: what the work takes when the machine adds little to it."""
    return quantiles(durations, n=4)[0]


async def race(known: Attempt, unknown: Attempt) -> tuple[float, float, set[tuple[int, str]]]:
    """Each side's floor over TRIES interleaved rounds, and every distinct answer."""
    durations: dict[str, list[float]] = {"known": [], "unknown": []}
    answers = set()
    for n in range(TRIES):
        order = [("known", known), ("unknown", unknown)]
        for name, attempt in order if n % 2 == 0 else reversed(order):
            started = time.perf_counter()
            response = await attempt(n)
            durations[name].append(time.perf_counter() - started)
            answers.add(_answer(response))
    return floor(durations["known"]), floor(durations["unknown"]), answers


def alike(a: float, b: float) -> bool:
    return max(a, b) <= TOLERANCE * min(a, b) + SLACK


def test_the_comparison_tells_twice_the_work_apart() -> None:
    assert alike(0.004, 0.0045)
    assert not alike(0.004, 0.008)
    assert not alike(0.040, 0.080)


def legacy_emails(export: Path, scheme: str) -> list[str]:
    lines = (export / "credentials.csv").read_text(encoding="utf-8").splitlines()[1:]
    return [line.split(";")[0] for line in lines if line.endswith(f";{scheme}")]


async def test_log_in_with_an_unknown_address_takes_as_long_as_a_wrong_password(
    client: AsyncClient, mailbox: Mailbox, crowd: list[AsyncClient]
) -> None:
    for n in range(TRIES):
        await active_account(crowd[n], mailbox, f"connue{n}@yopmail.com")

    def attempt(prefix: str) -> Attempt:
        return lambda n: crowd[n].post(
            "/api/v1/sessions", json={"email": f"{prefix}{n}@yopmail.com", "password": "Faux2026"}
        )

    known, unknown, answers = await race(attempt("connue"), attempt("inconnue"))

    assert len(answers) == 1, answers
    assert alike(known, unknown), (known, unknown)


async def test_signing_up_again_with_a_used_address_looks_like_a_new_sign_up(
    client: AsyncClient, mailbox: Mailbox, crowd: list[AsyncClient]
) -> None:
    await active_account(client, mailbox, "prise@yopmail.com")
    captchas = [await new_captcha(crowd[n % 50], mailbox.sessionmaker) for n in range(2 * TRIES)]

    known, unknown, answers = await race(
        lambda n: crowd[n].post(
            "/api/v1/accounts", json=signup_body("prise@yopmail.com", captchas[n])
        ),
        lambda n: crowd[n].post(
            "/api/v1/accounts", json=signup_body(f"libre{n}@yopmail.com", captchas[TRIES + n])
        ),
    )

    assert len(answers) == 1, answers
    assert alike(known, unknown), (known, unknown)


async def test_forgot_password_answers_alike_in_alike_time(
    client: AsyncClient, mailbox: Mailbox, crowd: list[AsyncClient]
) -> None:
    for n in range(TRIES):
        await active_account(crowd[n], mailbox, f"oubli{n}@yopmail.com")

    known, unknown, answers = await race(
        lambda n: crowd[n].post("/api/v1/password-resets", json={"email": f"oubli{n}@yopmail.com"}),
        lambda n: crowd[n].post("/api/v1/password-resets", json={"email": f"rien{n}@yopmail.com"}),
    )

    assert len(answers) == 1, answers
    assert alike(known, unknown), (known, unknown)


async def test_resending_the_activation_mail_answers_alike_in_alike_time(
    client: AsyncClient, mailbox: Mailbox, crowd: list[AsyncClient]
) -> None:
    for n in range(TRIES):
        assert (await sign_up(crowd[n], mailbox.sessionmaker, f"attente{n}@yopmail.com")).is_success

    known, unknown, answers = await race(
        lambda n: crowd[n].post(
            "/api/v1/accounts/activation/resend", json={"email": f"attente{n}@yopmail.com"}
        ),
        lambda n: crowd[n].post(
            "/api/v1/accounts/activation/resend", json={"email": f"rien{n}@yopmail.com"}
        ),
    )

    assert len(answers) == 1, answers
    assert alike(known, unknown), (known, unknown)


async def test_asking_for_a_taken_new_address_looks_like_a_free_one(
    client: AsyncClient, mailbox: Mailbox, crowd: list[AsyncClient]
) -> None:
    for n in range(TRIES):
        await active_account(crowd[n], mailbox, f"prise{n}@yopmail.com")
    auth = await learner_headers(client, mailbox, "change@yopmail.com")

    def attempt(prefix: str) -> Attempt:
        return lambda n: crowd[n].post(
            "/api/v1/me/email",
            json={"new_email": f"{prefix}{n}@yopmail.com", "password": "Tilleul7Oranger"},
            headers=auth,
        )

    known, unknown, answers = await race(attempt("prise"), attempt("libre"))

    assert len(answers) == 1, answers
    assert alike(known, unknown), (known, unknown)


async def test_the_old_site_login_answers_alike_for_unknown_and_wrong(
    client: AsyncClient,
    mailbox: Mailbox,
    imported: Report,
    export: Path,
    crowd: list[AsyncClient],
) -> None:
    # Old accounts with the quickest old format: nothing but the argon2id work may take time.
    emails = legacy_emails(export, "hex_md5")
    assert len(emails) >= TRIES
    auth = await learner_headers(client, mailbox, "paire@yopmail.com")

    def attempt(address: Callable[[int], str]) -> Attempt:
        return lambda n: crowd[n].post(
            "/api/v1/learner-links/legacy-login",
            json={"email": address(n), "password": "PasLeBon"},
            headers=auth,
        )

    known, unknown, answers = await race(
        attempt(lambda n: emails[n]), attempt(lambda n: f"jamais.vu{n}@ancien.fr")
    )

    assert len(answers) == 1, answers
    assert alike(known, unknown), (known, unknown)


async def test_the_old_site_forgot_password_answers_alike_in_alike_time(
    client: AsyncClient,
    mailbox: Mailbox,
    imported: Report,
    export: Path,
    crowd: list[AsyncClient],
) -> None:
    emails = legacy_emails(export, "md5_crypt")
    assert len(emails) >= TRIES

    known, unknown, answers = await race(
        lambda n: crowd[n].post("/api/v1/legacy-password-resets", json={"email": emails[n]}),
        lambda n: crowd[n].post(
            "/api/v1/legacy-password-resets", json={"email": f"jamais.vu{n}@ancien.fr"}
        ),
    )

    assert len(answers) == 1, answers
    assert alike(known, unknown), (known, unknown)

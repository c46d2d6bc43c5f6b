"""No account enumeration: an address that has an account and one that has none get the same
answer, in the same time (medians over many tries, within the noise of this machine)."""

import json
import time
from collections.abc import Awaitable, Callable
from statistics import median

from httpx import AsyncClient, Response

from cma.learners.legacy_import import Report
from tests.learners.conftest import credentials
from tests.learners.test_fiche import learner_headers
from tests.support import Mailbox, active_account, new_captcha, signup_body

TRIES = 12


async def timed(
    attempt: Callable[[int], Awaitable[Response]],
) -> tuple[float, set[tuple[int, str]]]:
    """Median seconds of `attempt(n)` over TRIES, and the distinct answers (status, body)."""
    durations, answers = [], set()
    for n in range(TRIES):
        started = time.perf_counter()
        response = await attempt(n)
        durations.append(time.perf_counter() - started)
        # The answer may repeat the address it was given: compared without it.
        email = json.loads(response.request.content).get("email", "")
        answers.add((response.status_code, response.text.replace(email, "<email>")))
    return median(durations), answers


def alike(known: float, unknown: float, *, slack: float) -> bool:
    """Within half of each other, or within `slack` seconds when both are that quick."""
    return abs(known - unknown) <= max(slack, 0.5 * max(known, unknown))


async def test_log_in_with_an_unknown_address_takes_as_long_as_a_wrong_password(
    client: AsyncClient, mailbox: Mailbox, crowd: list[AsyncClient]
) -> None:
    await active_account(client, mailbox, "connue@yopmail.com")

    def attempt(email: str) -> Callable[[int], Awaitable[Response]]:
        return lambda n: crowd[n].post(
            "/api/v1/sessions", json={"email": email, "password": "PasLeBon2026"}
        )

    known, known_answers = await timed(attempt("connue@yopmail.com"))
    unknown, unknown_answers = await timed(attempt("inconnue@yopmail.com"))

    assert known_answers == unknown_answers
    assert len(known_answers) == 1
    assert alike(known, unknown, slack=0.02), (known, unknown)


async def test_signing_up_again_with_a_used_address_looks_like_a_new_sign_up(
    client: AsyncClient, mailbox: Mailbox, crowd: list[AsyncClient]
) -> None:
    await active_account(client, mailbox, "prise@yopmail.com")
    captchas = [await new_captcha(http, mailbox.sessionmaker) for http in crowd[: 2 * TRIES]]

    known, known_answers = await timed(
        lambda n: crowd[n].post(
            "/api/v1/accounts", json=signup_body("prise@yopmail.com", captchas[n])
        )
    )
    unknown, unknown_answers = await timed(
        lambda n: crowd[TRIES + n].post(
            "/api/v1/accounts", json=signup_body(f"libre{n}@yopmail.com", captchas[TRIES + n])
        )
    )

    assert known_answers == unknown_answers
    assert alike(known, unknown, slack=0.02), (known, unknown)


async def test_forgot_password_answers_alike_in_alike_time(
    client: AsyncClient, mailbox: Mailbox, crowd: list[AsyncClient]
) -> None:
    for n in range(TRIES):
        await active_account(client, mailbox, f"oubli{n}@yopmail.com")

    known, known_answers = await timed(
        lambda n: crowd[n].post("/api/v1/password-resets", json={"email": f"oubli{n}@yopmail.com"})
    )
    unknown, unknown_answers = await timed(
        lambda n: crowd[n].post("/api/v1/password-resets", json={"email": f"rien{n}@yopmail.com"})
    )

    assert known_answers == unknown_answers
    assert alike(known, unknown, slack=0.02), (known, unknown)


async def test_the_old_site_login_answers_alike_for_unknown_and_wrong(
    client: AsyncClient,
    mailbox: Mailbox,
    imported: Report,
    export: object,
    crowd: list[AsyncClient],
) -> None:
    email, _ = credentials(export)["bcrypt"]  # type: ignore[arg-type]
    auth = await learner_headers(client, mailbox, "paire@yopmail.com")

    def attempt(address: str) -> Callable[[int], Awaitable[Response]]:
        return lambda n: crowd[n].post(
            "/api/v1/learner-links/legacy-login",
            json={"email": address, "password": "PasLeBon"},
            headers=auth,
        )

    known, known_answers = await timed(attempt(email))
    unknown, unknown_answers = await timed(attempt("jamais.vu@ancien.fr"))

    # The old site's throttle may answer 429 to both after a few tries: same answers all along.
    assert known_answers == unknown_answers
    assert alike(known, unknown, slack=0.02), (known, unknown)

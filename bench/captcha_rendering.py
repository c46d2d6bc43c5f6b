"""Captcha audio as a load that costs nothing to send: the login and a course page, quiet and
while 16 clients keep asking for fresh audio readings, measured in the same run.

Starts `cma serve` (one process, as production runs it) on a fresh database with the demo
catalogue and one account. Each phase runs for `--seconds`: a login every 100 ms from one
client (p50), and wrk on a course page with 16 connections (p99); the noisy phase adds 16
clients, each from its own address, that create challenges and fetch their audio as fast as
they are answered. Prints both phases, the ratios, and what the noisy clients got.

    make bench-captcha            # or: .venv/bin/python bench/captcha_rendering.py --seconds 20
"""

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from harness import Result, free_port, fresh_database, wait_healthy, wrk
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

BIN = Path(sys.executable).parent
EMAIL = "banc.captcha@yopmail.com"
PASSWORD = "Tilleul7Oranger"  # noqa: S105 - the bench account's
LIMIT = 1.5
NOISY_CLIENTS = 16


@dataclass
class Phase:
    login_ms: list[float] = field(default_factory=list)
    page: Result | None = None
    noise: Counter[int] = field(default_factory=Counter)

    @property
    def login_p50(self) -> float:
        return statistics.median(self.login_ms)


async def _account(url: str) -> None:
    from cma.core.security import PASSWORD_CONTEXT
    from cma.core.settings import to_asyncpg_url

    engine = create_async_engine(to_asyncpg_url(url))
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO accounts (email, password_hash, terms_version, terms_accepted_at) "
                "VALUES (:email, :hash, 'bench', now())"
            ),
            {"email": EMAIL, "hash": PASSWORD_CONTEXT.hash(PASSWORD)},
        )
    await engine.dispose()


async def _logins(base: str, seconds: float, phase: Phase) -> None:
    headers = {"X-Forwarded-For": "192.0.2.200"}
    body = {"email": EMAIL, "password": PASSWORD}
    async with aiohttp.ClientSession(base) as http:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            async with http.post("/api/v1/sessions", json=body, headers=headers) as answer:
                await answer.read()
                assert answer.status == 201, answer.status
            phase.login_ms.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.1)


async def _noise(base: str, n: int, stop: asyncio.Event, phase: Phase) -> None:
    headers = {"X-Forwarded-For": f"198.51.100.{n + 1}"}
    async with aiohttp.ClientSession(base) as http:
        while not stop.is_set():
            async with http.post("/api/v1/captchas", headers=headers) as created:
                phase.noise[created.status] += 1
                if created.status != 201:
                    await asyncio.sleep(0.05)
                    continue
                audio_url = (await created.json())["audio_url"]
            async with http.get(audio_url, headers=headers) as audio:
                await audio.read()
                phase.noise[audio.status] += 1


async def _phase(base: str, page: str, seconds: int, noisy: bool) -> Phase:
    phase = Phase()
    stop = asyncio.Event()
    noise = [
        asyncio.create_task(_noise(base, n, stop, phase))
        for n in range(NOISY_CLIENTS if noisy else 0)
    ]
    await asyncio.sleep(1 if noisy else 0)  # the noise under way first
    page_run = asyncio.to_thread(wrk, "course page", base + page, seconds, 16, [])
    phase.page, _ = await asyncio.gather(page_run, _logins(base, seconds, phase))
    stop.set()
    await asyncio.gather(*noise)
    return phase


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="duration of each phase")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk (make bench-captcha does it)")

    with ExitStack() as stack:
        url = stack.enter_context(fresh_database())
        env = {**os.environ, "DATABASE_URL": url, "CMA_ENV": "test", "OUTBOX_IN_PROCESS": "false"}
        subprocess.run([BIN / "cma", "seed"], env=env, check=True, capture_output=True)
        asyncio.run(_account(url))
        port = free_port()
        server = subprocess.Popen(
            [BIN / "cma", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack.callback(server.terminate)
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base + "/api/v1/health", server)
        page = "/api/v1/courses/LE0042"

        quiet = asyncio.run(_phase(base, page, args.seconds, noisy=False))
        noisy = asyncio.run(_phase(base, page, args.seconds, noisy=True))

    assert quiet.page is not None
    assert noisy.page is not None
    login_ratio = noisy.login_p50 / quiet.login_p50
    page_ratio = noisy.page.p99_ms / quiet.page.p99_ms
    print(f"{'':28}{'quiet':>10}{'16 audio clients':>18}{'ratio':>8}")
    rows = [
        ("login p50 (ms)", quiet.login_p50, noisy.login_p50, login_ratio),
        ("course page p99 (ms)", quiet.page.p99_ms, noisy.page.p99_ms, page_ratio),
    ]
    for name, calm, loaded, ratio in rows:
        print(f"{name:28}{calm:>10.1f}{loaded:>18.1f}{ratio:>8.2f}")
    print(f"{'course page req/s':28}{quiet.page.rps:>10.0f}{noisy.page.rps:>18.0f}")
    print(f"noisy clients' answers: {dict(sorted(noisy.noise.items()))}")
    verdict = "ok" if login_ratio <= LIMIT and page_ratio <= LIMIT else "MISSED"
    print(f"target: both within {LIMIT}x of the quiet figure: {verdict}")
    if verdict != "ok":
        sys.exit(1)


if __name__ == "__main__":
    main()

"""The opening rush: thousands of learners arrive, log in, browse, fill and submit their basket.

Self-contained and bounded in time. It prepares a fresh database with the 1,200-course
catalogue (a campaign open today) and N learners with a record. It starts the app as
production would: `cma serve --workers 2` (or, with --scale-out, two servers on two ports
behind a round-robin client), a separate `cma worker`, and an SMTP sink on loopback.

Baselines, measured in the same run:
- a bare endpoint on the same server settings (bench/baseline.py);
- the password hasher alone on this machine's cores;
- a trivial query through the same pool.

Then:
1. The rush. Learners arrive over a ramp; each logs in, browses the catalogue and three
   course pages, adds three courses, submits, reads their applications and logs out.
   Printed per step: requests/s, p50/p95/p99, errors, and the ratio to the baseline.
2. The end state. Every submitted basket is present once; every confirmation mail is
   delivered once, and within how long of the last submission.
3. Unless --no-overload: logins faster than the hasher can take them, with catalogue reads
   beside them. Printed: what was shed, how the accepted requests fared, and the recovery.

    .venv/bin/python bench/rush.py [--learners 5000] [--ramp 300] [--scale-out] [--no-overload]

Run against DATABASE_URL's server (a database of its own, dropped afterwards) or, unset, the
embedded PostgreSQL. Exit status 1 when an end-state check fails; the timings are reported,
never asserted.
"""

import argparse
import asyncio
import itertools
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from harness import free_port, fresh_database, wait_healthy, wrk

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PASSWORD = "Tilleul7Oranger"  # noqa: S105 - the generated learners' password
PREFIX = "ruee"
DOMAIN = "yopmail.com"  # the API refuses the reserved .test domain at login
LOGINS = ["-s", str(ROOT / "bench" / "logins.lua")]  # wrk posting the learners' logins


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Step:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: int = 0  # transport errors, timeouts
    first: float = float("inf")
    last: float = 0.0

    def add(self, started: float, status: int | None) -> None:
        ended = time.perf_counter()
        self.first, self.last = min(self.first, started), max(self.last, ended)
        if status is None:
            self.failures += 1
            return
        self.statuses[status] += 1
        self.latencies.append(ended - started)

    def errors(self, ok: set[int]) -> int:
        return self.failures + sum(n for s, n in self.statuses.items() if s not in ok)

    def rate(self) -> float:
        span = self.last - self.first
        return len(self.latencies) / span if span > 0 else 0.0

    def quantile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Recorder:
    """Sends the learners' requests and times them.

    aiohttp, not httpx: here httpx spent about 3 ms of CPU per request against 0.1 ms, and a
    load generator that costs as much as the server it loads measures its own queue.
    """

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http
        self.steps: dict[str, Step] = {}

    async def once(self, name: str, method: str, url: str, **options: Any) -> Answer | None:
        step = self.steps.setdefault(name, Step())
        started = time.perf_counter()
        try:
            async with self.http.request(method, url, **options) as response:
                answer = Answer(response.status, response.headers, await response.read())
        except (aiohttp.ClientError, TimeoutError):
            step.add(started, None)
            return None
        step.add(started, answer.status)
        return answer

    async def call(
        self, name: str, method: str, url: str, *, retries: int = 2, **options: Any
    ) -> Answer | None:
        """As the SPA does: a 503 with Retry-After is asked again after about that long (a
        little more or less for each learner), `retries` times at most. A 503 retried is
        counted under "<step> shed", not as an error."""
        for attempt in range(retries + 1):
            answer = await self.once(name, method, url, **options)
            if answer is None or answer.status != 503 or attempt == retries:
                return answer
            self.steps[name].statuses[503] -= 1
            self.steps.setdefault(f"{name} shed", Step()).statuses[503] += 1
            wait = float(answer.headers.get("Retry-After", "1"))
            await asyncio.sleep(wait * (0.75 + random.random() * 0.5))  # noqa: S311 - jitter
        return None


# Statuses that are the right answer for each step.
OK = {
    "login": {201},
    "catalogue": {200},
    "course page": {200},
    "basket add": {201},
    "submit": {200},
    "applications": {200},
    "logout": {204},
}


def report(recorder: Recorder) -> None:
    """Per step of the rush; the ratios to the baselines are printed before it."""
    print(f"{'step':<14}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, step in recorder.steps.items():
        # A 503 retried ("<step> shed") is the server saying no at once, as it should.
        ok = {503} if name.endswith(" shed") else OK.get(name, {200})
        wrong: dict[int | str, int] = {s: n for s, n in step.statuses.items() if s not in ok and n}
        if step.failures:
            wrong["no answer"] = step.failures
        print(
            f"{name:<14}{step.rate():>9.1f}{step.quantile(0.5):>9.1f}{step.quantile(0.95):>9.1f}"
            f"{step.quantile(0.99):>9.1f}{step.errors(ok):>8}  {wrong or ''}"
        )


# --- the world ------------------------------------------------------------------------------


@dataclass
class World:
    urls: list[str]
    courses: list[tuple[str, int]]  # open courses asking nothing: (code, weekday)
    domains: list[str]
    learners: int
    database_url: str
    rotation: Iterator[int] = field(default_factory=itertools.count)

    def url(self) -> str:
        """Round-robin over the servers: a learner's requests cross them."""
        return self.urls[next(self.rotation) % len(self.urls)]


def address(n: int) -> dict[str, str]:
    """Each learner comes from an address of their own, as through the city's proxy."""
    return {"X-Forwarded-For": f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"}


async def prepare(url: str, learners: int) -> tuple[list[tuple[str, int]], list[str]]:
    from sqlalchemy import select

    from cma.catalogue import demo
    from cma.catalogue.models import Campaign, Course, Domain
    from cma.catalogue.service import today
    from cma.core.database import create_engine, create_sessionmaker
    from cma.core.security import PASSWORD_CONTEXT
    from cma.enrolment import generate

    engine = create_engine(url, pool_size=1)
    async with create_sessionmaker(engine)() as session, session.begin():
        await demo.seed(session, courses=1200)
        day = today()
        campaign = await session.scalar(
            select(Campaign.id).where(
                Campaign.application_start <= day, Campaign.application_end >= day
            )
        )
        assert campaign is not None
        courses = [
            (code, weekday)
            for code, weekday in await session.execute(
                select(Course.code, Course.weekday).where(
                    Course.campaign_id == campaign,
                    Course.needs_motivation.is_(False),
                    Course.needs_priority_situation.is_(False),
                )
            )
        ]
        domains = list(await session.scalars(select(Domain.slug)))
        # One real hash for everybody: preparing 5,000 accounts must not take 5,000 hashes.
        await generate.applicants(
            session,
            campaign,
            learners=learners,
            choices=0,
            prefix=PREFIX,
            password_hash=PASSWORD_CONTEXT.hash(PASSWORD),
            domain=DOMAIN,
        )
    await engine.dispose()
    return courses, domains


def choose(world: World, n: int) -> list[str]:
    """Three open courses on three different days."""
    rng = random.Random(n)  # noqa: S311 - reproducible load, no secret
    chosen: list[tuple[str, int]] = []
    while len(chosen) < 3:
        code, weekday = rng.choice(world.courses)
        if all(weekday != w for _, w in chosen):
            chosen.append((code, weekday))
    return [code for code, _ in chosen]


async def journey(world: World, n: int, rec: Recorder) -> bool:
    """One learner's morning; True when their basket was submitted."""
    headers = address(n)
    email = f"{PREFIX}-{n}@{DOMAIN}"
    credentials = {"email": email, "password": PASSWORD}
    # A learner who cannot get in keeps trying, for longer than the SPA does by itself.
    login = await rec.call(
        "login",
        "POST",
        f"{world.url()}/api/v1/sessions",
        json=credentials,
        headers=headers,
        retries=9,
    )
    if login is None or login.status != 201:
        return False
    headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    domain = world.domains[n % len(world.domains)]
    await rec.call(
        "catalogue", "GET", f"{world.url()}/api/v1/courses?domain={domain}", headers=headers
    )
    await rec.call("catalogue", "GET", f"{world.url()}/api/v1/courses?q=anglais", headers=headers)
    codes = choose(world, n)
    for code in codes:
        await rec.call("course page", "GET", f"{world.url()}/api/v1/courses/{code}")
    for code in codes:
        await rec.call(
            "basket add",
            "POST",
            f"{world.url()}/api/v1/me/basket/items",
            json={"course_code": code},
            headers=headers,
        )
    submitted = await rec.call(
        "submit", "POST", f"{world.url()}/api/v1/me/basket/submit", headers=headers
    )
    await rec.call("applications", "GET", f"{world.url()}/api/v1/me/applications", headers=headers)
    await rec.call("logout", "DELETE", f"{world.url()}/api/v1/sessions/current", headers=headers)
    return submitted is not None and submitted.status == 200


async def rush(world: World, ramp: float) -> tuple[Recorder, int, float]:
    """Learners arrive evenly over `ramp` seconds; returns what happened, how many submitted,
    and when the last submission was made (perf_counter)."""
    connector = aiohttp.TCPConnector(limit=400)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        rec = Recorder(http)
        started = time.perf_counter()

        async def arrive(n: int) -> bool:
            await asyncio.sleep(max(0.0, started + n * ramp / world.learners - time.perf_counter()))
            return await journey(world, n, rec)

        outcomes = await asyncio.gather(*(arrive(n) for n in range(world.learners)))
    return rec, sum(outcomes), rec.steps["submit"].last


# --- baselines ------------------------------------------------------------------------------


def hasher_rate(seconds: float = 3.0) -> float:
    """Password checks per second of the configured hasher alone, on every core."""
    from cma.core.security import PASSWORD_CONTEXT

    hashed = PASSWORD_CONTEXT.hash(PASSWORD)
    cores = os.cpu_count() or 1
    deadline = time.perf_counter() + seconds

    def work() -> int:
        done = 0
        while time.perf_counter() < deadline:
            PASSWORD_CONTEXT.verify(PASSWORD, hashed)
            done += 1
        return done

    with ThreadPoolExecutor(cores) as pool:
        total = sum(pool.map(lambda _: work(), range(cores)))
    return total / seconds


async def query_rate(url: str, seconds: float = 3.0) -> float:
    """`SELECT 1` per second through the app's pool settings."""
    from sqlalchemy import text

    from cma.core.database import create_engine

    engine = create_engine(url)
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            done += 1

    await asyncio.gather(*(worker() for _ in range(8)))
    await engine.dispose()
    return done / seconds


# --- the end state --------------------------------------------------------------------------


async def end_state(world: World, submitted: int, last_submit: float, sink: object) -> bool:
    from sqlalchemy import func, select

    from cma.core.database import create_engine, create_sessionmaker
    from cma.core.settings import to_asyncpg_url
    from cma.enrolment.models import Application
    from cma.notifications.models import OutboxMessage

    engine = create_engine(to_asyncpg_url(world.database_url), pool_size=1)
    maker = create_sessionmaker(engine)
    deadline = time.perf_counter() + 300
    delivered_at = None
    while time.perf_counter() < deadline:
        async with maker() as session:
            pending = await session.scalar(
                select(func.count()).where(OutboxMessage.status != "sent")
            )
        if pending == 0:
            delivered_at = time.perf_counter()
            break
        await asyncio.sleep(0.5)
    async with maker() as session:
        rows = await session.scalar(select(func.count()).select_from(Application))
        distinct = await session.scalar(
            select(func.count()).select_from(
                select(Application.learner_id, Application.course_code).distinct().subquery()
            )
        )
        learners = await session.scalar(
            select(func.count(func.distinct(Application.learner_id))).where(
                Application.status == "submitted"
            )
        )
        ids = set(
            await session.scalars(
                select(OutboxMessage.message_id).where(
                    OutboxMessage.template == "applications_submitted"
                )
            )
        )
    await engine.dispose()
    received = [str(m.message["Message-ID"]) for m in sink.received]  # type: ignore[attr-defined]
    checks = {
        "every submitted basket is there once (3 applications each, none twice)": rows
        == distinct
        == 3 * submitted
        and learners == submitted,
        "one confirmation mail per submission": len(ids) == submitted,
        "every confirmation mail delivered, once": Counter(received) == Counter(ids),
        "mails delivered within 5 minutes of the last submission": delivered_at is not None
        and delivered_at - last_submit <= 300,
    }
    if delivered_at is not None:
        delay = max(0.0, delivered_at - last_submit)
        print(f"last mail delivered {delay:.1f} s after the last submission")
    for label, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAILED'}] {label}")
    return all(checks.values())


# --- overload -------------------------------------------------------------------------------


def overload(world: World, seconds: int = 10) -> None:
    """Logins from 64 connections (far more than the hasher takes) with catalogue reads beside."""
    print(
        f"\nbeyond capacity: wrk logging in on 64 connections for {seconds} s, "
        "and reading a course page on 8"
    )
    with ThreadPoolExecutor(2) as pool:
        burst = pool.submit(wrk, "logins", f"{world.urls[0]}/api/v1/sessions", seconds, 64, LOGINS)
        reads = pool.submit(
            wrk, "reads", f"{world.urls[0]}/api/v1/courses/{world.courses[0][0]}", seconds, 8, []
        )
        logins, pages = burst.result(), reads.result()
    print(
        f"  login answers: {logins.rps:.0f}/s, of which refused (503 busy, Retry-After: 1): "
        f"{logins.errors}; "
        f"p50 {logins.p50_ms:.0f} ms, p99 {logins.p99_ms:.0f} ms"
    )
    print(
        f"  course page meanwhile: {pages.rps:.0f} req/s, p50 {pages.p50_ms:.1f} ms, "
        f"p99 {pages.p99_ms:.1f} ms, errors {pages.errors}"
    )
    recovery = [
        httpx.post(
            f"{world.urls[0]}/api/v1/sessions",
            json={"email": f"{PREFIX}-{n}@{DOMAIN}", "password": PASSWORD},
            headers=address(n),
        )
        for n in range(10)
    ]
    times = sorted(r.elapsed.total_seconds() * 1000 for r in recovery)
    statuses = dict(Counter(r.status_code for r in recovery))
    print(f"  right after: 10 logins one by one, statuses {statuses}, median {times[5]:.0f} ms")


# --- processes ------------------------------------------------------------------------------


@contextmanager
def served(database_url: str, smtp_port: int, scale_out: bool) -> Iterator[list[str]]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CMA_ENV": "test",
        "OUTBOX_IN_PROCESS": "false",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "SECRET_KEY": "rush-benchmark-secret-key-0123456789",
    }
    with ExitStack() as stack:
        urls = []
        for workers in [1, 1] if scale_out else [2]:
            port = free_port()
            server = subprocess.Popen(
                [BIN / "cma", "serve", "--port", str(port), "--workers", str(workers)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            stack.callback(server.wait)
            stack.callback(server.terminate)
            wait_healthy(f"http://127.0.0.1:{port}/api/v1/health", server)
            urls.append(f"http://127.0.0.1:{port}")
        worker = subprocess.Popen(
            [BIN / "cma", "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        stack.callback(worker.wait)
        stack.callback(worker.terminate)
        yield urls


@contextmanager
def bare_endpoint(workers: int) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            BIN / "uvicorn",
            "baseline:app",
            "--app-dir",
            str(ROOT / "bench"),
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}/items", process)
        yield f"http://127.0.0.1:{port}/items"
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--ramp", type=float, default=300.0, help="seconds over which they arrive")
    parser.add_argument("--scale-out", action="store_true", help="two servers on two ports")
    parser.add_argument("--no-overload", action="store_true")
    parser.add_argument("--no-baselines", action="store_true")
    args = parser.parse_args()

    from cma.core.settings import to_asyncpg_url
    from cma.notifications.smtp_sink import SmtpSink

    os.environ.update(LEARNERS=str(args.learners), PASSWORD=PASSWORD)  # for bench/logins.lua

    cores = os.cpu_count()
    os.environ.update(LEARNERS=str(args.learners), PASSWORD=PASSWORD)  # for bench/logins.lua
    topology = (
        "two servers on two ports, round-robin" if args.scale_out else "cma serve --workers 2"
    )
    print(
        f"opening rush: {args.learners} learners over {args.ramp:.0f} s; {topology}, "
        f"one cma worker; {cores} cores"
    )
    baselines: dict[str, float] = {}
    if not args.no_baselines:
        baselines["login"] = hasher_rate()
        with bare_endpoint(1 if args.scale_out else 2) as bare:
            baselines["bare"] = wrk("bare endpoint", bare, 5, 64, []).rps
    with ExitStack() as stack:
        url = stack.enter_context(fresh_database())
        started = time.perf_counter()
        courses, domains = asyncio.run(prepare(to_asyncpg_url(url), args.learners))
        print(
            f"prepared 1,200 courses and {args.learners} learners in "
            f"{time.perf_counter() - started:.1f} s (not counted)"
        )
        if not args.no_baselines:
            baselines["query"] = asyncio.run(query_rate(to_asyncpg_url(url)))
        sink = SmtpSink()
        sink.start()
        stack.callback(sink.stop)
        urls = stack.enter_context(served(url, sink.port, args.scale_out))
        world = World(urls, courses, domains, args.learners, url)
        if baselines:
            print(
                f"baselines: the hasher alone {baselines['login']:.1f} checks/s; a bare endpoint "
                f"{baselines['bare']:.0f} req/s (wrk, 64 connections); SELECT 1 through the "
                f"pool {baselines['query']:.0f}/s"
            )
            logins = wrk("login", f"{urls[0]}/api/v1/sessions", 15, 8, LOGINS)
            # The hasher alone again, right after: this machine's speed drifts, and the
            # better of the two is the bar (the ratio errs low, never high).
            baselines["login"] = max(baselines["login"], hasher_rate())
            print(
                f"login, wrk 8 connections: {logins.rps:.1f}/s = "
                f"{logins.rps / baselines['login']:.2f} of the hasher alone at its best "
                f"{baselines['login']:.1f}/s (p99 {logins.p99_ms:.0f} ms, errors {logins.errors})"
            )
            for name, path in (
                ("catalogue page", f"/api/v1/courses?domain={domains[0]}"),
                ("course page", f"/api/v1/courses/{courses[0][0]}"),
            ):
                measured = wrk(name, f"{urls[0]}{path}", 5, 64, [])
                print(
                    f"{name}, wrk 64 connections: {measured.rps:.0f} req/s = "
                    f"{measured.rps / baselines['bare']:.2f} of the bare endpoint "
                    f"(p99 {measured.p99_ms:.1f} ms, errors {measured.errors})"
                )
        print(f"\nthe rush ({args.learners / args.ramp:.1f} arrivals/s):")
        recorder, submitted, last_submit = asyncio.run(rush(world, args.ramp))
        report(recorder)
        print(f"\nend state ({submitted} of {args.learners} baskets submitted):")
        ok = (
            asyncio.run(end_state(world, submitted, last_submit, sink))
            and submitted == args.learners
        )
        if not args.no_overload:
            overload(world)
    print(f"\nend-state checks: {'ok' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

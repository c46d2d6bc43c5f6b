"""Allocation benchmark: 50,000 learners, ~150,000 applications, 1,200 courses.

Prepares (not timed) the demo catalogue's 1,200 courses in one campaign whose application
period has ended, 50,000 learners with three ranked choices each, a fifth of them with an old
account whose history meets the prerequisites of the courses above beginner level. Then, in a
fresh process so that its peak memory is the allocation's own, it previews and commits the
allocation, and reads the same applications bare as the baseline (the unavoidable cost).
Targets on 2 cores: the commit under 30 s and the process under 1 GB.

    .venv/bin/python bench/allocation.py [--learners 50000]
"""

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from harness import fresh_database

TARGET_SECONDS = 30
TARGET_MB = 1024

# Every course in one campaign closed yesterday, answers from today.
CLOSE = """
UPDATE campaigns SET application_start = current_date - 20, application_end = current_date - 1,
       response_start = current_date, response_end = current_date + 22
 WHERE id = :campaign
"""
PREREQUISITES = """
UPDATE courses SET prerequisite_codes = ARRAY['ANG2', 'INF1']
 WHERE level NOT IN ('debutant', 'tous_niveaux')
"""
# One learner in five had an old account in which they followed ANG2.
HISTORY = """
WITH chosen AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM learners ORDER BY id LIMIT :count
), legacy AS (
    INSERT INTO legacy_accounts (id, email) SELECT n, 'ancien' || n || '@cma.test' FROM chosen
    RETURNING id
), history AS (
    INSERT INTO training_history (legacy_account_id, year, course_code, course_title)
    SELECT id, 2015, 'ANG2', 'Anglais niveau 2' FROM legacy
)
UPDATE learners l SET legacy_account_id = c.n FROM chosen c WHERE l.id = c.id
"""


async def prepare(url: str, learners: int) -> int:
    from sqlalchemy import select, text, update

    from cma.catalogue.models import Campaign, Course
    from cma.core.database import create_engine, create_sessionmaker
    from cma.demo import applications, catalogue

    engine = create_engine(url, pool_size=1)
    async with create_sessionmaker(engine)() as session, session.begin():
        await catalogue.seed(session, courses=1200)
        campaign = await session.scalar(select(Campaign.id).order_by(Campaign.id.desc()).limit(1))
        assert campaign is not None
        await session.execute(update(Course).values(campaign_id=campaign))
        await session.execute(text(CLOSE), {"campaign": campaign})
        await session.execute(text(PREREQUISITES))
        await applications.applicants(session, campaign, learners=learners, social_share=0.15)
        await session.execute(text(HISTORY), {"count": learners // 5})
    await engine.dispose()
    return campaign


async def allocate(url: str, campaign: int) -> dict[str, float]:
    """Run in its own process: preview, commit, and the bare read of the same rows."""
    from sqlalchemy import text

    import cma.models  # noqa: F401 - every table
    from cma.core.database import create_engine, create_sessionmaker
    from cma.enrolment import runs

    engine = create_engine(url, pool_size=1)
    maker = create_sessionmaker(engine)
    figures: dict[str, float] = {}
    async with maker() as session:
        started = time.perf_counter()
        rows = (
            await session.execute(
                text(
                    "SELECT id, learner_id, course_code, rank, priority_situation "
                    "FROM applications WHERE campaign_id = :c"
                ),
                {"c": campaign},
            )
        ).all()
        figures["baseline"] = time.perf_counter() - started
        figures["applications"] = len(rows)
        del rows
    async with maker() as session:
        started = time.perf_counter()
        report = await runs.preview(session, campaign, 2016)
        figures["preview"] = time.perf_counter() - started
    async with maker() as session, session.begin():
        started = time.perf_counter()
        committed = await runs.commit(session, campaign, 2016, None)
        figures["commit"] = time.perf_counter() - started
    await engine.dispose()
    assert committed["courses"] == report["courses"], "the commit differs from its preview"
    for key in ("learners", "accepted", "waitlisted", "not_retained"):
        figures[key] = committed[key]
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=50_000)
    parser.add_argument("--allocate", nargs=2, metavar=("URL", "CAMPAIGN"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    from cma.core.settings import to_asyncpg_url

    if args.allocate:
        url, campaign = args.allocate
        print(json.dumps(asyncio.run(allocate(to_asyncpg_url(url), int(campaign)))))
        return

    with fresh_database() as url:
        started = time.perf_counter()
        campaign = asyncio.run(prepare(to_asyncpg_url(url), args.learners))
        print(f"campaign prepared in {time.perf_counter() - started:.1f} s (not counted)")
        child = subprocess.run(
            [sys.executable, Path(__file__), "--allocate", url, str(campaign)],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(child.stdout.strip().splitlines()[-1])

    print(
        f"{figures['applications']:,.0f} applications from {figures['learners']:,.0f} learners "
        f"to 1,200 courses: {figures['accepted']:,.0f} accepted, "
        f"{figures['waitlisted']:,.0f} waitlisted, {figures['not_retained']:,.0f} not retained"
    )
    print(f"baseline, reading the applications bare: {figures['baseline']:.2f} s")
    for step in ("preview", "commit"):
        ratio = figures[step] / figures["baseline"]
        print(f"{step}: {figures[step]:.2f} s ({ratio:.1f}× the baseline)")
    print(f"peak memory of the allocating process: {figures['peak_mb']:.0f} MB")
    ok = figures["commit"] < TARGET_SECONDS and figures["peak_mb"] < TARGET_MB
    print(f"targets: under {TARGET_SECONDS} s and under {TARGET_MB} MB: {'ok' if ok else 'MISSED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

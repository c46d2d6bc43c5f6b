"""Legacy import benchmark: 100,000 old accounts with ~300,000 history rows.

Generates the export (not timed), imports it into a fresh database on DATABASE_URL's
server or the embedded one, and prints rows/s, the duration and the peak memory of the
import. Targets on 2 cores: under 60 s and under 500 MB.

    .venv/bin/python bench/legacy_import.py [--size 100000]
"""

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

from harness import fresh_database

TARGET_SECONDS = 60
TARGET_MB = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()

    from cma.core.database import create_engine, create_sessionmaker
    from cma.core.settings import to_asyncpg_url
    from cma.demo.legacy_accounts import generate
    from cma.learners.legacy_import import import_legacy

    with fresh_database() as database_url:
        url = to_asyncpg_url(database_url)
        with tempfile.TemporaryDirectory() as directory:
            started = time.perf_counter()
            history = generate(Path(directory), args.size)
            generated = time.perf_counter() - started
            print(
                f"export generated: {args.size} accounts, {history} history rows "
                f"in {generated:.1f} s (not counted)"
            )
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

            async def run() -> tuple[float, object]:
                engine = create_engine(url, pool_size=2)
                started = time.perf_counter()
                report = await import_legacy(create_sessionmaker(engine), Path(directory))
                elapsed = time.perf_counter() - started
                await engine.dispose()
                return elapsed, report

            elapsed, report = asyncio.run(run())
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rows = report.accounts + report.history  # type: ignore[attr-defined]
    print(
        f"imported {report.accounts} accounts and {report.history} history rows "  # type: ignore[attr-defined]
        f"({len(report.rejected)} rows left out) in {elapsed:.1f} s: "  # type: ignore[attr-defined]
        f"{rows / elapsed:,.0f} rows/s"
    )
    print(f"peak memory of the process: {peak:.0f} MB (before the import: {before:.0f} MB)")
    ok = elapsed < TARGET_SECONDS and peak < TARGET_MB
    print(f"targets: under {TARGET_SECONDS} s and under {TARGET_MB} MB: {'ok' if ok else 'MISSED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

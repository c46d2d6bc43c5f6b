"""Catalogue read benchmark: the API against its baseline, measured in the same run.

Starts PostgreSQL (DATABASE_URL's server, or the embedded one), a fresh database with the
1,200-course demo catalogue, the baseline app (bench/baseline.py) and `cma serve`, each one
uvicorn process with the same settings; then drives each endpoint with wrk (64 connections,
fixed duration) and prints requests/s, p50/p99, errors, and the ratio to the baseline.

    make bench-catalogue            # or: .venv/bin/python bench/catalogue.py --seconds 10
"""

import argparse
import os
import shutil
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import httpx
from harness import free_port, fresh_database, wait_healthy, wrk

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGETS = {"domain listing": 0.5, "course page": 0.5, "search": 0.1, "search, uncached": 0.1}
P99_LIMIT_MS = 100.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="duration of each measure")
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk (make bench-catalogue does it)")

    with ExitStack() as stack:
        url = stack.enter_context(fresh_database())
        env = {**os.environ, "DATABASE_URL": url, "CMA_ENV": "test", "OUTBOX_IN_PROCESS": "false"}
        subprocess.run([BIN / "cma", "seed"], env=env, check=True, capture_output=True)

        common = ["--host", "127.0.0.1", "--log-level", "warning", "--no-access-log"]
        base_port, api_port = free_port(), free_port()
        baseline = subprocess.Popen(
            [
                BIN / "uvicorn",
                "baseline:app",
                "--app-dir",
                str(ROOT / "bench"),
                "--port",
                str(base_port),
                *common,
            ],
            env=env,
        )
        stack.callback(baseline.terminate)
        api = subprocess.Popen(
            [BIN / "uvicorn", "cma.main:create_app", "--factory", "--port", str(api_port), *common],
            env=env,
        )
        stack.callback(api.terminate)
        wait_healthy(f"http://127.0.0.1:{base_port}/items", baseline)
        wait_healthy(f"http://127.0.0.1:{api_port}/api/v1/health", api)

        api_url = f"http://127.0.0.1:{api_port}/api/v1"
        code = httpx.get(f"{api_url}/courses?q=anglais&page_size=1").json()["items"][0]["code"]
        runs = {
            "baseline": f"http://127.0.0.1:{base_port}/items",
            "domain listing": f"{api_url}/courses?domain=langues-etrangeres-bis&page_size=20",
            "search": f"{api_url}/courses?q=anglais%20interm%C3%A9diaire",
            "search, uncached": f"http://127.0.0.1:{api_port}",
            "course page": f"{api_url}/courses/{code}",
        }
        uncached = ["-s", str(ROOT / "bench" / "distinct_searches.lua")]
        results = [
            wrk(n, u, args.seconds, args.connections, uncached if n == "search, uncached" else [])
            for n, u in runs.items()
        ]

    base = results[0].rps
    print(
        f"\ncatalogue benchmark: {args.connections} connections, {args.seconds}s each, "
        f"one server process, {os.cpu_count()} cores"
    )
    print(
        f"{'endpoint':<16}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'ratio':>8}"
        f"{'target':>9}  verdict"
    )
    failed = False
    for r in results:
        ratio = r.rps / base
        target = TARGETS.get(r.name)
        ok = target is None or (ratio >= target and r.errors == 0 and r.p99_ms < P99_LIMIT_MS)
        failed |= not ok
        print(
            f"{r.name:<16}{r.rps:>10.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{r.errors:>8}"
            f"{ratio:>8.2f}{'' if target is None else f'≥{target}':>9}  "
            f"{'' if target is None else ('ok' if ok else 'MISSED')}"
        )
    print(f"(targets: ratio to the baseline, no errors, p99 under {P99_LIMIT_MS:.0f} ms)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

"""The opening rush in small (bench/rush.py): its end state is checked, never its timings."""

import asyncio
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


async def rush(*args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bench" / "rush.py"),
        "--no-baselines",
        "--no-overload",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        # Beside the rest of the suite, as on a shared host: hashing at the loops' priority.
        env={**os.environ, "PASSWORD_HASH_NICENESS": "0"},
    )
    out, _ = await process.communicate()
    report = out.decode()
    assert process.returncode == 0, report
    return report


@pytest.mark.parametrize(
    "topology", [[], ["--scale-out"]], ids=["cma serve --workers 2", "two servers, round-robin"]
)
async def test_a_small_rush_ends_with_every_basket_once_and_every_mail_once(
    topology: list[str],
) -> None:
    report = await rush("--learners", "120", "--ramp", "12", *topology)

    assert "end state (120 learners hold a submitted basket)" in report
    assert "[FAILED]" not in report
    assert "end-state checks: ok" in report

"""Any input: schemathesis drives every operation of openapi/openapi.json against the running
app, as a stranger, as a logged-in learner and as staff. No 5xx, no answer that breaks its own
schema or status codes, no invalid input accepted, 405 with the right Allow for other methods.

`make test` runs a bounded number of examples (FUZZ_EXAMPLES, 8 by default); `make fuzz` runs
many more."""

import asyncio
import os
import sys
from pathlib import Path

from httpx import AsyncClient

from tests.support import FICHE, Mailbox, learner_headers, staff_headers

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "8")
# Checks that need the API to create what it then reads back (ensure_resource_availability,
# use_after_free) or to accept any valid-looking value (positive_data_acceptance: a course code
# of the right shape need not exist) do not apply to a catalogue it cannot write to.
EXCLUDED = "ensure_resource_availability,use_after_free,positive_data_acceptance"
# Operations that end the fuzzer's own session: tried in the anonymous run only.
SESSION_ENDING = (
    "delete_me_api_v1_me_delete",
    "log_out_api_v1_sessions_current_delete",
    "change_password_api_v1_me_password_put",
)


async def fuzz(url: str, *extra: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "run",
        str(ROOT / "openapi" / "openapi.json"),
        "--url",
        url,
        "--checks",
        "all",
        "--exclude-checks",
        EXCLUDED,
        "--max-examples",
        EXAMPLES,
        "--seed",
        "2016",
        "--workers",
        "1",
        "--no-shrink",
        "--output-truncate",
        "false",
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=ROOT / "test-artifacts",
    )
    out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_every_operation_holds_against_a_stranger(
    served: str, catalogue: int, server_log: Path
) -> None:
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    code, report = await fuzz(served)

    assert code == 0, report[-20000:]


async def test_every_operation_holds_against_a_logged_in_learner(
    served: str, catalogue: int, client: AsyncClient, mailbox: Mailbox, server_log: Path
) -> None:
    auth = await learner_headers(client, mailbox, "fuzz@yopmail.com")
    assert (await client.post("/api/v1/me/learner", json=FICHE, headers=auth)).status_code == 201
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    excluded = [arg for op in SESSION_ENDING for arg in ("--exclude-operation-id", op)]

    code, report = await fuzz(
        served, "--header", f"Authorization:{auth['Authorization']}", *excluded
    )

    assert code == 0, report[-20000:]


async def test_every_operation_holds_against_staff(
    served: str, catalogue: int, client: AsyncClient, mailbox: Mailbox, server_log: Path
) -> None:
    staff = await staff_headers(client, mailbox, "fuzz.agent@paris.fr")
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    excluded = [arg for op in SESSION_ENDING for arg in ("--exclude-operation-id", op)]

    code, report = await fuzz(
        served, "--header", f"Authorization:{staff['Authorization']}", *excluded
    )

    assert code == 0, report[-20000:]

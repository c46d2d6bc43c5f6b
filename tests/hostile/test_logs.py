"""The served app's log: one JSON line per request with its id, route template, status and
duration; the id in the answer's header and in its problem document; no token and nobody staff
looked for in any line."""

import json
from pathlib import Path
from typing import Any

import httpx


def _size(log: Path) -> int:
    return log.stat().st_size


def _lines_since(log: Path, start: int) -> list[dict[str, Any]]:
    with log.open("rb") as lines:
        lines.seek(start)
        written = lines.read().decode()
    return [json.loads(line) for line in written.splitlines() if line.startswith("{")]


async def test_a_request_s_id_is_in_its_header_its_problem_and_its_log_line(
    served: str, server_log: Path
) -> None:
    start = _size(server_log)
    async with httpx.AsyncClient(base_url=served) as http:
        refused = await http.get("/api/v1/courses/ZZ9999")
        given = await http.get("/api/v1/health", headers={"X-Request-ID": "proxy-1234abcd"})
        forged = await http.get("/api/v1/health", headers={"X-Request-ID": 'x" evil\\n'})

    rid = refused.headers["x-request-id"]
    assert refused.status_code == 404
    assert refused.json()["request_id"] == rid
    # An id set by the proxy in front is kept; one that could forge a log line is not.
    assert given.headers["x-request-id"] == "proxy-1234abcd"
    assert forged.headers["x-request-id"] != 'x" evil\\n'
    requests = [line for line in _lines_since(server_log, start) if line["logger"] == "cma.request"]
    [line] = [line for line in requests if line.get("request_id") == rid]
    assert line["method"] == "GET"
    assert line["route"] == "/api/v1/courses/{code}"  # the template, not the raw path
    assert line["status"] == 404
    assert line["duration_ms"] >= 0
    assert "ZZ9999" not in json.dumps(line)
    assert {line["request_id"] for line in requests} >= {rid, "proxy-1234abcd"}


async def test_the_log_keeps_no_token_and_nobody_staff_looked_for(
    served: str, server_log: Path
) -> None:
    secret = "SeCrEtToKeN0123456789abcdefghijklmnopqrstu"
    start = _size(server_log)
    async with httpx.AsyncClient(base_url=served) as http:
        for target in (
            f"/mot-de-passe/nouveau?token={secret}",
            f"/activation?token={secret}&x=1",
            f"/api/v1/health?access_token={secret}",
            "/api/v1/admin/learners?q=camille.martin%40yopmail.com",
            f"/api/v1/nulle-part/{secret}",
        ):
            await http.get(target)
        # What a mail carries: the token after `#`, which the browser never sends.
        sent = await http.post("/api/v1/password-resets", json={"email": "x@yopmail.com"})
        assert sent.status_code == 202

    lines = _lines_since(server_log, start)
    written = json.dumps(lines, ensure_ascii=False)
    assert secret not in written
    assert "camille" not in written
    routes = [line["route"] for line in lines if line["logger"] == "cma.request"]
    assert "/api/v1/admin/learners" in routes
    assert "/api/v1/health" in routes


def test_mailed_links_carry_their_token_in_the_fragment() -> None:
    from cma.accounts.links import link

    assert link("/activation", "abc").endswith("/activation#token=abc")
    assert "?" not in link("/activation", "abc")

"""No token reaches the server's log: mailed links keep theirs in the fragment, and a token put
in a query string anyway (an old link, a careless client) is masked in the access log."""

from pathlib import Path

import httpx


def _size(log: Path) -> int:
    return log.stat().st_size


def _written_since(log: Path, start: int) -> str:
    with log.open("rb") as lines:
        lines.seek(start)
        return lines.read().decode()


async def test_the_access_log_keeps_no_token(served: str, server_log: Path) -> None:
    secret = "SeCrEtToKeN0123456789abcdefghijklmnopqrstu"
    start = _size(server_log)
    async with httpx.AsyncClient(base_url=served) as http:
        for target in (
            f"/mot-de-passe/nouveau?token={secret}",
            f"/activation?token={secret}&x=1",
            f"/api/v1/health?access_token={secret}",
            "/mot-de-passe/nouveau",
        ):
            # The API refuses a parameter it does not take; the log masks it all the same.
            assert (await http.get(target)).status_code == (422 if "/api/" in target else 200)
        # What a mail carries: the token after `#`, which the browser never sends.
        sent = await http.post("/api/v1/password-resets", json={"email": "x@yopmail.com"})
        assert sent.status_code == 202

    written = _written_since(server_log, start)
    assert "GET /mot-de-passe/nouveau?token=[masqué]" in written
    assert "GET /api/v1/health?access_token=[masqué]" in written
    assert secret not in written


def test_mailed_links_carry_their_token_in_the_fragment() -> None:
    from cma.accounts.links import link

    assert link("/activation", "abc").endswith("/activation#token=abc")
    assert "?" not in link("/activation", "abc")


def test_a_secret_parameter_is_masked_however_its_name_is_written() -> None:
    from cma.core.logs import mask_secrets

    assert mask_secrets("/a?t%6fken=s3cret&page=2") == "/a?t%6fken=[masqué]&page=2"
    assert mask_secrets("/a?x=1;TOKEN=s3cret") == "/a?x=1;TOKEN=[masqué]"
    assert mask_secrets("/a?q=token&ticket=s3cret") == "/a?q=token&ticket=[masqué]"
    assert mask_secrets("/c?suite=%2Fx%3Ftoken%3Ds3cret") == "/c?suite=[masqué]"
    assert mask_secrets("/mot-de-passe/nouveau") == "/mot-de-passe/nouveau"


def test_whom_staff_look_for_stays_out_of_the_access_log() -> None:
    from cma.core.logs import mask_secrets

    assert (
        mask_secrets("/api/v1/admin/learners?q=camille%40yopmail.com")
        == "/api/v1/admin/learners?q=[masqué]"
    )
    assert (
        mask_secrets("/api/v1/admin/link-audit?legacy_account_id=4242&limit=200")
        == "/api/v1/admin/link-audit?legacy_account_id=[masqué]&limit=[masqué]"
    )
    assert mask_secrets("/api/v1/courses?q=anglais") == "/api/v1/courses?q=anglais"

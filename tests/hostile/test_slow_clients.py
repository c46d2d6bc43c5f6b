"""A client that sends its request slowly is cut off, not kept for ever (slowloris)."""

import asyncio
import re
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.core.slow_clients import MAX_BODY_WIRE_BYTES

STEP = 0.25  # seconds between two bytes; the served app allows 2 s for headers, 3 for a body


async def _dribble(served: str, at_once: bytes, slowly: bytes) -> tuple[bytes, float]:
    """Send `at_once`, then `slowly` a byte at a time: what the server answered, and when."""
    parts = urlsplit(served)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    started = time.monotonic()
    writer.write(at_once)
    answer = b""
    try:
        for byte in slowly:
            writer.write(bytes([byte]))
            await writer.drain()
            try:
                answer += await asyncio.wait_for(reader.read(4096), STEP)
            except TimeoutError:
                continue
            if answer or reader.at_eof():
                break
    except ConnectionError:
        pass
    finally:
        writer.close()
    return answer, time.monotonic() - started


async def test_headers_sent_a_byte_at_a_time_are_cut_off(served: str) -> None:
    request = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"

    results = await asyncio.gather(*(_dribble(served, b"", request) for _ in range(20)))

    for answer, took in results:
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"urn:cma:problem:request-timeout" in answer
        assert took < 6, took


async def test_a_body_sent_a_byte_at_a_time_is_cut_off(served: str) -> None:
    body = b'{"email": "' + b"a" * 400 + b'@yopmail.com"}'
    head = (
        b"POST /api/v1/password-resets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )

    answer, took = await _dribble(served, head, body)

    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert took < 7, took


async def test_a_connection_that_sends_nothing_is_closed(served: str) -> None:
    parts = urlsplit(served)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    started = time.monotonic()

    answer = await asyncio.wait_for(reader.read(4096), 10)

    writer.close()
    assert answer.startswith(b"HTTP/1.1 408")
    assert time.monotonic() - started < 5


async def test_a_request_sent_at_a_normal_pace_is_answered(served: str) -> None:
    answer, _ = await _dribble(served, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r", b"\n")

    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


async def _send(served: str, request: bytes) -> bytes:
    """Send `request` at once; everything the server answers until it closes."""
    parts = urlsplit(served)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(request)
        await writer.drain()
    except ConnectionError:
        pass
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


async def test_huge_headers_are_refused_at_once_in_french(served: str) -> None:
    cookie = b"Cookie: " + b"a" * (64 * 1024) + b"\r\n"
    answer = await _send(served, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n" + cookie + b"\r\n")

    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    assert b"urn:cma:problem:headers-too-large" in answer
    assert "En-têtes trop volumineux".encode() in answer
    assert answer.count(b"HTTP/1.1") == 1  # one answer, then the connection is closed


async def test_a_huge_address_is_refused_at_once(served: str) -> None:
    path = b"/api/v1/courses?q=" + b"a" * (16 * 1024)
    answer = await _send(served, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")

    assert answer.startswith(b"HTTP/1.1 414"), answer[:200]
    assert b"urn:cma:problem:url-too-long" in answer


async def test_what_is_not_http_gets_a_problem_document_in_french(served: str) -> None:
    answer = await _send(served, b"HELLO\x00 WORLD\r\n\r\n")

    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"application/problem+json" in answer
    assert "Requête illisible".encode() in answer
    assert b"Invalid HTTP request" not in answer


async def test_headers_of_a_usual_size_are_served(served: str) -> None:
    cookie = b"Cookie: " + b"a" * (8 * 1024) + b"\r\n"
    head = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    answer = await _send(served, head + cookie + b"\r\n")

    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


async def test_a_refused_request_pipelined_after_a_good_one_leaves_it_its_answer(
    served: str,
) -> None:
    good = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
    for refused, status in (
        (b"GET /api/v1/courses?q=" + b"a" * (16 * 1024) + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX: " + b"a" * (64 * 1024) + b"\r\n\r\n", 431),
        (b"GET /api/v1/health HTTP/1.1\r\n\r\n", 400),
    ):
        # Both in one write: the first is answered, then the second is refused.
        answer = await _send(served, good + good + refused)

        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        statuses = re.findall(rb"HTTP/1\.1 ([0-9]{3}) ", answer)
        assert statuses == [b"200", b"200", str(status).encode()], answer[-400:]


async def test_a_request_without_exactly_one_host_is_refused(served: str) -> None:
    for head in (b"", b"Host: a\r\nHost: b\r\n"):
        answer = await _send(served, b"GET /api/v1/health HTTP/1.1\r\n" + head + b"\r\n")

        assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
        assert b"urn:cma:problem:missing-host" in answer
    # HTTP/1.0 has no Host to require.
    answer = await _send(served, b"GET /api/v1/health HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


async def test_a_body_whose_framing_never_ends_is_cut_off(served: str) -> None:
    parts = urlsplit(served)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    # One-byte chunks each carrying a long extension: almost no body, endless bytes.
    chunk = b"1;" + b"e" * 4000 + b"\r\n{\r\n"
    answered = asyncio.ensure_future(reader.read())
    sent = 0
    try:
        while not answered.done() and sent < 8 * 1024 * 1024:
            writer.write(chunk * 16)
            await writer.drain()
            sent += len(chunk) * 16
            await asyncio.sleep(0)
    except ConnectionError:
        pass
    answer = await asyncio.wait_for(answered, 10)
    writer.close()
    assert sent > MAX_BODY_WIRE_BYTES

    # Refused as too large once its framing passed the bound (not left to the body's deadline,
    # a 408): the answer reached the client although it was still sending.
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


async def _first_answer_within(served: str, request: bytes, seconds: float) -> bytes:
    """Send `request` at once and keep the connection open: what came within `seconds`."""
    parts = urlsplit(served)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(request)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), seconds)
    except TimeoutError:
        return b"(no answer)"
    finally:
        writer.close()


async def test_a_body_that_breaks_its_framing_midway_is_refused_at_once(served: str) -> None:
    head = (
        b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    broken = await _first_answer_within(served, head + b"2\r\n{}\r\nZZ\r\n", 2)
    trailers = b"0\r\n" + b"".join(b"X-T%d: %s\r\n" % (i, b"t" * 1000) for i in range(40))
    too_many = await _first_answer_within(served, head + b"2\r\n{}\r\n" + trailers, 2)

    assert broken.startswith(b"HTTP/1.1 400"), broken[:200]
    assert too_many.startswith(b"HTTP/1.1 431"), too_many[:200]


async def test_a_slow_request_pipelined_behind_a_long_one_leaves_it_its_answer(
    served: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # The first request waits on a lock for longer than the headers' deadline (2 s here).
    async with sessionmaker() as session, session.begin():
        await session.execute(text("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE"))
        answering = asyncio.ensure_future(
            _first_answer_within(
                served,
                b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\n\r\n"
                b"GET /api/v1/health HTTP/1.1\r\nHo",
                10,
            )
        )
        await asyncio.sleep(3)
    answer = await answering

    statuses = re.findall(rb"HTTP/1\.1 ([0-9]{3}) ", answer)
    assert statuses == [b"401", b"408"], answer[:300]


async def test_empty_lines_keep_a_connection_no_longer_than_silence(served: str) -> None:
    parts = urlsplit(served)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    closed_after = None
    started = time.monotonic()
    try:
        for _ in range(20):
            await asyncio.sleep(0.5)
            writer.write(b"\r\n")
            await writer.drain()
            if reader.at_eof():
                break
            try:
                await asyncio.wait_for(reader.read(65536), 0.01)
            except TimeoutError:
                pass
            if reader.at_eof():
                break
        closed_after = time.monotonic() - started
    except ConnectionError:
        closed_after = time.monotonic() - started
    finally:
        writer.close()

    assert closed_after is not None
    assert closed_after < 8, "empty lines kept the connection open"


async def test_an_upgrade_header_is_an_ordinary_request(served: str) -> None:
    answer = await _send(
        served,
        b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, close\r\n"
        b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    )

    assert re.findall(rb"HTTP/1\.1 ([0-9]{3}) ", answer) == [b"200", b"200"], answer[:300]


async def test_a_body_refused_before_it_is_sent_closes_its_connection(served: str) -> None:
    answer = await _first_answer_within(
        served,
        b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Expect: 100-continue\r\nContent-Length: 99999999\r\n\r\n",
        3,
    )

    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"connection: close" in answer.lower()


BUNDLE = b"GET /swagger/swagger-ui-bundle.js HTTP/1.1\r\nHost: x\r\n\r\n"


async def _connect_reading_little(served: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(served)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
    return await asyncio.open_connection(sock=sock)


async def test_a_client_that_stops_reading_its_answers_is_cut_off(served: str) -> None:
    reader, writer = await _connect_reading_little(served)
    writer.write(BUNDLE * 20)
    await writer.drain()
    await asyncio.sleep(7)  # the body's deadline is 3 s here: the server gave up meanwhile

    received = 0
    try:
        while chunk := await asyncio.wait_for(reader.read(1 << 20), 5):
            received += len(chunk)
    except (ConnectionError, TimeoutError):
        pass
    writer.close()

    one = len(await _send(served, BUNDLE.replace(b"Host: x", b"Host: x\r\nConnection: close")))
    assert received < 5 * one, "the server kept writing to a client that read nothing"


def _size(path: Path) -> int:
    return path.stat().st_size


def _written_since(path: Path, start: int) -> str:
    with path.open() as log:
        log.seek(start)
        return log.read()


async def test_a_client_leaving_pipelined_requests_makes_no_error(
    served: str, server_log: Path
) -> None:
    start = _size(server_log)
    for _ in range(3):
        _, writer = await _connect_reading_little(served)
        writer.write(BUNDLE * 3)
        await writer.drain()
        await asyncio.sleep(1.5)
        writer.close()
    await asyncio.sleep(1)

    assert "unhandled error" not in _written_since(server_log, start)


async def test_a_slow_reader_gets_its_answer_and_nothing_after_it(served: str) -> None:
    reader, writer = await _connect_reading_little(served)
    writer.write(BUNDLE)
    await writer.drain()
    received = b""
    started = time.monotonic()
    try:
        # About 400 KB a second: longer than the headers' deadline (2 s here) to read it all.
        while chunk := await asyncio.wait_for(reader.read(40_000), 5):
            received += chunk
            await asyncio.sleep(0.1)
    except (ConnectionError, TimeoutError):
        pass
    writer.close()

    assert time.monotonic() - started > 2
    assert re.findall(rb"HTTP/1\.1 ([0-9]{3}) ", received) == [b"200"]
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: ([0-9]+)", head, re.IGNORECASE)[1])  # type: ignore[index]
    assert len(body) == length


async def test_a_request_answered_before_its_body_came_gets_one_answer(served: str) -> None:
    answer = await _first_answer_within(
        served,
        b"POST /api/v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab",
        8,
    )

    assert re.findall(rb"HTTP/1\.1 ([0-9]{3}) ", answer) == [b"405"], answer[-300:]

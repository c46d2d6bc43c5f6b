"""A request must arrive within a bounded time, however slowly its client sends it.

uvicorn waits for ever for the rest of a request's headers, and for a body sent a byte at a
time: a few hundred connections dribbling would hold the server's file descriptors and
memory without costing their sender anything (slowloris). This HTTP protocol (uvicorn's own,
`cma serve --http` points at it) gives every connection a deadline to send its headers, from
its first byte or from the end of the previous request, and then one for the body; past it,
the client hears 408 and the connection is closed. Idle keep-alive connections keep uvicorn's
own, shorter timeout; bytes that start no request (empty lines) do not reset the deadline.
While a request is being answered, the next one's deadline waits: a 408 to a request pipelined
behind a long one is given after the long one's answer. A client that stops reading its answer
has the body's deadline to read again, then its connection is cut.

It also refuses what uvicorn would take: an address or headers too long to be a browser's, an
HTTP/1.1 request without exactly one Host (RFC 9112, 3.2), and a body whose framing (chunk
extensions, tiny chunks, trailers) would have the server read without end. A refused request
that was pipelined behind others is answered after them, in order: they keep their own
answers; one refused in the middle of its body is answered at once.
"""

import json
from asyncio import TimerHandle, Transport
from collections import deque

from uvicorn._types import ASGI3Application
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from cma.core.settings import get_settings

# The largest legitimate body is an information page's Markdown (50,000 characters).
MAX_BODY_BYTES = 256 * 1024

# What a browser or a partner's client sends stays far below these (a few kilobytes); more is
# a client that wants our memory. uvicorn's own protocol keeps any size of headers.
MAX_URL_BYTES = 8 * 1024
MAX_HEADER_BYTES = 32 * 1024
# What a body may take on the wire, framing included: chunked framing costs a few bytes a
# chunk, so a real client's body stays far below four times its size.
MAX_BODY_WIRE_BYTES = 4 * MAX_BODY_BYTES + 64 * 1024
# How long a refused connection still reads (and drops) what its client sends, for the answer
# to reach it before the close.
LINGER_SECONDS = 1.0


def _answer(status: int, reason: str, kind: str, title: str, detail: str) -> bytes:
    """A whole HTTP response carrying a problem document, that closes the connection."""
    body = json.dumps(
        {"type": f"urn:cma:problem:{kind}", "title": title, "status": status, "detail": detail},
        ensure_ascii=False,
    ).encode()
    return (
        f"HTTP/1.1 {status} {reason}\r\n".encode()
        + b"content-type: application/problem+json\r\n"
        + b"content-length: "
        + str(len(body)).encode()
        + b"\r\nconnection: close\r\n\r\n"
        + body
    )


_TOO_SLOW = _answer(
    408,
    "Request Timeout",
    "request-timeout",
    "Requête trop lente",
    "La requête n'est pas arrivée à temps. Veuillez recommencer.",
)
_URL_TOO_LONG = _answer(
    414,
    "URI Too Long",
    "url-too-long",
    "Adresse trop longue",
    f"L'adresse demandée dépasse {MAX_URL_BYTES // 1024} Ko.",
)
_HEADERS_TOO_LARGE = _answer(
    431,
    "Request Header Fields Too Large",
    "headers-too-large",
    "En-têtes trop volumineux",
    f"Les en-têtes de la requête dépassent {MAX_HEADER_BYTES // 1024} Ko.",
)
_NO_HOST = _answer(
    400,
    "Bad Request",
    "missing-host",
    "Requête sans hôte",
    "Une requête HTTP/1.1 doit porter un en-tête Host, et un seul.",
)
_BODY_TOO_LARGE = _answer(
    413,
    "Content Too Large",
    "too-large",
    "Requête trop volumineuse",
    "Le corps de la requête est trop volumineux.",
)
_MALFORMED = _answer(
    400,
    "Bad Request",
    "malformed-request",
    "Requête illisible",
    "La requête n'est pas une requête HTTP valide.",
)


class _Refused(Exception):
    """Stops the parser: the request was answered and its connection closed."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    _deadline: TimerHandle | None = None
    _url_bytes = 0
    _header_bytes = 0
    _body_wire_bytes: int | None = None  # counted from the end of headers to the message's end
    _answered = False
    _refusal: bytes | None = None  # held until the requests pipelined before it are answered
    _running: RequestResponseCycle | None = None  # the request being answered now
    _stalled: TimerHandle | None = None  # set while the client reads none of its answer
    _after_answer = False  # an answer was given and nothing of a next request came yet

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self._after_answer:
            # Nothing of a next request came since the last answer, which the client may
            # still be reading: no 408 to add after it (it would be read as the answer to the
            # next request); the connection closes once that answer is written.
            self.transport.close()
            return
        self._refuse(_TOO_SLOW)

    def _write_and_close(self, response: bytes) -> None:
        """Write `response`, then close without losing it: a client still sending when the
        socket closes would get a reset that can discard the answer, so the server first says
        it will write no more, reads and drops what still comes for a moment, then closes."""
        self.transport.write(response)
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()

    def _refuse(self, response: bytes) -> None:
        """Refuse the request being read, then close: at once, or after the answers to the
        requests pipelined before it if they are still running or waiting."""
        self._disarm()
        if self._answered or self.transport.is_closing():
            return
        self._answered = True
        # Past its headers, the request has a cycle of its own: it is told its client left,
        # and one still waiting behind another never runs.
        refused = self.cycle if self._body_wire_bytes is not None else None
        waiting = False
        if refused is not None:
            refused.disconnected = True
            refused.message_event.set()
            waiting = any(cycle is refused for cycle, _ in self.pipeline)
            self.pipeline = deque(item for item in self.pipeline if item[0] is not refused)
        before = waiting or (
            refused is None
            and ((self.cycle is not None and not self.cycle.response_complete) or self.pipeline)
        )
        if before:
            self._refusal = response
        elif refused is None or not refused.response_started:
            self._write_and_close(response)
        else:
            # It was answered already (the app needed none of its body), or its answer is
            # half written: no second answer, the connection is cut.
            self.transport.close()

    def on_response_complete(self) -> None:
        if self._refusal is not None:
            if not self.pipeline and not self.transport.is_closing():
                self.server_state.total_requests += 1
                self._write_and_close(self._refusal)
                return
        super().on_response_complete()
        idle = self.cycle is None or self.cycle.response_complete
        if idle and self._deadline is None and not self.transport.is_closing():
            self._after_answer = True
            # The next request's headers are due from the end of this one: bytes that start
            # no request (empty lines) keep a connection no longer than silence would.
            self._arm(get_settings().request_header_timeout)

    def data_received(self, data: bytes) -> None:
        if self._answered:
            return  # refused: what still comes is dropped until the connection closes
        if self._body_wire_bytes is not None:
            self._body_wire_bytes += len(data)
            if self._body_wire_bytes > MAX_BODY_WIRE_BYTES:
                self._refuse(_BODY_TOO_LARGE)
                return
        super().data_received(data)

    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)
        if self._url_bytes > MAX_URL_BYTES:
            self._refuse(_URL_TOO_LONG)
            raise _Refused()
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + 4  # ": " and CRLF
        if self._header_bytes > MAX_HEADER_BYTES:
            self._refuse(_HEADERS_TOO_LARGE)
            raise _Refused()
        super().on_header(name, value)

    def send_400_response(self, msg: str) -> None:
        """What uvicorn answers a request it cannot parse, as a problem document in French;
        nothing more once a request was refused above."""
        if not self._answered:
            self._refuse(_MALFORMED)

    def connection_made(self, transport: Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(get_settings().request_header_timeout)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._after_answer = False
        self._url_bytes = self._header_bytes = 0
        self._arm(get_settings().request_header_timeout)

    def on_headers_complete(self) -> None:
        hosts = sum(1 for name, _ in self.headers if name == b"host")
        if self.parser.get_http_version() == "1.1" and hosts != 1:
            self._refuse(_NO_HOST)
            raise _Refused()
        super().on_headers_complete()
        self._body_wire_bytes = 0
        self._arm(get_settings().request_body_timeout)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._body_wire_bytes = None
        self._disarm()

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        self._running = cycle
        super()._start_asgi_task(cycle, app)

    def pause_writing(self) -> None:
        """The client reads slower than its answer is written: it gets the body's deadline to
        read again, or the connection is cut (a client that never reads would otherwise hold
        it, and every request pipelined behind it, for ever)."""
        super().pause_writing()
        if self._stalled is None:
            self._stalled = self.loop.call_later(
                get_settings().request_body_timeout, self.transport.abort
            )

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._stalled is not None:
            self._stalled.cancel()
            self._stalled = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._stalled is not None:
            self._stalled.cancel()
        # uvicorn tells only the last request it read that the client left; the one being
        # answered (pipelined before it), and those waiting, must know too, or they write to
        # a closed transport.
        for cycle in (self._running, *(queued for queued, _ in self.pipeline)):
            if cycle is not None and not cycle.response_complete:
                cycle.disconnected = True
                cycle.message_event.set()
        super().connection_lost(exc)

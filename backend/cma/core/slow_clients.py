"""A request must arrive within a bounded time, however slowly its client sends it.

uvicorn waits for ever for the rest of a request's headers, and for a body sent a byte at a
time: a few hundred connections dribbling would hold the server's file descriptors and
memory without costing their sender anything (slowloris). This HTTP protocol (uvicorn's own,
`cma serve --http` points at it) gives every connection a deadline to send its headers, from
its first byte or from the end of the previous request, and then one for the body; past it,
the client hears 408 and the connection is closed. Idle keep-alive connections keep uvicorn's
own, shorter timeout.
"""

import json
from asyncio import TimerHandle, Transport

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from cma.core.settings import get_settings

# What a browser or a partner's client sends stays far below these (a few kilobytes); more is
# a client that wants our memory. uvicorn's own protocol keeps any size of headers.
MAX_URL_BYTES = 8 * 1024
MAX_HEADER_BYTES = 32 * 1024


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
    _answered = False

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        self._close_with(_TOO_SLOW)

    def _close_with(self, response: bytes) -> None:
        """Answer `response` unless a response was started, and close the connection."""
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete or not self.cycle.response_started:
            self.transport.write(response)
            self._answered = True
        if self.cycle is not None:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.close()

    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)
        if self._url_bytes > MAX_URL_BYTES:
            self._close_with(_URL_TOO_LONG)
            raise _Refused()
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + 4  # ": " and CRLF
        if self._header_bytes > MAX_HEADER_BYTES:
            self._close_with(_HEADERS_TOO_LARGE)
            raise _Refused()
        super().on_header(name, value)

    def send_400_response(self, msg: str) -> None:
        """What uvicorn answers a request it cannot parse, as a problem document in French;
        nothing more once a request was refused above."""
        if not self._answered:
            self._close_with(_MALFORMED)

    def connection_made(self, transport: Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(get_settings().request_header_timeout)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._url_bytes = self._header_bytes = 0
        self._arm(get_settings().request_header_timeout)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(get_settings().request_body_timeout)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

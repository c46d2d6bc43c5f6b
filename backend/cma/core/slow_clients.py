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

_TOO_SLOW = json.dumps(
    {
        "type": "urn:cma:problem:request-timeout",
        "title": "Requête trop lente",
        "status": 408,
        "detail": "La requête n'est pas arrivée à temps. Veuillez recommencer.",
    },
    ensure_ascii=False,
).encode()


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    _deadline: TimerHandle | None = None

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete or not self.cycle.response_started:
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\n"
                b"content-type: application/problem+json\r\n"
                b"content-length: " + str(len(_TOO_SLOW)).encode() + b"\r\n"
                b"connection: close\r\n\r\n" + _TOO_SLOW
            )
        if self.cycle is not None:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.close()

    def connection_made(self, transport: Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(get_settings().request_header_timeout)

    def on_message_begin(self) -> None:
        super().on_message_begin()
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

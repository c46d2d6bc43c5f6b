"""Whether the client of the current request is still there.

A password check is the costliest work a request asks for, and in a rush it waits its turn:
a learner who gave up meanwhile (closed the tab, a client that timed out and asks again)
must not keep the others waiting for work nobody will read. `WatchDeparture` lets code deep
in a request ask, without being handed the request, whether its client has left.
"""

from collections.abc import Awaitable, Callable
from contextvars import ContextVar

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def _never_gone() -> bool:
    return False


_gone: ContextVar[Callable[[], Awaitable[bool]]] = ContextVar("client_gone", default=_never_gone)


async def client_gone() -> bool:
    """True once the current request's client has closed its connection (outside a request,
    or before its body is read: False)."""
    return await _gone.get()()


class WatchDeparture:
    """ASGI middleware: makes `client_gone` answer for each HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_read = False
        left = False

        async def watched() -> Message:
            nonlocal body_read, left
            message = await receive()
            if message["type"] == "http.disconnect":
                left = True
            elif not message.get("more_body", False):
                body_read = True
            return message

        async def gone() -> bool:
            nonlocal left
            # Asking the server for a message while the body is still coming would take a
            # piece of it away from the application: only once it is read.
            if left or not body_read:
                return left
            message: Message = {}
            with anyio.CancelScope() as poll:
                poll.cancel()  # a message already there is returned; none is not waited for
                message = await receive()
            left = message.get("type") == "http.disconnect"
            return left

        token = _gone.set(gone)
        try:
            await self.app(scope, watched, send)
        finally:
            _gone.reset(token)

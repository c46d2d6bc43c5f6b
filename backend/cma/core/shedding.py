"""Logins refused cheaply when the password work cannot keep up.

A login that finds the password queue full is refused (503 `busy`, Retry-After), and in a
rush thousands of learners ask again every second or two: the refusal must cost far less than
the work it saves. Answered through the whole framework (routing, dependencies, validation,
the error handler) it cost 1.2-1.4 ms of CPU here, and the refusals themselves became the
overload; answered in front of it, 0.2 ms.
"""

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from cma.core.problems import Busy, problem_response


class ShedLogins:
    """Holds a login in front of the framework until `admit` lets it in (a short wait for
    room in the password queue), and answers it 503 `busy` there if `admit` refuses.

    The answer is made by the error handlers' own function, as for a `Busy` raised in a route.
    The request's body is read first, unparsed: a connection answered before its body is in
    would read the body as its next request (a client waiting on `Expect: 100-continue` sends
    it only then).
    """

    def __init__(
        self, app: ASGIApp, *, paths: frozenset[str], admit: Callable[[], Awaitable[None]]
    ) -> None:
        self.app = app
        self.paths = paths
        self.admit = admit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in self.paths:
            try:
                await self.admit()
            except Busy:
                if await _drained(receive):
                    await self._refuse(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
        refusal = Busy()
        answer = problem_response(
            Request(scope),
            status=refusal.status,
            code=refusal.code,
            title=refusal.title,
            detail=refusal.detail,
            headers=refusal.headers,
        )
        await answer(scope, receive, send)


async def _drained(receive: Receive) -> bool:
    """Reads the request's body to its end; False if the client left meanwhile."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return False
        if not message.get("more_body", False):
            return True

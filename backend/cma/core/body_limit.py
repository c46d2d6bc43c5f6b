"""A body over the limit is refused as a problem (413), at once when its length is announced,
otherwise as soon as the bytes read go past it."""

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cma.core.logs import request_id
from cma.core.problems import PROBLEM_MEDIA_TYPE, TYPE_PREFIX, BodyTooLarge


class BodyLimit:
    """Refuse a body over the limit, as a problem: at once when its length is announced,
    otherwise as soon as the bytes read go past it (the application is then told the client
    left, and whatever it answers is dropped)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    @staticmethod
    def _problem(scope: Scope) -> JSONResponse:
        return JSONResponse(
            {
                "type": TYPE_PREFIX + BodyTooLarge.code,
                "title": BodyTooLarge.title,
                "status": BodyTooLarge.status,
                "detail": BodyTooLarge.detail,
                "instance": scope["path"],
                "request_id": request_id.get(),
            },
            status_code=BodyTooLarge.status,
            media_type=PROBLEM_MEDIA_TYPE,
            # The body was not read: what the client sends next on this connection would be
            # taken for its rest. It is closed after this answer.
            headers={"Connection": "close"},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._problem(scope)(scope, receive, send)
            return
        read = 0
        refused = False

        async def counted() -> Message:
            nonlocal read, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            read += len(message.get("body", b""))
            if read > self.max_bytes:
                refused = True
                await self._problem(scope)(scope, receive, send)
                return {"type": "http.disconnect"}
            return message

        async def unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, counted, unless_refused)
        except Exception:
            if not refused:  # an error of the application's own: not ours to hide
                raise

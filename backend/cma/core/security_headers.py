"""Headers every response carries, whatever produced it: the content security policy, no
sniffing, no framing, no Referer, HSTS in production, and `no-store` on the API's answers
unless they say otherwise (personal answers never sit in a shared or browser cache)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, content_security_policy: str, hsts: bool) -> None:
        self.app = app
        self.headers = {
            b"content-security-policy": content_security_policy.encode(),
            b"x-content-type-options": b"nosniff",
            # The SPA's own requests need no Referer (the CSRF check is a header), and a page
            # opened from a mailed link must never pass that link on.
            b"referrer-policy": b"no-referrer",
            b"x-frame-options": b"DENY",
        }
        if hsts:
            self.headers[b"strict-transport-security"] = b"max-age=31536000; includeSubDomains"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        api = scope["path"].startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers.items() if k not in present]
                if api and b"cache-control" not in present:
                    # The catalogue's public reads say otherwise themselves.
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

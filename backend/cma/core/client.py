"""Who is calling: network address and user agent, for throttling and session lists."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request


@dataclass(frozen=True)
class Client:
    address: str | None
    user_agent: str | None

    @property
    def key(self) -> str:
        return self.address or "unknown"


async def _client(request: Request) -> Client:  # async: no worker-thread hop (see accounts)
    # Behind a reverse proxy, run uvicorn with --proxy-headers and --forwarded-allow-ips so
    # that request.client is the real caller and not the proxy.
    return Client(
        address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


ClientDep = Annotated[Client, Depends(_client)]

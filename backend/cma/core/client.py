"""Who is calling: network address and user agent, for throttling and session lists."""

import ipaddress
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated

from fastapi import Depends, Request

# One IPv6 subscriber is handed a whole /64 (RFC 6177): counting its addresses one by one would
# let a single machine walk around every per-address limit.
IPV6_SUBSCRIBER_PREFIX = 64


def address_key(address: str | None) -> str:
    """The rate-limit key of a network address: an IPv4 address, or the /64 of an IPv6 one."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an IP (a test client's name, a Unix socket): itself
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_SUBSCRIBER_PREFIX), strict=False))
    return str(ip)


@dataclass(frozen=True)
class Client:
    address: str | None
    user_agent: str | None

    @cached_property
    def key(self) -> str:
        return address_key(self.address)


def ip_or_none(host: str | None) -> str | None:
    """The caller's IP address, or None when what stands for it is none (a proxy that wrote
    `X-Forwarded-For: unknown`, a Unix socket): it is then an unknown client, never a value
    the database would refuse."""
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


async def _client(request: Request) -> Client:  # async: no worker-thread hop (see accounts)
    # Behind a reverse proxy, run uvicorn with --proxy-headers and --forwarded-allow-ips so
    # that request.client is the real caller and not the proxy.
    return Client(
        address=ip_or_none(request.client.host if request.client else None),
        user_agent=request.headers.get("user-agent"),
    )


ClientDep = Annotated[Client, Depends(_client)]

"""Outbound HTTP to addresses that users or operators name (webhooks, federation peers).

A URL is checked twice. When it is saved, ``check_url`` refuses what is plainly internal: a
literal address that is not public (in any spelling the socket layer accepts, ``127.1`` and
``0x7f000001`` included) and the ``localhost`` names. When a request goes out, the client from
``client()`` resolves the host itself, refuses the connection if any resolved address is
loopback, private, link-local, multicast, unspecified or reserved (IPv4 embedded in IPv6
included), and connects to the address it checked, so a second lookup cannot answer
differently. Redirects are not followed. ``allow_networks`` lets tests and closed networks reach
listed internal ranges on purpose.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class EgressRefused(httpx.ConnectError):
    """The target is, or resolves to, an address outbound requests may not reach."""


def networks(allow: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in allow)


def _embedded(address: Address) -> Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: Address, allow: Sequence[Network] = ()) -> bool:
    """True when an outbound request may reach ``address``."""
    if any(address in network for network in allow):
        return True
    inner = _embedded(address)
    if inner is not None:
        return is_public(inner, allow)
    return address.is_global and not address.is_multicast and not address.is_reserved


def literal_address(host: str) -> Address | None:
    """The address a host names literally, in any form ``inet_aton`` takes, else ``None``."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def refusal(url: str, allow: Sequence[Network] = ()) -> str | None:
    """Why ``url`` may not be a target (checked without a lookup), or ``None``."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host:
        return "The URL has no host"
    address = literal_address(host)
    if address is not None:
        if is_public(address, allow):
            return None
        return "The URL names a loopback, private or reserved address"
    if host == "localhost" or host.endswith(".localhost"):
        if is_public(ipaddress.IPv4Address("127.0.0.1"), allow):
            return None
        return "The URL names this host"
    return None


async def resolve(host: str, port: int, allow: Sequence[Network] = ()) -> str:
    """One address of ``host`` that is safe to connect to; refused if any address is not."""
    address = literal_address(host)
    if address is not None:
        found = [address]
    else:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpx.ConnectError(f"cannot resolve {host}") from exc
        found = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not found or not all(is_public(a, allow) for a in found):
        raise EgressRefused(f"{host} resolves to an address outbound requests may not reach")
    return str(found[0])


class _CheckedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to the checked address of each host; no Unix sockets."""

    def __init__(self, allow: Sequence[Network]) -> None:
        self._allow = tuple(allow)
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await resolve(host, port, self._allow)
        return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise EgressRefused("Unix sockets are not an outbound target")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class CheckedTransport(httpx.AsyncHTTPTransport):
    """``httpx``'s transport on a connection pool whose connections go through the check."""

    def __init__(self, allow: Sequence[Network]) -> None:
        super().__init__()
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=_CheckedBackend(allow)
        )


def client(*, timeout: float, allow: Sequence[Network] = ()) -> httpx.AsyncClient:
    """An HTTP client for user- or operator-named targets: checked, no redirects, no proxies."""
    return httpx.AsyncClient(
        transport=CheckedTransport(allow),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
    )

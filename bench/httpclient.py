"""HTTP clients for the load driver.

The default client is a lean HTTP/1.1 keep-alive client on asyncio streams. On a 2-core machine
``httpx.AsyncClient`` tops out at 1,000-2,000 requests/s against a minimal endpoint that serves
~11,000, so with httpx every fast workload measures the client and its ratio reads ~1.
httpx is kept as ``--client httpx`` to cross-check status handling, and for setup calls.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from bench.config import LOOPBACK, BenchError, ClientKind
from bench.registry import Operation, OperationFactory


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    def __post_init__(self) -> None:
        if self.host != LOOPBACK:
            raise BenchError(f"refusing to load {self.host}: the harness only talks to loopback")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    expect: int = 200

    def encode(self, endpoint: Endpoint) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {endpoint.host}:{endpoint.port}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.body or self.method in {"POST", "PUT", "PATCH"}:
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


# A fixed request, or a function giving the next one (e.g. a fresh Idempotency-Key each time).
RequestSource = HttpRequest | Callable[[], HttpRequest]


class UnexpectedStatus(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}: {body[:200].decode('utf-8', 'replace')}")
        self.status = status


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        parts.append((await reader.readexactly(size + 2))[:-2])


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Read one response: ``(status, body, connection reusable)``."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length: int | None = None
    chunked = False
    keep_alive = True
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value
        elif name == b"connection":
            keep_alive = value != b"close"
    if status in (204, 304) or 100 <= status < 200:
        return status, b"", keep_alive
    if chunked:
        return status, await _read_chunked(reader), keep_alive
    if length is not None:
        return status, await reader.readexactly(length), keep_alive
    return status, await reader.read(), False


class RawHttpOperation:
    """One keep-alive connection sending requests back to back."""

    def __init__(self, endpoint: Endpoint, source: RequestSource) -> None:
        self._endpoint = endpoint
        self._source = source
        # A fixed request is encoded once, so the loop measures the server, not the encoding.
        self._fixed = (
            (source.encode(endpoint), source.expect) if isinstance(source, HttpRequest) else None
        )
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(
            self._endpoint.host, self._endpoint.port
        )

    async def __call__(self) -> None:
        if self._fixed is not None:
            data, expect = self._fixed
        else:
            assert callable(self._source)
            request = self._source()
            data, expect = request.encode(self._endpoint), request.expect
        if self._reader is None or self._writer is None:
            await self.connect()
        assert self._reader is not None and self._writer is not None
        try:
            self._writer.write(data)
            status, body, keep_alive = await read_response(self._reader)
        except BaseException:
            # The stream may be half-way through a response: never reuse it.
            self._drop()
            raise
        if not keep_alive:
            self._drop()
        if status != expect:
            raise UnexpectedStatus(status, body)

    def _drop(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def aclose(self) -> None:
        writer = self._writer
        self._drop()
        if writer is not None:
            with contextlib.suppress(OSError):
                await writer.wait_closed()


class HttpxOperation:
    """The same loop through ``httpx.AsyncClient`` with one connection."""

    def __init__(self, endpoint: Endpoint, source: RequestSource) -> None:
        self._source = source
        self._client = loopback_client(endpoint, connections=1)

    async def __call__(self) -> None:
        request = self._source if isinstance(self._source, HttpRequest) else self._source()
        response = await self._client.request(
            request.method, request.path, headers=dict(request.headers), content=request.body
        )
        if response.status_code != request.expect:
            raise UnexpectedStatus(response.status_code, response.content)

    async def aclose(self) -> None:
        await self._client.aclose()


def loopback_client(endpoint: Endpoint, *, connections: int = 1) -> httpx.AsyncClient:
    # trust_env=False: a proxy configured in the environment must not sit between the
    # harness and a loopback server.
    return httpx.AsyncClient(
        base_url=endpoint.url,
        trust_env=False,
        timeout=30.0,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


def http_operations(
    endpoint: Endpoint, source: RequestSource, client: ClientKind
) -> OperationFactory:
    """A factory of per-client connections to ``endpoint`` sending ``source``."""

    async def open_one() -> Operation:
        if client == "httpx":
            return HttpxOperation(endpoint, source)
        operation = RawHttpOperation(endpoint, source)
        await operation.connect()  # connect now, so that no measured latency includes it
        return operation

    return open_one

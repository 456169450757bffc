"""Pure ASGI middleware: request id, body-size limit, access log and request metrics."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PROBLEM_BASE, PROBLEM_JSON, PayloadTooLarge
from app.core.logging import request_id_var
from app.core.metrics import Metrics

logger = logging.getLogger("techx.access")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _request_id(incoming: str | None) -> str:
    """The caller's id when it is short printable ASCII (it is echoed back), else a new one."""
    if incoming and len(incoming) <= 128 and incoming.isascii() and incoming.isprintable():
        return incoming
    # 128 random bits, not secret: the interpreter's generator (reseeded in a forked process)
    # rather than the system's, whose call lets go of the interpreter, which the event loop's
    # thread then waits to take back from the database threads.
    return f"{random.getrandbits(128):032x}"


async def _read_body(receive: Receive, limit: int) -> list[Message] | None:
    """The request's body messages, or ``None`` once more than ``limit`` bytes arrive."""
    messages: list[Message] = []
    received = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        received += len(message.get("body", b""))
        if received > limit:
            return None
        if not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """Hand the app the buffered body, then the live channel (to notice a disconnect)."""
    pending = list(messages)

    async def wrapper() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return wrapper


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        max_body_bytes: int,
        upload_limits: Sequence[tuple[str, int]] = (),
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        # (path suffix, limit): upload routes accept more than the JSON routes.
        self.upload_limits = tuple(upload_limits)

    def _limit(self, path: str) -> int:
        for suffix, limit in self.upload_limits:
            if path.endswith(suffix):
                return limit
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(_header(scope, b"x-request-id"))
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            limit = self._limit(scope["path"])
            declared = _header(scope, b"content-length")
            if declared is None and _header(scope, b"transfer-encoding") is None:
                # HTTP/1.1: a request with neither header has no body (RFC 9112, 6.3).
                await self.app(scope, receive, send_wrapper)
                return
            if declared is not None and declared.isdigit() and int(declared) > limit:
                await self._too_large(scope, send_wrapper, limit)
                return
            # Read the body here, whether or not its length was declared: a limit hit while the
            # app is already parsing would surface as the framework's 400, not as our 413.
            buffered = await _read_body(receive, limit)
            if buffered is None:
                await self._too_large(scope, send_wrapper, limit)
            else:
                await self.app(scope, _replay(buffered, receive), send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe_request(scope["method"], template, status, elapsed)
            if logger.isEnabledFor(logging.INFO):
                logger.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            request_id_var.reset(token)

    async def _too_large(self, scope: Scope, send: Send, limit: int) -> None:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + PayloadTooLarge.slug,
            "title": PayloadTooLarge.title,
            "status": 413,
            "detail": f"Request body exceeds {limit} bytes",
            "instance": scope["path"],
        }
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

"""The route class every router uses: media-type checks and idempotent-response capture."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from fastapi import Request, Response
from fastapi.params import Form
from fastapi.routing import APIRoute

from app.core.errors import UnsupportedMediaType

JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class PendingIdempotentRequest(Protocol):
    async def complete(self, response: Response) -> None: ...


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _accepts(allowed: tuple[str, ...], media_type: str) -> bool:
    if media_type in allowed:
        return True
    # Structured-syntax JSON (application/merge-patch+json, application/ld+json, ...).
    return (
        "application/json" in allowed
        and media_type.startswith("application/")
        and (media_type.endswith("+json"))
    )


class TechxRoute(APIRoute):
    """Refuses bodies of the wrong media type with 415, and hands a successful response to a
    pending ``Idempotency-Key`` record before the request's transaction commits."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        body_params = self.dependant.body_params
        if not body_params:
            allowed: tuple[str, ...] = ()
        elif any(isinstance(p.field_info, Form) for p in body_params):
            allowed = FORM_TYPES
        else:
            allowed = JSON_TYPES

        async def route_handler(request: Request) -> Response:
            if allowed and request.method in {"POST", "PUT", "PATCH"}:
                media_type = _media_type(request)
                has_body = request.headers.get("content-length", "0") != "0" or (
                    "transfer-encoding" in request.headers
                )
                if (has_body or media_type) and not _accepts(allowed, media_type):
                    raise UnsupportedMediaType(
                        f"Content-Type {media_type or '(none)'} is not accepted here; "
                        f"send {' or '.join(allowed)}"
                    )
            response = await handler(request)
            pending: PendingIdempotentRequest | None = getattr(request.state, "idempotency", None)
            if pending is not None:
                await pending.complete(response)
            return response

        return route_handler

"""The route class every router uses: media-type checks, unknown query parameters refused, and
idempotent-response capture."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.params import Form
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from pydantic import BaseModel
from starlette.routing import Match
from starlette.types import Scope

from app.core.direct import direct_handler
from app.core.errors import UnknownQueryParameter, UnsupportedMediaType, problem_responses

JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Methods whose query string is checked against the operation's declared parameters.
STRICT_QUERY_METHODS = frozenset({"GET", "HEAD"})
# An operation that reads its query string itself (OAI-PMH answers its own badArgument errors)
# sets this in ``openapi_extra``.
OPEN_QUERY = "x-open-query"


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


def _names(field: Any) -> set[str]:
    """The query names one declared parameter accepts: its alias, or a query model's fields."""
    annotation = getattr(field.field_info, "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {info.alias or name for name, info in annotation.model_fields.items()}
    return {field.alias}


def declared_query(dependant: Dependant) -> frozenset[str]:
    """Every query parameter the operation and its dependencies declare."""
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        for field in current.query_params:
            names |= _names(field)
        pending.extend(current.dependencies)
    return frozenset(names)


def check_query(request: Request, declared: frozenset[str]) -> None:
    """422 naming the query parameters the operation does not declare."""
    unknown = sorted({name for name in request.query_params if name not in declared})
    if unknown:
        errors = [
            {"loc": ["query", name], "msg": "unknown query parameter", "type": "extra_forbidden"}
            for name in unknown
        ]
        allowed = ", ".join(sorted(declared)) or "none"
        raise UnknownQueryParameter(
            f"Unknown query parameter {', '.join(unknown)}; this operation accepts: {allowed}",
            extra={"errors": errors},
        )


BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Any route may find the database busy or down; any request body may be unreadable, too large,
# of the wrong type or invalid.
EVERY_ROUTE = (503,)
BODY_ROUTES = (400, 413, 415, 422)


def _reads_bearer(dependant: Dependant) -> bool:
    if isinstance(dependant.call, HTTPBearer):
        return True
    return any(_reads_bearer(sub) for sub in dependant.dependencies)


def _depends(dependant: Dependant, marker: str) -> bool:
    """Whether a dependency marked with ``marker`` (an attribute set to true) is in the tree."""
    if getattr(dependant.call, marker, False):
        return True
    return any(_depends(sub, marker) for sub in dependant.dependencies)


class TechxRoute(APIRoute):
    """Refuses bodies of the wrong media type with 415 and, on GET, query parameters the
    operation does not declare with 422; hands a successful response to a pending
    ``Idempotency-Key`` record before the request's transaction commits.

    It documents the errors every route can answer, so that the OpenAPI document lists each
    status a route may return."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = {m.upper() for m in kwargs.get("methods") or ()}
        open_query = (kwargs.get("openapi_extra") or {}).get(OPEN_QUERY)
        self.strict_query = bool(methods & STRICT_QUERY_METHODS) and not open_query
        statuses = EVERY_ROUTE + (BODY_ROUTES if methods & BODY_METHODS else ())
        if self.strict_query:
            statuses += (422,)
        responses = dict(kwargs.get("responses") or {})
        for status, doc in problem_responses(*statuses).items():
            responses.setdefault(status, doc)
        kwargs["responses"] = responses
        super().__init__(path, endpoint, **kwargs)
        implied = []
        if 422 not in responses and (get_flat_params(self.dependant) or self.body_field):
            implied.append(422)  # FastAPI would document its own JSON 422; ours is problem+json
        if 401 not in responses and _reads_bearer(self.dependant):
            implied.append(401)  # a route open to anyone still refuses a bad token
        if 403 not in responses and _depends(self.dependant, "refuses_client_tokens"):
            implied.append(403)  # a user-only route refuses an exchange client's token
        if implied:
            kwargs["responses"] = {**responses, **problem_responses(*implied)}
            super().__init__(path, endpoint, **kwargs)
        # The path up to its first parameter: a request path that does not begin with it
        # cannot match (``matches``).
        self.literal_prefix = self.path.split("{", 1)[0]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """The router tries its routes one by one, in order, and most requests are for another
        route: a path that does not begin with this route's literal prefix is answered at once,
        before the framework's full test (route context, regular expression). Under a root path
        the full test decides."""
        if not scope["path"].startswith(self.literal_prefix) and not scope.get("root_path"):
            return Match.NONE, {}
        return super().matches(scope)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        direct = direct_handler(self.dependant, self.dependency_overrides_provider)
        declared = declared_query(self.dependant) if self.strict_query else None
        body_params = self.dependant.body_params
        if not body_params:
            allowed: tuple[str, ...] = ()
        elif any(isinstance(p.field_info, Form) for p in body_params):
            allowed = FORM_TYPES
        else:
            allowed = JSON_TYPES

        async def route_handler(request: Request) -> Response:
            if declared is not None and request.scope["query_string"]:
                check_query(request, declared)
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
            response = None if direct is None else await direct(request)
            if response is None:
                response = await handler(request)
            pending: PendingIdempotentRequest | None = getattr(request.state, "idempotency", None)
            if pending is not None:
                await pending.complete(response)
            return response

        return route_handler

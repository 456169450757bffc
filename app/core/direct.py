"""Operations called directly: their arguments found without FastAPI's dependency solver.

On every request FastAPI walks an operation's dependency tree anew: it classifies each callable,
builds cache keys, and validates every parameter through pydantic, even a path segment that is
a plain UUID. On a hot read of one row that walk costs more than the read. An operation whose
tree holds only what such a read needs is planned here once, when its route is built:

- the ``Request``;
- path parameters typed ``uuid.UUID``, ``str`` or ``int``, without constraints;
- optional string headers (``str | None = None``), without constraints;
- ``async`` dependencies (functions, or objects such as a security scheme with an ``async``
  ``__call__``) made of the same, without OAuth2 scopes; the endpoint returns a ``Response``
  itself, so there is nothing left for FastAPI to serialise.

A request is answered through its plan only when every value is in the plain form the plan
converts (a UUID in its canonical text, an integer in ASCII digits); any other value, and any
request while dependency overrides or FastAPI's telemetry are active, goes to FastAPI's own
handler, so answers and errors are the same either way. Values are converted before any
dependency runs, so nothing runs twice.
"""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.telemetry import get_telemetry_data

Converter = Callable[[str], Any]
Handler = Callable[[Request], Awaitable[Response | None]]

_CANONICAL_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z"
)


class _NotPlain(ValueError):
    """A value FastAPI should validate (and perhaps refuse) itself."""


def _uuid(raw: str) -> uuid.UUID:
    if _CANONICAL_UUID.match(raw) is None:
        raise _NotPlain(raw)
    return uuid.UUID(raw)


def _int(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise _NotPlain(raw)
    return int(raw)


def _str(raw: str) -> str:
    return raw


_CONVERTERS: dict[Any, Converter] = {uuid.UUID: _uuid, int: _int, str: _str}


def _unconstrained(field: Any) -> bool:
    info = field.field_info
    return not info.metadata and info.validation_alias is None


def _optional_str(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, UnionType) and set(get_args(annotation)) == {
        str,
        NoneType,
    }


def _async(call: Any) -> bool:
    if inspect.isclass(call):
        return False
    if inspect.iscoroutinefunction(call):
        return True
    method = getattr(call, "__call__", None)  # noqa: B004 - a security scheme instance
    return inspect.iscoroutinefunction(method)


@dataclass(frozen=True)
class _Plan:
    call: Callable[..., Awaitable[Any]]
    request: str | None
    path: tuple[tuple[str, str], ...]  # (argument, path parameter)
    headers: tuple[tuple[str, str], ...]  # (argument, header name)
    # (argument or None, plan, whether its value may come from the request's cache)
    dependencies: tuple[tuple[str | None, _Plan, bool], ...]


def _plan(dependant: Dependant, converters: dict[str, Converter]) -> _Plan | None:
    """The plan of one dependant, or ``None`` if it needs FastAPI's solver."""
    call = dependant.call
    if (
        call is None
        or not _async(call)
        or dependant.query_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.websocket_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or dependant.own_oauth_scopes
        or dependant.concurrency is not None
        or (dependant.request_param_name and dependant.http_connection_param_name)
    ):
        return None
    path = []
    for field in dependant.path_params:
        converter = _CONVERTERS.get(field.field_info.annotation)
        if converter is None or not _unconstrained(field):
            return None
        if converters.setdefault(field.alias, converter) is not converter:
            return None  # one segment read as two types
        path.append((field.name, field.alias))
    headers = []
    for field in dependant.header_params:
        info = field.field_info
        if not (_optional_str(info.annotation) and info.default is None and _unconstrained(field)):
            return None
        headers.append((field.name, field.alias.lower()))
    dependencies = []
    for sub in dependant.dependencies:
        planned = _plan(sub, converters)
        if planned is None:
            return None
        dependencies.append((sub.name, planned, sub.use_cache))
    return _Plan(
        call=call,
        request=dependant.request_param_name or dependant.http_connection_param_name,
        path=tuple(path),
        headers=tuple(headers),
        dependencies=tuple(dependencies),
    )


def _returns_response(call: Callable[..., Any]) -> bool:
    try:
        returned = get_type_hints(call).get("return")
    except (NameError, TypeError):
        return False
    return inspect.isclass(returned) and issubclass(returned, Response)


async def _solve(
    plan: _Plan, request: Request, path: dict[str, Any], cache: dict[int, Any]
) -> dict[str, Any]:
    """The arguments of ``plan.call``, its dependencies called in FastAPI's order."""
    values: dict[str, Any] = {}
    for name, sub, use_cache in plan.dependencies:
        key = id(sub.call)
        if use_cache and key in cache:
            solved = cache[key]
        else:
            solved = await sub.call(**await _solve(sub, request, path, cache))
            cache.setdefault(key, solved)
        if name is not None:
            values[name] = solved
    for name, parameter in plan.path:
        values[name] = path[parameter]
    headers = request.headers
    for name, header in plan.headers:
        values[name] = headers.get(header)
    if plan.request is not None:
        values[plan.request] = request
    return values


def direct_handler(dependant: Dependant, overrides: Any) -> Handler | None:
    """A handler answering with the endpoint's own ``Response``, or ``None`` for a request it
    leaves to FastAPI; ``None`` instead of a handler when the operation cannot be planned."""
    converters: dict[str, Converter] = {}
    plan = _plan(dependant, converters)
    if plan is None or not _returns_response(plan.call):
        return None
    segments = tuple(converters.items())

    async def handle(request: Request) -> Response | None:
        if get_telemetry_data() is not None or (
            overrides is not None and overrides.dependency_overrides
        ):
            return None
        raw = request.path_params
        try:
            path = {name: convert(raw[name]) for name, convert in segments}
        except (_NotPlain, KeyError, ValueError):
            return None
        response = await plan.call(**await _solve(plan, request, path, {}))
        if not isinstance(response, Response):
            raise TypeError(f"{plan.call!r} is annotated to return a Response")
        return response

    return handle

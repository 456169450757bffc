"""Typed domain errors and their RFC 9457 ``application/problem+json`` rendering."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.core import problem_language
from app.core.problem_language import Wording

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "/problems/"

logger = logging.getLogger("techx.errors")


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Path to the offending field")
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=["/problems/not-found"])
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class TechxError(Exception):
    """Base of every error a service may raise; rendered as problem+json."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"
    # Keep the request's database writes although the request fails (e.g. a failed-login record).
    commit: bool = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        detail_vi: str | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.detail_vi = detail_vi
        self.headers = headers or {}
        self.extra = extra or {}


class BadRequest(TechxError):
    pass


class InvalidCursor(TechxError):
    slug, title = "invalid-cursor", "Invalid cursor"


class Unauthorized(TechxError):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kw)


class Forbidden(TechxError):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(TechxError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(TechxError):
    status, slug, title = 409, "conflict", "Conflict"


class ConcurrentUpdate(Conflict):
    slug, title = "concurrent-update", "Changed by another request"


class Gone(TechxError):
    status, slug, title = 410, "gone", "Gone"


class PreconditionFailed(TechxError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class PayloadTooLarge(TechxError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(TechxError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class Unprocessable(TechxError):
    status, slug, title = 422, "unprocessable", "Unprocessable content"


class RequestInvalid(Unprocessable):
    """The request's path, query, headers or body do not match the route's schema."""

    slug, title = "validation-error", "Request validation failed"


class UnknownQueryParameter(Unprocessable):
    """The query string names a parameter the operation does not take (a typo, or a filter it
    does not have): refused rather than ignored, so a filter never silently does nothing."""

    slug, title = "unknown-query-parameter", "Unknown query parameter"


class InvalidData(Unprocessable):
    """A value passed validation but the database refuses it (too long, a NUL character...)."""

    slug, title = "invalid-data", "Value cannot be stored"


class PreconditionRequired(TechxError):
    status, slug, title = 428, "precondition-required", "Precondition required"


class TooManyRequests(TechxError):
    status, slug, title = 429, "too-many-requests", "Too many requests"


class MalformedBody(BadRequest):
    slug, title = "malformed-body", "Malformed request body"


class MethodNotAllowed(TechxError):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class ServiceUnavailable(TechxError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


class DatabaseBusy(ServiceUnavailable):
    slug, title = "database-busy", "The database is busy"

    def __init__(self, detail: str = "Too many writes at once; retry shortly") -> None:
        super().__init__(detail, headers={"Retry-After": "1"})


class DatabaseUnavailable(ServiceUnavailable):
    slug, title = "database-unavailable", "The database cannot be reached"

    def __init__(self, detail: str = "The database cannot be reached; retry shortly") -> None:
        super().__init__(detail, headers={"Retry-After": "5"})


class InternalError(TechxError):
    status, slug, title = 500, "internal-error", "Internal server error"


# SQLSTATE class 22, "data exception": the value, not the server, is at fault.
DATA_EXCEPTION_CLASS = "22"
ALLOW_CANDIDATES = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def problem_response(
    status: int,
    *,
    slug: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    language: str = problem_language.DEFAULT,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug if slug else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    headers = {**(headers or {}), "Content-Language": language, "Vary": "Accept-Language"}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(
        jsonable_encoder(body), status_code=status, headers=headers, media_type=PROBLEM_JSON
    )


def _field_errors(exc: RequestValidationError, wording: Wording) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        loc = [part for part in err.get("loc", ()) if isinstance(part, str | int)]
        msg = str(err.get("msg", ""))
        if wording.vi and err.get("type") == "vocabulary":
            msg = problem_language.vocabulary_message(err.get("ctx") or {})
        errors.append({"loc": loc, "msg": msg, "type": str(err.get("type"))})
    return errors


def _slug_chain(exc: TechxError) -> list[str]:
    return [cls.slug for cls in type(exc).__mro__ if issubclass(cls, TechxError)]


async def _techx_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TechxError)
    wording = Wording(request)
    title, detail = wording.text(exc.status, _slug_chain(exc), exc.title, exc.detail)
    return problem_response(
        exc.status,
        slug=exc.slug,
        title=title,
        detail=(exc.detail_vi or detail) if wording.vi else detail,
        instance=request.url.path,
        headers=exc.headers,
        language=wording.language,
        **exc.extra,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    wording = Wording(request)
    errors = _field_errors(exc, wording)
    fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors[:10])
    title, _ = wording.text(422, [RequestInvalid.slug], RequestInvalid.title, None)
    lead = "Các trường không hợp lệ" if wording.vi else "Invalid fields"
    return problem_response(
        RequestInvalid.status,
        slug=RequestInvalid.slug,
        title=title,
        detail=f"{lead}: {fields}" if fields else None,
        instance=request.url.path,
        language=wording.language,
        errors=errors,
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path; the router names only the first route's."""
    routes = request.app.router.routes
    return [
        method
        for method in ALLOW_CANDIDATES
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]


# Errors raised by the framework itself, rendered with the project's problem types.
HTTP_PROBLEMS: dict[int, type[TechxError]] = {
    400: MalformedBody,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if detail == HTTPStatus(exc.status_code).phrase:
        detail = None
    headers = dict(exc.headers or {})
    allowed = _allowed_methods(request) if exc.status_code == 405 else []
    if allowed:
        headers["Allow"] = ", ".join(allowed)
    wording = Wording(request)
    kind = HTTP_PROBLEMS.get(exc.status_code)
    slugs = [kind.slug] if kind else []
    title, detail = wording.text(exc.status_code, slugs, kind.title if kind else None, detail)
    return problem_response(
        exc.status_code,
        slug=kind.slug if kind else None,
        title=title,
        detail=detail,
        instance=request.url.path,
        headers=headers,
        language=wording.language,
    )


# SQLSTATE classes of a lost server: 08 connection exception, 57 operator intervention
# (shutting down, starting up, cannot connect now).
UNAVAILABLE_CLASSES = ("08", "57")
# Raised while connecting, before the driver's errors are wrapped as DBAPI errors.
CONNECT_ERRORS: tuple[type[Exception], ...] = (
    ConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
)


def _server_lost(exc: DBAPIError) -> bool:
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")
    return exc.connection_invalidated or sqlstate[:2] in UNAVAILABLE_CLASSES


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning(
        "database unavailable", extra={"path": request.url.path, "error": type(exc).__name__}
    )
    return await _techx_error(request, DatabaseUnavailable())


def _lock_timeout(exc: DBAPIError) -> bool:
    """SQLite's busy timeout ran out: another writer held the database for too long."""
    message = str(exc.orig).lower()
    return isinstance(exc, OperationalError) and ("locked" in message or "busy" in message)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if _lock_timeout(exc):
        logger.warning("database lock timeout", extra={"path": request.url.path})
        return await _techx_error(request, DatabaseBusy())
    if _server_lost(exc):
        return await _database_unavailable(request, exc)
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if not str(sqlstate or "").startswith(DATA_EXCEPTION_CLASS):
        return await _unhandled(request, exc)
    logger.info("database refused a value", extra={"path": request.url.path, "sqlstate": sqlstate})
    return await _techx_error(
        request, InvalidData("A value is too long or holds characters that cannot be stored")
    )


async def _stale_row(request: Request, exc: Exception) -> JSONResponse:
    # Two requests updated the same row at once (optimistic locking): the later one loses.
    detail = "Another request changed this resource at the same time; read it and retry"
    return await _techx_error(request, ConcurrentUpdate(detail))


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", extra={"path": request.url.path})
    wording = Wording(request)
    title, _ = wording.text(500, [InternalError.slug], InternalError.title, None)
    return problem_response(
        InternalError.status, slug=InternalError.slug, title=title, language=wording.language
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TechxError, _techx_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_error)
    for connect_error in CONNECT_ERRORS:
        app.add_exception_handler(connect_error, _database_unavailable)
    app.add_exception_handler(StaleDataError, _stale_row)
    app.add_exception_handler(Exception, _unhandled)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting problem+json errors for a route."""
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {}},
        }
        for status in statuses
    }

"""Liveness, readiness and the problem-type catalogue (public), and the metrics (guarded)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from app.api.deps import ContextDep, bearer
from app.core.errors import Forbidden, NotFound, TechxError, Unauthorized, problem_responses
from app.core.metrics import CONTENT_TYPE
from app.core.migrations import current_revision, head_revision
from app.core.problem_language import Wording
from app.core.routing import TechxRoute
from app.services.accounts import tokens
from app.services.jobs import queue

router = APIRouter(tags=["operations"], route_class=TechxRoute)


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: bool
    migration: str | None
    expected_migration: str | None


class ProblemType(BaseModel):
    type: str
    title: str
    status: int
    detail: str | None = Field(
        default=None, description="What the problem means (with `Accept-Language: vi`)"
    )


@router.get("/healthz", operation_id="healthz")
async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get(
    "/readyz",
    operation_id="readyz",
    responses={503: {"model": Readiness, "description": "Not ready"}},
)
async def readyz(ctx: ContextDep) -> Response:
    """The database answers and its schema is at the migration head."""
    expected = head_revision()
    current: str | None = None
    reachable = False
    try:
        async with ctx.engine.connect() as conn:
            current = await current_revision(conn)
            reachable = True
    except Exception:
        reachable = False
    ready = reachable and current == expected
    body = Readiness(
        status="ready" if ready else "not ready",
        database=reachable,
        migration=current,
        expected_migration=expected,
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


async def may_scrape(
    ctx: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """The metrics token, an operator's access token, or ``TECHX_METRICS_OPEN=true``."""
    settings = ctx.settings.metrics
    if settings.open:
        return
    if credentials is None:
        raise Unauthorized("Send the metrics token or an operator's access token")
    sent = credentials.credentials.encode()
    if settings.token and hmac.compare_digest(sent, settings.token.encode()):
        return
    principal = await tokens.authenticate(
        ctx.sessionmaker, credentials.credentials, settings=ctx.settings, keyring=ctx.keyring
    )
    if "admin" not in principal.roles:
        raise Forbidden("Metrics are for operators")


@router.get(
    "/metrics",
    operation_id="metrics",
    response_class=Response,
    dependencies=[Depends(may_scrape)],
    responses={
        200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"},
        **problem_responses(401, 403),
    },
)
async def metrics(ctx: ContextDep) -> Response:
    """Prometheus metrics: requests and latency per route, jobs by status."""
    try:
        async with ctx.sessionmaker() as session:
            ctx.metrics.set_job_depth(await queue.depth(session))
    except Exception:  # noqa: S110 - a scrape must not fail because the database is down
        pass
    return Response(ctx.metrics.render(), media_type=CONTENT_TYPE)


def _problem_types() -> dict[str, type[TechxError]]:
    found: dict[str, type[TechxError]] = {}
    pending: list[type[TechxError]] = [TechxError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        found.setdefault(cls.slug, cls)
    return found


@router.get(
    "/problems/{slug}",
    operation_id="problem_type",
    response_model_exclude_none=True,
    responses=problem_responses(404),
)
async def problem_type(slug: str, request: Request, response: Response) -> ProblemType:
    """What a problem ``type`` in an error response means; in Vietnamese for
    `Accept-Language: vi`."""
    cls = _problem_types().get(slug)
    if cls is None:
        raise NotFound(f"No problem type {slug}")
    wording = Wording(request)
    chain = [c.slug for c in cls.__mro__ if issubclass(c, TechxError)]
    title, detail = wording.text(cls.status, chain, cls.title, None)
    response.headers["Content-Language"] = wording.language
    response.headers["Vary"] = "Accept-Language"
    return ProblemType(
        type=f"/problems/{slug}", title=title or cls.title, status=cls.status, detail=detail
    )

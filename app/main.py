"""Application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.telemetry import TelemetryConfig

from app import handlers  # noqa: F401  (registers the job handlers the worker runs)
from app.api import (
    access,
    admin,
    attachments,
    audit,
    auth,
    coauthors,
    contact_requests,
    dashboard,
    deals,
    discovery,
    exchanges,
    health,
    idempotency,
    initiatives,
    interop,
    ip_feeds,
    ip_records,
    ip_stats,
    listings,
    notifications,
    open_data,
    organisations,
    profiles,
    receipts,
    reports,
    reviews,
    standard,
    sync,
    users,
    vocabularies,
    watchlists,
    webhooks,
)
from app.context import AppContext
from app.core import heap, lookups
from app.core.config import Settings, get_settings
from app.core.errors import install_error_handlers
from app.core.logging import configure_logging
from app.core.middleware import RequestContextMiddleware
from app.services.accounts import users as user_service
from app.services.jobs.worker import Worker
from app.web import pages

logger = logging.getLogger("techx")

DESCRIPTION = """
TechX runs Vietnam's Initiative Portal (Cổng Sáng kiến) and Science & Technology Exchange
(Sàn giao dịch KH&CN): one protocol for the central exchange and every local exchange.

Errors are RFC 9457 `application/problem+json`. Creating POSTs honour `Idempotency-Key`;
updates need `If-Match` with the `ETag` you read. Lists use cursor pagination.
"""


async def _bootstrap_admin(ctx: AppContext) -> None:
    boot = ctx.settings.bootstrap
    if not (boot.admin_email and boot.admin_password):
        return
    async with ctx.sessionmaker() as session:
        created = await user_service.ensure_admin(
            session, email=boot.admin_email, password=boot.admin_password, passwords=ctx.passwords
        )
        await session.commit()
    if created is not None:
        logger.info("bootstrap administrator created", extra={"email": created.email})


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    ctx: AppContext = app.state.ctx
    await _bootstrap_admin(ctx)
    stop = asyncio.Event()
    worker_task = None
    if ctx.settings.jobs.in_process:
        worker_task = asyncio.create_task(Worker(ctx).run(stop))
    heap.settle()
    try:
        yield
    finally:
        stop.set()
        if worker_task is not None:
            await worker_task
        await lookups.close(ctx.engine)
        await ctx.engine.dispose()


def _telemetry(enabled: bool) -> TelemetryConfig:
    return {"tracing": enabled, "metrics": enabled, "logs": enabled}


def create_app(settings: Settings | None = None, *, context: AppContext | None = None) -> FastAPI:
    settings = settings or get_settings()
    ctx = context or AppContext.from_settings(settings)
    configure_logging(settings.log_level, json_logs=settings.log_json)
    app = FastAPI(
        title="TechX",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        # /docs and /redoc come from app.web, with their assets served here (no CDN).
        docs_url=None,
        redoc_url=None,
        telemetry=_telemetry(settings.http.opentelemetry),
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    app.add_exception_handler(idempotency.StoredResponse, idempotency.replay_handler)
    # Routes are matched in this order, one by one: the most requested come first. Each router's
    # routes join the application's own list (they carry their prefix, tags and route class):
    # an included router is matched as a nested router, twice per request, at every request.
    for module in (
        listings,
        users,
        health,
        auth,
        organisations,
        contact_requests,
        vocabularies,
        standard,
        notifications,
        ip_feeds,
        ip_records,
        ip_stats,
        webhooks,
        admin,
        initiatives,
        attachments,
        access,
        coauthors,
        reviews,
        receipts,
        deals,
        audit,
        exchanges,
        sync,
        interop,
        reports,
        dashboard,
        open_data,
        profiles,
        discovery,
        watchlists,
    ):
        app.router.routes.extend(module.router.routes)
    pages.install(app)
    if settings.http.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.http.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "Location", "X-Request-ID", "Retry-After"],
        )
    app.add_middleware(
        RequestContextMiddleware,
        metrics=ctx.metrics,
        max_body_bytes=settings.http.max_body_bytes,
        # Multipart overhead on top of the largest attachment a route accepts.
        upload_limits=[
            ("/attachments", settings.storage.max_attachment_bytes + 65536),
            ("/sync/push", settings.sync.max_push_bytes),
        ],
    )
    return app

"""The framework ceiling: a bare FastAPI app with one async route returning a small JSON body.

Served by uvicorn exactly like the service (same worker count, same event loop and HTTP parser),
so the gap between the two is what TechX adds: middleware, dependencies, sessions, queries.
"""

from __future__ import annotations

from fastapi import FastAPI


def create_app() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"status": "ok"}

    return app

"""The landing page, the dashboard page and the API docs, with their assets served locally."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import fastapi_offline
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from app.context import AppContext
from app.services.reports import live

STATIC = Path(__file__).parent / "static"
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
# Pages run only scripts and styles of this origin; charts arrive as blob: images.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# The docs bundles need inline styles (and Swagger UI its inline start-up script); nothing may
# leave the origin: ReDoc's attribution logo from its CDN is blocked and hidden.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'"
)
Lang = Annotated[Literal["vi", "en"], Query(description="Page language")]

router = APIRouter(include_in_schema=False)
_templates = Environment(
    loader=PackageLoader("app.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _page(name: str, **context: object) -> HTMLResponse:
    html = _templates.get_template(name).render(**context)
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP})


@router.get("/")
async def landing(request: Request, lang: Lang = "vi") -> HTMLResponse:
    """What the service is, with links to its public parts and a few live figures."""
    ctx: AppContext = request.app.state.ctx
    async with ctx.sessionmaker() as session:
        counts = await live.public_counts(session)
    return _page("landing.html", lang=lang, counts=counts, exchange=ctx.settings.sync.exchange_code)


@router.get("/dashboard")
async def dashboard(lang: Lang = "vi") -> HTMLResponse:
    """The operator dashboard: a sign-in form, then tiles and charts fed by the dashboard API."""
    return _page("dashboard.html", lang=lang, tiles=live.TILES)


def _docs_page(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_CSP
    return page


@router.get("/docs")
async def swagger(request: Request) -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url=str(request.app.openapi_url),
        title="TechX API",
        swagger_js_url="/static/docs/swagger-ui-bundle.js",
        swagger_css_url="/static/docs/swagger-ui.css",
        swagger_favicon_url="/static/docs/favicon.png",
        oauth2_redirect_url="/docs/oauth2-redirect",
        # No badge from the public online validator.
        swagger_ui_parameters={"validatorUrl": None},
    )
    return _docs_page(page)


@router.get("/docs/oauth2-redirect")
async def swagger_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    page = get_redoc_html(
        openapi_url=str(request.app.openapi_url),
        title="TechX API",
        redoc_js_url="/static/docs/redoc.standalone.js",
        redoc_favicon_url="/static/docs/favicon.png",
        with_google_fonts=False,
    )
    return _docs_page(page)


def install(app: FastAPI) -> None:
    """Add the pages and mount their assets (``/static/web``, ``/static/docs``)."""
    app.include_router(router)
    app.mount("/static/web", StaticFiles(directory=STATIC), name="web-static")
    app.mount("/static/docs", StaticFiles(directory=DOCS_ASSETS), name="docs-static")

"""Pages: the landing page, the operator dashboard, the API docs, all with their own assets."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import Exchange, Initiative, IpRecord, Listing, Transition
from app.models.base import utcnow
from app.services.reports import periods
from tests import initiative_helpers as ini
from tests.factories import login

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


def _assets(html: str) -> list[str]:
    return ASSET.findall(html)


def _local(url: str) -> bool:
    return (url.startswith("/") and not url.startswith("//")) or url.startswith("?")


async def test_landing_page_is_bilingual_and_links_the_public_parts(
    client: httpx.AsyncClient,
) -> None:
    vi = await client.get("/")
    en = await client.get("/", params={"lang": "en"})
    assert vi.status_code == en.status_code == 200
    assert vi.headers["content-type"].startswith("text/html")
    assert "Cổng Sáng kiến" in vi.text and '<html lang="vi">' in vi.text
    assert "Initiative Portal" in en.text and '<html lang="en">' in en.text
    for link in ("/api/v1/initiatives", "/api/v1/listings", "/api/v1/open-data", "/docs", "/redoc"):
        assert f'"{link}"' in vi.text, link
    assert "script-src 'self'" in vi.headers["content-security-policy"]


async def test_landing_page_counts_published_initiatives(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    await ini.published(client, session, ctx)
    published = await session.scalar(
        select(func.count()).select_from(Initiative).where(Initiative.state == "published")
    )
    page = (await client.get("/")).text
    shown = re.search(r'id="published-initiatives">([\d,]+)<', page)
    assert shown is not None and int(shown[1].replace(",", "")) == published


@pytest.mark.parametrize("path", ["/", "/?lang=en", "/dashboard", "/docs", "/redoc"])
async def test_pages_load_every_asset_from_the_app(client: httpx.AsyncClient, path: str) -> None:
    page = await client.get(path)
    assert page.status_code == 200
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', page.text)
    styles = re.findall(r'<link[^>]+href="([^"]+)"', page.text)
    assert "cdn" not in page.text.lower()
    for url in scripts + styles:
        assert _local(url), url
        assert (await client.get(url)).status_code == 200, url
    assert all(_local(u) for u in _assets(page.text) if "/static/" in u)


async def test_docs_serve_swagger_ui_and_redoc_from_the_package(client: httpx.AsyncClient) -> None:
    docs, redoc = (await client.get("/docs")).text, (await client.get("/redoc")).text
    assert "/static/docs/swagger-ui-bundle.js" in docs and "/api/v1/openapi.json" in docs
    assert "/static/docs/redoc.standalone.js" in redoc
    bundle = await client.get("/static/docs/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 500_000
    assert (await client.get("/docs/oauth2-redirect")).status_code == 200
    for path in ("/docs", "/redoc"):
        # ReDoc's attribution logo would come from its CDN: the policy keeps images local.
        policy = (await client.get(path)).headers["content-security-policy"]
        assert "img-src 'self' data: blob:;" in policy and "default-src 'self'" in policy
    assert '"validatorUrl": null' in docs


async def test_dashboard_page_has_the_sign_in_form_and_every_tile(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/dashboard", params={"lang": "en"})).text
    assert 'id="login"' in page and "Operator sign-in" in page
    tiles = re.findall(r'data-tile="([a-z_]+)"', page)
    assert "received_this_month" in tiles and "max_sync_lag_seconds" in tiles
    assert "Bảng điều hành" in (await client.get("/dashboard")).text


async def test_dashboard_data_refuses_anonymous_401_and_non_operators_403(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    for path in ("/api/v1/dashboard", "/api/v1/dashboard/charts/stage_funnel"):
        assert (await client.get(path)).status_code == 401, path
        for role in ("scientist", "reviewer", "fund", "enterprise"):
            _, headers = await login(client, session, ctx, roles=[role])
            assert (await client.get(path, headers=headers)).status_code == 403, (path, role)


async def test_dashboard_tiles_equal_direct_counts(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    await ini.published(client, session, ctx)
    who = await ini.actors(client, session, ctx)
    fresh = await ini.create(client, who.owner_headers)
    await ini.advance(client, fresh["id"], "screening", who)
    session.add(Exchange(code="DN", name="Sàn Đà Nẵng", lag_seconds=900, last_error_at=utcnow()))
    await session.commit()
    _, headers = await login(client, session, ctx, roles=["admin"])
    body = (await client.get("/api/v1/dashboard", headers=headers)).json()
    tiles = {t["id"]: t["value"] for t in body["tiles"]}
    month = periods.current(utc_offset_hours=ctx.settings.ip.utc_offset_hours)
    assert body["period"] == month.code
    received = await session.scalar(
        select(func.count(func.distinct(Transition.initiative_id))).where(
            Transition.to_state == "submitted", Transition.at >= month.start
        )
    )
    states = dict(
        (
            await session.execute(select(Initiative.state, func.count()).group_by(Initiative.state))
        ).all()
    )
    assert tiles["received_this_month"] == received >= 2
    assert tiles["published"] == states.get("published", 0) >= 1
    assert tiles["in_progress"] == sum(
        states.get(s, 0) for s in ("submitted", "screening", "under_review", "returned", "selected")
    )
    assert tiles["ip_pending"] == await session.scalar(
        select(func.count())
        .select_from(IpRecord)
        .where(IpRecord.summary_status.in_(("pending", "published", "under_examination")))
    )
    assert tiles["listings_active"] == await session.scalar(
        select(func.count())
        .select_from(Listing)
        .where(Listing.status == "active", Listing.expires_at > utcnow() + timedelta(seconds=5))
    )
    assert tiles["exchanges_failing"] >= 1 and tiles["max_sync_lag_seconds"] >= 900
    assert body["events"][0]["to_state"] == "screening"
    assert body["events"][0]["label"] == {"vi": "Kiểm tra hồ sơ", "en": "Screening"}


@pytest.mark.parametrize(
    "name",
    ["submissions_per_day", "stage_funnel", "ip_pendency", "listings_per_exchange", "sync_lag"],
)
async def test_dashboard_charts_are_svg(
    name: str, client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    response = await client.get(
        f"/api/v1/dashboard/charts/{name}", params={"lang": "en"}, headers=headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(response.text)  # noqa: S314 - our own document
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


async def test_an_unknown_chart_is_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    response = await client.get("/api/v1/dashboard/charts/pie", headers=headers)
    assert response.status_code == 422

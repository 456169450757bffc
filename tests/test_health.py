"""Operations endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.core.config import MetricsSettings
from app.core.migrations import head_revision
from app.models import Job
from tests.factories import login, make_organisation

ORG_ROUTE = "/api/v1/organisations/{organisation_id}"
METRICS_TOKEN = "scrape-token-0123456789"
SCRAPER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.fixture(autouse=True)
def metrics_token(ctx: AppContext) -> None:
    ctx.settings = ctx.settings.model_copy(update={"metrics": MetricsSettings(token=METRICS_TOKEN)})


def sample(text: str, name: str, labels: dict[str, str]) -> float:
    """The value of the sample ``name`` with exactly ``labels``, 0 when it is absent."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return 0.0


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200, response.text
    return response.text


def requests_total(text: str, method: str, route: str, status: str) -> float:
    labels = {"method": method, "route": route, "status": status}
    return sample(text, "techx_http_requests_total", labels)


async def add_jobs(session: AsyncSession, status: str, count: int) -> None:
    for n in range(count):
        session.add(Job(kind=f"test.metrics.{n}", payload={}, status=status))
    await session.commit()


async def test_healthz_returns_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_database_and_current_migration(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["database"] is True
    assert body["expected_migration"] == head_revision()
    assert body["expected_migration"] is not None
    assert body["migration"] == body["expected_migration"]


async def test_metrics_is_prometheus_text(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE techx_http_requests_total counter" in response.text


async def test_metrics_count_a_request_under_its_route_template(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    org = await make_organisation(session)
    await session.commit()
    before = requests_total(await scrape(client), "GET", ORG_ROUTE, "200")
    response = await client.get(f"/api/v1/organisations/{org.id}", headers=headers)
    assert response.status_code == 200, response.text
    text = await scrape(client)
    assert requests_total(text, "GET", ORG_ROUTE, "200") == before + 1
    assert str(org.id) not in text


async def test_metrics_count_errors_with_their_status(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    before = requests_total(await scrape(client), "GET", ORG_ROUTE, "404")
    response = await client.get(f"/api/v1/organisations/{uuid.uuid4()}", headers=headers)
    assert response.status_code == 404
    assert requests_total(await scrape(client), "GET", ORG_ROUTE, "404") == before + 1


async def test_metrics_label_unknown_paths_as_unmatched(client: httpx.AsyncClient) -> None:
    path = f"/no-such-page-{uuid.uuid4().hex}"
    before = requests_total(await scrape(client), "GET", "unmatched", "404")
    assert (await client.get(path)).status_code == 404
    text = await scrape(client)
    assert requests_total(text, "GET", "unmatched", "404") == before + 1
    assert path not in text


async def test_metrics_report_queued_jobs(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await add_jobs(session, "queued", 3)
    await add_jobs(session, "dead", 1)
    text = await scrape(client)
    assert sample(text, "techx_jobs", {"status": "queued"}) == 3
    assert sample(text, "techx_jobs", {"status": "dead"}) == 1
    assert sample(text, "techx_jobs", {"status": "running"}) == 0


async def test_metrics_job_depth_follows_the_queue(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await add_jobs(session, "queued", 1)
    assert sample(await scrape(client), "techx_jobs", {"status": "queued"}) == 1
    await add_jobs(session, "queued", 2)
    assert sample(await scrape(client), "techx_jobs", {"status": "queued"}) == 3


async def test_metrics_refuse_anonymous_with_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_metrics_refuse_a_wrong_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert response.status_code == 401


async def test_metrics_refuse_a_non_operator_with_403(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    for role in ("scientist", "fund", "enterprise", "reviewer"):
        _, headers = await login(client, session, ctx, roles=[role])
        assert (await client.get("/metrics", headers=headers)).status_code == 403, role


async def test_metrics_answer_an_operator(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert "techx_http_requests_total" in response.text


async def test_metrics_configured_open_answer_anyone(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    ctx.settings = ctx.settings.model_copy(update={"metrics": MetricsSettings(open=True)})
    assert (await client.get("/metrics")).status_code == 200

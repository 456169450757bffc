"""Open data: public aggregate figures as JSON and CSV, described in the DCAT catalogue, with
none of the fixtures' secrets, names or e-mail addresses."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import IpRecord, Organisation, User
from tests import report_helpers as fixture
from tests.factories import login

URL = "/api/v1/open-data"


@pytest.fixture
async def seeded(client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext) -> Any:
    return await fixture.seed(client, session, ctx)


async def _everything(client: httpx.AsyncClient, period: str) -> list[str]:
    """Every open-data document of a period, as text: the index, each dataset in JSON and CSV."""
    index = await client.get(URL, params={"period": period})
    assert index.status_code == 200
    texts = [index.text]
    for dataset in index.json()["datasets"]:
        for url in (dataset["json_url"], dataset["csv_url"]):
            response = await client.get(url)
            assert response.status_code == 200, url
            texts.append(response.text)
    return texts


async def test_open_data_holds_no_secret_name_or_email(
    seeded: Any, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    users = (await session.scalars(select(User))).all()
    holders = [
        h["name"] for r in (await session.scalars(select(IpRecord))).all() for h in r.holders
    ]
    forbidden = {
        fixture.SECRET_WORD,
        *fixture.AUTHOR_NAMES,
        *(u.email for u in users),
        *(u.full_name for u in users),
        *holders,
        *(o.name for o in (await session.scalars(select(Organisation))).all()),
        "Phương pháp thử nghiệm",  # IP record titles
    }
    texts = await _everything(client, fixture.PERIOD) + await _everything(client, fixture.PREVIOUS)
    assert len(texts) > 20
    for text in texts:
        for word in forbidden:
            assert word not in text, word
        assert "@" not in text


async def test_open_datasets_carry_the_reports_public_figures(
    seeded: Any, client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    report = (
        await client.get(
            "/api/v1/reports/operations", params={"period": fixture.PERIOD}, headers=headers
        )
    ).json()
    public = {s["id"]: s for s in report["sections"] if s["public"]}
    index = (await client.get(URL, params={"period": fixture.PERIOD})).json()
    assert {d["id"] for d in index["datasets"]} == set(public)
    assert "sync_health" not in public and "decline_reasons" not in public
    for dataset_id, section in public.items():
        doc = (
            await client.get(f"{URL}/{dataset_id}.json", params={"period": fixture.PERIOD})
        ).json()
        assert doc["rows"] == section["rows"], dataset_id
        text = (await client.get(f"{URL}/{dataset_id}.csv", params={"period": fixture.PERIOD})).text
        lines = list(csv.DictReader(io.StringIO(text)))
        assert len(lines) == len(section["rows"])
        for line, row in zip(lines, section["rows"], strict=True):
            assert line[section["dimension"]] == row["key"]
            for measure, value in row["current"].items():
                assert line[measure] == ("" if value is None else str(value)), (dataset_id, measure)
    stages = (await client.get(f"{URL}/initiatives.json", params={"period": fixture.PERIOD})).json()
    assert stages["rows"][0]["current"]["published"] == 1


async def test_open_data_needs_no_account(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{URL}/listings_by_kind.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.splitlines()[0].startswith("period,kind,label_vi,label_en,new,")


async def test_an_unknown_or_private_dataset_is_404(client: httpx.AsyncClient) -> None:
    for name in ("nope", "sync_health", "decline_reasons"):
        response = await client.get(f"{URL}/{name}.json")
        assert response.status_code == 404, name
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_bad_format_or_period_is_422(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{URL}/initiatives.xml")).status_code == 422
    assert (
        await client.get(f"{URL}/initiatives.json", params={"period": "2030-13"})
    ).status_code == 422


async def test_dcat_catalogue_describes_each_open_dataset_with_its_distributions(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/api/v1/catalogue")).json()
    graph = Graph().parse(data=body, format="json-ld", publicID=str(client.base_url))
    index = (await client.get(URL)).json()
    datasets = set(graph.objects(None, DCAT.dataset))
    for dataset in index["datasets"]:
        node = URIRef(dataset["json_url"].split("?")[0])
        assert node in datasets, node
        downloads = {
            str(graph.value(d, DCAT.downloadURL)) for d in graph.objects(node, DCAT.distribution)
        }
        assert downloads == {dataset["json_url"], dataset["csv_url"]}

"""The DCAT catalogue of published listings: JSON-LD that parses into the expected RDF."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib import namespace as ns
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from tests.listing_helpers import author, create

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
URL = "/api/v1/catalogue"
# rdflib's JSON-LD parser still builds a ConjunctiveGraph internally.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


def _graph(body: dict[str, Any]) -> Graph:
    return Graph().parse(data=json.dumps(body), format="json-ld")


async def _published(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> tuple[list[str], str]:
    """Three published listings and one withdrawn, whose id is returned apart."""
    _, headers, _ = await author(client, session, ctx)
    made = [await create(client, headers) for _ in range(4)]
    gone = made[0]
    patch = {**headers, "If-Match": f'"{gone["version"]}"'}
    answer = await client.patch(
        f"/api/v1/listings/{gone['id']}", json={"status": "withdrawn"}, headers=patch
    )
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in made[1:]], gone["id"]


def _listing(listing_id: str) -> URIRef:
    return URIRef(f"http://techx.test/api/v1/listings/{listing_id}")


async def test_catalogue_has_one_dataset_per_published_listing_with_title_and_modified(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    published, withdrawn = await _published(client, session, ctx)
    response = await client.get(URL, params={"limit": 200})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    graph = _graph(response.json())
    catalogue = URIRef("http://techx.test/api/v1/catalogue")
    assert (catalogue, ns.RDF.type, ns.DCAT.Catalog) in graph
    datasets = set(graph.objects(catalogue, ns.DCAT.dataset))
    assert {_listing(i) for i in published} <= datasets
    assert _listing(withdrawn) not in datasets
    for listing_id in published:
        node = _listing(listing_id)
        assert (node, ns.RDF.type, ns.DCAT.Dataset) in graph
        titles = {t.language for t in graph.objects(node, ns.DCTERMS.title)}  # type: ignore[attr-defined]
        assert titles == {"vi", "en"}
        assert graph.value(node, ns.DCTERMS.modified) is not None
        assert graph.value(node, ns.DCTERMS.issued) is not None
        assert graph.value(node, ns.DCTERMS.conformsTo) is not None
        publisher = graph.value(node, ns.DCTERMS.publisher)
        assert graph.value(publisher, ns.FOAF.name) is not None


async def test_catalogue_pages_follow_hydra_next_to_every_listing(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    published, _ = await _published(client, session, ctx)
    seen: list[URIRef] = []
    url: str | None = f"{URL}?limit=1"
    while url:
        body = (await client.get(url)).json()
        graph = _graph(body)
        seen += [o for o in graph.objects(None, ns.DCAT.dataset) if isinstance(o, URIRef)]
        next_page = graph.value(URIRef(str(client.base_url.join(url))), HYDRA.next)
        url = str(next_page) if next_page else None
    assert len(seen) == len(set(seen))
    assert {_listing(i) for i in published} <= set(seen)


async def test_a_forged_cursor_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.get(URL, params={"cursor": "forged.cursor"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"

"""Forward compatibility, idempotency by meaning, and one answer for another exchange's records."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import Listing
from app.services.federation import harvest
from tests.harvest_helpers import FakePeer, change, register_peer
from tests.sync_helpers import PUSH_URL, exchange_headers, feed, pushed, upsert

NEWER = {"carbon_footprint": {"kg": 12}, "audience": ["sme"]}


async def test_unknown_fields_are_kept_under_extensions_and_published_again(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    item = upsert("x1", 1, **NEWER)
    item["record"]["metadata_version"] = "1.3.0"
    [result] = await pushed(client, headers, [item])
    assert result["status"] == "created"
    listing = await client.get(f"/api/v1/listings/{result['id']}")
    assert listing.json()["extensions"] == NEWER
    [entry] = (await feed(client, headers))["changes"]
    assert entry["record"]["extensions"] == NEWER
    again = await pushed(client, headers, [upsert("x1", 1, **NEWER)])
    assert again[0]["status"] == "unchanged"
    changed = await pushed(client, headers, [upsert("x1", 1, carbon_footprint={"kg": 3})])
    assert changed[0]["status"] == "rejected" and changed[0]["http_status"] == 409


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
async def test_extensions_appear_in_the_jsonld_as_a_json_literal(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    from rdflib import Graph, URIRef
    from rdflib.namespace import RDF

    headers = await exchange_headers(client, session, ctx)
    [result] = await pushed(client, headers, [upsert("x2", 1, **NEWER)])
    response = await client.get(
        f"/api/v1/listings/{result['id']}", headers={"Accept": "application/ld+json"}
    )
    assert response.json()["extensions"] == NEWER
    graph = Graph().parse(data=json.dumps(response.json()), format="json-ld")
    subject = URIRef(f"http://techx.test/api/v1/listings/{result['id']}")
    [value] = graph.objects(subject, URIRef("https://w3id.org/techx/listing/v1#extensions"))
    assert value.datatype == RDF.JSON and json.loads(str(value)) == NEWER


async def test_a_harvested_record_keeps_fields_unknown_here(session: AsyncSession) -> None:
    from app.core.config import get_settings

    await register_peer(session)
    newer = change(1, "upsert", "n1", 1)
    newer["record"].update(NEWER)
    peer = FakePeer([newer])
    async with peer.client() as http:
        report = await harvest.harvest(
            session, "HN", client=http, secret=get_settings().secret_key, own="VN", page_size=5
        )
    assert report.counts == {"applied": 1}
    stored = await session.scalar(select(Listing).where(Listing.origin_id == "n1"))
    assert stored is not None and stored.extensions == NEWER


async def test_an_unsupported_major_metadata_version_is_refused_with_the_supported_ones(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    body = {"metadata_version": "2.0", "items": [upsert("v2", 1)]}
    response = await client.post(
        PUSH_URL, json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex}
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["type"] == "unsupported_metadata_version" and "1" in error["msg"]
    item = upsert("v2", 1)
    item["record"]["metadata_version"] = "2.1.0"
    [result] = await pushed(client, headers, [item])
    assert result["status"] == "rejected" and result["http_status"] == 422
    assert result["errors"][0]["code"] == "unsupported_metadata_version"
    assert await session.scalar(select(Listing).where(Listing.origin_id == "v2")) is None


async def test_capabilities_advertise_the_supported_metadata_versions(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/api/v1/sync/capabilities")).json()
    assert body["supported_metadata_versions"] == ["1"]
    assert body["metadata_version"].startswith("1.")
    assert body["extensions_member"] == "extensions"


async def test_a_retry_serialised_differently_is_a_replay_not_a_reused_key(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    body = {"items": [upsert("s1", 1, title={"vi": "Máy sấy điện", "en": "Dryer"})]}
    compact = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    spaced = json.dumps(body, ensure_ascii=True, indent=2).encode()
    sent = {**headers, "Idempotency-Key": "same", "Content-Type": "application/json"}
    first = await client.post(PUSH_URL, content=compact, headers=sent)
    again = await client.post(PUSH_URL, content=spaced, headers=sent)
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    other = {"items": [upsert("s1", 2)]}
    refused = await client.post(PUSH_URL, content=json.dumps(other).encode(), headers=sent)
    assert refused.status_code == 422

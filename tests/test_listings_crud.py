"""Creating, reading, updating and renewing listings through the API."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import Listing
from app.models.base import utcnow
from tests import listing_helpers as lh
from tests.factories import login


def _locs(response: httpx.Response) -> set[str]:
    return {".".join(str(p) for p in error["loc"]) for error in response.json()["errors"]}


async def test_valid_listing_round_trips_unchanged(client, session, ctx: AppContext) -> None:
    _, headers, org = await lh.author(client, session, ctx)
    sent = lh.payload()
    created = await client.post("/api/v1/listings", json=sent, headers=headers)
    assert created.status_code == 201
    fetched = await client.get(created.headers["location"])
    assert fetched.status_code == 200
    body = fetched.json()
    assert {name: body[name] for name in sent} == sent
    assert body["owner"] == {
        "id": str(org.id),
        "name": org.name,
        "name_en": None,
        "kind": "institute",
        "province": "CT",
    }
    assert body["status"] == "active"
    assert body["language"] == ["vi", "en"]
    assert body["source"] == {
        "exchange": "LOCAL",
        "source_id": body["id"],
        "version": 1,
        "url": None,
    }
    assert fetched.headers["etag"] == '"1"'
    assert len(body["content_hash"]) == 64


async def test_listing_missing_title_vi_and_with_bad_codes_names_each_field(
    client, session, ctx: AppContext
) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    body = lh.payload(
        title={"en": "Only English"},
        strategic_group="steam_engines",
        trl=10,
        ipc=["G06N3/08x"],
    )
    response = await client.post("/api/v1/listings", json=body, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert _locs(response) == {"body.title.vi", "body.strategic_group", "body.trl", "body.ipc.0"}
    messages = {".".join(map(str, e["loc"])): e["msg"] for e in response.json()["errors"]}
    assert "ai, cloud_quantum_data, blockchain" in messages["body.strategic_group"]
    assert "G06N3/08x" in messages["body.ipc.0"]


@pytest.mark.parametrize("trl", [0, 10])
async def test_trl_outside_one_to_nine_is_refused(client, session, ctx: AppContext, trl) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    response = await client.post("/api/v1/listings", json=lh.payload(trl=trl), headers=headers)
    assert response.status_code == 422
    assert _locs(response) == {"body.trl"}


async def test_unknown_province_and_transaction_type_list_the_allowed_codes(
    client, session, ctx: AppContext
) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    body = lh.payload(province="XX", transaction_types=["barter"])
    response = await client.post("/api/v1/listings", json=body, headers=headers)
    assert response.status_code == 422
    messages = {".".join(map(str, e["loc"])): e["msg"] for e in response.json()["errors"]}
    assert set(messages) == {"body.province", "body.transaction_types.0"}
    assert "HN, HP, HUE" in messages["body.province"]
    assert "license_exclusive" in messages["body.transaction_types.0"]


async def test_nfd_text_is_stored_nfc(client, session, ctx: AppContext) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    nfd = unicodedata.normalize("NFD", "Công nghệ điện mặt trời")
    created = await lh.create(client, headers, title={"vi": nfd}, keywords=[nfd])
    nfc = unicodedata.normalize("NFC", nfd)
    assert created["title"] == {"vi": nfc}
    stored = await session.scalar(select(Listing).where(Listing.id == uuid.UUID(created["id"])))
    assert stored is not None and stored.title == {"vi": nfc} and stored.keywords == [nfc]


async def test_reviewer_cannot_publish_listings(client, session, ctx: AppContext) -> None:
    _, headers, _ = await lh.author(client, session, ctx, roles=("reviewer",))
    response = await client.post("/api/v1/listings", json=lh.payload(), headers=headers)
    assert response.status_code == 403


async def test_author_without_organisation_is_told_to_name_one(
    client, session, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["enterprise"])
    response = await client.post("/api/v1/listings", json=lh.payload(), headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "organisation_id"]


async def test_update_without_if_match_is_428_and_with_stale_etag_412(
    client, session, ctx: AppContext
) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    listing = await lh.create(client, headers)
    url = f"/api/v1/listings/{listing['id']}"
    change = {"trl": 7}
    missing = await client.patch(url, json=change, headers=headers)
    assert missing.status_code == 428
    stale = await client.patch(url, json=change, headers={**headers, "If-Match": '"9"'})
    assert stale.status_code == 412
    ok = await client.patch(url, json=change, headers={**headers, "If-Match": '"1"'})
    assert ok.status_code == 200
    assert ok.json()["trl"] == 7 and ok.json()["version"] == 2
    assert ok.headers["etag"] == '"2"'
    assert ok.json()["content_hash"] != listing["content_hash"]


async def test_update_refuses_null_for_a_required_field(client, session, ctx: AppContext) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    listing = await lh.create(client, headers)
    response = await client.patch(
        f"/api/v1/listings/{listing['id']}",
        json={"title": None, "description": None},
        headers={**headers, "If-Match": '"1"'},
    )
    assert response.status_code == 422
    assert _locs(response) == {"body.title"}


async def test_member_of_another_organisation_gets_404_on_update(
    client, session, ctx: AppContext
) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    listing = await lh.create(client, headers)
    _, stranger, _ = await lh.author(client, session, ctx, roles=("enterprise",))
    response = await client.patch(
        f"/api/v1/listings/{listing['id']}",
        json={"trl": 2},
        headers={**stranger, "If-Match": '"1"'},
    )
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/listing-not-found"


async def test_withdrawn_listing_is_hidden_from_others_but_not_its_owner(
    client, session, ctx: AppContext
) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    listing = await lh.create(client, headers, status="withdrawn")
    url = f"/api/v1/listings/{listing['id']}"
    assert (await client.get(url)).status_code == 404
    assert (await client.get(url, headers=headers)).status_code == 200
    _, admin = await login(client, session, ctx, roles=["admin"])
    assert (await client.get(url, headers=admin)).status_code == 200


async def test_admin_edits_any_listing(client, session, ctx: AppContext) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    listing = await lh.create(client, headers)
    _, admin = await login(client, session, ctx, roles=["admin"])
    response = await client.patch(
        f"/api/v1/listings/{listing['id']}",
        json={"status": "closed"},
        headers={**admin, "If-Match": '"1"'},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "closed"


async def _expire(session: AsyncSession, listing_id: str) -> None:
    await session.execute(
        update(Listing)
        .where(Listing.id == uuid.UUID(listing_id))
        .values(expires_at=utcnow() - timedelta(days=1))
    )
    await session.commit()


async def test_expired_listing_leaves_search_but_stays_addressable(
    client, session, ctx: AppContext
) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    marker = f"hethan{uuid.uuid4().hex[:8]}"
    listing = await lh.create(client, headers, keywords=[marker])
    await _expire(session, listing["id"])
    assert (await lh.search(client, q=marker))["items"] == []
    expired = await lh.search(client, q=marker, status="expired")
    assert [item["id"] for item in expired["items"]] == [listing["id"]]
    response = await client.get(f"/api/v1/listings/{listing['id']}")
    assert response.status_code == 200
    assert response.json()["status"] == "expired"


async def test_renewal_brings_an_expired_listing_back(client, session, ctx: AppContext) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    marker = f"giahan{uuid.uuid4().hex[:8]}"
    listing = await lh.create(client, headers, keywords=[marker])
    await _expire(session, listing["id"])
    url = f"/api/v1/listings/{listing['id']}/renewal"
    assert (await client.post(url, headers=headers)).status_code == 428
    renewed = await client.post(url, headers={**headers, "If-Match": '"1"'})
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["status"] == "active"
    assert [item["id"] for item in (await lh.search(client, q=marker))["items"]] == [listing["id"]]


async def test_expiry_date_in_the_past_is_refused(client, session, ctx: AppContext) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    past = (utcnow() - timedelta(days=1)).isoformat()
    response = await client.post(
        "/api/v1/listings", json=lh.payload(expires_at=past), headers=headers
    )
    assert response.status_code == 422
    assert _locs(response) == {"body.expires_at"}


async def test_create_with_idempotency_key_replays_the_first_answer(
    client, session, ctx: AppContext
) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    keyed = {**headers, "Idempotency-Key": uuid.uuid4().hex}
    first = await client.post("/api/v1/listings", json=lh.payload(), headers=keyed)
    again = await client.post("/api/v1/listings", json=lh.payload(), headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"

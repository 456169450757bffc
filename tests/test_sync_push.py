"""Push: per-item results, version rules, idempotency, single writer, size limits."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import ChangeEntry, Exchange, Listing, Organisation
from app.models.base import utcnow
from tests.factories import auth_headers, make_user
from tests.sync_helpers import delete, exchange_headers, feed, push, pushed, record, upsert


async def _entries(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(ChangeEntry)) or 0)


async def test_push_creates_a_listing_keyed_by_origin(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    [result] = await pushed(client, headers, [upsert("123", 7)])
    assert result["status"] == "created" and result["source_id"] == "123"
    listing = await client.get(f"/api/v1/listings/{result['id']}", headers=headers)
    assert listing.json()["source"] == {
        "exchange": "HN",
        "source_id": "123",
        "version": 7,
        "url": None,
    }


async def test_a_record_that_expired_at_its_origin_arrives_expired(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    past = (utcnow() - timedelta(days=3)).isoformat()
    [result] = await pushed(client, headers, [upsert("old", 1, expires_at=past)])
    assert result["status"] == "created"
    listing = await client.get(f"/api/v1/listings/{result['id']}", headers=headers)
    assert listing.json()["status"] == "expired"


async def test_a_record_running_beyond_two_years_is_rejected(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    far = (utcnow() + timedelta(days=800)).isoformat()
    [result] = await pushed(client, headers, [upsert("far", 1, expires_at=far)])
    assert result["status"] == "rejected" and result["http_status"] == 422
    assert result["errors"][0]["code"] == "expiry_range"
    assert result["errors"][0]["loc"] == ["items", 0, "record", "expires_at"]


async def test_same_key_and_body_replays_the_answer_and_applies_once(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    items = [upsert("1", 1), upsert("2", 1), delete("3", 1)]
    first = await push(client, headers, items, key="batch-1")
    again = await push(client, headers, items, key="batch-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len((await feed(client, headers))["changes"]) == 3
    assert await _entries(session) == 3


async def test_replay_counts_on_the_exchange(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    await push(client, headers, [upsert("1", 1)], key="k")
    await push(client, headers, [upsert("1", 1)], key="k")
    exchange = await session.scalar(select(Exchange).where(Exchange.code == "HN"))
    assert exchange is not None
    await session.refresh(exchange)
    assert (exchange.applied, exchange.replays) == (1, 1)


async def test_same_key_with_another_body_returns_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    await push(client, headers, [upsert("1", 1)], key="k")
    response = await push(client, headers, [upsert("1", 2)], key="k")
    assert response.status_code == 422
    assert response.json()["type"].endswith("idempotency-key-reused")


async def test_push_without_idempotency_key_returns_400(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    response = await client.post("/api/v1/sync/push", json={"items": []}, headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_lower_version_after_higher_is_stale(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    results = await pushed(client, headers, [upsert("1", 3), upsert("1", 2, trl=2)])
    assert [r["status"] for r in results] == ["created", "stale"]
    assert results[1]["version"] == 3


async def test_higher_version_updates_the_record(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    results = await pushed(client, headers, [upsert("1", 1), upsert("1", 2, trl=8)])
    assert [r["status"] for r in results] == ["created", "updated"]
    trl = await session.scalar(select(Listing.trl).where(Listing.origin_id == "1"))
    assert trl == 8


async def test_equal_version_and_content_is_unchanged(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    results = await pushed(client, headers, [upsert("1", 4), upsert("1", 4)])
    assert [r["status"] for r in results] == ["created", "unchanged"]


async def test_equal_version_with_other_content_is_a_conflict(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    results = await pushed(client, headers, [upsert("1", 4), upsert("1", 4, trl=9)])
    assert results[1]["status"] == "rejected"
    assert (results[1]["errors"][0]["code"], results[1]["http_status"]) == ("conflict", 409)
    assert results[1]["errors"][0]["loc"] == ["items", 1, "record", "source", "version"]


async def test_delete_then_higher_upsert_brings_the_record_back_with_its_id(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    created, deleted, revived = await pushed(
        client, headers, [upsert("1", 4), delete("1", 5), upsert("1", 6)]
    )
    assert [deleted["status"], revived["status"]] == ["deleted", "created"]
    assert created["id"] == deleted["id"] == revived["id"]
    listing = await client.get(f"/api/v1/listings/{revived['id']}", headers=headers)
    assert listing.status_code == 200 and listing.json()["source"]["version"] == 6


async def test_records_and_tombstones_stored_before_the_batch_follow_the_same_rules(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    live, dead = await pushed(client, headers, [upsert("live", 2), delete("dead", 5)])
    results = await pushed(
        client,
        headers,
        [upsert("live", 1), upsert("live", 3, trl=9), upsert("dead", 5), upsert("dead", 6)],
    )
    assert [r["status"] for r in results] == ["stale", "updated", "stale", "created"]
    assert results[1]["id"] == live["id"] and results[3]["id"] == dead["id"]
    assert await session.scalar(select(Listing.trl).where(Listing.origin_id == "live")) == 9


async def test_a_record_deleted_earlier_in_the_batch_keeps_its_tombstone_rules(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    live = await pushed(client, headers, [upsert("x", 1), upsert("y", 1), upsert("z", 1)])
    results = await pushed(
        client,
        headers,
        [
            *(delete("x", 5), upsert("x", 3)),
            *(delete("y", 5), delete("y", 4)),
            *(delete("z", 5), upsert("z", 6)),
        ],
    )
    statuses = [r["status"] for r in results]
    assert statuses == ["deleted", "stale", "deleted", "stale", "deleted", "created"]
    assert results[1]["version"] == results[3]["version"] == 5
    assert results[5]["id"] == live[2]["id"]
    origins = await session.scalars(
        select(Listing.origin_id).where(Listing.origin_id.in_(["x", "y", "z"]))
    )
    assert origins.all() == ["z"]


async def test_an_owner_made_by_an_item_that_did_not_apply_is_not_reused(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    await pushed(client, headers, [upsert("1", 3)])
    owner = {"name": "Viện Cơ khí Mới", "kind": "institute", "province": "HN"}
    stale, created = await pushed(
        client, headers, [upsert("1", 2, owner=owner), upsert("2", 1, owner=owner)]
    )
    assert (stale["status"], created["status"]) == ("stale", "created")
    names = await session.scalars(
        select(Organisation.name).where(Organisation.name == "Viện Cơ khí Mới")
    )
    assert len(names.all()) == 1


async def test_upsert_at_the_tombstone_version_is_stale(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    results = await pushed(client, headers, [delete("1", 5), upsert("1", 5)])
    assert [r["status"] for r in results] == ["deleted", "stale"]


async def test_delete_of_an_unknown_record_is_kept_as_a_tombstone(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    [result] = await pushed(client, headers, [delete("99", 3)])
    [change] = (await feed(client, headers))["changes"]
    assert result["status"] == "deleted"
    assert (change["op"], change["id"], change["record"]) == ("delete", result["id"], None)
    assert change["source"] == {"exchange": "HN", "source_id": "99", "version": 3}


async def test_malformed_item_is_rejected_alone_and_the_other_99_apply(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    items = [upsert(str(n), 1) for n in range(100)]
    items[42]["record"]["trl"] = 12
    results = await pushed(client, headers, items)
    assert results[42]["status"] == "rejected" and results[42]["http_status"] == 422
    assert results[42]["errors"][0]["loc"] == ["items", 42, "record", "trl"]
    assert sum(r["status"] == "created" for r in results) == 99
    count = await session.scalar(select(func.count()).where(Listing.origin_exchange == "HN"))
    assert count == 99


async def test_record_of_another_exchange_is_forbidden_and_left_untouched(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    dn = await exchange_headers(client, session, ctx, code="DN")
    [owned] = await pushed(client, dn, [upsert("7", 1, exchange="DN")])
    hn = await exchange_headers(client, session, ctx)
    results = await pushed(client, hn, [upsert("1", 1), upsert("7", 9, exchange="DN", trl=1)])
    assert results[1]["status"] == "rejected" and results[1]["http_status"] == 403
    assert results[1]["errors"][0]["code"] == "forbidden"
    stored = await session.scalar(select(Listing).where(Listing.id == uuid.UUID(owned["id"])))
    assert stored is not None and (stored.version, stored.trl) == (1, 6)


async def test_batch_of_only_another_exchanges_records_is_answered_per_item(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    items = [delete("7", 2, exchange="DN"), upsert("8", 1, exchange="DN")]
    response = await push(client, headers, items)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["status"], r["http_status"]) for r in results] == [("rejected", 403)] * 2
    assert [r["errors"][0]["code"] for r in results] == ["forbidden", "forbidden"]
    assert await _entries(session) == 0


async def test_batch_over_the_item_limit_returns_413(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    response = await push(client, headers, [delete(str(n), 1) for n in range(1001)])
    assert response.status_code == 413


async def test_client_without_push_scope_gets_403(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx, scopes=("sync:read",))
    response = await push(client, headers, [upsert("1", 1)])
    assert response.status_code == 403


async def test_user_token_gets_403(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx, roles=["admin"])
    response = await push(client, await auth_headers(client, user), [upsert("1", 1)])
    assert response.status_code == 403


async def test_unregistered_exchange_gets_403(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx, register=False)
    response = await push(client, headers, [upsert("1", 1)])
    assert response.status_code == 403


async def test_push_advances_the_exchange_counters(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    bad = upsert("4", 1)
    bad["record"]["kind"] = "gift"
    await pushed(client, headers, [upsert("1", 2), upsert("1", 1), upsert("1", 2), bad])
    exchange = await session.scalar(select(Exchange).where(Exchange.code == "HN"))
    assert exchange is not None
    await session.refresh(exchange)
    counts = (exchange.applied, exchange.stale, exchange.unchanged, exchange.rejected)
    assert counts == (1, 1, 1, 1)
    assert exchange.last_success_at is not None and "kind" in (exchange.last_error or "")


def test_record_helper_names_its_exchange() -> None:
    assert record("1", 1, exchange="DN")["source"]["exchange"] == "DN"


async def test_record_naming_a_local_organisation_id_is_rejected(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    item = upsert("1", 1, organisation_id=str(uuid.uuid4()))
    [result] = await pushed(client, headers, [item])
    assert result["status"] == "rejected"
    assert result["errors"][0]["code"] == "not_accepted"


async def test_feed_record_with_read_only_fields_can_be_pushed_as_is(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    item = upsert("1", 1, id=str(uuid.uuid4()), content_hash="x", language=["vi"])
    item["record"]["version"] = 1
    [result] = await pushed(client, headers, [item])
    assert result["status"] == "created"


async def test_stale_item_leaves_no_trace(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    stale = upsert("1", 1)
    stale["record"]["owner"]["name"] = "Tổ chức chỉ có trong bản cũ"
    await pushed(client, headers, [upsert("1", 2), stale])
    found = await session.scalar(
        select(func.count()).where(Organisation.name == "Tổ chức chỉ có trong bản cũ")
    )
    assert found == 0

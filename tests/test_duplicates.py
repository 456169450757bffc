"""Duplicates across exchanges: clusters from shared IP numbers, suggestions from similar titles."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.services.federation.duplicate_suggestions import jaccard, title_similarity
from app.services.federation.duplicates import ip_key
from tests import listing_helpers, sync_helpers
from tests.ip_helpers import create_via_api

NUMBER = "VN 1-2019-01234"
KEY = "VN1201901234"


def _url(listing_id: str) -> str:
    return f"/api/v1/listings/{listing_id}/duplicates"


async def _duplicates(
    client: httpx.AsyncClient, listing_id: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = await client.get(_url(listing_id), headers=headers or {})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(members: list[dict[str, Any]]) -> set[str]:
    return {member["id"] for member in members}


async def _push(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    source_id: str,
    *,
    exchange: str,
    version: int = 1,
    **overrides: Any,
) -> str:
    item = sync_helpers.upsert(source_id, version, exchange=exchange, **overrides)
    [result] = await sync_helpers.pushed(client, headers, [item])
    assert result["status"] in {"created", "updated"}, result
    return str(result["id"])


@pytest.fixture
async def exchanges(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> dict[str, dict[str, str]]:
    """Push credentials of two exchanges, HN and HCM."""
    return {
        code: await sync_helpers.exchange_headers(client, session, ctx, code=code)
        for code in ("HN", "HCM")
    }


@pytest.mark.parametrize(
    "written",
    [
        "VN 1-2019-01234",
        "1-2019-01234",
        "1.2019.01234",
        "1201901234",
        "１２０１９０１２３４",
        "ＶＮ １－２０１９－０１２３４",
        " vn 1/2019/01234 ",
    ],
)
def test_ip_numbers_written_differently_have_one_key(written: str) -> None:
    assert ip_key(written) == KEY


def test_ip_key_keeps_the_office_written_and_uses_the_given_one_otherwise() -> None:
    assert ip_key("US 10,123,456 B2") == "US10123456B2"
    assert ip_key("10123456", office="US") == "US10123456"
    assert ip_key("PCT/VN2019/050001") == "PCTVN2019050001"


@pytest.mark.parametrize("written", ["", "---", "VN", "ABCDEF", "1 2"])
def test_text_without_enough_digits_is_no_identifier(written: str) -> None:
    assert ip_key(written) is None


def test_title_similarity_compares_folded_words_per_language() -> None:
    assert jaccard({"a", "b"}, {"b", "c"}) == pytest.approx(1 / 3)
    assert jaccard(set(), {"a"}) == 0
    same = title_similarity({"vi": "Máy sấy NÔNG SẢN"}, {"vi": "may say nong san"})
    assert same == 1
    assert title_similarity({"vi": "Máy sấy"}, {"en": "Máy sấy"}) == 0


async def test_same_number_written_differently_on_two_exchanges_clusters_them(
    client: httpx.AsyncClient, exchanges: dict[str, dict[str, str]]
) -> None:
    hn = await _push(client, exchanges["HN"], "hn-1", exchange="HN", ip_numbers=[NUMBER])
    hcm = await _push(
        client, exchanges["HCM"], "hcm-1", exchange="HCM", ip_numbers=["１２０１９０１２３４"]
    )
    body = await _duplicates(client, hn)
    assert body["identifiers"] == [KEY]
    [member] = body["cluster"]
    assert member["id"] == hcm
    assert member["identifiers"] == [KEY]
    assert member["source"] == {"exchange": "HCM", "source_id": "hcm-1", "version": 1, "url": None}
    assert _ids((await _duplicates(client, hcm))["cluster"]) == {hn}


async def test_a_different_number_stays_out_of_the_cluster(
    client: httpx.AsyncClient, exchanges: dict[str, dict[str, str]]
) -> None:
    hn = await _push(client, exchanges["HN"], "hn-1", exchange="HN", ip_numbers=[NUMBER])
    other = await _push(
        client, exchanges["HCM"], "hcm-2", exchange="HCM", ip_numbers=["VN 1-2020-05555"]
    )
    assert (await _duplicates(client, hn))["cluster"] == []
    assert (await _duplicates(client, other))["cluster"] == []


async def test_clustered_records_stay_addressable_and_unmerged(
    client: httpx.AsyncClient, exchanges: dict[str, dict[str, str]]
) -> None:
    title = {"vi": "Máy sấy nông sản dùng năng lượng mặt trời"}
    hn = await _push(client, exchanges["HN"], "hn-1", exchange="HN", ip_numbers=[NUMBER])
    hcm = await _push(
        client, exchanges["HCM"], "hcm-1", exchange="HCM", ip_numbers=["1.2019.01234"], title=title
    )
    for listing_id, exchange in ((hn, "HN"), (hcm, "HCM")):
        response = await client.get(f"/api/v1/listings/{listing_id}")
        assert response.status_code == 200, response.text
        assert response.json()["source"]["exchange"] == exchange
    assert (await client.get(f"/api/v1/listings/{hcm}")).json()["title"] == title


async def test_a_similar_title_elsewhere_is_a_suggestion_not_a_cluster_member(
    client: httpx.AsyncClient, exchanges: dict[str, dict[str, str]]
) -> None:
    hn = await _push(
        client,
        exchanges["HN"],
        "hn-1",
        exchange="HN",
        ip_numbers=[NUMBER],
        title={"vi": "Máy sấy nông sản dùng năng lượng mặt trời"},
    )
    similar = await _push(
        client,
        exchanges["HCM"],
        "hcm-3",
        exchange="HCM",
        title={"vi": "Máy sấy nông sản bằng năng lượng mặt trời"},
    )
    await _push(
        client, exchanges["HCM"], "hcm-4", exchange="HCM", title={"vi": "Vắc xin cúm gia cầm"}
    )
    body = await _duplicates(client, hn)
    assert body["cluster"] == []
    [suggestion] = body["suggestions"]
    assert suggestion["listing"]["id"] == similar
    assert 0.6 <= suggestion["score"] <= 1
    reasons = {reason["field"]: reason["similarity"] for reason in suggestion["reasons"]}
    assert reasons["title"] == pytest.approx(0.8)
    assert reasons["owner"] == 1  # both pushed with the same owner name


async def test_a_deleted_record_leaves_the_cluster(
    client: httpx.AsyncClient, exchanges: dict[str, dict[str, str]]
) -> None:
    hn = await _push(client, exchanges["HN"], "hn-1", exchange="HN", ip_numbers=[NUMBER])
    await _push(client, exchanges["HCM"], "hcm-1", exchange="HCM", ip_numbers=[NUMBER])
    deleted = sync_helpers.delete("hcm-1", 2, exchange="HCM")
    [result] = await sync_helpers.pushed(client, exchanges["HCM"], [deleted])
    assert result["status"] == "deleted"
    assert (await _duplicates(client, hn))["cluster"] == []


async def test_changing_the_numbers_moves_a_record_out_of_the_cluster(
    client: httpx.AsyncClient, exchanges: dict[str, dict[str, str]]
) -> None:
    hn = await _push(client, exchanges["HN"], "hn-1", exchange="HN", ip_numbers=[NUMBER])
    await _push(client, exchanges["HCM"], "hcm-1", exchange="HCM", ip_numbers=[NUMBER])
    await _push(
        client, exchanges["HCM"], "hcm-1", exchange="HCM", version=2, ip_numbers=["VN 2-0001"]
    )
    assert (await _duplicates(client, hn))["cluster"] == []


async def test_a_linked_ip_record_contributes_its_application_number(
    client: httpx.AsyncClient,
    session: AsyncSession,
    ctx: AppContext,
    exchanges: dict[str, dict[str, str]],
) -> None:
    _, headers, _ = await listing_helpers.author(client, session, ctx)
    local = await listing_helpers.create(client, headers)
    await create_via_api(client, headers, listing_id=local["id"], application_number="1-2019-01234")
    pushed = await _push(client, exchanges["HN"], "hn-1", exchange="HN", ip_numbers=[NUMBER])
    assert (await _duplicates(client, local["id"]))["identifiers"] == [KEY]
    assert _ids((await _duplicates(client, local["id"]))["cluster"]) == {pushed}


async def test_numbers_set_by_an_update_join_the_cluster(
    client: httpx.AsyncClient,
    session: AsyncSession,
    ctx: AppContext,
    exchanges: dict[str, dict[str, str]],
) -> None:
    _, headers, _ = await listing_helpers.author(client, session, ctx)
    local = await listing_helpers.create(client, headers)
    assert local["ip_numbers"] == []
    pushed = await _push(client, exchanges["HN"], "hn-1", exchange="HN", ip_numbers=[NUMBER])
    response = await client.patch(
        f"/api/v1/listings/{local['id']}",
        json={"ip_numbers": ["1-2019-01234"]},
        headers={**headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["ip_numbers"] == ["1-2019-01234"]
    assert _ids((await _duplicates(client, pushed))["cluster"]) == {local["id"]}


async def test_a_withdrawn_listing_shows_only_to_its_organisation(
    client: httpx.AsyncClient,
    session: AsyncSession,
    ctx: AppContext,
    exchanges: dict[str, dict[str, str]],
) -> None:
    _, headers, _ = await listing_helpers.author(client, session, ctx)
    withdrawn = await listing_helpers.create(
        client, headers, ip_numbers=[NUMBER], status="withdrawn"
    )
    pushed = await _push(client, exchanges["HN"], "hn-1", exchange="HN", ip_numbers=[NUMBER])
    body = await _duplicates(client, pushed)
    assert body["cluster"] == [] and body["suggestions"] == []
    assert (await client.get(_url(withdrawn["id"]))).status_code == 404
    assert _ids((await _duplicates(client, pushed, headers))["cluster"]) == {withdrawn["id"]}


async def test_an_unknown_listing_has_no_duplicates_404(client: httpx.AsyncClient) -> None:
    response = await client.get(_url(str(uuid.uuid4())))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_renumbering_a_linked_ip_record_updates_the_cluster(
    client: httpx.AsyncClient,
    session: AsyncSession,
    ctx: AppContext,
    exchanges: dict[str, dict[str, str]],
) -> None:
    _, headers, _ = await listing_helpers.author(client, session, ctx)
    local = await listing_helpers.create(client, headers)
    record = await create_via_api(client, headers, listing_id=local["id"])
    pushed = await _push(client, exchanges["HN"], "hn-1", exchange="HN", ip_numbers=[NUMBER])
    assert (await _duplicates(client, pushed))["cluster"] == []
    url = f"/api/v1/ip-records/{record['id']}"
    etag = (await client.get(url, headers=headers)).headers["etag"]
    response = await client.patch(
        url, json={"application_number": "1-2019-01234"}, headers={**headers, "If-Match": etag}
    )
    assert response.status_code == 200, response.text
    assert _ids((await _duplicates(client, pushed))["cluster"]) == {local["id"]}

"""Enquiries on another exchange's records, organisation identity across pushes, provenance."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import ContactRequest, Exchange, Listing, Organisation
from tests.factories import login
from tests.sync_helpers import exchange_headers, pushed, upsert

MESSAGE = {"message": "Xin báo giá chuyển giao."}


async def _contact(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, listing_id: str
) -> httpx.Response:
    _, reader = await login(client, session, ctx, roles=["enterprise"])
    url = f"/api/v1/listings/{listing_id}/contact-requests"
    return await client.post(url, json=MESSAGE, headers=reader)


async def test_an_enquiry_on_a_pushed_record_is_refused_with_the_origins_link(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    item = upsert("e1", 1)
    item["record"]["source"]["url"] = "https://san-hn.example.vn/cong-nghe/e1"
    [result] = await pushed(client, headers, [item])
    response = await _contact(client, session, ctx, result["id"])
    assert response.status_code == 409
    body = response.json()
    assert body["type"].endswith("/problems/listing-held-elsewhere")
    assert body["origin_exchange"] == "HN"
    assert body["origin_url"] == "https://san-hn.example.vn/cong-nghe/e1"
    assert "HN" in body["detail"] and body["origin_url"] in body["detail"]
    assert await session.scalar(select(func.count()).select_from(ContactRequest)) == 0


async def test_without_a_source_url_the_link_is_the_record_on_the_registered_exchange(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    await session.execute(
        update(Exchange).where(Exchange.code == "HN").values(base_url="https://hn.example.vn/")
    )
    await session.commit()
    [result] = await pushed(client, headers, [upsert("e2", 1)])
    response = await _contact(client, session, ctx, result["id"])
    assert response.status_code == 409
    assert response.json()["origin_url"] == "https://hn.example.vn/api/v1/listings/e2"


SPELLINGS = ("Viện Nghiên cứu Hà Nội", "VIỆN NGHIÊN CỨU HÀ NỘI", "Vien Nghien cuu Ha Noi")


def _owned(source_id: str, name: str, **owner: str) -> dict[str, object]:
    return upsert(source_id, 1, owner={"name": name, "kind": "institute", **owner})


async def _owner_ids(session: AsyncSession, exchange: str) -> set[object]:
    rows = await session.scalars(
        select(Listing.organisation_id).where(Listing.origin_exchange == exchange)
    )
    return set(rows.all())


async def test_one_owner_spelt_three_ways_by_one_exchange_is_one_organisation(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await exchange_headers(client, session, ctx)
    items = [_owned(f"o{i}", name) for i, name in enumerate(SPELLINGS)]
    results = await pushed(client, headers, items[:1])
    results += await pushed(client, headers, items[1:])
    assert [r["status"] for r in results] == ["created"] * 3
    [org_id] = await _owner_ids(session, "HN")
    named = await session.scalar(
        select(func.count()).select_from(Organisation).where(Organisation.kind == "institute")
    )
    assert named == 1
    organisation = await session.get(Organisation, org_id)
    assert organisation is not None and organisation.name == SPELLINGS[0]


async def test_namesakes_of_two_exchanges_stay_apart_until_a_tax_code_joins_them(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    hn = await exchange_headers(client, session, ctx)
    dn = await exchange_headers(client, session, ctx, code="DN")
    await pushed(client, hn, [_owned("a", SPELLINGS[0])])
    await pushed(
        client,
        dn,
        [upsert("b", 1, exchange="DN", owner={"name": SPELLINGS[1], "kind": "institute"})],
    )
    assert await _owner_ids(session, "HN") != await _owner_ids(session, "DN")
    taxed = {"name": "Công ty Cổ phần Điện Việt", "tax_code": "0101234567"}
    await pushed(client, hn, [upsert("c", 1, owner=taxed)])
    other = {"name": "CTCP DIEN VIET", "tax_code": "0101234567"}
    [result] = await pushed(client, dn, [upsert("d", 1, exchange="DN", owner=other)])
    listing = (await client.get(f"/api/v1/listings/{result['id']}")).json()
    assert listing["owner"]["name"] == "Công ty Cổ phần Điện Việt"
    assert listing["owner"]["tax_code"] == "0101234567"


async def test_a_pushed_owner_never_takes_over_an_organisation_of_this_instance(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    local = Organisation(name="Viện Công nghệ sinh học", kind="institute")
    session.add(local)
    await session.commit()
    headers = await exchange_headers(client, session, ctx)
    await pushed(client, headers, [upsert("p", 1)])
    assert await _owner_ids(session, "HN") != {local.id}

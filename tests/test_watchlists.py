"""Saved searches and watches: alerts once per event, never about what the subscriber may not
read."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import DiscoveryAlert, Initiative, Job, Notification, User, WebhookDelivery
from app.schemas.ip_record import IpRecordUpdate
from app.schemas.webhook import WebhookCreate
from app.services.discovery import watch_alerts
from app.services.ip import records as ip_records
from app.services.notifications import webhooks
from tests import initiative_helpers as ih
from tests import listing_helpers as lh
from tests.discovery_helpers import days_ago, link_right, published
from tests.factories import auth_headers, login, make_organisation, make_user

SEARCHES, WATCHES = "/api/v1/saved-searches", "/api/v1/watches"
STRAW = {"q": "rơm rạ", "kind": ["offer"]}


async def _scan(ctx: AppContext) -> None:
    async with ctx.sessionmaker() as session:
        await watch_alerts.scan(session, {})
        await session.commit()


async def _alerts(session: AsyncSession, user: User, kind: str | None = None) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list((await session.scalars(stmt.order_by(Notification.created_at))).all())


async def _save(client: httpx.AsyncClient, headers: dict[str, str], target: str, query: Any) -> Any:
    response = await client.post(
        SEARCHES, json={"name": "Theo dõi", "target": target, "query": query}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _watch(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str, subject: str
) -> httpx.Response:
    return await client.post(
        WATCHES, json={"subject_type": kind, "subject_id": subject}, headers=headers
    )


async def test_saved_searches_belong_to_their_owner(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, fund = await login(client, session, ctx, roles=["fund"])
    saved = await _save(client, fund, "listings", {"q": "rơm rạ", "trl_min": 5})
    assert saved["query"] == {"q": "rơm rạ", "trl_min": 5}
    listed = (await client.get(SEARCHES, headers=fund)).json()
    assert [s["id"] for s in listed["items"]] == [saved["id"]]
    _, other = await login(client, session, ctx, roles=["fund"])
    assert (await client.get(f"{SEARCHES}/{saved['id']}", headers=other)).status_code == 404
    assert (await client.delete(f"{SEARCHES}/{saved['id']}", headers=other)).status_code == 404
    assert (await client.delete(f"{SEARCHES}/{saved['id']}", headers=fund)).status_code == 204
    assert (await client.get(f"{SEARCHES}/{saved['id']}", headers=fund)).status_code == 404


async def test_a_query_outside_the_discovery_filters_answers_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, fund = await login(client, session, ctx, roles=["fund"])
    for query in ({"trl": 9}, {"stage": ["draft"]}, {"kind": ["offer"]}):
        body = {"name": "x", "target": "initiatives", "query": query}
        assert (await client.post(SEARCHES, json=body, headers=fund)).status_code == 422, query
    _, scientist = await login(client, session, ctx, roles=["scientist"])
    body = {"name": "x", "target": "listings", "query": {}}
    assert (await client.post(SEARCHES, json=body, headers=scientist)).status_code == 403


async def test_a_saved_search_alerts_once_for_a_new_matching_published_listing(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user, fund = await login(client, session, ctx, roles=["fund"])
    await webhooks.create(
        session,
        WebhookCreate(url="https://hooks.example.vn/techx", event_kinds=["discovery.saved_search"]),  # type: ignore[arg-type]
        owner_id=user.id,
        settings=ctx.settings,
    )
    await session.commit()
    _, seller, _ = await lh.author(client, session, ctx)
    await lh.create(client, seller)  # before the search was saved
    await _save(client, fund, "listings", STRAW)
    new = await lh.create(client, seller)
    await lh.create(client, seller, kind="request")  # not an offer
    await _scan(ctx)
    await _scan(ctx)
    await session.execute(Job.__table__.delete())  # a restart that lost the queue
    await session.commit()
    await _scan(ctx)
    alerts = await _alerts(session, user)
    assert [a.data["item"]["id"] for a in alerts] == [new["id"]]
    assert alerts[0].kind == "discovery.saved_search"
    assert alerts[0].data["item"]["title"]["vi"] == new["title"]["vi"]
    deliveries = list((await session.scalars(select(WebhookDelivery))).all())
    assert [(d.event_kind, str(d.alert_id)) for d in deliveries] == [
        ("discovery.saved_search", alerts[0].data["alert_id"])
    ]
    count = await session.scalar(select(func.count()).select_from(DiscoveryAlert))
    assert count == 1


async def test_no_alert_for_a_withdrawn_listing_a_draft_or_a_confidential_match(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user, fund = await login(client, session, ctx, roles=["fund"])
    await _save(client, fund, "listings", STRAW)
    await _save(client, fund, "initiatives", {"q": ih.CONFIDENTIAL_WORD})
    await _save(client, fund, "initiatives", {"q": "Cảm biến độ mặn"})
    _, seller, _ = await lh.author(client, session, ctx)
    private = await lh.create(client, seller)
    response = await client.patch(
        f"/api/v1/listings/{private['id']}",
        json={"status": "withdrawn"},
        headers={**seller, "If-Match": '"1"'},
    )
    assert response.status_code == 200
    who = await ih.actors(client, session, ctx)
    draft = await ih.create(client, who.owner_headers)
    selected = await ih.create(client, who.owner_headers)
    await ih.advance(client, selected["id"], "selected", who)
    await _scan(ctx)
    assert await _alerts(session, user) == []
    shown, _ = await published(client, session, ctx)  # its description holds the secret word
    await _scan(ctx)
    alerts = await _alerts(session, user)
    assert [a.data["item"]["id"] for a in alerts] == [shown["id"]]
    assert draft["id"] not in str(alerts[0].data)
    assert ih.CONFIDENTIAL_WORD not in str(alerts[0].data) + str(alerts[0].title)


async def test_a_watched_initiative_alerts_once_when_selected_and_once_when_published(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    who = await ih.actors(client, session, ctx)
    organisation = await make_organisation(session)
    initiative = await ih.create(
        client, who.owner_headers, owner_organisation_id=str(organisation.id)
    )
    await ih.advance(client, initiative["id"], "under_review", who)
    _, outsider = await login(client, session, ctx, roles=["fund"])
    assert (await _watch(client, outsider, "initiative", initiative["id"])).status_code == 404
    assert (
        await _watch(client, who.owner_headers, "initiative", initiative["id"])
    ).status_code == 403
    member = await make_user(session, ctx, roles=["enterprise"], organisation_id=organisation.id)
    headers = await auth_headers(client, member)
    assert (await _watch(client, headers, "initiative", initiative["id"])).status_code == 201
    assert (await _watch(client, headers, "initiative", initiative["id"])).status_code == 409
    await _scan(ctx)
    assert await _alerts(session, member) == []
    await ih.step(client, initiative["id"], "selected", who.admin_headers)
    await _scan(ctx)
    await _scan(ctx)
    await ih.step(client, initiative["id"], "published", who.admin_headers)
    await _scan(ctx)
    await ih.step(client, initiative["id"], "commercializing", who.owner_headers)
    await _scan(ctx)
    alerts = await _alerts(session, member, "discovery.initiative_stage")
    assert [a.data["item"]["state"] for a in alerts] == ["selected", "published"]
    assert "description" not in str(alerts[0].data)


async def test_a_watched_ip_right_alerts_when_granted_then_when_lapsed(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, owner = await published(client, session, ctx)
    await link_right(session, owner, initiative["id"], "filed")
    record = (
        await ip_records.list_page(
            session,
            actor=ip_records.Actor(owner.id),
            owner_id=None,
            ip_type=None,
            office=None,
            status=None,
            cursor=None,
            limit=5,
        )
    )[0][0]
    user, fund = await login(client, session, ctx, roles=["fund"])
    assert (await _watch(client, fund, "ip_record", str(record.id))).status_code == 201
    await _scan(ctx)
    assert await _alerts(session, user) == []
    when = ip_records.as_of(ctx.settings)
    await ip_records.update(
        session,
        record,
        IpRecordUpdate(grant_date=days_ago(30)),
        actor=ip_records.Actor(owner.id),
        when=when,
    )
    await session.commit()
    await _scan(ctx)
    await _scan(ctx)
    alerts = await _alerts(session, user, "discovery.ip_status")
    assert [a.data["record"]["event"] for a in alerts] == ["granted"]
    assert "application_number" not in alerts[0].data["record"]
    await ip_records.update(
        session,
        record,
        IpRecordUpdate(filing_date=days_ago(3000), grant_date=days_ago(1500)),
        actor=ip_records.Actor(owner.id),
        when=when,
    )
    await session.commit()
    await _scan(ctx)
    alerts = await _alerts(session, user, "discovery.ip_status")
    assert [a.data["record"]["event"] for a in alerts] == ["granted", "lapsed"]


async def test_another_owners_private_ip_record_cannot_be_watched(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    who = await ih.actors(client, session, ctx)
    draft = await ih.create(client, who.owner_headers)
    row = await session.get(Initiative, uuid.UUID(draft["id"]))
    owner = await session.get(User, row.owner_id)  # type: ignore[union-attr]
    assert owner is not None
    await link_right(session, owner, draft["id"], "granted")
    record = (
        await ip_records.list_page(
            session,
            actor=ip_records.Actor(owner.id),
            owner_id=None,
            ip_type=None,
            office=None,
            status=None,
            cursor=None,
            limit=5,
        )
    )[0][0]
    _, fund = await login(client, session, ctx, roles=["fund"])
    assert (await _watch(client, fund, "ip_record", str(record.id))).status_code == 404
    assert (await _watch(client, fund, "listing", str(uuid.uuid4()))).status_code == 404


async def test_a_watched_request_alerts_once_for_each_new_matching_offer(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, buyer, _ = await lh.author(client, session, ctx, roles=["enterprise"])
    need = await lh.create(client, buyer, kind="request")
    user, fund = await login(client, session, ctx, roles=["fund"])
    assert (await _watch(client, fund, "listing", need["id"])).status_code == 201
    _, seller, _ = await lh.author(client, session, ctx)
    offer = await lh.create(client, seller)
    await lh.create(
        client,
        seller,
        title={"vi": "Robot hàn sáu trục"},
        summary={"vi": "Hàn MIG."},
        keywords=["robot"],
        strategic_group="robotics",
        st_field="203",
    )
    await _scan(ctx)
    await _scan(ctx)
    alerts = await _alerts(session, user, "discovery.new_match")
    assert [a.data["item"]["id"] for a in alerts] == [offer["id"]]
    watches = (await client.get(WATCHES, headers=fund)).json()["items"]
    assert (await client.delete(f"{WATCHES}/{watches[0]['id']}", headers=fund)).status_code == 204
    assert (await client.get(WATCHES, headers=fund)).json()["items"] == []

"""Contact goes through the platform: a request to the owner, never details in the listing."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from app.context import AppContext
from app.models import ContactRequest, Notification
from tests import listing_helpers as lh
from tests.factories import auth_headers, login, make_user


async def test_listing_body_carries_no_contact_details(client, session, ctx: AppContext) -> None:
    user, headers, _ = await lh.author(client, session, ctx)
    listing = await lh.create(client, headers)
    body = (await client.get(f"/api/v1/listings/{listing['id']}")).json()
    text = str(body).lower()
    assert user.email.lower() not in text
    assert not {"email", "phone", "contact"} & (set(body) | set(body["owner"]))


async def test_contact_request_reaches_the_owner_and_only_the_owner(
    client, session, ctx: AppContext
) -> None:
    owner, headers, org = await lh.author(client, session, ctx)
    colleague = await make_user(session, ctx, roles=["scientist"], organisation_id=org.id)
    listing = await lh.create(client, headers)
    url = f"/api/v1/listings/{listing['id']}/contact-requests"
    reader, reader_headers = await login(client, session, ctx, roles=["enterprise"])

    sent = await client.post(url, json={"message": "Xin báo giá li-xăng."}, headers=reader_headers)
    assert sent.status_code == 201, sent.text
    assert sent.json()["requester"]["email"] == reader.email

    received = await client.get(url, headers=headers)
    assert received.status_code == 200
    [item] = received.json()["items"]
    assert item["message"] == "Xin báo giá li-xăng."
    assert item["requester"]["email"] == reader.email
    assert (await client.get(url, headers=reader_headers)).status_code == 404

    stored = await session.scalar(
        select(ContactRequest).where(ContactRequest.id == uuid.UUID(item["id"]))
    )
    assert stored is not None and stored.organisation_id == org.id
    notified = set(
        await session.scalars(
            select(Notification.user_id).where(Notification.kind == "listing.contact_request")
        )
    )
    assert {owner.id, colleague.id} <= notified


async def test_contact_request_needs_a_signed_in_user(client, session, ctx: AppContext) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    listing = await lh.create(client, headers)
    response = await client.post(
        f"/api/v1/listings/{listing['id']}/contact-requests", json={"message": "Xin chào"}
    )
    assert response.status_code == 401


async def test_closed_listing_takes_no_contact_request(client, session, ctx: AppContext) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    listing = await lh.create(client, headers, status="closed")
    reader = await make_user(session, ctx, roles=["fund"])
    response = await client.post(
        f"/api/v1/listings/{listing['id']}/contact-requests",
        json={"message": "Còn chuyển giao không?"},
        headers=await auth_headers(client, reader),
    )
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/listing-not-open"


async def test_owner_cannot_contact_their_own_listing(client, session, ctx: AppContext) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    listing = await lh.create(client, headers)
    response = await client.post(
        f"/api/v1/listings/{listing['id']}/contact-requests",
        json={"message": "test"},
        headers=headers,
    )
    assert response.status_code == 409

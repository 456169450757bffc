"""Helpers for the deal tests: the two sides of a deal on an initiative or a listing, and moves."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import Initiative, User
from app.services.initiatives.access import terms
from tests import listing_helpers as lh
from tests.factories import login
from tests.initiative_helpers import published

API = "/api/v1/deals"
# The happy path, as (target, side) from ``interest``.
PATH = [
    ("access_requested", "party"),
    ("meeting", "owner"),
    ("term_sheet", "party"),
    ("contract", "owner"),
    ("completed", "party"),
]


@dataclasses.dataclass
class Table:
    """A deal with both sides at the table: the interested party and the owner side."""

    kind: str
    subject_id: str
    deal: dict[str, Any]
    party: dict[str, str]
    owner: dict[str, str]
    party_user: User
    owner_user: User
    admin: dict[str, str] | None = None

    @property
    def id(self) -> str:
        return str(self.deal["id"])

    def headers(self, side: str) -> dict[str, str]:
        return self.party if side == "party" else self.owner


def nda() -> dict[str, Any]:
    return {"nda_version": str(terms()["version"]), "nda_accepted": True}


def body_for(kind: str, target: str, **extra: Any) -> dict[str, Any]:
    """A valid body for a move to ``target`` on a deal about a ``kind``."""
    body: dict[str, Any] = {"to": target}
    if target == "access_requested":
        body.update(nda() if kind == "initiative" else {"message": "Xin được trao đổi thêm"})
    if target == "declined":
        body["reason"] = "too_early_stage"
    return {**body, **extra}


async def express(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str, subject_id: str, **extra: Any
) -> httpx.Response:
    body = {"subject_kind": kind, "subject_id": subject_id, **extra}
    return await client.post(API, json=body, headers=headers)


async def initiative_table(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, *, role: str = "fund"
) -> Table:
    initiative, who = await published(client, session, ctx)
    party_user, party = await login(client, session, ctx, roles=[role])
    response = await express(client, party, "initiative", initiative["id"], message="Quỹ quan tâm")
    assert response.status_code == 201, response.text
    owner_id = await session.scalar(
        select(Initiative.owner_id).where(Initiative.id == uuid.UUID(initiative["id"]))
    )
    owner_user = await session.get(User, owner_id)
    assert owner_user is not None
    return Table(
        "initiative",
        initiative["id"],
        response.json(),
        party,
        who.owner_headers,
        party_user,
        owner_user,
        who.admin_headers,
    )


async def listing_table(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, *, role: str = "enterprise"
) -> Table:
    _, author_headers, organisation = await lh.author(client, session, ctx)
    listing = await lh.create(client, author_headers)
    # Another member of the listing's organisation answers for the owner side.
    owner_user, owner, _ = await lh.author(client, session, ctx, organisation=organisation)
    party_user, party, _ = await lh.author(client, session, ctx, roles=(role,))
    response = await express(client, party, "listing", listing["id"])
    assert response.status_code == 201, response.text
    return Table("listing", listing["id"], response.json(), party, owner, party_user, owner_user)


async def table(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, kind: str
) -> Table:
    if kind == "initiative":
        return await initiative_table(client, session, ctx)
    return await listing_table(client, session, ctx)


async def etag(client: httpx.AsyncClient, deal_id: str, headers: dict[str, str]) -> str:
    response = await client.get(f"{API}/{deal_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


async def move(
    client: httpx.AsyncClient,
    deal_id: str,
    headers: dict[str, str],
    body: dict[str, Any],
    *,
    if_match: str | None = None,
) -> httpx.Response:
    """Send one move with the current ETag (or the one given)."""
    tag = if_match or await etag(client, deal_id, headers)
    return await client.post(
        f"{API}/{deal_id}/moves", json=body, headers={**headers, "If-Match": tag}
    )


async def grant_access(client: httpx.AsyncClient, t: Table) -> None:
    deal = (await client.get(f"{API}/{t.id}", headers=t.party)).json()
    url = f"/api/v1/initiatives/{t.subject_id}/access-requests/{deal['access_request_id']}/decision"
    response = await client.post(
        url, json={"decision": "granted", "reason": "Đã ký NDA"}, headers=t.owner
    )
    assert response.status_code == 200, response.text


async def advance(client: httpx.AsyncClient, t: Table, stage: str) -> dict[str, Any]:
    """Drive the deal from ``interest`` to ``stage`` through the API; the last answer."""
    deal = t.deal
    for target, side in PATH:
        if deal["stage"] == stage:
            break
        if target == "meeting" and t.kind == "initiative":
            await grant_access(client, t)
        response = await move(client, t.id, t.headers(side), body_for(t.kind, target))
        assert response.status_code == 200, response.text
        deal = response.json()
    assert deal["stage"] == stage
    return deal


# How many moves from ``interest`` each stage of the happy path is.
PATH_INDEX = {"interest": 0, **{target: i + 1 for i, (target, _) in enumerate(PATH)}}

"""Helpers for the listing tests: valid payloads, authors, direct bulk inserts, paging."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import Listing, Organisation, User
from app.models.base import utcnow
from app.services.listings.records import derived_columns
from tests.factories import auth_headers, make_organisation, make_user

_seq = itertools.count(1)


def payload(**overrides: Any) -> dict[str, Any]:
    """A complete, valid listing body (every field of the standard)."""
    body: dict[str, Any] = {
        "kind": "offer",
        "title": {
            "vi": "Chế phẩm vi sinh xử lý rơm rạ thành phân bón hữu cơ",
            "en": "Microbial product turning rice straw into organic fertiliser",
        },
        "summary": {
            "vi": "Chế phẩm gồm ba chủng vi khuẩn phân giải cellulose, ủ rơm trong 21 ngày.",
            "en": "Three cellulose-degrading bacterial strains compost straw in 21 days.",
        },
        "description": {
            "vi": "Quy trình đã thử nghiệm tại Đồng bằng sông Cửu Long trên 50 ha lúa.",
            "en": "Tested in the Mekong Delta on 50 ha of rice.",
        },
        "strategic_group": "biotech",
        "st_field": "406",
        "ipc": ["C05F 11/08", "C12N 1/20"],
        "keywords": ["phân bón hữu cơ", "vi sinh vật", "rơm rạ"],
        "trl": 6,
        "ip_status": "granted",
        "transaction_types": ["license_non_exclusive", "technical_cooperation"],
        "price": {"amount": 450_000_000, "currency": "VND", "negotiable": True},
        "province": "CT",
    }
    body.update(overrides)
    return body


async def author(
    client: httpx.AsyncClient,
    session: AsyncSession,
    ctx: AppContext,
    *,
    roles: Sequence[str] = ("scientist",),
    organisation: Organisation | None = None,
) -> tuple[User, dict[str, str], Organisation]:
    """A signed-in member of an organisation (a new one unless given)."""
    organisation = organisation or await make_organisation(session, province="CT")
    user = await make_user(session, ctx, roles=roles, organisation_id=organisation.id)
    return user, await auth_headers(client, user), organisation


async def create(client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any) -> Any:
    response = await client.post("/api/v1/listings", json=payload(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def row(organisation_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    """Column values of a listing for a Core insert, derived columns included."""
    n = next(_seq)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "kind": "offer",
        "title": {"vi": f"Công nghệ thử nghiệm số {n}"},
        "summary": {"vi": "Tóm tắt."},
        "description": None,
        "strategic_group": "ai",
        "st_field": None,
        "ipc": [],
        "keywords": [],
        "trl": 5,
        "ip_status": "none",
        "transaction_types": [],
        "province": "HN",
        "organisation_id": organisation_id,
        "status": "active",
        "expires_at": utcnow() + timedelta(days=30),
        "origin_exchange": "LOCAL",
    }
    values.update(overrides)
    values.setdefault("origin_id", str(values["id"]))
    return {**values, **derived_columns(values)}


async def bulk_insert(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert rows the way batch ingest does (Core executemany), and make them visible."""
    await session.execute(insert(Listing), rows)
    await session.commit()


async def search(client: httpx.AsyncClient, **params: Any) -> Any:
    response = await client.get("/api/v1/listings", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def all_ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    """Every result id, page after page."""
    ids: list[str] = []
    params = {"limit": 200, "facets": "false", **params}
    while True:
        page = await search(client, **params)
        ids += [item["id"] for item in page["items"]]
        if not page["next_cursor"]:
            return ids
        params["cursor"] = page["next_cursor"]

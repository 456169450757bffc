"""Helpers for the initiative tests: payloads, and driving an initiative through the workflow."""

from __future__ import annotations

import dataclasses
import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.core.config import StorageSettings
from app.models import AuditEntry
from tests.factories import login

API = "/api/v1/initiatives"
CONFIDENTIAL_WORD = "xyzzyquasar"
_seq = itertools.count(1)

# Through the workflow to each state, as (target, actor, reason); "submit" is POST /submit.
PATH_TO: dict[str, list[tuple[str, str, str | None]]] = {
    "submitted": [("submit", "owner", None)],
    "screening": [("submit", "owner", None), ("screening", "admin", None)],
    "under_review": [
        ("submit", "owner", None),
        ("screening", "admin", None),
        ("under_review", "admin", None),
    ],
    "selected": [
        ("submit", "owner", None),
        ("screening", "admin", None),
        ("under_review", "admin", None),
        ("selected", "admin", None),
    ],
    "published": [
        ("submit", "owner", None),
        ("screening", "admin", None),
        ("under_review", "admin", None),
        ("selected", "admin", None),
        ("published", "admin", None),
    ],
}


def payload(**overrides: Any) -> dict[str, Any]:
    """A complete, valid initiative: it can be submitted as it is."""
    n = next(_seq)
    body: dict[str, Any] = {
        "title": {
            "vi": f"Cảm biến độ mặn cho đồng bằng sông Cửu Long {n}",
            "en": "Salinity sensor",
        },
        "summary": {"vi": "Mạng cảm biến giá rẻ cảnh báo xâm nhập mặn theo thời gian thực."},
        "description": {"vi": f"Mô tả chi tiết bí mật: điện cực {CONFIDENTIAL_WORD} phủ graphene."},
        "claims": ["Điện cực phủ graphene chống ăn mòn trong nước lợ."],
        "authors": [
            {"name": "Nguyễn Văn An", "affiliation": "Viện Hàn lâm KH&CN", "share": 60},
            {"name": "Trần Thị Bình", "share": 40},
        ],
        "initiative_class": "breakthrough",
        "strategic_group": "ai",
        "st_field": "202",
        "ipc": ["G01N 27/06", "G08B21/18"],
        "trl": 5,
        "funding_sought": {"amount": 1_500_000_000, "currency": "VND"},
        "province": "CT",
        "keywords": ["xâm nhập mặn", "cảm biến"],
        "declarations": {"no_infringement": True, "no_duplicate": True},
    }
    body.update(overrides)
    return body


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    response = await client.post(API, json=payload(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


@dataclasses.dataclass
class Actors:
    owner_headers: dict[str, str]
    admin_headers: dict[str, str]


async def actors(client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext) -> Actors:
    _, owner = await login(client, session, ctx, roles=["scientist"])
    _, admin = await login(client, session, ctx, roles=["admin"])
    return Actors(owner, admin)


async def step(
    client: httpx.AsyncClient,
    initiative_id: str,
    target: str,
    headers: dict[str, str],
    reason: str | None = None,
) -> httpx.Response:
    if target == "submit":
        return await client.post(f"{API}/{initiative_id}/submit", headers=headers)
    body: dict[str, Any] = {"to": target}
    if reason is not None:
        body["reason"] = reason
    return await client.post(f"{API}/{initiative_id}/transitions", json=body, headers=headers)


async def advance(client: httpx.AsyncClient, initiative_id: str, state: str, who: Actors) -> None:
    """Drive an initiative from draft to ``state`` through the API."""
    for target, actor, reason in PATH_TO[state]:
        headers = who.owner_headers if actor == "owner" else who.admin_headers
        response = await step(client, initiative_id, target, headers, reason)
        assert response.status_code == 201, response.text


async def published(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, **overrides: Any
) -> tuple[dict[str, Any], Actors]:
    who = await actors(client, session, ctx)
    initiative = await create(client, who.owner_headers, **overrides)
    await advance(client, initiative["id"], "published", who)
    return initiative, who


def use_storage(ctx: AppContext, directory: Path, *, max_bytes: int = 20 * 1024 * 1024) -> None:
    """Point this test's application at its own attachment directory and size limit."""
    storage = StorageSettings(attachments_dir=directory, max_attachment_bytes=max_bytes)
    ctx.settings = ctx.settings.model_copy(update={"storage": storage})


async def audit_actions(session: AsyncSession, initiative_id: str) -> list[str]:
    rows = await session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.subject_type == "initiative", AuditEntry.subject_id == initiative_id)
        .order_by(AuditEntry.seq)
    )
    return list(rows.all())


def field_paths(problem: dict[str, Any]) -> list[list[Any]]:
    return [error["loc"] for error in problem.get("errors", [])]


def techx(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``techx`` command against the database at ``url``, as an operator would."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "TECHX_DATABASE_URL": url},
        timeout=300,
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )

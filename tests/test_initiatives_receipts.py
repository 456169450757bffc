"""Submission receipts: signed, verifiable by anyone, bound to the stored version, and still
verifiable after the signing key is rotated."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import InitiativeVersion
from tests.factories import login
from tests.initiative_helpers import API, create, field_paths

VERIFY = "/api/v1/receipts/verify"


async def _submitted(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    initiative = await create(client, headers)
    response = await client.post(f"{API}/{initiative['id']}/submit", headers=headers)
    assert response.status_code == 201, response.text
    return initiative, response.json(), headers


def _flip(text: str, index: int = -5) -> str:
    """The same text with one character replaced by another of the same kind."""
    chars = list(text)
    old = chars[index]
    chars[index] = ("1" if old != "1" else "2") if old.isdigit() else ("a" if old != "a" else "b")
    return "".join(chars)


async def test_submit_returns_a_signed_receipt_for_the_frozen_version(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, receipt, _ = await _submitted(client, session, ctx)

    assert receipt["initiative_id"] == initiative["id"]
    assert receipt["version"] == 1
    assert receipt["alg"] == "RS256"
    assert receipt["issued_at"].endswith("Z")
    stored = await session.scalar(
        select(InitiativeVersion).where(
            InitiativeVersion.initiative_id == uuid.UUID(initiative["id"])
        )
    )
    assert stored is not None
    canonical = json.dumps(
        stored.content, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert receipt["content_hash"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert stored.content["description"] == initiative["description"]
    assert stored.content["attachments"] == []
    key = await ctx.keyring.active_key(session)
    assert receipt["kid"] == key.kid


async def test_anyone_verifies_an_authentic_receipt(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, receipt, _ = await _submitted(client, session, ctx)
    response = await client.post(VERIFY, json=receipt)
    assert response.status_code == 200
    assert response.json() == {"valid": True, "reason": None}


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        ("initiative_id", "bad-signature"),
        ("version", "bad-signature"),
        ("content_hash", "bad-signature"),
        ("issued_at", "bad-signature"),
        ("kid", "unknown-key"),
        ("alg", "unsupported-algorithm"),
        ("signature", "bad-signature"),
    ],
)
async def test_receipt_with_one_changed_byte_does_not_verify(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, field: str, reason: str
) -> None:
    _, receipt, _ = await _submitted(client, session, ctx)
    value = receipt[field]
    forged = {**receipt, field: value + 1 if isinstance(value, int) else _flip(value)}
    assert forged != receipt

    response = await client.post(VERIFY, json=forged)
    assert response.status_code == 200
    assert response.json() == {"valid": False, "reason": reason}


async def test_signature_changed_in_its_last_character_does_not_verify(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, receipt, _ = await _submitted(client, session, ctx)
    for index in (-1, 0):
        forged = {**receipt, "signature": _flip(receipt["signature"], index)}
        response = await client.post(VERIFY, json=forged)
        assert response.json()["valid"] is False


async def test_receipt_issued_before_a_key_rotation_still_verifies(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, receipt, _ = await _submitted(client, session, ctx)
    _, admin = await login(client, session, ctx, roles=["admin"])
    rotated = await client.post("/api/v1/admin/signing-keys/rotate", headers=admin)
    assert rotated.status_code == 201
    assert rotated.json()["kid"] != receipt["kid"]

    response = await client.post(VERIFY, json=receipt)
    assert response.json() == {"valid": True, "reason": None}


async def test_receipt_no_longer_matching_the_stored_version_does_not_verify(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, receipt, _ = await _submitted(client, session, ctx)
    await session.execute(
        update(InitiativeVersion)
        .where(InitiativeVersion.initiative_id == uuid.UUID(receipt["initiative_id"]))
        .values(content={"title": {"vi": "Nội dung đã bị sửa"}})
    )
    await session.commit()

    response = await client.post(VERIFY, json=receipt)
    assert response.json() == {"valid": False, "reason": "stored-content-altered"}


async def test_malformed_receipt_answers_422(client: httpx.AsyncClient) -> None:
    response = await client.post(VERIFY, json={"initiative_id": "x", "version": "one"})
    assert response.status_code == 422
    paths = field_paths(response.json())
    assert ["body", "version"] in paths
    assert ["body", "signature"] in paths


async def test_resubmission_after_return_freezes_a_new_version_and_keeps_the_old(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, first, owner = await _submitted(client, session, ctx)
    _, admin = await login(client, session, ctx, roles=["admin"])
    url = f"{API}/{initiative['id']}"
    await client.post(f"{url}/transitions", json={"to": "screening"}, headers=admin)
    returned = await client.post(
        f"{url}/transitions", json={"to": "returned", "reason": "Bổ sung số liệu"}, headers=admin
    )
    assert returned.status_code == 201
    edit = await client.patch(url, json={"trl": 6}, headers={**owner, "If-Match": "*"})
    assert edit.status_code == 200, edit.text
    second = (await client.post(f"{url}/submit", headers=owner)).json()

    assert second["version"] == 2
    assert second["content_hash"] != first["content_hash"]
    versions = (await client.get(f"{url}/versions", headers=owner)).json()["items"]
    assert [v["number"] for v in versions] == [1, 2]
    old = (await client.get(f"{url}/versions/1", headers=owner)).json()
    assert old["content"]["trl"] == 5
    assert old["receipt"] == first
    for receipt in (first, second):
        assert (await client.post(VERIFY, json=receipt)).json()["valid"] is True


async def test_editing_a_submitted_initiative_answers_409(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, _, owner = await _submitted(client, session, ctx)
    response = await client.patch(
        f"{API}/{initiative['id']}", json={"trl": 9}, headers={**owner, "If-Match": "*"}
    )
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/initiative-not-editable"


async def test_receipt_version_and_timeline_share_one_submission_time(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, receipt, headers = await _submitted(client, session, ctx)
    url = f"{API}/{initiative['id']}"

    version = (await client.get(f"{url}/versions/1", headers=headers)).json()
    timeline = (await client.get(f"{url}/timeline", headers=headers)).json()
    submitted = next(e for e in timeline["entries"] if e["to_state"] == "submitted")

    issued = datetime.fromisoformat(receipt["issued_at"])
    assert issued == datetime.fromisoformat(version["created_at"])
    assert issued == datetime.fromisoformat(submitted["at"])
    assert version["receipt"]["issued_at"] == receipt["issued_at"]


async def test_versions_page_with_a_cursor(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, _, headers = await _submitted(client, session, ctx)
    _, admin = await login(client, session, ctx, roles=["admin"])
    url = f"{API}/{initiative['id']}"
    for target in ("screening", "returned"):
        body = {"to": target, "reason": "Bổ sung số liệu"}
        assert (
            await client.post(f"{url}/transitions", json=body, headers=admin)
        ).status_code == 201
    assert (await client.post(f"{url}/submit", headers=headers)).status_code == 201

    first = (await client.get(f"{url}/versions", params={"limit": 1}, headers=headers)).json()
    assert [v["number"] for v in first["items"]] == [1]
    params = {"limit": 1, "cursor": first["next_cursor"]}
    second = (await client.get(f"{url}/versions", params=params, headers=headers)).json()
    assert [v["number"] for v in second["items"]] == [2]
    assert second["next_cursor"] is None
    forged = await client.get(f"{url}/versions", params={"cursor": "x.y"}, headers=headers)
    assert forged.status_code == 400

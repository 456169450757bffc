"""Attachments: content-addressed storage, a size limit, downloads only for confidential
readers, each download in the access ledger, and their hashes in the frozen version."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from tests.factories import login
from tests.initiative_helpers import API, actors, advance, create, use_storage

CONTENT = "Bản vẽ điện cực – bí mật".encode() * 100


def _files_under(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()]


async def _upload(
    client: httpx.AsyncClient,
    initiative_id: str,
    headers: dict[str, str],
    data: bytes = CONTENT,
    name: str = "ban-ve.pdf",
) -> httpx.Response:
    return await client.post(
        f"{API}/{initiative_id}/attachments",
        files={"file": (name, data, "application/pdf")},
        headers=headers,
    )


async def test_upload_stores_the_file_under_its_sha256(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, tmp_path: Path
) -> None:
    use_storage(ctx, tmp_path)
    _, owner = await login(client, session, ctx, roles=["scientist"])
    draft = await create(client, owner)

    response = await _upload(client, draft["id"], owner)
    assert response.status_code == 201, response.text
    body = response.json()
    sha = hashlib.sha256(CONTENT).hexdigest()
    assert body["sha256"] == sha
    assert body["size"] == len(CONTENT)
    assert body["media_type"] == "application/pdf"
    assert _files_under(tmp_path) == [tmp_path / sha[:2] / sha]
    listed = await client.get(f"{API}/{draft['id']}/attachments", headers=owner)
    assert [a["id"] for a in listed.json()["items"]] == [body["id"]]


async def test_attachment_over_the_storage_limit_answers_413(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, tmp_path: Path
) -> None:
    use_storage(ctx, tmp_path, max_bytes=1000)
    _, owner = await login(client, session, ctx, roles=["scientist"])
    draft = await create(client, owner)

    response = await _upload(client, draft["id"], owner, data=b"x" * 1001)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/attachment-too-large"
    assert _files_under(tmp_path) == []
    assert (await client.get(f"{API}/{draft['id']}/attachments", headers=owner)).json()[
        "items"
    ] == []


async def test_the_same_file_twice_answers_409(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, tmp_path: Path
) -> None:
    use_storage(ctx, tmp_path)
    _, owner = await login(client, session, ctx, roles=["scientist"])
    draft = await create(client, owner)
    await _upload(client, draft["id"], owner)
    again = await _upload(client, draft["id"], owner, name="copy.pdf")
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/attachment-exists"


async def test_owner_downloads_and_the_read_is_logged_with_the_hash(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, tmp_path: Path
) -> None:
    use_storage(ctx, tmp_path)
    _, owner = await login(client, session, ctx, roles=["scientist"])
    draft = await create(client, owner)
    attachment = (
        await _upload(client, draft["id"], owner, name=unicodedata.normalize("NFD", "bản vẽ.pdf"))
    ).json()
    assert attachment["filename"] == "bản vẽ.pdf"

    response = await client.get(
        f"{API}/{draft['id']}/attachments/{attachment['id']}", headers=owner
    )
    assert response.status_code == 200
    assert response.content == CONTENT
    assert response.headers["content-type"].startswith("application/pdf")
    log = (await client.get(f"{API}/{draft['id']}/access-log", headers=owner)).json()["items"]
    assert [(e["action"], e["attachment_sha256"]) for e in log] == [
        ("initiative.attachment_read", attachment["sha256"])
    ]


async def test_others_get_404_for_attachments_without_a_grant(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, tmp_path: Path
) -> None:
    use_storage(ctx, tmp_path)
    who = await actors(client, session, ctx)
    _, other = await login(client, session, ctx, roles=["scientist"])
    _, fund = await login(client, session, ctx, roles=["fund"])
    initiative = await create(client, who.owner_headers)
    attachment = (await _upload(client, initiative["id"], who.owner_headers)).json()
    url = f"{API}/{initiative['id']}/attachments"

    assert (await client.get(f"{url}/{attachment['id']}", headers=other)).status_code == 404
    await advance(client, initiative["id"], "published", who)
    for headers in ({}, fund, other):
        assert (await client.get(f"{url}/{attachment['id']}", headers=headers)).status_code in (
            401,
            404,
        )
        assert (await client.get(url, headers=headers)).status_code in (401, 404)
    assert (await client.get(f"{API}/{initiative['id']}", headers=fund)).json()[
        "attachments"
    ] is None


async def test_submitted_version_carries_the_attachment_hashes(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, tmp_path: Path
) -> None:
    use_storage(ctx, tmp_path)
    _, owner = await login(client, session, ctx, roles=["scientist"])
    draft = await create(client, owner)
    first = (await _upload(client, draft["id"], owner)).json()
    second = (await _upload(client, draft["id"], owner, data=b"so lieu", name="data.csv")).json()
    await client.post(f"{API}/{draft['id']}/submit", headers=owner)

    version = (await client.get(f"{API}/{draft['id']}/versions/1", headers=owner)).json()
    assert version["content"]["attachments"] == sorted([first["sha256"], second["sha256"]])


async def test_attachments_are_frozen_once_submitted(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, tmp_path: Path
) -> None:
    use_storage(ctx, tmp_path)
    _, owner = await login(client, session, ctx, roles=["scientist"])
    draft = await create(client, owner)
    attachment = (await _upload(client, draft["id"], owner)).json()
    await client.post(f"{API}/{draft['id']}/submit", headers=owner)

    added = await _upload(client, draft["id"], owner, data=b"late")
    assert added.status_code == 409
    removed = await client.delete(
        f"{API}/{draft['id']}/attachments/{attachment['id']}", headers=owner
    )
    assert removed.status_code == 409


async def test_owner_removes_an_attachment_from_a_draft(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, tmp_path: Path
) -> None:
    use_storage(ctx, tmp_path)
    _, owner = await login(client, session, ctx, roles=["scientist"])
    draft = await create(client, owner)
    attachment = (await _upload(client, draft["id"], owner)).json()
    response = await client.delete(
        f"{API}/{draft['id']}/attachments/{attachment['id']}", headers=owner
    )
    assert response.status_code == 204
    assert (await client.get(f"{API}/{draft['id']}/attachments", headers=owner)).json()[
        "items"
    ] == []

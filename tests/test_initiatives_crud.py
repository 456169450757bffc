"""Drafting initiatives: validation, NFC storage, ETags, and 404 for other people's drafts."""

from __future__ import annotations

import unicodedata
import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import AuditEntry, Initiative
from tests.factories import login, make_organisation
from tests.initiative_helpers import API, audit_actions, create, field_paths, payload


async def test_scientist_creates_a_draft_and_reads_it_in_full(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    owner, headers = await login(client, session, ctx, roles=["scientist"])
    response = await client.post(API, json=payload(), headers=headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "draft"
    assert body["access"] == "full"
    assert body["owner_id"] == str(owner.id)
    assert body["authors"][0]["share"] == 60
    assert body["declarations"] == {"no_infringement": True, "no_duplicate": True}
    assert response.headers["location"] == f"{API}/{body['id']}"
    assert response.headers["etag"] == '"1"'
    read = await client.get(f"{API}/{body['id']}", headers=headers)
    assert read.status_code == 200
    assert read.json()["description"] == payload()["description"]


async def test_only_scientists_create_initiatives(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["fund"])
    response = await client.post(API, json=payload(), headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("override", "path"),
    [
        (
            {"authors": [{"name": "A", "share": 60}, {"name": "B", "share": 30}]},
            ["body", "authors"],
        ),
        ({"trl": 0}, ["body", "trl"]),
        ({"trl": 10}, ["body", "trl"]),
        ({"ipc": ["G06N 3/08", "G6N 3/08"]}, ["body", "ipc", 1]),
        ({"title": {"en": "No Vietnamese title"}}, ["body", "title"]),
        ({"strategic_group": "not-a-group"}, ["body", "strategic_group"]),
        ({"province": "ZZ"}, ["body", "province"]),
    ],
)
async def test_invalid_initiative_answers_422_naming_the_field(
    client: httpx.AsyncClient,
    session: AsyncSession,
    ctx: AppContext,
    override: dict[str, object],
    path: list[object],
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    response = await client.post(API, json=payload(**override), headers=headers)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/validation-error"
    assert path in field_paths(problem)


async def test_unknown_owner_organisation_answers_422_naming_it(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    body = payload(owner_organisation_id="00000000-0000-4000-8000-000000000000")
    response = await client.post(API, json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/initiative-reference-unknown"
    assert field_paths(response.json()) == [["body", "owner_organisation_id"]]


async def test_nfd_vietnamese_input_is_stored_as_nfc(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    title = "Công nghệ lọc nước nhiễm mặn"
    nfd = unicodedata.normalize("NFD", title)
    assert nfd != title
    body = payload(
        title={"vi": nfd},
        authors=[{"name": unicodedata.normalize("NFD", "Đặng Thị Hoa"), "share": 100}],
        keywords=[unicodedata.normalize("NFD", "nước mặn")],
    )
    created = await create(client, headers, **body)

    stored = await session.get(Initiative, uuid.UUID(created["id"]))
    assert stored is not None
    assert stored.title["vi"] == title
    assert stored.authors[0]["name"] == "Đặng Thị Hoa"
    assert stored.keywords == ["nước mặn"]
    assert "cong nghe loc nuoc" in stored.public_text


async def test_update_needs_if_match_and_refuses_a_stale_etag(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    created = await create(client, headers)
    url = f"{API}/{created['id']}"

    missing = await client.patch(url, json={"trl": 6}, headers=headers)
    assert missing.status_code == 428
    ok = await client.patch(url, json={"trl": 6}, headers={**headers, "If-Match": '"1"'})
    assert ok.status_code == 200, ok.text
    assert ok.json()["trl"] == 6
    assert ok.headers["etag"] == '"2"'
    stale = await client.patch(url, json={"trl": 7}, headers={**headers, "If-Match": '"1"'})
    assert stale.status_code == 412


async def test_update_refuses_null_for_a_required_field(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    created = await create(client, headers)
    response = await client.patch(
        f"{API}/{created['id']}", json={"title": None}, headers={**headers, "If-Match": "*"}
    )
    assert response.status_code == 422
    assert ["body", "title"] in field_paths(response.json())


async def test_update_with_shares_not_summing_to_100_answers_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    created = await create(client, headers)
    response = await client.patch(
        f"{API}/{created['id']}",
        json={"authors": [{"name": "An", "share": 101}]},
        headers={**headers, "If-Match": "*"},
    )
    assert response.status_code == 422
    assert ["body", "authors", 0, "share"] in field_paths(response.json())


async def test_other_scientist_gets_404_on_every_route_of_a_foreign_draft(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, a_headers = await login(client, session, ctx, roles=["scientist"])
    _, b_headers = await login(client, session, ctx, roles=["scientist"])
    draft = await create(client, a_headers)
    url = f"{API}/{draft['id']}"

    answers = [
        await client.get(url, headers=b_headers),
        await client.patch(url, json={"trl": 3}, headers={**b_headers, "If-Match": "*"}),
        await client.post(f"{url}/submit", headers=b_headers),
        await client.post(
            f"{url}/transitions", json={"to": "withdrawn", "reason": "x"}, headers=b_headers
        ),
        await client.get(f"{url}/attachments", headers=b_headers),
        await client.post(f"{url}/attachments", files={"file": ("a.txt", b"x")}, headers=b_headers),
        await client.get(f"{url}/access-log", headers=b_headers),
        await client.get(f"{url}/timeline", headers=b_headers),
        await client.get(f"{url}/versions", headers=b_headers),
        await client.get(f"{url}/reviews", headers=b_headers),
    ]
    assert [a.status_code for a in answers] == [404] * len(answers)
    assert {a.json()["type"] for a in answers} == {"/problems/initiative-not-found"}
    assert await audit_actions(session, draft["id"]) == ["initiative.created"]


async def test_administrator_cannot_edit_someone_elses_draft(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, owner = await login(client, session, ctx, roles=["scientist"])
    _, admin = await login(client, session, ctx, roles=["admin"])
    draft = await create(client, owner)
    response = await client.patch(
        f"{API}/{draft['id']}", json={"trl": 2}, headers={**admin, "If-Match": "*"}
    )
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/initiative-edit-forbidden"


async def test_anonymous_gets_404_for_a_draft(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    draft = await create(client, headers)
    assert (await client.get(f"{API}/{draft['id']}")).status_code == 404


async def test_member_of_the_owner_organisation_reads_the_draft_in_full(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    org = await make_organisation(session)
    _, owner = await login(client, session, ctx, roles=["scientist"])
    colleague, colleague_headers = await login(client, session, ctx, roles=["scientist"])
    colleague.organisation_id = org.id
    await session.commit()
    draft = await create(client, owner, owner_organisation_id=str(org.id))

    response = await client.get(f"{API}/{draft['id']}", headers=colleague_headers)
    assert response.status_code == 200
    assert response.json()["access"] == "full"


async def test_an_update_is_audited_with_field_names_but_not_their_content(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    created = await create(client, headers)
    secret = "bí mật chưa công bố"
    response = await client.patch(
        f"{API}/{created['id']}",
        json={"description": {"vi": secret}, "trl": 4},
        headers={**headers, "If-Match": "*"},
    )
    assert response.status_code == 200
    entry = await session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "initiative.updated")
        .order_by(AuditEntry.seq.desc())
    )
    assert entry is not None
    assert entry.subject_id == created["id"]
    assert entry.data == {"fields": ["description", "trl"]}

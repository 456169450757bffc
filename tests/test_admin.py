"""Operator API: organisations, accounts, exchange clients, signing keys, jobs, idempotent POSTs."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

import httpx
from jose import jwt
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import ExchangeClient, IdempotencyKey, Job, Organisation, User
from app.models.base import utcnow
from tests.factories import auth_headers, login, make_organisation, make_user, token

PROBLEM_JSON = "application/problem+json"
ORGS = "/api/v1/organisations"
ADMIN = "/api/v1/admin"
CLIENTS = f"{ADMIN}/exchange-clients"
KEYS = f"{ADMIN}/signing-keys"


def problem(response: httpx.Response, status: int, type_: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == type_
    return body


async def admin_headers(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> dict[str, str]:
    _, headers = await login(client, session, ctx, roles=["admin"])
    return headers


async def saved_organisation(session: AsyncSession, **overrides: object) -> Organisation:
    org = await make_organisation(session, **overrides)
    await session.commit()
    return org


async def count_organisations(session: AsyncSession, name: str) -> int:
    stmt = select(func.count()).select_from(Organisation).where(Organisation.name == name)
    return int(await session.scalar(stmt) or 0)


async def all_pages(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    """Every page of a listing; each page but the last is full and carries a cursor."""
    pages: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(url, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "pagination does not end"


# --- organisations ---------------------------------------------------------------------------


async def test_admin_creates_organisation_with_location_and_etag(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    response = await client.post(
        ORGS,
        json={
            "name": "Viện Hóa học",
            "kind": "institute",
            "province": "HN",
            "tax_code": "0101234567",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"{ORGS}/{body['id']}"
    assert response.headers["etag"] == '"1"'
    assert body["version"] == 1
    assert (body["kind"], body["province"], body["tax_code"]) == ("institute", "HN", "0101234567")


async def test_nfd_organisation_name_is_stored_as_nfc(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    nfc = "Trường Đại học Bách khoa Hà Nội"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    response = await client.post(ORGS, json={"name": nfd, "kind": "university"}, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == nfc
    stored = await session.scalar(
        select(Organisation.name).where(Organisation.id == uuid.UUID(response.json()["id"]))
    )
    assert stored == nfc


async def test_duplicate_tax_code_returns_409(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    await saved_organisation(session, tax_code="0100000001")
    response = await client.post(
        ORGS,
        json={"name": "Công ty Trùng", "kind": "enterprise", "tax_code": "0100000001"},
        headers=headers,
    )
    body = problem(response, 409, "/problems/tax-code-taken")
    assert "0100000001" in body["detail"]
    assert await count_organisations(session, "Công ty Trùng") == 0


async def test_patch_to_taken_tax_code_returns_409(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    await saved_organisation(session, tax_code="0100000002")
    other = await saved_organisation(session, tax_code="0100000003")
    response = await client.patch(
        f"{ORGS}/{other.id}",
        json={"tax_code": "0100000002"},
        headers={**headers, "If-Match": '"1"'},
    )
    problem(response, 409, "/problems/tax-code-taken")


async def test_list_organisations_filters_by_kind(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    fund = await saved_organisation(session, kind="fund")
    await saved_organisation(session, kind="institute")
    response = await client.get(ORGS, params={"kind": "fund"}, headers=headers)
    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()["items"]] == [str(fund.id)]


async def test_list_organisations_filters_by_province(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    await saved_organisation(session, province="HN")
    hcm = await saved_organisation(session, province="HCM")
    response = await client.get(ORGS, params={"province": "HCM"}, headers=headers)
    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()["items"]] == [str(hcm.id)]


async def test_pagination_returns_each_organisation_exactly_once(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    created = {str((await make_organisation(session)).id) for _ in range(7)}
    await session.commit()
    pages = await all_pages(client, ORGS, headers, limit=3)
    assert [len(page["items"]) for page in pages] == [3, 3, 1]
    ids = [item["id"] for page in pages for item in page["items"]]
    assert len(ids) == len(set(ids)) == 7
    assert set(ids) == created
    assert pages[-1]["next_cursor"] is None


async def test_full_last_page_has_null_next_cursor(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    for _ in range(3):
        await make_organisation(session)
    await session.commit()
    response = await client.get(ORGS, params={"limit": 3}, headers=headers)
    assert len(response.json()["items"]) == 3
    assert response.json()["next_cursor"] is None


async def test_pagination_keeps_the_filter_across_pages(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    funds = set()
    for n in range(5):
        funds.add(str((await make_organisation(session, kind="fund")).id))
        await make_organisation(session, kind="agency", name=f"Sở {n}")
    await session.commit()
    pages = await all_pages(client, ORGS, headers, limit=2, kind="fund")
    ids = [item["id"] for page in pages for item in page["items"]]
    assert sorted(ids) == sorted(funds)


async def test_get_organisation_returns_etag(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    org = await saved_organisation(session)
    response = await client.get(f"{ORGS}/{org.id}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"1"'
    assert response.json()["name"] == org.name


async def test_get_unknown_organisation_returns_404(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    response = await client.get(f"{ORGS}/{uuid.uuid4()}", headers=headers)
    problem(response, 404, "/problems/organisation-not-found")


async def test_patch_organisation_without_if_match_returns_428(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    org = await saved_organisation(session)
    response = await client.patch(f"{ORGS}/{org.id}", json={"province": "DN"}, headers=headers)
    problem(response, 428, "/problems/precondition-required")


async def test_patch_organisation_with_stale_if_match_returns_412_and_keeps_row(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    org = await saved_organisation(session, province="HN")
    response = await client.patch(
        f"{ORGS}/{org.id}", json={"province": "DN"}, headers={**headers, "If-Match": '"7"'}
    )
    problem(response, 412, "/problems/precondition-failed")
    row = (
        await session.execute(
            select(Organisation.province, Organisation.version).where(Organisation.id == org.id)
        )
    ).one()
    assert tuple(row) == ("HN", 1)


async def test_patch_organisation_with_current_if_match_bumps_version(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    org = await saved_organisation(session, province="HN")
    etag = (await client.get(f"{ORGS}/{org.id}", headers=headers)).headers["etag"]
    response = await client.patch(
        f"{ORGS}/{org.id}", json={"province": "DN"}, headers={**headers, "If-Match": etag}
    )
    assert response.status_code == 200, response.text
    assert response.json()["province"] == "DN"
    assert response.json()["version"] == 2
    assert response.headers["etag"] == '"2"'
    again = await client.get(f"{ORGS}/{org.id}", headers=headers)
    assert again.headers["etag"] == '"2"'
    assert again.json()["province"] == "DN"


async def test_second_patch_with_the_first_etag_returns_412(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    org = await saved_organisation(session)
    first = await client.patch(
        f"{ORGS}/{org.id}", json={"province": "DN"}, headers={**headers, "If-Match": '"1"'}
    )
    assert first.status_code == 200, first.text
    second = await client.patch(
        f"{ORGS}/{org.id}", json={"province": "HP"}, headers={**headers, "If-Match": '"1"'}
    )
    problem(second, 412, "/problems/precondition-failed")


async def test_patch_organisation_name_to_null_returns_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    org = await saved_organisation(session)
    response = await client.patch(
        f"{ORGS}/{org.id}", json={"name": None}, headers={**headers, "If-Match": '"1"'}
    )
    body = problem(response, 422, "/problems/validation-error")
    assert [e["loc"] for e in body["errors"]] == [["body", "name"]]


async def test_patch_organisation_with_null_clears_an_optional_field(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    org = await saved_organisation(session, province="HN", name_en="Institute")
    response = await client.patch(
        f"{ORGS}/{org.id}", json={"province": None}, headers={**headers, "If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["province"], response.json()["name_en"]) == (None, "Institute")


async def test_scientist_cannot_create_organisation(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    response = await client.post(
        ORGS, json={"name": "Viện Lạ", "kind": "institute"}, headers=headers
    )
    problem(response, 403, "/problems/forbidden")
    assert await count_organisations(session, "Viện Lạ") == 0


async def test_scientist_cannot_patch_organisation(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    org = await saved_organisation(session, province="HN")
    response = await client.patch(
        f"{ORGS}/{org.id}", json={"province": "DN"}, headers={**headers, "If-Match": '"1"'}
    )
    problem(response, 403, "/problems/forbidden")


async def test_scientist_can_read_organisations(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    org = await saved_organisation(session)
    listed = await client.get(ORGS, headers=headers)
    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()["items"]] == [str(org.id)]
    one = await client.get(f"{ORGS}/{org.id}", headers=headers)
    assert one.status_code == 200, one.text


async def test_anonymous_cannot_list_organisations(client: httpx.AsyncClient) -> None:
    response = await client.get(ORGS)
    problem(response, 401, "/problems/unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_anonymous_cannot_create_organisation(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await client.post(ORGS, json={"name": "Viện Ẩn danh", "kind": "institute"})
    problem(response, 401, "/problems/unauthorized")
    assert await count_organisations(session, "Viện Ẩn danh") == 0


# --- users -----------------------------------------------------------------------------------


async def test_admin_creates_user_with_several_roles(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    response = await client.post(
        f"{ADMIN}/users",
        json={
            "email": "Reviewer.One@Example.VN",
            "password": "Long-Enough-Pass-1",
            "full_name": "Trần Thị Thẩm Định",
            "roles": ["scientist", "reviewer", "scientist"],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "reviewer.one@example.vn"
    assert body["roles"] == ["reviewer", "scientist"]
    assert response.headers["location"] == f"{ADMIN}/users/{body['id']}"


async def test_created_user_can_sign_in_with_their_roles(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    created = await client.post(
        f"{ADMIN}/users",
        json={
            "email": "fund.one@example.vn",
            "password": "Long-Enough-Pass-1",
            "full_name": "Quỹ Một",
            "roles": ["fund", "enterprise"],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    access = await token(client, "fund.one@example.vn", "Long-Enough-Pass-1")
    me = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {access}"})
    assert me.status_code == 200, me.text
    assert me.json()["roles"] == ["enterprise", "fund"]


async def test_admin_create_user_with_taken_email_returns_409(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    existing = await make_user(session, ctx)
    response = await client.post(
        f"{ADMIN}/users",
        json={
            "email": existing.email,
            "password": "Long-Enough-Pass-1",
            "full_name": "Bản Sao",
            "roles": ["scientist"],
        },
        headers=headers,
    )
    problem(response, 409, "/problems/email-taken")


async def test_admin_lists_users_by_role(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    reviewer = await make_user(session, ctx, roles=["reviewer", "scientist"])
    await make_user(session, ctx, roles=["fund"])
    await make_user(session, ctx, roles=["scientist"])
    response = await client.get(f"{ADMIN}/users", params={"role": "reviewer"}, headers=headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["id"] for item in items] == [str(reviewer.id)]
    assert items[0]["roles"] == ["reviewer", "scientist"]


async def test_users_pagination_returns_each_account_once(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    admin, headers = await login(client, session, ctx, roles=["admin"])
    made = {str((await make_user(session, ctx, roles=["fund"])).id) for _ in range(4)}
    pages = await all_pages(client, f"{ADMIN}/users", headers, limit=2)
    ids = [item["id"] for page in pages for item in page["items"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == made | {str(admin.id)}


async def test_admin_lists_users_with_unknown_role_returns_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    response = await client.get(f"{ADMIN}/users", params={"role": "wizard"}, headers=headers)
    body = problem(response, 422, "/problems/validation-error")
    assert [e["loc"] for e in body["errors"]] == [["query", "role"]]


async def test_admin_changes_roles_with_if_match(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    user = await make_user(session, ctx, roles=["scientist"])
    read = await client.get(f"{ADMIN}/users/{user.id}", headers=headers)
    etag = read.headers["etag"]
    response = await client.patch(
        f"{ADMIN}/users/{user.id}",
        json={"roles": ["fund", "reviewer"]},
        headers={**headers, "If-Match": etag},
    )
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["fund", "reviewer"]
    assert response.headers["etag"] != etag
    assert response.headers["etag"] == f'"{response.json()["version"]}"'
    again = await client.get(f"{ADMIN}/users/{user.id}", headers=headers)
    assert again.json()["roles"] == ["fund", "reviewer"]


async def test_admin_patch_user_without_if_match_returns_428(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    user = await make_user(session, ctx)
    response = await client.patch(
        f"{ADMIN}/users/{user.id}", json={"is_active": False}, headers=headers
    )
    problem(response, 428, "/problems/precondition-required")
    assert await session.scalar(select(User.is_active).where(User.id == user.id)) is True


async def test_admin_patch_user_with_stale_if_match_returns_412(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    user = await make_user(session, ctx)
    first = await client.patch(
        f"{ADMIN}/users/{user.id}", json={"roles": ["fund"]}, headers={**headers, "If-Match": '"1"'}
    )
    assert first.status_code == 200, first.text
    stale = await client.patch(
        f"{ADMIN}/users/{user.id}",
        json={"is_active": False},
        headers={**headers, "If-Match": '"1"'},
    )
    problem(stale, 412, "/problems/precondition-failed")


async def test_deactivated_user_token_stops_working(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    user, user_headers = await login(client, session, ctx, roles=["scientist"])
    assert (await client.get("/api/v1/users/me", headers=user_headers)).status_code == 200
    response = await client.patch(
        f"{ADMIN}/users/{user.id}",
        json={"is_active": False},
        headers={**headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    refused = await client.get("/api/v1/users/me", headers=user_headers)
    problem(refused, 401, "/problems/unauthorized")


async def test_demoted_admin_loses_admin_routes_at_once(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    other, other_headers = await login(client, session, ctx, roles=["admin"])
    assert (await client.get(f"{ADMIN}/users", headers=other_headers)).status_code == 200
    response = await client.patch(
        f"{ADMIN}/users/{other.id}",
        json={"roles": ["scientist"]},
        headers={**headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    problem(await client.get(f"{ADMIN}/users", headers=other_headers), 403, "/problems/forbidden")


async def test_get_unknown_user_returns_404(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    response = await client.get(f"{ADMIN}/users/{uuid.uuid4()}", headers=headers)
    problem(response, 404, "/problems/user-not-found")


async def test_scientist_cannot_list_users(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    problem(await client.get(f"{ADMIN}/users", headers=headers), 403, "/problems/forbidden")


# --- exchange clients ------------------------------------------------------------------------


async def create_exchange_client(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    payload = {"name": "Sàn giao dịch công nghệ Hà Nội", "exchange_code": "HN", **body}
    response = await client.post(CLIENTS, json=payload, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def client_token_status(client: httpx.AsyncClient, client_id: str, secret: str) -> int:
    response = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    return response.status_code


async def test_create_exchange_client_returns_its_secret_once(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    created = await create_exchange_client(client, headers, scopes=["sync:read", "sync:push"])
    secret = created["client_secret"]
    assert isinstance(secret, str) and len(secret) >= 32
    assert created["client_id"].startswith("hn-")
    assert created["scopes"] == ["sync:push", "sync:read"]
    stored = await session.scalar(
        select(ExchangeClient.secret_hash).where(ExchangeClient.id == uuid.UUID(created["id"]))
    )
    assert stored and secret not in stored
    assert await client_token_status(client, created["client_id"], secret) == 200


async def test_list_exchange_clients_shows_no_secret(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    created = await create_exchange_client(client, headers)
    response = await client.get(CLIENTS, headers=headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["id"] for item in items] == [created["id"]]
    assert not {"client_secret", "secret_hash", "previous_secret_hash"} & set(items[0])
    assert created["client_secret"] not in response.text


async def test_patch_exchange_client_scopes_with_if_match(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    created = await create_exchange_client(client, headers)
    response = await client.patch(
        f"{CLIENTS}/{created['id']}",
        json={"scopes": ["sync:read"]},
        headers={**headers, "If-Match": f'"{created["version"]}"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["scopes"] == ["sync:read"]
    assert response.json()["version"] == created["version"] + 1
    assert response.headers["etag"] == f'"{created["version"] + 1}"'


async def test_deactivated_exchange_client_cannot_get_a_token(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    created = await create_exchange_client(client, headers)
    response = await client.patch(
        f"{CLIENTS}/{created['id']}",
        json={"is_active": False},
        headers={**headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert await client_token_status(client, created["client_id"], created["client_secret"]) == 401


async def test_patch_exchange_client_with_stale_if_match_returns_412(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    created = await create_exchange_client(client, headers)
    response = await client.patch(
        f"{CLIENTS}/{created['id']}",
        json={"is_active": False},
        headers={**headers, "If-Match": '"9"'},
    )
    problem(response, 412, "/problems/precondition-failed")


async def test_patch_exchange_client_without_if_match_returns_428(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    created = await create_exchange_client(client, headers)
    response = await client.patch(
        f"{CLIENTS}/{created['id']}", json={"is_active": False}, headers=headers
    )
    problem(response, 428, "/problems/precondition-required")


async def test_patch_unknown_exchange_client_returns_404(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    response = await client.patch(
        f"{CLIENTS}/{uuid.uuid4()}",
        json={"is_active": False},
        headers={**headers, "If-Match": '"1"'},
    )
    problem(response, 404, "/problems/exchange-client-not-found")


# --- signing keys ----------------------------------------------------------------------------


async def test_signing_keys_list_shows_one_active_key(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    response = await client.get(KEYS, headers=headers)
    assert response.status_code == 200, response.text
    active = [key for key in response.json()["items"] if key["active"]]
    assert len(active) == 1
    assert active[0]["retired_at"] is None


async def test_rotating_signing_key_retires_the_old_one(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    before = (await client.get(KEYS, headers=headers)).json()["items"]
    old_kid = next(key["kid"] for key in before if key["active"])
    rotated = await client.post(KEYS + "/rotate", headers=headers)
    assert rotated.status_code == 201, rotated.text
    assert rotated.json()["active"] is True
    new_kid = rotated.json()["kid"]
    assert new_kid != old_kid
    after = {key["kid"]: key for key in (await client.get(KEYS, headers=headers)).json()["items"]}
    assert [kid for kid, key in after.items() if key["active"]] == [new_kid]
    assert after[old_kid]["active"] is False
    assert after[old_kid]["retired_at"] is not None


async def test_tokens_issued_after_rotation_use_the_new_key(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    admin, headers = await login(client, session, ctx, roles=["admin"])
    rotated = await client.post(KEYS + "/rotate", headers=headers)
    assert rotated.status_code == 201, rotated.text
    fresh = await token(client, admin.email)
    assert jwt.get_unverified_header(fresh)["kid"] == rotated.json()["kid"]
    me = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {fresh}"})
    assert me.status_code == 200, me.text


async def test_token_signed_before_rotation_still_works(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    assert (await client.post(KEYS + "/rotate", headers=headers)).status_code == 201
    response = await client.get(KEYS, headers=headers)
    assert response.status_code == 200, response.text


# --- jobs ------------------------------------------------------------------------------------


async def make_job(session: AsyncSession, *, status: str, kind: str = "test.job") -> Job:
    job = Job(kind=kind, payload={"n": 1}, status=status, attempts=0, max_attempts=3)
    if status == "dead":
        job.attempts, job.last_error, job.finished_at = 3, "boom", utcnow()
    session.add(job)
    await session.commit()
    return job


async def test_admin_lists_dead_jobs(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    dead = await make_job(session, status="dead")
    await make_job(session, status="queued")
    response = await client.get(f"{ADMIN}/jobs", params={"status": "dead"}, headers=headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["id"] for item in items] == [str(dead.id)]
    assert (items[0]["status"], items[0]["attempts"], items[0]["last_error"]) == ("dead", 3, "boom")


async def test_retry_requeues_a_dead_job(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    dead = await make_job(session, status="dead")
    response = await client.post(f"{ADMIN}/jobs/{dead.id}/retry", headers=headers)
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["attempts"]) == ("queued", 0)
    row = (
        await session.execute(
            select(Job.status, Job.attempts, Job.finished_at).where(Job.id == dead.id)
        )
    ).one()
    assert tuple(row) == ("queued", 0, None)


async def test_retry_of_a_job_that_is_not_dead_returns_409(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    queued = await make_job(session, status="queued")
    response = await client.post(f"{ADMIN}/jobs/{queued.id}/retry", headers=headers)
    problem(response, 409, "/problems/job-not-dead")


async def test_retry_of_unknown_job_returns_404(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = await admin_headers(client, session, ctx)
    response = await client.post(f"{ADMIN}/jobs/{uuid.uuid4()}/retry", headers=headers)
    problem(response, 404, "/problems/job-not-found")


async def test_scientist_cannot_list_jobs(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    problem(await client.get(f"{ADMIN}/jobs", headers=headers), 403, "/problems/forbidden")


# --- idempotency -----------------------------------------------------------------------------


async def test_same_idempotency_key_and_body_replays_the_first_answer(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = {**await admin_headers(client, session, ctx), "Idempotency-Key": "org-create-1"}
    body = {"name": "Viện Lặp lại", "kind": "institute"}
    first = await client.post(ORGS, json=body, headers=headers)
    second = await client.post(ORGS, json=body, headers=headers)
    assert first.status_code == second.status_code == 201, second.text
    assert "idempotent-replayed" not in first.headers
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["etag"] == first.headers["etag"]
    assert await count_organisations(session, "Viện Lặp lại") == 1


async def test_same_idempotency_key_with_other_body_returns_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = {**await admin_headers(client, session, ctx), "Idempotency-Key": "org-create-2"}
    first = await client.post(ORGS, json={"name": "Viện A", "kind": "institute"}, headers=headers)
    assert first.status_code == 201, first.text
    other = await client.post(ORGS, json={"name": "Viện B", "kind": "institute"}, headers=headers)
    problem(other, 422, "/problems/idempotency-key-reused")
    assert await count_organisations(session, "Viện B") == 0


async def test_idempotency_keys_are_per_principal(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    body = {"name": "Viện Hai Người", "kind": "institute"}
    first_admin = await admin_headers(client, session, ctx)
    second_admin = await admin_headers(client, session, ctx)
    key = {"Idempotency-Key": "shared-key"}
    first = await client.post(ORGS, json=body, headers={**first_admin, **key})
    second = await client.post(ORGS, json=body, headers={**second_admin, **key})
    assert first.status_code == second.status_code == 201, second.text
    assert "idempotent-replayed" not in second.headers
    assert second.json()["id"] != first.json()["id"]
    assert await count_organisations(session, "Viện Hai Người") == 2


async def test_failed_request_does_not_store_its_idempotency_key(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = {**await admin_headers(client, session, ctx), "Idempotency-Key": "org-create-3"}
    await saved_organisation(session, tax_code="0100000009")
    body = {"name": "Viện Sau", "kind": "institute", "tax_code": "0100000009"}
    problem(await client.post(ORGS, json=body, headers=headers), 409, "/problems/tax-code-taken")
    stored = await session.scalar(
        select(func.count()).select_from(IdempotencyKey).where(IdempotencyKey.key == "org-create-3")
    )
    assert stored == 0


async def test_idempotency_key_used_by_user_creation_is_not_reused_elsewhere(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    headers = {**await admin_headers(client, session, ctx), "Idempotency-Key": "one-key"}
    created = await client.post(
        ORGS, json={"name": "Viện Khóa", "kind": "institute"}, headers=headers
    )
    assert created.status_code == 201, created.text
    user = await client.post(
        f"{ADMIN}/users",
        json={
            "email": "key.reuse@example.vn",
            "password": "Long-Enough-Pass-1",
            "full_name": "Người Dùng",
            "roles": ["scientist"],
        },
        headers=headers,
    )
    problem(user, 422, "/problems/idempotency-key-reused")


async def test_replayed_organisation_still_reads_with_its_etag(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    admin = await make_user(session, ctx, roles=["admin"])
    headers = {**await auth_headers(client, admin), "Idempotency-Key": "org-create-4"}
    body = {"name": "Viện Đọc lại", "kind": "institute"}
    await client.post(ORGS, json=body, headers=headers)
    replay = await client.post(ORGS, json=body, headers=headers)
    read = await client.get(replay.headers["location"], headers=headers)
    assert read.status_code == 200, read.text
    assert read.headers["etag"] == replay.headers["etag"]

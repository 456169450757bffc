"""Accounts behind the tokens: exchange clients and their secrets, roles, self-registration and
the caller's own profile."""

from __future__ import annotations

import base64
import unicodedata
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import ExchangeClient, User
from app.models.base import utcnow
from tests.factories import PASSWORD, login, make_client, make_organisation, make_user, token

TOKEN_URL = "/api/v1/auth/token"
REGISTER_URL = "/api/v1/auth/register"
ME_URL = "/api/v1/users/me"
CLIENT_SECRET = "client-secret-2026"
PROBLEM_JSON = "application/problem+json"


# -- helpers --------------------------------------------------------------------------------------


def assert_problem(response: httpx.Response, status: int, type_: str | None = None) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    if type_ is not None:
        assert body["type"] == type_
    return body


async def client_grant(
    client: httpx.AsyncClient, client_id: str, secret: str = CLIENT_SECRET, **extra: str
) -> httpx.Response:
    data = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        **extra,
    }
    return await client.post(TOKEN_URL, data=data)


async def client_token(client: httpx.AsyncClient, client_id: str) -> dict[str, str]:
    response = await client_grant(client, client_id)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def registration(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": f"new-{uuid.uuid4().hex[:8]}@example.vn",
        "password": "A-long-enough-password",
        "full_name": "Trần Thị Lan",
    }
    body.update(overrides)
    return body


async def read_etag(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> str:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


async def count_users(session: AsyncSession, email: str) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(User).where(User.email == email)) or 0
    )


# -- client credentials ---------------------------------------------------------------------------


async def test_client_credentials_in_form_return_a_token_without_refresh_token(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    exchange = await make_client(session, ctx)
    response = await client_grant(client, exchange.client_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["access_token"]
    assert body["scope"] == "sync:push sync:read"
    assert "refresh_token" not in body


async def test_client_credentials_in_http_basic_return_a_token_without_refresh_token(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    exchange = await make_client(session, ctx)
    basic = base64.b64encode(f"{exchange.client_id}:{CLIENT_SECRET}".encode()).decode()
    response = await client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]
    assert "refresh_token" not in response.json()


async def test_client_credentials_with_wrong_secret_are_invalid_client_401(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    exchange = await make_client(session, ctx)
    response = await client_grant(client, exchange.client_id, "not-the-secret")
    assert assert_problem(response, 401, "/problems/invalid-client")["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


async def test_disabled_client_is_refused_a_token(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    exchange = await make_client(session, ctx)
    exchange.is_active = False
    await session.commit()
    response = await client_grant(client, exchange.client_id)
    assert assert_problem(response, 401, "/problems/invalid-client")["error"] == "invalid_client"


async def test_client_token_on_a_user_only_route_is_403(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    exchange = await make_client(session, ctx)
    response = await client.get(ME_URL, headers=await client_token(client, exchange.client_id))
    assert_problem(response, 403, "/problems/forbidden")


async def test_client_token_on_an_admin_route_is_403(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    exchange = await make_client(session, ctx)
    headers = await client_token(client, exchange.client_id)
    response = await client.get("/api/v1/admin/users", headers=headers)
    assert_problem(response, 403, "/problems/forbidden")


async def test_client_asking_for_a_scope_it_lacks_is_invalid_scope(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    exchange = await make_client(session, ctx, scopes=["sync:read"])
    response = await client_grant(client, exchange.client_id, scope="sync:push")
    assert assert_problem(response, 400, "/problems/invalid-scope")["error"] == "invalid_scope"


async def rotate_secret(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, exchange: ExchangeClient
) -> str:
    _, admin_headers = await login(client, session, ctx, roles=["admin"])
    response = await client.post(
        f"/api/v1/admin/exchange-clients/{exchange.id}/rotate-secret", headers=admin_headers
    )
    assert response.status_code == 200, response.text
    secret = str(response.json()["client_secret"])
    assert secret != CLIENT_SECRET
    return secret


async def test_rotated_client_secret_works(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    exchange = await make_client(session, ctx)
    new_secret = await rotate_secret(client, session, ctx, exchange)
    assert (await client_grant(client, exchange.client_id, new_secret)).status_code == 200


async def test_previous_client_secret_keeps_working_during_the_overlap(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    exchange = await make_client(session, ctx)
    await rotate_secret(client, session, ctx, exchange)
    assert (await client_grant(client, exchange.client_id, CLIENT_SECRET)).status_code == 200


async def test_previous_client_secret_fails_after_the_overlap(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    exchange = await make_client(session, ctx)
    new_secret = await rotate_secret(client, session, ctx, exchange)
    await session.refresh(exchange)
    exchange.previous_secret_expires_at = utcnow() - timedelta(minutes=1)
    await session.commit()
    response = await client_grant(client, exchange.client_id, CLIENT_SECRET)
    assert_problem(response, 401, "/problems/invalid-client")
    assert (await client_grant(client, exchange.client_id, new_secret)).status_code == 200


# -- roles ----------------------------------------------------------------------------------------


async def test_removed_admin_role_stops_working_for_an_existing_token(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, operator = await login(client, session, ctx, roles=["admin"])
    demoted, demoted_headers = await login(client, session, ctx, roles=["admin", "scientist"])
    assert (await client.get("/api/v1/admin/users", headers=demoted_headers)).status_code == 200
    url = f"/api/v1/admin/users/{demoted.id}"
    response = await client.patch(
        url,
        json={"roles": ["scientist"]},
        headers={**operator, "If-Match": await read_etag(client, url, operator)},
    )
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["scientist"]
    after = await client.get("/api/v1/admin/users", headers=demoted_headers)
    assert_problem(after, 403, "/problems/forbidden")


# -- registration ---------------------------------------------------------------------------------


async def test_registration_creates_a_scientist(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    body = registration()
    response = await client.post(REGISTER_URL, json=body)
    assert response.status_code == 201, response.text
    assert response.json()["roles"] == ["scientist"]
    assert response.json()["email"] == body["email"]
    assert await count_users(session, body["email"]) == 1


async def test_registration_stores_an_nfd_full_name_as_nfc(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    name = "Nguyễn Thị Hồng Nhung"
    body = registration(full_name=unicodedata.normalize("NFD", name))
    assert body["full_name"] != name
    response = await client.post(REGISTER_URL, json=body)
    assert response.status_code == 201, response.text
    stored = await session.scalar(select(User.full_name).where(User.email == body["email"]))
    assert stored == unicodedata.normalize("NFC", name)
    assert response.json()["full_name"] == stored


async def test_registering_a_taken_email_in_other_case_is_409(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    response = await client.post(REGISTER_URL, json=registration(email=user.email.upper()))
    assert_problem(response, 409, "/problems/email-taken")
    assert await count_users(session, user.email) == 1


async def test_registration_with_short_password_is_422_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(REGISTER_URL, json=registration(password="short"))
    body = assert_problem(response, 422)
    assert any("password" in error["loc"] for error in body["errors"])


async def test_registration_cannot_claim_membership_of_an_organisation(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    org = await make_organisation(session)
    await session.commit()
    body = registration(organisation_id=str(org.id))
    response = await client.post(REGISTER_URL, json=body)
    problem = assert_problem(response, 422)
    assert any("organisation_id" in error["loc"] for error in problem["errors"])
    assert await count_users(session, body["email"]) == 0


async def test_admin_links_a_registered_scientist_to_an_organisation(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    org = await make_organisation(session)
    await session.commit()
    created = await client.post(REGISTER_URL, json=registration())
    assert created.json()["organisation_id"] is None
    _, admin = await login(client, session, ctx, roles=["admin"])
    linked = await client.patch(
        f"/api/v1/admin/users/{created.json()['id']}",
        json={"organisation_id": str(org.id)},
        headers={**admin, "If-Match": '"1"'},
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["organisation_id"] == str(org.id)


async def test_registration_retried_with_the_same_idempotency_key_is_replayed_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    body = registration()
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    first = await client.post(REGISTER_URL, json=body, headers=headers)
    second = await client.post(REGISTER_URL, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await count_users(session, body["email"]) == 1


async def test_idempotency_key_reused_with_another_body_is_422(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    first = await client.post(REGISTER_URL, json=registration(), headers=headers)
    assert first.status_code == 201, first.text
    other = registration()
    response = await client.post(REGISTER_URL, json=other, headers=headers)
    assert_problem(response, 422, "/problems/idempotency-key-reused")
    assert await count_users(session, other["email"]) == 0


# -- own profile ----------------------------------------------------------------------------------


async def test_profile_update_without_if_match_is_428(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    response = await client.patch(ME_URL, json={"full_name": "Lê Văn Mới"}, headers=headers)
    assert_problem(response, 428, "/problems/precondition-required")


async def test_profile_update_with_stale_etag_is_412(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    etag = await read_etag(client, ME_URL, headers)
    first = await client.patch(
        ME_URL, json={"full_name": "Lê Văn Một"}, headers={**headers, "If-Match": etag}
    )
    assert first.status_code == 200, first.text
    stale = await client.patch(
        ME_URL, json={"full_name": "Lê Văn Hai"}, headers={**headers, "If-Match": etag}
    )
    assert_problem(stale, 412, "/problems/precondition-failed")
    assert (await client.get(ME_URL, headers=headers)).json()["full_name"] == "Lê Văn Một"


async def test_profile_update_with_current_etag_answers_a_new_etag(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    etag = await read_etag(client, ME_URL, headers)
    response = await client.patch(
        ME_URL, json={"full_name": "Phạm Thu Hà"}, headers={**headers, "If-Match": etag}
    )
    assert response.status_code == 200, response.text
    assert response.json()["full_name"] == "Phạm Thu Hà"
    assert response.headers["etag"] != etag
    assert await read_etag(client, ME_URL, headers) == response.headers["etag"]


async def test_password_change_with_wrong_current_password_is_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user, headers = await login(client, session, ctx, roles=["scientist"])
    etag = await read_etag(client, ME_URL, headers)
    response = await client.patch(
        ME_URL,
        json={"current_password": "Not-My-Password-1", "new_password": "Brand-New-Password-1"},
        headers={**headers, "If-Match": etag},
    )
    assert_problem(response, 422, "/problems/wrong-password")
    assert await token(client, user.email, PASSWORD)


async def test_password_change_replaces_the_login_password(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user, headers = await login(client, session, ctx, roles=["scientist"])
    etag = await read_etag(client, ME_URL, headers)
    response = await client.patch(
        ME_URL,
        json={"current_password": PASSWORD, "new_password": "Brand-New-Password-1"},
        headers={**headers, "If-Match": etag},
    )
    assert response.status_code == 200, response.text
    assert await token(client, user.email, "Brand-New-Password-1")
    old = await client.post(
        TOKEN_URL, data={"grant_type": "password", "username": user.email, "password": PASSWORD}
    )
    assert_problem(old, 400, "/problems/invalid-grant")

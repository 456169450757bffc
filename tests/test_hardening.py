"""Secrets at rest, session revocation and other defences an operator relies on."""

from __future__ import annotations

import base64
from datetime import timedelta
from urllib.parse import quote_plus

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Receive, Scope, Send

from app.context import AppContext
from app.core.config import Settings
from app.core.metrics import Metrics
from app.core.middleware import RequestContextMiddleware
from app.models import IdempotencyKey, RefreshToken, SigningKey
from app.models.base import utcnow
from app.services.accounts.keys import KeyRing
from tests.factories import PASSWORD, login, make_client, make_user

TOKEN_URL = "/api/v1/auth/token"


async def _password_login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(
        TOKEN_URL, data={"grant_type": "password", "username": email, "password": password}
    )


async def test_idempotency_table_keeps_no_password_or_secret_in_clear(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, admin = await login(client, session, ctx, roles=["admin"])
    created = await client.post(
        "/api/v1/admin/exchange-clients",
        json={"name": "Sàn Đà Nẵng", "exchange_code": "DN"},
        headers={**admin, "Idempotency-Key": "client-dn"},
    )
    secret = created.json()["client_secret"]
    register = {"email": "sealed@example.vn", "password": "Plain-Text-2026", "full_name": "Lê Văn"}
    await client.post("/api/v1/auth/register", json=register, headers={"Idempotency-Key": "r1"})

    rows = (await session.scalars(select(IdempotencyKey))).all()
    stored = " ".join(f"{r.fingerprint} {r.response_body}" for r in rows)
    assert len(rows) == 2
    assert secret not in stored
    assert "sealed@example.vn" not in stored
    replay = await client.post(
        "/api/v1/admin/exchange-clients",
        json={"name": "Sàn Đà Nẵng", "exchange_code": "DN"},
        headers={**admin, "Idempotency-Key": "client-dn"},
    )
    assert replay.json() == created.json()
    assert replay.headers["idempotent-replayed"] == "true"


async def test_anonymous_idempotency_keys_do_not_collide_across_clients(
    app, session: AsyncSession, ctx: AppContext
) -> None:
    headers = {"Idempotency-Key": "same-key"}
    bodies = [
        {
            "email": f"caller{i}@example.vn",
            "password": "Long-Enough-2026",
            "full_name": "Người Dùng",
        }
        for i in range(2)
    ]
    answers = []
    for host, body in zip(("10.1.0.1", "10.1.0.2"), bodies, strict=True):
        transport = httpx.ASGITransport(app=app, client=(host, 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://techx.test") as c:
            answers.append(await c.post("/api/v1/auth/register", json=body, headers=headers))
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["email"] != answers[1].json()["email"]


async def test_password_change_revokes_other_sessions(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    other_device = (await _password_login(client, user.email, PASSWORD)).json()
    this_device = (await _password_login(client, user.email, PASSWORD)).json()
    bearer = {"Authorization": f"Bearer {this_device['access_token']}", "If-Match": '"1"'}
    changed = await client.patch(
        "/api/v1/users/me",
        json={"current_password": PASSWORD, "new_password": "Brand-New-Pass-2026"},
        headers=bearer,
    )
    assert changed.status_code == 200
    refreshed = await client.post(
        TOKEN_URL,
        data={"grant_type": "refresh_token", "refresh_token": other_device["refresh_token"]},
    )
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    live = await session.scalars(
        select(RefreshToken).where(
            RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None)
        )
    )
    assert live.all() == []


async def test_jwks_leaves_out_keys_retired_beyond_the_grace_period(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    old_kids = {key["kid"] for key in (await client.get("/api/v1/auth/jwks")).json()["keys"]}
    _, admin = await login(client, session, ctx, roles=["admin"])
    rotated = await client.post("/api/v1/admin/signing-keys/rotate", headers=admin)
    new_kid = rotated.json()["kid"]
    within = {key["kid"] for key in (await client.get("/api/v1/auth/jwks")).json()["keys"]}
    assert within == old_kids | {new_kid}

    long_ago = utcnow() - timedelta(seconds=ctx.settings.auth.key_grace_seconds + 60)
    await session.execute(
        update(SigningKey).where(SigningKey.kid.in_(old_kids)).values(retired_at=long_ago)
    )
    await session.commit()
    ctx.keyring.invalidate()
    after = {key["kid"] for key in (await client.get("/api/v1/auth/jwks")).json()["keys"]}
    assert after == {new_kid}


async def test_a_changed_service_secret_gets_a_new_signing_key_instead_of_failing(
    session: AsyncSession, ctx: AppContext
) -> None:
    before = await ctx.keyring.active_key(session)
    ring = KeyRing("another-secret-entirely-0123456789")
    key = await ring.active_key(session)
    assert key.kid != before.kid
    assert (await ring.active_key(session)).kid == key.kid


async def test_basic_client_credentials_are_form_decoded(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    secret = "a b+c%d:é"
    exchange = await make_client(session, ctx, secret=secret)
    raw = f"{quote_plus(exchange.client_id)}:{quote_plus(secret)}".encode()
    response = await client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + base64.b64encode(raw).decode()},
    )
    assert response.status_code == 200, response.text


async def test_nul_character_in_text_is_a_validation_error_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    body = {"email": "nul@example.vn", "password": "Long-Enough-2026", "full_name": "Lê\x00Văn"}
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422
    assert ["body", "full_name"] in [e["loc"] for e in response.json()["errors"]]


def test_bootstrap_password_shorter_than_ten_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="BOOTSTRAP_ADMIN_PASSWORD"):
        Settings(bootstrap={"admin_email": "a@example.vn", "admin_password": "short"})


async def _echo_length(scope: Scope, receive: Receive, send: Send) -> None:
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


@pytest.mark.parametrize(
    ("path", "status"), [("/api/v1/initiatives/x/attachments", 200), ("/api/v1/other", 413)]
)
async def test_upload_paths_accept_larger_bodies_than_json_routes(path: str, status: int) -> None:
    middleware = RequestContextMiddleware(
        _echo_length, metrics=Metrics(), max_body_bytes=1000, upload_limits=[("/attachments", 5000)]
    )
    transport = httpx.ASGITransport(app=middleware)
    async with httpx.AsyncClient(transport=transport, base_url="http://techx.test") as c:
        response = await c.post(path, content=b"x" * 3000)
    assert response.status_code == status

"""Token endpoint and bearer verification: password and refresh grants, login rate limit,
refused access tokens, scope narrowing and signing-key rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
from jose import jwt
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.core.security import PrivateKey, encode_jwt, generate_key_pair
from app.models import LoginFailure, RefreshToken, SigningKey, User
from app.models.base import utcnow
from app.services.accounts.tokens import failure_key
from tests.factories import PASSWORD, login, make_user, token

ASGI_ADDRESS = "127.0.0.1"  # the client address httpx.ASGITransport reports

TOKEN_URL = "/api/v1/auth/token"
ME_URL = "/api/v1/users/me"
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


def assert_bearer_refused(response: httpx.Response) -> None:
    assert_problem(response, 401, "/problems/unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def password_grant(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD, **extra: str
) -> httpx.Response:
    data = {"grant_type": "password", "username": username, "password": password, **extra}
    return await client.post(TOKEN_URL, data=data)


async def refresh_grant(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return await client.post(TOKEN_URL, data=data)


async def get_me(client: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await client.get(ME_URL, headers={"Authorization": f"Bearer {access_token}"})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def user_claims(ctx: AppContext, user: User, **overrides: Any) -> dict[str, Any]:
    now = int(utcnow().timestamp())
    claims: dict[str, Any] = {
        "iss": ctx.settings.auth.issuer,
        "aud": ctx.settings.auth.audience,
        "sub": f"user:{user.id}",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "scope": "profile",
        "gty": "password",
    }
    claims.update(overrides)
    return claims


async def open_session(session: AsyncSession, user: User) -> str:
    """A live refresh-token family for hand-signed tokens to name as their ``sid``."""
    family = uuid.uuid4()
    session.add(
        RefreshToken(
            token_hash=uuid.uuid4().hex,
            family_id=family,
            user_id=user.id,
            scope="profile",
            expires_at=utcnow() + timedelta(days=1),
        )
    )
    await session.commit()
    return str(family)


async def sign_with_active_key(
    ctx: AppContext, session: AsyncSession, user: User, **overrides: Any
) -> str:
    key = await ctx.keyring.active_key(session)
    overrides.setdefault("sid", await open_session(session, user))
    return encode_jwt(user_claims(ctx, user, **overrides), key)


async def login_pair(client: httpx.AsyncClient, user: User) -> dict[str, Any]:
    response = await password_grant(client, user.email)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def fail_logins(client: httpx.AsyncClient, username: str, times: int) -> None:
    for _ in range(times):
        response = await password_grant(client, username, "Wrong-Password-0000")
        assert response.status_code == 400, response.text


# -- password grant -------------------------------------------------------------------------------


async def test_password_grant_returns_token_pair_with_scientist_scopes(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx, roles=["scientist"])
    response = await password_grant(client, user.email)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["access_token"] and body["refresh_token"]
    assert body["expires_in"] == ctx.settings.auth.access_ttl_seconds
    assert body["scope"] == "initiatives:write ip:write profile"
    assert (await get_me(client, body["access_token"])).json()["id"] == str(user.id)


async def test_password_grant_with_wrong_password_is_invalid_grant(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    response = await password_grant(client, user.email, "Not-The-Password-1")
    body = assert_problem(response, 400, "/problems/invalid-grant")
    assert body["error"] == "invalid_grant"
    assert "access_token" not in body


async def test_password_grant_for_unknown_account_answers_like_wrong_password(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    wrong_password = await password_grant(client, user.email, "Not-The-Password-1")
    unknown = await password_grant(client, "nobody-here@example.vn", "Not-The-Password-1")
    assert unknown.status_code == wrong_password.status_code == 400
    assert unknown.json() == wrong_password.json()


async def test_password_grant_for_inactive_user_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx, is_active=False)
    response = await password_grant(client, user.email)
    body = assert_problem(response, 400, "/problems/invalid-grant")
    assert body["error"] == "invalid_grant"


# -- login rate limit -----------------------------------------------------------------------------


async def test_eleventh_login_after_ten_failures_is_429_even_with_right_password(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    await fail_logins(client, user.email, ctx.settings.auth.login_max_failures)
    response = await password_grant(client, user.email)
    assert_problem(response, 429, "/problems/too-many-requests")
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= ctx.settings.auth.login_window_seconds


async def test_login_rate_limit_does_not_affect_another_account(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    locked = await make_user(session, ctx)
    other = await make_user(session, ctx)
    await fail_logins(client, locked.email, ctx.settings.auth.login_max_failures)
    assert (await password_grant(client, locked.email)).status_code == 429
    assert (await password_grant(client, other.email)).status_code == 200


async def test_login_failures_older_than_the_window_do_not_count(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    long_ago = utcnow() - timedelta(seconds=ctx.settings.auth.login_window_seconds + 5)
    session.add_all(
        LoginFailure(account=failure_key(ASGI_ADDRESS, user.email), failed_at=long_ago)
        for _ in range(ctx.settings.auth.login_max_failures)
    )
    await session.commit()
    response = await password_grant(client, user.email)
    assert response.status_code == 200, response.text


async def test_successful_login_clears_the_failure_counter(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    limit = ctx.settings.auth.login_max_failures
    await fail_logins(client, user.email, limit - 1)
    assert (await password_grant(client, user.email)).status_code == 200
    remaining = await session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.account == failure_key(ASGI_ADDRESS, user.email))
    )
    assert remaining == 0
    # Without the reset, this failure would be the limit-th and the next login a 429.
    await fail_logins(client, user.email, 1)
    assert (await password_grant(client, user.email)).status_code == 200


# -- refused access tokens ------------------------------------------------------------------------


async def test_hand_signed_token_with_the_active_key_is_accepted(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    response = await get_me(client, await sign_with_active_key(ctx, session, user))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(user.id)


async def test_token_signed_with_alg_none_is_refused_with_401(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    kid = (await ctx.keyring.active_key(session)).kid
    header = {"alg": "none", "typ": "JWT", "kid": kid}
    forged = f"{segment(header)}.{segment(user_claims(ctx, user))}."
    assert_bearer_refused(await get_me(client, forged))


async def test_token_signed_with_another_rsa_key_under_the_real_kid_is_refused_with_401(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    kid = (await ctx.keyring.active_key(session)).kid
    other_private, _ = generate_key_pair()
    forged = jwt.encode(
        user_claims(ctx, user), other_private, algorithm="RS256", headers={"kid": kid}
    )
    assert_bearer_refused(await get_me(client, forged))


async def test_expired_token_is_refused_with_401(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    now = int(utcnow().timestamp())
    expired = await sign_with_active_key(
        ctx, session, user, iat=now - 3600, nbf=now - 3600, exp=now - 60
    )
    assert_bearer_refused(await get_me(client, expired))


async def test_token_for_another_audience_is_refused_with_401(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    foreign = await sign_with_active_key(ctx, session, user, aud="some-other-api")
    assert_bearer_refused(await get_me(client, foreign))


async def test_token_from_another_issuer_is_refused_with_401(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    foreign = await sign_with_active_key(ctx, session, user, iss="https://issuer.example")
    assert_bearer_refused(await get_me(client, foreign))


async def test_hs256_token_keyed_with_the_public_key_pem_is_refused_with_401(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    kid = (await ctx.keyring.active_key(session)).kid
    public_key, _ = await ctx.keyring.public_key(session, kid)
    signing_input = f"{segment({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}."
    signing_input += segment(user_claims(ctx, user))
    mac = hmac.new(public_key.pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{b64url(mac)}"
    assert_bearer_refused(await get_me(client, forged))


async def test_token_with_unknown_kid_is_refused_with_401(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    active = await ctx.keyring.active_key(session)
    stranger = PrivateKey(kid="no-such-key", algorithm=active.algorithm, pem=active.pem)
    assert_bearer_refused(await get_me(client, encode_jwt(user_claims(ctx, user), stranger)))


async def test_garbage_bearer_token_is_refused_with_401(client: httpx.AsyncClient) -> None:
    assert_bearer_refused(await get_me(client, "this-is-not.a.jwt"))


async def test_missing_authorization_header_is_refused_with_401(
    client: httpx.AsyncClient,
) -> None:
    assert_bearer_refused(await client.get(ME_URL))


# -- refresh tokens -------------------------------------------------------------------------------


async def test_refresh_grant_returns_a_new_working_token_pair(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    first = await login_pair(client, user)
    response = await refresh_grant(client, first["refresh_token"])
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == first["scope"]
    assert (await get_me(client, second["access_token"])).status_code == 200


async def test_reused_refresh_token_is_refused_and_revokes_its_family(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    first = await login_pair(client, user)
    second = (await refresh_grant(client, first["refresh_token"])).json()
    replay = await refresh_grant(client, first["refresh_token"])
    assert assert_problem(replay, 400, "/problems/invalid-grant")["error"] == "invalid_grant"
    newest = await refresh_grant(client, second["refresh_token"])
    assert_problem(newest, 400, "/problems/invalid-grant")
    live = await session.scalar(
        select(func.count())
        .select_from(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
    )
    assert live == 0


async def test_revoked_refresh_token_can_no_longer_be_used(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    pair = await login_pair(client, user)
    revoked = await client.post("/api/v1/auth/revoke", data={"token": pair["refresh_token"]})
    assert revoked.status_code == 200, revoked.text
    assert_problem(
        await refresh_grant(client, pair["refresh_token"]), 400, "/problems/invalid-grant"
    )


async def test_refresh_for_user_deactivated_meanwhile_fails(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    pair = await login_pair(client, user)
    user.is_active = False
    await session.commit()
    assert_problem(
        await refresh_grant(client, pair["refresh_token"]), 400, "/problems/invalid-grant"
    )


# -- scope narrowing ------------------------------------------------------------------------------


async def test_password_grant_with_profile_scope_returns_only_profile(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx, roles=["scientist"])
    response = await password_grant(client, user.email, scope="profile")
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "profile"


async def test_password_grant_asking_for_a_scope_not_granted_is_invalid_scope(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx, roles=["scientist"])
    response = await password_grant(client, user.email, scope="profile admin")
    body = assert_problem(response, 400, "/problems/invalid-scope")
    assert body["error"] == "invalid_scope"


# -- signing-key rotation -------------------------------------------------------------------------


async def rotate_signing_key(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.post("/api/v1/admin/signing-keys/rotate", headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["kid"])


async def test_token_issued_before_key_rotation_still_works(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, admin_headers = await login(client, session, ctx, roles=["admin"])
    user = await make_user(session, ctx)
    before = await token(client, user.email)
    await rotate_signing_key(client, admin_headers)
    assert (await get_me(client, before)).status_code == 200


async def test_token_issued_after_key_rotation_names_the_new_kid(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, admin_headers = await login(client, session, ctx, roles=["admin"])
    user = await make_user(session, ctx)
    old_kid = jwt.get_unverified_header(await token(client, user.email))["kid"]
    new_kid = await rotate_signing_key(client, admin_headers)
    after = await token(client, user.email)
    assert new_kid != old_kid
    assert jwt.get_unverified_header(after)["kid"] == new_kid
    assert (await get_me(client, after)).status_code == 200


async def test_jwks_lists_both_keys_after_rotation(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, admin_headers = await login(client, session, ctx, roles=["admin"])
    old_kid = (await ctx.keyring.active_key(session)).kid
    new_kid = await rotate_signing_key(client, admin_headers)
    response = await client.get("/api/v1/auth/jwks")
    assert response.status_code == 200
    keys = {key["kid"]: key for key in response.json()["keys"]}
    assert {old_kid, new_kid} <= set(keys)
    assert all(keys[k]["kty"] == "RSA" and keys[k]["alg"] == "RS256" for k in (old_kid, new_kid))


async def test_token_signed_by_key_retired_beyond_grace_is_refused_with_401(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, admin_headers = await login(client, session, ctx, roles=["admin"])
    user = await make_user(session, ctx)
    before = await token(client, user.email)
    old_kid = jwt.get_unverified_header(before)["kid"]
    await rotate_signing_key(client, admin_headers)
    long_ago = utcnow() - timedelta(seconds=ctx.settings.auth.key_grace_seconds + 60)
    await session.execute(
        update(SigningKey).where(SigningKey.kid == old_kid).values(retired_at=long_ago)
    )
    await session.commit()
    ctx.keyring.invalidate()
    assert_bearer_refused(await get_me(client, before))


async def test_signing_key_rotation_is_refused_to_a_non_admin(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    response = await client.post("/api/v1/admin/signing-keys/rotate", headers=headers)
    assert_problem(response, 403, "/problems/forbidden")
    assert (
        await session.scalar(
            select(func.count()).select_from(SigningKey).where(SigningKey.retired_at.is_(None))
        )
        == 1
    )

"""Access tokens end with their session, have one encoding, and stay on their side of the line."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from tests.factories import PASSWORD, make_client, make_user

TOKEN_URL = "/api/v1/auth/token"
ME = "/api/v1/users/me"


async def _login(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    form = {"grant_type": "password", "username": email, "password": PASSWORD}
    response = await client.post(TOKEN_URL, data=form)
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def _bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def test_access_token_stops_working_after_a_password_change(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    other_device = await _login(client, user.email)
    this_device = await _login(client, user.email)
    assert (await client.get(ME, headers=_bearer(other_device["access_token"]))).status_code == 200
    changed = await client.patch(
        ME,
        json={"current_password": PASSWORD, "new_password": "Brand-New-Pass-2026"},
        headers={**_bearer(this_device["access_token"]), "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    for tokens in (other_device, this_device):
        assert (await client.get(ME, headers=_bearer(tokens["access_token"]))).status_code == 401
    fresh = await client.post(
        TOKEN_URL,
        data={"grant_type": "password", "username": user.email, "password": "Brand-New-Pass-2026"},
    )
    assert (await client.get(ME, headers=_bearer(fresh.json()["access_token"]))).status_code == 200


async def test_logout_with_the_refresh_token_ends_its_access_token_only(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    leaving, staying = await _login(client, user.email), await _login(client, user.email)
    out = await client.post("/api/v1/auth/revoke", data={"token": leaving["refresh_token"]})
    assert out.status_code == 200
    assert (await client.get(ME, headers=_bearer(leaving["access_token"]))).status_code == 401
    assert (await client.get(ME, headers=_bearer(staying["access_token"]))).status_code == 200


async def test_logout_with_the_access_token_ends_the_session(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    tokens = await _login(client, user.email)
    out = await client.post("/api/v1/auth/revoke", data={"token": tokens["access_token"]})
    assert out.status_code == 200
    assert (await client.get(ME, headers=_bearer(tokens["access_token"]))).status_code == 401
    refreshed = await client.post(
        TOKEN_URL, data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 400


@pytest.mark.parametrize("suffix", ["=", "=="])
async def test_signature_with_padding_appended_is_refused(
    suffix: str, client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    access = (await _login(client, user.email))["access_token"]
    assert (await client.get(ME, headers=_bearer(access))).status_code == 200
    assert (await client.get(ME, headers=_bearer(access + suffix))).status_code == 401


async def test_signature_with_changed_trailing_bits_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user = await make_user(session, ctx)
    access = (await _login(client, user.email))["access_token"]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # RS256 signatures are 256 bytes: 342 characters whose last one carries 4 unused bits.
    last = alphabet.index(access[-1])
    sibling = access[:-1] + alphabet[last | 1 if last % 2 == 0 else last & ~1]
    assert sibling != access
    assert (await client.get(ME, headers=_bearer(sibling))).status_code == 401


async def test_exchange_client_token_cannot_read_ip_stats(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    machine = await make_client(session, ctx, secret="client-secret-2026")
    grant = {
        "grant_type": "client_credentials",
        "client_id": machine.client_id,
        "client_secret": "client-secret-2026",
    }
    access = (await client.post(TOKEN_URL, data=grant)).json()["access_token"]
    response = await client.get("/api/v1/ip-stats", headers=_bearer(access))
    assert response.status_code == 403
    user = await make_user(session, ctx)
    person = (await _login(client, user.email))["access_token"]
    assert (await client.get("/api/v1/ip-stats", headers=_bearer(person))).status_code == 200

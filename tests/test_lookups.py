"""Point lookups through the engine's own channel (a loop-thread SQLite connection, a bare
asyncpg pool), as the server runs them: on a database of their own, with committed data.

The rest of the suite runs every request inside one transaction it rolls back, where lookups
fall back to that transaction's connection; here nothing is shared, so what the tests see is
what a client of the running server sees.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy import delete, select, update

from app.context import AppContext
from app.core import lookups
from app.models import ExchangeClient, Listing, User, UserRole
from app.services.accounts import tokens
from tests import listing_helpers as lh
from tests.factories import PASSWORD, make_client, make_organisation, make_user


async def _sign_in(client: httpx.AsyncClient, email: str) -> dict[str, object]:
    response = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": email, "password": PASSWORD},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _bearer(pair: dict[str, object]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def test_lookup_rows_are_typed_as_the_orm_types_them(own_ctx: AppContext) -> None:
    async with own_ctx.sessionmaker() as session:
        user = await make_user(session, own_ctx, roles=("scientist", "fund"))
    # No open session with that family: the account is not returned.
    unknown_session = {"user_id": user.id, "family": uuid.uuid4()}
    assert await lookups.fetch(own_ctx.sessionmaker, tokens._USER_BY_SESSION, unknown_session) == []
    statement = select(*tokens._USER_COLUMNS).where(User.email == user.email)
    (row,) = await lookups.fetch(own_ctx.sessionmaker, statement, {})
    loaded = lookups.detached(User, row)
    assert loaded.id == user.id and isinstance(loaded.id, uuid.UUID)
    assert loaded.is_active is True
    assert loaded.created_at.tzinfo is UTC and loaded.created_at == user.created_at
    assert loaded.version == 1


async def test_account_read_follows_revocation_deactivation_and_roles_at_once(
    own_ctx: AppContext, own_client: httpx.AsyncClient
) -> None:
    async with own_ctx.sessionmaker() as session:
        user = await make_user(session, own_ctx, roles=("scientist", "admin"))
    pair = await _sign_in(own_client, user.email)

    me = await own_client.get("/api/v1/users/me", headers=_bearer(pair))
    assert me.status_code == 200, me.text
    assert me.json()["email"] == user.email
    assert sorted(me.json()["roles"]) == ["admin", "scientist"]
    assert me.headers["etag"] == '"1"'
    assert (await own_client.get("/api/v1/admin/users", headers=_bearer(pair))).status_code == 200

    # A role taken away in the database stops working on the next request.
    async with own_ctx.sessionmaker() as session:
        await session.execute(
            delete(UserRole).where(UserRole.user_id == user.id, UserRole.role == "admin")
        )
        await session.commit()
    assert (await own_client.get("/api/v1/admin/users", headers=_bearer(pair))).status_code == 403
    assert (await own_client.get("/api/v1/users/me", headers=_bearer(pair))).json()["roles"] == [
        "scientist"
    ]

    # Ending the session ends its access token at once, though the token is remembered.
    revoked = await own_client.post("/api/v1/auth/revoke", data={"token": pair["refresh_token"]})
    assert revoked.status_code == 200, revoked.text
    assert (await own_client.get("/api/v1/users/me", headers=_bearer(pair))).status_code == 401

    # A deactivated account is refused with a fresh session too.
    second = await _sign_in(own_client, user.email)
    assert (await own_client.get("/api/v1/users/me", headers=_bearer(second))).status_code == 200
    async with own_ctx.sessionmaker() as session:
        await session.execute(update(User).where(User.id == user.id).values(is_active=False))
        await session.commit()
    refused = await own_client.get("/api/v1/users/me", headers=_bearer(second))
    assert refused.status_code == 401
    assert refused.json()["type"].endswith("/unauthorized")


async def test_a_changed_account_is_saved_through_the_account_read_by_lookup(
    own_ctx: AppContext, own_client: httpx.AsyncClient
) -> None:
    async with own_ctx.sessionmaker() as session:
        user = await make_user(session, own_ctx)
    headers = _bearer(await _sign_in(own_client, user.email))
    changed = await own_client.patch(
        "/api/v1/users/me",
        json={"full_name": "Trần Thị Bình"},
        headers={**headers, "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    stale = await own_client.patch(
        "/api/v1/users/me", json={"full_name": "X"}, headers={**headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    async with own_ctx.sessionmaker() as session:
        stored = await session.get(User, user.id)
        assert stored is not None and stored.full_name == "Trần Thị Bình" and stored.version == 2
    me = await own_client.get("/api/v1/users/me", headers=headers)
    assert me.json()["full_name"] == "Trần Thị Bình" and me.headers["etag"] == '"2"'


async def test_listing_read_by_lookup_matches_what_its_author_wrote(
    own_ctx: AppContext, own_client: httpx.AsyncClient
) -> None:
    async with own_ctx.sessionmaker() as session:
        organisation = await make_organisation(session, province="CT")
        await session.commit()
        member = await make_user(session, own_ctx, organisation_id=organisation.id)
        outsider = await make_user(session, own_ctx)
    member_headers = _bearer(await _sign_in(own_client, member.email))
    created = await lh.create(own_client, member_headers)

    anonymous = await own_client.get(f"/api/v1/listings/{created['id']}")
    assert anonymous.status_code == 200, anonymous.text
    assert anonymous.json() == created
    assert anonymous.headers["etag"] == '"1"' and anonymous.headers["vary"] == "Accept"
    linked = await own_client.get(
        f"/api/v1/listings/{created['id']}", headers={"Accept": "application/ld+json"}
    )
    assert linked.status_code == 200
    assert linked.json()["owner"]["name"] == organisation.name

    # Withdrawn: gone for everyone but the organisation's members.
    async with own_ctx.sessionmaker() as session:
        await session.execute(
            update(Listing)
            .where(Listing.id == uuid.UUID(created["id"]))
            .values(status="withdrawn", updated_at=datetime.now(UTC))
        )
        await session.commit()
    assert (await own_client.get(f"/api/v1/listings/{created['id']}")).status_code == 404
    outsider_headers = _bearer(await _sign_in(own_client, outsider.email))
    hidden = await own_client.get(f"/api/v1/listings/{created['id']}", headers=outsider_headers)
    assert hidden.status_code == 404
    own = await own_client.get(f"/api/v1/listings/{created['id']}", headers=member_headers)
    assert own.status_code == 200 and own.json()["status"] == "withdrawn"
    missing = await own_client.get(f"/api/v1/listings/{uuid.uuid4()}")
    assert missing.status_code == 404


async def test_a_disabled_exchange_client_is_refused_at_once(
    own_ctx: AppContext, own_client: httpx.AsyncClient
) -> None:
    async with own_ctx.sessionmaker() as session:
        client = await make_client(session, own_ctx)
    response = await own_client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": "client-secret-2026",
        },
    )
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    assert (await own_client.get("/api/v1/sync/changes", headers=headers)).status_code == 200
    async with own_ctx.sessionmaker() as session:
        await session.execute(
            update(ExchangeClient).where(ExchangeClient.id == client.id).values(is_active=False)
        )
        await session.commit()
    assert (await own_client.get("/api/v1/sync/changes", headers=headers)).status_code == 401


async def test_an_integer_beyond_64_bits_in_a_json_column_reads_back_whole(
    own_ctx: AppContext, own_client: httpx.AsyncClient
) -> None:
    """A peer's extension member may hold any JSON number: one beyond 64 bits reads back as the
    same integer (a decoder limited to 64-bit integers would turn it into a float)."""
    async with own_ctx.sessionmaker() as session:
        organisation = await make_organisation(session)
        await session.commit()
        member = await make_user(session, own_ctx, organisation_id=organisation.id)
    created = await lh.create(own_client, _bearer(await _sign_in(own_client, member.email)))
    huge = {"x-registry": {"number": 10**29, "tags": ["một", "two"]}}
    async with own_ctx.sessionmaker() as session:
        await session.execute(
            update(Listing).where(Listing.id == uuid.UUID(created["id"])).values(extensions=huge)
        )
        await session.commit()
    response = await own_client.get(f"/api/v1/listings/{created['id']}")
    assert response.status_code == 200, response.text
    assert response.json()["extensions"] == huge

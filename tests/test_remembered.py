"""Hot reads remembered while the database is unchanged (``lookups.remembered``), as the server
runs them: on a database of their own, with committed data.

Each test changes the database the way another process would (a connection of its own, not a
session of the application) and checks that the very next requests see it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.api import listings as listings_api
from app.context import AppContext
from app.core import lookups
from app.models import ExchangeClient
from app.services.listings import records
from tests import listing_helpers as lh
from tests.factories import PASSWORD, make_client, make_organisation, make_user


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The lookups run from now on."""
    seen: list[object] = []
    real = lookups.fetch

    async def counting(sessionmaker: Any, statement: Any, parameters: Any) -> Any:
        seen.append(statement)
        return await real(sessionmaker, statement, parameters)

    monkeypatch.setattr(lookups, "fetch", counting)
    return seen


async def _remembering(ctx: AppContext) -> None:
    """Wait until values are kept (on PostgreSQL, once the listener is connected)."""
    for _ in range(500):
        if lookups.remembers(ctx.sessionmaker):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("values are never kept")


async def _elsewhere(ctx: AppContext, sql: str, *args: Any) -> None:
    """Run and commit ``sql`` on a connection of its own, as another process would."""
    url = ctx.engine.url
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(url.database or "", isolation_level=None)
        try:
            conn.execute(sql.replace("$1", "?").replace("$2", "?"), args)
        finally:
            conn.close()
        return
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    pg = await asyncpg.connect(dsn)
    try:
        await pg.execute(sql, *args)
    finally:
        await pg.close()


def _key(ctx: AppContext, value: uuid.UUID) -> Any:
    """A UUID as the database stores it (SQLite: 32 hex digits)."""
    return value.hex if ctx.engine.url.get_backend_name() == "sqlite" else value


async def _kept(
    read: Callable[[], Awaitable[httpx.Response]], statements: list[object]
) -> tuple[httpx.Response, httpx.Response]:
    """A read, then the same read answered without a statement. On PostgreSQL the notification
    of the test's own setup (sign-in, creation) arrives after its commit and may forget a value
    kept in between; once it has arrived, the second read must be answered from memory."""
    for _ in range(200):
        first = await read()
        before = len(statements)
        again = await read()
        if len(statements) == before:
            return first, again
        await asyncio.sleep(0.01)
    raise AssertionError("the second read always ran a statement")


async def _eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """``check`` holds now or, on PostgreSQL, once the notification has arrived."""
    for _ in range(200):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the change was never seen")


async def _sign_in(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": email, "password": PASSWORD},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _member(ctx: AppContext, client: httpx.AsyncClient) -> tuple[uuid.UUID, dict[str, str]]:
    """A new organisation's id and the headers of a signed-in member of it."""
    async with ctx.sessionmaker() as session:
        organisation = await make_organisation(session)
        await session.commit()
        member = await make_user(session, ctx, organisation_id=organisation.id)
    return organisation.id, await _sign_in(client, member.email)


async def _rename_elsewhere(ctx: AppContext, organisation_id: uuid.UUID, name: str) -> None:
    await _elsewhere(
        ctx,
        "UPDATE organisations SET name = $1 WHERE id = $2",
        name,
        _key(ctx, organisation_id),
    )


async def test_the_account_is_read_once_then_follows_changes_made_elsewhere(
    own_ctx: AppContext, own_client: httpx.AsyncClient, statements: list[object]
) -> None:
    async with own_ctx.sessionmaker() as session:
        user = await make_user(session, own_ctx, roles=("scientist",))
    headers = await _sign_in(own_client, user.email)
    await _remembering(own_ctx)

    first, again = await _kept(
        lambda: own_client.get("/api/v1/users/me", headers=headers), statements
    )
    assert first.status_code == 200 and first.json()["full_name"] == user.full_name
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["etag"] == first.headers["etag"] == '"1"'

    # Renamed by another process: seen, with the new version.
    await _elsewhere(
        own_ctx,
        "UPDATE users SET full_name = $1, version = version + 1 WHERE id = $2",
        "Lê Văn Cường",
        _key(own_ctx, user.id),
    )

    async def renamed() -> bool:
        me = await own_client.get("/api/v1/users/me", headers=headers)
        return bool(me.json()["full_name"] == "Lê Văn Cường" and me.headers["etag"] == '"2"')

    await _eventually(renamed)

    # A role granted elsewhere, then the session ended elsewhere.
    grant = "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)"
    await _elsewhere(own_ctx, grant, _key(own_ctx, user.id), "fund")

    async def granted() -> bool:
        me = await own_client.get("/api/v1/users/me", headers=headers)
        return bool(sorted(me.json()["roles"]) == ["fund", "scientist"])

    await _eventually(granted)
    await _elsewhere(
        own_ctx,
        "UPDATE refresh_tokens SET revoked_at = issued_at WHERE user_id = $1",
        _key(own_ctx, user.id),
    )

    async def refused() -> bool:
        me = await own_client.get("/api/v1/users/me", headers=headers)
        return me.status_code == 401

    await _eventually(refused)
    # Refusals are never kept: the next request asks again, and is refused again.
    before = len(statements)
    assert (await own_client.get("/api/v1/users/me", headers=headers)).status_code == 401
    assert len(statements) == before + 1


async def test_a_deactivated_account_is_refused_on_the_next_request(
    own_ctx: AppContext, own_client: httpx.AsyncClient
) -> None:
    async with own_ctx.sessionmaker() as session:
        user = await make_user(session, own_ctx)
    headers = await _sign_in(own_client, user.email)
    await _remembering(own_ctx)
    assert (await own_client.get("/api/v1/users/me", headers=headers)).status_code == 200
    assert (await own_client.get("/api/v1/users/me", headers=headers)).status_code == 200
    await _elsewhere(
        own_ctx, "UPDATE users SET is_active = $1 WHERE id = $2", False, _key(own_ctx, user.id)
    )

    async def refused() -> bool:
        return (await own_client.get("/api/v1/users/me", headers=headers)).status_code == 401

    await _eventually(refused)


async def test_a_listing_is_read_once_and_follows_withdrawal_and_expiry(
    own_ctx: AppContext,
    own_client: httpx.AsyncClient,
    statements: list[object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    organisation_id, member_headers = await _member(own_ctx, own_client)
    created = await lh.create(own_client, member_headers)
    path = f"/api/v1/listings/{created['id']}"
    await _remembering(own_ctx)

    first, again = await _kept(lambda: own_client.get(path), statements)
    assert first.status_code == 200 and first.json() == created
    assert again.content == first.content and again.headers["etag"] == '"1"'
    read = len(statements)
    linked = await own_client.get(path, headers={"Accept": "application/ld+json"})
    assert linked.status_code == 200 and linked.headers["content-type"] == "application/ld+json"
    assert len(statements) == read

    # Past its expiry date the same kept listing reads as expired.
    expires = datetime.fromisoformat(created["expires_at"].replace("Z", "+00:00"))
    later = expires + timedelta(seconds=1)
    monkeypatch.setattr(listings_api, "utcnow", lambda: later)
    assert (await own_client.get(path)).json()["status"] == "expired"
    monkeypatch.undo()
    assert (await own_client.get(path)).json()["status"] == "active"

    # Withdrawn by another process: gone for the public, still there for its organisation.
    await _elsewhere(
        own_ctx,
        "UPDATE listings SET status = 'withdrawn' WHERE id = $1",
        _key(own_ctx, uuid.UUID(created["id"])),
    )

    async def gone() -> bool:
        return (await own_client.get(path)).status_code == 404

    await _eventually(gone)
    own = await own_client.get(path, headers=member_headers)
    assert own.status_code == 200 and own.json()["status"] == "withdrawn"

    # The organisation renamed elsewhere shows in the listing's owner.
    await _rename_elsewhere(own_ctx, organisation_id, "Viện Mới")

    async def renamed() -> bool:
        owner = (await own_client.get(path, headers=member_headers)).json()["owner"]
        return bool(owner["name"] == "Viện Mới")

    await _eventually(renamed)


async def test_nothing_is_kept_from_a_table_whose_changes_are_not_notified(
    own_ctx: AppContext, statements: list[object]
) -> None:
    async with own_ctx.sessionmaker() as session:
        client = await make_client(session, own_ctx)
    await _remembering(own_ctx)
    query = select(*lookups.columns(ExchangeClient)).where(
        ExchangeClient.client_id == client.client_id
    )

    async def read() -> list[Any]:
        return await lookups.fetch(own_ctx.sessionmaker, query, {})

    key = ("test-client", client.client_id)
    await lookups.remembered(own_ctx.sessionmaker, key, read)
    await lookups.remembered(own_ctx.sessionmaker, key, read)
    sqlite = own_ctx.engine.url.get_backend_name() == "sqlite"
    # SQLite's commit counter covers every table; PostgreSQL notifies only the listed ones.
    assert len(statements) == (1 if sqlite else 2)


async def test_a_lost_listener_stops_remembering_until_it_is_back(
    own_ctx: AppContext, own_client: httpx.AsyncClient, statements: list[object]
) -> None:
    if own_ctx.engine.url.get_backend_name() == "sqlite":
        pytest.skip("PostgreSQL's listener")
    async with own_ctx.sessionmaker() as session:
        user = await make_user(session, own_ctx)
    headers = await _sign_in(own_client, user.email)
    await _remembering(own_ctx)
    assert (await own_client.get("/api/v1/users/me", headers=headers)).status_code == 200
    # Every connection listening on this database is ended; a change made meanwhile is seen.
    await _elsewhere(
        own_ctx,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
    )
    await _elsewhere(
        own_ctx, "UPDATE users SET full_name = $1 WHERE id = $2", "Đặng Hoa", _key(own_ctx, user.id)
    )
    for _ in range(100):
        me = await own_client.get("/api/v1/users/me", headers=headers)
        if me.json()["full_name"] == "Đặng Hoa":
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the change was never seen")
    await _remembering(own_ctx)
    before = len(statements)
    await own_client.get("/api/v1/users/me", headers=headers)
    await own_client.get("/api/v1/users/me", headers=headers)
    assert len(statements) == before + 1


async def test_a_write_through_the_service_is_seen_without_waiting_for_its_notification(
    own_ctx: AppContext, own_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Notifications never arrive: only this process's own count of its commits tells.
    monkeypatch.setattr(lookups._Listener, "_changed", lambda self, *args: None)
    async with own_ctx.sessionmaker() as session:
        user = await make_user(session, own_ctx)
    headers = await _sign_in(own_client, user.email)
    await _remembering(own_ctx)
    assert (await own_client.get("/api/v1/users/me", headers=headers)).json()["version"] == 1
    changed = await own_client.patch(
        "/api/v1/users/me", json={"full_name": "Võ Giang"}, headers={**headers, "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    me = await own_client.get("/api/v1/users/me", headers=headers)
    assert me.json()["full_name"] == "Võ Giang" and me.headers["etag"] == '"2"'


async def test_search_hits_are_read_once_and_follow_changes_made_elsewhere(
    own_ctx: AppContext, own_client: httpx.AsyncClient, statements: list[object]
) -> None:
    organisation_id, headers = await _member(own_ctx, own_client)
    created = [await lh.create(own_client, headers) for _ in range(3)]
    await _remembering(own_ctx)
    path = "/api/v1/listings?q=r%C6%A1m+r%E1%BA%A1"

    first, again = await _kept(lambda: own_client.get(path), statements)
    assert first.status_code == 200 and again.content == first.content
    items = first.json()["items"]
    assert [item["id"] for item in items] == [c["id"] for c in reversed(created)]
    for item in items:  # a hit is the listing as read alone, with its score
        alone = (await own_client.get(f"/api/v1/listings/{item['id']}")).json()
        assert item == {**alone, "score": item["score"]} and item["score"] > 0

    # Renamed and withdrawn by another process: the next pages show it.
    await _rename_elsewhere(own_ctx, organisation_id, "Viện Mới")

    async def renamed() -> bool:
        found = (await own_client.get(path)).json()["items"]
        return all(item["owner"]["name"] == "Viện Mới" for item in found)

    await _eventually(renamed)
    await _elsewhere(
        own_ctx,
        "UPDATE listings SET status = 'withdrawn' WHERE id = $1",
        _key(own_ctx, uuid.UUID(created[0]["id"])),
    )

    async def withdrawn() -> bool:
        found = (await own_client.get(path)).json()["items"]
        return [item["id"] for item in found] == [c["id"] for c in reversed(created[1:])]

    await _eventually(withdrawn)
    own = (await own_client.get(f"{path}&status=withdrawn", headers=headers)).json()["items"]
    assert [item["id"] for item in own] == [created[0]["id"]]
    assert own[0]["status"] == "withdrawn"


async def test_the_search_snapshot_is_read_once_and_moves_with_new_listings(
    own_ctx: AppContext, own_client: httpx.AsyncClient, statements: list[object]
) -> None:
    organisation_id, headers = await _member(own_ctx, own_client)
    first = await lh.create(own_client, headers)
    await _remembering(own_ctx)
    path = "/api/v1/listings?q=r%C6%A1m+r%E1%BA%A1"

    # The highest seq is read once, then kept with the hits while nothing changes.
    await _kept(lambda: own_client.get(path), statements)

    # A listing added through the service is on the next first page.
    second = await lh.create(own_client, headers)
    before = len(statements)
    found = [item["id"] for item in (await own_client.get(path)).json()["items"]]
    assert found[0] == second["id"] and first["id"] in found  # newest first, on equal scores
    assert records.HIGH_WATER in statements[before:]

    # A change made by another process is followed too: the snapshot is read again.
    await _rename_elsewhere(own_ctx, organisation_id, "Viện Khác")

    async def read_again() -> bool:
        mark = len(statements)
        await own_client.get(path)
        return records.HIGH_WATER in statements[mark:]

    await _eventually(read_again)

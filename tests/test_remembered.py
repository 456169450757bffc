"""Hot reads remembered while the database is unchanged (``lookups.remembered``), as the server
runs them: on a database of their own, with committed data.

Each test changes the database the way another process would (a connection of its own, not a
session of the application) and checks that the very next requests see it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.api import listings as listings_api
from app.context import AppContext
from app.core import lookups
from app.core.config import Settings
from app.core.migrations import upgrade
from app.main import create_app
from app.models import ExchangeClient
from tests import listing_helpers as lh
from tests.conftest import fresh_database_url, run_blocking
from tests.factories import PASSWORD, make_client, make_organisation, make_user


@pytest.fixture(scope="module")
def own_url() -> str:
    url = fresh_database_url(f"remembered_{uuid.uuid4().hex[:6]}")
    run_blocking(upgrade, url)
    return url


@pytest.fixture
async def rctx(own_url: str) -> AsyncIterator[AppContext]:
    ctx = AppContext.from_settings(Settings(database={"url": own_url}))  # type: ignore[arg-type]
    yield ctx
    await lookups.close(ctx.engine)
    await ctx.engine.dispose()


@pytest.fixture
async def rclient(rctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(rctx.settings, context=rctx)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://techx.test") as client:
        yield client


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


async def test_the_account_is_read_once_then_follows_changes_made_elsewhere(
    rctx: AppContext, rclient: httpx.AsyncClient, statements: list[object]
) -> None:
    async with rctx.sessionmaker() as session:
        user = await make_user(session, rctx, roles=("scientist",))
    headers = await _sign_in(rclient, user.email)
    await _remembering(rctx)

    first = await rclient.get("/api/v1/users/me", headers=headers)
    assert first.status_code == 200 and first.json()["full_name"] == user.full_name
    read = len(statements)
    again = await rclient.get("/api/v1/users/me", headers=headers)
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["etag"] == first.headers["etag"] == '"1"'
    assert len(statements) == read, "the second read ran a statement"

    # Renamed by another process: seen, with the new version.
    await _elsewhere(
        rctx,
        "UPDATE users SET full_name = $1, version = version + 1 WHERE id = $2",
        "Lê Văn Cường",
        _key(rctx, user.id),
    )

    async def renamed() -> bool:
        me = await rclient.get("/api/v1/users/me", headers=headers)
        return bool(me.json()["full_name"] == "Lê Văn Cường" and me.headers["etag"] == '"2"')

    await _eventually(renamed)

    # A role granted elsewhere, then the session ended elsewhere.
    await _elsewhere(
        rctx, "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)", _key(rctx, user.id), "fund"
    )

    async def granted() -> bool:
        me = await rclient.get("/api/v1/users/me", headers=headers)
        return bool(sorted(me.json()["roles"]) == ["fund", "scientist"])

    await _eventually(granted)
    await _elsewhere(
        rctx,
        "UPDATE refresh_tokens SET revoked_at = issued_at WHERE user_id = $1",
        _key(rctx, user.id),
    )

    async def refused() -> bool:
        me = await rclient.get("/api/v1/users/me", headers=headers)
        return me.status_code == 401

    await _eventually(refused)
    # Refusals are never kept: the next request asks again, and is refused again.
    before = len(statements)
    assert (await rclient.get("/api/v1/users/me", headers=headers)).status_code == 401
    assert len(statements) == before + 1


async def test_a_deactivated_account_is_refused_on_the_next_request(
    rctx: AppContext, rclient: httpx.AsyncClient
) -> None:
    async with rctx.sessionmaker() as session:
        user = await make_user(session, rctx)
    headers = await _sign_in(rclient, user.email)
    await _remembering(rctx)
    assert (await rclient.get("/api/v1/users/me", headers=headers)).status_code == 200
    assert (await rclient.get("/api/v1/users/me", headers=headers)).status_code == 200
    await _elsewhere(
        rctx, "UPDATE users SET is_active = $1 WHERE id = $2", False, _key(rctx, user.id)
    )

    async def refused() -> bool:
        return (await rclient.get("/api/v1/users/me", headers=headers)).status_code == 401

    await _eventually(refused)


async def test_a_listing_is_read_once_and_follows_withdrawal_and_expiry(
    rctx: AppContext,
    rclient: httpx.AsyncClient,
    statements: list[object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with rctx.sessionmaker() as session:
        organisation = await make_organisation(session)
        await session.commit()
        member = await make_user(session, rctx, organisation_id=organisation.id)
    member_headers = await _sign_in(rclient, member.email)
    created = await lh.create(rclient, member_headers)
    path = f"/api/v1/listings/{created['id']}"
    await _remembering(rctx)

    first = await rclient.get(path)
    assert first.status_code == 200 and first.json() == created
    read = len(statements)
    again = await rclient.get(path)
    assert again.content == first.content and again.headers["etag"] == '"1"'
    assert len(statements) == read, "the second read ran a statement"
    linked = await rclient.get(path, headers={"Accept": "application/ld+json"})
    assert linked.status_code == 200 and linked.headers["content-type"] == "application/ld+json"
    assert len(statements) == read

    # Past its expiry date the same kept listing reads as expired.
    expires = datetime.fromisoformat(created["expires_at"].replace("Z", "+00:00"))
    later = expires + timedelta(seconds=1)
    monkeypatch.setattr(listings_api, "utcnow", lambda: later)
    assert (await rclient.get(path)).json()["status"] == "expired"
    monkeypatch.undo()
    assert (await rclient.get(path)).json()["status"] == "active"

    # Withdrawn by another process: gone for the public, still there for its organisation.
    await _elsewhere(
        rctx,
        "UPDATE listings SET status = 'withdrawn' WHERE id = $1",
        _key(rctx, uuid.UUID(created["id"])),
    )

    async def gone() -> bool:
        return (await rclient.get(path)).status_code == 404

    await _eventually(gone)
    own = await rclient.get(path, headers=member_headers)
    assert own.status_code == 200 and own.json()["status"] == "withdrawn"

    # The organisation renamed elsewhere shows in the listing's owner.
    await _elsewhere(
        rctx,
        "UPDATE organisations SET name = $1 WHERE id = $2",
        "Viện Mới",
        _key(rctx, organisation.id),
    )

    async def renamed() -> bool:
        owner = (await rclient.get(path, headers=member_headers)).json()["owner"]
        return bool(owner["name"] == "Viện Mới")

    await _eventually(renamed)


async def test_nothing_is_kept_from_a_table_whose_changes_are_not_notified(
    rctx: AppContext, statements: list[object]
) -> None:
    async with rctx.sessionmaker() as session:
        client = await make_client(session, rctx)
    await _remembering(rctx)
    query = select(*lookups.columns(ExchangeClient)).where(
        ExchangeClient.client_id == client.client_id
    )

    async def read() -> list[Any]:
        return await lookups.fetch(rctx.sessionmaker, query, {})

    key = ("test-client", client.client_id)
    await lookups.remembered(rctx.sessionmaker, key, read)
    await lookups.remembered(rctx.sessionmaker, key, read)
    sqlite = rctx.engine.url.get_backend_name() == "sqlite"
    # SQLite's commit counter covers every table; PostgreSQL notifies only the listed ones.
    assert len(statements) == (1 if sqlite else 2)


async def test_a_lost_listener_stops_remembering_until_it_is_back(
    rctx: AppContext, rclient: httpx.AsyncClient, statements: list[object]
) -> None:
    if rctx.engine.url.get_backend_name() == "sqlite":
        pytest.skip("PostgreSQL's listener")
    async with rctx.sessionmaker() as session:
        user = await make_user(session, rctx)
    headers = await _sign_in(rclient, user.email)
    await _remembering(rctx)
    assert (await rclient.get("/api/v1/users/me", headers=headers)).status_code == 200
    # Every connection listening on this database is ended; a change made meanwhile is seen.
    await _elsewhere(
        rctx,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
    )
    await _elsewhere(
        rctx, "UPDATE users SET full_name = $1 WHERE id = $2", "Đặng Hoa", _key(rctx, user.id)
    )
    for _ in range(100):
        me = await rclient.get("/api/v1/users/me", headers=headers)
        if me.json()["full_name"] == "Đặng Hoa":
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the change was never seen")
    await _remembering(rctx)
    before = len(statements)
    await rclient.get("/api/v1/users/me", headers=headers)
    await rclient.get("/api/v1/users/me", headers=headers)
    assert len(statements) == before + 1


async def test_a_write_through_the_service_is_seen_without_waiting_for_its_notification(
    rctx: AppContext, rclient: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Notifications never arrive: only this process's own count of its commits tells.
    monkeypatch.setattr(lookups._Listener, "_changed", lambda self, *args: None)
    async with rctx.sessionmaker() as session:
        user = await make_user(session, rctx)
    headers = await _sign_in(rclient, user.email)
    await _remembering(rctx)
    assert (await rclient.get("/api/v1/users/me", headers=headers)).json()["version"] == 1
    changed = await rclient.patch(
        "/api/v1/users/me", json={"full_name": "Võ Giang"}, headers={**headers, "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    me = await rclient.get("/api/v1/users/me", headers=headers)
    assert me.json()["full_name"] == "Võ Giang" and me.headers["etag"] == '"2"'

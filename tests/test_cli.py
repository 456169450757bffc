"""The techx command against a database of its own, as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.context import AppContext
from app.core.config import Settings
from app.core.migrations import upgrade
from app.main import create_app
from app.models import User
from tests.conftest import fresh_database_url, run_blocking
from tests.sync_helpers import upsert

TECHX = [sys.executable, "-m", "app.cli"]


def _techx(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "TECHX_DATABASE_URL": url, **env}
    return subprocess.run(
        [*TECHX, *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )


async def _users(url: str) -> dict[str, list[str]]:
    ctx = AppContext.from_settings(Settings(database={"url": url}))
    try:
        async with ctx.sessionmaker() as session:
            rows = await session.scalars(select(User).options(selectinload(User.role_rows)))
            return {u.email: u.roles for u in rows}
    finally:
        await ctx.engine.dispose()


@pytest.fixture(scope="module")
def cli_db() -> str:
    url = fresh_database_url("cli")
    result = _techx(url, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    return url


async def test_create_admin_makes_an_administrator(cli_db: str) -> None:
    result = _techx(
        cli_db, "create-admin", "--email", "Operator@Example.VN", "--password", "Operator-2026!"
    )
    assert result.returncode == 0, result.stderr
    assert (await _users(cli_db))["operator@example.vn"] == ["admin"]


async def test_create_admin_refuses_a_taken_email_and_a_short_password(cli_db: str) -> None:
    _techx(cli_db, "create-admin", "--email", "twice@example.vn", "--password", "Operator-2026!")
    again = _techx(
        cli_db, "create-admin", "--email", "twice@example.vn", "--password", "Other-2026!!"
    )
    assert again.returncode == 1
    assert "already has an account" in again.stderr
    short = _techx(cli_db, "create-admin", "--email", "short@example.vn", "--password", "short")
    assert short.returncode == 2
    assert "password" in short.stderr


async def test_demo_seeds_every_role_once_and_prints_working_credentials(cli_db: str) -> None:
    first = _techx(cli_db, "demo")
    assert first.returncode == 0, first.stderr
    assert "demo data seeded" in first.stdout
    second = _techx(cli_db, "demo")
    assert "already present" in second.stdout
    users = await _users(cli_db)
    roles = {role for user_roles in users.values() for role in user_roles}
    assert {"scientist", "reviewer", "fund", "enterprise", "admin"} <= roles
    assert "an.nguyen@techx.local" in second.stdout

    app = create_app(Settings(database={"url": cli_db}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://techx.test") as client:
        response = await client.post(
            "/api/v1/auth/token",
            data={
                "grant_type": "password",
                "username": "an.nguyen@techx.local",
                "password": "Demo-Scientist-2026",
            },
        )
        machine = await client.post(
            "/api/v1/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "hn-demo",
                "client_secret": "Demo-Exchange-HN-2026",
            },
        )
        pushed = await client.post(
            "/api/v1/sync/push",
            json={"items": [upsert("demo-1", 1)]},
            headers={
                "Authorization": f"Bearer {machine.json()['access_token']}",
                "Idempotency-Key": "demo-push-1",
            },
        )
    await app.state.ctx.engine.dispose()
    assert response.status_code == 200
    assert "initiatives:write" in response.json()["scope"]
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["results"][0]["status"] == "created"


async def test_demo_refuses_to_run_in_production(cli_db: str) -> None:
    result = _techx(
        cli_db, "demo", TECHX_ENV="production", TECHX_SECRET_KEY="a-real-secret-0123456789"
    )
    assert result.returncode == 1
    assert "production" in result.stderr


async def test_bootstrap_admin_is_created_at_start_up_when_none_exists() -> None:
    url = fresh_database_url("bootstrap")
    run_blocking(upgrade, url)
    settings = Settings(
        database={"url": url},
        bootstrap={"admin_email": "root@example.vn", "admin_password": "Bootstrap-2026!"},
    )
    for _ in range(2):  # a restart must not create a second one
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            pass
    assert await _users(url) == {"root@example.vn": ["admin"]}


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ValueError, match="TECHX_SECRET_KEY"):
        Settings(env="production", secret_key="dev-secret-change-me")

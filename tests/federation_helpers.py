"""Two TechX instances as separate processes on loopback ports, for the federation tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import fresh_database_url
from tests.listing_helpers import payload

ROOT = Path(__file__).resolve().parents[1]
TECHX = [sys.executable, "-m", "app.cli"]
ADMIN_EMAIL = "admin@federation.test"
ADMIN_PASSWORD = "Federation-2026!"
READY_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def techx_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "TECHX_DATABASE_URL": database_url,
        "TECHX_JOBS_IN_PROCESS": "false",
        "TECHX_MIGRATE_ON_START": "false",
        "TECHX_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "TECHX_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "TECHX_EGRESS_ALLOW_NETWORKS": '["127.0.0.0/8"]',  # the peers listen on loopback
        **extra,
    }


def techx(database_url: str, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TECHX, *args],
        capture_output=True,
        text=True,
        env=techx_env(database_url, **extra),
        timeout=180,
        cwd=ROOT,
        check=False,
    )


class Instance:
    """One ``techx serve`` process with a database of its own."""

    def __init__(self, label: str, *, exchange_code: str, database_url: str | None = None) -> None:
        self.database_url = database_url or fresh_database_url(f"{label}_{uuid.uuid4().hex[:6]}")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.exchange_code = exchange_code
        self.process: subprocess.Popen[bytes] | None = None
        migrated = techx(self.database_url, "db", "upgrade")
        assert migrated.returncode == 0, migrated.stderr

    def start(self, **extra: str) -> None:
        env = techx_env(self.database_url, TECHX_SYNC_EXCHANGE_CODE=self.exchange_code, **extra)
        self.process = subprocess.Popen(
            [*TECHX, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--no-migrate"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the instance exited while starting"
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.url} not ready within {READY_TIMEOUT}s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)

    def admin(self) -> httpx.Client:
        """An HTTP client signed in as the bootstrap administrator."""
        client = httpx.Client(base_url=self.url, timeout=30)
        response = client.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        )
        assert response.status_code == 200, response.text
        client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        return client


def post(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def create_listing(client: httpx.Client, organisation_id: str, title: str) -> dict[str, Any]:
    body = payload(title={"vi": title, "en": title}, organisation_id=organisation_id)
    return post(client, "/api/v1/listings", body)


def update_listing(client: httpx.Client, listing: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = client.patch(
        f"/api/v1/listings/{listing['id']}",
        json=fields,
        headers={"If-Match": f'"{listing["version"]}"'},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result

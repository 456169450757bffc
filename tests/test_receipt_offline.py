"""Offline verification: the README's snippet and `techx receipt verify`, run against a live
receipt and the service's published keys, say valid, and invalid for one changed byte."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from tests.factories import login
from tests.initiative_helpers import API, create, techx

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_snippet() -> str:
    """The first Python block under the README's "Verifying a receipt offline" heading."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Verifying a receipt offline", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None, "the README lost its verification snippet"
    return found.group(1)


class _Jwks(BaseHTTPRequestHandler):
    body = b"{}"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, type[_Jwks]]]:
    """A loopback HTTP server publishing the JWKS the test gives it (as a peer would fetch it)."""
    handler = type("Jwks", (_Jwks,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/auth/jwks", handler
    finally:
        server.shutdown()
        server.server_close()


async def _live_receipt(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> tuple[dict[str, Any], bytes]:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    initiative = await create(client, headers)
    submitted = await client.post(f"{API}/{initiative['id']}/submit", headers=headers)
    assert submitted.status_code == 201, submitted.text
    jwks = await client.get("/api/v1/auth/jwks", params={"include": "retired"})
    return submitted.json(), jwks.content


def _one_byte_changed(receipt: dict[str, Any]) -> str:
    text = json.dumps(receipt)
    index = text.index(receipt["content_hash"]) + 10
    digit = "0" if text[index] != "0" else "1"
    return text[:index] + digit + text[index + 1 :]


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


async def test_readme_snippet_says_valid_and_invalid_for_one_changed_byte(
    client: httpx.AsyncClient,
    session: AsyncSession,
    ctx: AppContext,
    tmp_path: Path,
    jwks_server: tuple[str, type[_Jwks]],
) -> None:
    url, handler = jwks_server
    receipt, handler.body = await _live_receipt(client, session, ctx)
    script = tmp_path / "verify_receipt.py"
    script.write_text(readme_snippet(), encoding="utf-8")
    assert len(readme_snippet().strip().splitlines()) <= 32
    good, bad = tmp_path / "receipt.json", tmp_path / "changed.json"
    good.write_text(json.dumps(receipt), encoding="utf-8")
    bad.write_text(_one_byte_changed(receipt), encoding="utf-8")

    valid = _run([sys.executable, str(script), str(good), url])
    invalid = _run([sys.executable, str(script), str(bad), url])

    assert (valid.stdout.strip(), valid.returncode) == ("valid", 0), valid.stderr
    assert (invalid.stdout.strip(), invalid.returncode) == ("invalid", 0), invalid.stderr


async def test_techx_receipt_verify_checks_offline_against_a_jwks(
    client: httpx.AsyncClient,
    session: AsyncSession,
    ctx: AppContext,
    tmp_path: Path,
    jwks_server: tuple[str, type[_Jwks]],
    database_url: str,
) -> None:
    url, handler = jwks_server
    receipt, handler.body = await _live_receipt(client, session, ctx)
    good, bad = tmp_path / "receipt.json", tmp_path / "changed.json"
    good.write_text(json.dumps(receipt), encoding="utf-8")
    bad.write_text(_one_byte_changed(receipt), encoding="utf-8")

    valid = techx(database_url, "receipt", "verify", str(good), "--jwks", url)
    invalid = techx(database_url, "receipt", "verify", str(bad), "--jwks", url)

    assert (valid.stdout.strip(), valid.returncode) == ("valid", 0), valid.stderr
    assert (invalid.stdout.strip(), invalid.returncode) == ("invalid: bad-signature", 1)


async def test_techx_receipt_verify_against_the_database_knows_its_keys(
    tmp_path: Path, database_url: str
) -> None:
    forged = {
        "initiative_id": "00000000-0000-0000-0000-000000000000",
        "version": 1,
        "content_hash": "0" * 64,
        "issued_at": "2026-12-04T00:00:00.000000Z",
        "kid": "not-a-key-of-ours",
        "alg": "RS256",
        "signature": "AAAA",
    }
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged), encoding="utf-8")
    result = techx(database_url, "receipt", "verify", str(path))
    assert (result.stdout.strip(), result.returncode) == ("invalid: unknown-key", 1), result.stderr
    path.write_text("{}", encoding="utf-8")
    assert techx(database_url, "receipt", "verify", str(path)).returncode == 1


async def test_jwks_lists_retired_keys_only_when_asked(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, admin = await login(client, session, ctx, roles=["admin"])
    receipt, _ = await _live_receipt(client, session, ctx)
    assert (await client.post("/api/v1/admin/signing-keys/rotate", headers=admin)).status_code in (
        200,
        201,
    )
    ctx.settings = ctx.settings.model_copy(
        update={"auth": ctx.settings.auth.model_copy(update={"key_grace_seconds": 0})}
    )
    plain = (await client.get("/api/v1/auth/jwks")).json()["keys"]
    every = (await client.get("/api/v1/auth/jwks", params={"include": "retired"})).json()["keys"]
    assert receipt["kid"] not in [key["kid"] for key in plain]
    assert receipt["kid"] in [key["kid"] for key in every]

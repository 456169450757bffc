"""Contract fuzzing: schemathesis drives a live server from ``openapi/openapi.json``.

Each role (administrator, scientist, fund, exchange client, anonymous) gets a bounded number of
examples per operation, sent by two workers at once; no answer may be a 5xx, and every answer
must carry a documented status, content type and schema.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.federation_helpers import ROOT, Instance, post

pytestmark = pytest.mark.committing

SCHEMATHESIS = Path(sys.executable).with_name("st")
SCHEMA = ROOT / "openapi" / "openapi.json"
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    )
)
EXAMPLES_PER_OPERATION = 2
SEED = "20261204"
PASSWORD = "Contract-Fuzz-2026"
ROLES = ("anonymous", "scientist", "fund", "exchange", "admin")


@pytest.fixture(scope="module")
def server() -> Iterator[Instance]:
    """A live ``techx serve`` with its in-process job runner, as ``make run`` starts it."""
    instance = Instance("fuzz", exchange_code="VN")
    try:
        instance.start(TECHX_JOBS_IN_PROCESS="true")
        yield instance
    finally:
        instance.stop()


def _login(base_url: str, form: dict[str, str]) -> str:
    response = httpx.post(f"{base_url}/api/v1/auth/token", data=form, timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture(scope="module")
def bearers(server: Instance) -> dict[str, str | None]:
    """An access token per role (``None`` for anonymous)."""
    tokens: dict[str, str | None] = {"anonymous": None}
    with closing(server.admin()) as admin:
        tokens["admin"] = str(admin.headers["Authorization"]).removeprefix("Bearer ")
        for role in ("scientist", "fund"):
            email = f"{role}-{uuid.uuid4().hex[:6]}@example.vn"
            body = {
                "email": email,
                "password": PASSWORD,
                "full_name": "Lê Thị Kiểm",
                "roles": [role],
            }
            post(admin, "/api/v1/admin/users", body)
            form = {"grant_type": "password", "username": email, "password": PASSWORD}
            tokens[role] = _login(server.url, form)
        post(admin, "/api/v1/admin/exchanges", {"code": "HN", "name": "Sàn Hà Nội", "mode": "push"})
        machine = post(
            admin, "/api/v1/admin/exchange-clients", {"name": "Sàn HN", "exchange_code": "HN"}
        )
    grant = {
        "grant_type": "client_credentials",
        "client_id": machine["client_id"],
        "client_secret": machine["client_secret"],
    }
    tokens["exchange"] = _login(server.url, grant)
    return tokens


def _schemathesis(
    server: Instance, bearer: str | None, workdir: Path, *, workers: int, phases: str
) -> subprocess.CompletedProcess[str]:
    command = [
        str(SCHEMATHESIS),
        "run",
        str(SCHEMA),
        "--url",
        server.url,
        "--checks",
        CHECKS,
        "--phases",
        phases,
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        SEED,
        "--workers",
        str(workers),
        "--generation-database",
        ":memory:",
        "--warnings",
        "off",
    ]
    if bearer is not None:
        command += ["--header", f"Authorization: Bearer {bearer}"]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=900, cwd=workdir, check=False
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_keeps_its_contract_with_two_workers_at_once_for(
    role: str, server: Instance, bearers: dict[str, str | None], tmp_path: Path
) -> None:
    run = _schemathesis(server, bearers[role], tmp_path, workers=2, phases="fuzzing")
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]

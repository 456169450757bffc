"""Faults on PostgreSQL: the database stops under load and comes back.

While it is down every request that needs it answers 503 with ``Retry-After`` (never a 500, never
a hang); once it is back the same server process answers normally again, without a restart. The
cluster is a private one on a free loopback port, so no other run's server is stopped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field

import httpx
import pytest

from tests import pg_cluster
from tests.conftest import PG_URL
from tests.federation_helpers import Instance, techx

pytestmark = [
    pytest.mark.committing,
    pytest.mark.skipif(not PG_URL, reason="PostgreSQL faults run in the PostgreSQL suite"),
    pytest.mark.skipif(not pg_cluster.available(), reason="PostgreSQL 15 binaries not found"),
]

REQUEST_TIMEOUT = 15.0
RECOVERY_SECONDS = 30.0


@dataclass
class Load:
    """Clients reading and writing in a loop; every answer is kept with the time it came."""

    url: str
    bearer: dict[str, str]
    answers: list[tuple[float, int, str | None]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=REQUEST_TIMEOUT, headers=self.bearer) as c:
            n = 0
            while not self.stop.is_set():
                n += 1
                try:
                    if n % 2:
                        response = c.get("/api/v1/users/me")
                    else:
                        response = c.get("/api/v1/listings", params={"q": "cảm biến"})
                except httpx.HTTPError as exc:
                    self.failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                retry = response.headers.get("retry-after")
                if response.status_code == 500:
                    self.failures.append(f"500 {response.request.url.path}: {response.text[:300]}")
                self.answers.append((time.monotonic(), response.status_code, retry))
                time.sleep(0.02)


@pytest.fixture
def cluster() -> Iterator[pg_cluster.PrivateCluster]:
    private = pg_cluster.PrivateCluster()
    try:
        private.init()
        private.start()
        yield private
    finally:
        private.destroy()


def test_requests_get_503_while_postgres_is_down_and_recover_without_restart(
    cluster: pg_cluster.PrivateCluster,
) -> None:
    migrated = techx(cluster.url, "db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    server = Instance("outage", exchange_code="VN", database_url=cluster.url)
    server.start()
    try:
        with closing(server.admin()) as admin:
            bearer = {"Authorization": str(admin.headers["Authorization"])}
        load = Load(server.url, bearer)
        clients = [threading.Thread(target=load.run) for _ in range(2)]
        for client in clients:
            client.start()
        time.sleep(1.0)
        stopping_at = time.monotonic()
        cluster.stop()
        down_at = time.monotonic()
        time.sleep(3.0)
        up_at = time.monotonic()
        cluster.start()
        deadline = up_at + RECOVERY_SECONDS
        while time.monotonic() < deadline and not any(
            at > up_at and status == 200 for at, status, _ in load.answers
        ):
            time.sleep(0.2)
        time.sleep(0.5)
        load.stop.set()
        for client in clients:
            client.join(timeout=REQUEST_TIMEOUT * 2)
    finally:
        server.stop()

    assert load.failures == []
    statuses = {status for _, status, _ in load.answers}
    assert statuses <= {200, 503}, statuses
    before = [status for at, status, _ in load.answers if at < stopping_at]
    assert before and set(before) == {200}
    while_down = [(status, retry) for at, status, retry in load.answers if down_at < at < up_at]
    assert while_down, "no request was answered while the database was down"
    assert {status for status, _ in while_down} == {503}
    assert all(retry is not None and int(retry) > 0 for _, retry in while_down)
    assert any(at > up_at and status == 200 for at, status, _ in load.answers), "no recovery"

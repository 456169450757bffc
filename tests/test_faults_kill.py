"""The server is killed (SIGKILL) in the middle of push batches and initiative submissions.

After a restart every acknowledged write is there, nothing is half-applied (a batch is all or
nothing, a submission has its version or is still a draft), and retrying every request with its
own ``Idempotency-Key`` converges: acknowledged ones replay their first answer, the rest apply
once.
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.context import AppContext
from app.core.config import Settings
from app.models import Initiative, InitiativeVersion, Listing
from tests.conftest import PG_URL
from tests.federation_helpers import Instance, post
from tests.initiative_helpers import payload
from tests.sync_helpers import upsert

pytestmark = [
    pytest.mark.committing,
    pytest.mark.skipif(not PG_URL, reason="the kill scenarios run in the PostgreSQL suite"),
]

BATCHES, BATCH_SIZE, DRAFTS = 30, 20, 20
ACK_WAIT_SECONDS = 60.0
PASSWORD = "Kill-Nine-2026!"


@dataclass
class Sent:
    """Requests as a client made them: key, body, and the answer if one came."""

    path: str
    bearer: dict[str, str]
    bodies: dict[str, Any]
    answers: dict[str, httpx.Response] = field(default_factory=dict)
    attempted: list[str] = field(default_factory=list)

    def send(self, client: httpx.Client, key: str) -> httpx.Response:
        headers = {**self.bearer, "Idempotency-Key": key}
        body = self.bodies[key]
        return client.post(self.path.format(key=key), json=body, headers=headers)

    def run(self, url: str, stop: threading.Event) -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            for key in self.bodies:
                if stop.is_set():
                    return
                self.attempted.append(key)
                try:
                    self.answers[key] = self.send(client, key)
                except httpx.HTTPError:
                    return  # the server is gone; this request may or may not have applied


def _setup(server: Instance) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """An HN pushing client's and a scientist's headers, and the scientist's draft ids."""
    with closing(server.admin()) as admin:
        post(admin, "/api/v1/admin/exchanges", {"code": "HN", "name": "Sàn HN", "mode": "push"})
        machine = post(
            admin, "/api/v1/admin/exchange-clients", {"name": "HN", "exchange_code": "HN"}
        )
        email = f"kill-{uuid.uuid4().hex[:6]}@example.vn"
        body = {
            "email": email,
            "password": PASSWORD,
            "full_name": "Phạm Văn Nén",
            "roles": ["scientist"],
        }
        post(admin, "/api/v1/admin/users", body)
    grant = {
        "grant_type": "client_credentials",
        "client_id": machine["client_id"],
        "client_secret": machine["client_secret"],
    }
    login = {"grant_type": "password", "username": email, "password": PASSWORD}
    tokens = [
        httpx.post(f"{server.url}/api/v1/auth/token", data=form, timeout=30).json()["access_token"]
        for form in (grant, login)
    ]
    pusher, scientist = ({"Authorization": f"Bearer {t}"} for t in tokens)
    with httpx.Client(base_url=server.url, timeout=30, headers=scientist) as client:
        drafts = [
            client.post("/api/v1/initiatives", json=payload()).json()["id"] for _ in range(DRAFTS)
        ]
    return pusher, scientist, drafts


async def _state(database_url: str, batches: dict[str, Any], drafts: list[str]) -> Any:
    """Records stored per batch, and (state, versions) per draft."""
    ctx = AppContext.from_settings(Settings(database={"url": database_url}))  # type: ignore[arg-type]
    try:
        async with ctx.sessionmaker() as session:
            rows = await session.execute(
                select(Listing.origin_id).where(Listing.origin_exchange == "HN")
            )
            stored = set(rows.scalars())
            per_batch = {
                key: sum(i["record"]["source"]["source_id"] in stored for i in body["items"])
                for key, body in batches.items()
            }
            counted = await session.execute(
                select(InitiativeVersion.initiative_id, func.count()).group_by(
                    InitiativeVersion.initiative_id
                )
            )
            versions = {initiative_id: n for initiative_id, n in counted.all()}
            found = await session.execute(select(Initiative.id, Initiative.state))
            states = {initiative_id: state for initiative_id, state in found.all()}
            per_draft = {d: (states[uuid.UUID(d)], versions.get(uuid.UUID(d), 0)) for d in drafts}
            return per_batch, per_draft
    finally:
        await ctx.engine.dispose()


def _kill_under_load(server: Instance, clients: list[Sent]) -> None:
    stop = threading.Event()
    threads = [threading.Thread(target=c.run, args=(server.url, stop)) for c in clients]
    for thread in threads:
        thread.start()
    # Kill once each stream has some acknowledged requests and is in the middle of the next.
    deadline = time.monotonic() + ACK_WAIT_SECONDS
    while time.monotonic() < deadline and min(len(c.answers) for c in clients) < 2:
        time.sleep(0.05)
    time.sleep(0.1)
    assert server.process is not None
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=30)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)


def _retry_all(url: str, sent: Sent, check: Callable[[str, httpx.Response], None]) -> None:
    with httpx.Client(base_url=url, timeout=60) as client:
        for key in sent.attempted:
            check(key, sent.send(client, key))


async def test_a_killed_server_keeps_acknowledged_writes_and_retries_converge() -> None:
    server = Instance("kill", exchange_code="VN")
    server.start()
    try:
        pusher, scientist, drafts = _setup(server)
        batches = {
            f"batch-{b}": {
                "items": [upsert(f"b{b}-{i}", 1, exchange="HN") for i in range(BATCH_SIZE)]
            }
            for b in range(BATCHES)
        }
        pushes = Sent("/api/v1/sync/push", pusher, batches)
        submits = Sent("/api/v1/initiatives/{key}/submit", scientist, {d: None for d in drafts})
        _kill_under_load(server, [pushes, submits])
        assert pushes.answers and submits.answers, "nothing was acknowledged before the kill"
        assert all(r.status_code == 200 for r in pushes.answers.values())
        assert all(r.status_code == 201 for r in submits.answers.values())

        server.start()
        per_batch, per_draft = await _state(server.database_url, batches, drafts)
        for key in pushes.attempted:
            expected = {BATCH_SIZE} if key in pushes.answers else {0, BATCH_SIZE}
            assert per_batch[key] in expected, (key, per_batch[key])
        for draft in drafts:
            state, versions = per_draft[draft]
            assert (state, versions) in {("draft", 0), ("submitted", 1)}, (draft, state, versions)
            if draft in submits.answers:
                assert (state, versions) == ("submitted", 1)

        def replays(sent: Sent) -> Callable[[str, httpx.Response], None]:
            def check(key: str, again: httpx.Response) -> None:
                first = sent.answers.get(key)
                assert again.status_code < 300, again.text
                if first is not None:
                    assert again.headers.get("idempotent-replayed") == "true"
                    assert again.json() == first.json()

            return check

        _retry_all(server.url, pushes, replays(pushes))
        _retry_all(server.url, submits, replays(submits))
        per_batch, per_draft = await _state(server.database_url, batches, drafts)
        assert all(per_batch[key] == BATCH_SIZE for key in pushes.attempted)
        for draft in submits.attempted:
            assert per_draft[draft] == ("submitted", 1)
    finally:
        server.stop()

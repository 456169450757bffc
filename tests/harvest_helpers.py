"""A fake peer for the harvest tests: a change feed served through ``httpx.MockTransport``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import get_settings
from app.core.security import encrypt
from app.models import Exchange
from app.models.base import utcnow
from tests.listing_helpers import payload

BASE_URL = "http://peer.test"
Responder = Callable[[httpx.Request], httpx.Response | None]


def feed_record(source_id: str, version: int, *, exchange: str, title: str) -> dict[str, Any]:
    """A listing as a peer's feed carries it (the read form)."""
    now = utcnow()
    body = payload(title={"vi": title, "en": title})
    body.update(
        id=str(uuid.uuid4()),
        ip_numbers=[],
        owner={
            "id": str(uuid.uuid4()),
            "name": "Viện thu hoạch",
            "name_en": None,
            "kind": "institute",
            "province": "HN",
        },
        language=["vi", "en"],
        status="active",
        expires_at=(now + timedelta(days=300)).isoformat(),
        source={"exchange": exchange, "source_id": source_id, "version": version, "url": None},
        version=version,
        content_hash="0" * 64,
        created_at=now.isoformat(),
        updated_at=now.isoformat(),
    )
    return body


def change(
    seq: int, op: str, source_id: str, version: int, *, exchange: str = "LOCAL", title: str = ""
) -> dict[str, Any]:
    record = None
    if op == "upsert":
        record = feed_record(
            source_id,
            version,
            exchange=exchange,
            title=title or f"Công nghệ {source_id} v{version}",
        )
    return {
        "seq": seq,
        "op": op,
        "id": str(uuid.uuid4()),
        "source": {"exchange": exchange, "source_id": source_id, "version": version},
        "changed_at": utcnow().isoformat(),
        "record": record,
    }


class FakePeer:
    """Serves ``changes`` with the cursor as an index; ``override`` answers a request first."""

    def __init__(self, changes: list[dict[str, Any]]) -> None:
        self.changes = changes
        self.override: Responder | None = None
        self.requests: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.override is not None:
            answer = self.override(request)
            if answer is not None:
                return answer
        if request.url.path == "/api/v1/auth/token":
            return httpx.Response(200, json={"access_token": "peer-token", "token_type": "bearer"})
        start = int(request.url.params.get("since") or 0)
        limit = int(request.url.params["limit"])
        page = self.changes[start : start + limit]
        body = {
            "changes": page,
            "next_cursor": str(start + len(page)),
            "has_more": start + len(page) < len(self.changes),
        }
        return httpx.Response(200, json=body)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))


async def register_peer(session: AsyncSession, code: str = "HN") -> Exchange:
    """A pull-mode exchange with sealed credentials, committed."""
    sealed = encrypt(
        get_settings().secret_key, json.dumps({"client_id": "c-1", "client_secret": "s-1"})
    )
    exchange = Exchange(
        code=code, name=f"Sàn {code}", mode="pull", base_url=BASE_URL, pull_credentials=sealed
    )
    session.add(exchange)
    await session.commit()
    return exchange

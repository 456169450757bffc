"""Outbound requests (webhooks, harvests) never reach loopback or other internal addresses."""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.core import egress
from app.core.config import get_settings
from app.core.security import encrypt
from app.models import Exchange, IpAlert, WebhookDelivery, WebhookSubscription
from app.services.federation import harvest, harvest_jobs
from app.services.notifications import webhooks
from tests.factories import login, make_user
from tests.harvest_helpers import register_peer
from tests.ip_helpers import make_record


@dataclass
class Listener:
    """A loopback HTTP server that answers 204 and counts the connections it accepted."""

    port: int
    connections: int = 0


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    found = Listener(port=0)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        found.connections += 1
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(x.split(b":")[1])
                for x in head.split(b"\r\n")
                if x.lower().startswith(b"content-length")
            ),
            0,
        )
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    found.port = server.sockets[0].getsockname()[1]
    try:
        yield found
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address under test, not a binding
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",
        "64:ff9b::7f00:1",
    ],
)
def test_internal_addresses_of_every_family_are_not_public(address: str) -> None:
    assert not egress.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_public(address: str) -> None:
    assert egress.is_public(ipaddress.ip_address(address))


def test_allowed_networks_are_reachable_on_purpose() -> None:
    allow = egress.networks(["127.0.0.0/8"])
    assert egress.is_public(ipaddress.ip_address("127.0.0.1"), allow)
    assert egress.refusal("http://localhost:9/", allow) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost./hook",
        "http://LOCALHOST/hook",
        "http://api.localhost/hook",
        "http://127.1/hook",
        "http://0x7f000001/hook",
        "http://2130706433/hook",
        "http://0.0.0.0:8000/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://224.0.0.1/hook",
    ],
)
async def test_webhook_urls_naming_internal_hosts_are_refused_at_creation(
    url: str, client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    response = await client.post("/api/v1/webhooks", json={"url": url}, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "/problems/webhook-url-refused"


async def _delivery_to(session: AsyncSession, ctx: AppContext, url: str) -> WebhookDelivery:
    """A subscription saved while its name was public, and one delivery queued to it."""
    owner = await make_user(session, ctx)
    subscription = WebhookSubscription(
        owner_id=owner.id,
        url=url,
        event_kinds=["ip.deadline"],
        secret_encrypted=encrypt(get_settings().secret_key, "whsec_test"),
    )
    record = await make_record(session, owner, filed=date(2024, 3, 15))
    alert = IpAlert(
        alert_key=uuid.uuid4().hex,
        record_id=record.id,
        user_id=owner.id,
        kind="deadline",
        rule="formality",
        deadline_key="formality",
        due_date=date(2024, 4, 15),
    )
    session.add_all([subscription, alert])
    await session.flush()
    delivery = WebhookDelivery(
        id=uuid.uuid4(),
        subscription_id=subscription.id,
        alert_id=alert.id,
        event_kind="ip.deadline",
        body='{"id":"x"}',
    )
    session.add(delivery)
    await session.commit()  # the delivery job ends its transaction before the network call
    return delivery


async def test_delivery_to_a_name_resolving_to_loopback_never_reaches_it(
    session: AsyncSession, ctx: AppContext, listener: Listener
) -> None:
    delivery_id = (await _delivery_to(session, ctx, f"http://localhost:{listener.port}/hook")).id
    with pytest.raises(webhooks.WebhookDeliveryFailed) as caught:
        await webhooks.deliver(session, {"delivery_id": str(delivery_id)})
    assert str(listener.port) not in str(caught.value)
    assert listener.connections == 0
    stored = await session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id))
    assert stored is not None and stored.status == "pending"


async def test_delivery_reaches_loopback_only_when_the_network_is_allowed(
    session: AsyncSession, ctx: AppContext, listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings().egress, "allow_networks", ["127.0.0.0/8"])
    delivery = await _delivery_to(session, ctx, f"http://localhost:{listener.port}/hook")
    await webhooks.deliver(session, {"delivery_id": str(delivery.id)})
    assert listener.connections == 1
    assert delivery.status == "delivered"


async def test_refused_delivery_error_does_not_say_whether_a_port_is_open(
    session: AsyncSession, ctx: AppContext, listener: Listener
) -> None:
    open_port = await _delivery_to(session, ctx, f"http://127.0.0.1:{listener.port}/")
    with pytest.raises(webhooks.WebhookDeliveryFailed) as open_error:
        await webhooks.deliver(session, {"delivery_id": str(open_port.id)})
    closed_port = await _delivery_to(session, ctx, "http://127.0.0.1:1/")
    with pytest.raises(webhooks.WebhookDeliveryFailed) as closed_error:
        await webhooks.deliver(session, {"delivery_id": str(closed_port.id)})
    assert str(open_error.value) == str(closed_error.value)
    assert listener.connections == 0


async def test_redirects_are_not_followed() -> None:
    async with egress.client(timeout=5, allow=egress.networks(["127.0.0.0/8"])) as http:
        assert not http.follow_redirects
        assert http.trust_env is False


async def test_peer_base_url_on_loopback_is_refused_at_registration(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, admin = await login(client, session, ctx, roles=["admin"])
    body = {"code": "LB", "name": "Sàn nội bộ", "mode": "pull", "base_url": "http://127.1:9/"}
    response = await client.post("/api/v1/admin/exchanges", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "/problems/peer-url-refused"


async def test_harvest_of_a_peer_resolving_to_loopback_never_reaches_it(
    session: AsyncSession, listener: Listener
) -> None:
    exchange = await register_peer(session)
    exchange.base_url = f"http://localhost:{listener.port}"
    await session.commit()
    with pytest.raises(harvest.PeerRefused):
        await harvest_jobs.run(session, "HN")
    assert listener.connections == 0
    session.expire_all()
    stored = await session.scalar(select(Exchange).where(Exchange.code == "HN"))
    assert stored is not None and stored.status == "paused", stored and stored.last_error

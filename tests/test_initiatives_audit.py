"""The hash-chained audit log: verification through the admin endpoint and `techx audit verify`,
and the demo data that exercises it."""

from __future__ import annotations

import itertools
from collections import Counter

import httpx
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.context import AppContext
from app.demo import seed as demo
from app.models import AuditEntry, Initiative
from app.services import audit
from tests.conftest import fresh_database_url
from tests.factories import login
from tests.initiative_helpers import create, techx

VERIFY = "/api/v1/admin/audit/verify"


async def _entries(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> tuple[list[AuditEntry], dict[str, str]]:
    _, owner = await login(client, session, ctx, roles=["scientist"])
    _, admin = await login(client, session, ctx, roles=["admin"])
    for _ in range(3):
        initiative = await create(client, owner)
        await client.get(f"/api/v1/initiatives/{initiative['id']}", headers=admin)
    rows = (await session.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all()
    return list(rows), admin


async def test_entries_form_a_chain_from_the_genesis_hash(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    rows, _ = await _entries(client, session, ctx)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == audit.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(rows))


async def test_admin_endpoint_reports_an_intact_chain(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    rows, admin = await _entries(client, session, ctx)
    response = await client.get(VERIFY, headers=admin)
    assert response.status_code == 200
    assert response.json() == {"intact": True, "entries": len(rows), "first_tampered": None}


async def test_editing_a_stored_entry_is_named_by_the_admin_endpoint(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    rows, admin = await _entries(client, session, ctx)
    target = rows[3].seq
    await session.execute(
        update(AuditEntry).where(AuditEntry.seq == target).values(data={"basis": "nobody"})
    )
    await session.commit()

    body = (await client.get(VERIFY, headers=admin)).json()
    assert body["intact"] is False
    assert body["entries"] == target - 1
    assert body["first_tampered"] == {
        "seq": target,
        "reason": "stored hash does not match the entry's content",
    }


async def test_deleting_an_entry_is_detected_at_the_next_one(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    rows, admin = await _entries(client, session, ctx)
    await session.execute(delete(AuditEntry).where(AuditEntry.seq == rows[2].seq))
    await session.commit()
    body = (await client.get(VERIFY, headers=admin)).json()
    assert body["intact"] is False
    assert body["first_tampered"]["seq"] == rows[3].seq


async def test_recomputed_hash_with_a_broken_link_is_detected(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    """Rewriting an entry and its own hash still breaks the next entry's link."""
    rows, admin = await _entries(client, session, ctx)
    victim = rows[1]
    forged = audit.entry_hash(
        victim.prev_hash,
        seq=victim.seq,
        at=victim.at,
        actor_id=None,
        action=victim.action,
        subject_type=victim.subject_type,
        subject_id=victim.subject_id,
        data=victim.data,
    )
    await session.execute(
        update(AuditEntry).where(AuditEntry.seq == victim.seq).values(actor_id=None, hash=forged)
    )
    await session.commit()
    body = (await client.get(VERIFY, headers=admin)).json()
    assert body["first_tampered"]["seq"] == rows[2].seq


async def test_only_administrators_verify_the_audit_log(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, scientist = await login(client, session, ctx, roles=["scientist"])
    assert (await client.get(VERIFY, headers=scientist)).status_code == 403
    assert (await client.get(VERIFY)).status_code == 401


async def test_demo_data_has_an_initiative_in_every_workflow_stage(
    session: AsyncSession, ctx: AppContext
) -> None:
    assert await demo.seed(session, passwords=ctx.passwords)
    states = Counter((await session.scalars(select(Initiative.state))).all())
    assert set(states) == {
        "draft",
        "submitted",
        "screening",
        "under_review",
        "selected",
        "rejected",
        "returned",
        "withdrawn",
        "published",
        "commercializing",
        "commercialized",
    }
    assert (await audit.verify(session)).intact


async def test_techx_audit_verify_exits_non_zero_naming_an_edited_entry() -> None:
    url = fresh_database_url("audit")
    assert techx(url, "db", "upgrade").returncode == 0
    assert techx(url, "demo").returncode == 0
    intact = techx(url, "audit", "verify")
    assert intact.returncode == 0, intact.stderr
    assert "audit log intact" in intact.stdout

    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            total = (await conn.execute(select(func.count()).select_from(AuditEntry))).scalar_one()
            await conn.execute(
                text("UPDATE audit_entries SET action = 'initiative.nothing' WHERE seq = :seq"),
                {"seq": total // 2},
            )
    finally:
        await engine.dispose()

    tampered = techx(url, "audit", "verify")
    assert tampered.returncode == 1
    assert f"seq={total // 2}" in tampered.stderr

"""Funnel counts for the reports: per stage, conversion and decline reasons, equal to direct
counts of the deals and their moves."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import Deal, DealMove
from app.models.base import utcnow
from app.services.deals import funnel
from tests import deal_helpers as dh
from tests import listing_helpers as lh


async def _decline(
    client: httpx.AsyncClient, t: dh.Table, side: str, reason: str, note: str | None = None
) -> None:
    body = {"to": "declined", "reason": reason, **({"note": note} if note else {})}
    response = await dh.move(client, t.id, t.headers(side), body)
    assert response.status_code == 200, response.text


async def _funnel_of_five(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> list[dh.Table]:
    """Five listing deals: completed, at term sheet, at interest, declined at interest (too
    early), declined at meeting (other)."""
    tables = [await dh.listing_table(client, session, ctx) for _ in range(5)]
    await dh.advance(client, tables[0], "completed")
    await dh.advance(client, tables[1], "term_sheet")
    await _decline(client, tables[3], "owner", "too_early_stage")
    await dh.advance(client, tables[4], "meeting")
    await _decline(client, tables[4], "party", "other", "Ngân sách đã hết")
    return tables


async def _direct(session: AsyncSession, stage: str) -> int:
    """Deals with a move into ``stage``, counted straight from the tables."""
    found = await session.scalar(
        select(func.count(func.distinct(DealMove.deal_id))).where(DealMove.to_stage == stage)
    )
    return int(found or 0)


async def test_counts_equal_direct_counts(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    start = utcnow()
    await _funnel_of_five(client, session, ctx)
    counts = await funnel.counts(session, start, utcnow() + timedelta(seconds=1))

    assert counts.created == 5
    assert counts.reached == {
        stage: await _direct(session, stage)
        for stage in (
            "interest",
            "access_requested",
            "meeting",
            "term_sheet",
            "contract",
            "completed",
        )
    }
    assert counts.reached == {
        "interest": 5,
        "access_requested": 3,
        "meeting": 3,
        "term_sheet": 2,
        "contract": 1,
        "completed": 1,
    }
    stages = await session.execute(select(Deal.stage, func.count()).group_by(Deal.stage))
    direct_now = dict(stages.all())
    assert {k: v for k, v in counts.at_stage.items() if v} == direct_now
    assert counts.conversion == {
        "interest->access_requested": 0.6,
        "access_requested->meeting": 1.0,
        "meeting->term_sheet": round(2 / 3, 4),
        "term_sheet->contract": 0.5,
        "contract->completed": 1.0,
    }
    assert counts.declined == direct_now["declined"] == 2
    assert counts.decline_reasons == {"too_early_stage": 1, "other": 1}
    assert counts.declined_from == {"interest": 1, "meeting": 1}
    assert counts.as_dict()["created"] == 5


async def test_counts_keep_to_the_period(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    start = utcnow()
    tables = await _funnel_of_five(client, session, ctx)
    cut = utcnow()
    # After the period ends: one more move, and a deal opened later.
    await dh.move(client, tables[1].id, tables[1].owner, {"to": "contract"})
    _, author, _ = await lh.author(client, session, ctx)
    listing = await lh.create(client, author)
    assert (await dh.express(client, tables[2].party, "listing", listing["id"])).status_code == 201
    # A deal opened before the period.
    await session.execute(
        update(Deal)
        .where(Deal.id == uuid.UUID(tables[2].id))
        .values(created_at=start - timedelta(days=2))
    )
    await session.commit()

    counts = await funnel.counts(session, start, cut)
    assert counts.created == 4
    assert counts.reached["contract"] == 1 and counts.reached["term_sheet"] == 2
    assert counts.at_stage["term_sheet"] == 1
    assert (await funnel.counts(session, start, utcnow())).reached["contract"] == 2
    empty = await funnel.counts(session, cut - timedelta(days=30), start - timedelta(days=7))
    assert empty.created == 0 and empty.conversion["interest->access_requested"] is None


async def test_counts_by_kind_of_subject(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    start = utcnow()
    await dh.listing_table(client, session, ctx)
    t = await dh.initiative_table(client, session, ctx)
    await _decline(client, t, "party", "ip_position_weak")
    end = utcnow()
    initiatives = await funnel.counts(session, start, end, subject_kind="initiative")
    listings = await funnel.counts(session, start, end, subject_kind="listing")
    assert (initiatives.created, listings.created) == (1, 1)
    assert initiatives.decline_reasons == {"ip_position_weak": 1}
    assert listings.declined == 0

"""Real commits: a change committed late is not skipped; concurrent pushes keep version order."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.context import AppContext
from app.core.database import is_sqlite
from app.models import ChangeEntry, Listing, Organisation
from app.schemas.sync import SyncRecord
from app.services.federation import apply, feed
from tests.sync_helpers import record

pytestmark = pytest.mark.committing

MARK = "ZZ-ORDER"
OWNER = "Tổ chức thử thứ tự ghi"


async def _tombstone(session: AsyncSession, origin_id: str) -> None:
    await feed.record(
        session,
        op="delete",
        listing_id=uuid.uuid4(),
        origin_exchange=MARK,
        origin_id=origin_id,
        version=1,
    )


async def _read(base_ctx: AppContext, since: str | None) -> tuple[list[str], str]:
    async with base_ctx.sessionmaker() as reader:
        page = await feed.changes(reader, since=since, limit=1000)
        await reader.rollback()
    mine = [c.source.source_id for c in page.changes if c.source.exchange == MARK]
    return mine, page.next_cursor


async def _tail(base_ctx: AppContext) -> str:
    cursor: str | None = None
    while True:
        async with base_ctx.sessionmaker() as reader:
            page = await feed.changes(reader, since=cursor, limit=1000)
        cursor = page.next_cursor
        if not page.has_more:
            return cursor


async def test_change_committed_late_by_a_slow_transaction_is_not_skipped(
    base_ctx: AppContext,
) -> None:
    if is_sqlite(base_ctx.engine):
        pytest.skip("SQLite serialises writers: seq order is commit order")
    cursor = await _tail(base_ctx)
    slow, fast = base_ctx.sessionmaker(), base_ctx.sessionmaker()
    try:
        await _tombstone(slow, "slow")  # takes the earlier seq, stays open
        await _tombstone(fast, "fast")
        await fast.commit()
        seen, cursor = await _read(base_ctx, cursor)
        assert seen == []  # the fast change waits behind the open slow transaction
        await slow.commit()
        seen, cursor = await _read(base_ctx, cursor)
        assert seen == ["slow", "fast"]
        assert (await _read(base_ctx, cursor))[0] == []
    finally:
        await slow.close()
        await fast.close()
        async with base_ctx.sessionmaker() as cleanup:
            await cleanup.execute(delete(ChangeEntry).where(ChangeEntry.origin_exchange == MARK))
            await cleanup.commit()


async def test_a_transaction_open_in_another_database_does_not_hold_the_feed_back(
    base_ctx: AppContext,
) -> None:
    if is_sqlite(base_ctx.engine):
        pytest.skip("SQLite has no other database on its server")
    cursor = await _tail(base_ctx)
    other_url = base_ctx.engine.url.set(database="postgres")
    other = create_async_engine(other_url)
    try:
        async with other.connect() as elsewhere:
            await elsewhere.execute(text("SELECT pg_current_xact_id()"))  # holds an xid, open
            async with base_ctx.sessionmaker() as writer:
                await _tombstone(writer, "after-foreign")
                await writer.commit()
            seen, cursor = await _read(base_ctx, cursor)
            assert seen == ["after-foreign"]
            await elsewhere.rollback()
    finally:
        await other.dispose()
        async with base_ctx.sessionmaker() as cleanup:
            await cleanup.execute(delete(ChangeEntry).where(ChangeEntry.origin_exchange == MARK))
            await cleanup.commit()


def _record(version: int, **overrides: Any) -> SyncRecord:
    body = record("race", version, exchange=MARK, **overrides)
    body["owner"]["name"] = OWNER
    return SyncRecord.model_validate(body)


async def _wait_for_lock_wait(base_ctx: AppContext) -> None:
    """Until another connection waits on a row lock (the losing push reached its lock)."""
    query = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    async with base_ctx.engine.connect() as probe:
        for _ in range(3000):
            waiting = (await probe.execute(query)).scalar()
            await probe.rollback()  # statistics are cached per transaction
            if waiting:
                return
            await asyncio.sleep(0.01)
    pytest.fail("the second push never waited on the row lock")


async def _clean(base_ctx: AppContext) -> None:
    async with base_ctx.sessionmaker() as cleanup:
        await cleanup.execute(delete(ChangeEntry).where(ChangeEntry.origin_exchange == MARK))
        await cleanup.execute(delete(Listing).where(Listing.origin_exchange == MARK))
        await cleanup.execute(delete(Organisation).where(Organisation.name == OWNER))
        await cleanup.commit()


async def test_concurrent_pushes_of_one_record_apply_in_version_order(
    base_ctx: AppContext,
) -> None:
    if is_sqlite(base_ctx.engine):
        pytest.skip("SQLite serialises writers")
    try:
        async with base_ctx.sessionmaker() as setup:
            await apply.upsert(setup, _record(3))
            await setup.commit()
        async with base_ctx.sessionmaker() as newer, base_ctx.sessionmaker() as older:
            assert (await apply.upsert(newer, _record(5, trl=5))).status == "updated"
            late = asyncio.create_task(apply.upsert(older, _record(4, trl=4)))
            await _wait_for_lock_wait(base_ctx)
            await newer.commit()
            assert (await late).status == "stale"
            await older.commit()
        async with base_ctx.sessionmaker() as check:
            stored = await check.scalar(select(Listing).where(Listing.origin_exchange == MARK))
            assert stored is not None and (stored.version, stored.trl) == (5, 5)
    finally:
        await _clean(base_ctx)


async def test_a_record_absent_when_a_batch_began_stays_absent_until_it_commits(
    base_ctx: AppContext,
) -> None:
    if is_sqlite(base_ctx.engine):
        pytest.skip("SQLite serialises writers")
    source = _record(1).source
    try:
        async with base_ctx.sessionmaker() as batch, base_ctx.sessionmaker() as other:
            lookups = await apply.look_up(batch, [source.model_copy(update={"version": 3})], [])
            # Another writer creates the record while the batch is still on earlier items.
            late = asyncio.create_task(apply.upsert(other, _record(2)))
            await _wait_for_lock_wait(base_ctx)
            deleted = await apply.delete_record(
                batch, source.model_copy(update={"version": 3}), lookups
            )
            assert deleted.status == "deleted"
            await batch.commit()
            assert (await late).status == "stale"
            await other.commit()
        async with base_ctx.sessionmaker() as check:
            live = await check.scalar(select(Listing.id).where(Listing.origin_exchange == MARK))
            [entry] = (
                await check.scalars(select(ChangeEntry).where(ChangeEntry.origin_exchange == MARK))
            ).all()
            assert live is None and (entry.op, entry.version) == ("delete", 3)
    finally:
        await _clean(base_ctx)

"""The change feed: written with every change, read in commit order, tombstones and horizon.

Order is ``(xid, seq)``. ``seq`` is taken at insert but becomes visible at commit, so reading
``seq > last`` would skip a row that a slow transaction commits late. On PostgreSQL each row
carries its writing transaction id, and a reader serves only rows of transactions older than its
snapshot's first transaction still in progress in this database: all older ones have ended, so
no row can later appear before a position already served (transactions of other databases on
the same server cannot write here and do not hold the feed back). SQLite writers are serialised
(``BEGIN IMMEDIATE``), so ``seq`` order is commit order there and ``xid`` stays 0.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import cast as typing_cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Table,
    Text,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core.database import is_sqlite
from app.core.errors import Gone, InvalidCursor
from app.core.pagination import decode_cursor, encode_cursor
from app.models import ChangeEntry, FeedHorizon, Listing
from app.models.base import utcnow
from app.models.listing import LOCAL_EXCHANGE
from app.schemas.listing import METADATA_VERSION
from app.schemas.sync import Change, ChangePage, FeedRecord, FeedSource
from app.services.federation import origins
from app.services.listings.projection import listing_fields

CHANGES = typing_cast(Table, ChangeEntry.__table__)
PURPOSE = "sync-changes"
CURSOR_VERSION = 1
HORIZON_ID = 1


class CursorExpired(Gone):
    slug, title = "sync-cursor-expired", "Cursor behind the tombstone horizon"

    def __init__(self) -> None:
        super().__init__(
            "Deletions after this cursor are no longer kept; resync from the start "
            "(read the feed without `since`) and replace your copy",
            extra={"resync": "/api/v1/sync/changes"},
        )


@dataclass(frozen=True, order=True)
class Position:
    xid: int
    seq: int


START = Position(0, 0)


def _as_bigint(value: Any) -> ColumnElement[int]:
    # xid8 has no direct cast to bigint; its text form is the 64-bit number.
    return cast(cast(value, Text), BigInteger)


def _writer_xid(session: AsyncSession) -> Any:
    return 0 if is_sqlite(session) else _as_bigint(func.pg_current_xact_id())


# The oldest transaction that may still write here: the first id in progress in the reader's
# snapshot, unless pg_stat_activity shows it belongs to another database (whose transactions
# cannot write these tables). Unknown ones (finished since, prepared, hidden) count as ours.
_HORIZON = literal_column(
    """(SELECT COALESCE(
        (SELECT min(x::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
          WHERE NOT EXISTS (
            SELECT 1 FROM pg_stat_activity AS a
             WHERE a.datname IS NOT NULL AND a.datname <> current_database()
               AND a.backend_xid IS NOT NULL
               AND a.backend_xid::text::bigint = x::text::bigint % 4294967296)),
        pg_snapshot_xmax(pg_current_snapshot())::text::bigint))""",
    type_=BigInteger,
)


def _settled(session: AsyncSession) -> ColumnElement[bool]:
    """Rows no transaction of this database can still precede (PostgreSQL).

    Rows of the reader's own transaction are visible to it as well; a feed request writes
    nothing, so this only matters when one transaction writes and reads.
    """
    if is_sqlite(session):
        return true()
    own = _as_bigint(func.pg_current_xact_id_if_assigned())
    return or_(ChangeEntry.xid < _HORIZON, ChangeEntry.xid == own)


async def record(
    session: AsyncSession,
    *,
    op: str,
    listing_id: uuid.UUID,
    origin_exchange: str,
    origin_id: str,
    version: int,
) -> None:
    """Make this change the record's feed entry (a delete's entry is its tombstone)."""
    key = (ChangeEntry.origin_exchange == origin_exchange, ChangeEntry.origin_id == origin_id)
    await session.execute(delete(ChangeEntry).where(*key))
    await session.execute(
        insert(ChangeEntry).values(
            xid=_writer_xid(session),
            op=op,
            listing_id=listing_id,
            origin_exchange=origin_exchange,
            origin_id=origin_id,
            version=version,
            changed_at=utcnow(),
        )
    )


async def record_many(session: AsyncSession, entries: list[dict[str, Any]]) -> None:
    """``record`` for many records at once, in order (two statements): each entry names
    ``op``, ``listing_id``, ``origin_exchange``, ``origin_id`` and ``version``."""
    if not entries:
        return
    keys = [(e["origin_exchange"], e["origin_id"]) for e in entries]
    postgres = not is_sqlite(session)
    await session.execute(origins.delete_rows(CHANGES, keys, postgres=postgres))
    xid = 0 if is_sqlite(session) else await session.scalar(select(_writer_xid(session)))
    now = utcnow()
    rows = [{**entry, "xid": xid, "changed_at": now} for entry in entries]
    # The table, not the entity: a Core executemany, without the ORM's bulk bookkeeping.
    await session.execute(insert(CHANGES), rows)


async def tombstone(
    session: AsyncSession, *, origin_exchange: str, origin_id: str, lock: bool = False
) -> ChangeEntry | None:
    """The tombstone of a deleted record, if it is still kept (``lock``: until commit)."""
    stmt = select(ChangeEntry).where(
        ChangeEntry.origin_exchange == origin_exchange,
        ChangeEntry.origin_id == origin_id,
        ChangeEntry.op == "delete",
    )
    entry: ChangeEntry | None = await session.scalar(stmt.with_for_update() if lock else stmt)
    return entry


def _encode(position: Position) -> str:
    data = {"v": CURSOR_VERSION, "x": position.xid, "s": position.seq}
    return encode_cursor(data, purpose=PURPOSE)


def _decode(cursor: str) -> Position:
    data = decode_cursor(cursor, purpose=PURPOSE)
    xid, seq = data.get("x"), data.get("s")
    if data.get("v") != CURSOR_VERSION or not isinstance(xid, int) or not isinstance(seq, int):
        raise InvalidCursor("The cursor does not belong to this feed")
    return Position(xid, seq)


async def horizon(session: AsyncSession) -> Position:
    """The newest position whose tombstone was purged (the start if none was)."""
    row = await session.get(FeedHorizon, HORIZON_ID)
    return Position(row.xid, row.seq) if row else START


async def _start(session: AsyncSession, since: str | None) -> Position:
    if not since:
        return START
    position = _decode(since)
    if position < await horizon(session):
        raise CursorExpired()
    return position


@dataclass(frozen=True)
class Publisher:
    """How this instance names itself in its feed: its exchange code, and where its records
    are read (``{base_url}/api/v1/listings/{id}``)."""

    code: str
    base_url: str

    def exchange(self, origin: str) -> str:
        return self.code if origin == LOCAL_EXCHANGE else origin


# Without a publisher (in-process readers), own records keep the stored ``LOCAL``.
STORED = Publisher(code=LOCAL_EXCHANGE, base_url="")


def _record(listing: Listing, now: datetime, publisher: Publisher) -> FeedRecord:
    fields = listing_fields(listing, now=now)
    source = fields["source"]
    if listing.origin_exchange == LOCAL_EXCHANGE and publisher is not STORED:
        url = f"{publisher.base_url}/api/v1/listings/{listing.id}"
        fields["source"] = source.model_copy(update={"exchange": publisher.code, "url": url})
    return FeedRecord(**fields)


def _change(
    entry: ChangeEntry, listing: Listing | None, now: datetime, publisher: Publisher
) -> Change:
    live = entry.op == "upsert" and listing is not None
    return Change(
        seq=entry.seq,
        op="upsert" if entry.op == "upsert" else "delete",
        id=entry.listing_id,
        source=FeedSource(
            exchange=publisher.exchange(entry.origin_exchange),
            source_id=entry.origin_id,
            version=entry.version,
        ),
        changed_at=entry.changed_at,
        record=_record(listing, now, publisher) if live and listing else None,
    )


async def changes(
    session: AsyncSession, *, since: str | None, limit: int, publisher: Publisher = STORED
) -> ChangePage:
    """The settled changes after ``since`` in commit order, each record's latest state; this
    instance's own records under its exchange code, with the link to where they are read."""
    start = await _start(session, since)
    stmt = (
        select(ChangeEntry, Listing)
        .outerjoin(Listing, Listing.id == ChangeEntry.listing_id)
        .where(_settled(session))
        .where(
            tuple_(ChangeEntry.xid, ChangeEntry.seq)
            > tuple_(literal(start.xid, BigInteger), literal(start.seq, BigInteger))
        )
        .order_by(ChangeEntry.xid, ChangeEntry.seq)
        .limit(limit + 1)
        .options(selectinload(Listing.organisation))
    )
    rows = list((await session.execute(stmt)).tuples())
    page, has_more = rows[:limit], len(rows) > limit
    last = Position(page[-1][0].xid, page[-1][0].seq) if page else start
    now = utcnow()
    return ChangePage(
        metadata_version=METADATA_VERSION,
        changes=[_change(entry, listing, now, publisher) for entry, listing in page],
        next_cursor=_encode(last),
        has_more=has_more,
    )


async def purge_tombstones(session: AsyncSession, *, before: datetime) -> int:
    """Drop tombstones older than ``before``; cursors behind them then answer 410."""
    old = (ChangeEntry.op == "delete", ChangeEntry.changed_at < before)
    newest = (
        await session.execute(
            select(ChangeEntry.xid, ChangeEntry.seq)
            .where(*old)
            .order_by(ChangeEntry.xid.desc(), ChangeEntry.seq.desc())
            .limit(1)
        )
    ).first()
    if newest is None:
        return 0
    result = await session.execute(delete(ChangeEntry).where(*old))
    purged = getattr(result, "rowcount", 0) or 0
    mark = max(Position(newest.xid, newest.seq), await horizon(session))
    row = await session.get(FeedHorizon, HORIZON_ID)
    if row is None:
        session.add(FeedHorizon(id=HORIZON_ID, xid=mark.xid, seq=mark.seq))
    else:
        row.xid, row.seq, row.purged_at = mark.xid, mark.seq, utcnow()
    await session.flush()
    return int(purged)

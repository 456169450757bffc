"""Listing search: one interface over SQLite FTS5 and PostgreSQL tsvector.

Order with ``q``: (score, seq) descending, where the score of the most recent
``RANKED_CANDIDATES`` matches is their ranking (``ranking.py``) and every older match scores 0
(and so follows, newest first). Without ``q``: seq descending. A cursor carries the position,
the query's fingerprint and the first page's snapshot (highest seq and clock), so paging neither
repeats nor skips a row while listings are added.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import is_sqlite
from app.core.errors import InvalidCursor
from app.core.pagination import decode_cursor, encode_cursor
from app.models import Listing
from app.models.base import utcnow
from app.services.search import facets as search_facets
from app.services.search import sql, templates
from app.services.search.postgres import PostgresSearch
from app.services.search.query import SearchQuery, parse
from app.services.search.sql import Plan, Position, Scope, SearchBackend, SearchFilters
from app.services.search.sql import Snapshot as Snapshot
from app.services.search.sqlite import SqliteSearch

CURSOR_PURPOSE = "listings-search"


@dataclass
class SearchResult:
    hits: list[tuple[Listing, int | None]]
    next_cursor: str | None
    total: int | None = None
    # False when more results exist than were counted (``facets.COUNTED_RESULTS``).
    counts_exact: bool | None = None
    facets: dict[str, dict[str, int]] | None = None


@dataclass
class _Cursor:
    snapshot: Snapshot
    after: Position
    floor: int | None  # lowest ranked seq, once known; None while unknown or all are ranked


def backend_for(session: AsyncSession) -> SearchBackend:
    return SqliteSearch() if is_sqlite(session) else PostgresSearch()


def fingerprint(query: SearchQuery, filters: SearchFilters) -> str:
    data = json.dumps([query.key, asdict(filters)], sort_keys=True, default=list)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def _encode(state: _Cursor, key: str) -> str:
    return encode_cursor(
        {
            "q": key,
            "h": state.snapshot.high_water,
            "t": state.snapshot.now.isoformat(),
            "s": state.after.score,
            "k": state.after.seq,
            "f": state.floor,
        },
        purpose=CURSOR_PURPOSE,
    )


def _decode(cursor: str, key: str) -> _Cursor:
    data = decode_cursor(cursor, purpose=CURSOR_PURPOSE)
    if data.get("q") != key:
        raise InvalidCursor("The cursor belongs to another query or other filters")
    try:
        snapshot = Snapshot(high_water=int(data["h"]), now=datetime.fromisoformat(data["t"]))
        floor = None if data.get("f") is None else int(data["f"])
        return _Cursor(snapshot, Position(int(data["s"]), int(data["k"])), floor)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidCursor("The cursor is malformed") from exc


# Reads the highest listing seq (``search``'s ``high_water``).
HighWater = Callable[[], Awaitable[int]]


async def _snapshot(session: AsyncSession, high_water: HighWater | None = None) -> Snapshot:
    if high_water is not None:
        return Snapshot(high_water=await high_water(), now=utcnow())
    found = await session.scalar(sql.HIGH_WATER)
    return Snapshot(high_water=int(found or 0), now=utcnow())


# The rows (by seq) a search looks among first, and how much wider a next span may be
# (``_window``).
FIRST_SPAN = 25_000
MAX_GROWTH = 16


async def _floor(session: AsyncSession, plan: Plan) -> int | None:
    """The lowest ranked seq when the candidate set is full (older matches exist unscored)."""
    count, lowest = (await session.execute(sql.candidate_floor(plan))).one()
    return int(lowest) if count >= sql.RANKED_CANDIDATES else None


Rows = list[tuple[Listing, int]]


async def _window(
    session: AsyncSession,
    plan: Plan,
    size: int,
    shape: Hashable,
    build: Callable[[Plan], Executable],
    after: Position | None = None,
) -> tuple[search_facets.Counts, list[tuple[int, int]]]:
    """The counts and hits of the statement ``build`` makes around a window of ``size`` rows,
    found among recent rows first.

    A window (the newest results, up to its size) found among recent rows is the whole
    catalogue's when it is full: every result it lacks is older than all it holds. So a broad
    query reads the rows of its recent matches only. When the window is not full, the number
    it holds predicts the span that would fill it, and the search is run again over that
    span (at least twice, at most ``MAX_GROWTH`` times as wide), until a window is full or the
    span covers the catalogue. Backends that find the newest matches without collecting the
    others (``recent_first`` false) search the whole catalogue at once.
    """
    span = FIRST_SPAN if plan.backend.recent_first else None
    while True:
        above = plan.snapshot.high_water - span if span is not None else 0
        attempt = replace(plan, above=above) if above > 0 else plan
        stmt = templates.statement(attempt, shape, build)
        params = templates.values(attempt, after=after)
        counts, hits = search_facets.read((await session.execute(stmt, params)).all())
        if attempt.above is None or counts.window >= size:
            return counts, hits
        assert span is not None
        growth = 1.5 * size / max(counts.window, 1)
        span = int(span * min(MAX_GROWTH, max(2.0, growth)))


# Reads the listings of a page's hits by seq (``search``'s ``load``): those it finds, by seq.
Loader = Callable[[list[int]], Awaitable[Mapping[int, Listing]]]


async def _listings(
    session: AsyncSession, hits: list[tuple[int, int]], load: Loader | None
) -> Rows:
    """The listings of (seq, score) hits, in the hits' order: read in the search's session, or
    by ``load``, which leaves out a listing gone since the search found it."""
    seqs = [seq for seq, _ in hits]
    if load is None:
        found = {listing.seq: listing for listing in await session.scalars(sql.listings(seqs))}
    else:
        found = dict(await load(seqs))
    return [(found[seq], score) for seq, score in hits if seq in found]


async def _hits(
    session: AsyncSession,
    plan: Plan,
    after: Position | None,
    limit: int,
    with_facets: bool,
    load: Loader | None,
) -> tuple[Rows, search_facets.Counts | None]:
    """Up to ``limit`` ranked candidates after ``after``, best first, and, if asked, the counts:
    both read from one search of the newest matches."""
    size = max(sql.RANKED_CANDIDATES, sql.COUNTED_RESULTS + 1 if with_facets else 0)

    def build(template: Plan) -> Executable:
        window = sql.window(template, size, scored=True)
        position = None if after is None else templates.position()
        hits = sql.ranked_hits(window, held=size, after=position, limit=limit)
        return search_facets.facet_counts(
            template, window, held=size, facets=with_facets, hits=hits
        )

    shape = (
        "hits",
        size,
        with_facets,
        after is None,
        limit,
        sql.RANKED_CANDIDATES,
        sql.COUNTED_RESULTS,
    )
    counts, hits = await _window(session, plan, size, shape, build, after)
    return await _listings(session, hits, load), counts if with_facets else None


async def _counts(session: AsyncSession, plan: Plan) -> search_facets.Counts:
    """The number of results and, per facet, the number of results for each value (most
    frequent first), counted over the most recent ``COUNTED_RESULTS`` results."""
    size = sql.COUNTED_RESULTS + 1

    def build(template: Plan) -> Executable:
        window = sql.window(template, size, scored=False)
        return search_facets.facet_counts(template, window, held=size)

    counts, _ = await _window(session, plan, size, ("counts", size), build)
    return counts


async def _ranked(
    session: AsyncSession,
    plan: Plan,
    after: Position | None,
    floor: int | None,
    limit: int,
    with_facets: bool,
    load: Loader | None,
) -> tuple[Rows, int | None, search_facets.Counts | None]:
    """Up to ``limit + 1`` rows in (score, seq) order, scored candidates then older matches;
    and the counts, when asked and read on the way."""
    rows: Rows = []
    counts = None
    in_tail = after is not None and after.score == 0 and floor is not None and after.seq < floor
    if not in_tail:
        rows, counts = await _hits(session, plan, after, limit + 1, with_facets, load)
        if len(rows) > limit:
            return rows, floor, counts
        # A first page that ran out of candidates saw them all: nothing older is unscored.
        floor = None if after is None else await _floor(session, plan)
        if floor is None:
            return rows, floor, counts
    below = after.seq if in_tail and after is not None else floor
    stmt = sql.ordered_page(plan, below=below, limit=limit + 1 - len(rows))
    rows += [(listing, 0) for listing in (await session.scalars(stmt)).all()]
    return rows, floor, counts


async def _ordered(session: AsyncSession, plan: Plan, after: Position | None, limit: int) -> Rows:
    stmt = sql.ordered_page(plan, below=after.seq if after else None, limit=limit + 1)
    return [(listing, 0) for listing in (await session.scalars(stmt)).all()]


async def _page(
    session: AsyncSession,
    plan: Plan,
    state: _Cursor | None,
    key: str,
    limit: int,
    with_facets: bool,
    load: Loader | None,
) -> tuple[Rows, str | None, search_facets.Counts | None]:
    """The rows of one page, the cursor after it if more follow, and the counts if asked."""
    after = state.after if state else None
    floor = state.floor if state else None
    counts = None
    if plan.query:
        rows, floor, counts = await _ranked(session, plan, after, floor, limit, with_facets, load)
    else:
        rows = await _ordered(session, plan, after, limit)
    if with_facets and counts is None:
        counts = await _counts(session, plan)
    if len(rows) <= limit:
        return rows, None, counts
    rows = rows[:limit]
    last, last_score = rows[-1]
    position = Position(last_score, last.seq)
    return rows, _encode(_Cursor(plan.snapshot, position, floor), key), counts


async def search(
    session: AsyncSession,
    *,
    q: str | None,
    filters: SearchFilters,
    scope: Scope,
    cursor: str | None,
    limit: int,
    with_facets: bool,
    accents: bool = True,
    load: Loader | None = None,
    high_water: HighWater | None = None,
) -> SearchResult:
    """One page of listings matching ``q`` and the filters, with facet counts if asked.
    ``accents=False`` is plain folded search (``query.py``), kept to measure against. The
    ranked hits' listings are read by ``load`` when given, and a first page's snapshot by
    ``high_water`` (both outside the search's session)."""
    query = parse(q or "", accents=accents)
    key = fingerprint(query, filters)
    state = _decode(cursor, key) if cursor else None
    snapshot = state.snapshot if state else await _snapshot(session, high_water)
    plan = Plan(backend_for(session), query, filters, snapshot, scope)
    await plan.backend.prepare(session)
    rows, next_cursor, counts = await _page(session, plan, state, key, limit, with_facets, load)
    result = SearchResult(
        hits=[(listing, score if query else None) for listing, score in rows],
        next_cursor=next_cursor,
    )
    if counts is not None:
        result.total, result.counts_exact, result.facets = counts.total, counts.exact, counts.facets
    return result


async def scored_ids(
    session: AsyncSession,
    q: str,
    *,
    scope: Scope,
    filters: SearchFilters | None = None,
    accents: bool = True,
) -> list[tuple[uuid.UUID, int]]:
    """The ranked candidates of ``q`` as (listing id, score), best first: the most recent
    ``RANKED_CANDIDATES`` matches (a bounded set), for callers that combine the text score with
    their own criteria."""
    snapshot = await _snapshot(session)
    plan = Plan(
        backend_for(session), parse(q, accents=accents), filters or SearchFilters(), snapshot, scope
    )
    if not plan.query:
        return []
    await plan.backend.prepare(session)
    return [(row.id, int(row.score)) for row in await session.execute(sql.scored_ids(plan))]

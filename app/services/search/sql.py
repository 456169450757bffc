"""The statements listing search runs, built the same way for both databases.

Only matching and JSON-array access differ between SQLite and PostgreSQL (``SearchBackend``);
filters, ranking, paging and facets are written once here, so both return the same results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    case,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer, selectinload
from sqlalchemy.sql.selectable import TableValuedAlias

from app.models import Listing
from app.services.search import filter_keys
from app.services.search.query import SearchQuery
from app.services.search.ranking import score

# Ranking is bounded: only the most recent matches (in insertion order) are scored; the rest
# follow unscored, newest first (reference/performance.md: ranking every match is the cost).
RANKED_CANDIDATES = 1000
# Counting is bounded the same way: the total and the facets count the most recent results, up
# to this many; beyond it the response says so (``total_exact``) and the total is a lower bound.
COUNTED_RESULTS = 1000
FACETS = (
    "kind",
    "strategic_group",
    "st_field",
    "province",
    "exchange",
    "ip_status",
    "transaction_type",
    "status",
    "trl",
)


# Filter keys a search requires (``filter_keys.query_keys``): every group, any key of each.
Keys = Sequence[Sequence[str]]


class SearchBackend(Protocol):
    name: str
    # Whether the newest matches are found faster among recent rows first (``engine``).
    recent_first: bool

    async def prepare(self, session: AsyncSession) -> None:
        """Session settings for the search statements, run once per search."""

    def newest(
        self,
        stmt: Select[Any],
        query: SearchQuery,
        limit: int,
        *,
        bounds: Sequence[ColumnElement[bool]] = (),
        keys: Keys = (),
    ) -> Select[Any]:
        """``stmt`` (columns of listings, filtered) narrowed to the ``limit`` most recent
        matches of ``query``, in no particular order. Its columns are computed for those rows
        only. ``bounds``: the range of seq ``stmt`` is limited to, for the backend to apply
        wherever it collects matches; ``keys``: filter keys the rows of ``stmt`` all have
        (``filter_keys``), for the backend to look up with the words."""

    def matches(self, query: SearchQuery, *, keys: Keys = ()) -> ColumnElement[bool]: ...

    def has_any(
        self, array: SQLColumnExpression[Any], codes: Sequence[str]
    ) -> ColumnElement[bool]: ...

    def elements(self, array: SQLColumnExpression[Any]) -> TableValuedAlias: ...


@dataclass(frozen=True)
class SearchFilters:
    kind: tuple[str, ...] = ()
    strategic_group: tuple[str, ...] = ()
    st_field: tuple[str, ...] = ()
    province: tuple[str, ...] = ()
    exchange: tuple[str, ...] = ()
    ip_status: tuple[str, ...] = ()
    transaction_type: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    trl_min: int | None = None
    trl_max: int | None = None


@dataclass(frozen=True)
class Snapshot:
    """What a first page saw: later pages ignore rows inserted after it and keep its clock."""

    high_water: int
    now: datetime


@dataclass(frozen=True)
class Scope:
    """The reader: withdrawn listings are visible to their organisation and administrators."""

    organisation_id: Any = None
    is_admin: bool = False


@dataclass(frozen=True)
class Position:
    score: int
    seq: int


@dataclass(frozen=True)
class Plan:
    backend: SearchBackend
    query: SearchQuery
    filters: SearchFilters
    snapshot: Snapshot
    scope: Scope = field(default_factory=Scope)
    # Only rows with a seq above this (``engine.RECENT_SPANS``): the newest results are looked
    # for among recent rows first.
    above: Any = None


def effective_status(now: datetime) -> ColumnElement[str]:
    expired = and_(Listing.status == "active", Listing.expires_at <= now)
    return case((expired, "expired"), else_=Listing.status)


def _status(statuses: Sequence[str], now: datetime) -> ColumnElement[bool]:
    if not statuses:  # default: open listings only
        return and_(Listing.status == "active", Listing.expires_at > now)
    return effective_status(now).in_(statuses)


def _st_field(codes: Sequence[str]) -> ColumnElement[bool]:
    # A level-1 code (one digit) selects its level-2 fields too.
    level1 = [code for code in codes if len(code) == 1]
    level2 = [code for code in codes if len(code) > 1]
    return or_(
        func.substr(Listing.st_field, literal_column("1"), literal_column("1")).in_(level1),
        Listing.st_field.in_(level2),
    )


def _visible(scope: Scope) -> ColumnElement[bool]:
    if scope.is_admin:
        return true()
    own: ColumnElement[bool] = false()
    if scope.organisation_id is not None:
        own = Listing.organisation_id == scope.organisation_id
    return or_(Listing.status != "withdrawn", own)


def seq_bounds(plan: Plan) -> list[ColumnElement[bool]]:
    """The rows a plan may return by seq: none inserted after its snapshot, and with ``above``,
    none older than that."""
    bounds = [Listing.seq <= plan.snapshot.high_water]
    if plan.above is not None:
        bounds.append(Listing.seq > plan.above)
    return bounds


def keys(filters: SearchFilters) -> list[list[str]]:
    """The filter keys every row passing ``filters`` has."""
    equal = [
        ("kind", filters.kind),
        ("strategic_group", filters.strategic_group),
        ("st_field", filters.st_field),
        ("province", filters.province),
        ("exchange", filters.exchange),
        ("ip_status", filters.ip_status),
        ("transaction_type", filters.transaction_type),
    ]
    return filter_keys.query_keys(equal=equal, trl_min=filters.trl_min, trl_max=filters.trl_max)


def conditions(plan: Plan, *, match: bool = True) -> list[ColumnElement[bool]]:
    """The WHERE clause shared by result pages, candidate ranking and facets (without the
    full-text match when ``match`` is false)."""
    f = plan.filters
    where = [*seq_bounds(plan), _status(f.status, plan.snapshot.now)]
    where.append(_visible(plan.scope))
    if plan.query and match:
        where.append(plan.backend.matches(plan.query, keys=keys(plan.filters)))
    for values, col in (
        (f.kind, Listing.kind),
        (f.strategic_group, Listing.strategic_group),
        (f.province, Listing.province),
        (f.exchange, Listing.origin_exchange),
        (f.ip_status, Listing.ip_status),
    ):
        if values:
            where.append(col.in_(values))
    if f.st_field:
        where.append(_st_field(f.st_field))
    if f.transaction_type:
        where.append(plan.backend.has_any(Listing.transaction_types, f.transaction_type))
    if f.trl_min is not None:
        where.append(Listing.trl >= f.trl_min)
    if f.trl_max is not None:
        where.append(Listing.trl <= f.trl_max)
    return where


def _load(stmt: Select[Any]) -> Select[Any]:
    return stmt.options(
        selectinload(Listing.organisation),
        *(defer(getattr(Listing, name), raiseload=True) for name in _SEARCH_COLUMNS),
    )


_SEARCH_COLUMNS = (
    *(
        f"{level}_{field}"
        for level in ("search", "exact")
        for field in ("text", "title", "keywords", "summary")
    ),
    "filter_keys",
)


def newest(plan: Plan, *columns: Any, limit: int) -> Select[Any]:
    """``columns`` of the ``limit`` most recent results, in no particular order: with a query,
    each backend finds them in its own way (``SearchBackend.newest``)."""
    stmt = select(*columns).where(*conditions(plan, match=False))
    if not plan.query:
        return stmt.order_by(Listing.seq.desc()).limit(limit)
    return plan.backend.newest(
        stmt, plan.query, limit, bounds=seq_bounds(plan), keys=keys(plan.filters)
    )


def candidates(plan: Plan) -> Select[tuple[int]]:
    """The ranked candidates: the most recent ``RANKED_CANDIDATES`` matches."""
    return newest(plan, Listing.seq, limit=RANKED_CANDIDATES)


def _scored(plan: Plan, *columns: Any) -> Select[Any]:
    """``columns``, seq and score of the ranked candidates. The score is computed in the same
    statement that finds them, so that each backend scores only the rows it keeps."""
    score_ = score(plan.query).label("score")
    return newest(plan, *columns, Listing.seq, score_, limit=RANKED_CANDIDATES)


def window(plan: Plan, size: int, *, scored: bool) -> CTE:
    """The ``size`` most recent results, found once and read by both the ranked page and the
    facet counts: their seq, facet columns and (if ``scored``) score."""
    columns: list[Any] = [
        Listing.seq,
        Listing.kind,
        Listing.strategic_group,
        Listing.st_field,
        Listing.province,
        Listing.origin_exchange.label("exchange"),
        Listing.ip_status,
        effective_status(plan.snapshot.now).label("status"),
        Listing.trl,
        Listing.transaction_types,
    ]
    if scored:
        columns.append(score(plan.query).label("score"))
    found = newest(plan, *columns, limit=size)
    return found.cte("window").prefix_with("MATERIALIZED")


def newest_of(rows: CTE, size: int, *, held: int) -> Select[Any]:
    """The ``size`` most recent rows of a window that holds at most ``held`` rows. When it holds
    at most one more, those are all its rows but the oldest: found by a scan of the window for
    its lowest seq rather than by sorting it (seq is positive)."""
    if held > size + 1:
        return select(*rows.c).order_by(rows.c.seq.desc()).limit(size)
    oldest = select(func.min(rows.c.seq)).having(func.count() > size).scalar_subquery()
    return select(*rows.c).where(rows.c.seq > func.coalesce(oldest, 0))


def ranked_hits(rows: CTE, *, held: int, after: Position | None, limit: int) -> Select[Any]:
    """(seq, score) of the ranked candidates in a scored window of at most ``held`` rows after
    ``after``, by (score, seq) descending, ``limit`` rows."""
    ranked = newest_of(rows, RANKED_CANDIDATES, held=held).subquery("ranked")
    stmt = select(ranked.c.seq, ranked.c.score)
    if after is not None:
        stmt = stmt.where(
            or_(
                ranked.c.score < after.score,
                and_(ranked.c.score == after.score, ranked.c.seq < after.seq),
            )
        )
    return stmt.order_by(ranked.c.score.desc(), ranked.c.seq.desc()).limit(limit)


# The highest listing seq: where a first page's snapshot is taken.
HIGH_WATER = select(func.coalesce(func.max(Listing.seq), 0))


def listings(seqs: Sequence[int]) -> Select[Any]:
    """The listings of a page, by seq (in no particular order)."""
    return _load(select(Listing).where(Listing.seq.in_(seqs)))


def scored_ids(plan: Plan) -> Select[Any]:
    """(id, score) of every ranked candidate, by (score, seq) descending."""
    ranked = _scored(plan, Listing.id).subquery("scored")
    order = (ranked.c.score.desc(), ranked.c.seq.desc())
    return select(ranked.c.id, ranked.c.score).order_by(*order)


def candidate_floor(plan: Plan) -> Select[Any]:
    """How many candidates there are and the lowest seq among them."""
    ranked = candidates(plan).subquery("ranked")
    return select(func.count(), func.min(ranked.c.seq))


def ordered_page(plan: Plan, *, below: int | None, limit: int) -> Select[Any]:
    """Matches with seq under ``below``, newest first: the unscored order."""
    stmt = select(Listing).where(*conditions(plan))
    if below is not None:
        stmt = stmt.where(Listing.seq < below)
    return _load(stmt.order_by(Listing.seq.desc()).limit(limit))

"""SQLite search backend: one FTS5 table over the folded and the exact text, JSON arrays read
with json_each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    SQLColumnExpression,
    column,
    exists,
    func,
    select,
    table,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import Join, Select, TableValuedAlias

from app.models import Listing
from app.services.search.query import Concept, SearchQuery, matching_forms
from app.services.search.sql import Keys

# Kept current by triggers (migrations 0010, 0020); its rowid is listings.seq. Its columns are
# listings.search_text (folded), listings.exact_text (accents kept) and listings.filter_keys.
_FTS = table("listings_fts", column("rowid", Integer), column("listings_fts"))
# Migration 0018: listings' filter and facet columns, keyed by seq.
_FILTERS_INDEX = "ix_listings_search_filters"


class _FilteredJoin(Join):
    """The FTS index joined to ``listings`` read through the index of its filter columns. A
    listing row is several kilobytes over overflow pages; the index entry is a few dozen bytes,
    so testing a hit on it is several times cheaper. The planner, seeing one row per seq either
    way, may take the table: the join names the index (SQLite's ``INDEXED BY``)."""

    inherit_cache = True


@compiles(_FilteredJoin, "sqlite")
def _indexed_by(join: _FilteredJoin, compiler: SQLCompiler, **kw: Any) -> str:
    text: str = compiler.visit_join(join, **kw)  # type: ignore[no-untyped-call]
    return text.replace(" ON ", f" INDEXED BY {_FILTERS_INDEX} ON ", 1)


def _phrase(column: str, words: str) -> str:
    return f'{column} : "' + words.replace('"', '""') + '"'


def _forms(concept: Concept, accents: bool) -> list[str]:
    """The concept's forms as FTS5 phrases on the column the two-level rule reads."""
    phrases: list[str] = []
    for form in matching_forms(concept, accents):
        if accents and form.accented:
            phrases += [_phrase("exact_text", form.exact), _phrase("exact_text", form.folded)]
        else:
            phrases.append(_phrase("search_text", form.folded))
    return list(dict.fromkeys(phrases))


def fts5_query(query: SearchQuery, keys: Keys = ()) -> str:
    """Each concept as the OR of its forms, every concept required; each form is an FTS5
    string, so operators and quotes in input stay literal. Each group of filter ``keys`` is
    required too, as the OR of its keys in the ``filter_keys`` column."""
    groups = [_forms(concept, query.accents) for concept in query.concepts]
    groups += [[_phrase("filter_keys", key) for key in group] for group in keys]
    return " AND ".join("(" + " OR ".join(group) + ")" for group in groups)


class SqliteSearch:
    name = "sqlite"
    # The FTS index is walked newest first already and stops at the newest matches.
    recent_first = False

    async def prepare(self, session: AsyncSession) -> None:
        return None

    def newest(
        self,
        stmt: Select[Any],
        query: SearchQuery,
        limit: int,
        *,
        bounds: Sequence[ColumnElement[bool]] = (),
        keys: Keys = (),
    ) -> Select[Any]:
        """The FTS index walked newest first (its rowid order), each hit joined to its listing
        and filtered, until ``limit`` rows pass: the work grows with the hits walked, not with
        every match (``seq IN (matches)`` would list them all first). Each hit is filtered on
        the index of the filter columns (``_FilteredJoin``); only the rows kept read the
        table, for the columns the index lacks (the ranking keys)."""
        match = _FTS.c.listings_fts.match(fts5_query(query, keys))
        walk = stmt.select_from(_FilteredJoin(_FTS, Listing, Listing.seq == _FTS.c.rowid))
        return walk.where(match).order_by(_FTS.c.rowid.desc()).limit(limit)

    def matches(self, query: SearchQuery, *, keys: Keys = ()) -> ColumnElement[bool]:
        hits = select(_FTS.c.rowid).where(_FTS.c.listings_fts.match(fts5_query(query, keys)))
        return Listing.seq.in_(hits)

    def has_any(self, array: SQLColumnExpression[Any], codes: Sequence[str]) -> ColumnElement[bool]:
        elements = func.json_each(array).table_valued("value")
        return exists(select(1).select_from(elements).where(elements.c.value.in_(codes)))

    def elements(self, array: SQLColumnExpression[Any]) -> TableValuedAlias:
        return func.json_each(array).table_valued("value")

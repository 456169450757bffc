"""SQLite search backend: an FTS5 table over the folded text, JSON arrays read with json_each."""

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
from sqlalchemy.sql.selectable import TableValuedAlias

from app.models import Listing

# Kept current by triggers (migration 0002); its rowid is listings.seq.
_FTS = table("listings_fts", column("rowid", Integer), column("listings_fts"))


def fts5_query(terms: Sequence[str]) -> str:
    """Every term as an FTS5 string (implicit AND): operators and quotes in input stay literal."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


class SqliteSearch:
    name = "sqlite"
    fence_matches = False

    async def prepare(self, session: AsyncSession) -> None:
        return None

    def matches(self, terms: Sequence[str]) -> ColumnElement[bool]:
        hits = select(_FTS.c.rowid).where(_FTS.c.listings_fts.match(fts5_query(terms)))
        return Listing.seq.in_(hits)

    def has_any(self, array: SQLColumnExpression[Any], codes: Sequence[str]) -> ColumnElement[bool]:
        elements = func.json_each(array).table_valued("value")
        return exists(select(1).select_from(elements).where(elements.c.value.in_(codes)))

    def elements(self, array: SQLColumnExpression[Any]) -> TableValuedAlias:
        return func.json_each(array).table_valued("value")

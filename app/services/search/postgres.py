"""PostgreSQL search backend: the 'simple' tsvector of the folded text behind a GIN index."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    func,
    literal_column,
    text,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB, array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import TableValuedAlias

from app.models import Listing

# A constant, not a parameter, so the planner matches the GIN index expression of migration 0002.
_CONFIG: ColumnElement[Any] = literal_column("'simple'::regconfig")


def tsquery_text(terms: Sequence[str]) -> str:
    """Every term quoted as a tsquery lexeme, joined with AND: operators in input stay literal."""
    quoted = ("'" + term.replace("\\", "\\\\").replace("'", "''") + "'" for term in terms)
    return " & ".join(quoted)


class PostgresSearch:
    name = "postgresql"
    fence_matches = True

    async def prepare(self, session: AsyncSession) -> None:
        # The ranking and facet statements are short, but their many CASE terms push their
        # estimated cost over jit_above_cost: compiling them would cost more than running them.
        await session.execute(text("SET LOCAL jit = off"))

    def matches(self, terms: Sequence[str]) -> ColumnElement[bool]:
        # The terms are already folded; unaccent keeps the query folded like the index whatever
        # the caller passes.
        query = func.to_tsquery(_CONFIG, func.unaccent(tsquery_text(terms)))
        document = func.to_tsvector(_CONFIG, Listing.search_text)
        matched: ColumnElement[bool] = document.bool_op("@@")(query)
        return matched

    def has_any(
        self, array_: SQLColumnExpression[Any], codes: Sequence[str]
    ) -> ColumnElement[bool]:
        contains: ColumnElement[bool] = type_coerce(array_, JSONB).has_any(array(list(codes)))
        return contains

    def elements(self, array_: SQLColumnExpression[Any]) -> TableValuedAlias:
        return func.jsonb_array_elements_text(array_).table_valued("value")

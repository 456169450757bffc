"""PostgreSQL search backend: the 'simple' tsvectors of the folded and of the exact text, each
behind a GIN index."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    and_,
    func,
    literal_column,
    or_,
    text,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB, array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import TableValuedAlias

from app.models import Listing
from app.services.search.query import Concept, SearchQuery

# A constant, not a parameter, so the planner matches the GIN index expressions (migrations 0002
# and 0010).
_CONFIG: ColumnElement[Any] = literal_column("'simple'::regconfig")


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery_text(phrases: Sequence[str]) -> str:
    """The phrases OR-ed, each a run of quoted lexemes joined with ``<->`` (followed by):
    operators in input stay literal."""
    return " | ".join("(" + " <-> ".join(map(_lexeme, p.split())) + ")" for p in phrases)


def _split(concept: Concept, accents: bool) -> tuple[list[str], list[str]]:
    """The concept's phrases on the folded and on the exact text, by the two-level rule."""
    folded: list[str] = []
    exact: list[str] = []
    for form in concept.forms:
        if accents and form.accented:
            exact += [form.exact, form.folded]
        else:
            folded.append(form.folded)
    return list(dict.fromkeys(folded)), list(dict.fromkeys(exact))


class PostgresSearch:
    name = "postgresql"
    fence_matches = True

    async def prepare(self, session: AsyncSession) -> None:
        # The ranking and facet statements are short, but their many CASE terms push their
        # estimated cost over jit_above_cost: compiling them would cost more than running them.
        await session.execute(text("SET LOCAL jit = off"))

    def matches(self, query: SearchQuery) -> ColumnElement[bool]:
        concepts = [self._concept(concept, query.accents) for concept in query.concepts]
        return and_(*concepts)

    def _concept(self, concept: Concept, accents: bool) -> ColumnElement[bool]:
        folded, exact = _split(concept, accents)
        parts: list[ColumnElement[bool]] = []
        if folded:
            # Already folded; unaccent keeps it folded like the index whatever the caller passes.
            tsquery = func.to_tsquery(_CONFIG, func.unaccent(tsquery_text(folded)))
            parts.append(func.to_tsvector(_CONFIG, Listing.search_text).bool_op("@@")(tsquery))
        if exact:
            tsquery = func.to_tsquery(_CONFIG, tsquery_text(exact))
            parts.append(func.to_tsvector(_CONFIG, Listing.exact_text).bool_op("@@")(tsquery))
        return or_(*parts)

    def has_any(
        self, array_: SQLColumnExpression[Any], codes: Sequence[str]
    ) -> ColumnElement[bool]:
        contains: ColumnElement[bool] = type_coerce(array_, JSONB).has_any(array(list(codes)))
        return contains

    def elements(self, array_: SQLColumnExpression[Any]) -> TableValuedAlias:
        return func.jsonb_array_elements_text(array_).table_valued("value")

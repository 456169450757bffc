"""PostgreSQL search backend: the 'simple' tsvectors of the folded and of the exact text, stored
with each row, each behind a GIN index beside the tsvector of the filter keys."""

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
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR, array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.selectable import Select, TableValuedAlias

from app.models import Listing
from app.services.search.query import Concept, SearchQuery, matching_forms
from app.services.search.ranking import has_words
from app.services.search.sql import Keys

# A constant, not a parameter, so that the planner can fold the query into a constant.
_CONFIG: ColumnElement[Any] = literal_column("'simple'::regconfig")


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery_text(phrases: Sequence[str], operator: str = "<->") -> str:
    """The phrases OR-ed, each a run of quoted lexemes joined with ``operator`` (``<->``:
    followed by; ``&``: and): operators in input stay literal."""
    return " | ".join("(" + f" {operator} ".join(map(_lexeme, p.split())) + ")" for p in phrases)


def _split(concept: Concept, accents: bool) -> tuple[list[str], list[str]]:
    """The concept's phrases on the folded and on the exact text, by the two-level rule."""
    folded: list[str] = []
    exact: list[str] = []
    for form in matching_forms(concept, accents):
        if accents and form.accented:
            exact += [form.exact, form.folded]
        else:
            folded.append(form.folded)
    return list(dict.fromkeys(folded)), list(dict.fromkeys(exact))


# Each text's 'simple' tsvector, stored with its row and covered by a GIN index (migration
# 0021): a row tested outside the index reads it instead of computing it again.
_VECTORS = {
    text: literal_column(vector, TSVECTOR)
    for text, vector in (
        ("search_text", "search_vector"),
        ("exact_text", "exact_vector"),
        ("filter_keys", "filter_vector"),
    )
}


def _vector(text: QueryableAttribute[str]) -> ColumnElement[Any]:
    return _VECTORS[text.key]


def _keyed(matched: ColumnElement[bool], keys: Keys) -> ColumnElement[bool]:
    """``matched`` (a text's tsvector against a query) and, with ``keys``, the filter keys'
    tsvector against them: the second column of the same GIN index (migrations 0020, 0021), so
    one index scan intersects the words with the keys."""
    if not keys:
        return matched
    query = " & ".join("(" + " | ".join(map(_lexeme, group)) + ")" for group in keys)
    found: ColumnElement[bool] = _vector(Listing.filter_keys).bool_op("@@")(
        func.to_tsquery(_CONFIG, query)
    )
    return and_(matched, found)


def _tsquery_match(
    text: QueryableAttribute[str], query: str, folded: bool, keys: Keys = ()
) -> ColumnElement[bool]:
    # Already folded; unaccent keeps it folded like the index whatever the caller passes.
    tsquery = func.to_tsquery(_CONFIG, func.unaccent(query) if folded else query)
    return _keyed(_vector(text).bool_op("@@")(tsquery), keys)


def _words(
    text: QueryableAttribute[str], words: list[str], folded: bool, keys: Keys
) -> ColumnElement[bool]:
    """Rows whose text holds one of ``words`` (single words) and has ``keys``: one GIN lookup."""
    return _tsquery_match(text, tsquery_text(words), folded, keys)


def _phrase(text: QueryableAttribute[str], phrase: str, keys: Keys) -> Select[tuple[int]]:
    """Rows whose text holds ``phrase`` and has ``keys``: its words from the GIN index (no
    recheck), then the phrase as consecutive words of the key text (words and single spaces),
    which is what ``<->`` and an FTS5 phrase mean, without a recheck of each row's vector."""
    words = func.to_tsquery(_CONFIG, tsquery_text([phrase], "&"))
    found = _keyed(_vector(text).bool_op("@@")(words), keys)
    return select(Listing.seq).where(found, has_words(text, phrase))


class PostgresSearch:
    name = "postgresql"
    # The matches are collected (and their rows read) before the newest are kept: bounding
    # them to recent rows first bounds that work (``engine.RECENT_SPANS``).
    recent_first = True

    async def prepare(self, session: AsyncSession) -> None:
        # The ranking and facet statements are short, but their many CASE terms push their
        # estimated cost over jit_above_cost: compiling them would cost more than running them.
        # A kept statement's plan is made for its values each time: a generic plan (chosen after
        # a few executions of a prepared statement) cannot tell a span of recent rows from the
        # whole catalogue, and took minutes where the plan for the values takes milliseconds.
        # On the session's connection, not through the session: settings are not writes, and
        # a session that wrote something forgets what lookups remember when it commits.
        connection = await session.connection()
        await connection.exec_driver_sql("SET LOCAL jit = off")
        await connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")

    def newest(
        self,
        stmt: Select[Any],
        query: SearchQuery,
        limit: int,
        *,
        bounds: Sequence[ColumnElement[bool]] = (),
        keys: Keys = (),
    ) -> Select[Any]:
        """The matches' seqs collected first (a fence), then the newest ``limit`` of them, and
        only then ``stmt``'s columns for those: walking the primary key newest first and testing
        each row reads every row, far slower than the GIN lookups followed by a top-N sort."""
        filters = [] if stmt.whereclause is None else [stmt.whereclause]
        fenced = select(Listing.seq).where(*filters, self.matches(query, bounds, keys=keys))
        matches = fenced.cte("matches").prefix_with("MATERIALIZED")
        newest = select(matches.c.seq).order_by(matches.c.seq.desc()).limit(limit)
        return stmt.where(Listing.seq.in_(newest.scalar_subquery()))

    def matches(
        self,
        query: SearchQuery,
        bounds: Sequence[ColumnElement[bool]] = (),
        *,
        keys: Keys = (),
    ) -> ColumnElement[bool]:
        """Rows matching ``query`` and having the filter ``keys``, looked up with each text's
        words; ``bounds`` (conditions on seq) limit the sets of rows computed apart from the
        rest of the statement."""
        split = [_split(concept, query.accents) for concept in query.concepts]
        if all(" " not in phrase for folded, exact in split for phrase in folded + exact):
            return self._all_words(split, keys)
        # With a phrase somewhere, every concept is the set of rows it finds, each set computed on
        # its own from the indexes: tested row by row, every row would be read.
        return and_(*(Listing.seq.in_(self._rows(*phrases, bounds, keys)) for phrases in split))

    def _all_words(
        self, split: list[tuple[list[str], list[str]]], keys: Keys
    ) -> ColumnElement[bool]:
        """Concepts of single words: those read from one text joined with ``&`` into one GIN
        lookup (as plain folded search does), the others each a bitmap OR of two."""
        folded = [words for words, exact in split if not exact]
        exact = [words for folded_, words in split if not folded_]
        conditions = [self._words(f, e, keys) for f, e in split if f and e]
        for column, groups, is_folded in (
            (Listing.search_text, folded, True),
            (Listing.exact_text, exact, False),
        ):
            if groups:
                query = " & ".join(f"({tsquery_text(words)})" for words in groups)
                conditions.append(_tsquery_match(column, query, is_folded, keys))
        return and_(*conditions)

    def _words(self, folded: list[str], exact: list[str], keys: Keys) -> ColumnElement[bool]:
        """A concept of single words: GIN lookups OR-ed (a bitmap OR)."""
        texts = ((Listing.search_text, folded, True), (Listing.exact_text, exact, False))
        return or_(*(_words(column, words, f, keys) for column, words, f in texts if words))

    def _rows(
        self,
        folded: list[str],
        exact: list[str],
        bounds: Sequence[ColumnElement[bool]],
        keys: Keys,
    ) -> Select[tuple[int]]:
        """The rows any form of a concept finds, words and phrases alike, within ``bounds``.
        ``OFFSET 0`` keeps the planner from folding it into a join that tests the concept row
        by row."""
        arms: list[Select[tuple[int]]] = []
        texts = ((Listing.search_text, folded, True), (Listing.exact_text, exact, False))
        for column, phrases, is_folded in texts:
            words = [phrase for phrase in phrases if " " not in phrase]
            if words:
                matched = _words(column, words, is_folded, keys)
                arms.append(select(Listing.seq).where(matched, *bounds))
            arms += [
                _phrase(column, phrase, keys).where(*bounds) for phrase in phrases if " " in phrase
            ]
        found = union_all(*arms).subquery("found")
        return select(found.c.seq).offset(0)

    def has_any(
        self, array_: SQLColumnExpression[Any], codes: Sequence[str]
    ) -> ColumnElement[bool]:
        contains: ColumnElement[bool] = type_coerce(array_, JSONB).has_any(array(list(codes)))
        return contains

    def elements(self, array_: SQLColumnExpression[Any]) -> TableValuedAlias:
        return func.jsonb_array_elements_text(array_).table_valued("value")

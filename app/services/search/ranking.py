"""Ranking: a listing's score for a query, one SQL expression for both databases.

Weighted hits of the query's concepts (``query.py``) in the listing's own fields, at two levels,
plus its strategic group when the query names it and adjacent query words found side by side.
No corpus statistics: a row's score, and the order of pages, stay put while rows are added.
Equal scores are broken by recency in the statements (newest first).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, SQLColumnExpression, case, literal, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.models import Listing
from app.services.search.query import Form, SearchQuery, strategic_groups

# Points per concept of the query found in a field (as a whole word or phrase), multiplied by
# its level (``query.py``): 2 when found with the accents typed, or typed without any; 1 when
# found written without accents. A concept counts once per field, by its best form.
FIELD_WEIGHTS = (("title", 8), ("keywords", 4), ("summary", 2))
# Points when the listing's strategic group is named by a concept (its label holds a form).
CATEGORY_WEIGHT = 6
# Phrase proximity: points for each pair of consecutive typed concepts found side by side.
PAIR_WEIGHTS = (("title", 8), ("summary", 2))
EXACT_LEVEL, UNACCENTED_LEVEL = 2, 1

Text = SQLColumnExpression[str]


def has_words(text: SQLColumnExpression[str], words: str) -> ColumnElement[bool]:
    """Whether key text (words and single spaces) holds ``words`` as whole words."""
    return (literal(" ") + text + literal(" ")).like(f"% {words} %")


def padded(text: str) -> str:
    """A field's key text as stored for ranking: with a space each side, so that a whole word
    is a substring (``holds_words``) and no test pads the text again for each row."""
    return f" {text} "


class _Position(FunctionElement[int]):
    """Where the second argument first occurs in the first (from 1), or 0: a plain substring
    search, with no copy of the text and no pattern to interpret (``instr``, ``strpos``)."""

    type = Integer()
    inherit_cache = True


@compiles(_Position)
def _instr(element: _Position, compiler: SQLCompiler, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(_Position, "postgresql")
def _strpos(element: _Position, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


def holds_words(padded_text: SQLColumnExpression[str], words: str) -> ColumnElement[bool]:
    """Whether a ``padded`` key text holds ``words`` as whole words (key texts are words and
    single spaces, so the words with a space each side are found exactly there)."""
    return _Position(padded_text, literal(f" {words} ")) > 0


def form_matches(form: Form, exact: Text, folded: Text) -> ColumnElement[bool]:
    """The two-level rule (``query.py``) on a pair of exact and folded key texts."""
    if not form.accented:
        return has_words(folded, form.folded)
    return or_(has_words(exact, form.exact), has_words(exact, form.folded))


def _levels(
    form: Form, exact: Text, folded: Text, accents: bool
) -> list[tuple[ColumnElement[bool], int]]:
    """(condition, level) pairs for ``form`` in a field's padded key texts, best level first."""
    if not accents:  # plain folded search: every hit counts 1
        return [(holds_words(folded, form.folded), 1)]
    if not form.accented:
        return [(holds_words(folded, form.folded), EXACT_LEVEL)]
    return [
        (holds_words(exact, form.exact), EXACT_LEVEL),
        (holds_words(exact, form.folded), UNACCENTED_LEVEL),
    ]


def best(
    forms: Sequence[Form], texts: tuple[Text, Text], weight: int, accents: bool = True
) -> ColumnElement[int]:
    """``weight`` times the best level any of ``forms`` reaches in a field, given as its
    (exact, folded) ``padded`` key texts. A field whose folded text holds no form scores 0 after
    one test per form, as in plain folded search: the exact text is read only for the fields that
    may hit.
    """
    levels = [pair for form in forms for pair in _levels(form, *texts, accents)]
    levels.sort(key=lambda pair: -pair[1])
    scored = case(*((hit, weight * level) for hit, level in levels), else_=0)
    if not accents or not any(form.accented for form in forms):
        return scored
    folded = or_(*(holds_words(texts[1], form.folded) for form in forms))
    return case((folded, scored), else_=0)


def _field(name: str) -> tuple[Text, Text]:
    return getattr(Listing, f"exact_{name}"), getattr(Listing, f"search_{name}")


def _pair(first: Form, second: Form) -> Form:
    return Form(f"{first.exact} {second.exact}", f"{first.folded} {second.folded}")


def score(query: SearchQuery) -> ColumnElement[int]:
    """Weighted hits of the concepts: a function of the document and the query only (no corpus
    statistics), so a row's score, and the order of pages, stay put while rows are added."""
    accents = query.accents
    parts = [
        best(concept.forms, _field(field), weight, accents)
        for concept in query.concepts
        for field, weight in FIELD_WEIGHTS
    ]
    pairs = [_pair(a.typed, b.typed) for a, b in itertools.pairwise(query.concepts)]
    pair_weights = PAIR_WEIGHTS if accents else PAIR_WEIGHTS[:1]
    parts += [
        best([form], _field(field), weight, accents)
        for form in pairs
        for field, weight in pair_weights
    ]
    if accents:
        for concept in query.concepts:
            groups = strategic_groups(concept)
            if groups:
                named = Listing.strategic_group.in_(groups)
                parts.append(case((named, CATEGORY_WEIGHT * EXACT_LEVEL), else_=0))
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total

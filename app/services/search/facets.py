"""Facet counts: for each filter and each of its values, how many results have that value.

Counted over the same WHERE clause as the result pages (query, filters, snapshot, visibility),
so filtering on a value returns exactly the count shown for it, as long as the results number at
most ``COUNTED_RESULTS``. Beyond that only the most recent ``COUNTED_RESULTS`` results are
counted (counting every match is what made broad queries slow on large catalogues): the counts
are then marked inexact and the total is a lower bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    CompoundSelect,
    Row,
    Select,
    String,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    true,
    union_all,
)

from app.services.search import sql
from app.services.search.sql import FACETS, Plan

# Facets whose value is a column of the matched rows, grouped as is.
_PLAIN = ("kind", "strategic_group", "province", "exchange", "ip_status", "status", "trl")


def _grouped(matched: CTE, facet: str, value: Any, *where: ColumnElement[bool]) -> Select[Any]:
    return (
        select(literal(facet).label("facet"), cast(value, String).label("facet_value"))
        .add_columns(func.count().label("n"))
        .select_from(matched)
        .where(*where)
        .group_by(literal_column("facet_value"))
    )


def facet_counts(
    plan: Plan, window: CTE, *, held: int, facets: bool = True, hits: Select[Any] | None = None
) -> CompoundSelect[Any]:
    """("window", NULL, the rows ``window`` holds); with ``facets``, (facet, value, count) rows
    over the ``COUNTED_RESULTS`` newest rows of ``window`` (which holds at least one more when
    more results exist), ("total", NULL, number counted) and ("more", NULL, 1 if more results
    exist else 0); with ``hits`` (seq, score rows), one ("hit", seq, score) row each: a page's
    ranked hits and its counts from one search of the newest matches. ``held``: the most rows
    ``window`` may hold."""
    # ("window", NULL, rows in the window): whether it holds as many rows as it may.
    parts: list[Select[Any]] = [
        select(literal("window"), cast(None, String), func.count()).select_from(window)
    ]
    if facets:
        parts += _counted(plan, window, held)
    if hits is not None:
        page = hits.subquery("page")
        parts.append(select(literal("hit"), cast(page.c.seq, String), page.c.score))
    return union_all(*parts)


def _counted(plan: Plan, window: CTE, held: int) -> list[Select[Any]]:
    matched = sql.newest_of(window, sql.COUNTED_RESULTS, held=held).cte("matched")
    matched = matched.prefix_with("MATERIALIZED")
    more = case((func.count() > sql.COUNTED_RESULTS, 1), else_=0)
    c = matched.c
    # A level-1 field counts its level-2 fields too, as the st_field filter selects them.
    level1 = func.substr(c.st_field, literal_column("1"), literal_column("1"))
    elements = plan.backend.elements(c.transaction_types)
    parts = [_grouped(matched, name, c[name]) for name in _PLAIN]
    return [
        *parts,
        _grouped(matched, "st_field", level1, c.st_field.is_not(None)),
        _grouped(matched, "st_field", c.st_field, func.length(c.st_field) > 1),
        _grouped(matched, "transaction_type", elements.c.value).join_from(
            matched, elements, true()
        ),
        select(literal("total"), cast(None, String), func.count()).select_from(matched),
        select(literal("more"), cast(None, String), more).select_from(window),
    ]


@dataclass
class Counts:
    total: int
    exact: bool  # false: more results exist than ``total``, the number counted
    facets: dict[str, dict[str, int]]
    window: int = 0  # the rows the window held


def read(rows: Sequence[Row[Any]]) -> tuple[Counts, list[tuple[int, int]]]:
    """The counts and the (seq, score) hits, best first, of ``facet_counts`` rows."""
    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    total = more = window = 0
    hits: list[tuple[int, int]] = []
    for facet, value, n in rows:
        if facet == "window":
            window = int(n)
        elif facet == "total":
            total = int(n)
        elif facet == "more":
            more = int(n)
        elif facet == "hit":
            hits.append((int(value), int(n)))
        elif facet in counts and value is not None:
            counts[facet][str(value)] = int(n)
    ordered = {
        name: dict(sorted(values.items(), key=lambda item: (-item[1], item[0])))
        for name, values in counts.items()
    }
    hits.sort(key=lambda hit: (-hit[1], -hit[0]))
    return Counts(total, not more, ordered, window), hits

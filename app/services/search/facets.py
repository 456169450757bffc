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
    BigInteger,
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
_PLAIN = ("kind", "strategic_group", "province", "exchange", "ip_status", "status")


# A row of ``facet_counts`` naming a facet (or "total") with this prefix is taken off its count
# rather than added: the oldest row of a window that holds one more than is counted.
UNCOUNTED = "-"


def _text(value: Any) -> Any:
    # The union's value column is text: text columns are read as they are, others cast (TRL).
    return value if isinstance(value.type, String) else cast(value, String)


def _grouped(rows: CTE, facet: str, value: Any, *where: ColumnElement[bool]) -> Select[Any]:
    return (
        select(literal(facet).label("facet"), _text(value).label("facet_value"))
        .add_columns(func.count().label("n"))
        .select_from(rows)
        .where(*where)
        .group_by(literal_column("facet_value"))
    )


def facet_counts(
    plan: Plan, window: CTE, *, held: int, facets: bool = True, hits: Select[Any] | None = None
) -> CompoundSelect[Any]:
    """("window", NULL, the rows ``window`` holds); with ``facets``, (facet, value, count) rows
    over the ``COUNTED_RESULTS`` newest rows of ``window`` (which holds at least one more when
    more results exist), ("total", NULL, number counted) and ("more", NULL, 1 if more results
    exist else 0), some of them to be taken off (``UNCOUNTED``, ``read``); with ``hits`` (seq,
    score rows), one ("hit", seq, score) row each: a page's ranked hits and its counts from one
    search of the newest matches. ``held``: the most rows ``window`` may hold."""
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


def _groups(plan: Plan, rows: CTE, prefix: str = "") -> list[Select[Any]]:
    """(facet, value, count) of ``rows`` for every facet, and ("total", NULL, count)."""
    c = rows.c
    # TRL levels are numbers, counted before they are written as text. Fields and transaction
    # types are counted as stored first (a few distinct values), then regrouped: a level-1
    # field counts its level-2 fields too, as the st_field filter selects them, and a type
    # counts every array that holds it.
    trls = _counted_by(c.trl).subquery(f"{rows.name}_trls")
    fields = _counted_by(c.st_field, c.st_field.is_not(None)).cte(f"{rows.name}_fields")
    fields = fields.prefix_with("MATERIALIZED")
    level1 = func.substr(fields.c.value, literal_column("1"), literal_column("1"), type_=String)
    arrays = _counted_by(c.transaction_types).subquery(f"{rows.name}_arrays")
    elements = plan.backend.elements(arrays.c.value)
    return [
        *(_grouped(rows, prefix + name, c[name]) for name in _PLAIN),
        select(literal(prefix + "trl"), cast(trls.c.value, String), trls.c.n),
        _regrouped(fields, prefix + "st_field", level1),
        select(literal(prefix + "st_field"), fields.c.value, fields.c.n).where(
            func.length(fields.c.value) > 1
        ),
        _regrouped(arrays, prefix + "transaction_type", elements.c.value).join_from(
            arrays, elements, true()
        ),
        select(literal(prefix + "total"), cast(None, String), func.count()).select_from(rows),
    ]


def _counted_by(column: Any, *where: ColumnElement[bool]) -> Select[Any]:
    """(value, n): how many rows have each value of ``column``."""
    return select(column.label("value"), func.count().label("n")).where(*where).group_by(column)


def _regrouped(counted: Any, facet: str, value: Any) -> Select[Any]:
    """(facet, value, count) from (value, n) rows already counted, grouped again by ``value``."""
    total = cast(func.sum(counted.c.n), BigInteger)
    return (
        select(literal(facet).label("facet"), _text(value).label("facet_value"), total)
        .select_from(counted)
        .group_by(literal_column("facet_value"))
    )


def _counted(plan: Plan, window: CTE, held: int) -> list[Select[Any]]:
    more = case((func.count() > sql.COUNTED_RESULTS, 1), else_=0)
    more_row = select(literal("more"), cast(None, String), more).select_from(window)
    if held > sql.COUNTED_RESULTS + 1:
        matched = sql.newest_of(window, sql.COUNTED_RESULTS, held=held).cte("matched")
        return [*_groups(plan, matched.prefix_with("MATERIALIZED")), more_row]
    # The window holds at most one row more than is counted: every facet counts the whole
    # window, and that one oldest row, when the window holds it, is counted apart to be taken
    # off, cheaper than a copy of the rows counted.
    oldest_seq = (
        select(func.min(window.c.seq)).having(func.count() > sql.COUNTED_RESULTS).scalar_subquery()
    )
    oldest = select(*window.c).where(window.c.seq == oldest_seq).cte("oldest")
    oldest = oldest.prefix_with("MATERIALIZED")
    return [*_groups(plan, window), *_groups(plan, oldest, UNCOUNTED), more_row]


def _most_first(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


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
        sign = 1
        if facet.startswith(UNCOUNTED):
            facet, sign = facet[len(UNCOUNTED) :], -1
        if facet == "window":
            window = int(n)
        elif facet == "total":
            total += sign * int(n)
        elif facet == "more":
            more = int(n)
        elif facet == "hit":
            hits.append((int(value), int(n)))
        elif facet in counts and value is not None:
            values = counts[facet]
            values[str(value)] = values.get(str(value), 0) + sign * int(n)
    ordered = {
        name: dict(sorted(((v, n) for v, n in values.items() if n > 0), key=_most_first))
        for name, values in counts.items()
    }
    hits.sort(key=lambda hit: (-hit[1], -hit[0]))
    return Counts(total, not more, ordered, window), hits

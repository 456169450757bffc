"""Facet counts: for each filter and each of its values, how many results have that value.

Counted over the same WHERE clause as the result pages (query, filters, snapshot, visibility),
so filtering on a value returns exactly the count shown for it, as long as the results number at
most ``COUNTED_RESULTS``. Beyond that only the most recent ``COUNTED_RESULTS`` results are
counted (counting every match is what made broad queries slow on large catalogues): the counts
are then marked inexact and the total is a lower bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    cast,
    func,
    literal,
    literal_column,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Listing
from app.services.search import sql
from app.services.search.sql import FACETS, Plan, effective_status, newest

# Facets whose value is a column of the matched rows, grouped as is.
_PLAIN = ("kind", "strategic_group", "province", "exchange", "ip_status", "status", "trl")


def _matched(plan: Plan) -> tuple[CTE, CTE]:
    """The facet columns of the most recent results: one more than are counted (``window``,
    which tells whether more exist), and the ``COUNTED_RESULTS`` counted (``matched``)."""
    window = (
        newest(
            plan,
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
            limit=sql.COUNTED_RESULTS + 1,
        )
        .cte("window")
        .prefix_with("MATERIALIZED")
    )
    matched = (
        select(*window.c)
        .order_by(window.c.seq.desc())
        .limit(sql.COUNTED_RESULTS)
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )
    return window, matched


def _grouped(matched: CTE, facet: str, value: Any, *where: ColumnElement[bool]) -> Select[Any]:
    return (
        select(literal(facet).label("facet"), cast(value, String).label("facet_value"))
        .add_columns(func.count().label("n"))
        .select_from(matched)
        .where(*where)
        .group_by(literal_column("facet_value"))
    )


def facet_counts(plan: Plan) -> CompoundSelect[Any]:
    """(facet, value, count) rows, plus ("total", NULL, number of results counted) and
    ("window", NULL, that number plus one when more results exist)."""
    window, matched = _matched(plan)
    c = matched.c
    # A level-1 field counts its level-2 fields too, as the st_field filter selects them.
    level1 = func.substr(c.st_field, literal_column("1"), literal_column("1"))
    elements = plan.backend.elements(c.transaction_types)
    parts = [_grouped(matched, name, c[name]) for name in _PLAIN]
    parts += [
        _grouped(matched, "st_field", level1, c.st_field.is_not(None)),
        _grouped(matched, "st_field", c.st_field, func.length(c.st_field) > 1),
        _grouped(matched, "transaction_type", elements.c.value).join_from(
            matched, elements, true()
        ),
        select(literal("total"), cast(None, String), func.count()).select_from(matched),
        select(literal("window"), cast(None, String), func.count()).select_from(window),
    ]
    return union_all(*parts)


@dataclass
class Counts:
    total: int
    exact: bool  # false: more results exist than ``total``, the number counted
    facets: dict[str, dict[str, int]]


async def count(session: AsyncSession, plan: Plan) -> Counts:
    """The number of results and, per facet, the number of results for each value (most
    frequent first), counted over the most recent ``COUNTED_RESULTS`` results."""
    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    total = window = 0
    for facet, value, n in (await session.execute(facet_counts(plan))).all():
        if facet == "total":
            total = int(n)
        elif facet == "window":
            window = int(n)
        elif value is not None:
            counts[facet][str(value)] = int(n)
    ordered = {
        name: dict(sorted(values.items(), key=lambda item: (-item[1], item[0])))
        for name, values in counts.items()
    }
    return Counts(total, window <= total, ordered)

"""Facet counts: for each filter and each of its values, how many results have that value.

Counted over the same WHERE clause as the result pages (query, filters, snapshot, visibility),
so filtering on a value returns exactly the count shown for it.
"""

from __future__ import annotations

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
from app.services.search.sql import FACETS, Plan, conditions, effective_status

# Facets whose value is a column of the matched rows, grouped as is.
_PLAIN = ("kind", "strategic_group", "province", "exchange", "ip_status", "status", "trl")


def _matched(plan: Plan) -> CTE:
    """The facet columns of every result, computed once and read by each count."""
    return (
        select(
            Listing.kind,
            Listing.strategic_group,
            Listing.st_field,
            Listing.province,
            Listing.origin_exchange.label("exchange"),
            Listing.ip_status,
            effective_status(plan.snapshot.now).label("status"),
            Listing.trl,
            Listing.transaction_types,
        )
        .where(*conditions(plan))
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )


def _grouped(matched: CTE, facet: str, value: Any, *where: ColumnElement[bool]) -> Select[Any]:
    return (
        select(literal(facet).label("facet"), cast(value, String).label("facet_value"))
        .add_columns(func.count().label("n"))
        .select_from(matched)
        .where(*where)
        .group_by(literal_column("facet_value"))
    )


def facet_counts(plan: Plan) -> CompoundSelect[Any]:
    """(facet, value, count) rows, plus ("total", NULL, number of results)."""
    matched = _matched(plan)
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
    ]
    return union_all(*parts)


async def count(session: AsyncSession, plan: Plan) -> tuple[int, dict[str, dict[str, int]]]:
    """The number of results and, per facet, the number of results for each value (most
    frequent first)."""
    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    total = 0
    for facet, value, n in (await session.execute(facet_counts(plan))).all():
        if facet == "total":
            total = int(n)
        elif value is not None:
            counts[facet][str(value)] = int(n)
    ordered = {
        name: dict(sorted(values.items(), key=lambda item: (-item[1], item[0])))
        for name, values in counts.items()
    }
    return total, ordered

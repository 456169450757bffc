"""Rows found by many (origin exchange, key) pairs at once: a batch's records, feed entries
and owners.

PostgreSQL plans ``exchange = :ex AND key IN (...)`` from column statistics; before a table is
analysed (a freshly loaded exchange, autovacuum behind) it assumes each listed value matches
0.5 % of the rows, so a 500-key batch is planned as a scan of every row of the exchange, which
grows with the catalogue (seconds per batch at 100,000 records). Here each pair is one probe of
the two-column index instead (``unnest`` of two arrays, joined laterally), whatever the
statistics say. SQLite plans the ``IN`` list as index probes already and keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, String, Table, and_, cast, delete, func, or_, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import Delete, Select

Pair = tuple[str, str]


def _in_lists(exchange: Any, key: Any, pairs: Iterable[Pair]) -> ColumnElement[bool]:
    """An ``IN`` list of keys per exchange."""
    keys: dict[str, set[str]] = {}
    for origin, value in pairs:
        keys.setdefault(origin, set()).add(value)
    return or_(*(and_(exchange == ex, key.in_(sorted(keys[ex]))) for ex in sorted(keys)))


def _unnested(pairs: Iterable[Pair]) -> Any:
    """``unnest(:exchanges, :keys) AS k(ex, id)``: the pairs as rows, in sorted order."""
    ordered = sorted(set(pairs))
    exchanges = cast([ex for ex, _ in ordered], ARRAY(String))
    keys = cast([key for _, key in ordered], ARRAY(String))
    return func.unnest(exchanges, keys).table_valued("ex", "id").render_derived(name="k")


def rows(
    table: Table,
    columns: list[Any],
    pairs: Iterable[Pair],
    *,
    postgres: bool,
    exchange: str = "origin_exchange",
    key: str = "origin_id",
    where: tuple[ColumnElement[bool], ...] = (),
    lock: bool = False,
) -> Select[Any]:
    """``columns`` of ``table``'s rows whose (``exchange``, ``key``) is one of ``pairs``,
    locked ``FOR UPDATE`` if asked."""
    ex_column, key_column = table.c[exchange], table.c[key]
    if not postgres:
        query = select(*columns).where(_in_lists(ex_column, key_column, pairs), *where)
        return query.with_for_update() if lock else query
    k = _unnested(pairs)
    probe = select(*columns).where(ex_column == k.c.ex, key_column == k.c.id, *where)
    found = (probe.with_for_update() if lock else probe).lateral("found")
    return select(*found.c).select_from(k).join(found, true())


def delete_rows(
    table: Table,
    pairs: Iterable[Pair],
    *,
    postgres: bool,
    exchange: str = "origin_exchange",
    key: str = "origin_id",
) -> Delete:
    """A delete of ``table``'s rows whose (``exchange``, ``key``) is one of ``pairs``."""
    ex_column, key_column = table.c[exchange], table.c[key]
    if not postgres:
        return delete(table).where(_in_lists(ex_column, key_column, pairs))
    k = _unnested(pairs)
    return delete(table).where(ex_column == k.c.ex, key_column == k.c.id)

"""Filter keys: a listing's filter values as words of their own in its full-text index.

A selective filter (one province of 34, one exchange, one field) used to be tested row by row on
every match of the query's words: ``nông nghiệp`` in one province read nearly every listing
about agriculture to keep one in thirty. Each listing now also holds one word per filter value
(``filter_keys``, indexed beside its text: a third FTS5 column on SQLite, a second column of each
GIN index on PostgreSQL), and a search adds its filters' words to the full-text query, so the
index intersects them with the text's and hands over only rows that have both.

A key is a way to find rows sooner, never the decision: every filter is still tested on the
rows the index returns. Two values that give the same key (only letters and digits are kept)
cost a test and lose nothing; a key missing from a row would lose it, so the keys are computed
wherever the search text is (``listings.records.search_columns``) and nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# Which filter a key is for: its first letter.
_PREFIXES = {
    "kind": "k",
    "strategic_group": "g",
    "st_field": "f",
    "province": "p",
    "exchange": "x",
    "ip_status": "i",
    "transaction_type": "t",
    "trl": "r",
}
_NOT_KEPT = re.compile(r"[^0-9a-z]+")
TRL_LEVELS = range(1, 10)


def key(facet: str, value: object) -> str:
    """The word for ``value`` of ``facet``: its prefix, then the value's letters and digits."""
    return _PREFIXES[facet] + _NOT_KEPT.sub("", str(value).casefold())


def _st_fields(code: str) -> list[str]:
    # A listing of field 102 is found by the level-2 filter 102 and by the level-1 filter 1.
    return [code[:1], code] if len(code) > 1 else [code]


def listing_keys(values: Mapping[str, Any]) -> str:
    """The keys of a listing, from its column values, space-separated."""
    pairs: list[tuple[str, object]] = [
        ("kind", values["kind"]),
        ("strategic_group", values["strategic_group"]),
        ("ip_status", values.get("ip_status") or "none"),
        ("trl", values["trl"]),
        ("exchange", values.get("origin_exchange") or "LOCAL"),
    ]
    if values.get("province"):
        pairs.append(("province", values["province"]))
    if values.get("st_field"):
        pairs += [("st_field", code) for code in _st_fields(values["st_field"])]
    pairs += [("transaction_type", code) for code in values.get("transaction_types") or []]
    return " ".join(dict.fromkeys(key(facet, value) for facet, value in pairs))


def query_keys(
    *,
    equal: Iterable[tuple[str, Iterable[str]]],
    trl_min: int | None = None,
    trl_max: int | None = None,
) -> list[list[str]]:
    """The keys a search requires: one group per filter in use, any key of a group will do.
    ``equal``: (facet, values) of the equality filters; a TRL range is its levels."""
    groups = [list(dict.fromkeys(key(facet, value) for value in values)) for facet, values in equal]
    if trl_min is not None or trl_max is not None:
        low = trl_min if trl_min is not None else TRL_LEVELS[0]
        high = trl_max if trl_max is not None else TRL_LEVELS[-1]
        groups.append([key("trl", level) for level in TRL_LEVELS if low <= level <= high])
    # An empty range needs no key: the filter itself, tested on the rows, finds nothing.
    return [group for group in groups if group]

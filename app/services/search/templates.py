"""Search statements built once per query and reused with each request's values.

Building a search statement (its ranking expression alone holds dozens of terms) and computing
its compiled-cache key cost more Python time than running it on a small catalogue. So the
statement for a query, its filters and the kind of reader is built once, with the values that
change from one request to the next (the snapshot, the reader's organisation, the paging
position) as named bind parameters, and reused: SQLAlchemy memoises its cache key with it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import Any

from sqlalchemy import BindParameter, Executable, bindparam

from app.services.search.sql import Plan, Position, Scope, Snapshot

# Distinct queries kept; a search for a query not among them builds its statement anew.
KEPT = 512
_statements: OrderedDict[Hashable, Executable] = OrderedDict()


def parameter(name: str) -> Any:
    """A per-request value in a kept statement (typed by what it is compared with)."""
    bound: BindParameter[Any] = bindparam(f"search_{name}")
    return bound


def position() -> Position:
    """A paging position as bind parameters (``values(after=...)`` fills them)."""
    return Position(parameter("after_score"), parameter("after_seq"))


def _template(plan: Plan) -> Plan:
    """``plan`` with its per-request values replaced by bind parameters."""
    snapshot = Snapshot(high_water=parameter("high_water"), now=parameter("now"))
    own = parameter("organisation_id") if plan.scope.organisation_id is not None else None
    above = parameter("above") if plan.above is not None else None
    return replace(plan, snapshot=snapshot, scope=Scope(own, plan.scope.is_admin), above=above)


def statement(plan: Plan, shape: Hashable, build: Callable[[Plan], Executable]) -> Executable:
    """The statement ``build`` makes for ``plan`` and ``shape`` (what else it depends on),
    built once per query, filters and kind of reader, then reused."""
    key = (
        shape,
        plan.backend.name,
        plan.query,
        plan.filters,
        plan.scope.is_admin,
        plan.scope.organisation_id is not None,
        plan.above is not None,
    )
    found = _statements.get(key)
    if found is None:
        found = _statements[key] = build(_template(plan))
        if len(_statements) > KEPT:
            _statements.popitem(last=False)
    else:
        _statements.move_to_end(key)
    return found


def values(plan: Plan, *, after: Position | None = None) -> dict[str, Any]:
    """The bind parameters of a kept statement for ``plan``."""
    found = {
        "search_high_water": plan.snapshot.high_water,
        "search_now": plan.snapshot.now,
        "search_organisation_id": plan.scope.organisation_id,
    }
    if after is not None:
        found |= {"search_after_score": after.score, "search_after_seq": after.seq}
    if plan.above is not None:
        found["search_above"] = plan.above
    return found

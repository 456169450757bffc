"""Listing and searching initiatives without ever matching confidential text for someone who
may not read it: the public text is searched for everyone, the confidential text only where
every listed row is the caller's to read in full (their own, or an administrator's).

Search follows listing search (``app.services.search.query``): two-level matching of exact and
folded keys as whole words, synonyms, every concept required."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.errors import Unauthorized
from app.core.pagination import SortKey, sorted_page
from app.models import Initiative
from app.models.initiative import PUBLIC_STATES
from app.services.accounts.tokens import Principal
from app.services.initiatives.access import principal_user
from app.services.ip import links
from app.services.search.query import matching_forms, parse
from app.services.search.ranking import form_matches


def _texts(confidential: bool) -> list[tuple[Any, Any]]:
    public = (Initiative.public_exact, Initiative.public_text)
    return (
        [public, (Initiative.private_exact, Initiative.private_text)] if confidential else [public]
    )


def _search(
    stmt: Select[tuple[Initiative]], q: str, *, confidential: bool
) -> Select[tuple[Initiative]]:
    query = parse(q)
    if not query:  # punctuation only: nothing can match it
        return stmt.where(false())
    texts = _texts(confidential)
    for concept in query.concepts:
        stmt = stmt.where(
            or_(
                *(
                    form_matches(form, *pair)
                    for form in matching_forms(concept, True)
                    for pair in texts
                )
            )
        )
    return stmt


@dataclass(frozen=True)
class Filters:
    """Filters of initiative lists; a tuple accepts any of its values, empty means any."""

    state: tuple[str, ...] = ()
    strategic_group: tuple[str, ...] = ()
    province: tuple[str, ...] = ()
    initiative_class: str | None = None
    st_field: tuple[str, ...] = ()
    trl_min: int | None = None
    trl_max: int | None = None
    ip_status: tuple[str, ...] = ()

    def apply(self, stmt: Select[tuple[Initiative]]) -> Select[tuple[Initiative]]:
        for values, column in (
            (self.state, Initiative.state),
            (self.strategic_group, Initiative.strategic_group),
            (self.province, Initiative.province),
        ):
            if values:
                stmt = stmt.where(column.in_(values))
        if self.initiative_class is not None:
            stmt = stmt.where(Initiative.initiative_class == self.initiative_class)
        if self.st_field:
            stmt = stmt.where(_st_field(self.st_field))
        if self.trl_min is not None:
            stmt = stmt.where(Initiative.trl >= self.trl_min)
        if self.trl_max is not None:
            stmt = stmt.where(Initiative.trl <= self.trl_max)
        if self.ip_status:
            stmt = stmt.where(links.initiative_status_in(self.ip_status))
        return stmt


def _st_field(codes: tuple[str, ...]) -> ColumnElement[bool]:
    # A level-1 code (one digit) selects its level-2 fields too.
    level1 = [code for code in codes if len(code) == 1]
    return or_(Initiative.st_field.in_(codes), func.substr(Initiative.st_field, 1, 1).in_(level1))


def _published_key(row: Initiative) -> Any:
    return row.published_at or row.created_at


_PUBLISHED = func.coalesce(Initiative.published_at, Initiative.created_at)
# Sort orders of initiative lists: a name, or a name with "-" for descending.
SORTS: dict[str, tuple[ColumnElement[Any] | InstrumentedAttribute[Any], Any]] = {
    "created_at": (Initiative.created_at, lambda row: row.created_at),
    "published_at": (_PUBLISHED, _published_key),
    "trl": (func.coalesce(Initiative.trl, 0), lambda row: row.trl or 0),
}
SORT_VALUES = tuple(f"{sign}{name}" for name in SORTS for sign in ("", "-"))


def sort_keys(sort: str) -> list[SortKey]:
    """The keys of a sort order (``-trl``: highest first), the id last to make it total."""
    descending = sort.startswith("-")
    expression, value = SORTS[sort.lstrip("-")]
    return [
        SortKey(expression, value, descending),
        SortKey(Initiative.id, lambda row: row.id, descending),
    ]


def where_text(stmt: Select[tuple[Initiative]], q: str) -> Select[tuple[Initiative]]:
    """Initiatives whose public text has every word of ``q`` (diacritics folded)."""
    return _search(stmt, q, confidential=False)


async def list_page(
    session: AsyncSession,
    *,
    principal: Principal | None,
    mine: bool,
    q: str | None,
    filters: Filters,
    cursor: str | None,
    limit: int,
    sort: str = "created_at",
) -> tuple[list[Initiative], str | None]:
    """What the caller may list: published initiatives, their own (``mine``), or all (admins).

    Confidential text is searched only where every listed row is the caller's to read in full.
    """
    user = principal_user(principal)
    stmt = select(Initiative)
    if mine:
        if user is None:
            raise Unauthorized("Sign in to list your own initiatives")
        stmt = stmt.where(Initiative.owner_id == user.id)
    elif principal is None or "admin" not in principal.roles:
        stmt = stmt.where(Initiative.state.in_(PUBLIC_STATES))
    confidential = mine or (principal is not None and "admin" in principal.roles)
    stmt = filters.apply(stmt)
    if q:
        stmt = _search(stmt, q, confidential=confidential)
    scope = "mine" if mine else ("all" if confidential else "public")
    return await sorted_page(
        session,
        stmt,
        keys=sort_keys(sort),
        cursor=cursor,
        limit=limit,
        purpose=f"initiatives:{scope}:{sort}",
    )

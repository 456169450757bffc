"""Listing and searching initiatives without ever matching confidential text for someone who
may not read it: the folded public text is searched for everyone, the folded confidential text
only where every listed row is the caller's to read in full (their own, or an administrator's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Unauthorized
from app.core.pagination import keyset_page
from app.core.text import fold
from app.models import Initiative
from app.models.initiative import PUBLIC_STATES
from app.services.accounts.tokens import Principal
from app.services.initiatives.access import principal_user

MAX_TERMS = 8


def _like(column: Any, term: str) -> ColumnElement[bool]:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    result: ColumnElement[bool] = column.like(f"%{escaped}%", escape="\\")
    return result


def _search(
    stmt: Select[tuple[Initiative]], q: str, *, confidential: bool
) -> Select[tuple[Initiative]]:
    for term in fold(q).split()[:MAX_TERMS]:
        match = _like(Initiative.public_text, term)
        if confidential:
            match = or_(match, _like(Initiative.private_text, term))
        stmt = stmt.where(match)
    return stmt


@dataclass(frozen=True)
class Filters:
    state: str | None = None
    strategic_group: str | None = None
    province: str | None = None
    initiative_class: str | None = None

    def apply(self, stmt: Select[tuple[Initiative]]) -> Select[tuple[Initiative]]:
        if self.state is not None:
            stmt = stmt.where(Initiative.state == self.state)
        if self.strategic_group is not None:
            stmt = stmt.where(Initiative.strategic_group == self.strategic_group)
        if self.province is not None:
            stmt = stmt.where(Initiative.province == self.province)
        if self.initiative_class is not None:
            stmt = stmt.where(Initiative.initiative_class == self.initiative_class)
        return stmt


async def list_page(
    session: AsyncSession,
    *,
    principal: Principal | None,
    mine: bool,
    q: str | None,
    filters: Filters,
    cursor: str | None,
    limit: int,
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
    return await keyset_page(
        session,
        stmt,
        order=(Initiative.created_at, Initiative.id),
        cursor=cursor,
        limit=limit,
        purpose=f"initiatives:{scope}",
    )

"""Listing and searching initiatives without ever matching confidential text for someone who
may not read it: the public text is searched for everyone, the confidential text only where
every listed row is the caller's to read in full (their own, or an administrator's).

Search follows listing search (``app.services.search.query``): two-level matching of exact and
folded keys as whole words, synonyms, every concept required."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Unauthorized
from app.core.pagination import keyset_page
from app.models import Initiative
from app.models.initiative import PUBLIC_STATES
from app.services.accounts.tokens import Principal
from app.services.initiatives.access import principal_user
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

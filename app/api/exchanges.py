"""The exchanges registry, administered by operators."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.api.deps import AdminUser, ContextDep, Idempotent, SessionDep
from app.core import egress
from app.core.errors import problem_responses
from app.core.pagination import CursorQuery, LimitQuery, Page
from app.core.routing import TechxRoute
from app.schemas.exchange import ExchangeCreate, ExchangeRead, ExchangeUpdate
from app.services.federation import exchanges

router = APIRouter(prefix="/api/v1/admin/exchanges", tags=["exchanges"], route_class=TechxRoute)


@router.post(
    "",
    operation_id="admin_exchanges_create",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(401, 403, 409, 415, 422),
)
async def create_exchange(
    body: ExchangeCreate,
    session: SessionDep,
    ctx: ContextDep,
    _admin: AdminUser,
    response: Response,
) -> ExchangeRead:
    """Register an exchange; pull credentials are stored encrypted and never returned."""
    allow = egress.networks(ctx.settings.egress.allow_networks)
    exchange = await exchanges.create(session, body, secret=ctx.settings.secret_key, allow=allow)
    response.headers["Location"] = f"{router.prefix}/{exchange.code}"
    return (await exchanges.read_models(session, [exchange]))[0]


@router.get("", operation_id="admin_exchanges_list", responses=problem_responses(400, 401, 403))
async def list_exchanges(
    session: SessionDep,
    _admin: AdminUser,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[ExchangeRead]:
    rows, next_cursor = await exchanges.list_page(session, cursor=cursor, limit=limit)
    items = await exchanges.read_models(session, rows)
    return Page(items=items, next_cursor=next_cursor)


@router.get(
    "/{code}", operation_id="admin_exchanges_get", responses=problem_responses(401, 403, 404)
)
async def get_exchange(code: str, session: SessionDep, _admin: AdminUser) -> ExchangeRead:
    exchange = await exchanges.get(session, code)
    return (await exchanges.read_models(session, [exchange]))[0]


@router.patch(
    "/{code}",
    operation_id="admin_exchanges_update",
    responses=problem_responses(401, 403, 404, 415, 422),
)
async def update_exchange(
    code: str, body: ExchangeUpdate, session: SessionDep, ctx: ContextDep, _admin: AdminUser
) -> ExchangeRead:
    exchange = await exchanges.get(session, code)
    allow = egress.networks(ctx.settings.egress.allow_networks)
    exchange = await exchanges.update_exchange(
        session, exchange, body, secret=ctx.settings.secret_key, allow=allow
    )
    return (await exchanges.read_models(session, [exchange]))[0]


@router.delete(
    "/{code}",
    operation_id="admin_exchanges_delete",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
async def delete_exchange(code: str, session: SessionDep, _admin: AdminUser) -> None:
    await exchanges.remove(session, await exchanges.get(session, code))

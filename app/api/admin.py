"""Operator endpoints: accounts and roles, exchange clients, signing keys, jobs."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response, status

from app.api.deps import AdminUser, ContextDep, Idempotent, SessionDep
from app.core.errors import problem_responses
from app.core.etag import check_if_match, etag_for
from app.core.pagination import CursorQuery, LimitQuery, Page
from app.core.routing import TechxRoute
from app.schemas.auth import SigningKeyRead
from app.schemas.exchange_client import (
    ExchangeClientCreate,
    ExchangeClientRead,
    ExchangeClientUpdate,
    ExchangeClientWithSecret,
)
from app.schemas.job import JobRead
from app.schemas.user import Role, UserCreate, UserRead, UserUpdate
from app.services.accounts import keys, users
from app.services.federation import clients as exchange_clients
from app.services.jobs import queue as jobs

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], route_class=TechxRoute)
ADMIN_ERRORS = (401, 403)


@router.post(
    "/users",
    operation_id="admin_users_create",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(*ADMIN_ERRORS, 409, 415, 422),
)
async def create_user(
    body: UserCreate, session: SessionDep, ctx: ContextDep, _admin: AdminUser, response: Response
) -> UserRead:
    user = await users.create(session, body, passwords=ctx.passwords)
    response.headers["Location"] = f"{router.prefix}/users/{user.id}"
    return UserRead.model_validate(user)


@router.get(
    "/users", operation_id="admin_users_list", responses=problem_responses(*ADMIN_ERRORS, 400)
)
async def list_users(
    session: SessionDep,
    _admin: AdminUser,
    role: Role | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[UserRead]:
    rows, next_cursor = await users.list_page(session, role=role, cursor=cursor, limit=limit)
    return Page(items=[UserRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/users/{user_id}",
    operation_id="admin_users_get",
    responses=problem_responses(*ADMIN_ERRORS, 404),
)
async def get_user(
    user_id: uuid.UUID, session: SessionDep, _admin: AdminUser, response: Response
) -> UserRead:
    user = await users.get(session, user_id)
    response.headers["ETag"] = etag_for(user.version)
    return UserRead.model_validate(user)


@router.patch(
    "/users/{user_id}",
    operation_id="admin_users_update",
    responses=problem_responses(*ADMIN_ERRORS, 404, 412, 415, 422, 428),
)
async def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    session: SessionDep,
    _admin: AdminUser,
    response: Response,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> UserRead:
    """Change roles, organisation or active state; send ``If-Match``."""
    user = await users.get(session, user_id)
    check_if_match(if_match, user.version)
    user = await users.update(session, user, body)
    response.headers["ETag"] = etag_for(user.version)
    return UserRead.model_validate(user)


@router.post(
    "/exchange-clients",
    operation_id="admin_exchange_clients_create",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(*ADMIN_ERRORS, 415, 422),
)
async def create_exchange_client(
    body: ExchangeClientCreate, session: SessionDep, ctx: ContextDep, _admin: AdminUser
) -> ExchangeClientWithSecret:
    """Create a machine client; its secret is shown in this answer only."""
    client, secret = await exchange_clients.create(session, body, passwords=ctx.passwords)
    read = ExchangeClientRead.model_validate(client)
    return ExchangeClientWithSecret(**read.model_dump(), client_secret=secret)


@router.get(
    "/exchange-clients",
    operation_id="admin_exchange_clients_list",
    responses=problem_responses(*ADMIN_ERRORS, 400),
)
async def list_exchange_clients(
    session: SessionDep,
    _admin: AdminUser,
    exchange_code: Annotated[str | None, Query(max_length=20)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[ExchangeClientRead]:
    rows, next_cursor = await exchange_clients.list_page(
        session, exchange_code=exchange_code, cursor=cursor, limit=limit
    )
    return Page(items=[ExchangeClientRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.patch(
    "/exchange-clients/{client_uuid}",
    operation_id="admin_exchange_clients_update",
    responses=problem_responses(*ADMIN_ERRORS, 404, 412, 415, 422, 428),
)
async def update_exchange_client(
    client_uuid: uuid.UUID,
    body: ExchangeClientUpdate,
    session: SessionDep,
    _admin: AdminUser,
    response: Response,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> ExchangeClientRead:
    client = await exchange_clients.get(session, client_uuid)
    check_if_match(if_match, client.version)
    client = await exchange_clients.update(session, client, body)
    response.headers["ETag"] = etag_for(client.version)
    return ExchangeClientRead.model_validate(client)


@router.post(
    "/exchange-clients/{client_uuid}/rotate-secret",
    operation_id="admin_exchange_clients_rotate_secret",
    responses=problem_responses(*ADMIN_ERRORS, 404),
)
async def rotate_exchange_client_secret(
    client_uuid: uuid.UUID, session: SessionDep, ctx: ContextDep, _admin: AdminUser
) -> ExchangeClientWithSecret:
    """New secret now; the previous one keeps working for the configured overlap."""
    client = await exchange_clients.get(session, client_uuid)
    secret = await exchange_clients.rotate_secret(
        session,
        client,
        passwords=ctx.passwords,
        overlap_hours=ctx.settings.auth.client_secret_overlap_hours,
    )
    read = ExchangeClientRead.model_validate(client)
    return ExchangeClientWithSecret(**read.model_dump(), client_secret=secret)


@router.get(
    "/signing-keys",
    operation_id="admin_signing_keys_list",
    responses=problem_responses(*ADMIN_ERRORS),
)
async def list_signing_keys(session: SessionDep, _admin: AdminUser) -> Page[SigningKeyRead]:
    """Every signing key, active and retired; one page holds them all (`next_cursor` is null)."""
    rows = await keys.list_keys(session)
    items = [
        SigningKeyRead(
            kid=r.kid,
            algorithm=r.algorithm,
            created_at=r.created_at,
            retired_at=r.retired_at,
            active=r.retired_at is None,
        )
        for r in rows
    ]
    return Page(items=items)


@router.post(
    "/signing-keys/rotate",
    operation_id="admin_signing_keys_rotate",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(*ADMIN_ERRORS),
)
async def rotate_signing_key(
    session: SessionDep, ctx: ContextDep, _admin: AdminUser
) -> SigningKeyRead:
    """Sign with a new key from now on; tokens signed by the old one stay valid for a while."""
    row = await keys.rotate(session, secret_key=ctx.settings.secret_key)
    ctx.keyring.invalidate()
    return SigningKeyRead(
        kid=row.kid,
        algorithm=row.algorithm,
        created_at=row.created_at,
        retired_at=None,
        active=True,
    )


@router.get(
    "/jobs", operation_id="admin_jobs_list", responses=problem_responses(*ADMIN_ERRORS, 400)
)
async def list_jobs(
    session: SessionDep,
    _admin: AdminUser,
    status_: Annotated[
        Literal["queued", "running", "done", "dead"] | None, Query(alias="status")
    ] = None,
    kind: Annotated[str | None, Query(max_length=80)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[JobRead]:
    rows, next_cursor = await jobs.list_page(
        session, status=status_, kind=kind, cursor=cursor, limit=limit
    )
    return Page(items=[JobRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/jobs/{job_id}/retry",
    operation_id="admin_jobs_retry",
    responses=problem_responses(*ADMIN_ERRORS, 404, 409),
)
async def retry_job(job_id: uuid.UUID, session: SessionDep, _admin: AdminUser) -> JobRead:
    """Requeue a dead-lettered job."""
    return JobRead.model_validate(await jobs.retry_dead(session, job_id))

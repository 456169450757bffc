"""Liveness, an authenticated read of the caller's own account, an anonymous read of a listing."""

from __future__ import annotations

from bench.environment import Environment
from bench.httpclient import HttpRequest
from bench.registry import OperationFactory, workload


@workload(
    "healthz",
    "GET /healthz: routing, middleware and serialisation, no database",
    ceilings=("minimal-endpoint",),
)
async def healthz(env: Environment) -> OperationFactory:
    return env.http(await env.service(), HttpRequest("GET", "/healthz"))


@workload(
    "users-me",
    "GET /api/v1/users/me with a bearer token: token check, account read, response",
    ceilings=("minimal-endpoint", "raw-pk-select"),
)
async def users_me(env: Environment) -> OperationFactory:
    token = await env.user_token()
    request = HttpRequest("GET", "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    return env.http(await env.service(), request)


@workload(
    "listing-by-id",
    "GET /api/v1/listings/{id}, anonymous: one listing with its owner, ETag, response",
    ceilings=("minimal-endpoint",),
)
async def listing_by_id(env: Environment) -> OperationFactory:
    path = f"/api/v1/listings/{await env.listing_id()}"
    return env.http(await env.service(), HttpRequest("GET", path))

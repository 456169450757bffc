"""Operations answered without FastAPI's dependency solver (``app.core.direct``) answer exactly
as through it: every request below is sent twice, once as the service answers it and once as
while FastAPI's telemetry records a request (which the direct path leaves to FastAPI's own
handler), and the two answers are compared."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import Request, Response
from fastapi.dependencies.utils import get_dependant
from fastapi.routing import APIRoute
from starlette.requests import HTTPConnection

from app.core import direct
from app.core.direct import direct_handler
from tests import listing_helpers as lh
from tests.factories import login

# Headers that differ between any two answers.
VOLATILE = {"x-request-id", "date"}


@contextmanager
def _through_fastapi() -> Iterator[list[str]]:
    """Every request in the block handled by FastAPI's solver; yields the paths it handled."""
    handled: list[str] = []
    original = direct.get_telemetry_data

    def recording() -> object:
        handled.append("request")
        return object()

    direct.get_telemetry_data = recording  # type: ignore[assignment]
    try:
        yield handled
    finally:
        direct.get_telemetry_data = original


def _answer(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k.lower() not in VOLATILE}
    return response.status_code, headers, response.content


async def _both(client: httpx.AsyncClient, path: str, **kwargs: Any) -> Any:
    planned = await client.get(path, **kwargs)
    with _through_fastapi() as handled:
        solved = await client.get(path, **kwargs)
    # Else the second answer did not come from FastAPI's solver (a query parameter the
    # operation does not declare is refused before either).
    assert handled or "?" in path, path
    assert _answer(planned) == _answer(solved), path
    return planned


def test_the_hot_reads_are_planned_and_routes_with_more_are_not(app) -> None:  # type: ignore[no-untyped-def]
    planned = {
        route.operation_id or route.name
        for route in app.routes
        if isinstance(route, APIRoute)
        and direct_handler(route.dependant, route.dependency_overrides_provider) is not None
    }
    assert {"listings_get", "users_me"} <= planned
    # Query parameters, bodies and sessions stay with FastAPI.
    assert not planned & {"listings_search", "listings_update", "users_update_me"}


async def test_a_listing_reads_the_same_in_every_form_of_its_id(app, client, session, ctx) -> None:  # type: ignore[no-untyped-def]
    _, headers, _ = await lh.author(client, session, ctx)
    listing_id = (await lh.create(client, headers))["id"]
    forms = (
        listing_id,
        listing_id.upper(),
        uuid.UUID(listing_id).hex,
        "{" + listing_id + "}",
        f"urn:uuid:{listing_id}",
        listing_id[:-1],
        "not-a-uuid",
        str(uuid.uuid4()),
    )
    answers = {form: (await _both(client, f"/api/v1/listings/{form}")) for form in forms}
    assert answers[listing_id].status_code == 200
    assert answers[listing_id.upper()].json() == answers[listing_id].json()
    assert answers["not-a-uuid"].status_code == 422
    assert answers["not-a-uuid"].json()["errors"][0]["loc"] == ["path", "listing_id"]
    assert answers[forms[-1]].status_code == 404
    # JSON-LD through the Accept header, a stranger's token, and a bad token.
    await _both(client, f"/api/v1/listings/{listing_id}", headers={"Accept": "application/ld+json"})
    await _both(client, f"/api/v1/listings/{listing_id}", headers=headers)
    bad = await _both(
        client, f"/api/v1/listings/{listing_id}", headers={"Authorization": "Bearer x.y.z"}
    )
    assert bad.status_code == 401
    unknown = await _both(client, f"/api/v1/listings/{listing_id}?page=2")
    assert unknown.status_code == 422


@pytest.mark.parametrize("scheme", ["Bearer", "Basic", None])
async def test_users_me_answers_the_same_with_every_kind_of_credential(  # type: ignore[no-untyped-def]
    app, client, session, ctx, scheme
) -> None:
    _, headers = await login(client, session, ctx, roles=("scientist",))
    token = headers["Authorization"].removeprefix("Bearer ")
    if scheme is None:
        kwargs: dict[str, Any] = {}
    elif scheme == "Bearer":
        kwargs = {"headers": {"Authorization": f"Bearer {token}"}}
    else:
        kwargs = {"headers": {"Authorization": f"Basic {token}"}}
    response = await _both(client, "/api/v1/users/me", **kwargs)
    assert response.status_code == (200 if scheme == "Bearer" else 401)


async def _request_and_connection(request: Request, connection: HTTPConnection) -> Response:
    return Response()


async def _request_only(request: Request) -> Response:
    return Response()


def test_an_operation_reading_the_request_twice_is_left_to_fastapi() -> None:
    """One argument for the ``Request`` and another for the ``HTTPConnection``: the plan fills
    one name per dependant, so FastAPI solves such an operation."""
    both = get_dependant(path="/x", call=_request_and_connection)
    assert direct_handler(both, None) is None
    assert direct_handler(get_dependant(path="/x", call=_request_only), None) is not None

"""HTTP conventions every route shares: problem+json, media types, body limits, request ids."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.core.pagination import encode_cursor
from tests.factories import login, make_organisation

PROBLEM_JSON = "application/problem+json"
ORGS = "/api/v1/organisations"
REGISTER = "/api/v1/auth/register"


def problem(response: httpx.Response, status: int, type_: str | None = None) -> dict[str, Any]:
    """The problem body of ``response``, after checking its status and media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    if type_ is not None:
        assert body["type"] == type_
    return body


def limit_of(ctx: AppContext) -> int:
    return ctx.settings.http.max_body_bytes


async def chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """A JSON-looking body of ``total`` bytes, streamed without a Content-Length."""
    yield b'{"name": "'
    sent = 10
    while sent < total:
        piece = b"a" * min(size, total - sent)
        sent += len(piece)
        yield piece
    yield b'"}'


async def pieces(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


# --- routing ---------------------------------------------------------------------------------


async def test_unknown_route_returns_404_problem(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/api/v1/no-such-thing"), 404)
    assert (body["type"], body["title"]) == ("/problems/not-found", "Not found")
    assert "Traceback" not in json.dumps(body)


async def test_unreadable_body_is_a_documented_malformed_body_problem(
    client: httpx.AsyncClient, app: Any
) -> None:
    response = await client.post(
        "/api/v1/receipts/verify",
        content=b"\xff\xfe{",
        headers={"Content-Type": "application/json"},
    )
    assert problem(response, 400)["type"] == "/problems/malformed-body"
    documented = app.openapi()["paths"]["/api/v1/receipts/verify"]
    assert {"400", "413", "415", "422", "503"} <= set(documented["post"]["responses"])


async def test_wrong_method_returns_405_problem_with_allow_header(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/healthz")
    problem(response, 405)
    assert response.headers["allow"] == "GET"


async def test_wrong_method_allow_header_lists_every_method_of_the_path(
    client: httpx.AsyncClient,
) -> None:
    response = await client.put(ORGS, json={})
    problem(response, 405)
    assert response.headers["allow"] == "GET, POST"


# --- body size -------------------------------------------------------------------------------


async def test_declared_oversized_body_returns_413(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    payload = b'{"name": "' + b"a" * limit_of(ctx) + b'"}'
    response = await client.post(
        REGISTER, content=payload, headers={"Content-Type": "application/json"}
    )
    problem(response, 413, "/problems/payload-too-large")


async def test_streamed_oversized_body_without_content_length_returns_413(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    response = await client.post(
        REGISTER,
        content=chunks(limit_of(ctx) + 1024),
        headers={"Content-Type": "application/json"},
    )
    problem(response, 413, "/problems/payload-too-large")


async def test_streamed_oversized_body_to_admin_route_returns_413(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    response = await client.post(
        ORGS,
        content=chunks(limit_of(ctx) + 1024),
        headers={**headers, "Content-Type": "application/json", "Idempotency-Key": "big-1"},
    )
    problem(response, 413, "/problems/payload-too-large")


async def test_streamed_body_within_limit_is_accepted(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    body = json.dumps({"name": "Viện Streamed", "kind": "institute"}).encode()
    response = await client.post(
        ORGS,
        content=pieces(body[:10], body[10:]),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Viện Streamed"


# --- media types -----------------------------------------------------------------------------


async def test_text_plain_body_to_json_route_returns_415(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, content=b"hello", headers={"Content-Type": "text/plain"})
    body = problem(response, 415, "/problems/unsupported-media-type")
    assert "application/json" in body["detail"]


async def test_form_body_to_json_route_returns_415(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    response = await client.post(ORGS, data={"name": "Viện", "kind": "institute"}, headers=headers)
    problem(response, 415, "/problems/unsupported-media-type")


async def test_json_body_to_form_token_endpoint_returns_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/token",
        json={"grant_type": "password", "username": "a@example.vn", "password": "x"},
    )
    body = problem(response, 415, "/problems/unsupported-media-type")
    assert "application/x-www-form-urlencoded" in body["detail"]


async def test_merge_patch_json_is_accepted_as_json(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    org = await make_organisation(session)
    await session.commit()
    response = await client.patch(
        f"{ORGS}/{org.id}",
        content=json.dumps({"province": "HP"}).encode(),
        headers={**headers, "Content-Type": "application/merge-patch+json", "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["province"] == "HP"


# --- validation ------------------------------------------------------------------------------


async def test_malformed_json_returns_422_with_field_errors(client: httpx.AsyncClient) -> None:
    response = await client.post(
        REGISTER, content=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    body = problem(response, 422, "/problems/validation-error")
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"loc", "msg", "type"}
        assert error["loc"][0] == "body"
    assert body["errors"][0]["type"] == "json_invalid"


async def test_validation_error_names_the_field_path(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    response = await client.post(ORGS, json={"name": "Viện", "kind": "castle"}, headers=headers)
    body = problem(response, 422, "/problems/validation-error")
    assert [e["loc"] for e in body["errors"]] == [["body", "kind"]]
    assert "body.kind" in body["detail"]


async def test_json_array_instead_of_object_returns_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    response = await client.post(ORGS, json=["not", "an", "object"], headers=headers)
    body = problem(response, 422, "/problems/validation-error")
    assert body["errors"][0]["loc"] == ["body"]


async def test_unknown_body_field_returns_422_naming_it(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    response = await client.post(
        ORGS, json={"name": "Viện", "kind": "institute", "owner": "me"}, headers=headers
    )
    body = problem(response, 422, "/problems/validation-error")
    assert ["body", "owner"] in [e["loc"] for e in body["errors"]]


async def test_malformed_path_uuid_returns_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    response = await client.get(f"{ORGS}/not-a-uuid", headers=headers)
    body = problem(response, 422, "/problems/validation-error")
    assert [e["loc"] for e in body["errors"]] == [["path", "organisation_id"]]


@pytest.mark.parametrize("limit", ["0", "201", "-1", "ten"])
async def test_out_of_range_limit_returns_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, limit: str
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    response = await client.get(ORGS, params={"limit": limit}, headers=headers)
    body = problem(response, 422, "/problems/validation-error")
    assert [e["loc"] for e in body["errors"]] == [["query", "limit"]]


async def test_idempotency_key_too_long_returns_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    response = await client.post(
        ORGS,
        json={"name": "Viện", "kind": "institute"},
        headers={**headers, "Idempotency-Key": "k" * 256},
    )
    body = problem(response, 422, "/problems/validation-error")
    assert [e["loc"] for e in body["errors"]] == [["header", "Idempotency-Key"]]


async def test_empty_json_body_returns_422_body_missing(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    response = await client.post(
        ORGS, content=b"", headers={**headers, "Content-Type": "application/json"}
    )
    body = problem(response, 422, "/problems/validation-error")
    assert [(e["loc"], e["type"]) for e in body["errors"]] == [(["body"], "missing")]


async def test_body_without_content_type_returns_415(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, content=b'{"email": "a@example.vn"}')
    problem(response, 415, "/problems/unsupported-media-type")


@pytest.mark.parametrize(
    ("param", "value"), [("cursor", "c" * 2001), ("limit", "9" * 30), ("limit", "1.5")]
)
async def test_out_of_bounds_list_parameter_returns_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, param: str, value: str
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    response = await client.get(ORGS, params={param: value}, headers=headers)
    body = problem(response, 422, "/problems/validation-error")
    assert [e["loc"] for e in body["errors"]] == [["query", param]]


# --- cursors ---------------------------------------------------------------------------------


async def first_cursor(
    client: httpx.AsyncClient, session: AsyncSession, headers: dict[str, str]
) -> str:
    for _ in range(2):
        await make_organisation(session)
    await session.commit()
    response = await client.get(ORGS, params={"limit": 1}, headers=headers)
    assert response.status_code == 200, response.text
    cursor = response.json()["next_cursor"]
    assert isinstance(cursor, str)
    return cursor


async def test_forged_cursor_returns_400_invalid_cursor(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    response = await client.get(ORGS, params={"cursor": "eyJrIjpbXX0.deadbeef"}, headers=headers)
    problem(response, 400, "/problems/invalid-cursor")


async def test_truncated_cursor_returns_400_invalid_cursor(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    cursor = await first_cursor(client, session, headers)
    response = await client.get(ORGS, params={"cursor": cursor[:-3]}, headers=headers)
    problem(response, 400, "/problems/invalid-cursor")


async def test_cursor_with_tampered_body_returns_400_invalid_cursor(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    cursor = await first_cursor(client, session, headers)
    body, _, signature = cursor.partition(".")
    tampered = ("A" if body[0] != "A" else "B") + body[1:] + "." + signature
    response = await client.get(ORGS, params={"cursor": tampered}, headers=headers)
    problem(response, 400, "/problems/invalid-cursor")


async def test_non_ascii_cursor_returns_400_invalid_cursor(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    response = await client.get(ORGS, params={"cursor": "abc.chữký"}, headers=headers)
    problem(response, 400, "/problems/invalid-cursor")


async def test_cursor_of_another_listing_returns_400_invalid_cursor(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    other = encode_cursor({"k": ["2026-01-01T00:00:00+00:00", "x"]}, purpose="users")
    response = await client.get(ORGS, params={"cursor": other}, headers=headers)
    problem(response, 400, "/problems/invalid-cursor")


# --- other bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "eyJ9.e30.x", "W10.e30.x"]
)
async def test_malformed_bearer_token_returns_401(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get(ORGS, headers={"Authorization": f"Bearer {token}"})
    body = problem(response, 401, "/problems/unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"
    assert body["detail"]


def refused_or_kept(response: httpx.Response, kept: int) -> None:
    """SQLite keeps any string; PostgreSQL refuses some, which must be a 422, never a 500."""
    if response.status_code == kept:
        return
    problem(response, 422, "/problems/invalid-data")


async def test_nul_character_in_query_is_not_a_server_error(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    response = await client.get(ORGS, params={"province": "H\x00N"}, headers=headers)
    refused_or_kept(response, 200)
    if response.status_code == 200:
        assert response.json()["items"] == []


async def test_nul_character_in_body_is_a_validation_error_naming_the_field(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    response = await client.post(
        ORGS, json={"name": "Viện\x00Nul", "kind": "institute"}, headers=headers
    )
    body = problem(response, 422, "/problems/validation-error")
    assert ["body", "name"] in [e["loc"] for e in body["errors"]]


async def test_overlong_website_is_a_validation_error_and_leaves_no_row(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    website = "https://example.vn/" + "a" * 900
    response = await client.post(
        ORGS, json={"name": "Viện Dài", "kind": "institute", "website": website}, headers=headers
    )
    body = problem(response, 422, "/problems/validation-error")
    assert ["body", "website"] in [e["loc"] for e in body["errors"]]
    listed = await client.get(ORGS, headers=headers)
    assert listed.json()["items"] == []


# --- request id ------------------------------------------------------------------------------


async def test_request_id_is_echoed_when_sent(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "req-abc-123"})
    assert response.headers["x-request-id"] == "req-abc-123"


async def test_request_id_is_generated_when_absent(client: httpx.AsyncClient) -> None:
    first = (await client.get("/healthz")).headers["x-request-id"]
    second = (await client.get("/healthz")).headers["x-request-id"]
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


async def test_overlong_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "r" * 129})
    assert response.headers["x-request-id"] != "r" * 129
    assert len(response.headers["x-request-id"]) == 32


async def test_non_ascii_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    sent = "mã-yêu-cầu".encode()
    response = await client.get("/healthz", headers={"X-Request-ID": sent})
    echoed = response.headers["x-request-id"]
    assert len(echoed) == 32 and int(echoed, 16) >= 0


async def test_request_id_is_on_error_responses(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/no-such-thing", headers={"X-Request-ID": "req-404"})
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "req-404"


# --- problem catalogue -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "status"),
    [
        ("not-found", 404),
        ("precondition-failed", 412),
        ("payload-too-large", 413),
        ("unsupported-media-type", 415),
        ("invalid-cursor", 400),
        ("idempotency-key-reused", 422),
        ("tax-code-taken", 409),
        ("invalid-data", 422),
        ("internal-error", 500),
    ],
)
async def test_problem_type_is_documented(
    client: httpx.AsyncClient, slug: str, status: int
) -> None:
    response = await client.get(f"/problems/{slug}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == f"/problems/{slug}"
    assert body["status"] == status
    assert body["title"]


async def test_validation_error_problem_type_is_documented(client: httpx.AsyncClient) -> None:
    response = await client.get("/problems/validation-error")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "type": "/problems/validation-error",
        "title": "Request validation failed",
        "status": 422,
    }


async def test_unknown_problem_type_returns_404(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/problems/no-such-problem"), 404, "/problems/not-found")
    assert "no-such-problem" in body["detail"]


async def test_routes_answer_under_a_root_path_and_near_misses_do_not_match(app, ctx) -> None:  # type: ignore[no-untyped-def]
    """Behind a proxy that mounts the service under a prefix (uvicorn ``--root-path``), every
    route still answers; a path sharing a route's beginning but not its shape is still 404."""
    transport = httpx.ASGITransport(app=app, root_path="/techx")
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/techx/healthz")).status_code == 200
        assert (await client.get("/techx/api/v1/vocabularies/trl")).status_code == 200
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/api/v1/vocabularies/trl")).status_code == 200
        problem(await client.get("/api/v1/vocabulariesX/trl"), 404)
        problem(await client.get("/api/v1/users/me/extra"), 404)
        moved = await client.get("/api/v1/listings/", follow_redirects=False)
        assert moved.status_code == 307 and moved.headers["location"].endswith("/api/v1/listings")

"""Unknown query parameters are refused (422 naming them) on every GET of the API, and the
OpenAPI document says so; declared ones keep working."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from app.core.routing import OPEN_QUERY

UNKNOWN = "no_such_filter"


def _get_operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (path, item["get"])
        for path, item in document["paths"].items()
        if "get" in item and not item["get"].get(OPEN_QUERY)
    ]


def _is_list(operation: dict[str, Any]) -> bool:
    schema = operation["responses"].get("200", {}).get("content", {})
    text = str(schema)
    return "Page" in text or "'type': 'array'" in text or "items" in text


async def test_every_get_route_refuses_an_unknown_query_parameter(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/api/v1/openapi.json")).json()
    operations = _get_operations(document)
    lists = [path for path, operation in operations if _is_list(operation)]
    assert len(lists) >= 15, lists
    assert "/api/v1/initiatives" in lists and "/api/v1/listings" in lists
    for path, operation in operations:
        url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        response = await client.get(url, params={UNKNOWN: "1", "limit": "1"})
        declared = {p["name"] for p in operation.get("parameters", [])}
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"].endswith("/unknown-query-parameter"), path
        assert ["query", UNKNOWN] in [e["loc"] for e in problem["errors"]], path
        if "limit" in declared:
            assert ["query", "limit"] not in [e["loc"] for e in problem["errors"]], path
        assert "422" in operation["responses"], path


async def test_the_problem_names_every_unknown_parameter_and_the_accepted_ones(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/initiatives", params={"sortt": "-trl", "trl": "9"})
    problem = response.json()
    assert response.status_code == 422
    assert [e["loc"] for e in problem["errors"]] == [["query", "sortt"], ["query", "trl"]]
    assert "sortt, trl" in problem["detail"] and "trl_min" in problem["detail"]


async def test_oai_pmh_keeps_answering_its_own_argument_errors(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/oai", params={"verb": "Identify", "bogus": "1"})
    assert response.status_code == 200
    assert "badArgument" in response.text


async def test_declared_query_models_accept_their_fields(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/listings", params={"kind": "offer", "trl_min": 3})
    assert response.status_code == 200, response.text

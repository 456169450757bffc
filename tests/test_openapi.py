"""The committed OpenAPI document is what the application serves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.main import create_app

OPENAPI = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
METHODS = {"get", "post", "put", "patch", "delete"}
# Routes that cannot fail on input: no error response to document.
INFALLIBLE = {"healthz", "readyz", "metrics", "sync_capabilities"}
# OAI-PMH answers its errors as <error> elements with HTTP 200, as the protocol requires.
INFALLIBLE |= {"oai_pmh", "oai_pmh_post"}


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        op
        for item in document["paths"].values()
        for method, op in item.items()
        if method in METHODS
    ]


def test_committed_openapi_matches_the_application() -> None:
    served = create_app().openapi()
    committed = json.loads(OPENAPI.read_text(encoding="utf-8"))
    assert served == committed, "openapi/openapi.json is stale: run `make openapi`"


def test_every_operation_has_a_stable_unique_id() -> None:
    ids = [op.get("operationId") for op in _operations(create_app().openapi())]
    assert all(ids)
    assert len(ids) == len(set(ids))
    assert all("__" not in str(i) for i in ids), "operation ids are set by hand, not generated"


def test_every_fallible_operation_documents_problem_responses() -> None:
    for op in _operations(create_app().openapi()):
        if op["operationId"] in INFALLIBLE:
            continue
        errors = {code for code in op["responses"] if code.startswith(("4", "5"))}
        assert errors, f"{op['operationId']} documents no error response"
        for code in errors - {"422"}:
            content = op["responses"][code].get("content", {})
            assert "application/problem+json" in content, (op["operationId"], code)


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _success_schemas(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for op in _operations(document):
        for code, answer in op["responses"].items():
            schema = answer.get("content", {}).get("application/json", {}).get("schema")
            if code.startswith("2") and schema is not None:
                found.append((op["operationId"], _resolve(document, schema)))
    return found


def test_every_list_answers_the_items_and_next_cursor_envelope() -> None:
    document = create_app().openapi()
    answers = _success_schemas(document)
    bare = [op for op, schema in answers if schema.get("type") == "array"]
    assert bare == [], f"bare arrays instead of {{items, next_cursor}}: {bare}"
    lists = [
        (op, s) for op, s in answers if op.endswith("_list") or "items" in s.get("properties", {})
    ]
    assert len(lists) > 20
    for op, schema in lists:
        properties = schema.get("properties", {})
        assert {"items", "next_cursor"} <= set(properties), (op, sorted(properties))
        assert _resolve(document, properties["items"]).get("type") == "array", op

"""Controlled vocabularies shipped as JSON data files (vi + en labels, version, source)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from pydantic_core import PydanticCustomError

# Codes listed in full in a validation message up to this many; longer lists point to the API.
MAX_LISTED_CODES = 60


@cache
def load(name: str) -> dict[str, Any]:
    """The vocabulary file ``<name>.json``; raises ``FileNotFoundError`` for unknown names."""
    text = resources.files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def codes(name: str) -> list[str]:
    return [term["code"] for term in load(name)["terms"]]


def role_scopes() -> dict[str, list[str]]:
    return {term["code"]: list(term["scopes"]) for term in load("roles")["terms"]}


@cache
def _code_set(name: str) -> frozenset[str]:
    return frozenset(codes(name))


def allowed_text(name: str) -> str:
    allowed = codes(name)
    if len(allowed) > MAX_LISTED_CODES:
        return f"see /api/v1/vocabularies/{name}"
    return ", ".join(allowed)


def check(name: str, value: str) -> str:
    """``value`` if it is a code of vocabulary ``name``; a validation error naming the codes."""
    if value in _code_set(name):
        return value
    raise PydanticCustomError(
        "vocabulary",
        "'{value}' is not a code of vocabulary {vocabulary}; allowed: {allowed}",
        {"value": value, "vocabulary": name, "allowed": allowed_text(name)},
    )

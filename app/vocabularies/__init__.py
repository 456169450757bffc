"""Controlled vocabularies shipped as JSON data files (vi + en labels, version, source)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


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

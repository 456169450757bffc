"""Controlled vocabularies: the catalogue, one vocabulary, and the checks coded fields use."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from app import vocabularies
from app.core.errors import NotFound
from app.vocabularies import allowed_text as allowed_text
from app.vocabularies import check as check


class VocabularyNotFound(NotFound):
    slug, title = "vocabulary-not-found", "Vocabulary not found"


@cache
def names() -> tuple[str, ...]:
    """Every vocabulary shipped as a data file (one with a list of terms), by name."""
    package = resources.files(vocabularies.__name__)
    files = sorted(
        e.name.removesuffix(".json") for e in package.iterdir() if e.name.endswith(".json")
    )
    return tuple(name for name in files if isinstance(vocabularies.load(name).get("terms"), list))


def get(name: str) -> dict[str, Any]:
    """One vocabulary (name, version, source, terms)."""
    if name not in names():
        raise VocabularyNotFound(f"No vocabulary {name!r}; known: {', '.join(names())}")
    return vocabularies.load(name)


@cache
def codes(name: str) -> tuple[str, ...]:
    return tuple(vocabularies.codes(name))


@cache
def labels(name: str) -> dict[str, dict[str, str]]:
    """Code → ``{"vi": ..., "en": ...}``."""
    return {term["code"]: term["label"] for term in vocabularies.load(name)["terms"]}

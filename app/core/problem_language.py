"""Problem details in the reader's language: Vietnamese for ``Accept-Language: vi``, English
otherwise. Titles and details of every problem type live in ``problems_vi.json``; a type without
its own entry takes the nearest entry up its class chain, so no answer falls back to English."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from starlette.requests import Request

DEFAULT = "en"
SUPPORTED = frozenset({"en", "vi"})


@cache
def catalogue() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("problems_vi.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def preferred(accept_language: str | None) -> str:
    """The supported language the client ranks highest (RFC 9110 quality values), else English."""
    best, best_q = DEFAULT, 0.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary, q = tag.strip().lower().split("-")[0], _quality(params)
        if primary in SUPPORTED and q > best_q:
            best, best_q = primary, q
    return best


def vietnamese(slugs: list[str], status: int) -> dict[str, str]:
    """Title and detail of the first of ``slugs`` (a class chain, nearest first) with an entry."""
    types: dict[str, dict[str, str]] = catalogue()["types"]
    for slug in slugs:
        if slug in types:
            return types[slug]
    http: dict[str, dict[str, str]] = catalogue()["http"]
    return http.get(str(status), http[str(500 if status >= 500 else 400)])


def vocabulary_message(context: dict[str, Any]) -> str:
    """The Vietnamese wording of a vocabulary error (see ``app.vocabularies.check``)."""
    return (
        f"'{context['value']}' không phải là mã của bộ từ vựng {context['vocabulary']}; "
        f"các mã hợp lệ: {context['allowed']}"
    )


class Wording:
    """The language of a request's problem answers and the Vietnamese text of a problem type."""

    def __init__(self, request: Request) -> None:
        self.language = preferred(request.headers.get("accept-language"))

    @property
    def vi(self) -> bool:
        return self.language == "vi"

    def text(
        self, status: int, slugs: list[str], title: str | None, detail: str | None
    ) -> tuple[str | None, str | None]:
        if not self.vi:
            return title, detail
        words = vietnamese(slugs, status)
        return words["title"], words["detail"]

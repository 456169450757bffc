"""Search keys: the one text form both search backends index and query.

Folding (``app.core.text.fold``: lower case, no diacritics, ``đ`` → ``d``) happens here in Python,
not in the engines: SQLite FTS5 does not fold ``đ``, and PostgreSQL's ``unaccent`` folds other
letters than FTS5 does. Punctuation becomes a space, so both tokenizers see the same words and
ranking can find a word between spaces.
"""

from __future__ import annotations

import re

from app.core.text import fold

_SEPARATORS = re.compile(r"[\W_]+")

MAX_TERMS = 16
MAX_TERM_LENGTH = 64


def search_key(text: str) -> str:
    """Folded words separated by single spaces: ``"Điện, mặt-trời"`` → ``"dien mat troi"``."""
    return _SEPARATORS.sub(" ", fold(text)).strip()


def terms(query: str) -> list[str]:
    """The distinct words of a user query as search keys, in order, at most ``MAX_TERMS``."""
    seen: dict[str, None] = {}
    for term in search_key(query).split():
        seen.setdefault(term[:MAX_TERM_LENGTH], None)
    return list(seen)[:MAX_TERMS]

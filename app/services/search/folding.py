"""Search keys: the two text forms both search backends index and query.

- the *exact* key keeps the accents: NFC, case-folded, punctuation turned into single spaces
  (``"Điện, Mặt-trời"`` → ``"điện mặt trời"``), and the tone of a word ending in ``oa``, ``oe``
  or ``uy`` written on its last vowel, so that both spelling conventions (``hóa``/``hoá``,
  ``thủy``/``thuỷ``, ``khỏe``/``khoẻ``) give one key;
- the *folded* key also drops them (``app.core.text.fold``: no diacritics, ``đ`` → ``d``):
  ``"dien mat troi"``.

Both are computed here in Python, not in the engines: SQLite FTS5 does not fold ``đ``, and
PostgreSQL's ``unaccent`` folds other letters than FTS5 does. Punctuation becomes a space, so both
tokenizers see the same words and ranking can find a word between spaces.
"""

from __future__ import annotations

import re

from app.core.text import fold, nfc

_SEPARATORS = re.compile(r"[\W_]+")
# Old-style tone placement at the end of a word → the tone on the last vowel.
_TONE_PLACEMENT = {
    "òa": "oà", "óa": "oá", "õa": "oã", "ỏa": "oả", "ọa": "oạ",
    "òe": "oè", "óe": "oé", "õe": "oẽ", "ỏe": "oẻ", "ọe": "oẹ",
    "ùy": "uỳ", "úy": "uý", "ũy": "uỹ", "ủy": "uỷ", "ụy": "uỵ",
}  # fmt: skip
_OLD_STYLE = re.compile("(" + "|".join(_TONE_PLACEMENT) + r")(?!\w)")

MAX_TERMS = 16
MAX_TERM_LENGTH = 64


def search_key(text: str) -> str:
    """Folded words separated by single spaces: ``"Điện, mặt-trời"`` → ``"dien mat troi"``."""
    return _SEPARATORS.sub(" ", fold(text)).strip()


def exact_key(text: str) -> str:
    """Case-folded words with their accents, separated by single spaces:
    ``"Điện, Mặt-trời"`` → ``"điện mặt trời"``. ``search_key`` of it is the folded key."""
    spaced = _SEPARATORS.sub(" ", nfc(text).casefold()).strip()
    return _OLD_STYLE.sub(lambda match: _TONE_PLACEMENT[match.group(1)], spaced)


def search_keys(text: str) -> tuple[str, str]:
    """The exact and the folded key of ``text``."""
    exact = exact_key(text)
    return exact, search_key(exact)


def words(query: str) -> list[str]:
    """The distinct words of a user query as exact keys, in order, at most ``MAX_TERMS``."""
    seen: dict[str, None] = {}
    for word in exact_key(query).split():
        seen.setdefault(word[:MAX_TERM_LENGTH], None)
    return list(seen)[:MAX_TERMS]


def terms(query: str) -> list[str]:
    """The distinct words of a user query as search keys, in order, at most ``MAX_TERMS``."""
    seen: dict[str, None] = {}
    for term in search_key(query).split():
        seen.setdefault(term[:MAX_TERM_LENGTH], None)
    return list(seen)[:MAX_TERMS]

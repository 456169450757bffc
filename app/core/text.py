"""Text normalisation for Vietnamese: NFC storage and diacritic-folded search keys."""

from __future__ import annotations

import unicodedata

_D_FOLD = str.maketrans({"đ": "d", "Đ": "D"})


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower-case, strip combining marks and map đ/Đ to d (NFD-decomposition keeps đ whole).

    ``fold("Công nghệ ĐIỆN")`` is ``"cong nghe dien"``; NFC and NFD inputs fold alike.
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_D_FOLD))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).casefold()

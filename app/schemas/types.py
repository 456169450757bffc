"""Field types shared by the wire schemas."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    EmailStr,
    HttpUrl,
    StringConstraints,
    UrlConstraints,
)


def _nfc(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return unicodedata.normalize("NFC", value).strip()


# Vietnamese text arrives in NFC or NFD; everything is stored in NFC.
NFCStr = Annotated[str, BeforeValidator(_nfc)]
Name = Annotated[NFCStr, StringConstraints(min_length=1, max_length=300)]
Email = Annotated[EmailStr, AfterValidator(lambda v: v.lower())]
Password = Annotated[str, StringConstraints(min_length=10, max_length=256)]
ProvinceCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{2,10}$")]
ExchangeCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9_-]{1,19}$")]
WebUrl = Annotated[HttpUrl, UrlConstraints(max_length=500)]

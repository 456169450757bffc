"""Entity tags from row versions, and ``If-Match`` checks."""

from __future__ import annotations

from app.core.errors import PreconditionFailed, PreconditionRequired


def etag_for(version: int) -> str:
    return f'"{version}"'


def check_if_match(if_match: str | None, version: int, *, required: bool = True) -> None:
    """Raise 428 when a required ``If-Match`` is missing and 412 when it is stale."""
    if if_match is None:
        if required:
            raise PreconditionRequired("Send If-Match with the ETag you last read")
        return
    current = etag_for(version)
    candidates = [tag.strip() for tag in if_match.split(",")]
    if "*" in candidates or current in candidates:
        return
    raise PreconditionFailed(
        f"The resource has changed (current ETag {current}); read it again before updating"
    )

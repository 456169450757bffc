"""initiative search: exact (accent-preserving) keys beside the folded ones, as words

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 17:10:00.000000
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("public_exact", "private_exact")
BATCH = 500

# The keys of app.services.search.folding and app.core.text as of this revision, kept here so
# that the backfill does not change when the application's do.
_SEPARATORS = re.compile(r"[\W_]+")
_TONE_PLACEMENT = {
    "òa": "oà", "óa": "oá", "õa": "oã", "ỏa": "oả", "ọa": "oạ",
    "òe": "oè", "óe": "oé", "õe": "oẽ", "ỏe": "oẻ", "ọe": "oẹ",
    "ùy": "uỳ", "úy": "uý", "ũy": "uỹ", "ủy": "uỷ", "ụy": "uỵ",
}  # fmt: skip
_OLD_STYLE = re.compile("(" + "|".join(_TONE_PLACEMENT) + r")(?!\w)")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.translate(str.maketrans("đĐ", "dD")))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).casefold()


def _exact(text: str) -> str:
    spaced = _SEPARATORS.sub(" ", unicodedata.normalize("NFC", text).casefold()).strip()
    return _OLD_STYLE.sub(lambda match: _TONE_PLACEMENT[match.group(1)], spaced)


def _folded(text: str) -> str:
    return _SEPARATORS.sub(" ", _fold(text)).strip()


def _joined(key: Callable[[str], str], parts: Iterable[str]) -> str:
    return " ".join(filter(None, (key(part) for part in parts if part)))


def _parts(row: Any) -> tuple[list[str], list[str]]:
    public = [
        *(row.title or {}).values(),
        *(row.summary or {}).values(),
        *(row.keywords or []),
        *(str(author["name"]) for author in row.authors or []),
        *(row.ipc or []),
    ]
    private = [*(row.description or {}).values(), *(row.claims or [])]
    return public, private


def _upgraded(row: Any) -> dict[str, Any]:
    public, private = _parts(row)
    public_exact, private_exact = _joined(_exact, public), _joined(_exact, private)
    return {
        "id_": row.id,
        "public_exact": public_exact,
        "private_exact": private_exact,
        "public_text": _joined(_folded, public),
        "private_text": _joined(_folded, private),
    }


def _downgraded(row: Any) -> dict[str, Any]:
    """The folded text as the application kept it before this revision (punctuation kept)."""
    public, private = _parts(row)
    return {"id_": row.id, "public_text": _joined(_fold, public), "private_text": _joined(_fold, private)}


def _rewrite(values: Callable[[Any], dict[str, Any]], columns: Sequence[str]) -> None:
    initiatives = sa.table(
        "initiatives",
        sa.column("id", sa.Uuid),
        *(sa.column(name, sa.JSON) for name in ("title", "summary", "keywords", "authors")),
        *(sa.column(name, sa.JSON) for name in ("ipc", "description", "claims")),
        *(sa.column(name, sa.Text) for name in columns),
    )
    update = (
        initiatives.update()
        .where(initiatives.c.id == sa.bindparam("id_"))
        .values({name: sa.bindparam(name) for name in columns})
    )
    conn = op.get_bind()
    rows = conn.execute(sa.select(initiatives)).all()
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        conn.execute(update, [values(row) for row in batch])


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("initiatives", sa.Column(name, sa.Text(), nullable=False, server_default=""))
    _rewrite(_upgraded, (*COLUMNS, "public_text", "private_text"))


def downgrade() -> None:
    _rewrite(_downgraded, ("public_text", "private_text"))
    for name in reversed(COLUMNS):
        op.drop_column("initiatives", name)

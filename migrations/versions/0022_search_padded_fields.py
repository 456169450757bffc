"""listing search: the fields ranking weighs stored with a space each side

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 23:40:00.000000

Ranking tests each ranked candidate for the query's words as whole words in its title, keywords
and summary keys (``search_title``, ``exact_title`` and so on), several tests a row. Each test
padded the field with a space each side (a copy of the text per test) and matched a LIKE pattern
on it; the fields are now stored padded once, and a test is a substring search for the words
with a space each side. The full texts the index reads are unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIELDS = tuple(
    f"{level}_{name}" for level in ("search", "exact") for name in ("title", "keywords", "summary")
)


def _padded(field: str) -> str:
    # A key text is words and single spaces: it starts and ends with a space only when padded.
    return f"{field} LIKE ' % '"


def upgrade() -> None:
    assignments = ", ".join(
        f"{field} = CASE WHEN {_padded(field)} THEN {field} ELSE ' ' || {field} || ' ' END"
        for field in FIELDS
    )
    op.execute(f"UPDATE listings SET {assignments}")


def downgrade() -> None:
    assignments = ", ".join(
        f"{field} = CASE WHEN {_padded(field)} THEN substr({field}, 2, length({field}) - 2)"
        f" ELSE {field} END"
        for field in FIELDS
    )
    op.execute(f"UPDATE listings SET {assignments}")

"""change notifications on PostgreSQL: the tables read by remembered lookups notify their changes

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 07:00:00.000000

A process keeps what its hot reads found (the account behind a token, a public listing) while
the database has not changed (``app.core.lookups``). On PostgreSQL it learns of a change made
elsewhere by listening on ``techx_changes``: every statement that changes one of these tables
notifies it, with the table's name, when its transaction commits. SQLite counts commits in the
database file itself: nothing is added there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables the remembered lookups read: the account and the session behind a token, and a
# listing with its organisation.
TABLES = ["users", "user_roles", "refresh_tokens", "listings", "organisations"]

FUNCTION = """
CREATE FUNCTION techx_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('techx_changes', TG_TABLE_NAME);
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER techx_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION techx_notify_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS techx_notify_change ON {table}")
    op.execute("DROP FUNCTION IF EXISTS techx_notify_change()")

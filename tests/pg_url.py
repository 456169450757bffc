"""Print the PostgreSQL URL the suite should use, or nothing when none is reachable.

``TECHX_TEST_DATABASE_URL`` wins; otherwise the local server on 127.0.0.1:5432 if it answers.
"""

from __future__ import annotations

import os
import socket

LOCAL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def reachable_url() -> str:
    explicit = os.environ.get("TECHX_TEST_DATABASE_URL", "")
    if explicit.startswith("postgresql"):
        return explicit
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return LOCAL
    except OSError:
        return ""


if __name__ == "__main__":
    print(reachable_url())

"""What a probe may ask for: servers, the database, credentials; each one made on first use."""

from __future__ import annotations

import asyncio
import sys
from contextlib import AsyncExitStack, ExitStack
from pathlib import Path
from typing import Any

from bench.config import LOOPBACK, BenchConfig, BenchError
from bench.databases import ThrowawayDatabase
from bench.httpclient import Endpoint, RequestSource, http_operations, loopback_client
from bench.registry import OperationFactory
from bench.servers import (
    ServerProcess,
    free_port,
    run_command,
    server_environment,
    techx_command,
)


def demo_account(role: str) -> tuple[str, str]:
    """E-mail and password of the demo account with ``role`` (the scientist: an ordinary one)."""
    # Imported here, not at the top: the harness itself runs (``--list``, option errors) even
    # while the application does not import, and the servers load it in their own processes.
    from app.demo.seed import USERS

    return next((email, pw) for email, pw, _, roles, _ in USERS if role in roles)


class Environment:
    """Shared by every probe of a run.

    ``cleanup`` (synchronous) stops processes and drops databases even after the event loop is
    gone; ``resources`` (asynchronous) closes what a probe opens in the loop, e.g. a pool.
    """

    def __init__(
        self,
        config: BenchConfig,
        database: ThrowawayDatabase,
        *,
        workdir: Path,
        cleanup: ExitStack,
        resources: AsyncExitStack,
    ) -> None:
        self.config = config
        self.database = database
        self.workdir = workdir
        self.cleanup = cleanup
        self.resources = resources
        self.child_env = server_environment(database.url, workdir)
        self._seeded = False
        self._service: Endpoint | None = None
        self._minimal: Endpoint | None = None
        self._servers: list[ServerProcess] = []
        self._token: str | None = None
        self._user_id: Any = None
        self._listing_id: str | None = None

    async def seeded(self) -> None:
        """Migrate the throwaway database and load the demo accounts, once."""
        if self._seeded:
            return
        log = self.workdir / "setup.log"
        for command in (techx_command("db", "upgrade"), techx_command("demo")):
            await asyncio.to_thread(run_command, command, env=self.child_env, log=log)
        self._seeded = True

    async def service(self) -> Endpoint:
        """The real TechX server (``techx serve``) on the throwaway database."""
        if self._service is None:
            await self.seeded()
            port = free_port()
            command = techx_command(
                "serve",
                *("--host", LOOPBACK, "--port", str(port)),
                *("--workers", str(self.config.workers), "--no-migrate"),
            )
            self._service = await self._start("techx", command, port, ready="/readyz")
        return self._service

    async def minimal(self) -> Endpoint:
        """The bare FastAPI app (``bench/minimal_app.py``) served like the service."""
        if self._minimal is None:
            port = free_port()
            command = [
                *(sys.executable, "-m", "uvicorn", "bench.minimal_app:create_app", "--factory"),
                *("--host", LOOPBACK, "--port", str(port), "--workers", str(self.config.workers)),
                *("--proxy-headers", "--no-access-log", "--log-level", "warning"),
            ]
            self._minimal = await self._start("minimal", command, port, ready="/ping")
        return self._minimal

    async def _start(self, name: str, command: list[str], port: int, *, ready: str) -> Endpoint:
        server = ServerProcess(
            name, command, env=self.child_env, log=self.workdir / f"{name}.log", port=port
        )
        # Registered before it starts, so that a server failing its start-up is stopped too.
        self.cleanup.callback(server.stop)
        self._servers.append(server)
        server.start()
        await server.wait_ready(ready)
        return server.endpoint

    async def stop_servers(self) -> None:
        """Stop the servers this environment started (the run goes on with another)."""
        for server in self._servers:
            await asyncio.to_thread(server.stop)
        self._servers.clear()
        self._service = self._minimal = None

    async def user_token(self) -> str:
        """A bearer token for the demo scientist (password grant)."""
        if self._token is None:
            endpoint = await self.service()
            email, password = demo_account("scientist")
            form = {"grant_type": "password", "username": email, "password": password}
            async with loopback_client(endpoint) as client:
                response = await client.post("/api/v1/auth/token", data=form)
            if response.status_code != 200:
                raise BenchError(
                    f"token request failed: HTTP {response.status_code} {response.text[:300]}"
                )
            self._token = str(response.json()["access_token"])
        return self._token

    async def user_id(self) -> Any:
        """The demo scientist's primary key as its driver returns it (UUID, or hex on SQLite)."""
        if self._user_id is None:
            await self.seeded()
            email, _ = demo_account("scientist")
            conn = await self.database.connect()
            try:
                row = await conn.fetchrow(
                    self.database.sql("SELECT id FROM users WHERE email = ?"), email
                )
            finally:
                await conn.aclose()
            if row is None:
                raise BenchError(f"{email} is missing after `techx demo`")
            self._user_id = row[0]
        return self._user_id

    async def listing_id(self) -> str:
        """A published demo listing, as its id appears in URLs."""
        if self._listing_id is None:
            endpoint = await self.service()
            async with loopback_client(endpoint) as client:
                response = await client.get("/api/v1/listings", params={"limit": 1})
            items = response.json().get("items") if response.status_code == 200 else None
            if not items:
                raise BenchError(f"no listing to read after `techx demo`: {response.text[:300]}")
            self._listing_id = str(items[0]["id"])
        return self._listing_id

    def http(self, endpoint: Endpoint, source: RequestSource) -> OperationFactory:
        """Per-client connections to ``endpoint`` with the client chosen for the run."""
        return http_operations(endpoint, source, self.config.client)

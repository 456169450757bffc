"""Server subprocesses: the TechX service and the minimal ceiling app, served the same way."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx

from bench.affinity import unpin
from bench.config import LOOPBACK, PROJECT_ROOT, BenchError
from bench.httpclient import Endpoint, loopback_client

STOP_GRACE_SECONDS = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def techx_command(*args: str) -> list[str]:
    """The ``techx`` command of the interpreter running the harness."""
    script = Path(sys.executable).with_name("techx")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-c", "from app.cli import main; main()", *args]


def server_environment(database_url: str, workdir: Path) -> dict[str, str]:
    """The environment of every child: the caller's, minus its TechX settings, plus ours."""
    # An inherited TECHX_* (a developer's own database, a bootstrap admin) must not leak in.
    env = {key: value for key, value in os.environ.items() if not key.startswith("TECHX_")}
    env.update(
        TECHX_DATABASE_URL=database_url,
        TECHX_ENV="development",
        TECHX_JOBS_IN_PROCESS="false",
        TECHX_LOG_LEVEL="WARNING",
        # A long run must not see its token expire half-way and measure 401s.
        TECHX_AUTH_ACCESS_TTL_SECONDS="86400",
        # Files the service stores go to the run's directory, never to the developer's var/.
        TECHX_STORAGE_ATTACHMENTS_DIR=str(workdir / "attachments"),
        # One address sends everything here; the abuse limits are not what is measured.
        TECHX_RATE_SEARCH_PER_ADDRESS="1000000/minute",
        TECHX_RATE_SEARCH_PER_ACCOUNT="1000000/minute",
    )
    return env


def tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no output)"
    return "\n".join("    " + line for line in text.splitlines()[-lines:]) or "(no output)"


def run_command(command: Sequence[str], *, env: dict[str, str], log: Path) -> None:
    """Run a short command to completion; its output goes to ``log``."""
    with log.open("ab") as out:
        try:
            done = subprocess.run(
                list(command),
                env=env,
                cwd=PROJECT_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=300,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"{' '.join(command)} timed out:\n{tail(log)}") from exc
    if done.returncode != 0:
        raise BenchError(f"{' '.join(command)} failed (exit {done.returncode}):\n{tail(log)}")


class ServerProcess:
    """A server in its own process group, so that stopping it also stops any workers it forks."""

    def __init__(
        self, name: str, command: Sequence[str], *, env: dict[str, str], log: Path, port: int
    ) -> None:
        self.name = name
        self.command = list(command)
        self.endpoint = Endpoint(LOOPBACK, port)
        self._env = env
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log.open("ab") as out:
            # A session of its own: Ctrl-C reaches only the harness, which then stops the
            # server in order (server first, database after).
            self._process = subprocess.Popen(
                self.command,
                env=self._env,
                cwd=PROJECT_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        unpin(self._process.pid)

    async def wait_ready(self, path: str, *, within: float = 60.0) -> None:
        """Poll ``path`` until it answers 200; fail with the server's output otherwise."""
        assert self._process is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        async with loopback_client(self.endpoint) as client:
            while True:
                code = self._process.poll()
                if code is not None:
                    raise BenchError(
                        f"{self.name} exited ({code}) before it was ready:\n{self.output()}"
                    )
                try:
                    if (await client.get(path)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if loop.time() > deadline:
                    raise BenchError(
                        f"{self.name} not ready after {within:.0f} s:\n{self.output()}"
                    )
                await asyncio.sleep(0.1)

    def output(self) -> str:
        return tail(self._log)

    def stop(self) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after a grace period."""
        process = self._process
        if process is None:
            return
        self._process = None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            print(f"bench: {self.name} ignored SIGTERM; killing it", file=sys.stderr)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

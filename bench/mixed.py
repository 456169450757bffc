"""Mixed load on PostgreSQL: scientists submitting, exchanges pushing, funds searching at once.

``python -m bench.mixed`` starts ``techx serve --workers N`` on a throwaway PostgreSQL database,
seeds accounts and a catalogue, then runs every client kind together for a bounded time and
prints, per operation, the throughput, the 95th-percentile latency and the error rate. The
ceiling is ``GET /healthz`` (no database) from the same number of clients against the same
server in the same run; each throughput is printed beside it with the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.config import BenchError
from bench.databases import PostgresDatabase
from bench.servers import ServerProcess, free_port, run_command, server_environment, techx_command

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@bench.example.vn", "Bench-Admin-2026!"
PASSWORD = "Bench-User-2026!"
BATCH = 20
Call = Callable[[httpx.AsyncClient], Awaitable[str]]


@dataclass
class Samples:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def record(self, name: str, seconds: float, ok: bool) -> None:
        self.latencies[name].append(seconds)
        if not ok:
            self.errors[name] += 1


def _listing(n: int, exchange: str) -> dict[str, Any]:
    words = ("cảm biến độ mặn", "phân bón vi sinh", "máy sấy nông sản", "pin mặt trời")
    topic = words[n % len(words)]
    return {
        "op": "upsert",
        "record": {
            "kind": "offer",
            "title": {"vi": f"Công nghệ {topic} số {n}", "en": f"Technology {n}"},
            "summary": {"vi": f"Giải pháp {topic} đã thử nghiệm tại đồng bằng sông Cửu Long."},
            "strategic_group": "biotech",
            "trl": 6,
            "province": "CT",
            "keywords": [topic],
            "owner": {"name": "Viện Công nghệ sinh học", "kind": "institute", "province": "HN"},
            "source": {"exchange": exchange, "source_id": f"{uuid.uuid4().hex}", "version": 1},
        },
    }


def _initiative() -> dict[str, Any]:
    return {
        "title": {"vi": f"Cảm biến độ mặn {uuid.uuid4().hex[:6]}", "en": "Salinity sensor"},
        "summary": {"vi": "Mạng cảm biến giá rẻ cảnh báo xâm nhập mặn theo thời gian thực."},
        "description": {"vi": "Điện cực phủ graphene chống ăn mòn."},
        "claims": ["Điện cực phủ graphene chống ăn mòn trong nước lợ."],
        "authors": [{"name": "Nguyễn Văn An", "share": 100}],
        "initiative_class": "breakthrough",
        "strategic_group": "ai",
        "st_field": "202",
        "trl": 5,
        "province": "CT",
        "declarations": {"no_infringement": True, "no_duplicate": True},
    }


async def _token(client: httpx.AsyncClient, form: dict[str, str]) -> dict[str, str]:
    response = await client.post("/api/v1/auth/token", data=form)
    if response.status_code != 200:
        raise BenchError(f"token: {response.status_code} {response.text}")
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _created(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    response = await client.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    if response.status_code not in (200, 201):
        raise BenchError(f"{path}: {response.status_code} {response.text}")
    return response.json()


async def _accounts(client: httpx.AsyncClient, kind: str, count: int) -> list[dict[str, str]]:
    bearers = []
    for n in range(count):
        email = f"{kind}{n}-{uuid.uuid4().hex[:6]}@bench.example.vn"
        body = {"email": email, "password": PASSWORD, "full_name": "Người Đo", "roles": [kind]}
        await _created(client, "/api/v1/admin/users", body)
        form = {"grant_type": "password", "username": email, "password": PASSWORD}
        bearers.append(await _token(client, form))
    return bearers


async def _exchanges(client: httpx.AsyncClient, count: int) -> list[tuple[str, dict[str, str]]]:
    found = []
    for n in range(count):
        code = f"X{n}"
        await _created(client, "/api/v1/admin/exchanges", {"code": code, "name": f"Sàn {code}"})
        made = await _created(
            client, "/api/v1/admin/exchange-clients", {"name": code, "exchange_code": code}
        )
        grant = {
            "grant_type": "client_credentials",
            "client_id": made["client_id"],
            "client_secret": made["client_secret"],
        }
        found.append((code, await _token(client, grant)))
    return found


def _scientist(bearer: dict[str, str]) -> list[tuple[str, Call]]:
    pending: list[str] = []

    async def create(c: httpx.AsyncClient) -> str:
        response = await c.post("/api/v1/initiatives", json=_initiative(), headers=bearer)
        if response.status_code == 201:
            pending.append(response.json()["id"])
        return str(response.status_code)

    async def submit(c: httpx.AsyncClient) -> str:
        if not pending:
            await create(c)
        key = {"Idempotency-Key": uuid.uuid4().hex}
        response = await c.post(
            f"/api/v1/initiatives/{pending.pop()}/submit", headers={**bearer, **key}
        )
        return str(response.status_code)

    return [("initiative create", create), ("initiative submit", submit)]


def _pusher(code: str, bearer: dict[str, str]) -> list[tuple[str, Call]]:
    async def push(c: httpx.AsyncClient) -> str:
        body = {"items": [_listing(n, code) for n in range(BATCH)]}
        headers = {**bearer, "Idempotency-Key": uuid.uuid4().hex}
        response = await c.post("/api/v1/sync/push", json=body, headers=headers)
        return str(response.status_code)

    return [(f"push {BATCH} listings", push)]


def _fund(bearer: dict[str, str]) -> list[tuple[str, Call]]:
    queries = ("cam bien", "phân bón", "may say nong san", "pin mat troi")

    async def search(c: httpx.AsyncClient) -> str:
        q = queries[int(time.monotonic() * 1000) % len(queries)]
        response = await c.get("/api/v1/listings", params={"q": q}, headers=bearer)
        return str(response.status_code)

    return [("listing search", search)]


async def _drive(
    url: str, plans: list[list[tuple[str, Call]]], seconds: float, samples: Samples
) -> None:
    async def client(plan: list[tuple[str, Call]]) -> None:
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient(base_url=url, timeout=60) as c:
            n = 0
            while time.monotonic() < deadline:
                name, call = plan[n % len(plan)]
                n += 1
                started = time.perf_counter()
                try:
                    status = await call(c)
                except httpx.HTTPError:
                    status = "error"
                ok = status.startswith("2")
                samples.record(name, time.perf_counter() - started, ok)

    await asyncio.gather(*(client(plan) for plan in plans))


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def _report(samples: Samples, ceiling: Samples, seconds: float, args: argparse.Namespace) -> str:
    top = len(ceiling.latencies["GET /healthz"]) / seconds
    lines = [
        f"mixed load on PostgreSQL, {args.workers} server workers, {seconds:.0f} s: "
        f"{args.scientists} scientists, {args.exchanges} exchanges, {args.funds} funds",
        f"{'operation':<22}{'requests':>9}{'per s':>9}{'p95 ms':>9}{'errors':>8}"
        f"{'ceiling/s':>11}{'ratio':>8}",
    ]
    for name, values in sorted(samples.latencies.items()):
        rate = len(values) / seconds
        errors = samples.errors[name] / len(values)
        lines.append(
            f"{name:<22}{len(values):>9}{rate:>9.1f}{_p95(values) * 1000:>9.0f}"
            f"{errors:>8.1%}{top:>11.1f}{rate / top:>8.3f}"
        )
    healthz = ceiling.latencies["GET /healthz"]
    lines.append(
        f"{'ceiling GET /healthz':<22}{len(healthz):>9}{top:>9.1f}{_p95(healthz) * 1000:>9.0f}"
        f"{ceiling.errors['GET /healthz'] / len(healthz):>8.1%}"
    )
    return "\n".join(lines)


async def _measure(url: str, args: argparse.Namespace) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=60) as admin:
        admin_form = {"grant_type": "password", "username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        admin.headers.update(await _token(admin, admin_form))
        scientists = await _accounts(admin, "scientist", args.scientists)
        funds = await _accounts(admin, "fund", args.funds)
        exchanges = await _exchanges(admin, args.exchanges)
    plans = [_scientist(b) for b in scientists] + [_fund(b) for b in funds]
    plans += [_pusher(code, b) for code, b in exchanges]
    seed = Samples()
    await _drive(url, [_pusher(code, b) for code, b in exchanges], 3.0, seed)  # a catalogue
    samples, ceiling = Samples(), Samples()
    await _drive(url, plans, args.seconds, samples)

    async def healthz(c: httpx.AsyncClient) -> str:
        return str((await c.get("/healthz")).status_code)

    await _drive(url, [[("GET /healthz", healthz)]] * len(plans), args.seconds, ceiling)
    return _report(samples, ceiling, args.seconds, args)


async def run(args: argparse.Namespace) -> str:
    database = await PostgresDatabase.create(args.pg_url)
    workdir = Path(tempfile.mkdtemp(prefix="techx-bench-mixed-"))
    env = server_environment(database.url, workdir)
    env.update(
        TECHX_BOOTSTRAP_ADMIN_EMAIL=ADMIN_EMAIL,
        TECHX_BOOTSTRAP_ADMIN_PASSWORD=ADMIN_PASSWORD,
        # One address sends everything here; the abuse limits are not what is measured.
        TECHX_RATE_TOKEN_PER_ADDRESS="1000000/minute",
        TECHX_RATE_SEARCH_PER_ADDRESS="1000000/minute",
        TECHX_RATE_SEARCH_PER_ACCOUNT="1000000/minute",
    )
    server = None
    try:
        run_command(techx_command("db", "upgrade"), env=env, log=workdir / "migrate.log")
        port = free_port()
        command = techx_command(
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--no-migrate",
        )
        server = ServerProcess("server", command, env=env, log=workdir / "server.log", port=port)
        server.start()
        await server.wait_ready("/readyz")
        return await _measure(f"http://127.0.0.1:{port}", args)
    finally:
        if server is not None:
            server.stop()
        await database.drop()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mixed", description=__doc__)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scientists", type=int, default=4)
    parser.add_argument("--exchanges", type=int, default=2)
    parser.add_argument("--funds", type=int, default=6)
    args = parser.parse_args()
    try:
        print(asyncio.run(run(args)))
    except BenchError as exc:
        print(f"bench: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

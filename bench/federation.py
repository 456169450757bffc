"""Federation on PostgreSQL: push ingest and harvest, each beside a ceiling from the same run.

``push-ingest``: generated listings (the demo catalogue's generator: Vietnamese and English text,
vocabulary codes, owners, IP numbers) go through ``POST /api/v1/sync/push`` in batches of 500,
sent one after the other by one exchange client, as an exchange's outbox sends them, each with a
fresh ``Idempotency-Key``; the bodies are encoded before the clock starts. The ceiling,
``raw-copy``, takes the listing rows the push stored and writes them again through the bare
driver (asyncpg ``COPY``, one transaction per 500 rows) into a twin of the listings table with
the same indexes, in the same round. The report also counts the rows a push writes per listing in
every table, which is what the service does beyond that ceiling.

``harvest``: a peer instance (``techx serve`` on a database of its own) holds generated changes
in its feed; ``techx sync harvest --exchange HP`` pulls every one into the central database, in
a process of its own whose peak resident memory (``VmHWM``) is sampled until it exits. The same
command run again, with nothing left to pull, gives the memory and start-up time of the command
itself.
The ceiling, ``feed-read``, pages through the same feed with the same page size over HTTP and
only parses the JSON: what fetching alone costs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.affinity import unpin
from bench.config import PROJECT_ROOT, BenchConfig, BenchError
from bench.databases import PostgresDatabase
from bench.environment import Environment, demo_account
from bench.httpclient import Endpoint, loopback_client
from bench.report import ratio_text
from bench.servers import techx_command

PUSH = "push-ingest"
HARVEST = "harvest"
SECTIONS = (PUSH, HARVEST)
PUSH_BATCH = 500
SEED_BATCH = 25_000
PEER_CODE = "HP"
RAW_TABLE = "bench_raw_listings"
# The peak is a high-water mark: a sample misses only what grows in the last interval.
HIGH_WATER_POLL_SECONDS = 0.02
Progress = Callable[[str], None]
# Figures measured by this bench on PostgreSQL before two changes, printed beside each run's:
# before batches were applied with set-based statements (one statement per table per batch
# instead of several per item), and before a batch's lookups probed the origin-key index once per
# record (an ``IN`` list, planned as a scan of the exchange's rows while the tables were not yet
# analysed) and harvest fetched the next page while applying one.
BEFORE = {
    "set-based apply": {
        PUSH: ("425 listings/s", 0.048, "raw-copy"),
        HARVEST: ("428 changes/s", 0.063, "feed-read"),
    },
    "per-record index probes": {
        PUSH: ("550 listings/s", 0.180, "raw-copy"),
        HARVEST: ("937 changes/s", 0.268, "feed-read"),
    },
}


@dataclass(frozen=True)
class PushRound:
    listings: int
    seconds: float
    batch_seconds: list[float]
    raw_seconds: float

    @property
    def rate(self) -> float:
        return self.listings / self.seconds

    @property
    def raw_rate(self) -> float:
        return self.listings / self.raw_seconds


@dataclass
class PushResult:
    rounds: list[PushRound] = field(default_factory=list)
    # Table -> rows written per listing pushed (first round).
    rows_per_listing: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class HarvestResult:
    changes: int
    page_size: int
    seconds: float
    peak_rss: int
    idle_seconds: float
    idle_peak_rss: int
    read_seconds: list[float]

    @property
    def rate(self) -> float:
        return self.changes / self.seconds

    @property
    def read_rate(self) -> float:
        return self.changes / statistics.median(self.read_seconds)


@dataclass
class FederationResult:
    database: str
    push: PushResult | None = None
    harvest: HarvestResult | None = None


# --------------------------------------------------------------------------- generated records


def _owners() -> tuple[list[tuple[uuid.UUID, str | None]], dict[uuid.UUID, dict[str, Any]]]:
    """The demo catalogue's organisations as the generator wants them, and as owner refs."""
    from app.demo.catalogue import ORGANISATIONS

    owners, refs = [], {}
    for name, name_en, kind, province in ORGANISATIONS:
        key = uuid.uuid5(uuid.NAMESPACE_URL, name)
        owners.append((key, province))
        refs[key] = {"name": name, "name_en": name_en, "kind": kind, "province": province}
    return owners, refs


def _record(
    row: dict[str, Any], owner: dict[str, Any], source_id: str, number: str
) -> dict[str, Any]:
    """A generated listing row as the sync record a local exchange would push."""
    from app.services.listings.records import HASHED_FIELDS

    # The content a record carries; the price and the owner take their pushed shapes below.
    fields = [f for f in HASHED_FIELDS if not f.startswith("price_") and f != "organisation_id"]
    record = {name: row[name] for name in fields if row[name] is not None}
    if row["price_amount"] is not None:
        record["price"] = {
            "amount": row["price_amount"],
            "currency": row["price_currency"],
            "negotiable": row["price_negotiable"],
        }
    if row["ip_status"] in ("filed", "published", "granted"):
        # Unique, like real application numbers: each one is indexed as a strong identifier.
        record["ip_numbers"] = [number]
    record["owner"] = owner
    record["source"] = {"exchange": "HN", "source_id": source_id, "version": 1}
    return record


def push_bodies(count: int, *, seed: int, prefix: str) -> list[bytes]:
    """``count`` records as encoded push bodies of ``PUSH_BATCH`` items each."""
    from app.demo.listings import generate

    owners, refs = _owners()
    items = [
        {
            "op": "upsert",
            "record": _record(
                row,
                refs[row["organisation_id"]],
                f"{prefix}-{index:07d}",
                f"VN 1-2025-{seed:04d}{index:06d}",
            ),
        }
        for index, row in enumerate(generate(owners, count, seed=seed))
    ]
    return [
        json.dumps({"items": items[start : start + PUSH_BATCH]}, ensure_ascii=False).encode()
        for start in range(0, count, PUSH_BATCH)
    ]


# --------------------------------------------------------------------------- instances


@dataclass(frozen=True)
class Instance:
    """One TechX instance of the run: its database, and the environment that migrates it, loads
    the demo accounts and serves it (each instance in a directory of its own)."""

    database: PostgresDatabase
    env: Environment

    @classmethod
    def make(
        cls,
        name: str,
        database: PostgresDatabase,
        *,
        exchange: str,
        config: BenchConfig,
        workdir: Path,
        cleanup: ExitStack,
        resources: AsyncExitStack,
    ) -> Instance:
        directory = workdir / name
        directory.mkdir()
        env = Environment(config, database, workdir=directory, cleanup=cleanup, resources=resources)
        env.child_env["TECHX_SYNC_EXCHANGE_CODE"] = exchange
        env.child_env["TECHX_EGRESS_ALLOW_NETWORKS"] = '["127.0.0.0/8"]'  # peers on loopback
        return cls(database, env)


async def _json(response: httpx.Response, what: str) -> Any:
    if response.status_code not in (200, 201):
        raise BenchError(f"{what}: HTTP {response.status_code} {response.text[:300]}")
    return response.json()


async def _admin(client: httpx.AsyncClient) -> None:
    """Sign ``client`` in as the demo administrator."""
    email, password = demo_account("admin")
    form = {"grant_type": "password", "username": email, "password": password}
    token = await _json(await client.post("/api/v1/auth/token", data=form), "admin token")
    client.headers["Authorization"] = f"Bearer {token['access_token']}"


async def _client_token(client: httpx.AsyncClient, client_id: str, secret: str) -> str:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    token = await _json(await client.post("/api/v1/auth/token", data=form), "client token")
    return str(token["access_token"])


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


# --------------------------------------------------------------------------- push ingest


async def _table_counts(conn: Any) -> dict[str, int]:
    names = await conn.fetch(
        "SELECT relname FROM pg_stat_user_tables WHERE schemaname = 'public' AND relname <> $1",
        RAW_TABLE,
    )
    counts = {}
    for (name,) in names:
        # Names read from the catalogue a moment ago, quoted.
        counts[name] = await conn.fetchval(f'SELECT count(*) FROM "{name}"')  # noqa: S608
    return counts


async def _raw_columns(conn: Any) -> list[str]:
    """The listings columns a COPY can write: every stored column but the generated ones."""
    await conn.execute(f"CREATE TABLE {RAW_TABLE} (LIKE listings INCLUDING ALL)")
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public'"
        " AND table_name = 'listings' AND is_generated = 'NEVER' ORDER BY ordinal_position"
    )
    return [row[0] for row in rows]


async def _raw_copy(conn: Any, columns: list[str], prefix: str) -> tuple[int, float]:
    """The round's listing rows, read back and timed while COPY writes them to the twin."""
    quoted = ", ".join(f'"{name}"' for name in columns)
    rows = await conn.fetch(
        f"SELECT {quoted} FROM listings WHERE origin_exchange = 'HN'"  # noqa: S608 - catalogue names
        " AND origin_id LIKE $1 ORDER BY origin_id",
        f"{prefix}-%",
    )
    started = time.perf_counter()
    for start in range(0, len(rows), PUSH_BATCH):
        async with conn.transaction():
            await conn.copy_records_to_table(
                RAW_TABLE, records=rows[start : start + PUSH_BATCH], columns=columns
            )
    return len(rows), time.perf_counter() - started


async def _push_round(
    client: httpx.AsyncClient, bearer: str, bodies: list[bytes]
) -> tuple[int, float, list[float]]:
    headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
    applied, batch_seconds = 0, []
    started = time.perf_counter()
    for body in bodies:
        sent = time.perf_counter()
        response = await client.post("/api/v1/sync/push", content=body, headers=headers | _key())
        batch_seconds.append(time.perf_counter() - sent)
        results = (await _json(response, "push"))["results"]
        failed = [r for r in results if r["status"] != "created"]
        if failed:
            raise BenchError(f"push: {len(failed)} items not created, e.g. {failed[0]}")
        applied += len(results)
    return applied, time.perf_counter() - started, batch_seconds


async def run_push(central: Instance, config: BenchConfig, progress: Progress) -> PushResult:
    from app.demo.seed import EXCHANGE_CLIENT

    endpoint = await central.env.service()
    client_id, _, _, secret = EXCHANGE_CLIENT
    result = PushResult()
    conn = await central.database.driver_connection()
    try:
        columns = await _raw_columns(conn)
        async with loopback_client(endpoint) as client:
            client.timeout = httpx.Timeout(300)
            bearer = await _client_token(client, client_id, secret)
            # A warm-up batch: pools, caches and the first organisations, outside any figure.
            await _push_round(client, bearer, push_bodies(PUSH_BATCH, seed=1, prefix="warm"))
            for index in range(config.rounds):
                prefix = f"r{index + 1}"
                bodies = push_bodies(config.push_listings, seed=100 + index, prefix=prefix)
                before = await _table_counts(conn) if index == 0 else {}
                pushed, seconds, batches = await _push_round(client, bearer, bodies)
                if index == 0:
                    after = await _table_counts(conn)
                    result.rows_per_listing = {
                        name: (after[name] - before.get(name, 0)) / pushed
                        for name in sorted(after)
                        if after[name] != before.get(name, 0)
                    }
                copied, raw_seconds = await _raw_copy(conn, columns, prefix)
                if copied != pushed:
                    raise BenchError(f"push stored {copied} listings of {pushed} sent")
                done = PushRound(pushed, seconds, batches, raw_seconds)
                result.rounds.append(done)
                progress(
                    f"round {index + 1}/{config.rounds}  {PUSH:<12} {done.rate:>8,.0f} listings/s"
                    f"  raw-copy {done.raw_rate:>9,.0f} rows/s"
                )
    finally:
        await conn.close()
    return result


# --------------------------------------------------------------------------- harvest


async def _seed_feed(database: PostgresDatabase, count: int, progress: Progress) -> None:
    """Generated listings on the peer, until its feed holds ``count`` changes (the demo
    catalogue's listings among them): seeding writes each listing's feed entry."""
    from sqlalchemy import func, select, text
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    from app.demo import listings as demo_listings
    from app.models import ChangeEntry

    engine = create_async_engine(database.url)
    try:
        while True:
            async with AsyncSession(engine) as session:
                held = await session.scalar(select(func.count()).select_from(ChangeEntry)) or 0
            progress(f"peer feed: {held:,} / {count:,} changes")
            if held >= count:
                break
            async with AsyncSession(engine) as session:
                size = min(SEED_BATCH, count - held)
                await demo_listings.add_listings(session, size, seed=10_000 + held)
                await session.commit()
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    finally:
        await engine.dispose()


async def _read_feed(endpoint: Endpoint, bearer: str, page_size: int) -> tuple[int, float]:
    """Every change of the peer's feed, page by page, parsed and dropped."""
    changes, since = 0, None
    headers = {"Authorization": f"Bearer {bearer}"}
    async with loopback_client(endpoint) as client:
        client.timeout = httpx.Timeout(300)
        started = time.perf_counter()
        while True:
            params: dict[str, Any] = {"limit": page_size} | ({"since": since} if since else {})
            page = await _json(
                await client.get("/api/v1/sync/changes", params=params, headers=headers), "feed"
            )
            changes += len(page["changes"])
            since = page["next_cursor"]
            if not page["has_more"]:
                return changes, time.perf_counter() - started


def _high_water(pid: int) -> int | None:
    """The process's peak resident memory so far (``VmHWM``, bytes), ``None`` once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return None


def _measured(command: list[str], env: dict[str, str], log: Path) -> tuple[float, int]:
    """Run ``command`` to completion: wall time and peak resident memory (bytes).

    The peak is the child's own high-water mark, sampled until it exits. ``wait4``'s
    ``ru_maxrss`` would not do: after fork and exec it still counts the memory the harness
    held when it forked.
    """
    with log.open("ab") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            env=env,
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    peak = 0
    try:
        unpin(process.pid)
        while process.poll() is None:
            peak = max(peak, _high_water(process.pid) or 0)
            time.sleep(HIGH_WATER_POLL_SECONDS)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise BenchError(f"{' '.join(command)} failed (exit {process.returncode}); see {log}")
    if peak == 0:
        raise BenchError(f"no memory figure for {' '.join(command)}: /proc is not readable")
    return elapsed, peak


async def _harvested(database: PostgresDatabase) -> int:
    conn = await database.driver_connection()
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM listings WHERE origin_exchange = $1", PEER_CODE
        )
        return count
    finally:
        await conn.close()


async def run_harvest(
    central: Instance, peer: Instance, config: BenchConfig, progress: Progress
) -> HarvestResult:
    from app.core.config import SyncSettings

    page_size = SyncSettings().harvest_page_size
    await peer.env.seeded()
    await _seed_feed(peer.database, config.harvest_changes, progress)
    peer_endpoint = await peer.env.service()
    async with loopback_client(peer_endpoint) as client:
        await _admin(client)
        body = {"name": "Sàn trung ương", "exchange_code": "VN", "scopes": ["sync:read"]}
        reader = await _json(
            await client.post("/api/v1/admin/exchange-clients", json=body, headers=_key()),
            "peer reader client",
        )
        bearer = await _client_token(client, reader["client_id"], reader["client_secret"])
    async with loopback_client(await central.env.service()) as client:
        await _admin(client)
        body = {
            "code": PEER_CODE,
            "name": "Sàn giao dịch công nghệ Hải Phòng",
            "province": "HP",
            "base_url": peer_endpoint.url,
            "mode": "pull",
            "pull_credentials": {
                "client_id": reader["client_id"],
                "client_secret": reader["client_secret"],
            },
        }
        await _json(
            await client.post("/api/v1/admin/exchanges", json=body, headers=_key()),
            "register the peer",
        )

    read_seconds = []
    read, seconds = await _read_feed(peer_endpoint, bearer, page_size)
    read_seconds.append(seconds)
    progress(f"feed-read   {read:,} changes in {seconds:.1f} s")
    if read != config.harvest_changes:
        raise BenchError(f"the peer's feed holds {read:,} changes, not {config.harvest_changes:,}")

    command = techx_command("sync", "harvest", "--exchange", PEER_CODE)
    log = central.env.workdir / "harvest.log"
    took, peak = await asyncio.to_thread(_measured, command, central.env.child_env, log)
    progress(f"harvest     {read:,} changes in {took:.1f} s, peak RSS {peak / 2**20:.0f} MiB")
    stored = await _harvested(central.database)
    if stored != config.harvest_changes:
        raise BenchError(f"harvest stored {stored:,} of {config.harvest_changes:,} records")
    idle, idle_peak = await asyncio.to_thread(_measured, command, central.env.child_env, log)
    progress(f"harvest     nothing to pull: {idle:.1f} s, peak RSS {idle_peak / 2**20:.0f} MiB")

    _, seconds = await _read_feed(peer_endpoint, bearer, page_size)
    read_seconds.append(seconds)
    progress(f"feed-read   {read:,} changes in {seconds:.1f} s")
    return HarvestResult(
        changes=read,
        page_size=page_size,
        seconds=took,
        peak_rss=peak,
        idle_seconds=idle,
        idle_peak_rss=idle_peak,
        read_seconds=read_seconds,
    )


# --------------------------------------------------------------------------- the section


async def run(
    config: BenchConfig,
    sections: tuple[str, ...],
    *,
    workdir: Path,
    cleanup: ExitStack,
    progress: Progress,
) -> FederationResult:
    """Both federation figures, on throwaway PostgreSQL databases (central, and peer)."""
    async with AsyncExitStack() as resources:

        async def instance(name: str, exchange: str) -> Instance:
            database = await PostgresDatabase.create(config.pg_admin_url)
            cleanup.callback(database.drop_blocking)
            return Instance.make(
                name,
                database,
                exchange=exchange,
                config=config,
                workdir=workdir,
                cleanup=cleanup,
                resources=resources,
            )

        central = await instance("central", "VN")
        result = FederationResult(database=central.database.label)
        progress("federation: preparing the central instance")
        await central.env.service()
        if PUSH in sections:
            result.push = await run_push(central, config, progress)
        if HARVEST in sections:
            peer = await instance("peer", PEER_CODE)
            progress(f"federation: seeding the peer with {config.harvest_changes:,} changes")
            result.harvest = await run_harvest(central, peer, config, progress)
        return result


# --------------------------------------------------------------------------- report


def _mib(size: int) -> str:
    return f"{size / 2**20:,.0f} MiB"


def _push_ratio(push: PushResult) -> float:
    return statistics.median(r.rate / r.raw_rate for r in push.rounds)


def rows(result: FederationResult) -> list[tuple[str, str, str, str, str]]:
    """(workload, figure, ceiling, ceiling figure, ratio) lines of the printed table."""
    lines = []
    push = result.push
    if push is not None and push.rounds:
        batch = [s for r in push.rounds for s in r.batch_seconds]
        quantiles = statistics.quantiles(batch, n=20) if len(batch) > 1 else batch * 19
        lines.append(
            (
                PUSH,
                f"{statistics.median(r.rate for r in push.rounds):,.0f} listings/s"
                f"  batch p50 {statistics.median(batch) * 1000:,.0f}"
                f"  p95 {quantiles[18] * 1000:,.0f} ms",
                "raw-copy",
                f"{statistics.median(r.raw_rate for r in push.rounds):,.0f} rows/s",
                ratio_text(_push_ratio(push)),
            )
        )
    harvest = result.harvest
    if harvest is not None:
        lines.append(
            (
                HARVEST,
                f"{harvest.changes:,} changes in {harvest.seconds:,.1f} s"
                f" ({harvest.rate:,.0f}/s), peak RSS {_mib(harvest.peak_rss)}",
                "feed-read",
                f"{harvest.changes:,} in {statistics.median(harvest.read_seconds):,.1f} s"
                f" ({harvest.read_rate:,.0f}/s)",
                ratio_text(harvest.rate / harvest.read_rate),
            )
        )
    return lines


def preamble(config: BenchConfig, result: FederationResult) -> list[str]:
    lines = [f"database:    {result.database}, and a peer database beside it"]
    if result.push is not None:
        lines.append(
            f"push:        {config.push_listings:,} listings a round in batches of {PUSH_BATCH},"
            f" one client, batch after batch; medians of {len(result.push.rounds)} rounds"
        )
    if result.harvest is not None:
        lines.append(
            f"harvest:     {result.harvest.changes:,} changes from a peer instance,"
            f" pages of {result.harvest.page_size}; `techx sync harvest` in its own process"
        )
    lines.append("ratio:       workload / ceiling throughput")
    return lines


def _before(result: FederationResult) -> list[str]:
    now = {
        PUSH: _push_ratio(result.push) if result.push and result.push.rounds else None,
        HARVEST: result.harvest.rate / result.harvest.read_rate if result.harvest else None,
    }
    return [
        f"before {change}: {name} {figure}, {ratio:.3f}× {ceiling};"
        f" this run {ratio_text(now[name])} ({now[name] / ratio:.1f}× the ratio before)"
        for change, figures in BEFORE.items()
        for name, (figure, ratio, ceiling) in figures.items()
        if now[name] is not None
    ]


def notes(result: FederationResult) -> list[str]:
    lines = _before(result)
    if result.push is not None and result.push.rows_per_listing:
        written = ", ".join(f"{name} {n:.3g}" for name, n in result.push.rows_per_listing.items())
        lines.append(f"push writes per listing: {written} (raw-copy writes the listings row only)")
    harvest = result.harvest
    if harvest is not None:
        lines.append(
            f"harvest peak RSS {_mib(harvest.peak_rss)}; the same command with nothing to pull:"
            f" {_mib(harvest.idle_peak_rss)} in {harvest.idle_seconds:.1f} s"
            f" ({round((harvest.peak_rss - harvest.idle_peak_rss) / 2**20):+d} MiB for pages of"
            f" {harvest.page_size})"
        )
    return lines


def as_dict(result: FederationResult) -> dict[str, Any]:
    record: dict[str, Any] = {"database": result.database}
    if result.push is not None:
        record["push"] = {
            "batch_items": PUSH_BATCH,
            "rows_per_listing": result.push.rows_per_listing,
            "rounds": [
                {
                    "listings": r.listings,
                    "seconds": round(r.seconds, 3),
                    "rate": round(r.rate, 1),
                    "raw_copy_seconds": round(r.raw_seconds, 3),
                    "raw_copy_rate": round(r.raw_rate, 1),
                    "ratio": round(r.rate / r.raw_rate, 4),
                }
                for r in result.push.rounds
            ],
        }
    harvest = result.harvest
    if harvest is not None:
        record["harvest"] = {
            "changes": harvest.changes,
            "page_size": harvest.page_size,
            "seconds": round(harvest.seconds, 3),
            "rate": round(harvest.rate, 1),
            "peak_rss_bytes": harvest.peak_rss,
            "idle_seconds": round(harvest.idle_seconds, 3),
            "idle_peak_rss_bytes": harvest.idle_peak_rss,
            "feed_read_seconds": [round(s, 3) for s in harvest.read_seconds],
            "ratio": round(harvest.rate / harvest.read_rate, 4),
        }
    return record

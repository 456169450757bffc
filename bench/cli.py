"""``python -m bench``: options, the run's lifetime, and its cleanup on any exit."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from signal import SIGINT, SIGTERM

from bench import affinity, federation, registry, relevance, report
from bench import matching as quality
from bench.config import RESULTS_DIR, BenchConfig, BenchError
from bench.databases import PostgresDatabase, SqliteDatabase, ThrowawayDatabase
from bench.environment import Environment
from bench.runner import Measured, measure


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark TechX against ceilings measured in the same run.",
    )
    parser.add_argument(
        "--database",
        choices=("both", "sqlite", "postgres"),
        default="both",
        help="where the request workloads run (both: SQLite, then PostgreSQL when reachable)",
    )
    parser.add_argument(
        "--pg-url",
        default=BenchConfig.pg_admin_url,
        help="local PostgreSQL server used to create and drop the throwaway database",
    )
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    parser.add_argument("--requests", type=int, help="request cap per measured run")
    parser.add_argument("--seconds", type=float, help="time cap per measured run")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (medians are taken)")
    parser.add_argument("--concurrency", type=int, help="concurrent client connections")
    parser.add_argument("--workers", type=int, help="uvicorn workers for both servers")
    parser.add_argument("--client", choices=("raw", "httpx"), help="load client (default: raw)")
    parser.add_argument("--no-pin", action="store_true", help="let the harness roam over every CPU")
    parser.add_argument(
        "--only", action="append", default=[], metavar="WORKLOAD", help="run only these"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="where to write the results")
    parser.add_argument("--no-json", action="store_true", help="do not write JSON results")
    parser.add_argument("--list", action="store_true", help="list workloads and ceilings")
    parser.add_argument(
        "--push-listings", type=int, help="listings pushed per round (push-ingest, PostgreSQL)"
    )
    parser.add_argument(
        "--harvest-changes", type=int, help="changes in the peer's feed (harvest, PostgreSQL)"
    )
    parser.add_argument(
        "--listings-1m",
        action="store_true",
        help="search-1m and search-sql-1m: the search workload on 1,000,000 listings as well as"
        " on 100,000 (long seeding)",
    )
    return parser


def parse_config(argv: list[str] | None) -> tuple[BenchConfig, bool]:
    args = _parser().parse_args(argv)
    if args.listings_1m:
        # Read by the search workload module, which is imported after the arguments.
        os.environ["TECHX_BENCH_LISTINGS_1M"] = "1"
    config = BenchConfig(
        database="sqlite" if args.database == "both" else args.database,
        databases=("sqlite", "postgres") if args.database == "both" else (args.database,),
        pg_admin_url=args.pg_url,
    )
    if args.quick:
        config = config.quick()
    explicit = {
        "requests": args.requests,
        "max_seconds": args.seconds,
        "rounds": args.rounds,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "client": args.client,
        "push_listings": args.push_listings,
        "harvest_changes": args.harvest_changes,
    }
    config = replace(config, **{k: v for k, v in explicit.items() if v is not None})
    positive = ("requests", "max_seconds", "rounds", "concurrency", "workers")
    for name in (*positive, "push_listings", "harvest_changes"):
        if getattr(config, name) <= 0:
            raise BenchError(f"--{name.replace('max_', '').replace('_', '-')} must be positive")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    only_federation = bool(args.only) and set(args.only) <= set(federation.SECTIONS)
    suffix = "federation" if only_federation else "-".join(config.databases)
    json_path = None if args.no_json else args.json or RESULTS_DIR / f"{stamp}-{suffix}.json"
    config = replace(config, only=tuple(args.only), json_path=json_path, pin=not args.no_pin)
    return config, args.list


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def _loop_factory() -> tuple[Callable[[], asyncio.AbstractEventLoop] | None, str]:
    # The servers run on uvloop (uvicorn picks it); the clients use it too when installed.
    try:
        import uvloop
    except ImportError:
        return None, "asyncio"
    return uvloop.new_event_loop, "uvloop"


async def _open_database(
    config: BenchConfig, workdir: Path, cleanup: ExitStack
) -> ThrowawayDatabase:
    if config.database == "sqlite":
        return SqliteDatabase(workdir)
    database = await PostgresDatabase.create(config.pg_admin_url)
    cleanup.callback(database.drop_blocking)
    return database


@dataclass
class DatabaseRun:
    """The request workloads measured on one database."""

    kind: str
    label: str
    measured: Measured
    pinned: int | None


@dataclass
class Outcome:
    databases: list[DatabaseRun] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    federation: federation.FederationResult | None = None
    federation_skipped: str | None = None
    relevance: tuple[list[relevance.DatabaseFigures], str | None] | None = None


async def _run(
    config: BenchConfig,
    workloads: list[registry.Workload],
    sections: tuple[str, ...],
    cleanup: ExitStack,
) -> Outcome:
    task = asyncio.current_task()
    assert task is not None
    # SIGTERM ends the run like Ctrl-C does: through the cleanup, never around it.
    asyncio.get_running_loop().add_signal_handler(SIGTERM, task.cancel)
    workdir = Path(tempfile.mkdtemp(prefix="techx-bench-"))
    cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
    outcome = Outcome()
    for kind in config.databases if workloads else ():
        if kind == "postgres" and len(config.databases) > 1:
            why = await PostgresDatabase.unreachable(config.pg_admin_url)
            if why is not None:
                outcome.skipped.append(f"PostgreSQL: skipped, unreachable: {why}")
                continue
        here = replace(config, database=kind)
        # Each database gets its own servers and directory.
        kind_dir = workdir / kind
        kind_dir.mkdir()
        database = await _open_database(here, kind_dir, cleanup)
        _progress(f"request workloads on {database.label}")
        async with AsyncExitStack() as resources:
            env = Environment(
                here, database, workdir=kind_dir, cleanup=cleanup, resources=resources
            )
            measured = await measure(env, workloads, _progress)
            outcome.databases.append(
                DatabaseRun(kind, database.label, measured, affinity.pinned_cpu())
            )
            await env.stop_servers()
    if not config.only or relevance.SECTION in config.only:
        _progress("scoring search relevance on SQLite and PostgreSQL")
        outcome.relevance = await relevance.run(config.pg_admin_url, workdir)
    if sections:
        why = await PostgresDatabase.unreachable(config.pg_admin_url)
        if why is None:
            if config.pin and affinity.pinned_cpu() is None:
                affinity.pin_harness()
            outcome.federation = await federation.run(
                config, sections, workdir=workdir, cleanup=cleanup, progress=_progress
            )
        elif any(name in config.only for name in sections):
            raise BenchError(
                f"{', '.join(sections)}: no PostgreSQL at {config.pg_admin_url}: {why}"
            )
        else:
            outcome.federation_skipped = why
    return outcome


def _selection(config: BenchConfig) -> tuple[list[registry.Workload], tuple[str, ...]]:
    """The closed-loop workloads and the federation figures ``--only`` asks for (all: none)."""
    if not config.only:
        return registry.select(), federation.SECTIONS
    sections = tuple(name for name in federation.SECTIONS if name in config.only)
    others = [
        name
        for name in config.only
        if name not in federation.SECTIONS and name != relevance.SECTION
    ]
    return (registry.select(others) if others else []), sections


def _print(
    config: BenchConfig, workloads: list[registry.Workload], outcome: Outcome, loop_name: str
) -> list[str]:
    """The report on standard output; the error notes it printed."""
    notes: list[str] = []
    sections: list[dict[str, object]] = []
    for run in outcome.databases:
        measured = run.measured
        rows = report.comparisons(workloads, measured.runs, measured.single)
        found = report.error_notes(measured.runs)
        notes += found
        here = replace(config, database=run.kind)  # type: ignore[arg-type]
        print()
        print("\n".join(report.preamble(here, run.label, loop_name, run.pinned, measured.runs)))
        print()
        print(report.render_table(rows))
        print("\n".join(report.tail_lines(rows)))
        print("\n".join(relevance.baseline_lines(rows, run.label)))
        if found:
            print()
            print("\n".join(found))
        sections.append(report.section(run.label, rows, measured))
    for line in outcome.skipped:
        print(f"\n{line}")
    if outcome.federation is not None:
        print("\nfederation")
        print("\n".join(federation.preamble(config, outcome.federation)))
        print()
        print(report.render_cells(federation.rows(outcome.federation)))
        print()
        print("\n".join(federation.notes(outcome.federation)))
    elif outcome.federation_skipped is not None:
        print(f"\nfederation: skipped, PostgreSQL unreachable: {outcome.federation_skipped}")
    if outcome.relevance is not None:
        print()
        print("\n".join(relevance.lines(*outcome.relevance)))
    if config.json_path is not None:
        extra: dict[str, object] = {}
        if outcome.federation is not None:
            extra["federation"] = federation.as_dict(outcome.federation)
        if outcome.relevance is not None:
            extra["relevance"] = relevance.as_dict(outcome.relevance[0])
        report.write_json(config.json_path, config, sections, extra or None)
        print(f"\nresults: {config.json_path}")
    return notes


def _execute(config: BenchConfig) -> int:
    with_quality, only_quality, config = quality.selected(config)
    if only_quality:
        quality.run_and_print()
        return 0
    workloads, sections = _selection(config)
    factory, loop_name = _loop_factory()
    started = time.monotonic()
    cleanup = ExitStack()
    try:
        with asyncio.Runner(loop_factory=factory) as runner:
            outcome = runner.run(_run(config, workloads, sections, cleanup))
    finally:
        # A second Ctrl-C must not leave a server or a database behind.
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (SIGINT, SIGTERM)}
        try:
            cleanup.close()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    notes = _print(config, workloads, outcome, loop_name)
    if with_quality:
        quality.run_and_print()
    print(f"total time: {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 1 if notes else 0


def main(argv: list[str] | None = None) -> int:
    try:
        config, list_only = parse_config(argv)
        registry.discover()
        if list_only:
            for item in registry.WORKLOADS.values():
                print(f"{item.name:<20} {item.description}  [vs {', '.join(item.ceilings)}]")
            for probe in registry.CEILINGS.values():
                print(f"{probe.name:<20} (ceiling) {probe.description}")
            print(quality.LIST_LINE)
            print(
                f"{federation.PUSH:<20} POST /api/v1/sync/push, batches of 500, PostgreSQL"
                "  [vs raw-copy]"
            )
            print(
                f"{federation.HARVEST:<20} techx sync harvest of a peer's feed, PostgreSQL"
                "  [vs feed-read]"
            )
            print(
                f"{relevance.SECTION:<20} nDCG@10 and P@5 of search on graded queries, SQLite and"
                " PostgreSQL  [vs plain folded search]"
            )
            return 0
        return _execute(config)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("bench: interrupted; everything it started has been stopped", file=sys.stderr)
        return 130

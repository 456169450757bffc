"""The ``techx`` command."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from app.cli_ip import ip_cli
from app.cli_receipt import receipt_cli
from app.cli_sync import sync_cli
from app.context import AppContext
from app.core import sqlite_library
from app.core.config import get_settings
from app.core.migrations import downgrade, upgrade

cli = typer.Typer(
    help="TechX: National Initiative Portal and S&T Exchange",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Database schema", no_args_is_help=True)
keys_cli = typer.Typer(help="Signing keys", no_args_is_help=True)
audit_cli = typer.Typer(help="The hash-chained audit log", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(keys_cli, name="keys")
cli.add_typer(ip_cli, name="ip")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(sync_cli, name="sync")
cli.add_typer(receipt_cli, name="receipt")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind")] = 8000,
    workers: Annotated[int, typer.Option(help="API processes")] = 1,
    migrate: Annotated[bool, typer.Option(help="Run migrations first")] = True,
) -> None:
    """Serve the API (and, unless TECHX_JOBS_IN_PROCESS=false, the job worker)."""
    import uvicorn

    settings = get_settings()
    # Before the first database is opened, while the process has one thread.
    sqlite_library.untrack_memory()
    if migrate and settings.migrate_on_start:
        upgrade(settings.database.url)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_config=None,
        # Requests are logged by the application (``techx.access``), with their request id.
        access_log=False,
    )


@cli.command()
def worker() -> None:
    """Run the job worker as its own process (stops cleanly on SIGTERM/SIGINT)."""
    from app import handlers  # noqa: F401  (registers the job handlers the worker runs)
    from app.core.logging import configure_logging
    from app.services.jobs.worker import Worker

    settings = get_settings()
    configure_logging(settings.log_level, json_logs=settings.log_json)

    async def main() -> None:
        ctx = AppContext.from_settings(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await Worker(ctx).run(stop)
        finally:
            await ctx.engine.dispose()

    asyncio.run(main())


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "heads") -> None:
    """Migrate the database up to REVISION (default: the latest)."""
    upgrade(get_settings().database.url, revision)
    typer.echo(f"database at {revision}")


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()]) -> None:
    """Migrate the database down to REVISION (e.g. -1 or base)."""
    downgrade(get_settings().database.url, revision)
    typer.echo(f"database at {revision}")


T = TypeVar("T")


async def _with_session(fn: Callable[[AppContext, AsyncSession], Awaitable[T]]) -> T:
    ctx = AppContext.from_settings(get_settings())
    try:
        async with ctx.sessionmaker() as session:
            result = await fn(ctx, session)
            await session.commit()
            return result
    finally:
        await ctx.engine.dispose()


@cli.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    full_name: Annotated[str, typer.Option()] = "Administrator",
) -> None:
    """Create an administrator account."""
    from pydantic import ValidationError

    from app.core.errors import TechxError
    from app.models import User
    from app.schemas.user import UserCreate
    from app.services.accounts import users

    try:
        data = UserCreate(email=email, password=password, full_name=full_name, roles=["admin"])
    except ValidationError as exc:
        typer.echo(f"invalid: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}", err=True)
        raise typer.Exit(2) from exc

    async def run(ctx: AppContext, session: AsyncSession) -> User:
        return await users.create(session, data, passwords=ctx.passwords)

    try:
        user = asyncio.run(_with_session(run))
    except TechxError as exc:
        typer.echo(f"error: {exc.detail or exc.title}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"administrator {user.email} created")


@cli.command()
def demo(
    listings: Annotated[
        int | None,
        typer.Option(
            "--listings",
            min=1,
            help="Add N generated listings (for benchmarks) instead of the demo catalogue",
        ),
    ] = None,
) -> None:
    """Seed demo organisations, users of every role and a catalogue of listings (once), and print
    the credentials; with --listings N, add N more listings each time."""
    from app.demo import listings as demo_listings
    from app.demo import seed as demo_service

    settings = get_settings()
    if settings.env == "production":
        typer.echo("refusing to seed demo data in production", err=True)
        raise typer.Exit(1)

    async def run(ctx: AppContext, session: AsyncSession) -> tuple[bool, int]:
        created = await demo_service.seed(session, passwords=ctx.passwords)
        if listings is not None:
            return created, await demo_listings.add_listings(session, listings)
        added = await demo_listings.seed_catalogue(session)
        return created, demo_listings.DEMO_COUNT if added else 0

    created, added = asyncio.run(_with_session(run))
    typer.echo("demo data " + ("seeded" if created else "already present"))
    typer.echo(f"demo listings: {added} added" if added else "demo listings already present")
    typer.echo(demo_service.credentials_table())


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Sign with a new key from now on; the old one keeps verifying for the grace period."""
    from app.models import SigningKey
    from app.services.accounts import keys

    async def run(ctx: AppContext, session: AsyncSession) -> SigningKey:
        return await keys.rotate(session, secret_key=ctx.settings.secret_key)

    row = asyncio.run(_with_session(run))
    typer.echo(f"new signing key {row.kid}")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Recompute the audit log's hash chain; exit 1 naming the first altered entry."""
    from app.services import audit
    from app.services.audit import Verification

    async def run(ctx: AppContext, session: AsyncSession) -> Verification:
        return await audit.verify(session)

    result = asyncio.run(_with_session(run))
    if result.intact:
        typer.echo(f"audit log intact: {result.entries} entries verified")
        return
    typer.echo(
        f"audit log tampered: entry seq={result.first_tampered_seq}: {result.reason} "
        f"({result.entries} entries before it verified)",
        err=True,
    )
    raise typer.Exit(1)


@cli.command()
def report(
    period: Annotated[str, typer.Option(help="A month YYYY-MM or a quarter YYYY-Qn")],
    format: Annotated[str, typer.Option("--format", help="json, csv, html or xlsx")] = "json",
    lang: Annotated[str, typer.Option(help="Language of the HTML report: vi or en")] = "vi",
    output: Annotated[Path | None, typer.Option(help="File to write (default: stdout)")] = None,
) -> None:
    """Write the operations report of a period (the same figures as the API's)."""
    from app.core.errors import TechxError
    from app.schemas.report import OperationsReport
    from app.services.reports import operations, periods, render

    if format not in ("json", "csv", "html", "xlsx") or lang not in ("vi", "en"):
        typer.echo("--format is json, csv, html or xlsx; --lang is vi or en", err=True)
        raise typer.Exit(2)
    if format == "xlsx" and output is None:
        typer.echo("xlsx is binary: give --output FILE", err=True)
        raise typer.Exit(2)

    async def run(ctx: AppContext, session: AsyncSession) -> OperationsReport:
        found = periods.parse(period, utc_offset_hours=ctx.settings.ip.utc_offset_hours)
        return await operations.build(session, found)

    try:
        built = asyncio.run(_with_session(run))
    except TechxError as exc:
        typer.echo(f"error: {exc.detail or exc.title}", err=True)
        raise typer.Exit(2) from exc
    if format == "xlsx":
        assert output is not None
        output.write_bytes(render.to_xlsx(built))
        return
    text = {
        "json": lambda: built.model_dump_json(indent=2) + "\n",
        "csv": lambda: render.to_csv(built),
        "html": lambda: render.to_html(built, lang=lang),
    }[format]()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@cli.command()
def openapi(
    output: Annotated[Path | None, typer.Option(help="File to write (default: stdout)")] = None,
) -> None:
    """Print or write the OpenAPI document."""
    from app.main import create_app

    text = json.dumps(create_app().openapi(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()

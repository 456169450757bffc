"""``techx ip``: operator commands for IP records (mounted by ``app.cli``)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from app.services.ip.office_import import Report

ip_cli = typer.Typer(help="IP records: office exports", no_args_is_help=True)

SUFFIX_FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MAX_LISTED_REJECTIONS = 50


def _format(path: Path, given: str | None) -> str:
    fmt = given or SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt not in ("csv", "json", "jsonl"):
        typer.echo("cannot tell the format from the file name; pass --format", err=True)
        raise typer.Exit(2)
    return fmt


async def _import(text: str, fmt: str, *, dry_run: bool, source: str) -> Report:
    from rich.progress import Progress

    from app.context import AppContext
    from app.core.config import get_settings
    from app.core.database import begin_write
    from app.services.ip import office_import as ip_import
    from app.services.ip import records as ip_records

    rows = ip_import.parse(text, fmt)
    ctx = AppContext.from_settings(get_settings())
    operator = ip_records.Actor(user_id=uuid.UUID(int=0), is_admin=True)
    try:
        async with ctx.sessionmaker() as session:
            await begin_write(session)
            with Progress() as progress:
                task = progress.add_task("importing", total=len(rows))
                report = await ip_import.run(
                    session,
                    rows,
                    actor=operator,
                    by=None,
                    dry_run=dry_run,
                    when=ip_records.as_of(ctx.settings),
                    source=source,
                    progress=lambda n: progress.advance(task, n),
                )
            await (session.rollback() if dry_run else session.commit())
            return report
    finally:
        await ctx.engine.dispose()


@ip_cli.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only; write nothing")] = False,
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv, json or jsonl (default: by suffix)")
    ] = None,
) -> None:
    """Apply an office export of legal-status events (CSV, JSON or JSON Lines) to IP records."""
    from app.core.errors import TechxError

    text = file.read_text(encoding="utf-8-sig")
    try:
        report = asyncio.run(
            _import(text, _format(file, fmt), dry_run=dry_run, source=f"import:{file.name}")
        )
    except TechxError as exc:
        typer.echo(f"error: {exc.detail or exc.title}", err=True)
        raise typer.Exit(1) from exc
    for row in [r for r in report.rows if r.status == "rejected"][:MAX_LISTED_REJECTIONS]:
        typer.echo(f"line {row.line}: rejected: {row.reason}")
    verb = "would apply" if dry_run else "applied"
    typer.echo(
        f"{report.total} rows: {report.applied} {verb}, {report.duplicate} duplicate, "
        f"{report.rejected} rejected" + (" (dry run: nothing written)" if dry_run else "")
    )

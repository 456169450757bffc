"""``techx sync``: operator commands for federation (mounted by ``app.cli``)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Annotated

import typer

sync_cli = typer.Typer(help="Federation: harvest peer exchanges", no_args_is_help=True)


def _line(code: str, page: int, counts: Counter[str]) -> str:
    shown = ", ".join(f"{name} {n}" for name, n in sorted(counts.items())) or "no changes"
    return f"{code}: page {page}: {shown}"


async def _codes(only: str | None) -> list[str]:
    from sqlalchemy import select

    from app.context import AppContext
    from app.core.config import get_settings
    from app.models import Exchange
    from app.services.federation.harvest_jobs import PULL_MODES

    if only is not None:
        return [only]
    ctx = AppContext.from_settings(get_settings())
    try:
        async with ctx.sessionmaker() as session:
            rows = await session.scalars(
                select(Exchange.code)
                .where(Exchange.mode.in_(PULL_MODES), Exchange.status == "active")
                .order_by(Exchange.code)
            )
            return list(rows.all())
    finally:
        await ctx.engine.dispose()


async def _harvest(code: str) -> bool:
    from app.context import AppContext
    from app.core import heap
    from app.core.config import get_settings
    from app.services.federation import harvest, harvest_jobs

    def progress(page: int, counts: Counter[str]) -> None:
        typer.echo(_line(code, page, counts))

    ctx = AppContext.from_settings(get_settings())
    heap.settle()
    try:
        async with ctx.sessionmaker() as session:
            report = await harvest_jobs.run(session, code, on_page=progress)
    except harvest.HarvestError as exc:
        typer.echo(f"{code}: harvest stopped: {type(exc).__name__}: {exc}", err=True)
        return False
    finally:
        await ctx.engine.dispose()
    typer.echo(_line(code, report.pages, report.counts).replace("page", "done after page", 1))
    return True


@sync_cli.command("harvest")
def harvest_command(
    exchange: Annotated[
        str | None, typer.Option("--exchange", help="Exchange code (default: every pull peer)")
    ] = None,
) -> None:
    """Pull the change feeds of peers now, page by page, printing each page applied."""

    async def main() -> bool:
        results = [await _harvest(code) for code in await _codes(exchange)]
        return all(results)

    if not asyncio.run(main()):
        raise typer.Exit(1)

"""``techx receipt``: check a submission receipt, offline against a JWKS or against the database
(mounted by ``app.cli``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

receipt_cli = typer.Typer(help="Submission receipts", no_args_is_help=True)


async def _against_database(text: str) -> tuple[bool, str | None]:
    from app.context import AppContext
    from app.core.config import get_settings
    from app.schemas.receipt import Receipt
    from app.services.initiatives import receipts

    ctx = AppContext.from_settings(get_settings())
    try:
        async with ctx.sessionmaker() as session:
            result = await receipts.verify(
                session, Receipt.model_validate_json(text), keyring=ctx.keyring
            )
            return result.valid, result.reason
    finally:
        await ctx.engine.dispose()


def _against_jwks(text: str, url: str) -> tuple[bool, str | None]:
    import httpx

    from app.schemas.receipt import Receipt
    from app.services.initiatives import receipts

    answer = httpx.get(url, timeout=30, follow_redirects=True)
    answer.raise_for_status()
    result = receipts.verify_offline(Receipt.model_validate_json(text), answer.json())
    return result.valid, result.reason


@receipt_cli.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The receipt (JSON)")],
    jwks: Annotated[
        str | None,
        typer.Option(
            "--jwks",
            help="A JWKS URL (…/api/v1/auth/jwks?include=retired): check the signature offline "
            "instead of against this instance's database",
        ),
    ] = None,
) -> None:
    """Whether a receipt was signed by TechX (and, against the database, matches the stored
    version): exit 0 when valid, 1 when not."""
    from pydantic import ValidationError

    text = file.read_text(encoding="utf-8")
    try:
        valid, reason = _against_jwks(text, jwks) if jwks else asyncio.run(_against_database(text))
    except ValidationError as exc:
        typer.echo(f"invalid: not a receipt ({exc.error_count()} errors)", err=True)
        raise typer.Exit(1) from exc
    if not valid:
        typer.echo(f"invalid: {reason}")
        raise typer.Exit(1)
    typer.echo("valid")

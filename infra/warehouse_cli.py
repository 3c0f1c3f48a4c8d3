"""`shelfwise warehouse …`: apply migrations, run a query."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from infra.settings import get_settings

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command()
def migrate() -> None:
    """Apply every sql/ddl file not applied yet (idempotent)."""
    from infra.warehouse import Warehouse  # lazy: pandas, ~180 ms at CLI start
    from infra.warehouse import migrate as apply  # lazy: pandas, ~180 ms at CLI start

    applied = apply(Warehouse(get_settings()))
    console.print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))


@app.command()
def query(sql: str) -> None:
    """Run one SELECT and print the result."""
    from infra.warehouse import Warehouse  # lazy: pandas, ~180 ms at CLI start

    console.print(Warehouse(get_settings()).query_df(sql).to_string(index=False))


@app.command()
def secure(
    region: Annotated[
        list[str] | None, typer.Option("--region", help="A region to create a reader for (repeat).")
    ] = None,
) -> None:
    """Create the row-policy-bound BI credentials on a ClickHouse server; prints each new password once."""
    from infra.warehouse import Warehouse  # lazy: pandas, ~180 ms at CLI start
    from infra.warehouse_security import NeedsServer, UnsafeName  # lazy: pandas + clickhouse_connect, ~220 ms
    from infra.warehouse_security import secure as create_readers  # lazy: pandas + clickhouse_connect ~220 ms

    try:
        passwords = create_readers(Warehouse(get_settings()), region or [])
    except (NeedsServer, UnsafeName) as error:
        console.print(f"[red]error:[/] {error}")
        raise typer.Exit(1) from error
    for user, password in passwords.items():
        console.print(f"{user}: {password}")

"""Local services (Kafka broker in KRaft mode, MinIO server): start, stop, status, from Python or the CLI.

`start_all` is idempotent (a running service is left alone), `stop_all` is a no-op when nothing runs; both are
what the CLI, the demo and the test fixture call.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from infra.kafka_local import KafkaBroker
from infra.live_stock_local import LiveStockStream
from infra.local_process import ServiceError
from infra.local_service import LocalService, ServiceStatus
from infra.minio_local import MinioServer
from infra.settings import Settings, get_settings

__all__ = [
    "OPTIONAL", "SERVICES", "ServiceError", "ServiceStatus", "service", "start_all", "status", "stop_all",
]

SERVICES: dict[str, type[LocalService]] = {"kafka": KafkaBroker, "minio": MinioServer}
# Started only when named (`--only live_stock`) or by the demo: a Spark streaming job is no light process.
OPTIONAL: dict[str, type[LocalService]] = {"live_stock": LiveStockStream}

app = typer.Typer(no_args_is_help=True)
console = Console(soft_wrap=True)


def service(name: str, settings: Settings) -> LocalService:
    """The local service called `name` ('kafka', 'minio' or 'live_stock') under these settings."""
    known = {**SERVICES, **OPTIONAL}
    if name not in known:
        raise ServiceError(f"unknown service {name!r}; known: {', '.join(known)}")
    return known[name](settings)


def start_all(settings: Settings, names: Iterable[str] = SERVICES) -> list[ServiceStatus]:
    """Start the named services (all by default) unless they already run; return once each answers."""
    return [service(name, settings).start() for name in names]


def stop_all(settings: Settings, names: Iterable[str] = (*OPTIONAL, *SERVICES)) -> list[str]:
    """Stop the named services (all, the stream first, by default); returns the names that were running."""
    return [name for name in names if service(name, settings).stop()]


def status(settings: Settings) -> list[ServiceStatus]:
    """The state of every local service, optional ones included."""
    return [service(name, settings).status() for name in (*SERVICES, *OPTIONAL)]


Only = Annotated[
    list[str] | None, typer.Option("--only", help="Limit to these services (kafka, minio, live_stock).")
]


@app.command()
def up(only: Only = None) -> None:
    """Start the Kafka broker and MinIO (no-op for those already running)."""
    settings = get_settings()
    for name in only or SERVICES:
        try:
            started = service(name, settings).start()
        except ServiceError as error:
            _fail(error)
        seconds = started.started_in_s
        how = "already running" if seconds is None else f"started in {seconds:.1f}s"
        console.print(f"{name}: {how} at {started.address} (pid {started.pid}, log {started.log})")


@app.command()
def down(only: Only = None) -> None:
    """Stop the local services, the live-stock stream first (no-op for those already stopped)."""
    settings = get_settings()
    for name in only or (*OPTIONAL, *SERVICES):
        try:
            was_running = service(name, settings).stop()
        except ServiceError as error:
            _fail(error)
        console.print(f"{name}: {'stopped' if was_running else 'was not running'}")


@app.command("status")
def show_status() -> None:
    """Show each service: running / not ready / stopped, pid, address, log."""
    table = Table("service", "state", "pid")
    table.add_column("address", overflow="fold")
    table.add_column("log", overflow="fold")
    for row in status(get_settings()):
        colour = {"running": "green", "not ready": "yellow"}.get(row.state, "red")
        table.add_row(row.name, f"[{colour}]{row.state}[/]", str(row.pid or "-"), row.address, str(row.log))
    console.print(table)


def _fail(error: ServiceError) -> NoReturn:
    Console(stderr=True).print(f"[red]error:[/] {error}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)

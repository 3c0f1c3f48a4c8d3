"""`shelfwise demo`: the whole main job end to end on the embedded default (file lake + chdb)."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel

console = Console()


def demo(
    stores: Annotated[int, typer.Option(help="Simulated stores.")] = 10,
    skus: Annotated[int, typer.Option(help="Simulated SKUs.")] = 200,
    days: Annotated[int, typer.Option(help="Days of history to simulate.")] = 365,
    seed: Annotated[int, typer.Option(help="Simulator seed.")] = 7,
) -> None:
    """Start the services, simulate a chain, build every asset, show status, write the report."""
    from assets.definitions import load_graph
    from assets.reporting import plan_table, run_table, run_with_progress
    from assets.runner import Runner, Selection
    from infra import services
    from infra.settings import get_settings
    from infra.warehouse import Warehouse, migrate

    settings, started = get_settings(), time.perf_counter()
    _step("services", "starting the Kafka broker and MinIO")
    services.start_all(settings)
    _step("warehouse", f"migrating {settings.clickhouse_url or settings.chdb_path}")
    migrate(Warehouse(settings))
    _step("simulate", f"{stores} stores x {skus} SKUs x {days} days of POS events into Kafka")
    _simulate_once(settings, stores, skus, days, seed)
    _step("materialize", "every stale asset partition, in dependency order")
    runner = Runner(load_graph(), settings, console)
    report = run_with_progress(runner, Selection(), console)
    console.print(run_table(report))
    _step("status", "after the run")
    console.print(plan_table(runner.plan()))
    _outputs(settings, time.perf_counter() - started)
    if report.failed:
        raise typer.Exit(1)


def _step(name: str, what: str) -> None:
    console.rule(f"[bold]{name}[/bold] — {what}")


def _simulate_once(settings, stores: int, skus: int, days: int, seed: int) -> None:
    """Publish the scenario once; a second demo reuses the events already in Kafka and the lake."""
    from infra.simulator.cli import run_scenario

    marker = settings.home / "demo-simulated"
    scenario = f"{stores}x{skus}x{days}@{seed}"
    if marker.exists() and marker.read_text() == scenario:
        console.print(f"scenario {scenario} already published; skipping the simulator")
        return
    run_scenario(settings, stores=stores, skus=skus, days=days, seed=seed)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(scenario)


def _outputs(settings, seconds: float) -> None:
    from assets.definitions import load_graph
    from assets.lineage import write_lineage_svg

    lineage = write_lineage_svg(load_graph(), settings.home / "reports" / "lineage.svg")
    lines = [
        f"lake:       {settings.lake}",
        f"warehouse:  {settings.clickhouse_url or settings.chdb_path} (database {settings.warehouse_database})",
        "            shelfwise warehouse query 'SELECT * FROM fact_ml_predictions LIMIT 10'",
        f"lineage:    {lineage}",
        "status:     shelfwise status",
        "airflow:    shelfwise airflow up   (UI on http://127.0.0.1:%d)" % settings.airflow_port,
        f"took:       {seconds / 60:.1f} min",
    ]
    console.print(Panel("\n".join(lines), title="shelfwise demo: outputs", expand=False))

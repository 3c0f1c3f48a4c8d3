"""`shelfwise demo`: the whole main job end to end on the embedded default (file lake + chdb)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel

from infra import services
from infra.settings import get_settings
from infra.simulator.cli import run_scenario
from spark.schemas import RESTOCK_ALERTS_TOPIC

console = Console()


def demo(
    stores: Annotated[int, typer.Option(help="Simulated stores.")] = 10,
    skus: Annotated[int, typer.Option(help="Simulated SKUs.")] = 200,
    days: Annotated[int, typer.Option(help="Days of history to simulate.")] = 365,
    seed: Annotated[int, typer.Option(help="Simulator seed.")] = 7,
) -> None:
    """Start the services, simulate a chain, build every asset, show status, write the report."""
    from assets.definitions import load_graph  # lazy: catalog + checks, ~30 ms at CLI start
    from assets.reporting import plan_table, run_table, run_with_progress  # lazy: pandas, ~180 ms at start
    from assets.runner import Runner, Selection  # lazy: pandas, ~180 ms at CLI start
    from infra.warehouse import Warehouse, migrate  # lazy: pandas, ~180 ms at CLI start

    settings, started = get_settings(), time.perf_counter()
    _step("services", "starting the Kafka broker and MinIO")
    services.start_all(settings)
    _step("warehouse", f"migrating {settings.warehouse_label}")
    migrate(Warehouse(settings))
    _step("simulate", f"{stores} stores x {skus} SKUs x {days} days of POS events into Kafka")
    _simulate_once(settings, stores, skus, days, seed)
    _step("materialize", "every stale asset partition, in dependency order")
    runner = Runner(load_graph(), settings, console)
    report = run_with_progress(runner, Selection(), console)
    console.print(run_table(report))
    _step("status", "after the run")
    console.print(plan_table(runner.plan()))
    _step("live stock", "the streaming job keeps inventory_live current within seconds")
    _show_live_stock(settings)
    _step("report", "the Power BI pages as one HTML file")
    report_path = _write_report(settings)
    _outputs(settings, report_path, time.perf_counter() - started)
    if report.failed:
        raise typer.Exit(1)


def _step(name: str, what: str) -> None:
    console.rule(f"[bold]{name}[/bold] — {what}")


def _simulate_once(settings, stores: int, skus: int, days: int, seed: int) -> None:
    """Publish the scenario once; a second demo reuses the events already in Kafka and the lake."""
    marker = settings.home / "demo-simulated"
    scenario = f"{stores}x{skus}x{days}@{seed}"
    if marker.exists() and marker.read_text() == scenario:
        console.print(f"scenario {scenario} already published; skipping the simulator")
        return
    run_scenario(settings, stores=stores, skus=skus, days=days, seed=seed)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(scenario)


def _show_live_stock(settings) -> None:
    """Start the stream, sell three units of one store's best seller now, and show on-hand move."""
    from infra.warehouse import Warehouse  # lazy: pandas, ~180 ms at CLI start

    services.service("live_stock", settings).start()
    warehouse = Warehouse(settings)
    top = _wait_for_rows(warehouse, "SELECT store_id, sku, on_hand FROM inventory_live_current "
                         "WHERE on_hand > 3 ORDER BY velocity_per_day DESC LIMIT 1")
    store_id, sku, before = top.store_id.item(), top.sku.item(), int(top.on_hand.item())
    sent = time.perf_counter()
    _sell_now(settings, store_id, sku, units=3)
    query = f"SELECT on_hand FROM inventory_live_current WHERE store_id = '{store_id}' AND sku = '{sku}'"
    while int(warehouse.query_df(query)["on_hand"].item()) != before - 3:
        if time.perf_counter() - sent > 60:
            raise RuntimeError("the live-stock stream did not pick up the sale within 60 s")
        time.sleep(0.2)
    console.print(f"{store_id} {sku}: on hand {before} -> {before - 3} after a sale of 3, "
                  f"visible in inventory_live {time.perf_counter() - sent:.1f} s after it was sent")
    console.print("the stream keeps running: `shelfwise services down --only live_stock` stops it")


def _wait_for_rows(warehouse, query: str, timeout_s: float = 300):
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        rows = warehouse.query_df(query)
        if len(rows):
            return rows
        time.sleep(1.0)
    raise RuntimeError(f"inventory_live stayed empty for {timeout_s:.0f} s (log: .shelfwise/run/live_stock)")


def _sell_now(settings, store_id: str, sku: str, units: int) -> None:
    from kafka import KafkaProducer  # lazy: kafka, ~90 ms at CLI start

    event = {"event_id": f"demo-{uuid.uuid4().hex}", "kind": "sale",
             "basket_id": f"demo-{uuid.uuid4().hex[:8]}", "store_id": store_id, "terminal_id": "T01",
             "sku": sku, "quantity": units, "unit_price": 1.0,
             "discount": 0.0, "ts": datetime.now(UTC).isoformat()}
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    producer.send("sales-transactions", key=store_id.encode(), value=json.dumps(event).encode())
    producer.flush(timeout=30)
    producer.close()


def _write_report(settings):
    from infra.report.build import build_report  # lazy: pandas, ~180 ms at CLI start
    from infra.warehouse import Warehouse  # lazy: pandas, ~180 ms at CLI start

    path = build_report(Warehouse(settings), settings.home / "reports" / "shelfwise-report.html")
    console.print(f"report: {path}")
    return path


def _outputs(settings, report_path, seconds: float) -> None:
    from assets.definitions import load_graph  # lazy: catalog + checks, ~30 ms at CLI start
    from assets.lineage import write_lineage_svg  # lazy: graphviz, ~40 ms at CLI start
    from infra.alerts import messages_on  # lazy: pandas + kafka, ~270 ms at CLI start

    lineage = write_lineage_svg(load_graph(), settings.home / "reports" / "lineage.svg")
    alerts = messages_on(settings, RESTOCK_ALERTS_TOPIC) if settings.alerts_to_kafka else 0
    lines = [
        f"lake:       {settings.lake}",
        f"warehouse:  {settings.warehouse_label} "
        f"(database {settings.warehouse_database})",
        "            shelfwise warehouse query 'SELECT * FROM fact_ml_predictions LIMIT 10'",
        f"lineage:    {lineage}",
        f"report:     {report_path}   (open it in a browser; the Power BI project is powerbi/shelfwise.pbip)",
        f"data docs:  {settings.lake}/reports/data-docs/index.html",
        f"alerts:     {alerts} urgent reorder rows on the Kafka topic {RESTOCK_ALERTS_TOPIC}",
        "status:     shelfwise status",
        f"airflow:    shelfwise airflow up   (UI on http://127.0.0.1:{settings.airflow_port:d})",
        f"took:       {seconds / 60:.1f} min",
    ]
    console.print(Panel("\n".join(lines), title="shelfwise demo: outputs", expand=False))

"""The `shelfwise` command: one sub-command group per area, each defined beside the code it drives."""

from __future__ import annotations

import typer

from assets.cli import register as register_asset_commands
from infra.airflow_local import app as airflow_app
from infra.demo import demo
from infra.ingest_cli import app as ingest_app
from infra.powerbi_project.cli import app as powerbi_app
from infra.report.cli import report
from infra.services import app as services_app
from infra.simulator.cli import simulate
from infra.warehouse_cli import app as warehouse_app

app = typer.Typer(
    help="shelfwise: retail inventory data platform.", no_args_is_help=True, add_completion=False
)
app.add_typer(services_app, name="services", help="Start, stop and check the local Kafka broker and MinIO.")
app.add_typer(warehouse_app, name="warehouse", help="ClickHouse warehouse: migrations and queries.")
app.add_typer(ingest_app, name="ingest", help="Operator actions on the Kafka ingest.")
app.add_typer(airflow_app, name="airflow", help="Airflow 3 standalone on this project's dags/.")
app.add_typer(powerbi_app, name="powerbi", help="Regenerate the Power BI project in powerbi/.")
app.command(help="Publish simulated (or replayed real) POS events to Kafka.")(simulate)
app.command(help="Run the whole main job end to end on the embedded default.")(demo)
app.command(help="Write the browser report (the Power BI pages as charts) from the warehouse.")(report)
register_asset_commands(app)


def main() -> None:
    app()

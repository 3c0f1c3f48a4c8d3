"""`shelfwise report`: write the browser report and print its path."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from infra.settings import get_settings


def report(
    out: Annotated[
        Path | None, typer.Option(help="Where to write the HTML (default <home>/reports/).")
    ] = None,
    days: Annotated[int, typer.Option(help="Days of sales history the executive page shows.")] = 90,
) -> None:
    """Build the five report pages from the warehouse tables as one self-contained HTML file."""
    from infra.report.build import build_report  # lazy: pandas, ~180 ms at CLI start
    from infra.warehouse import Warehouse  # lazy: pandas, ~180 ms at CLI start

    settings = get_settings()
    target = out or settings.home / "reports" / f"shelfwise-report-{datetime.now(UTC):%Y%m%dT%H%M%S}.html"
    path = build_report(Warehouse(settings), target, days=days)
    Console().print(f"report: {path.resolve()}")

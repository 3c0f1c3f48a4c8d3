"""`shelfwise plan|materialize|backfill|status|lineage`: the asset commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from infra.settings import get_settings

console = Console()

AssetArgs = Annotated[list[str] | None, typer.Argument(help="Asset names; none means every asset.")]
FromOpt = Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD) of the range.")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD) of the range.")]


def _selection(*args, **kwargs):
    """A runner Selection; a malformed day or an empty range is a usage error, not a traceback."""
    from assets.runner import Selection  # lazy: pandas, ~180 ms at CLI start

    try:
        return Selection(*args, **kwargs)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def _runner():
    from assets.definitions import load_graph  # lazy: catalog + checks, ~30 ms at CLI start
    from assets.runner import Runner  # lazy: pandas, ~180 ms at CLI start
    from infra.warehouse import Warehouse, migrate  # lazy: pandas, ~180 ms at CLI start

    settings = get_settings()
    migrate(Warehouse(settings))
    return Runner(load_graph(), settings, console)


def plan(assets: AssetArgs = None, date_from: FromOpt = None, date_to: ToOpt = None,
         force: bool = False, downstream: bool = False) -> None:
    """Print what a materialization would build and why, without running anything."""
    from assets.reporting import plan_table  # lazy: pandas, ~180 ms at CLI start

    selection = _selection(tuple(assets or ()), date_from, date_to, force, downstream)
    console.print(plan_table(_runner().plan(selection), only_changes=True))


def materialize(assets: AssetArgs = None, date_from: FromOpt = None, date_to: ToOpt = None,
                force: bool = False, downstream: bool = False) -> None:
    """Build every stale partition (in dependency order), gate it and record it."""
    _materialize(_selection(tuple(assets or ()), date_from, date_to, force, downstream))


def backfill(asset: str, date_from: FromOpt = None, date_to: ToOpt = None) -> None:
    """Rebuild ASSET over a day range, then everything downstream that turns stale."""
    _materialize(_selection((asset,), date_from, date_to, force=True, downstream=True))


def _materialize(selection) -> None:
    from assets.reporting import run_table, run_with_progress  # lazy: pandas, ~180 ms at CLI start

    runner = _runner()
    report = run_with_progress(runner, selection, console)
    console.print(run_table(report))
    if report.failed:
        raise typer.Exit(1)


def status() -> None:
    """Fresh / stale / missing per asset and partition range, with reasons and freshness objectives."""
    from assets.reporting import freshness_violations, plan_table  # lazy: pandas, ~180 ms at CLI start

    runner = _runner()
    console.print(plan_table(runner.plan()))
    for line in freshness_violations(runner):
        console.print(f"[red]freshness:[/red] {line}")
    attempts = runner.store.latest_attempts()
    failed = attempts[attempts.status != "success"]
    for row in failed.head(20).itertuples():  # the message names the failing expectation and its report
        console.print(f"[red]failed:[/red] {row.asset} {row.partition}: {row.message}")
    if len(failed) > 20:
        console.print(f"[red]failed:[/red] … and {len(failed) - 20} more partitions")
    console.print(f"data docs: {runner.settings.lake}/reports/data-docs/index.html")


def lineage(asset: Annotated[str | None, typer.Argument()] = None,
            version: Annotated[str | None, typer.Option(help="A data version of ASSET to trace.")] = None,
            out: Annotated[
                Path, typer.Option(help="Where to write the picture (.svg).")
            ] = Path("lineage.svg")) -> None:
    """Draw the asset graph (SVG) and, for one data version, print the upstream versions it was built from."""
    from assets.definitions import load_graph  # lazy: catalog + checks, ~30 ms at CLI start
    from assets.lineage import trace_version, write_lineage_svg  # lazy: graphviz, ~40 ms at CLI start

    graph = load_graph()
    path = write_lineage_svg(graph, out, focus=asset)
    console.print(f"lineage picture: {path.resolve()}")
    if asset and version:
        console.print(trace_version(_runner(), asset, version))


def register(app: typer.Typer) -> None:
    """Add the asset commands to the top-level app."""
    for command in (plan, materialize, backfill, status, lineage):
        app.command()(command)

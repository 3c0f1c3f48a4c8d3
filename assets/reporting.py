"""How plans and runs are shown to people: status tables grouped into partition ranges, progress bars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import groupby

from rich.console import Console, Group
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from assets.runner import Runner, RunReport, Selection
from assets.versions import AssetPlan, compress_keys

STYLE = {"fresh": "green", "stale": "yellow", "missing": "red", "waiting": "dim"}


def plan_rows(plan: AssetPlan) -> list[tuple[str, str, str, int]]:
    """(status, partition range, reason, count) for consecutive partitions sharing status and reason."""
    rows = []
    for (status, reason), group in groupby(plan.partitions, key=lambda p: (p.status, p.reason)):
        keys = [p.key for p in group]
        rows.append((status, _range(keys), reason, len(keys)))
    return rows


def _range(keys: list[str]) -> str:
    if keys == [""]:
        return "(unpartitioned)"
    return keys[0] if len(keys) == 1 else f"{keys[0]} .. {keys[-1]}"


def _add_columns(table: Table, asset_names: list[str], columns: tuple[str, ...]) -> None:
    """Asset names are never cut; long ranges and messages wrap onto more lines instead of an ellipsis."""
    table.add_column(columns[0], no_wrap=True, min_width=max(map(len, asset_names), default=5))
    for column in columns[1:]:
        days = column in ("built", "failed", "partitions")  # a day is never split across lines
        table.add_column(column, overflow="fold", min_width=len("2026-01-01") if days else None)


def _wrappable(keys: list[str]) -> str:
    """Partition ranges with spaces around '..', so a narrow column wraps between the days, not inside one."""
    return compress_keys(keys).replace("..", " .. ") if keys else "-"


def plan_table(plans: dict[str, AssetPlan], only_changes: bool = False) -> Table:
    table = Table(title="asset partitions", show_lines=False)
    _add_columns(table, list(plans), ("asset", "status", "partitions", "count", "reason"))
    for name, plan in plans.items():
        rows = plan_rows(plan)
        if only_changes:
            rows = [r for r in rows if r[0] in ("stale", "missing")]
        if not plan.partitions:
            rows = [("missing", "-", "no input data yet", 0)] if not only_changes else []
        for status, span, reason, count in rows:
            table.add_row(name, f"[{STYLE[status]}]{status}[/]", span, str(count), reason)
    if only_changes and not table.rows:
        table.add_row("(all)", "[green]fresh[/]", "-", "0", "up to date: nothing to build")
    return table


def run_with_progress(runner: Runner, selection: Selection, console: Console) -> RunReport:
    """Materialize with one progress bar over the assets of the graph."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("materialize", total=len(runner.graph.order))

        def step(name: str) -> None:
            progress.update(task, description=f"materialize {name}")
            progress.advance(task)

        return runner.materialize(selection, progress=step)


STEPS = ("build", "validate", "publish")


def run_table(report: RunReport) -> Group:
    """One row per asset; the messages (failures, waits) follow the table in full, one per line."""
    table = Table(title=f"run {report.run_id}" + (" — up to date" if report.up_to_date else ""))
    names = [o.asset for o in report.outcomes]
    columns = ("asset", "built", "fresh", "waiting", "failed", "seconds", "build/gate/publish")
    _add_columns(table, names, columns)
    for o in report.outcomes:
        failed = f"[red]{_wrappable(o.failed)}[/]" if o.failed else "-"
        steps = "/".join(f"{o.steps.get(s, 0):.0f}" for s in STEPS) if o.steps else "-"
        table.add_row(o.asset, _wrappable(o.built), str(o.fresh), str(o.waiting), failed, f"{o.seconds:.1f}",
                      steps)  # fmt: skip
    messages = [Text.assemble((f"{o.asset}: ", "bold"), o.message) for o in report.outcomes if o.message]
    return Group(table, *messages)


def freshness_violations(runner: Runner, now: datetime | None = None) -> list[str]:
    """Assets that break their freshness objective: too long since the last build, or not ready by a time."""
    now = now or datetime.now(UTC)
    attempts = runner.store.latest_attempts()
    problems = []
    for name in runner.graph.order:
        objective = runner.graph[name].freshness
        if objective is None:
            continue
        built = attempts[(attempts["asset"] == name) & (attempts["status"] == "success")]["ended_at"]
        last = built.max() if len(built) else None
        if objective.max_lag_minutes is not None:
            limit = now - timedelta(minutes=objective.max_lag_minutes)
            if last is None or last.to_pydatetime() < limit:
                problems.append(
                    f"{name}: last built {last or 'never'}, objective {objective.max_lag_minutes} min"
                )
        if objective.ready_by is not None:
            hour, minute = (int(x) for x in objective.ready_by.split(":"))
            deadline = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            if now >= deadline and (last is None or last.to_pydatetime() < deadline - timedelta(days=1)):
                problems.append(f"{name}: not built for today by {objective.ready_by}")
    return problems

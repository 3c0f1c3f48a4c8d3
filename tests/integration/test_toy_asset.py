"""Adding an asset: its declaration, its job and its suite, nothing else.

A toy asset (units sold per store and day, read from the ledger) joins the small gated chain from outside
the repository: declared here, its job here, its suite in a temporary folder. It is planned, built, gated,
recorded and rendered as an Airflow DAG scheduled on its upstream, and no file of the repository changes.
"""

from __future__ import annotations

import json
import subprocess

from assets import parts
from assets.airflow_render import RenderConfig, render_dags
from assets.graph import build_graph
from assets.model import AssetSpec, Gate, Lake
from assets.runner import Runner
from expectations import gate, suites
from infra.lake import lake_fs, lake_path, read_published
from infra.settings import REPO_ROOT
from infra.warehouse import Warehouse, migrate
from spark.context import JobResult

from .gated_chain import DAYS, GRAPH, STORES, break_ledger, write_reference

SUITE = {
    "name": "store_units",
    "meta": {"description": "Units sold per store and day.",
             "shelfwise": {"source": {"kind": "lake_partition"}}},
    "expectations": [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "units", "min_value": 0},
         "meta": {"severity": "block", "why": "A store cannot sell a negative number of units in a day."}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "store_id"},
         "meta": {"severity": "block", "why": "A total no store owns cannot be read by a store manager."}},
    ],
}  # fmt: skip


def store_units(ctx) -> JobResult:
    """The toy job: units sold per store on each day, from the ledger."""
    fs, rows = lake_fs(ctx.settings), {}
    for day in ctx.partitions:
        ledger = read_published(ctx.settings, ctx.location("inventory_snapshot"), [day])
        units = ledger.groupby("store_id", as_index=False)["sold"].sum().rename(columns={"sold": "units"})
        out = lake_path(ctx.settings, f"{ctx.output}/date={day}")  # staged: published once its gate passes
        fs.makedirs(out, exist_ok=True)
        with fs.open(f"{out}/part-0.parquet", "wb") as handle:
            units.to_parquet(handle, index=False)
        rows[day] = len(units)
    return JobResult(sum(rows.values()), rows_by_partition=rows)


TOY = AssetSpec("store_units", "units sold per store and day", store_units, Lake("marts/store_units"),
                ("inventory_snapshot",), gate=Gate())  # fmt: skip  (the suite named after the asset)


def repository_state() -> str:
    return subprocess.run(["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True,
                          check=True).stdout  # fmt: skip


def test_a_toy_asset_needs_only_its_declaration_job_and_suite(settings, tmp_path, monkeypatch):
    before = repository_state()
    suites_dir = tmp_path / "suites"
    suites_dir.mkdir()
    for name in ("stores", "products", "inventory_snapshot", "daily_features"):  # the chain's own suites
        (suites_dir / f"{name}.json").write_text((gate.SUITES_DIR / f"{name}.json").read_text())
    (suites_dir / "store_units.json").write_text(json.dumps(SUITE))
    for module in (gate, suites, parts):
        monkeypatch.setattr(module, "SUITES_DIR", suites_dir)
    graph = parts.check_parts(build_graph([*GRAPH.assets.values(), TOY]))  # its suite is found where it is
    migrate(Warehouse(settings))
    write_reference(settings)
    break_ledger(settings, DAYS[2], 1)  # that day's ledger no longer balances: rejected, the toy waits

    outcomes = {o.asset: o for o in Runner(graph, settings).materialize().outcomes}

    assert outcomes["store_units"].built == DAYS[:2] and not outcomes["store_units"].failed
    log = Runner(graph, settings).store.latest_successes()
    assert [log[("store_units", d)].row_count for d in DAYS[:2]] == [len(STORES)] * 2
    assert log[("store_units", DAYS[0])].gate_result["evaluated"] > 0  # its own suite ran
    dags = render_dags(graph, RenderConfig(settings))
    toy_dag = dags["store_units"]
    assert [t.task_id for t in toy_dag.tasks] == ["check", "materialize", "gate", "publish", "rejections"]
    assert [a.name for a in toy_dag.timetable.asset_condition.objects] == ["inventory_snapshot"]
    assert repository_state() == before, "adding the asset changed files of the repository"

"""The steps every asset DAG runs (check, build, gate, publish), in-process on a diamond: lake files, chdb.

raw -> totals, raw -> lines, (totals, lines) -> basket: one change to raw must build basket once, after both.
"""

import contextlib
from pathlib import Path

import pytest

from assets import steps
from assets.graph import build_graph
from assets.model import AssetSpec, Freshness, Lake
from assets.records import MaterializationStore
from assets.run import AssetRun, RunStateError
from infra.lake import lake_path
from infra.warehouse import Warehouse, migrate
from spark.context import JobResult
from tests.lake_reads import read_day

from . import till_chain
from .till_chain import till_export

DAYS = ["2026-03-01", "2026-03-02"]


def per_day(column: str, how: str):
    def job(ctx) -> JobResult:
        rows = {}
        for day in ctx.partitions:
            frame = read_day(ctx.settings, "raw", day)
            out = Path(lake_path(ctx.settings, ctx.output)) / f"date={day}"
            out.mkdir(parents=True, exist_ok=True)
            frame.groupby("store", as_index=False)[column].agg(how).to_parquet(out / "p.parquet", index=False)
            rows[day] = frame["store"].nunique()
        return JobResult(sum(rows.values()), rows_by_partition=rows)

    return job


def basket(ctx) -> JobResult:
    rows = {}
    for day in ctx.partitions:
        units, lines = read_day(ctx.settings, "totals", day), read_day(ctx.settings, "lines", day)
        out = Path(lake_path(ctx.settings, ctx.output)) / f"date={day}"
        out.mkdir(parents=True, exist_ok=True)
        units.merge(lines, on="store", suffixes=("_units", "_lines")).to_parquet(
            out / "p.parquet", index=False
        )
        rows[day] = len(units)
    return JobResult(sum(rows.values()), rows_by_partition=rows)


GRAPH = build_graph(
    [
        AssetSpec("raw", "till export", till_export, Lake("raw")),
        AssetSpec("totals", "units", per_day("qty", "sum"), Lake("totals"), ("raw",), code_version="1"),
        AssetSpec("lines", "lines", per_day("qty", "count"), Lake("lines"), ("raw",), code_version="1"),
        AssetSpec("basket", "units per line", basket, Lake("basket"), ("totals", "lines")),
    ]
)


write_sales = till_chain.write_sales


def materialize(settings, asset: str, run_id: str) -> steps.CheckOutcome:
    """One DAG run's steps, as the Airflow tasks call them; returns what check decided."""
    outcome = steps.check(GRAPH, settings, asset, run_id)
    if outcome.action != "build":
        return outcome
    steps.build(GRAPH, settings, asset, outcome.partitions, run_id)
    steps.gate(GRAPH, settings, asset, run_id)
    with contextlib.suppress(steps.NothingToPublish):  # a source run that ingested nothing new
        steps.publish(GRAPH, settings, asset, run_id)
    return outcome


@pytest.fixture
def diamond(settings):
    migrate(Warehouse(settings))
    write_sales(settings, DAYS)
    for asset in GRAPH.order:
        assert materialize(settings, asset, f"first-{asset}").action == "build"
    return settings


def test_the_consumer_of_a_diamond_waits_for_its_second_input_then_builds_once(diamond):
    settings = diamond
    write_sales(settings, DAYS + ["2026-03-03"])
    materialize(settings, "raw", "r2")
    assert materialize(settings, "totals", "t2").partitions == ("2026-03-03",)
    waiting = steps.check(GRAPH, settings, "basket", "b2")  # triggered by totals' event
    assert waiting.action == "wait" and "lines 2026-03-03" in waiting.reason
    materialize(settings, "lines", "l2")
    assert materialize(settings, "basket", "b2").partitions == ("2026-03-03",)
    second = steps.check(GRAPH, settings, "basket", "b3")  # triggered by lines' event
    assert second.action == "skip"


def test_an_ingested_but_unpublished_source_holds_its_consumers(diamond):
    settings = diamond
    write_sales(settings, DAYS + ["2026-03-03"])
    steps.check(GRAPH, settings, "raw", "r2")
    steps.build(GRAPH, settings, "raw", (), "r2")
    assert steps.check(GRAPH, settings, "totals", "t2").action == "wait"


def test_backfill_params_force_a_range_and_a_failed_build_is_recorded(diamond):
    settings = diamond
    forced = steps.check(
        GRAPH, settings, "totals", "t2", {"date_from": "2026-03-02", "date_to": "2026-03-02", "force": True}
    )
    assert forced.partitions == ("2026-03-02",)
    assert steps.record_failure(GRAPH, settings, "totals", "t2", "job failed: disk full") == 1
    attempts = MaterializationStore(Warehouse(settings)).latest_attempts()
    failed = attempts[(attempts.asset == "totals") & (attempts.status == "failed")]
    assert list(failed.partition) == ["2026-03-02"] and "disk full" in failed.message.iloc[0]


def test_freshness_objective_is_reported_for_its_asset_only(settings):
    migrate(Warehouse(settings))
    watched = build_graph(
        [
            AssetSpec(
                "raw", "till export", till_export, Lake("raw"), freshness=Freshness(max_lag_minutes=15)
            ),
            AssetSpec("totals", "units", per_day("qty", "sum"), Lake("totals"), ("raw",), code_version="1"),
        ]
    )
    problems = steps.freshness_problems(watched, settings, "raw")
    assert problems == ["raw: last built never, objective 15 min"]
    assert steps.freshness_problems(watched, settings, "totals") == []


def test_submit_builds_the_planned_run_and_refuses_one_never_planned(settings, monkeypatch, capsys):
    from infra.settings import get_settings
    from spark import submit

    for key, value in {"SHELFWISE_HOME": str(settings.home), "SHELFWISE_LAKE_URL": settings.lake}.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    write_sales(settings, DAYS)
    graph_ref = f"{Path(__file__).with_name('till_chain.py').resolve()}:GRAPH"  # loaded by file path
    try:
        assert steps.check(till_chain.GRAPH, settings, "raw", "r1").action == "build"
        assert submit.main(["--asset", "raw", "--run-id", "r1", "--graph", graph_ref]) == 0
        assert submit.main(["--asset", "raw", "--run-id", "never-checked", "--graph", graph_ref]) == 2
        assert "no saved run 'never-checked' of raw" in capsys.readouterr().err
        assert submit.main(["--asset", "nope", "--run-id", "r1", "--graph", graph_ref]) == 2
    finally:
        get_settings.cache_clear()
    run = AssetRun.load(settings, "raw", "r1")
    assert run.stage == "built" and run.result["row_count"] == 4
    assert sorted(run.result["partition_versions"]) == DAYS
    assert run.partitions is None  # a source's changed days are decided at validation, against the log
    assert submit.parse_args(["--asset", "a", "--run-id", "r"]).graph == submit.DEFAULT_GRAPH


def test_a_consumer_waits_only_for_the_upstream_partitions_it_reads(diamond):
    """A late event for an old day leaves totals and lines 2026-03-01 pending; basket building only the new
    day reads neither, so it builds at once instead of waiting for partitions it never reads."""
    settings = diamond
    late = {"day": DAYS[0], "store": "S3", "sku": "A", "qty": 5}
    write_sales(settings, DAYS + ["2026-03-03"], extra=[late])
    materialize(settings, "raw", "r2")
    new_day = {"date_from": "2026-03-03", "date_to": "2026-03-03"}
    for asset in ("totals", "lines"):
        outcome = steps.check(GRAPH, settings, asset, f"{asset}-new", new_day)
        assert outcome.partitions == ("2026-03-03",)
        steps.build(GRAPH, settings, asset, outcome.partitions, f"{asset}-new")
        steps.gate(GRAPH, settings, asset, f"{asset}-new")
        steps.publish(GRAPH, settings, asset, f"{asset}-new")

    assert steps.check(GRAPH, settings, "basket", "b-new", new_day).partitions == ("2026-03-03",)
    everything = steps.check(GRAPH, settings, "basket", "b-all")  # would rebuild 03-01 too: that one waits
    assert everything.action == "wait"
    assert everything.reason == "waiting for lines 2026-03-01; totals 2026-03-01"


def test_a_retried_step_records_nothing_twice(diamond):
    """Airflow retries a task whose first try got as far as saving the run: the step repeats, idempotent."""
    settings = diamond
    write_sales(settings, DAYS + ["2026-03-03"])
    materialize(settings, "raw", "r2")
    planned = steps.check(GRAPH, settings, "totals", "t2")
    steps.build(GRAPH, settings, "totals", planned.partitions, "t2")
    steps.build(GRAPH, settings, "totals", planned.partitions, "t2")
    steps.gate(GRAPH, settings, "totals", "t2")
    steps.gate(GRAPH, settings, "totals", "t2")
    first = steps.publish(GRAPH, settings, "totals", "t2")
    again = steps.publish(GRAPH, settings, "totals", "t2")
    log = Warehouse(settings).query_df("SELECT * FROM asset_materializations WHERE run_id = 't2'")
    assert list(log.partition) == ["2026-03-03"] and list(log.status) == ["success"]
    assert first["partitions"] == again["partitions"] == ["2026-03-03"]
    with pytest.raises(RunStateError, match="is published: it cannot become validated"):
        steps.gate(GRAPH, settings, "totals", "t2")


def test_a_source_run_with_no_news_leaves_nothing_behind(diamond):
    """Sources are polled every 15 minutes: a poll that changed nothing keeps no saved run in the lake."""
    settings = diamond
    assert materialize(settings, "raw", "quiet").action == "build"
    assert AssetRun.find(settings, "raw", "quiet") is None
    assert AssetRun.find(settings, "raw", "first-raw").stage == "published"  # a run that did something stays

"""The local runner on a small real graph: real files in a lake directory, real chdb, real change
detection."""


import pytest

from assets.graph import build_graph
from assets.model import AssetSpec, Lake, window
from assets.runner import Runner, Selection
from infra.settings import Settings
from infra.warehouse import Warehouse, migrate
from spark.context import JobResult

from . import till_chain

CALLS: list[tuple[str, tuple[str, ...]]] = []


def till_export(ctx) -> JobResult:
    CALLS.append((ctx.asset.name, ctx.partitions))
    return till_chain.till_export(ctx)


def store_totals(ctx) -> JobResult:
    CALLS.append((ctx.asset.name, ctx.partitions))
    return till_chain.store_totals(ctx)


def rolling_mean(ctx) -> JobResult:
    CALLS.append((ctx.asset.name, ctx.partitions))
    return till_chain.rolling_mean(ctx)


GRAPH = build_graph([
    AssetSpec("raw", "till export", till_export, Lake("raw")),
    AssetSpec("totals", "units per store and day", store_totals, Lake("totals"), ("raw",)),
    AssetSpec("rolling", "3-day mean", rolling_mean, Lake("rolling"), (window("totals", 3),)),
])


write_sales = till_chain.write_sales


@pytest.fixture
def runner(tmp_path):
    settings = Settings(home=tmp_path / "home", lake_url="", clickhouse_url="")
    migrate(Warehouse(settings))
    CALLS.clear()
    return Runner(GRAPH, settings)


DAYS = ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]


def built(report):
    return {o.asset: o.built for o in report.outcomes}


def test_full_run_then_nothing_then_only_the_new_day(runner):
    write_sales(runner.settings, DAYS)
    first = runner.materialize()
    assert built(first) == {"raw": DAYS, "totals": DAYS, "rolling": DAYS}

    CALLS.clear()
    second = runner.materialize()
    assert second.up_to_date
    assert CALLS == [("raw", ())], "a no-change run only asks the source for news, it builds nothing"

    write_sales(runner.settings, DAYS + ["2026-03-05"])
    third = runner.materialize()
    assert built(third) == {"raw": ["2026-03-05"], "totals": ["2026-03-05"], "rolling": ["2026-03-05"]}


def test_a_late_event_rebuilds_exactly_the_windows_that_contain_its_day(runner):
    write_sales(runner.settings, DAYS)
    runner.materialize()
    late = [{"day": "2026-03-02", "store": "S1", "sku": "B", "qty": 5}]
    write_sales(runner.settings, DAYS, extra=late)
    assert runner.plan()["rolling"].to_build() == [], "plan observes sources; it does not ingest"
    ingest = runner.materialize(Selection(("raw",)))
    assert built(ingest) == {"raw": ["2026-03-02"], "totals": [], "rolling": []}
    plan = runner.plan()
    assert [p.key for p in plan["rolling"].to_build()] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert plan["rolling"].to_build()[0].reason == "totals 2026-03-02 changed"
    report = runner.materialize()
    assert built(report)["rolling"] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert runner.materialize().up_to_date


def test_force_and_range_rebuild_only_the_named_days_and_what_turns_stale(runner):
    write_sales(runner.settings, DAYS)
    runner.materialize()
    report = runner.materialize(
        Selection(("totals",), "2026-03-02", "2026-03-02", force=True, downstream=True)
    )
    # same inputs, same code: the rebuilt day keeps its version, so nothing downstream turns stale
    assert built(report) == {"raw": [], "totals": ["2026-03-02"], "rolling": []}


def test_a_failed_job_is_recorded_and_stops_its_branch(runner, monkeypatch):
    write_sales(runner.settings, DAYS)
    runner.materialize()
    write_sales(runner.settings, DAYS + ["2026-03-05"])

    def broken(ctx):
        raise ValueError("till export for S2 truncated")

    failing = build_graph([
        GRAPH["raw"], AssetSpec("totals", "x", broken, Lake("totals"), ("raw",), code_version=None),
        GRAPH["rolling"],
    ])
    report = Runner(failing, runner.settings).materialize()
    outcomes = {o.asset: o for o in report.outcomes}
    assert outcomes["totals"].failed and "till export for S2 truncated" in outcomes["totals"].message
    assert outcomes["rolling"].built == [], "the consumer of a failed partition does not run"
    attempts = runner.store.latest_attempts()
    failed = attempts[(attempts.asset == "totals") & (attempts.status == "failed")]
    assert set(failed.partition) >= {"2026-03-05"}

"""Gates in the local runner on a small real graph: pure-python jobs writing Parquet into a tmp lake, the real
suites, real chdb, and the published Data Docs opened in headless Chromium."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from assets.catalog.reference import products, stores
from assets.graph import build_graph
from assets.model import AssetSpec, Gate, Lake, as_of_build
from assets.runner import Runner
from infra.lake import lake_path, write_partition_versions
from infra.warehouse import Warehouse, migrate
from spark.context import JobResult
from tests.browser import chromium

from .gated_chain import DAYS, GRAPH, SKUS, STORES, break_ledger, write_reference


@pytest.fixture
def runner(settings):
    migrate(Warehouse(settings))
    write_reference(settings)
    return Runner(GRAPH, settings)


def suite(asset: str) -> dict:
    return json.loads((Path(__file__).parents[2] / "expectations" / "suites" / f"{asset}.json").read_text())


def outcomes(report):
    return {o.asset: o for o in report.outcomes}


def test_good_partitions_pass_every_gate_and_each_result_lands_in_dq_results(runner):
    report = outcomes(runner.materialize())
    assert report["inventory_snapshot"].built == DAYS and report["daily_features"].built == DAYS
    attempts = runner.store.latest_attempts()
    features = attempts[attempts.asset == "daily_features"].set_index("partition")
    first_day = json.loads(features.loc[DAYS[0], "gate_result"])
    assert first_day["passed"] and first_day["report"].startswith("file://")
    warned = [w["expectation"] for w in first_day["warnings"]]
    assert warned == ["expect_column_values_to_not_be_null(lag_1)"], "no history yet: warn, publish"
    dq = Warehouse(runner.settings).query_df("SELECT asset, partition, success, run_id FROM dq_results")
    checks = sum(len(suite(name)["expectations"]) for name in ("inventory_snapshot", "daily_features"))
    masters = sum(len(suite(name)["expectations"]) for name in ("stores", "products"))  # one whole table each
    assert len(dq) == len(DAYS) * checks + masters
    assert set(dq["run_id"]) == {runner.store.latest_attempts().run_id.iloc[0]}
    assert (~dq["success"]).sum() == 1


def test_a_blocking_failure_is_recorded_and_stops_the_downstream_partition(runner):
    break_ledger(runner.settings, DAYS[1], [1, 0, 0, 0, 0, 0])
    report = outcomes(runner.materialize())
    snapshot, features = report["inventory_snapshot"], report["daily_features"]
    # only the bad day fails (this test ledger does not carry days forward); no feature window containing
    # it is built, since a rolling statistic over a rejected day would be wrong
    assert snapshot.failed == [DAYS[1]] and snapshot.built == [DAYS[0], DAYS[2]]
    assert features.built == [DAYS[0]]
    assert snapshot.message.startswith(
        "gate inventory_snapshot failed: expect_column_values_to_be_between(ledger_gap)")
    assert "(report: file://" in snapshot.message
    attempts = runner.store.latest_attempts()
    failed = attempts[(attempts.asset == "inventory_snapshot") & (attempts.partition == DAYS[1])].iloc[0]
    gate = json.loads(failed.gate_result)
    assert failed.status == "failed" and not gate["passed"]
    assert [(b["expectation"], b["partition"]) for b in gate["blocking"]] == [
        ("expect_column_values_to_be_between(ledger_gap)", DAYS[1])]
    assert gate["blocking"][0]["sample_rows"] == [{"store_id": "S1", "sku": "A", "ledger_gap": 1}]
    dq = Warehouse(runner.settings).query_df(
        "SELECT partition FROM dq_results WHERE NOT success AND expectation LIKE '%ledger_gap%'")
    assert list(dq["partition"]) == [DAYS[1]]


def test_data_docs_open_in_chromium_without_errors_and_show_the_failing_expectation(runner, tmp_path):
    break_ledger(runner.settings, DAYS[2], 1)
    runner.materialize()
    attempts = runner.store.latest_attempts()
    failed = attempts[(attempts.asset == "inventory_snapshot") & (attempts.status == "failed")].iloc[0]
    page = json.loads(failed.gate_result)["report"]
    dom, console = chromium(page, tmp_path / "page")
    assert console == []
    assert "ledger_gap" in dom and "failed" in dom.lower()
    html = Path(page.removeprefix("file://")).read_text()
    assert "https://" not in "".join(t for t in html.split("<") if t.startswith(("script", "link")))
    index, console = chromium(page.split("/validations/")[0] + "/index.html", tmp_path / "index")
    assert console == [] and "FAILED" in index and "expect_column_values_to_be_between(ledger_gap)" in index


def test_the_console_check_catches_a_broken_page(tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text("<html><body><script>$('.modal').modal()</script></body></html>")
    _, console = chromium(broken.as_uri(), tmp_path / "profile")
    assert any("$ is not defined" in line for line in console)


@pytest.mark.services
def test_a_gate_on_an_s3_lake_reads_from_minio_and_publishes_its_data_docs_there(services):
    from assets.definitions import load_graph
    from expectations.gate import validate
    from infra.lake import lake_fs
    from spark.context import JobContext

    migrate(Warehouse(services))
    fs, root, day = lake_fs(services), lake_path(services), "2026-04-07"
    fs.pipe_file(f"{root}/reference/stores/part-0.parquet", pd.DataFrame({"store_id": STORES}).to_parquet())
    fs.pipe_file(f"{root}/reference/products/part-0.parquet", pd.DataFrame({"sku": SKUS}).to_parquet())
    sales = pd.DataFrame({"event_id": ["e1", "e1"], "kind": "sale", "store_id": "S1", "sku": "A",
                          "quantity": 1, "unit_price": 2.0, "discount": 0.0,
                          "ts": pd.Timestamp(f"{day} 10:00")})
    fs.pipe_file(f"{root}/raw/sales/date={day}/part-0.parquet", sales.to_parquet(index=False))
    graph = load_graph()
    result = validate(JobContext.in_place(graph, "raw_sales", (day,), services, "s3-run"))
    assert [b["expectation"] for b in result.blocking] == ["expect_column_values_to_be_unique(event_id)"]
    assert result.report.startswith("s3://shelfwise-test/lake/reports/data-docs/validations/raw_sales/")
    assert fs.exists(result.report.removeprefix("s3://"))
    assert b"raw_sales" in fs.cat_file(f"{root}/reports/data-docs/index.html")


def test_a_source_day_rejected_by_its_gate_is_recorded_and_held_back(settings):
    """raw_sales is gated too: a day with an unknown store fails and its consumer waits; good days flow."""
    from tests.unit.expectations.test_suites import raw_sales as sales_day

    days = ["2026-03-09", "2026-03-10", "2026-03-11"]

    def ingest(ctx) -> JobResult:
        root, versions = Path(lake_path(ctx.settings)), {}
        for day in days:
            lines = sales_day(day)
            if day == days[1]:
                lines.loc[0, "store_id"] = "S9"  # a till that no store master knows
            out = root / "raw" / "sales" / f"date={day}"
            out.mkdir(parents=True, exist_ok=True)
            lines.to_parquet(out / "part-0.parquet", index=False)
            versions[day] = hashlib.sha256(lines.to_csv().encode()).hexdigest()[:16]
        write_partition_versions(ctx.settings, "raw/sales", versions)
        return JobResult(len(days), partition_versions=versions)

    def totals(ctx) -> JobResult:
        return JobResult(len(ctx.partitions), rows_by_partition={d: 1 for d in ctx.partitions})

    graph = build_graph([
        stores, products,
        AssetSpec("raw_sales", "POS lines", ingest, Lake("raw/sales"),
                  (as_of_build("stores"), as_of_build("products")), gate=Gate("raw_sales")),
        AssetSpec("daily_totals", "units per day", totals, Lake("curated/daily_totals"), ("raw_sales",)),
    ])
    migrate(Warehouse(settings))
    root = Path(lake_path(settings)) / "reference"
    for name, frame in {"stores": pd.DataFrame({"store_id": ["S1", "S2"]}),
                        "products": pd.DataFrame({"sku": ["A", "B", "C"]})}.items():
        (root / name).mkdir(parents=True)
        frame.to_parquet(root / name / "part-0.parquet", index=False)

    report = outcomes(Runner(graph, settings).materialize())
    assert report["raw_sales"].built == [days[0], days[2]] and report["raw_sales"].failed == [days[1]]
    assert "gate raw_sales failed" in report["raw_sales"].message
    assert "store_known" in report["raw_sales"].message
    assert report["daily_totals"].built == [days[0], days[2]], "the rejected day is not consumed"
    assert report["daily_totals"].waiting == 1


def test_the_runner_and_the_dag_steps_record_the_same_outcomes(settings_factory):
    """One state machine, two executors: the same chain with one broken ledger day, driven in one process
    and as DAG steps, leaves the same materialization log (status, versions, rows, why) in each."""
    from assets import steps

    logs = []
    for executor in ("runner", "steps"):
        settings = settings_factory()
        migrate(Warehouse(settings))
        write_reference(settings)
        break_ledger(settings, DAYS[1], [1, 0, 0, 0, 0, 0])
        if executor == "runner":
            Runner(GRAPH, settings).materialize()
        else:
            for asset in GRAPH.order:
                run_id = f"dag-{asset}"
                planned = steps.check(GRAPH, settings, asset, run_id)
                if planned.action != "build":
                    continue
                steps.build(GRAPH, settings, asset, planned.partitions, run_id)
                try:
                    steps.gate(GRAPH, settings, asset, run_id)
                    steps.publish(GRAPH, settings, asset, run_id)
                except steps.GateFailed:
                    pass
        log = Warehouse(settings).query_df("SELECT * FROM asset_materializations")
        kept = ["asset", "partition", "status", "data_version", "code_version", "row_count", "message"]
        logs.append(log[kept].assign(message=log["message"].str.replace(r"report: \S+", "report", regex=True))
                    .sort_values(["asset", "partition"]).reset_index(drop=True))  # fmt: skip
    runner_log, steps_log = logs
    assert (runner_log.status == "failed").sum() == 1 and len(runner_log) == 3 + 3 + 1 + 2  # + the masters
    pd.testing.assert_frame_equal(runner_log, steps_log)

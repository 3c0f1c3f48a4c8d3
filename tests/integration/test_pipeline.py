"""raw -> inventory_snapshot -> daily_features -> demand_model -> reorder_predictions -> ClickHouse.

The real graph and jobs through the local runner, on 3 stores x 5 SKUs x 70 days. Only the raw_* source
specs are swapped for small pure-Python jobs that write the fixture partitions and their `_partitions.json`
(the real ones read Kafka).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import replace

import pandas as pd
import pytest

from assets.definitions import all_specs
from assets.graph import build_graph
from assets.runner import Runner
from infra.lake import lake_fs, lake_path
from infra.settings import REPO_ROOT
from infra.spark_connect_local import SparkConnectLocal
from infra.warehouse import Warehouse, migrate
from spark.context import JobResult
from tests.conftest import on_minio
from tests.lake_reads import read_asset

from . import chain

pytestmark = pytest.mark.spark
DAYS = 70
RAW: dict[str, pd.DataFrame] = {}


def fixture_source(ctx) -> JobResult:
    """Source job: write this asset's fixture events as day partitions plus the index."""
    versions = chain.write_raw(ctx.settings, ctx.asset.name, RAW[ctx.asset.name])
    return JobResult(len(RAW[ctx.asset.name]), partition_versions=versions)


def graph():
    # The insight assets (sales_anomalies, slow_movers, cross_sell) have their own test: test_insights.py.
    specs = [
        replace(s, job=fixture_source) if s.name in chain.RAW_PATHS else s
        for s in all_specs()
        if "insights" not in s.tags
    ]
    return build_graph(specs)


def test_the_whole_graph_builds_loads_and_then_rests(spark, settings):
    builds_loads_and_rests(settings)


def test_the_same_on_the_minio_lake_built_on_a_spark_connect_server(services, tmp_path):
    """Curated jobs, the model registry and the warehouse loads on an s3:// lake, nothing on local disk;
    every Spark step on the Spark Connect server Airflow's tasks use (MLlib fits, the ledger's Python
    workers fed the project zip, S3A with the keys from the server's environment). In a process of its own,
    as an Airflow task is: pyspark refuses a Connect session beside this process's local one."""
    lake = f"s3://shelfwise-test/pipeline-{uuid.uuid4().hex[:6]}"
    settings = on_minio(services, tmp_path / "home", lake)
    server = SparkConnectLocal(settings)
    server.start()
    try:
        assert "warm-up done" in server.wait_for_warm_up(), server.warm_up_log.read_text()[-2000:]
        env = {**os.environ, **settings.as_env(), "SHELFWISE_SPARK_REMOTE": server.address}
        done = subprocess.run([sys.executable, "-m", "tests.integration.test_pipeline"], cwd=REPO_ROOT,
                              env=env, capture_output=True, text=True, timeout=1200, check=False)  # fmt: skip
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr[-4000:]
    assert not (tmp_path / "home" / "lake").exists(), "a job wrote to the local lake path"


def _on_the_connect_server() -> None:
    """The chain with the environment's settings; every Spark job must open its session on the server."""
    from infra.settings import get_settings
    from spark import session

    settings, opened, remote_spark = get_settings(), [], session.remote_spark
    session.remote_spark = lambda s: opened.append(s.spark_remote) or remote_spark(s)
    builds_loads_and_rests(settings)
    jobs = {"inventory_snapshot", "daily_features", "demand_model", "open_orders", "reorder_predictions"}
    assert set(opened) == {settings.spark_remote} and len(opened) >= len(jobs), "a Spark job ran elsewhere"


def builds_loads_and_rests(settings) -> None:
    """The chain through the real graph: what each asset built, the registry, the reorders, the warehouse."""
    dims = chain.dimensions(3, 5)
    RAW.update(chain.events(dims["stores"], dims["products"], DAYS, promo_lift=2.5))
    chain.write_lake(settings, dims, {})
    migrate(Warehouse(settings))
    runner = Runner(graph(), settings)

    report = runner.materialize()
    outcomes = {o.asset: o for o in report.outcomes}
    assert len(outcomes["inventory_snapshot"].built) == DAYS and not outcomes["inventory_snapshot"].failed
    assert len(outcomes["daily_features"].built) == DAYS
    assert {"2026-03-02", "2026-03-09"} <= set(outcomes["demand_model"].built)
    assert not outcomes["reorder_predictions"].failed and outcomes["reorder_predictions"].built

    fs, registry = lake_fs(settings), lake_path(settings, "models/demand")
    fs.invalidate_cache()

    def document(relative: str) -> dict:
        with fs.open(f"{registry}/{relative}") as handle:
            return json.load(handle)

    champion = document("champion.json")
    assert fs.isdir(f"{registry}/{champion['version']}/model")
    meta = document(f"{champion['version']}/metadata.json")
    backtest = meta["backtest"]
    assert backtest["forecast"]["wape"] < meta["best_baseline"]["wape"] <= backtest["snaive"]["wape"]
    assert set(meta["backtest"]) >= {"forecast", "snaive", "ma28"} and meta["features"]
    first, second = (document(f"{v}/metadata.json")["tuning"] for v in ("v1", "v2"))
    assert "reused" not in first and second == {**first, "reused": True}, "one grid search per run"

    reorders = read_asset(settings, "marts/reorder_predictions")
    assert set(reorders.forecast_source) == {"baseline_ma28", "model"}, (
        "before the first champion: the baseline"
    )
    assert (reorders.recommended_order_qty % reorders.case_pack == 0).all()
    assert reorders.stock_out_probability.between(0, 1).all()

    wh = Warehouse(settings)
    counts = {
        t: int(wh.query_df(f"SELECT count() AS n FROM {t}")["n"].iloc[0])
        for t in ("fact_inventory", "fact_ml_predictions", "fact_sales")
    }
    assert counts["fact_inventory"] == 15 * DAYS and counts["fact_ml_predictions"] == len(reorders)
    assert counts["fact_sales"] == len(RAW["raw_sales"])

    assert runner.materialize().up_to_date, "a second run with no new events builds nothing"


if __name__ == "__main__":
    _on_the_connect_server()

"""raw -> inventory_snapshot -> daily_features -> demand_model -> reorder_predictions -> ClickHouse.

The real graph and jobs through the local runner, on 3 stores x 5 SKUs x 70 days. Only the raw_* source
specs are swapped for small pure-Python jobs that write the fixture partitions and their `_partitions.json`
(the real ones read Kafka).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from assets.definitions import all_specs
from assets.graph import build_graph
from assets.runner import Runner
from infra.lake import lake_path
from infra.warehouse import Warehouse, migrate
from spark.context import JobResult

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

    registry = Path(lake_path(settings, "models/demand"))
    champion = json.loads((registry / "champion.json").read_text())
    assert (registry / champion["version"] / "model").is_dir()
    meta = json.loads((registry / champion["version"] / "metadata.json").read_text())
    backtest = meta["backtest"]
    assert backtest["forecast"]["wape"] < meta["best_baseline"]["wape"] <= backtest["snaive"]["wape"]
    assert set(meta["backtest"]) >= {"forecast", "snaive", "ma28"} and meta["features"]
    first, second = (json.loads((registry / v / "metadata.json").read_text())["tuning"] for v in ("v1", "v2"))
    assert "reused" not in first and second == {**first, "reused": True}, "one grid search per run"

    reorders = pd.read_parquet(lake_path(settings, "marts/reorder_predictions"))
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

"""Every KPI twin (sql/queries/select_kpi_<key>.sql) agrees with a pandas computation over the lake.

A small chain (3 stores x 4 SKUs x 38 days, ending on a Wednesday) goes through the real graph, jobs, gates
and warehouse loads (the raw_* sources swapped for fixture writers, as in test_pipeline.py); the reference
(kpi_reference.py) reads only the lake's Parquet and follows the KPI contract (docs/warehouse.md) line by
line. It never reads ClickHouse.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta

import numpy as np
import pandas as pd
import pytest

from assets.definitions import all_specs
from assets.graph import build_graph
from assets.runner import Runner
from infra.warehouse import Warehouse, migrate
from spark.context import JobResult
from tests.conftest import isolated_settings

from . import chain
from .kpi_reference import KPIS, forecast_pairs, parquet, reference_kpis, twin

pytestmark = pytest.mark.spark
DAYS = 38  # 2026-01-05 (Monday) .. 2026-02-11 (Wednesday): the latest complete week is not the last days
RAW: dict[str, pd.DataFrame] = {}


def fixture_source(ctx) -> JobResult:
    versions = chain.write_raw(ctx.settings, ctx.asset.name, RAW[ctx.asset.name])
    return JobResult(len(RAW[ctx.asset.name]), partition_versions=versions)


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    """Settings of a lake and warehouse the real graph has built and loaded (anomalies and cross-sell left
    out: no KPI reads them)."""
    settings = isolated_settings(tmp_path_factory.mktemp("kpi") / "home")
    dims = chain.dimensions(3, 4)
    RAW.update(planted(chain.events(dims["stores"], dims["products"], DAYS, seed=7)))
    chain.write_lake(settings, dims, {})
    migrate(Warehouse(settings))
    specs = [
        replace(s, job=fixture_source) if s.name in chain.RAW_PATHS else s
        for s in all_specs()
        if s.name not in ("sales_anomalies", "cross_sell")
    ]
    report = Runner(build_graph(specs), settings).materialize()
    failed = {o.asset: o.failed for o in report.outcomes if o.failed}
    assert not failed, failed
    return settings


def planted(raw: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """So that every KPI's filter matters: a shelf counted empty at the close of the last day (a stock-out
    and shrink in the window) and a product that never sells in one store (a slow mover at risk)."""
    last = datetime.combine(chain.START + timedelta(days=DAYS - 1), time(19, 59))
    empty_count = dict(
        event_id="count-empty",
        kind="count",
        store_id="S00",
        sku="P000",
        quantity=0,
        reason="cycle_count",
        ts=last,
    )
    sales = raw["raw_sales"]
    return raw | {
        "raw_inventory_updates": pd.concat(
            [raw["raw_inventory_updates"], pd.DataFrame([empty_count])], ignore_index=True
        ),
        "raw_sales": sales[~((sales["store_id"] == "S01") & (sales["sku"] == "P003"))],
    }


def test_every_kpi_twin_agrees_with_pandas_over_the_lake(lake):
    reference = reference_kpis(lake)
    assert sorted(reference) == KPIS, "one twin per KPI of the contract, one reference per twin"
    warehouse = Warehouse(lake)
    measured = {key: twin(warehouse, key) for key in KPIS}
    for key in KPIS:
        assert np.isfinite(reference[key]), f"{key}: the chain must exercise it"
        assert measured[key] == pytest.approx(reference[key], rel=1e-9, abs=1e-9), key
    exercised = (
        "stock_outs",
        "reorder_lines",
        "shrink_units",
        "revenue_wow_pct",
        "forecast_wape",
        "slow_movers_at_risk",
    )
    assert all(measured[key] != 0 for key in exercised), f"the chain must exercise every filter: {measured}"


def test_forecast_vs_actual_holds_exactly_the_complete_seven_day_pairs(lake):
    pairs = forecast_pairs(
        parquet(lake, "marts/reorder_predictions"), parquet(lake, "curated/inventory_snapshot")
    )
    view = Warehouse(lake).query_df(
        "SELECT forecast_date, target_start, target_end, store_key, product_key, forecast_units, "
        "actual_units FROM forecast_vs_actual ORDER BY forecast_date, store_key, product_key"
    )
    assert len(view) == len(pairs) > 0
    assert ((view["target_end"] - view["target_start"]).dt.days == 6).all()
    assert ((view["target_start"] - view["forecast_date"]).dt.days == 1).all()
    expected = pairs.sort_values(["date", "store_id", "sku"]).reset_index(drop=True)
    assert view["actual_units"].tolist() == expected["actual"].tolist()
    assert view["forecast_units"].tolist() == pytest.approx(expected["forecast"].tolist())
    assert view["forecast_date"].max() == parquet(lake, "curated/inventory_snapshot")[
        "date"
    ].max() - timedelta(days=7), "the newest forecasts have no complete week of actuals yet"

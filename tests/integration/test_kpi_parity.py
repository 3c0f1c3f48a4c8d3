"""Every KPI twin (sql/queries/select_kpi_<key>.sql) agrees with a pandas computation over the lake.

A small chain (3 stores x 4 SKUs x 38 days, ending on a Wednesday) goes through the real graph, jobs, gates
and warehouse loads (the raw_* sources swapped for fixture writers, as in test_pipeline.py); the reference
below reads only the lake's Parquet (curated/, marts/, raw/sales, reference/) and follows the KPI contract
(docs/warehouse.md) line by line. It never reads ClickHouse.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assets.definitions import all_specs
from assets.graph import build_graph
from assets.runner import Runner
from infra.lake import lake_path
from infra.warehouse import SQL_DIR, Warehouse, migrate, read_sql
from spark.context import JobResult
from tests.conftest import isolated_settings

from . import chain

pytestmark = pytest.mark.spark
DAYS = 38  # 2026-01-05 (Monday) .. 2026-02-11 (Wednesday): the latest complete week is not the last days
RAW: dict[str, pd.DataFrame] = {}
KPIS = sorted(p.stem.removeprefix("select_kpi_") for p in (SQL_DIR / "queries").glob("select_kpi_*.sql"))


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


def parquet(settings, relative: str) -> pd.DataFrame:
    frame = pd.read_parquet(Path(lake_path(settings, relative)))
    if "date" in frame:
        frame["date"] = pd.to_datetime(frame["date"].astype(str))
    return frame


def reference_kpis(settings) -> dict[str, float]:
    """Each KPI of the contract computed with pandas from the lake's Parquet."""
    snapshot = parquet(settings, "curated/inventory_snapshot")
    predictions = parquet(settings, "marts/reorder_predictions")
    return (
        _stock(snapshot)
        | _weeks(_net_sales(settings))
        | _forecast(predictions, snapshot)
        | _orders(predictions, parquet(settings, "reference/products"))
        | _slow_movers(parquet(settings, "marts/slow_movers"))
    )


def _stock(snapshot: pd.DataFrame) -> dict[str, float]:
    latest = snapshot["date"].max()
    today = snapshot[snapshot["date"] == latest]
    window = snapshot[snapshot["date"] > latest - timedelta(days=28)]
    first = window[window["date"] == latest - timedelta(days=27)]
    return {
        "stock_value": today["value_at_cost"].sum(),
        "stock_outs": float(today["stock_out"].sum()),
        "in_stock_pct": (~today["stock_out"]).mean(),
        "days_of_cover": today["days_of_cover"].dropna().mean(),
        "weeks_of_supply": today["closing_on_hand"].sum() / (window["sold"].sum() / 4),
        "sell_through_pct": window["sold"].sum()
        / (first["opening_on_hand"].sum() + window["received"].sum()),
        "shrink_units": float(-window["count_variance"].sum()),
    }


def _net_sales(settings) -> pd.DataFrame:
    """raw_sales lines as net units and revenue: a return takes its units and its money back."""
    lines = parquet(settings, "raw/sales")
    sign = np.where(lines["kind"] == "return", -1, 1)
    return lines.assign(
        units=sign * lines["quantity"],
        revenue=sign * (lines["quantity"] * lines["unit_price"] - lines["discount"]),
    )


def _weeks(sales: pd.DataFrame) -> dict[str, float]:
    last_sunday = max(d for d in pd.date_range(end=sales["date"].max(), periods=7) if d.weekday() == 6)
    week = sales[(sales["date"] > last_sunday - timedelta(days=7)) & (sales["date"] <= last_sunday)]
    before = sales[
        (sales["date"] > last_sunday - timedelta(days=14))
        & (sales["date"] <= last_sunday - timedelta(days=7))
    ]
    return {
        "revenue_latest_week": week["revenue"].sum(),
        "revenue_wow_pct": (week["revenue"].sum() - before["revenue"].sum()) / before["revenue"].sum(),
        "units_sold_latest_week": float(week["units"].sum()),
    }


def forecast_pairs(predictions: pd.DataFrame, snapshot: pd.DataFrame) -> pd.DataFrame:
    """Each prediction's 7-day total against units sold on days D+1..D+7, where all 7 are in the lake and
    none is a silent store day (its zero sales are missing data)."""
    by_day = snapshot.set_index(["store_id", "sku", "date"])
    sold, silent = by_day["sold"], by_day["store_silent"]
    rows = []
    for p in predictions.itertuples():
        days = [(p.store_id, p.sku, p.date + timedelta(days=h)) for h in range(1, 8)]
        if all(d in sold.index for d in days) and not any(silent[d] for d in days):
            rows.append((p.date, p.store_id, p.sku, p.predicted_demand, float(sum(sold[d] for d in days))))
    return pd.DataFrame(rows, columns=["date", "store_id", "sku", "forecast", "actual"])


def _forecast(predictions: pd.DataFrame, snapshot: pd.DataFrame) -> dict[str, float]:
    pairs = forecast_pairs(predictions, snapshot)
    actual = pairs["actual"].sum()
    return {
        "forecast_wape": (pairs["forecast"] - pairs["actual"]).abs().sum() / actual,
        "forecast_bias": (pairs["forecast"].sum() - actual) / actual,
    }


def _orders(predictions: pd.DataFrame, products: pd.DataFrame) -> dict[str, float]:
    latest = predictions[predictions["date"] == predictions["date"].max()]
    cost = latest["sku"].map(products.set_index("sku")["unit_cost"])
    return {
        "reorder_lines": float((latest["recommended_order_qty"] > 0).sum()),
        "recommended_order_value": float((latest["recommended_order_qty"] * cost).sum()),
    }


def _slow_movers(weeks: pd.DataFrame) -> dict[str, float]:
    return {"slow_movers_at_risk": float(weeks[weeks["date"] == weeks["date"].max()]["at_risk"].sum())}


def twin(warehouse: Warehouse, key: str) -> float:
    result = warehouse.query_df(read_sql(f"queries/select_kpi_{key}.sql"))
    assert list(result.columns) == ["value"] and len(result) == 1, f"{key}: one row with `value`"
    assert result["value"].dtype == np.float64, f"{key}: value is {result['value'].dtype}"
    return float(result["value"].iloc[0])


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

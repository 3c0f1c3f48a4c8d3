"""The KPI contract (docs/warehouse.md) computed a second way: pandas over the lake's Parquet only
(curated/, marts/, raw/sales, reference/), never ClickHouse; and each KPI's SQL twin read from the warehouse.

Used by tests/integration/test_kpi_parity.py on a small chain and by tests/bench/test_kpi_parity_demo.py on
the demo's lake.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from infra.lake import lake_path
from infra.warehouse import SQL_DIR, Warehouse, read_sql
from tests import lake_reads

KPIS = sorted(p.stem.removeprefix("select_kpi_") for p in (SQL_DIR / "queries").glob("select_kpi_*.sql"))


def parquet(settings, relative: str) -> pd.DataFrame:
    """A day-partitioned asset's published days, or an unpartitioned folder (a reference dimension) whole."""
    if relative.startswith("reference/"):
        return pd.read_parquet(Path(lake_path(settings, relative)))
    frame = lake_reads.read_asset(settings, relative)
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
    keys = ["store_id", "sku", "date"]
    days = snapshot[[*keys, "sold", "store_silent"]]
    pairs = predictions[keys].assign(forecast=predictions["predicted_demand"].to_numpy())
    pairs = pairs.assign(actual=0.0, found=0, silent=False)
    for h in range(1, 8):
        target = pairs[keys].assign(date=pairs["date"] + timedelta(days=h))
        day = target.merge(days, on=keys, how="left")  # one snapshot row per key: order is kept
        pairs["actual"] += day["sold"].fillna(0).to_numpy(dtype=float)
        pairs["found"] += day["sold"].notna().to_numpy(dtype=int)
        pairs["silent"] |= day["store_silent"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    complete = pairs[(pairs["found"] == 7) & ~pairs["silent"]]
    return complete[[*keys, "forecast", "actual"]].reset_index(drop=True)


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

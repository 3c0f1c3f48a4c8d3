"""Loading built asset partitions and the reference dimensions into the warehouse tables (sql/ddl).

Reads the lake's Parquet with pyarrow (no Spark). Each load stages every table it changes in a copy of its
own (the months it rebuilds written afresh, the rest hard-linked) and publishes them together with EXCHANGE
TABLES (infra/warehouse_swap.py): a reader sees every month of the load or none, a failed load leaves the
old tables whole, and a rerun never duplicates rows. The same sql/dml files run on chdb and on a server.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from infra.lake import lake_fs, lake_path, read_published
from infra.settings import Settings
from infra.warehouse import Warehouse
from infra.warehouse_aggregates import months_of, stage_aggregates
from infra.warehouse_swap import TableSwap, atomic_load, render  # noqa: F401 - render: callers import it here
from spark.calendar import holiday_name

DATE_RANGE = (date(2010, 1, 1), date(2035, 12, 31))  # dim_date covers every day the simulator and M5 use
KEYS = {"store_id": "store_key", "sku": "product_key"}


def read_reference(settings: Settings, name: str) -> pd.DataFrame:
    """One reference dimension as written by the simulator."""
    return pq.read_table(lake_path(settings, f"reference/{name}"), filesystem=lake_fs(settings)).to_pandas()


def stage_days(swap: TableSwap, table: str, frame: pd.DataFrame, days: list[str]) -> None:
    """Stage `table` holding exactly `frame`'s rows for `days` and its other rows unchanged."""
    months = months_of(days)
    staging = swap.stage(table, {str(m) for m in months})
    quoted = ", ".join(f"'{date.fromisoformat(d)}'" for d in days)  # a day that is no date fails here
    swap.run(
        "dml/stage_kept_days.sql",
        table=table,
        staging=staging,
        months=", ".join(str(m) for m in sorted(months)),
        days=quoted,
    )
    swap.session.insert_df(staging, frame)


def stage_dimension(swap: TableSwap, table: str, frame: pd.DataFrame) -> None:
    """Stage an unpartitioned table's whole content as `frame` (never empty: a dimension must have rows)."""
    if frame.empty:
        raise ValueError(f"refusing to empty {table}: its reference data has no rows")
    swap.session.insert_df(swap.stage(table), frame)


# --- asset tables -----------------------------------------------------------------------------------------


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.rename(columns=KEYS)
    day = pd.to_datetime(frame["date"])
    frame["date_key"] = (day.dt.year * 10_000 + day.dt.month * 100 + day.dt.day).astype("int32")
    frame["date"] = day
    return frame


def inventory_rows(settings: Settings, frame: pd.DataFrame) -> pd.DataFrame:
    frame = _keyed(frame)
    counts = [
        "opening_on_hand",
        "sold",
        "returned",
        "received",
        "adjusted",
        "count_variance",
        "closing_on_hand",
        "discrepancy_units",
    ]
    return frame.astype({c: "int32" for c in counts})


def sales_rows(settings: Settings, raw: pd.DataFrame) -> pd.DataFrame:
    """raw_sales lines with revenue, cost and profit (returns negative), keyed for the star schema."""
    if raw.empty:
        return raw
    costs = read_reference(settings, "products").set_index("sku")["unit_cost"]
    sign = np.where(raw["kind"] == "return", -1, 1)
    quantity = (raw["quantity"] * sign).astype("int32")
    revenue = quantity * raw["unit_price"] - sign * raw["discount"]
    cost = quantity * raw["sku"].map(costs).fillna(0.0)
    frame = raw.assign(
        sale_id=raw["event_id"], quantity=quantity, revenue=revenue, cost=cost, profit=revenue - cost
    )
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return _keyed(frame)[
        [
            "sale_id",
            "kind",
            "basket_id",
            "date",
            "date_key",
            "ts",
            "store_key",
            "product_key",
            "quantity",
            "revenue",
            "cost",
            "profit",
        ]
    ]


def prediction_rows(settings: Settings, frame: pd.DataFrame) -> pd.DataFrame:
    frame = _keyed(frame)
    frame["stock_out_risk_score"] = frame.pop("stock_out_probability")
    ints = ["on_hand", "on_order", "case_pack", "min_order_units", "recommended_order_qty"]
    return frame.astype({c: "int32" for c in ints})


ANOMALY_COLUMNS = [
    "date",
    "date_key",
    "store_key",
    "product_key",
    "reason",
    "score",
    "units_sold",
    "expected_units",
    "spread",
    "sales_z",
    "count_variance",
    "discrepancy_units",
    "inventory_z",
    "stock_out",
]
SLOW_MOVER_COLUMNS = [
    "date",
    "date_key",
    "cutoff",
    "store_key",
    "product_key",
    "on_hand",
    "mean_daily_units_28",
    "days_since_last_sale",
    "days_of_cover",
    "shelf_life_days",
    "at_risk_probability",
    "at_risk",
    "method",
    "model_precision",
    "model_recall",
    "rule_precision",
    "rule_recall",
]

CROSS_SELL_COLUMNS = [
    "date",
    "date_key",
    "store_key",
    "product_key",
    "related_product_key",
    "rank",
    "affinity",
    "baskets_together",
    "method",
    "recall_at_10_als",
    "recall_at_10_popularity",
    "recall_at_10_co_occurrence",
    "eval_baskets",
]


def anomaly_rows(settings: Settings, frame: pd.DataFrame) -> pd.DataFrame:
    """The flagged sales_anomalies rows only: the work list, not the scores of every normal day."""
    if frame.empty:
        return frame
    frame = _keyed(frame[frame["is_anomaly"].astype(bool)].reset_index(drop=True))
    return frame.astype({"count_variance": "int32", "discrepancy_units": "int32"})[ANOMALY_COLUMNS]


def slow_mover_rows(settings: Settings, frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    frame = _keyed(frame)
    frame["cutoff"] = pd.to_datetime(frame["cutoff"]).dt.date
    return frame[SLOW_MOVER_COLUMNS]


def cross_sell_rows(settings: Settings, frame: pd.DataFrame) -> pd.DataFrame:
    """Every list: chain-wide under store_key 'ALL' (no dim_store row), each store's under its key."""
    if frame.empty:
        return frame
    frame = _keyed(frame.rename(columns={"related_sku": "related_product_key"}))
    # eval_baskets is null on co-occurrence weeks: Parquet gives floats with NaN, the table a Nullable(Int64)
    types = {"rank": "int32", "baskets_together": "int64", "eval_baskets": "Int64"}
    return frame.astype(types)[CROSS_SELL_COLUMNS]


def load_asset(ctx) -> dict[str, int]:
    """Load the partitions ctx just built into the asset's warehouse table, shaped by its declared rows
    function, with the aggregates that read the table (and the dimensions, when declared), all published
    together; rows per table."""
    target, days = ctx.asset.warehouse, [d for d in ctx.partitions if d]
    module, _, name = target.rows.partition(":")
    shape = getattr(importlib.import_module(module), name)
    frame = shape(ctx.settings, read_published(ctx.settings, ctx.asset.storage.path, days))
    dimensions = dimension_frames(ctx.settings) if target.dimensions else {}
    with _load(ctx.settings) as swap:
        for table, rows in dimensions.items():
            stage_dimension(swap, table, rows)
        stage_days(swap, target.table, frame, days)
        stage_aggregates(swap, {target.table}, months_of(days))
    return {target.table: len(frame)} | {table: len(rows) for table, rows in dimensions.items()}


@contextmanager
def _load(settings: Settings) -> Iterator[TableSwap]:
    """One atomic load on one warehouse session (on chdb the directory lock already excludes other loaders,
    so a load lock found there was left by a crash)."""
    warehouse = Warehouse(settings)
    with (
        warehouse.session() as session,
        atomic_load(
            session, holder_is_sole=not warehouse.is_server, wait_s=settings.warehouse_lock_timeout_s
        ) as swap,
    ):
        yield swap


# --- dimensions -------------------------------------------------------------------------------------------


def dimension_frames(settings: Settings) -> dict[str, pd.DataFrame]:
    """dim_store, dim_product and dim_date as the tables hold them."""
    stores = read_reference(settings, "stores")
    stores.insert(0, "store_key", stores["store_id"])
    products = read_reference(settings, "products").merge(
        read_reference(settings, "suppliers").rename(columns={"name": "supplier"}),
        on="supplier_id",
        how="left",
    )
    products.insert(0, "product_key", products["sku"])
    products = products.fillna(
        {"supplier": "", "lead_time_days": 0.0, "lead_time_std_days": 0.0, "min_order_units": 0}
    )
    ints = {
        "square_footage",
        "opens_at_hour",
        "closes_at_hour",
        "case_pack",
        "shelf_life_days",
        "min_order_units",
    }
    for frame in (stores, products):
        for column in ints & set(frame.columns):
            frame[column] = frame[column].astype("int32")
    return {"dim_store": stores, "dim_product": products, "dim_date": calendar_frame(*DATE_RANGE)}


def calendar_frame(first: date, last: date) -> pd.DataFrame:
    """One row per day with weekend and holiday attributes."""
    days = pd.date_range(first, last, freq="D")
    names = [holiday_name(d.date()) for d in days]
    return pd.DataFrame(
        {
            "date_key": days.strftime("%Y%m%d").astype("int32"),
            "date": days.date,
            "year": days.year.astype("int32"),
            "quarter": days.quarter.astype("int32"),
            "month": days.month.astype("int32"),
            "month_name": days.strftime("%B"),
            "day": days.day.astype("int32"),
            "day_of_week": (days.dayofweek + 1).astype("int32"),
            "day_name": days.strftime("%A"),
            "week_of_year": days.isocalendar().week.astype("int32").to_numpy(),
            "is_weekend": days.dayofweek >= 5,
            "is_holiday": [bool(n) for n in names],
            "holiday_name": names,
        }
    )


def load_dimensions(settings: Settings) -> dict[str, int]:
    """Replace dim_store, dim_product and dim_date from reference/ (and the calendar); rows per table."""
    frames = dimension_frames(settings)
    with _load(settings) as swap:
        for table, frame in frames.items():
            stage_dimension(swap, table, frame)
    return {table: len(frame) for table, frame in frames.items()}

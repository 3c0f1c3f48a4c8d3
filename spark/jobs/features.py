"""daily_features: per store x SKU x day, what a demand model knows before the day, and its units.

Every sales statistic for day D uses days <= D-1 only (the day's own units are the target). Windows are
ranges over the day number, so a missing day never shifts a lag. Price and promotion are the shelf state
in force on D (known in advance); stock_out marks a censored target.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from spark.calendar import day_range, holiday_name
from spark.context import JobContext, JobResult
from spark.jobs.inventory import SNAPSHOT_COLUMNS
from spark.jobs.lake_io import read_days, read_dimension, shift, write_days
from spark.schemas import RAW_PRICE_CHANGES

SERIES = ["store_id", "sku"]
LAGS = (1, 7, 14, 28)
WINDOWS = (7, 14, 28, 90)
PRICE_WINDOW = 28
STORE_ATTRIBUTES = ("store_type", "region", "square_footage")
PRODUCT_ATTRIBUTES = (
    "category",
    "sub_category",
    "brand",
    "unit_cost",
    "list_price",
    "case_pack",
    "shelf_life_days",
)


def build_daily_features(ctx: JobContext) -> JobResult:
    """Features for ctx.partitions from the trailing 91 days of inventory_snapshot and all price changes."""
    first, last = ctx.partitions[0], ctx.partitions[-1]
    snapshot = read_days(ctx, "inventory_snapshot", shift(first, -max(WINDOWS)), last, SNAPSHOT_COLUMNS)
    prices = read_days(ctx, "raw_price_changes", None, last, RAW_PRICE_CHANGES)
    stores, products = read_dimension(ctx, "stores"), read_dimension(ctx, "products")
    # a silent store's day (no sales sent while open) is censored like a stock-out: its zero is not demand
    censored = (F.col("stock_out") | F.col("store_silent")).alias("stock_out")
    frame = sales_features(snapshot.select(*SERIES, "date", F.col("sold").alias("units_sold"), censored))
    frame = with_shelf_price(frame, prices, products, shift(first, -max(WINDOWS)))
    frame = with_calendar(frame, ctx, first, last)
    frame = frame.join(stores.select("store_id", *STORE_ATTRIBUTES), "store_id", "left")
    frame = frame.join(products.select("sku", *PRODUCT_ATTRIBUTES), "sku", "left")
    rows = write_days(ctx, frame.where(F.col("date") >= F.lit(first).cast("date")))
    return JobResult(sum(rows.values()), rows_by_partition=rows)


def sales_features(daily: DataFrame) -> DataFrame:
    """Lags and trailing mean / std / max of units sold, from days strictly before each row's day."""
    by_day = Window.partitionBy(*SERIES).orderBy(F.unix_date("date"))
    columns = [
        F.sum("units_sold").over(by_day.rangeBetween(-k, -k)).cast("double").alias(f"lag_{k}") for k in LAGS
    ]
    for n in WINDOWS:
        trailing = by_day.rangeBetween(-n, -1)
        columns += [
            F.avg("units_sold").over(trailing).alias(f"mean_{n}"),
            F.stddev_samp("units_sold").over(trailing).alias(f"std_{n}"),
            F.max("units_sold").over(trailing).cast("double").alias(f"max_{n}"),
        ]
    return daily.select(
        *SERIES, "date", F.col("units_sold").cast("double").alias("units_sold"), "stock_out", *columns
    )


def with_shelf_price(frame: DataFrame, changes: DataFrame, products: DataFrame, start: str) -> DataFrame:
    """`frame` holds days from `start` on. Adds the price and promo in force each day (last change on or
    before it, else the list price) and the price relative to its mean over the 28 days before."""
    keys = [*SERIES, "date"]
    daily = changes.groupBy(*keys).agg(F.max_by(F.struct("price", "promo"), "ts").alias("shelf"))
    seed = (
        daily.where(F.col("date") < F.lit(start).cast("date"))
        .groupBy(*SERIES)
        .agg(F.max_by("shelf", "date").alias("seed"))
    )
    ordered = Window.partitionBy(*SERIES).orderBy("date").rowsBetween(Window.unboundedPreceding, 0)
    joined = (
        frame.join(daily, keys, "left")
        .join(seed, SERIES, "left")
        .withColumn("shelf", F.coalesce(F.last("shelf", ignorenulls=True).over(ordered), F.col("seed")))
    )
    priced = joined.join(products.select("sku", F.col("list_price").alias("_list")), "sku", "left")
    priced = priced.withColumn("price", F.coalesce(F.col("shelf.price"), F.col("_list")))
    priced = priced.withColumn("promo", F.coalesce(F.col("shelf.promo"), F.lit(False)))
    trailing = Window.partitionBy(*SERIES).orderBy(F.unix_date("date")).rangeBetween(-PRICE_WINDOW, -1)
    change = F.col("price") / F.avg("price").over(trailing) - 1.0
    return priced.withColumn("price_change_vs_28d", F.coalesce(change, F.lit(0.0))).drop(
        "shelf", "seed", "_list"
    )


def with_calendar(frame: DataFrame, ctx: JobContext, first: str, last: str) -> DataFrame:
    """Day of week (1 = Monday), ISO week, month and the holiday flag of each row's day."""
    days = [
        (d, bool(holiday_name(d))) for d in day_range(date.fromisoformat(first), date.fromisoformat(last))
    ]
    holidays = ctx.spark.createDataFrame(days, "date date, is_holiday boolean")
    return frame.join(holidays, "date", "inner").select(
        "*",
        ((F.dayofweek("date") + 5) % 7 + 1).alias("day_of_week"),
        F.weekofyear("date").alias("week_of_year"),
        F.month("date").alias("month"),
    )

"""inventory_snapshot: the daily stock ledger per store x SKU, built from the raw POS events.

Spark aggregates each day's events per store x SKU; the ledger itself is sequential (a day opens at the
previous day's closing), so it runs per series with `applyInPandas` over the whole requested day range at
once, seeded by this asset's own previous partition. Rules: spark/jobs/ledger.py.
"""

from __future__ import annotations

import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from spark.context import JobContext, JobResult
from spark.jobs.lake_io import read_days, read_dimension, shift, write_days
from spark.jobs.ledger import LEDGER_COLUMNS, run_ledgers
from spark.schemas import RAW_INVENTORY_UPDATES, RAW_RECEIPTS, RAW_SALES

SERIES = ["store_id", "sku"]
LEDGER_BUCKETS = 8  # pandas groups handed to the Python workers (a few per core, each under ~1 M rows at 7 M)
BUCKET = "_ledger_bucket"
COVER_DAYS = 28  # days of cover = closing / mean daily units sold over the trailing 28 days
SILENT_WEEKS = 4  # a store usually trades on a weekday it recorded sales on in one of the 4 weeks before
HISTORY_DAYS = max(COVER_DAYS - 1, 7 * SILENT_WEEKS)  # days of this asset read before the first built day
SNAPSHOT_COLUMNS = [
    ("store_id", "string"),
    ("sku", "string"),
    ("opening_on_hand", "bigint"),
    ("sold", "bigint"),
    ("returned", "bigint"),
    ("received", "bigint"),
    ("adjusted", "bigint"),
    ("count_variance", "bigint"),
    ("closing_on_hand", "bigint"),
    ("discrepancy", "boolean"),
    ("discrepancy_units", "bigint"),
    ("stock_out", "boolean"),
    ("stock_out_hours", "double"),
    ("days_of_cover", "double"),
    ("value_at_cost", "double"),
    ("value_at_retail", "double"),
    ("store_silent", "boolean"),
]


def build_inventory_snapshot(ctx: JobContext) -> JobResult:
    """Build ctx.partitions (and the days between them, which depend on each other) of the ledger."""
    first, last = ctx.partitions[0], ctx.partitions[-1]
    stores, products = read_dimension(ctx, "stores"), read_dimension(ctx, "products")
    days = day_aggregates(movements(ctx, first, last))
    previous = read_days(ctx, ctx.asset.name, shift(first, -HISTORY_DAYS), shift(first, -1), SNAPSHOT_COLUMNS)
    ledger = apply_ledger(dense_days(stores, products, days, first, last), previous)
    snapshot = with_position_measures(ledger, previous, stores, products)
    snapshot = with_silent_stores(snapshot, silent_store_days(stores, days, previous, first, last))
    rows = write_days(ctx, snapshot.select("date", *[c for c, _ in SNAPSHOT_COLUMNS]))
    return JobResult(sum(rows.values()), rows_by_partition=rows)


def movements(ctx: JobContext, first: str, last: str) -> DataFrame:
    """Every stock movement and count of the days, as (store_id, sku, date, ts, kind, quantity)."""
    keep = ["store_id", "sku", "date", "ts", "kind", "quantity"]
    sales = read_days(ctx, "raw_sales", first, last, RAW_SALES).select(*keep)
    receipts = read_days(ctx, "raw_receipts", first, last, RAW_RECEIPTS).withColumn("kind", F.lit("receipt"))
    updates = read_days(ctx, "raw_inventory_updates", first, last, RAW_INVENTORY_UPDATES).select(*keep)
    return sales.unionByName(receipts.select(*keep)).unionByName(updates)


def day_aggregates(events: DataFrame) -> DataFrame:
    """Per store x SKU x day: units sold / returned / received, signed adjustments, the last count and what
    moved after it, and when the last unit was sold."""
    delta = (
        F.when(F.col("kind") == "sale", -F.col("quantity"))
        .when(F.col("kind").isin("return", "receipt", "adjustment"), F.col("quantity"))
        .otherwise(0)
    )
    keys = [*SERIES, "date"]
    counts = (
        events.where(F.col("kind") == "count")
        .groupBy(*keys)
        .agg(F.max_by("quantity", "ts").alias("count_qty"), F.max("ts").alias("count_ts"))
    )
    moved = events.withColumn("delta", delta.cast("long")).join(counts, keys, "left")

    def total(kind: str):
        return F.sum(F.when(F.col("kind") == kind, F.col("quantity")).otherwise(0)).cast("long")

    return moved.groupBy(*keys).agg(
        total("sale").alias("sold"),
        total("return").alias("returned"),
        total("receipt").alias("received"),
        total("adjustment").alias("adjustments"),
        F.first("count_qty", ignorenulls=True).cast("long").alias("count_qty"),
        F.sum(F.when(F.col("ts") > F.col("count_ts"), F.col("delta")).otherwise(0))
        .cast("long")
        .alias("net_after_count"),
        F.max(F.when(F.col("kind") == "sale", F.col("ts"))).alias("last_sale_ts"),
    )


def dense_days(stores: DataFrame, products: DataFrame, days: DataFrame, first: str, last: str) -> DataFrame:
    """Every store x SKU x day of the range (from the dimensions); zero movement where nothing happened."""
    calendar = _calendar(days.sparkSession, first, last)
    grid = stores.select("store_id").crossJoin(products.select("sku")).crossJoin(calendar)
    dense = grid.join(days, [*SERIES, "date"], "left")
    dense = dense.withColumn("has_count", F.col("count_qty").isNotNull())
    return dense.fillna(
        0, subset=["sold", "returned", "received", "adjustments", "count_qty", "net_after_count"]
    )


def silent_store_days(stores: DataFrame, days: DataFrame, previous: DataFrame, first: str, last: str):
    """(store_id, date) of first..last where a store recorded no sales event (sale or return) although it
    usually trades that weekday and the rest of the chain traded that day.

    Closures are not in the data (reference/stores has opening hours only; the shops shut on Christmas Day
    and New Year's Day in the simulator's calendar, not in reference/), so "open" is inferred: the store had
    sales on the same weekday in one of the SILENT_WEEKS weeks before (this build's days or the stored
    ones), and some other store of the chain had sales that day (a chain-wide zero is a closure, and the
    raw_sales row-count band already flags a whole missing feed).
    """

    def trading(frame: DataFrame) -> DataFrame:
        units = F.sum(F.col("sold") + F.col("returned"))
        return frame.groupBy("store_id", "date").agg(units.alias("units")).where("units > 0").drop("units")

    traded_now = trading(days)
    traded = traded_now.unionByName(trading(previous))
    back = days.sparkSession.range(1, SILENT_WEEKS + 1).select((F.col("id") * 7).cast("int").alias("back"))
    usual = (
        stores.select("store_id")
        .crossJoin(_calendar(days.sparkSession, first, last))
        .crossJoin(back)
        .select("store_id", "date", F.date_sub("date", F.col("back")).alias("earlier"))
        .join(traded.withColumnRenamed("date", "earlier"), ["store_id", "earlier"], "left_semi")
        .select("store_id", "date")
        .distinct()
    )
    chain_trading = traded_now.select("date").distinct()
    return usual.join(traded_now, ["store_id", "date"], "left_anti").join(chain_trading, "date", "left_semi")


def with_silent_stores(snapshot: DataFrame, silent: DataFrame) -> DataFrame:
    """`store_silent`: the store sent no sales that day while open; its zero sales are missing data."""
    flagged = silent.withColumn("store_silent", F.lit(True))
    marked = snapshot.join(flagged, ["store_id", "date"], "left")
    return marked.withColumn("store_silent", F.coalesce(F.col("store_silent"), F.lit(False)))


def _calendar(spark, first: str, last: str) -> DataFrame:
    return spark.range(1).select(
        F.explode(F.sequence(F.lit(first).cast("date"), F.lit(last).cast("date"))).alias("date")
    )


def apply_ledger(dense: DataFrame, previous: DataFrame) -> DataFrame:
    """Run the sequential ledger per store x SKU, opening at the previous day's closing when there is one.

    Series go to the Python workers in LEDGER_BUCKETS hash buckets, each stepped through its days for all
    its series at once (`run_ledgers`): one pandas call per series cost ~3 ms each, whatever the days.
    """
    last_prev = previous.groupBy(*SERIES).agg(F.max_by("closing_on_hand", "date").alias("prev_closing"))
    first_day = dense.agg(F.min("date")).first()[0]
    prev_day = previous.where(F.col("date") == F.date_sub(F.lit(first_day), 1)).select(*SERIES)
    seeded = dense.join(last_prev.join(prev_day, SERIES), SERIES, "left")
    schema = ", ".join(
        [f"{c} {t}" for c, t in _ledger_input_schema(seeded)]
        + [f"{c} {'boolean' if c == 'discrepancy' else 'bigint'}" for c in LEDGER_COLUMNS]
    )
    bucket = F.pmod(F.xxhash64(*SERIES), F.lit(LEDGER_BUCKETS)).alias(BUCKET)
    return seeded.select("*", bucket).groupBy(BUCKET).applyInPandas(_ledger_bucket, schema)


def _ledger_input_schema(frame: DataFrame) -> list[tuple[str, str]]:
    return [(f.name, f.dataType.simpleString()) for f in frame.schema.fields]


def _ledger_bucket(group: pd.DataFrame) -> pd.DataFrame:
    group = group.drop(columns=BUCKET).sort_values([*SERIES, "date"]).reset_index(drop=True)
    return pd.concat([group, run_ledgers(group, SERIES)], axis=1)


def with_position_measures(ledger: DataFrame, previous: DataFrame, stores: DataFrame, products: DataFrame):
    """Stock-out flag and hours, days of cover and stock value, from the ledger and the dimensions."""
    history = previous.select(*SERIES, "date", "sold").withColumn("current", F.lit(False))
    trail = Window.partitionBy(*SERIES).orderBy(F.unix_date("date")).rangeBetween(-(COVER_DAYS - 1), 0)
    both = ledger.withColumn("current", F.lit(True)).unionByName(history, allowMissingColumns=True)
    both = both.withColumn("mean_sold", F.avg("sold").over(trail)).where("current")
    hours = stores.select(
        "store_id", (F.col("closes_at_hour") - F.col("opens_at_hour")).alias("open_hours"), "closes_at_hour"
    )
    last_sale = F.hour("last_sale_ts") + F.minute("last_sale_ts") / 60.0
    out = both.join(hours, "store_id", "left").join(
        products.select("sku", "unit_cost", "list_price"), "sku", "left"
    )
    stock_out = F.col("closing_on_hand") <= 0
    hours_out = F.when(F.col("last_sale_ts").isNull(), F.col("open_hours")).otherwise(
        F.least(F.greatest(F.col("closes_at_hour") - last_sale, F.lit(0.0)), F.col("open_hours"))
    )
    return out.select(
        "*",
        stock_out.alias("stock_out"),
        F.when(stock_out, hours_out.cast("double")).otherwise(0.0).alias("stock_out_hours"),
        F.when(F.col("mean_sold") > 0, F.col("closing_on_hand") / F.col("mean_sold")).alias("days_of_cover"),
        (F.col("closing_on_hand") * F.col("unit_cost")).alias("value_at_cost"),
        (F.col("closing_on_hand") * F.col("list_price")).alias("value_at_retail"),
    )

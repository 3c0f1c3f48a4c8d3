"""open_orders: per store x SKU and day, the units ordered from suppliers and not yet delivered.

An order line (po_id x store x SKU) is open from the day it is placed until receipts naming it (partial
deliveries add up) and supplier cancellations cover what was ordered. On each day its outstanding units are
the ordered units less what was received or cancelled by the end of that day; a line whose promised arrival
has passed is still on order (late, not lost: only a cancellation closes it) and counts as overdue.
Receipts that name no placed order (a direct delivery, or an order older than the events) change stock but
nothing on order. Every store x SKU of the reference dimensions gets a row each day (zero: nothing open).
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from spark.context import JobContext, JobResult
from spark.jobs.lake_io import read_days, read_dimension, write_days
from spark.schemas import RAW_PURCHASE_ORDERS, RAW_RECEIPTS

LINE = ["po_id", "store_id", "sku"]
OPEN_ORDER_COLUMNS = [
    ("store_id", "string"),
    ("sku", "string"),
    ("on_order", "bigint"),  # units outstanding at the end of the day
    ("open_lines", "int"),
    ("next_due_date", "date"),  # earliest promised arrival of an open line (not after the day: overdue)
    ("overdue_units", "bigint"),  # outstanding units whose promised arrival day has passed
]


def build_open_orders(ctx: JobContext) -> JobResult:
    """ctx.partitions of open_orders from every order and receipt up to the last of them."""
    first, last = ctx.partitions[0], ctx.partitions[-1]
    orders = read_days(ctx, "raw_purchase_orders", None, last, RAW_PURCHASE_ORDERS)
    receipts = read_days(ctx, "raw_receipts", None, last, RAW_RECEIPTS)
    days = ctx.spark.createDataFrame([(d,) for d in ctx.partitions], "day string").select(
        F.to_date("day").alias("date")
    )
    per_line = outstanding_by_day(order_lines(orders), movements(orders, receipts), first, last)
    pairs = (
        read_dimension(ctx, "stores")
        .select("store_id")
        .crossJoin(read_dimension(ctx, "products").select("sku"))
    )
    frame = open_by_pair(per_line, pairs.crossJoin(days))
    rows = write_days(ctx, frame.select("date", *[c for c, _ in OPEN_ORDER_COLUMNS]))
    return JobResult(sum(rows.values()), rows_by_partition=rows)


def order_lines(orders: DataFrame) -> DataFrame:
    """One row per placed order line: units ordered, day placed, promised arrival day (the newest
    `placed` event of a line wins, so a re-sent order with a new quantity amends it)."""
    placed = orders.where(F.col("kind") == "placed")
    return placed.groupBy(*LINE).agg(
        F.max_by("quantity", "ts").cast("long").alias("ordered"),
        F.to_date(F.min("ts")).alias("placed_date"),
        F.to_date(F.max_by("expected_arrival", "ts")).alias("due_date"),
    )


def movements(orders: DataFrame, receipts: DataFrame) -> DataFrame:
    """Units that left the open order per line and day: received, or cancelled by the supplier."""
    cancelled = orders.where(F.col("kind") == "cancelled").select(*LINE, "quantity", "ts")
    received = receipts.where(F.col("po_id").isNotNull()).select(*LINE, "quantity", "ts")
    return (
        cancelled.unionByName(received)
        .groupBy(*LINE, F.to_date("ts").alias("date"))
        .agg(F.sum("quantity").cast("long").alias("units"))
    )


def outstanding_by_day(lines: DataFrame, moved: DataFrame, first: str, last: str) -> DataFrame:
    """(line, date, outstanding, due_date) for every day first..last on which a line is open."""
    so_far = Window.partitionBy(*LINE).orderBy("date").rowsBetween(Window.unboundedPreceding, 0)
    known = moved.join(lines.select(*LINE), LINE, "left_semi")
    steps = known.withColumn("moved", F.sum("units").over(so_far))
    closed = (
        steps.join(lines, LINE)
        .where(F.col("moved") >= F.col("ordered"))
        .groupBy(*LINE)
        .agg(F.min("date").alias("closed_date"))
    )
    last_day = F.lit(last).cast("date")
    span_end = F.least(F.coalesce(F.date_sub("closed_date", 1), last_day), last_day)
    span_start = F.greatest("placed_date", F.lit(first).cast("date"))
    open_days = (
        lines.join(closed, LINE, "left")
        .where(span_start <= span_end)
        .select(*LINE, "ordered", "due_date", F.explode(F.sequence(span_start, span_end)).alias("date"))
    )
    by_then = open_days.alias("o").join(
        steps.alias("s"),
        [F.col(f"o.{c}") == F.col(f"s.{c}") for c in LINE] + [F.col("s.date") <= F.col("o.date")],
        "left",
    )
    keys = [F.col(f"o.{c}").alias(c) for c in (*LINE, "date", "ordered", "due_date")]
    moved_by = by_then.groupBy(*keys).agg(F.coalesce(F.max("s.moved"), F.lit(0)).alias("moved"))
    return moved_by.withColumn("outstanding", F.col("ordered") - F.col("moved"))


def open_by_pair(per_line: DataFrame, pair_days: DataFrame) -> DataFrame:
    """Per store x SKU x day: units on order, open lines, next promised arrival, overdue units."""
    late = F.col("due_date") <= F.col("date")  # promised before opening that day, still not here at close
    summary = per_line.groupBy("store_id", "sku", "date").agg(
        F.sum("outstanding").alias("on_order"),
        F.count("*").cast("int").alias("open_lines"),
        F.min("due_date").alias("next_due_date"),
        F.sum(F.when(late, F.col("outstanding")).otherwise(0)).alias("overdue_units"),
    )
    return pair_days.join(summary, ["store_id", "sku", "date"], "left").fillna(
        {"on_order": 0, "open_lines": 0, "overdue_units": 0}
    )

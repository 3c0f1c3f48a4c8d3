"""sales_anomalies: unusual sales days and stock-count discrepancies per store x SKU, a score and a reason.

Why robust z-scores over a trailing window, not a model:
- MLlib has no Isolation Forest, and a clustering distance (k-means) scores a point against the chain's
  typical *profile*, not against the series' own past: a fast seller would look "anomalous" every day.
- A residual needs an expected value. The trailing 28-day median is itself a robust forecast for one day
  that needs no trained model, so this asset depends only on inventory_snapshot (not on the weekly
  demand_model, which may not exist yet, or change champion mid-history and shift every score).
- Median and MAD ignore the outliers they are meant to find (a mean and standard deviation are dragged by
  a single spike, hiding the next one). Stock-out days are left out of the history: their sales are censored.
- Daily units are small counts: a MAD of 0 (a slow mover selling 0 most days) would make one sale
  "infinitely" unusual, so the spread is floored by the Poisson deviation sqrt(median) and by one unit.
- Weekday seasonality is taken out first: each day's units are divided by its store's weekday index (the
  store's mean units on that weekday over the 28 days before, relative to its mean day), so the median and
  MAD describe an ordinary day and a busy Saturday is expected to be busy. Left in, a grocery weekend
  (~1.8x an average day) either looks like a spike every week or, for fast sellers, widens the spread until
  real spikes hide in it. The store index pools every SKU, so it is stable where a series' own four
  Saturdays are not.

Per row (expected = median x the day's weekday index, spread in units likewise):
`sales_z = (sold - expected) / spread`, `inventory_z = |count_variance| / spread` (units a shelf count
found missing or extra, counted in the same typical daily deviations), `score = max(|sales_z|, inventory_z)`.
A row is an anomaly when its score passes THRESHOLD and the units involved pass MIN_UNITS; the reason is
the larger of the two signals: sales_spike, sales_drop (not on a stock-out day: an empty shelf explains it),
count_shortfall (shrinkage: the count found fewer units than the book), count_surplus, or negative_book
(the ledger sold more than it held: a receipt or a count is missing).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

SERIES = ["store_id", "sku"]
HISTORY_DAYS = 28
MIN_HISTORY_DAYS = 14  # fewer non-stock-out days before D: no sales score yet (a new product)
THRESHOLD = 4.0
MIN_UNITS = 3
MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its standard deviation
REASONS = ("none", "sales_spike", "sales_drop", "count_shortfall", "count_surplus", "negative_book")


def score_anomalies(snapshot: DataFrame) -> DataFrame:
    """Score every snapshot row against the HISTORY_DAYS before it (rows older than that only as history).

    `snapshot` has store_id, sku, date, sold, stock_out, count_variance and discrepancy_units.
    """
    trailing = Window.partitionBy(*SERIES).orderBy(F.unix_date("date")).rangeBetween(-HISTORY_DAYS, -1)
    frame = snapshot.join(weekday_index(snapshot), ["store_id", "date"], "left").fillna(1.0, ["_index"])
    ordinary = F.when(~F.col("stock_out"), F.col("sold") / F.col("_index"))  # units of an ordinary day
    history = F.array_sort(F.collect_list(ordinary).over(trailing))
    frame = frame.withColumn("_history", history.cast("array<double>"))
    frame = frame.withColumn("_typical", median(F.col("_history")))
    deviations = F.transform("_history", lambda v: F.abs(v - F.col("_typical")))
    mad = median(F.array_sort(deviations))
    expected = F.col("_typical") * F.col("_index")
    spread = F.greatest(
        F.coalesce(mad * MAD_TO_SIGMA * F.col("_index"), F.lit(0.0)),
        F.sqrt(F.coalesce(expected, F.lit(0.0))),
        F.lit(1.0),
    )
    frame = frame.withColumn("expected_units", expected)
    frame = frame.withColumn("spread", spread).withColumn("history_days", F.size("_history"))
    return with_verdict(frame.drop("_history", "_typical", "_index"))


def weekday_index(snapshot: DataFrame) -> DataFrame:
    """Per store and day: the store's mean units on that weekday over the HISTORY_DAYS before, relative to
    its mean day over them (1.0 until the store has history; bounded so one odd week cannot dominate)."""
    days = snapshot.groupBy("store_id", "date").agg(F.sum("sold").cast("double").alias("units"))
    before = F.unix_date("date")
    overall = Window.partitionBy("store_id").orderBy(before).rangeBetween(-HISTORY_DAYS, -1)
    same_day = (
        Window.partitionBy("store_id", F.dayofweek("date")).orderBy(before).rangeBetween(-HISTORY_DAYS, -1)
    )
    index = F.try_divide(F.avg("units").over(same_day), F.avg("units").over(overall))
    bounded = F.least(F.greatest(F.coalesce(index, F.lit(1.0)), F.lit(0.25)), F.lit(4.0))
    return days.select("store_id", "date", bounded.alias("_index"))


def median(sorted_values: Column) -> Column:
    """Median of a sorted array column (null when empty)."""
    n = F.size(sorted_values)
    low = F.get(sorted_values, F.floor((n - 1) / 2).cast("int"))
    high = F.get(sorted_values, F.ceil((n - 1) / 2).cast("int"))
    return F.when(n > 0, (low + high) / 2.0)


def with_verdict(frame: DataFrame) -> DataFrame:
    """z-scores, the score, the reason and the anomaly flag from expected_units, spread and history_days."""
    sold, expected = F.col("sold").cast("double"), F.col("expected_units")
    scored = F.col("history_days") >= MIN_HISTORY_DAYS
    sales_z = F.when(scored, (sold - expected) / F.col("spread"))
    inventory_units = F.greatest(F.abs(F.col("count_variance")), F.col("discrepancy_units")).cast("double")
    frame = frame.select(
        *SERIES,
        "date",
        sold.alias("units_sold"),
        "expected_units",
        "spread",
        F.col("history_days").cast("int").alias("history_days"),
        "stock_out",
        sales_z.alias("sales_z"),
        F.col("count_variance").cast("bigint").alias("count_variance"),
        F.col("discrepancy_units").cast("bigint").alias("discrepancy_units"),
        (inventory_units / F.col("spread")).alias("inventory_z"),
        inventory_units.alias("_inventory_units"),
    )
    return frame.select("*", *_reason_columns()).drop("_inventory_units")


def _reason_columns() -> list[Column]:
    sales_abs = F.coalesce(F.abs("sales_z"), F.lit(0.0))
    gap = F.abs(F.col("units_sold") - F.col("expected_units"))
    drop_explained = (F.col("sales_z") < 0) & F.col("stock_out")
    sales_flag = (sales_abs >= THRESHOLD) & (gap >= MIN_UNITS) & ~F.coalesce(drop_explained, F.lit(False))
    inventory_flag = (F.col("inventory_z") >= THRESHOLD) & (F.col("_inventory_units") >= MIN_UNITS)
    sales_wins = sales_flag & (~inventory_flag | (sales_abs >= F.col("inventory_z")))
    reason = (
        F.when(sales_wins & (F.col("sales_z") > 0), "sales_spike")
        .when(sales_wins, "sales_drop")
        .when(inventory_flag & (F.col("discrepancy_units") >= F.abs("count_variance")), "negative_book")
        .when(inventory_flag & (F.col("count_variance") < 0), "count_shortfall")
        .when(inventory_flag, "count_surplus")
        .otherwise("none")
    )
    return [
        F.greatest(sales_abs, F.col("inventory_z")).alias("score"),
        reason.alias("reason"),
        (sales_flag | inventory_flag).alias("is_anomaly"),
    ]

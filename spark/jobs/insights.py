"""sales_anomalies (daily), slow_movers and cross_sell (weekly): thin jobs over spark/ml/{anomalies,
slow_movers,cross_sell}.py.

Backfills: like demand_model, a run asked for many weeks fits its models only for the newest
TRAIN_NEWEST_WEEKS of them (a slow-mover list or an affinity table for a week long past drives no decision);
older weeks are written with the transparent baseline each model is measured against (the cover rule,
co-occurrence counts), labelled in the `method` column, so every requested partition exists.
A backfilled cross_sell week holds the chain-wide list (store_id ALL) only: per-store lists are for the
store's shelves this week, and for a year of demo weeks at 20 stores they would be ~5M more rows gated and
loaded for nothing (about 96k rows a week at 20 stores x 500 SKUs, against at most 5k chain-wide).
"""

from __future__ import annotations

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark.context import JobContext, JobResult
from spark.jobs.inventory import SNAPSHOT_COLUMNS
from spark.jobs.lake_io import read_days, read_dimension, shift, write_days
from spark.ml import anomalies, cross_sell, slow_movers
from spark.schemas import RAW_SALES, spark_schema

TRAIN_NEWEST_WEEKS = 2
BASKET_WEEKS = (
    8  # cross_sell learns from the baskets of the 8 weeks up to the cutoff; the last one is held out
)
MIN_TRAIN_ORIGINS = 3  # Sundays of labelled origins a forest needs besides its test weeks
ALS = cross_sell.AlsConfig()
FOREST = slow_movers.ForestConfig()
RECALLS = ("als", "popularity", "co_occurrence")


def build_sales_anomalies(ctx: JobContext) -> JobResult:
    """Score ctx.partitions against the 28 days of inventory_snapshot before each."""
    first, last = ctx.partitions[0], ctx.partitions[-1]
    snapshot = read_days(
        ctx, "inventory_snapshot", shift(first, -anomalies.HISTORY_DAYS), last, SNAPSHOT_COLUMNS
    )
    columns = ["store_id", "sku", "date", "sold", "stock_out", "count_variance", "discrepancy_units"]
    scored = anomalies.score_anomalies(snapshot.select(*columns))
    rows = write_days(ctx, scored.where(F.col("date") >= F.lit(first).cast("date")))
    return JobResult(sum(rows.values()), rows_by_partition=rows)


# --- slow_movers ------------------------------------------------------------------------------------------


def build_slow_movers(ctx: JobContext) -> JobResult:
    """Per week (Monday key, Sunday cutoff): the at-risk flag of every store x SKU at the cutoff."""
    cutoffs = {monday: shift(monday, 6) for monday in ctx.partitions}
    newest = ctx.partitions[-TRAIN_NEWEST_WEEKS:]
    history = slow_movers.LABELLED_WEEKS * 7 + slow_movers.HORIZON_DAYS
    first = min(
        shift(cutoffs[ctx.partitions[0]], -slow_movers.FEATURE_DAYS),
        shift(cutoffs[newest[0]], -history - slow_movers.FEATURE_DAYS),
    )
    snapshot = read_days(ctx, "inventory_snapshot", first, cutoffs[ctx.partitions[-1]], SNAPSHOT_COLUMNS)
    sundays = slow_movers.origins(snapshot, read_dimension(ctx, "products"))
    sundays = sundays.where(F.dayofweek("date") == 1).cache()
    weeks, metrics = [], {}
    for monday, cutoff in cutoffs.items():
        scored, found = _slow_movers_week(sundays, cutoff, train=monday in newest)
        weeks.append(scored.withColumn("date", F.lit(monday).cast("date")))
        metrics[monday] = found
    frame = weeks[0]
    for week in weeks[1:]:
        frame = frame.unionByName(week)
    rows = write_days(ctx, frame)
    sundays.unpersist()
    return JobResult(sum(rows.values()), rows_by_partition=rows, details={"metrics": metrics})


def _slow_movers_week(sundays: DataFrame, cutoff: str, train: bool) -> tuple[DataFrame, dict]:
    current = sundays.where(F.col("date") == F.lit(cutoff).cast("date"))
    last_known = shift(cutoff, -slow_movers.HORIZON_DAYS)
    span = slow_movers.LABELLED_WEEKS * 7
    labelled = sundays.where(
        F.col("date").between(
            F.lit(shift(last_known, -span + 1)).cast("date"), F.lit(last_known).cast("date")
        )
        & F.col("label").isNotNull()
    )
    reason = _cannot_train(labelled) if train else "backfill: only the newest weeks of a run are trained"
    if reason:
        scored = current.withColumn("at_risk_probability", F.lit(None).cast("double")).withColumn(
            "at_risk", F.col("rule_at_risk")
        )
        return _slow_movers_output(scored, "cover_rule", {}), {"method": "cover_rule", "reason": reason}
    scored, metrics = slow_movers.train_and_score(labelled, current, FOREST)
    return _slow_movers_output(scored, "random_forest", metrics), {"method": "random_forest", **metrics}


def _cannot_train(labelled: DataFrame) -> str:
    stats = labelled.agg(F.countDistinct("date").alias("origins"), F.countDistinct("label").alias("classes"))
    row = stats.first()
    if row["origins"] < slow_movers.TEST_WEEKS + slow_movers.EMBARGO_WEEKS + MIN_TRAIN_ORIGINS:
        needed = slow_movers.TEST_WEEKS + slow_movers.EMBARGO_WEEKS + MIN_TRAIN_ORIGINS
        return f"only {row['origins']} weeks of labelled origins (< {needed})"
    if row["classes"] < 2:
        return "labelled origins hold only one class"
    return ""


def _slow_movers_output(scored: DataFrame, method: str, metrics: dict) -> DataFrame:
    def metric(name: str, kind: str = "double"):
        return F.lit(metrics.get(name)).cast(kind).alias(name)

    return scored.select(
        "store_id",
        "sku",
        F.col("date").alias("cutoff"),
        "on_hand",
        F.col("mean_28").alias("mean_daily_units_28"),
        "days_since_last_sale",
        "days_of_cover",
        "shelf_life_days",
        "stock_out_days_28",
        "at_risk_probability",
        "at_risk",
        F.lit(method).alias("method"),
        metric("model_precision"),
        metric("model_recall"),
        metric("rule_precision"),
        metric("rule_recall"),
        metric("test_rows", "bigint"),
    )


# --- cross_sell -------------------------------------------------------------------------------------------


def build_cross_sell(ctx: JobContext) -> JobResult:
    """Per week: the TOP_N related products of every product sold in the 8 weeks up to the cutoff, chain-wide
    (store_id ALL) and per store (from the store's baskets, see spark/ml/cross_sell.py)."""
    cutoffs = {monday: shift(monday, 6) for monday in ctx.partitions}
    first = shift(cutoffs[ctx.partitions[0]], -BASKET_WEEKS * 7 + 1)
    lines = read_days(ctx, "raw_sales", first, cutoffs[ctx.partitions[-1]], RAW_SALES)
    lines = lines.where(F.col("kind") == "sale").select("store_id", "basket_id", "sku", "date").distinct()
    lines = lines.toPandas()
    lines["date"] = pd.to_datetime(lines["date"]).dt.date.astype(str)
    newest, weeks = set(ctx.partitions[-TRAIN_NEWEST_WEEKS:]), []
    for monday, cutoff in cutoffs.items():
        window = lines[(lines["date"] > shift(cutoff, -BASKET_WEEKS * 7)) & (lines["date"] <= cutoff)]
        table = _cross_sell_week(ctx, window, cutoff, train=monday in newest)
        weeks.append(table.assign(date=pd.Timestamp(monday).date()))
    frame = pd.concat(weeks, ignore_index=True)[[name for name, _ in CROSS_SELL_COLUMNS]]
    rows = write_days(ctx, ctx.spark.createDataFrame(frame, schema=spark_schema(CROSS_SELL_COLUMNS)))
    metrics = _week_metrics(ctx, weeks)
    return JobResult(sum(rows.values()), rows_by_partition=rows, details={"metrics": metrics})


CROSS_SELL_COLUMNS = [
    ("store_id", "string"),
    ("sku", "string"),
    ("related_sku", "string"),
    ("rank", "int"),
    ("affinity", "double"),
    ("baskets_together", "bigint"),
    ("method", "string"),
    ("recall_at_10_als", "double"),
    ("recall_at_10_popularity", "double"),
    ("recall_at_10_co_occurrence", "double"),
    ("eval_baskets", "bigint"),
    ("date", "date"),
]
MEASURES = ["method", "recall_at_10_als", "recall_at_10_popularity", "eval_baskets"]


def _week_metrics(ctx: JobContext, weeks: list[pd.DataFrame]) -> dict:
    """Per week: the chain-wide figures, and the stores' as {store_id: figures} under "stores"."""
    metrics = {}
    for monday, week in zip(ctx.partitions, weeks, strict=True):
        if not len(week):
            continue
        scopes = week.drop_duplicates("store_id").set_index("store_id")[MEASURES].astype(object)
        scopes = scopes.where(scopes.notna(), None)
        chain = scopes.loc[cross_sell.ALL_STORES].to_dict()
        metrics[str(monday)] = {**chain, "stores": scopes.drop(cross_sell.ALL_STORES).to_dict("index")}
    return metrics


def _cross_sell_week(ctx: JobContext, window: pd.DataFrame, cutoff: str, train: bool) -> pd.DataFrame:
    baskets = cross_sell.basket_items(window)
    stores = sorted(baskets["store_id"].unique())
    if not train:  # a week long past: chain-wide only (module docstring)
        return _chain_co_occurrence(baskets, cutoff)
    held_out_days = window["date"] > shift(cutoff, -7)
    held_out = baskets["basket_id"].isin(set(window.loc[held_out_days, "basket_id"]))
    measured = _measure(ctx, baskets, held_out, stores)
    chain = cross_sell.fit(ctx.spark, baskets, ALS)
    models = {cross_sell.ALL_STORES: chain} | {
        s: cross_sell.store_model(chain, baskets[baskets["store_id"] == s], ALS) for s in stores
    }
    recalls = {f"recall_at_10_{m}": "Float64" for m in RECALLS}
    tables = [
        cross_sell.top_related(model, method="als")
        .assign(store_id=scope, method="als", **measured[scope])
        .astype({**recalls, "eval_baskets": "Int64"})
        for scope, model in models.items()
    ]
    return pd.concat([t for t in tables if len(t)], ignore_index=True)


def _measure(ctx: JobContext, baskets: pd.DataFrame, held_out: pd.Series, stores: list[str]) -> dict:
    """recall@10 on the held-out week, chain-wide and per store, from one fit on the weeks before it."""
    nothing = {**{f"recall_at_10_{m}": None for m in RECALLS}, "eval_baskets": 0}
    measured = {scope: nothing for scope in [cross_sell.ALL_STORES, *stores]}
    if not (~held_out).any():  # the first week of history has nothing older to learn from
        return measured
    trained = cross_sell.fit(ctx.spark, baskets[~held_out], ALS)
    measured[cross_sell.ALL_STORES] = cross_sell.recall_at_k(trained, baskets[held_out])
    for store in stores:
        mine = baskets["store_id"] == store
        if (mine & ~held_out).any():
            model = cross_sell.store_model(trained, baskets[mine & ~held_out], ALS)
            measured[store] = cross_sell.recall_at_k(model, baskets[mine & held_out])
    return measured


def _chain_co_occurrence(baskets: pd.DataFrame, cutoff: str) -> pd.DataFrame:
    table = cross_sell.top_related(cross_sell.counts(baskets)[0], method="co_occurrence")
    if table.empty:  # every basket holds one product: basket ids are missing or broken upstream
        raise ValueError(f"cross_sell: no basket with two or more products in the 8 weeks to {cutoff}")
    missing = pd.array([None] * len(table), dtype="Float64")
    return table.assign(
        store_id=cross_sell.ALL_STORES,
        method="co_occurrence",
        recall_at_10_als=missing,
        recall_at_10_popularity=missing,
        recall_at_10_co_occurrence=missing,
        eval_baskets=pd.array([None] * len(table), dtype="Int64"),
    )

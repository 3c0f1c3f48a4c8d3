"""Reading and writing day-partitioned lake assets and the reference dimensions from Spark jobs."""

from __future__ import annotations

from datetime import date, timedelta

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from infra.lake import published_days, spark_url
from spark.context import JobContext
from spark.contracts import CONTRACTS, check
from spark.schemas import DIM_PRODUCTS, DIM_STORES, DIM_SUPPLIERS, spark_schema

DIMENSIONS = {"stores": DIM_STORES, "products": DIM_PRODUCTS, "suppliers": DIM_SUPPLIERS}


def stored_days(ctx: JobContext, asset: str) -> list[str]:
    """The days an asset has published (sorted day keys), from its published index."""
    return sorted(published_days(ctx.settings, ctx.location(asset)))


def read_days(
    ctx: JobContext, asset: str, first: str | None, last: str, columns: list[tuple[str, str]]
) -> DataFrame:
    """An asset's published rows for days first..last (None: from the beginning) with a `date` column.

    Each day is read from the build the asset's published index names for it. Missing days are simply
    absent; with no day at all the frame is empty but typed by `columns`.
    """
    folders = published_days(ctx.settings, ctx.location(asset))
    days = [d for d in folders if (first is None or d >= first) and d <= last]
    if not days:
        return ctx.spark.createDataFrame([], spark_schema([*columns, ("date", "date")]))
    # Day folders of several builds have no common base to discover `date=` from: take it from each file.
    frame = ctx.spark.read.parquet(*[spark_url(ctx.settings, folders[d]) for d in days])
    day = F.regexp_extract(F.col("_metadata.file_path"), r"/date=(\d{4}-\d{2}-\d{2})/", 1)
    return frame.withColumn("date", F.to_date(day))


def read_dimension(ctx: JobContext, name: str) -> DataFrame:
    """A reference dimension (stores, products, suppliers) the asset declares, with its contract's columns."""
    columns = DIMENSIONS[name]
    frame = ctx.spark.read.parquet(ctx.path(name))
    return check(frame.select(*[F.col(c).cast(t).alias(c) for c, t in columns]), name)


def write_days(ctx: JobContext, frame: DataFrame) -> dict[str, int]:
    """Stage exactly ctx.partitions of this asset from `frame`'s rows of those days; rows per day."""
    wanted = frame.where(F.col("date").isin([F.lit(d).cast("date") for d in ctx.partitions])).cache()
    if ctx.asset.name in CONTRACTS:  # fail before anything is written, naming the column and the rule
        check(wanted, ctx.asset.name)
    counts = {
        r["day"]: r["n"]
        for r in wanted.groupBy(F.date_format("date", "yyyy-MM-dd").alias("day"))
        .agg(F.count("*").alias("n"))
        .collect()
    }
    missing = [d for d in ctx.partitions if d not in counts]
    if missing:
        raise ValueError(f"{ctx.asset.name}: no rows computed for {', '.join(missing)}")
    wanted.repartition(F.col("date")).write.mode("overwrite").partitionBy("date").parquet(ctx.output_path())
    wanted.unpersist()
    return {d: int(counts[d]) for d in ctx.partitions}


def shift(day: str, days: int) -> str:
    """The day key `days` after `day` (negative: before)."""
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()

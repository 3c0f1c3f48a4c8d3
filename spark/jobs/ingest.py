"""Kafka -> raw_* assets: one batch over the offsets not yet committed, validated, deduplicated, by day.

Steps of one run: read [checkpoint, latest) from the broker; classify every event (spark/jobs/pos_events.py);
drop exact duplicates and quarantine conflicting ones (same event_id, other content, checked also against
rows already in the lake); rewrite each day that changed as old + new rows, sorted; write the quarantine and
the dead-letter topic; then the `_partitions.json` index; then the checkpoint. A crash anywhere before the
checkpoint makes the next run read the same offsets again, which rewrites the same rows: nothing is lost or
doubled.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from infra.lake import lake_fs, lake_path, read_partition_versions, spark_url, write_partition_versions
from spark.context import JobContext, JobResult
from spark.jobs import ingest_state as state
from spark.jobs import pos_events
from spark.jobs.pos_events import DETAIL, PAYLOAD, REASON
from spark.schemas import DEAD_LETTER_TOPIC, QUARANTINE, RAW_SCHEMAS, TOPICS, spark_schema

QUARANTINE_PATH = "raw/_quarantine"
STAGING_PATH = "raw/_staging"


class QuarantineRateExceeded(RuntimeError):
    """Too large a share of a batch was bad: nothing was committed, the quarantine says what and why."""


def ingest_sales(ctx: JobContext) -> JobResult:
    """raw_sales from `sales-transactions`."""
    return ingest(ctx, "sales-transactions")


def ingest_receipts(ctx: JobContext) -> JobResult:
    """raw_receipts from `supplier-shipments`."""
    return ingest(ctx, "supplier-shipments")


def ingest_inventory_updates(ctx: JobContext) -> JobResult:
    """raw_inventory_updates from `inventory-updates`."""
    return ingest(ctx, "inventory-updates")


def ingest_price_changes(ctx: JobContext) -> JobResult:
    """raw_price_changes from `price-changes`."""
    return ingest(ctx, "price-changes")


def ingest(ctx: JobContext, topic: str) -> JobResult:
    """Ingest everything new on `topic` into ctx.asset; returns the version of every day the asset holds."""
    settings, relative = ctx.settings, ctx.asset.storage.path
    start, end = state.read_checkpoint(settings, topic), state.latest_offsets(settings, topic)
    versions = read_partition_versions(settings, relative)
    if all(end[p] <= start.get(p, 0) for p in end):
        return JobResult(0, partition_versions=versions, details={"topic": topic, "read": 0})
    rules = state.load_rules(settings)
    classified = _classify(ctx, topic, start, end, rules).persist()
    try:
        return _commit(ctx, topic, classified, (start, end), versions)
    finally:
        classified.unpersist()


def _classify(ctx: JobContext, topic: str, start, end, rules):
    from pyspark.sql import functions as F

    reader = (
        ctx.spark.read.format("kafka")
        .option("kafka.bootstrap.servers", ctx.settings.kafka_bootstrap)
        .option("subscribe", topic)
        .option("startingOffsets", state.spark_offsets(topic, {p: start.get(p, -2) for p in end}))
        .option("endingOffsets", state.spark_offsets(topic, end))
    )
    records = reader.load().select(F.col("partition"), F.col("offset"), F.col("value"))
    schema = spark_schema(pos_events.output_columns(topic))
    return records.mapInArrow(partial(pos_events.classify_batches, topic, rules), schema)


def _commit(ctx: JobContext, topic: str, classified, offsets, versions: dict[str, str]) -> JobResult:
    from pyspark.sql import functions as F

    settings, relative = ctx.settings, ctx.asset.storage.path
    good = classified.filter(F.col(REASON).isNull()).withColumn("date", F.to_date("ts"))
    kept, conflicts = _deduplicate(ctx, good)
    rejected = classified.filter(F.col(REASON).isNotNull()).select(*conflicts.columns)
    bad = _quarantine_rows(topic, rejected.unionByName(conflicts))
    read, n_bad = classified.count(), _write_quarantine(ctx, topic, bad, offsets)
    rate, limit = n_bad / read, settings.ingest_max_quarantine_rate
    if rate > limit:
        raise QuarantineRateExceeded(
            f"{topic}: {n_bad:,} of {read:,} events quarantined ({rate:.1%} > "
            f"SHELFWISE_INGEST_MAX_QUARANTINE_RATE"
            f" {limit:.1%}); nothing committed; see {lake_path(settings, QUARANTINE_PATH)}/{topic}"
        )
    touched = sorted(r["date"].isoformat() for r in good.select("date").distinct().collect())
    kept = kept.persist()  # counted, hashed and written: deduplicate once
    try:
        changed, written = _write_days(ctx, kept, touched, versions)
    finally:
        kept.unpersist()
    versions = {**versions, **changed}
    write_partition_versions(settings, relative, versions)
    state.write_checkpoint(settings, topic, offsets[1])
    details = {"topic": topic, "read": read, "quarantined": n_bad, "days_rewritten": sorted(changed)}
    return JobResult(written, partition_versions=versions, details=details)


def _deduplicate(ctx: JobContext, good):
    """(new rows whose event_id is new, new rows that reuse an event_id with different content)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    columns = [name for name, _ in RAW_SCHEMAS[ctx.asset.name]]
    fingerprint = F.xxhash64(*columns)
    rows = good.select(*columns, "kafka_partition", "kafka_offset", "date", PAYLOAD).withColumn(
        "_src", F.lit(1)
    )
    existing = _existing(ctx)
    if existing is not None:
        seen = existing.join(good.select("event_id"), "event_id", "left_semi").withColumn(
            PAYLOAD, F.lit(None)
        )
        rows = rows.unionByName(seen.withColumn("_src", F.lit(0)).select(*rows.columns))
    first = Window.partitionBy("event_id").orderBy("_src", "kafka_partition", "kafka_offset")
    ranked = (
        rows.withColumn("_fp", fingerprint)
        .withColumn("_rank", F.row_number().over(first))
        .withColumn("_first_fp", F.first("_fp").over(first))
        .filter(F.col("_src") == 1)
    )
    kept = ranked.filter(F.col("_rank") == 1).drop("_src", "_fp", "_rank", "_first_fp", PAYLOAD)
    conflicts = ranked.filter((F.col("_rank") > 1) & (F.col("_fp") != F.col("_first_fp"))).select(
        "kafka_partition", "kafka_offset", PAYLOAD, F.lit(pos_events.DUPLICATE_CONFLICT).alias(REASON),
        F.concat(F.lit("event_id "), F.col("event_id"), F.lit(" already holds other content")).alias(DETAIL),
    )  # fmt: skip
    return kept, conflicts


def _existing(ctx: JobContext):
    """The asset's rows already in the lake, or None when it holds nothing yet."""
    fs = lake_fs(ctx.settings)
    fs.invalidate_cache()  # s3fs caches listings; another process (or this one) may have rewritten days
    folder = lake_path(ctx.settings, ctx.asset.storage.path)
    if not fs.exists(folder) or not any("date=" in p for p in fs.ls(folder, detail=False)):
        return None
    return ctx.spark.read.parquet(ctx.path())


def _write_days(ctx: JobContext, kept, touched: list[str], versions: dict[str, str]) -> tuple[dict, int]:
    """Rewrite each touched day whose content changed as old + new rows; ({day: version}, new rows)."""
    from pyspark.sql import functions as F

    if not touched:
        return {}, 0
    new_rows = kept.count()  # before the rewrite: `kept` was deduplicated against the files it replaces
    days = F.col("date").isin([F.lit(d).cast("date") for d in touched])
    existing = _existing(ctx)
    final = kept if existing is None else existing.filter(days).unionByName(kept.select(*existing.columns))
    new = {r["date"].isoformat(): r["version"] for r in _day_versions(final).collect()}
    changed = {day: version for day, version in new.items() if versions.get(day) != version}
    if not changed:
        return {}, 0
    rows = final.filter(F.col("date").isin([F.lit(d).cast("date") for d in changed]))
    if existing is not None:
        rows = _staged(ctx, rows)
    rows.repartition("date").sortWithinPartitions("date", "ts", "event_id").write.mode(
        "overwrite"
    ).partitionBy("date").parquet(ctx.path())
    _drop_staging(ctx)
    return changed, new_rows


def _day_versions(rows):
    """Per day: a content hash of its sorted event ids and its row count (identical across reruns)."""
    from pyspark.sql import functions as F

    digest = F.sha2(F.concat_ws(",", F.array_sort(F.collect_list("event_id"))), 256)
    return rows.groupBy("date").agg(
        F.concat(F.lit("n"), F.count("*").cast("string"), F.lit("-"), F.substring(digest, 1, 16)).alias(
            "version"
        )
    )


def _staged(ctx: JobContext, rows):
    """Spark may not overwrite the path it reads from: park the rows in the lake's staging area first."""
    staging = spark_url(ctx.settings, f"{STAGING_PATH}/{ctx.asset.name}")
    rows.write.mode("overwrite").parquet(staging)
    return ctx.spark.read.parquet(staging)


def _drop_staging(ctx: JobContext) -> None:
    fs, folder = lake_fs(ctx.settings), lake_path(ctx.settings, f"{STAGING_PATH}/{ctx.asset.name}")
    if fs.exists(folder):
        fs.rm(folder, recursive=True)


def _quarantine_rows(topic: str, bad):
    from pyspark.sql import functions as F

    now = datetime.now(UTC).replace(tzinfo=None)
    return bad.select(
        F.lit(topic).alias("topic"), "kafka_partition", "kafka_offset", F.col(PAYLOAD).alias("payload"),
        F.col(REASON).alias("reason"), F.col(DETAIL).alias("detail"),
        F.lit(now).cast("timestamp").alias("quarantined_at"),
    ).select(*[F.col(n).cast(t) for n, t in QUARANTINE])  # fmt: skip


def _write_quarantine(ctx: JobContext, topic: str, bad, offsets) -> int:
    """Bad events to `raw/_quarantine/<topic>/<offset range>/` (replaced on a rerun) and the dead letters."""
    from pyspark.sql import functions as F

    bad = bad.persist()
    count = bad.count()
    if count == 0:
        bad.unpersist()
        return 0
    folder = f"{QUARANTINE_PATH}/{topic}/{state.batch_id(*offsets)}"
    bad.coalesce(1).write.mode("overwrite").parquet(spark_url(ctx.settings, folder))
    letters = bad.select(
        F.col("topic").alias("key"),
        F.to_json(F.struct("topic", "kafka_partition", "kafka_offset", "reason", "detail", "payload")).alias(
            "value"
        ),
    )
    letters.write.format("kafka").option("kafka.bootstrap.servers", ctx.settings.kafka_bootstrap).option(
        "topic", DEAD_LETTER_TOPIC
    ).save()
    bad.unpersist()
    return count


__all__ = ["TOPICS", "QuarantineRateExceeded", "ingest"]

"""Kafka -> raw_* assets: one batch over the offsets not yet committed, validated, deduplicated, by day.

Steps of one run: read [checkpoint, latest) from the broker and classify every event once
(spark/jobs/event_batches.py, rules in pos_events.py), cached; when some event_id occurs twice (in the batch,
or in the batch and the lake), one window over event_id gives each event its outcome: kept, an exact resend
(dropped), a conflicting duplicate or bad (both quarantined); otherwise every good event is kept. One
Spark job counts the outcomes per day and hashes the new days; the quarantine and the dead-letter topic are
written; every day that changed is rewritten as old + new rows, sorted, as one Parquet file written straight
to its place (no committer renames); then the `_partitions.json` index; then the checkpoint. A crash anywhere
before the checkpoint makes the next run read the same offsets again, which rewrites the same rows: nothing
is lost or doubled.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import Window
from pyspark.sql import functions as F

from infra.lake import lake_fs, lake_path, read_partition_versions, spark_url, write_partition_versions
from spark.context import JobContext, JobResult
from spark.jobs import event_batches, pos_events
from spark.jobs import ingest_state as state
from spark.jobs.pos_events import DETAIL, PAYLOAD, REASON
from spark.schemas import DEAD_LETTER_TOPIC, QUARANTINE, RAW_SCHEMAS, TOPICS, spark_schema

QUARANTINE_PATH = "raw/_quarantine"
OUTCOME = "_outcome"
KEPT, RESEND, CONFLICT, BAD = "kept", "resend", "conflict", "bad"
DAY_FILE = "part-00000.parquet"  # a day is one file, replaced whole when the day changes
# The quarantine rate stops a run only from this many bad events on: it is there for a broken producer, and
# a lone hostile event on a quiet topic (1 of 3 is 33%) must not stop every later run over the same offsets.
FEWEST_BAD_TO_STOP = 20
# A dead letter carries this much of its payload: a message near the broker's 1 MiB limit, escaped as JSON,
# would not fit on the dead-letter topic. The quarantine keeps the whole payload.
DEAD_LETTER_PAYLOAD_CHARS = 16_384
WRITTEN = "date string, rows bigint"


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


def ingest_purchase_orders(ctx: JobContext) -> JobResult:
    """raw_purchase_orders from `purchase-orders`."""
    return ingest(ctx, "purchase-orders")


def ingest(ctx: JobContext, topic: str) -> JobResult:
    """Ingest everything new on `topic` into ctx.asset; returns the version of every day the asset holds."""
    settings, relative = ctx.settings, ctx.asset.storage.path
    start, end = state.read_checkpoint(settings, topic), state.latest_offsets(settings, topic)
    accepted = state.accepted_through(settings, topic, start)
    if accepted:  # commit the accepted offsets whatever their quarantine rate; the next run reads the rest
        end = {p: min(offset, accepted.get(p, offset)) for p, offset in end.items()}
    versions = read_partition_versions(settings, relative)
    if all(end[p] <= start.get(p, 0) for p in end):
        return JobResult(0, partition_versions=versions, details={"topic": topic, "read": 0})
    rules = state.load_rules(settings, {name: ctx.location(name) for name in state.RULE_DIMENSIONS})
    existing = _existing(ctx)
    with _uncompressed_cache(ctx.spark):
        # Cached as read and classified: the summary, the quarantine and the day files each derive the
        # outcomes from it (a window over cached rows is cheap; caching the wide rows after it is not).
        classified = _classify(ctx, topic, start, end, rules).persist()
        try:
            outcomes = _outcomes(ctx, classified, existing)
            return _commit(ctx, topic, outcomes, existing, (start, end), versions, bool(accepted))
        finally:
            classified.unpersist()


@contextmanager
def _uncompressed_cache(spark):
    """The run's cache lives for seconds and is read three times: compressing it costs more CPU than it saves
    (a warm ingest ~15% faster). Restored afterwards: other jobs cache far larger frames."""
    key = "spark.sql.inMemoryColumnarStorage.compressed"
    before = spark.conf.get(key)
    spark.conf.set(key, "false")
    try:
        yield
    finally:
        spark.conf.set(key, before)


def _classify(ctx: JobContext, topic: str, start, end, rules):
    reader = (
        ctx.spark.read.format("kafka")
        .option("kafka.bootstrap.servers", ctx.settings.kafka_bootstrap)
        .option("subscribe", topic)
        .option("startingOffsets", state.spark_offsets(topic, {p: start.get(p, -2) for p in end}))
        .option("endingOffsets", state.spark_offsets(topic, end))
        # More tasks than partitions: three partitions as three tasks leave one of two cores idle at the end.
        # The shuffle width is set to twice the cores (spark/session.py), and a Connect session can read it.
        .option("minPartitions", ctx.spark.conf.get("spark.sql.shuffle.partitions"))
    )
    records = reader.load().select(F.col("partition"), F.col("offset"), F.col("value"), F.col("timestamp"))
    schema = spark_schema(event_batches.output_columns(topic))
    return records.mapInArrow(partial(event_batches.classify_batches, topic, rules), schema)


def _outcomes(ctx: JobContext, classified, existing):
    """Every classified event with its date and OUTCOME: kept, resend (same id, same content), conflict, bad.

    An event_id is kept the first time it is seen: rows already in the lake come first, then Kafka order.
    """
    columns = [name for name, _ in RAW_SCHEMAS[ctx.asset.name]]
    good = F.col(REASON).isNull()
    if not _any_id_twice(classified, existing):  # the usual batch: every good event is new, no window needed
        dated = classified.withColumn("date", F.to_date("ts"))
        outcome = F.when(good, F.lit(KEPT)).otherwise(F.lit(BAD))
        return dated.withColumn(OUTCOME, outcome).withColumn(PAYLOAD, F.when(~good, F.col(PAYLOAD)))
    rows = classified.withColumn("date", F.to_date("ts")).withColumn("_src", F.lit(1))
    if existing is not None:
        seen = existing.join(classified.filter(good).select("event_id"), "event_id", "left_semi")
        rows = rows.unionByName(seen.withColumn("_src", F.lit(0)), allowMissingColumns=True)
    # A bad event has no trustworthy id: a key of its own keeps it out of every other event's window.
    source = F.concat_ws(
        ":", F.lit("\u0000bad"), F.col("kafka_partition").cast("string"), F.col("kafka_offset").cast("string")
    )
    first = Window.partitionBy(F.when(good, F.col("event_id")).otherwise(source)).orderBy(
        "_src", "kafka_partition", "kafka_offset"
    )
    fingerprint = F.xxhash64(*columns)
    ranked = (
        rows.withColumn("_fp", fingerprint)
        .withColumn("_rank", F.row_number().over(first))
        .withColumn("_first_fp", F.first("_fp").over(first))
        .filter(F.col("_src") == 1)
    )
    outcome = (
        F.when(~good, F.lit(BAD)).when(F.col("_rank") == 1, F.lit(KEPT))
        .when(F.col("_fp") != F.col("_first_fp"), F.lit(CONFLICT)).otherwise(F.lit(RESEND))
    )  # fmt: skip
    quarantined = F.col(OUTCOME).isin(BAD, CONFLICT)  # only those keep their payload (smaller cache)
    return (
        ranked.withColumn(OUTCOME, outcome).withColumn(PAYLOAD, F.when(quarantined, F.col(PAYLOAD)))
        .drop("_src", "_fp", "_rank", "_first_fp")
    )  # fmt: skip


def _any_id_twice(classified, existing) -> bool:
    """Whether any good event's id occurs twice: within the batch, or in the batch and the lake."""
    ids = classified.filter(F.col(REASON).isNull()).select("event_id")
    if existing is not None:
        ids = ids.unionAll(existing.select("event_id").join(ids, "event_id", "left_semi"))
    return bool(ids.groupBy("event_id").count().filter(F.col("count") > 1).limit(1).collect())


def _summarize(outcomes) -> dict[tuple[str, str | None], tuple[int, str]]:
    """One Spark job: {(outcome, day): (events, version of those events' ids)} (day None when unparsed)."""
    rows = _versions_by(outcomes.groupBy(OUTCOME, "date"))
    return {(r[OUTCOME], r["date"] and r["date"].isoformat()): (r["n"], r["version"]) for r in rows.collect()}


def _commit(ctx: JobContext, topic: str, outcomes, existing, offsets, versions: dict[str, str],
            accepted: bool) -> JobResult:  # fmt: skip
    settings, relative = ctx.settings, ctx.asset.storage.path
    summary = _summarize(outcomes)
    read = sum(n for n, _ in summary.values())
    n_bad = sum(n for (outcome, _), (n, _) in summary.items() if outcome in (BAD, CONFLICT))
    if n_bad:
        _write_quarantine(ctx, topic, outcomes, offsets)
    rate, limit = n_bad / read, settings.ingest_max_quarantine_rate
    if rate > limit and n_bad >= FEWEST_BAD_TO_STOP and not accepted:
        raise QuarantineRateExceeded(
            f"{topic}: {n_bad:,} of {read:,} events quarantined ({rate:.1%} > "
            f"SHELFWISE_INGEST_MAX_QUARANTINE_RATE {limit:.1%}); nothing committed; see "
            f"{lake_path(settings, QUARANTINE_PATH)}/{topic}. Once the producer is fixed, let this batch "
            f"through with: shelfwise ingest accept {topic} --why '...'"
        )
    touched = sorted({day for (outcome, day) in summary if outcome != BAD})
    new_rows = sum(n for (outcome, _), (n, _) in summary.items() if outcome == KEPT)
    kept_versions = {day: version for (outcome, day), (_, version) in summary.items() if outcome == KEPT}
    changed = _write_days(ctx, outcomes, existing, touched, versions, kept_versions)
    versions = {**versions, **changed}
    write_partition_versions(settings, relative, versions)
    state.write_checkpoint(settings, topic, offsets[1])
    details = {"topic": topic, "read": read, "quarantined": n_bad, "days_rewritten": sorted(changed),
               "accepted": accepted}  # fmt: skip
    return JobResult(new_rows if changed else 0, partition_versions=versions, details=details)


def _existing(ctx: JobContext):
    """The asset's rows already in the lake, or None when it holds nothing yet."""
    fs = lake_fs(ctx.settings)
    fs.invalidate_cache()  # s3fs caches listings; another process (or this one) may have rewritten days
    folder = lake_path(ctx.settings, ctx.asset.storage.path)
    if not fs.exists(folder) or not any("date=" in p for p in fs.ls(folder, detail=False)):
        return None
    return ctx.spark.read.parquet(ctx.path())


def _write_days(ctx: JobContext, outcomes, existing, touched: list[str], versions: dict[str, str],
                kept_versions: dict[str, str]) -> dict[str, str]:  # fmt: skip
    """Rewrite, in one Spark job, each touched day whose content changed; returns {day: version}."""
    if not touched:
        return {}
    columns = [name for name, _ in RAW_SCHEMAS[ctx.asset.name]]
    kept = outcomes.filter(F.col(OUTCOME) == KEPT).select(*columns, "kafka_partition", "kafka_offset", "date")
    if existing is None:  # the summary already hashed every new day
        final, new = kept, kept_versions
    else:
        days = F.col("date").isin([F.lit(d).cast("date") for d in touched])
        # dropDuplicates: a crash between writing a day's new file and removing its old one leaves both
        old = existing.filter(days).dropDuplicates(["event_id"])
        final = old.unionByName(kept.select(*existing.columns))
        new = {r["date"].isoformat(): r["version"] for r in _versions_by(final.groupBy("date")).collect()}
    changed = {day: version for day, version in new.items() if versions.get(day) != version}
    if not changed:
        return {}
    rows = final.filter(F.col("date").isin([F.lit(d).cast("date") for d in changed]))
    if existing is not None:
        # The new files replace the ones these rows are read from: hold the rows in the block store first.
        rows = rows.localCheckpoint(eager=True)
    write = partial(_write_day_files, ctx.settings, ctx.asset.storage.path)
    days = rows.repartition("date").sortWithinPartitions("date", "ts", "event_id").mapInArrow(write, WRITTEN)
    days.collect()  # one small row per day
    if existing is not None:
        _drop_replaced_files(ctx, sorted(changed))
    return changed


def _write_day_files(settings, relative: str, batches):
    """mapInArrow: rows sorted by date, ts, event_id in; each day written as one Parquet file; (day, n) out.

    The files go straight to their final place (one PUT on S3): Spark's committer would write each file,
    then copy it twice more through renames, which an object store turns into copies.
    """
    batches = list(batches)
    if not batches:
        return
    table = pa.Table.from_batches(batches)
    day_numbers = table.column("date").cast(pa.int32()).to_numpy()
    starts = [0, *(np.flatnonzero(np.diff(day_numbers)) + 1).tolist()]
    ends = [*starts[1:], table.num_rows]
    folder = lake_path(settings, relative)
    files, written = {}, {"date": [], "rows": []}
    for start, end in zip(starts, ends, strict=True):
        day = table.column("date")[start].as_py().isoformat()
        out = pa.BufferOutputStream()
        pq.write_table(table.slice(start, end - start).drop_columns(["date"]), out, compression="snappy")
        files[f"{folder}/date={day}/{DAY_FILE}"] = out.getvalue().to_pybytes()
        written["date"].append(day)
        written["rows"].append(end - start)
    lake_fs(settings).pipe(files)  # one PUT a file, sent concurrently on S3; makes local folders
    yield pa.RecordBatch.from_pydict(written, schema=pa.schema([("date", pa.string()), ("rows", pa.int64())]))


def _drop_replaced_files(ctx: JobContext, days: list[str]) -> None:
    """Remove what a rewritten day held besides its new file (files of an earlier layout or writer)."""
    fs, folder = lake_fs(ctx.settings), lake_path(ctx.settings, ctx.asset.storage.path)
    fs.invalidate_cache()
    for day in days:
        stale = [p for p in fs.ls(f"{folder}/date={day}", detail=False) if not p.endswith(f"/{DAY_FILE}")]
        if stale:
            fs.rm(stale)


def _versions_by(grouped):
    """Per group: its row count `n`, and `version`: the count and a hash of its sorted event ids (identical
    across reruns)."""
    digest = F.sha2(F.concat_ws(",", F.array_sort(F.collect_list("event_id"))), 256)
    count = F.count("*")
    version = F.concat(F.lit("n"), count.cast("string"), F.lit("-"), F.substring(digest, 1, 16))
    return grouped.agg(count.alias("n"), version.alias("version"))


def _quarantine_rows(topic: str, outcomes):
    """The bad and conflicting events as QUARANTINE rows."""
    now = datetime.now(UTC).replace(tzinfo=None)
    conflict = F.col(OUTCOME) == CONFLICT
    reason = F.when(conflict, F.lit(pos_events.DUPLICATE_CONFLICT)).otherwise(F.col(REASON))
    detail = F.when(
        conflict, F.concat(F.lit("event_id "), F.col("event_id"), F.lit(" already holds other content"))
    ).otherwise(F.col(DETAIL))
    return outcomes.filter(F.col(OUTCOME).isin(BAD, CONFLICT)).select(
        F.lit(topic).alias("topic"), "kafka_partition", "kafka_offset", F.col(PAYLOAD).alias("payload"),
        reason.alias("reason"), detail.alias("detail"), F.lit(now).cast("timestamp").alias("quarantined_at"),
    ).select(*[F.col(n).cast(t) for n, t in QUARANTINE])  # fmt: skip


def _write_quarantine(ctx: JobContext, topic: str, outcomes, offsets) -> None:
    """Bad events to `raw/_quarantine/<topic>/<offset range>/` and to the dead-letter topic, once each.

    Both are written before the quarantine rate can stop the run (so the operator sees why it stopped), and
    a stopped run is retried over the same offsets: the quarantine of an attempt that did not commit is
    replaced by this one's, and a letter an earlier attempt sent is not sent again.
    """
    settings, (start, end) = ctx.settings, offsets
    bad = _quarantine_rows(topic, outcomes)
    _drop_uncommitted_quarantine(settings, topic, start)
    folder = f"{QUARANTINE_PATH}/{topic}/{state.batch_id(start, end)}"
    bad.coalesce(1).write.mode("overwrite").parquet(spark_url(settings, folder))
    sent = state.dead_letters_sent(settings, topic)
    after = [F.when(F.col("kafka_partition") == p, F.col("kafka_offset") >= o) for p, o in sent.items()]
    _send_dead_letters(settings, bad.filter(F.coalesce(*after, F.lit(True))))  # partitions not yet sent: all
    state.record_dead_letters_sent(settings, topic, end)


def _drop_uncommitted_quarantine(settings, topic: str, start: state.Offsets) -> None:
    """Remove the quarantine folders of attempts that did not commit: those reaching past the checkpoint."""
    fs, root = lake_fs(settings), lake_path(settings, f"{QUARANTINE_PATH}/{topic}")
    if not fs.exists(root):
        return
    for folder in fs.ls(root, detail=False):
        ranges = state.parse_batch_id(folder.rstrip("/").rsplit("/", 1)[-1])
        if ranges and any(last > start.get(p, 0) for p, (_, last) in ranges.items()):
            fs.rm(folder, recursive=True)


def _send_dead_letters(settings, bad) -> None:
    """One letter per bad event, keyed by where it came from (a compacted topic keeps one per event)."""
    cut = F.length("payload") > DEAD_LETTER_PAYLOAD_CHARS
    payload = F.when(cut, F.substring("payload", 1, DEAD_LETTER_PAYLOAD_CHARS)).otherwise(F.col("payload"))
    letter = F.struct(
        "topic", "kafka_partition", "kafka_offset", "reason", "detail", payload.alias("payload"),
        F.coalesce(cut, F.lit(False)).alias("payload_cut"),
    )  # fmt: skip
    key = F.concat_ws(":", *[F.col(c).cast("string") for c in ("topic", "kafka_partition", "kafka_offset")])
    letters = bad.select(key.alias("key"), F.to_json(letter).alias("value"))
    letters.write.format("kafka").option("kafka.bootstrap.servers", settings.kafka_bootstrap).option(
        "topic", DEAD_LETTER_TOPIC
    ).save()


__all__ = ["TOPICS", "QuarantineRateExceeded", "ingest"]

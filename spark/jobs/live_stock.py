"""Live stock levels: a Structured Streaming job that keeps `inventory_live` current within seconds.

On-hand per store x SKU is the running ledger of every POS event since the start of the topics (sales take
stock away, returns and receipts add it, an adjustment adds its signed quantity, a count sets it), plus the
time of the last sale and a sales velocity. Each micro-batch is applied in the driver (`foreachBatch`) to the
state read back from the warehouse, and written as new row versions tagged with the batch id, so a batch that
Spark replays after a crash recomputes exactly the same rows (the state it starts from excludes its own id).

A hostile event moves no stock and never stops the stream: an event moves stock only when its JSON reads the
same to every reader (`pos_events.readable`, the ingest's decoding rules) and its kind, quantity and time
are within the ingest's rules for its topic (`movable`). Before, a sale dated 0001-01-01 stopped the stream
(pandas holds no such time) and a receipt of 2**31 - 1 units overflowed on_hand.

    python -m spark.jobs.live_stock          # what `shelfwise services up --only live_stock` runs
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import pandas as pd
from pyspark.sql import functions as F

from infra.lake import lake_fs, lake_path, spark_url
from infra.settings import get_settings
from infra.warehouse import Warehouse, migrate, read_sql
from spark.jobs.pos_events import CLOCK_SKEW, QUANTITY_RANGE, readable
from spark.schemas import TOPICS
from spark.session import get_spark

LIVE_TABLE = "inventory_live"
STREAM_TOPICS = ("sales-transactions", "supplier-shipments", "inventory-updates")
VELOCITY_DAYS = 7.0  # time constant of the decayed sales rate, in days
# A resend of an event_id is dropped when the broker took it within this long of the first copy: tills retry
# for minutes after a network drop, and an hour of ids is a small state (the ingest drops later copies).
RESEND_WINDOW = "1 hour"
CHECKPOINT = "streams/live_stock/_checkpoint_dedup"  # the plan holds dedup state: not the old checkpoint
STATE_COLUMNS = ["store_id", "sku", "on_hand", "last_sale_at", "velocity_per_day", "last_event_at"]
# Effect of an event on on-hand: (topic, kind) -> sign; None means "set to quantity" (a shelf count).
EFFECTS = {
    ("sales-transactions", "sale"): -1,
    ("sales-transactions", "return"): 1,
    ("supplier-shipments", ""): 1,
    ("inventory-updates", "adjustment"): 1,
    ("inventory-updates", "count"): None,
}


def apply_events(state: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """The new state of every store x SKU the events touch (pure; the events in any order).

    `state`: STATE_COLUMNS, one row per store x SKU (may be empty). `events`: topic, kind, store_id, sku,
    quantity, ts (UTC), offset-like `seq` to break ties between events with the same ts.
    """
    if events.empty:
        return pd.DataFrame(columns=STATE_COLUMNS)
    known = {(r.store_id, r.sku): r for r in state.itertuples(index=False)}
    rows = []
    ordered = events.sort_values(["ts", "seq"], kind="stable")
    for (store_id, sku), group in ordered.groupby(["store_id", "sku"], sort=True):
        rows.append(_replay(known.get((store_id, sku)), store_id, sku, group))
    return pd.DataFrame(rows, columns=STATE_COLUMNS)


def _replay(current, store_id: str, sku: str, events: pd.DataFrame) -> dict:
    on_hand = int(current.on_hand) if current is not None else 0
    velocity = float(current.velocity_per_day) if current is not None else 0.0
    last_sale = current.last_sale_at if current is not None else pd.NaT
    last_event = current.last_event_at if current is not None else pd.NaT
    for event in events.itertuples(index=False):
        sign = EFFECTS.get((event.topic, event.kind or ""), 0)
        quantity = int(event.quantity)
        on_hand = quantity if sign is None else on_hand + sign * quantity
        if event.topic == "sales-transactions" and event.kind == "sale":
            velocity = _decayed(velocity, last_sale, event.ts) + quantity / VELOCITY_DAYS
            last_sale = event.ts
        last_event = event.ts if pd.isna(last_event) else max(last_event, event.ts)
    return {
        "store_id": store_id,
        "sku": sku,
        "on_hand": on_hand,
        "last_sale_at": last_sale,
        "velocity_per_day": velocity,
        "last_event_at": last_event,
    }


def _decayed(velocity: float, since, now) -> float:
    """Exponential decay of the sales rate over the days between two sales."""
    if pd.isna(since):
        return velocity
    days = max((now - since).total_seconds(), 0.0) / 86_400
    return velocity * math.exp(-days / VELOCITY_DAYS)


# --- the streaming job ------------------------------------------------------------------------------------


def event_stream(spark, settings):
    """POS events from the three stock-moving topics, parsed to the columns apply_events reads."""
    schema = "event_id STRING, kind STRING, store_id STRING, sku STRING, quantity INT, ts TIMESTAMP"
    raw = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", settings.kafka_bootstrap)
        .option("subscribe", ",".join(STREAM_TOPICS))
        .option("startingOffsets", "earliest")
        .option("failOnDataLoss", "false")
        .load()
    )
    parsed = raw.select(
        "topic",
        "partition",
        "offset",
        "timestamp",
        "value",
        F.from_json(F.col("value").cast("string"), schema).alias("e"),
    )
    # Events the ingest job would quarantine for these fields move no stock here either; a resend (a till
    # retrying after a network drop sends the same event_id again) moves it once.
    return (
        parsed.where("e.event_id IS NOT NULL AND e.store_id IS NOT NULL AND e.sku IS NOT NULL "
                     "AND e.quantity IS NOT NULL AND e.ts IS NOT NULL")
        .where(movable())
        .withColumn("event_id", F.col("e.event_id"))
        .withWatermark("timestamp", RESEND_WINDOW)
        .dropDuplicatesWithinWatermark(["event_id"])
    )  # fmt: skip


def movable() -> str:
    """SQL condition: the event's kind, quantity and time are within the ingest's rules for its topic."""
    cases = []
    for topic, kind in EFFECTS:
        asset = TOPICS[topic]
        low, high = QUANTITY_RANGE.get(asset) or QUANTITY_RANGE[(asset, kind)]
        nonzero = " AND e.quantity <> 0" if kind == "adjustment" else ""
        cases.append(f"(topic = '{topic}' AND coalesce(e.kind, '') = '{kind}' "
                     f"AND e.quantity BETWEEN {low} AND {high}{nonzero})")  # fmt: skip
    skew = int(CLOCK_SKEW.total_seconds())  # against when the broker took the record, as the ingest judges
    window = f"e.ts >= TIMESTAMP '1970-01-01' AND e.ts <= timestamp + INTERVAL {skew} SECONDS"
    return f"({' OR '.join(cases)}) AND {window}"


def write_batch(settings, frame: pd.DataFrame, batch_id: int) -> int:
    """Apply one micro-batch (pandas) to the live table; returns the number of store x SKU rows written."""
    if frame.empty:
        return 0
    events = frame.rename(columns={"offset": "seq"})
    with Warehouse(settings).session() as session:
        state = session.query_df(
            read_sql("queries/select_inventory_live_before_batch.sql").format(batch_id=batch_id)
        )
        new = apply_events(state, events)
        new["batch_id"] = batch_id
        new["updated_at"] = pd.Timestamp.now(tz="UTC")
        session.insert_df(LIVE_TABLE, new)
    return len(new)


def _to_pandas(batch) -> pd.DataFrame:
    rows = batch.selectExpr(
        "topic",
        "offset",
        "value",
        "e.kind AS kind",
        "e.store_id AS store_id",
        "e.sku AS sku",
        "e.quantity AS quantity",
        "e.ts AS ts",
    ).toPandas()
    # .loc: an empty batch (the watermark's own micro-batches carry none) keeps its columns
    rows = rows.loc[[readable(value) for value in rows.pop("value")]].reset_index(drop=True)
    rows["kind"] = rows["kind"].fillna("")
    rows["ts"] = pd.to_datetime(rows["ts"], utc=True)
    return rows


def start(settings, trigger_seconds: float = 1.0, ready_file: Path | None = None):
    """Start the stream (checkpointed in the lake) and return the StreamingQuery. The topics must exist
    (Spark's Kafka source gives up on a missing one): the launcher, or compose's topic job, creates them."""
    migrate(Warehouse(settings))
    if not lake_fs(settings).exists(lake_path(settings, CHECKPOINT)):
        # A new checkpoint replays every topic from its earliest offset: the table restarts from nothing.
        Warehouse(settings).command(f"TRUNCATE TABLE IF EXISTS {LIVE_TABLE}")
    spark = get_spark(settings, app_name="shelfwise-live-stock")
    query = (
        event_stream(spark, settings)
        .writeStream.foreachBatch(lambda batch, batch_id: write_batch(settings, _to_pandas(batch), batch_id))
        .option("checkpointLocation", spark_url(settings, CHECKPOINT))
        .trigger(processingTime=f"{trigger_seconds:g} seconds")
        .start()
    )
    if ready_file is not None:
        ready_file.parent.mkdir(parents=True, exist_ok=True)
        ready_file.write_text(f"{query.id}\n")
    return query


def main(argv: list[str] | None = None) -> None:
    """Run until stopped (SIGTERM from `shelfwise services down`)."""
    parser = argparse.ArgumentParser(prog="python -m spark.jobs.live_stock")
    parser.add_argument(
        "--run-dir", type=Path, help="Where to write the `ready` file (default <home>/run/live_stock)."
    )
    parser.add_argument("--trigger-seconds", type=float, default=1.0)
    args = parser.parse_args(argv)
    settings = get_settings()
    run_dir = args.run_dir or settings.run_dir / "live_stock"
    query = start(settings, args.trigger_seconds, ready_file=run_dir / "ready")
    try:
        while query.isActive:
            time.sleep(1.0)
        if query.exception():
            raise SystemExit(f"live stock stream stopped: {query.exception()}")
    finally:
        if query.isActive:
            query.stop()


if __name__ == "__main__":
    main()

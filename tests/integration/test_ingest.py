"""Kafka -> raw_* assets on the real broker and MinIO lake: counts, dedup, quarantine, reruns, late events."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from assets.definitions import load_graph
from infra.kafka_local import ensure_topics
from infra.lake import PARTITION_VERSIONS, lake_fs, lake_path, read_partition_versions
from infra.settings import Settings
from infra.simulator import faults
from infra.simulator.cli import run_scenario
from spark.context import JobContext
from spark.jobs.ingest import (
    QuarantineRateExceeded,
    ingest_inventory_updates,
    ingest_receipts,
    ingest_sales,
)
from spark.jobs.ingest_state import latest_offsets, read_checkpoint, write_checkpoint
from spark.schemas import DEAD_LETTER_TOPIC, QUARANTINE, TOPICS

pytestmark = [pytest.mark.services, pytest.mark.spark]

REPO = Path(__file__).resolve().parents[2]
START = datetime.now(UTC).date() - timedelta(days=40)
DAYS = 14


@pytest.fixture(scope="module")
def lake(services: Settings):
    """A fresh lake prefix on the session's MinIO, a small simulated chain in Kafka, plus injected faults."""
    settings = services.model_copy(update={"lake_url": f"s3://shelfwise-test/ingest-{uuid.uuid4().hex[:6]}"})
    ensure_topics(settings)
    primed = {topic: latest_offsets(settings, topic) for topic in [*TOPICS, DEAD_LETTER_TOPIC]}
    for topic in TOPICS:  # other tests share the broker: this lake starts at today's end of each topic
        write_checkpoint(settings, topic, primed[topic])
    run = run_scenario(settings, stores=5, skus=100, days=DAYS, seed=11, start=START)
    ts = datetime.combine(START + timedelta(days=3), datetime.min.time(), UTC) + timedelta(hours=12)
    bad = faults.malformed("S001", "SKU00001", ts, copies=2)
    first, second = faults.conflicting_duplicate("dup-conflict-1", "S002", "SKU00002", ts)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    for topic, key, payload, _ in bad:
        producer.send(topic, key=key, value=payload)
    producer.send("sales-transactions", key=b"S002", value=first)
    producer.send("sales-transactions", key=b"S002", value=first)  # an exact resend: dropped silently
    producer.send("sales-transactions", key=b"S002", value=second)
    producer.flush()
    producer.close()
    expected = Counter(reason for *_, reason in bad) + Counter({"duplicate_conflict": 1})
    return settings, run, expected, primed


def _context(settings: Settings, asset: str) -> JobContext:
    graph = load_graph()
    return JobContext.in_place(graph, asset, (), settings, f"test-{uuid.uuid4().hex[:6]}")


def _table(settings: Settings, relative: str):
    lake_fs(settings).invalidate_cache()
    return ds.dataset(lake_path(settings, relative), filesystem=lake_fs(settings), format="parquet",
                      partitioning="hive").to_table()  # fmt: skip


def test_sales_land_once_and_bad_events_are_quarantined_with_their_reason(lake):
    settings, run, expected, primed = lake
    result = ingest_sales(_context(settings, "raw_sales"))

    sales = _table(settings, "raw/sales")
    good_produced = run.events_by_topic["sales-transactions"] + 1  # + the first copy of the duplicated id
    assert sales.num_rows == good_produced == result.row_count
    assert len(set(sales.column("event_id").to_pylist())) == sales.num_rows
    assert set(sales.column_names) >= {"event_id", "ts", "kafka_partition", "kafka_offset", "date"}
    quarantine = _table(settings, "raw/_quarantine/sales-transactions")
    assert set(quarantine.column_names) >= {name for name, _ in QUARANTINE}
    assert Counter(quarantine.column("reason").to_pylist()) == expected
    assert len(expected) >= 10
    versions = read_partition_versions(settings, "raw/sales")
    assert result.partition_versions == versions
    assert sorted(versions) == sorted({str(d) for d in sales.column("date").to_pylist()})
    letters = _dead_letters(settings, primed[DEAD_LETTER_TOPIC])
    assert Counter(json.loads(v)["reason"] for v in letters) == expected


def test_rerun_over_the_same_offsets_changes_nothing(lake):
    settings, _, _, primed = lake
    ingest_sales(_context(settings, "raw_sales"))  # no-op when the first test already ran
    before = read_partition_versions(settings, "raw/sales")
    files = sorted(lake_fs(settings).find(lake_path(settings, "raw/sales")))
    write_checkpoint(settings, "sales-transactions", primed["sales-transactions"])

    again = ingest_sales(_context(settings, "raw_sales"))

    assert again.partition_versions == before
    assert again.row_count == 0
    assert sorted(lake_fs(settings).find(lake_path(settings, "raw/sales"))) == files


def test_a_late_event_changes_exactly_its_day(lake):
    settings, *_ = lake
    ingest_sales(_context(settings, "raw_sales"))
    before = read_partition_versions(settings, "raw/sales")
    late_day = START + timedelta(days=5)
    ts = datetime.combine(late_day, datetime.min.time(), UTC) + timedelta(hours=15)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    late = json.dumps(faults.sale("late-1", "S003", "SKU00004", ts)).encode()
    producer.send("sales-transactions", key=b"S003", value=late)
    producer.flush()
    producer.close()

    after = ingest_sales(_context(settings, "raw_sales")).partition_versions

    changed = {day for day in after if after[day] != before.get(day)}
    assert changed == {late_day.isoformat()}
    day_rows = (
        _table(settings, "raw/sales")
        .filter(ds.field("date") == late_day.isoformat())
        .column("event_id")
        .to_pylist()
    )
    assert "late-1" in day_rows and len(day_rows) == len(set(day_rows))


def test_other_topics_ingest_and_too_many_bad_events_fail_the_run(lake):
    settings, run, *_ = lake
    result = ingest_inventory_updates(_context(settings, "raw_inventory_updates"))
    assert result.row_count == run.events_by_topic["inventory-updates"]

    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    for n in range(20):
        producer.send("inventory-updates", key=b"S001", value=b"not json %d" % n)
    producer.flush()
    producer.close()
    strict = settings.model_copy(update={"ingest_max_quarantine_rate": 0.5})
    with pytest.raises(QuarantineRateExceeded, match="SHELFWISE_INGEST_MAX_QUARANTINE_RATE"):
        ingest_inventory_updates(_context(strict, "raw_inventory_updates"))
    assert read_partition_versions(settings, "raw/inventory_updates") == result.partition_versions


def _dead_letters(settings: Settings, since: dict[int, int]) -> list[bytes]:
    """The dead letters written after `since` (other tests share the topic)."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, consumer_timeout_ms=5000)
    try:
        partitions = [TopicPartition(DEAD_LETTER_TOPIC, p) for p in sorted(since)]
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, since[tp.partition])
        return [message.value for message in consumer]
    finally:
        consumer.close()


# The doomed run is held where a crash hurts most: its day files are in the lake, its `_partitions.json` index
# and its checkpoint are not. ingest.py calls write_partition_versions right after the day files; replacing
# it in that process (the driver, where _commit runs) parks the run there until the kill.
DOOMED_RECEIPTS = """
import time
import spark.jobs.ingest as ingest
from assets.definitions import load_graph
from infra.settings import get_settings
from spark.context import JobContext

assert callable(ingest.write_partition_versions), "ingest no longer writes the index through this name"
ingest.write_partition_versions = lambda *args: time.sleep(3600)
graph = load_graph()
ingest.ingest_receipts(JobContext.in_place(graph, "raw_receipts", (), get_settings(), "doomed"))
"""


def _receipts_on_disk(settings: Settings) -> tuple[list[str], bool, dict[int, int]]:
    """The day files of raw/receipts, whether its index exists, and the committed offsets of its topic."""
    fs, folder = lake_fs(settings), lake_path(settings, "raw/receipts")
    fs.invalidate_cache()
    days = sorted(fs.glob(f"{folder}/date=*/*.parquet"))
    return days, fs.exists(f"{folder}/{PARTITION_VERSIONS}"), read_checkpoint(settings, "supplier-shipments")


def test_kill_9_mid_ingest_then_rerun_loses_and_doubles_nothing(lake):
    settings, run, _, primed = lake
    env = {
        **os.environ,
        "SHELFWISE_HOME": str(settings.home),
        "SHELFWISE_LAKE_URL": settings.lake_url,
        "SHELFWISE_S3_ENDPOINT": settings.s3_endpoint,
        "SHELFWISE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
    }
    assert _receipts_on_disk(settings) == ([], False, primed["supplier-shipments"]), "a fresh receipts lake"
    job = subprocess.Popen([sys.executable, "-c", DOOMED_RECEIPTS], env=env, cwd=REPO, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        days: list[str] = []
        while not days and job.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
            days, _, _ = _receipts_on_disk(settings)
        assert job.poll() is None, f"the doomed run ended (exit {job.returncode}) before it was killed"
        assert days, "the doomed run wrote no day file within 300 s"
        _, indexed, committed = _receipts_on_disk(settings)
        assert (indexed, committed) == (False, primed["supplier-shipments"]), "mid-write: no index, no commit"
    finally:
        os.killpg(job.pid, signal.SIGKILL)
        job.wait()
    assert job.returncode == -signal.SIGKILL
    left, indexed, committed = _receipts_on_disk(settings)
    assert left and (indexed, committed) == (False, primed["supplier-shipments"]), "the kill left days only"

    result = ingest_receipts(_context(settings, "raw_receipts"))

    receipts = _table(settings, "raw/receipts").column("event_id").to_pylist()
    assert len(receipts) == len(set(receipts)) == run.events_by_topic["supplier-shipments"]
    assert result.partition_versions == read_partition_versions(settings, "raw/receipts")

"""A run the quarantine rate stops is retried over the same offsets: its side effects happen once, and an
operator can let the batch through on purpose.

On the real broker and MinIO lake: a topic with too many bad events stops the ingest three times (more bad
events arrive between the tries), then `shelfwise ingest accept` lets exactly the pending batch through. Each
bad event must be in the quarantine once and on the dead-letter topic once, keyed by where it came from; the
acceptance is recorded in the warehouse; a rerun adds nothing; bad events arriving later are stopped again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.record.default_records import DefaultRecordBase

from assets.definitions import load_graph
from infra.kafka_local import ensure_topics
from infra.lake import lake_fs, lake_path
from infra.settings import Settings
from infra.simulator.cli import run_scenario
from infra.warehouse import Warehouse, migrate
from spark.context import JobContext
from spark.jobs.ingest import QuarantineRateExceeded, ingest_inventory_updates
from spark.jobs.ingest_state import latest_offsets, write_checkpoint
from spark.schemas import DEAD_LETTER_TOPIC

pytestmark = [pytest.mark.services, pytest.mark.spark]
TOPIC = "inventory-updates"


@pytest.fixture(scope="module")
def lake(services: Settings):
    """A fresh lake prefix whose checkpoints start at today's end of each topic, and a small chain."""
    settings = services.model_copy(update={"lake_url": f"s3://shelfwise-test/retries-{uuid.uuid4().hex[:6]}"})
    ensure_topics(settings)
    migrate(Warehouse(settings))
    primed = {topic: latest_offsets(settings, topic) for topic in (TOPIC, DEAD_LETTER_TOPIC)}
    write_checkpoint(settings, TOPIC, primed[TOPIC])
    start = datetime.now(UTC).date() - timedelta(days=5)
    run_scenario(settings, stores=2, skus=20, days=3, seed=5, start=start)
    return settings, primed


def _ingest(settings: Settings, rate: float):
    graph = load_graph()
    strict = settings.model_copy(update={"ingest_max_quarantine_rate": rate})
    ctx = JobContext.in_place(graph, "raw_inventory_updates", (), strict, "retries")
    return ingest_inventory_updates(ctx)


def _send_bad(settings: Settings, n: int, tag: str) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    for i in range(n):
        producer.send(TOPIC, key=b"S001", value=f"not json {tag} {i}".encode())
    producer.flush()
    producer.close()


def _quarantined(settings: Settings) -> Counter:
    lake_fs(settings).invalidate_cache()
    table = ds.dataset(lake_path(settings, f"raw/_quarantine/{TOPIC}"), filesystem=lake_fs(settings),
                       format="parquet").to_table(columns=["kafka_partition", "kafka_offset"])  # fmt: skip
    return Counter(zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True))


def _letters(settings: Settings, since: dict[int, int]) -> list:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, consumer_timeout_ms=5000)
    try:
        partitions = [TopicPartition(DEAD_LETTER_TOPIC, p) for p in sorted(since)]
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, since[tp.partition])
        return [m for m in consumer if json.loads(m.value)["topic"] == TOPIC]
    finally:
        consumer.close()


def test_a_stopped_batch_retried_quarantines_and_dead_letters_each_bad_event_once(lake):
    settings, primed = lake
    _send_bad(settings, 30, "first")
    for attempt in range(3):
        with pytest.raises(QuarantineRateExceeded, match=f"shelfwise ingest accept {TOPIC}"):
            _ingest(settings, rate=0.01)
        if attempt == 1:
            _send_bad(settings, 5, "between tries")  # the retry reads further than the try before it
    assert sorted(_quarantined(settings).values()) == [1] * 35
    letters = _letters(settings, primed[DEAD_LETTER_TOPIC])
    sources = [(json.loads(m.value)["kafka_partition"], json.loads(m.value)["kafka_offset"]) for m in letters]
    assert len(sources) == 35 and set(sources) == set(_quarantined(settings))
    assert all(m.key.decode() == f"{TOPIC}:{p}:{o}" for m, (p, o) in zip(letters, sources, strict=True))

    pending = sum(latest_offsets(settings, TOPIC).values()) - sum(primed[TOPIC].values())
    _accept(settings, "the till firmware is rolled back; these 35 lines are test noise")
    result = _ingest(settings, rate=0.01)  # as strict as before: the acceptance lets this batch through
    assert result.details["accepted"] and result.details["quarantined"] == 35 and result.row_count > 0
    assert result.details["read"] == pending
    recorded = Warehouse(settings).query_df("SELECT * FROM ingest_acceptances").to_dict("records")
    assert [(r["topic"], r["pending_events"], r["accepted_by"]) for r in recorded] == [
        (TOPIC, pending, "ops")]
    assert recorded[0]["why"].startswith("the till firmware")

    assert _ingest(settings, rate=0.01).details["read"] == 0  # a rerun: nothing new, nothing sent again
    assert sorted(_quarantined(settings).values()) == [1] * 35
    assert len(_letters(settings, primed[DEAD_LETTER_TOPIC])) == 35
    _send_bad(settings, 25, "after acceptance")
    with pytest.raises(QuarantineRateExceeded):  # the acceptance covered what was pending, nothing later
        _ingest(settings, rate=0.01)


def _accept(settings: Settings, why: str) -> None:
    """`shelfwise ingest accept`, run as an operator runs it, against these settings."""
    env = {**os.environ, **settings.as_env()}
    shelfwise = Path(sys.executable).parent / "shelfwise"
    command = [str(shelfwise), "ingest", "accept", TOPIC, "--why", why, "--by", "ops"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def test_the_broker_stamps_each_record_with_its_append_time(lake):
    settings, _ = lake
    end = latest_offsets(settings, TOPIC)
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, consumer_timeout_ms=5000)
    try:
        partition = next(p for p, offset in end.items() if offset > 0)
        consumer.assign([TopicPartition(TOPIC, partition)])
        consumer.seek(TopicPartition(TOPIC, partition), end[partition] - 1)
        record = next(iter(consumer))
    finally:
        consumer.close()
    assert record.timestamp_type == DefaultRecordBase.LOG_APPEND_TIME

"""The broker stopped, then killed -9, mid-stream and restarted on its port and data: no loss, no duplicate.

The test runs its own broker (its own home and ports, a file lake), so restarting it disturbs no other test.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pyarrow.dataset as ds
import pytest

from assets.definitions import load_graph
from infra.kafka_local import KafkaBroker, ensure_topics
from infra.lake import lake_fs, lake_path, read_partition_versions
from infra.simulator.chain import write_reference
from infra.simulator.events import EncodedDay
from infra.simulator.publish import EventPublisher
from infra.simulator.scenario import Scenario, generate
from spark.context import JobContext
from spark.jobs.ingest import ingest_sales

pytestmark = [pytest.mark.services, pytest.mark.spark]

TOPIC = "sales-transactions"


def _publish(publisher: EventPublisher, days: list[EncodedDay]) -> list[str]:
    """Send the days' sales; returns their event ids."""
    ids = []
    for day in days:
        store, values = day.messages[TOPIC]
        publisher.send(TOPIC, store, values)
        ids += [json.loads(value)["event_id"] for value in values]
    return ids


def test_broker_stop_and_kill_mid_stream_lose_and_double_nothing(settings_factory):
    settings = settings_factory()
    broker = KafkaBroker(settings)
    broker.start()
    try:
        ensure_topics(settings)
        start = datetime.now(UTC).date() - timedelta(days=10)
        chain, _, day_events = generate(Scenario(stores=3, skus=40, days=6, seed=5, start=start))
        days = list(day_events)
        write_reference(settings, chain)
        graph = load_graph()
        ctx = JobContext.in_place(graph, "raw_sales", (), settings, f"test-{uuid.uuid4().hex[:6]}")
        publisher = EventPublisher(settings, chain.stores["store_id"].tolist())

        produced = _publish(publisher, days[:2])
        publisher.producer.flush()
        first = ingest_sales(ctx)
        broker.stop()  # graceful: the producer holds what it is given until the broker is back
        produced += _publish(publisher, days[2:4])
        broker.start()
        broker.kill()  # kill -9, likely with a produce request in flight: a retry may write it twice
        produced += _publish(publisher, days[4:])
        assert broker.start().state == "running"
        publisher.close()  # flushes; raises if any event was not acknowledged
        second = ingest_sales(ctx)
    finally:
        broker.stop()

    lake_fs(settings).invalidate_cache()
    sales = ds.dataset(lake_path(settings, "raw/sales"), filesystem=lake_fs(settings), partitioning="hive")
    ids = sales.to_table(columns=["event_id"]).column("event_id").to_pylist()
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(produced)
    assert first.row_count + second.row_count == len(produced)
    assert second.partition_versions == read_partition_versions(settings, "raw/sales")

"""Poison pills on the real broker: hostile events at the start, the middle and the end of a partition, among
good ones, on every topic the ingest reads. One run lands every good event, quarantines and dead-letters
every hostile one with its reason, and moves the offsets past them; a rerun over the same offsets changes
nothing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow.dataset as ds
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from assets.definitions import load_graph
from infra.kafka_local import ensure_topics
from infra.lake import lake_fs, lake_path, read_partition_versions
from infra.settings import Settings
from infra.simulator.chain import build_chain, write_reference
from spark.context import JobContext
from spark.jobs.ingest import ingest
from spark.jobs.ingest_state import latest_offsets, read_checkpoint, write_checkpoint
from spark.schemas import DEAD_LETTER_TOPIC, TOPICS
from tests.unit.spark.test_event_batches import till_event

pytestmark = [pytest.mark.services, pytest.mark.spark]

GOOD_PER_RUN = 40  # good events between two groups of hostile ones, on partition 0
BIG = 1_000_000  # bytes: near the broker's 1 MiB message limit


def hostile(topic: str) -> list[tuple[bytes | None, str]]:
    """(Kafka value, the reason it must be quarantined with) for one topic."""
    event = json.loads(till_event(topic, 1, _recent()))
    first = next(iter(event))
    text = json.dumps(event)
    return [
        (json.dumps({**event, first: "\ud800"}).encode(), "ambiguous_json"),  # the reported crash
        (text[:-1].encode() + b', "quantity": 3, "quantity": 900}', "ambiguous_json"),
        (text[:-1].encode() + b', "note": ' + b"[" * 40 + b"]" * 40 + b"}", "ambiguous_json"),
        (text.replace(": ", ": NaN, \"x\": ", 1).encode(), "unparseable_json"),
        (text.encode("utf-16"), "unparseable_json"),
        (b"\xef\xbb\xbf" + text.encode(), "unparseable_json"),
        (text.encode().replace(b'"', b'"\xff', 1), "unparseable_json"),
        (None, "unparseable_json"),  # a tombstone
        (b"[" + text.encode() + b"]", "not_an_object"),
        (text[:-1].encode() + b', "pad": "' + b"x" * BIG + b'"}', "oversized_payload"),
        (json.dumps({**event, first: 10**30}).encode(), "wrong_type"),
    ]


def _recent() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)


@pytest.fixture(scope="module")
def lake(services: Settings):
    """A fresh lake prefix with the reference dimensions; this lake starts at today's end of each topic."""
    settings = services.model_copy(update={"lake_url": f"s3://shelfwise-test/poison-{uuid.uuid4().hex[:6]}"})
    ensure_topics(settings)
    write_reference(settings, build_chain(np.random.default_rng(3), 5, 20))
    primed = {topic: latest_offsets(settings, topic) for topic in [*TOPICS, DEAD_LETTER_TOPIC]}
    for topic in TOPICS:
        write_checkpoint(settings, topic, primed[topic])
    return settings, primed


def _publish(settings: Settings, topic: str) -> tuple[set[str], dict[int, str]]:
    """Good events with hostile ones at the start, middle and end of partition 0 (and good ones on the other
    partitions); returns the good event ids and {offset in partition 0: reason} of the hostile ones."""
    pills, start = hostile(topic), latest_offsets(settings, topic)[0]
    thirds = [pills[0::3], pills[1::3], pills[2::3]]
    ids = iter(range(10_000))
    values, good = [], set()
    for group, pill_group in enumerate(thirds):
        values += pill_group
        if group < 2:
            for _ in range(GOOD_PER_RUN):
                value = till_event(topic, next(ids), _recent()).replace(b'"ev-', f'"{group}-ev-'.encode())
                values.append((value, None))
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, max_request_size=2 * BIG, acks="all")
    expected = {}
    for offset, (value, reason) in enumerate(values, start):
        producer.send(topic, key=b"S001", value=value, partition=0)
        if reason is None:
            good.add(json.loads(value)["event_id"])
        else:
            expected[offset] = reason
    for partition in (1, 2):
        for n in range(5):
            value = till_event(topic, 100 + n, _recent()).replace(b'"ev-', f'"p{partition}-ev-'.encode())
            producer.send(topic, key=b"S001", value=value, partition=partition)
            good.add(json.loads(value)["event_id"])
    producer.flush()
    producer.close()
    return good, expected


def _context(settings: Settings, asset: str) -> JobContext:
    graph = load_graph()
    return JobContext.in_place(graph, asset, (), settings, f"test-{uuid.uuid4().hex[:6]}")


def _table(settings: Settings, relative: str):
    lake_fs(settings).invalidate_cache()
    return ds.dataset(lake_path(settings, relative), filesystem=lake_fs(settings), format="parquet",
                      partitioning="hive").to_table()  # fmt: skip


def _dead_letters(settings: Settings, since: dict[int, int]) -> list[dict]:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, consumer_timeout_ms=5000,
                             fetch_max_bytes=8 * BIG)  # fmt: skip
    try:
        partitions = [TopicPartition(DEAD_LETTER_TOPIC, p) for p in sorted(since)]
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, since[tp.partition])
        return [json.loads(message.value) for message in consumer]
    finally:
        consumer.close()


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_hostile_events_never_stop_the_good_ones(lake, topic):
    settings, primed = lake
    good, expected = _publish(settings, topic)
    asset = load_graph()[TOPICS[topic]]

    result = ingest(_context(settings, asset.name), topic)

    landed = _table(settings, asset.storage.path).column("event_id").to_pylist()
    assert sorted(landed) == sorted(good)
    assert result.row_count == len(good) and result.details["quarantined"] == len(expected)
    quarantine = _table(settings, f"raw/_quarantine/{topic}").to_pylist()
    assert {r["kafka_offset"]: r["reason"] for r in quarantine if r["kafka_partition"] == 0} == expected
    assert all(r["detail"] for r in quarantine)
    assert max(len(r["payload"] or "") for r in quarantine) > BIG  # the quarantine keeps it whole
    letters = [d for d in _dead_letters(settings, primed[DEAD_LETTER_TOPIC]) if d["topic"] == topic]
    assert {d["kafka_offset"]: d["reason"] for d in letters} == expected
    assert [d["payload_cut"] for d in letters].count(True) == 1
    assert read_checkpoint(settings, topic) == latest_offsets(settings, topic)  # past every hostile event


def test_a_rerun_over_the_same_offsets_changes_nothing(lake):
    settings, primed = lake
    topic = "sales-transactions"
    asset = load_graph()[TOPICS[topic]]
    ingest(_context(settings, asset.name), topic)  # lands the events when run alone
    before = read_partition_versions(settings, asset.storage.path)
    files = sorted(lake_fs(settings).find(lake_path(settings, asset.storage.path)))
    rows = _table(settings, asset.storage.path).num_rows
    write_checkpoint(settings, topic, primed[topic])

    again = ingest(_context(settings, asset.name), topic)

    assert again.partition_versions == before and again.row_count == 0
    assert sorted(lake_fs(settings).find(lake_path(settings, asset.storage.path))) == files
    assert _table(settings, asset.storage.path).num_rows == rows


def test_one_hostile_event_alone_does_not_stop_a_quiet_topic(lake):
    """1 bad event of 1 is a 100% quarantine rate: still committed, so later runs do not stop on it."""
    settings, _ = lake
    topic = "price-changes"
    asset = load_graph()[TOPICS[topic]]
    ingest(_context(settings, asset.name), topic)  # whatever the other tests left
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    producer.send(topic, key=b"S001", value=hostile(topic)[0][0], partition=1)
    producer.flush()
    producer.close()

    result = ingest(_context(settings, asset.name), topic)

    assert result.details["read"] == result.details["quarantined"] == 1
    assert read_checkpoint(settings, topic) == latest_offsets(settings, topic)


# --- the live-stock stream ---------------------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
RUN = uuid.uuid4().hex[:6]
STORE, SKU = f"PP{RUN}-1", "SKU-001"


def stock_event(topic: str, kind: str, quantity: int, minute: int, **changes) -> dict:
    ts = (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {"event_id": uuid.uuid4().hex, "kind": kind, "store_id": STORE, "sku": SKU, "quantity": quantity}
    return {**event, "ts": ts, **changes}


def stock_pills() -> list[tuple[str, bytes | None]]:
    """Events the ingest quarantines, each of which once stopped or bent the live stream."""
    sale = json.dumps(stock_event("sales-transactions", "sale", 1, 30))
    return [
        ("supplier-shipments", json.dumps(stock_event("", "", 2**31 - 1, 31)).encode()),  # on_hand overflows
        ("sales-transactions", json.dumps(stock_event("", "sale", 1, 0, ts="0001-01-01T00:00:00Z")).encode()),
        ("sales-transactions", json.dumps(stock_event("", "sale", 1, 0, ts="9999-12-31T23:59:59Z")).encode()),
        ("sales-transactions", sale[:-1].encode() + b', "quantity": 900}'),  # read as 900 by Spark's JSON
        ("sales-transactions", json.dumps(stock_event("", "sale", 1, 32, store_id="\ud800")).encode()),
        ("inventory-updates", json.dumps(stock_event("", "count", -5, 33)).encode()),
        ("inventory-updates", json.dumps(stock_event("", "adjustment", 0, 34)).encode()),
        ("sales-transactions", b"\xff\xfe not json"),
        ("sales-transactions", None),
    ]


@pytest.fixture
def stream(services: Settings, tmp_path):
    """The live-stock service on the session's broker, with its own file lake and chdb; stopped afterwards."""
    from infra import services as local_services

    settings = services.model_copy(update={"home": tmp_path / "home", "lake_url": ""})
    local_services.service("live_stock", settings).start()
    try:
        yield settings
    finally:
        local_services.stop_all(settings, ["live_stock"])


def _send(settings: Settings, events: list[tuple[str, bytes | None]]) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    for topic, value in events:
        producer.send(topic, key=STORE.encode(), value=value)
    producer.flush()
    producer.close()


def _on_hand(settings: Settings) -> int | None:
    from infra.warehouse import Warehouse

    frame = Warehouse(settings).query_df(
        f"SELECT on_hand FROM inventory_live_current WHERE store_id = '{STORE}' AND sku = '{SKU}'"
    )
    return None if frame.empty else int(frame.on_hand.item())


def _wait_for_on_hand(settings: Settings, expected: int, timeout_s: float = 120) -> bool:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _on_hand(settings) == expected:
            return True
        time.sleep(1.0)
    return False


def test_hostile_events_do_not_stop_inventory_live(stream):
    delivery = stock_event("supplier-shipments", "", 24, 1)
    del delivery["kind"]
    _send(stream, [("supplier-shipments", json.dumps(delivery).encode())])
    assert _wait_for_on_hand(stream, 24), f"the delivery never reached inventory_live: {_on_hand(stream)}"

    _send(stream, stock_pills())
    _send(stream, [("sales-transactions", json.dumps(stock_event("", "sale", 3, 40)).encode())])

    assert _wait_for_on_hand(stream, 21), f"a sale after the hostile events never landed: {_on_hand(stream)}"

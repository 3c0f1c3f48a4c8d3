"""The live-stock stream on the real broker: after it drains, on-hand equals the shop-floor ledger, and a new
sale shows up in `inventory_live` within seconds (the latency itself is measured in tests/bench)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pandas as pd
import pytest
from kafka import KafkaProducer

from infra import services as local_services
from infra.settings import Settings
from infra.warehouse import Warehouse

pytestmark = [pytest.mark.services, pytest.mark.spark]

T0 = pd.Timestamp("2026-03-02 08:00", tz="UTC")
# The session's broker keeps every earlier test's events (the stream reads from the earliest offset): each
# test gets stores of its own from the `stream` fixture.
RUN, STORES, SKUS = "", (), ("SKU-001", "SKU-002", "SKU-003", "SKU-004")


@pytest.fixture
def stream(services: Settings, tmp_path) -> Iterator[Settings]:
    """The stream as `shelfwise services up --only live_stock` runs it, on the session's broker, with its own
    file lake (checkpoint) and chdb; stopped afterwards."""
    global RUN, STORES
    RUN = uuid.uuid4().hex[:6]
    STORES = tuple(f"LS{RUN}-{n}" for n in (1, 2, 3))
    settings = services.model_copy(update={"home": tmp_path / "home", "lake_url": ""})
    _publish(settings, opening_events())
    local_services.service("live_stock", settings).start()
    try:
        yield settings
    finally:
        local_services.stop_all(settings, ["live_stock"])


def opening_events() -> list[tuple[str, dict]]:
    """A morning in three stores: deliveries, sales, a return, a damage write-off and a shelf count."""
    events, minute = [], 0
    for s, store in enumerate(STORES):
        for k, sku in enumerate(SKUS):
            minute += 1
            events.append(("supplier-shipments", _event(store, sku, "", 24 + 6 * k, minute)))
            for sale in range(1 + (s + k) % 4):
                events.append(("sales-transactions", _event(store, sku, "sale", 1 + sale, minute + sale + 1)))
    events.append(("sales-transactions", _event(STORES[0], "SKU-001", "return", 1, 90)))
    events.append(("inventory-updates", _event(STORES[1], "SKU-002", "adjustment", -3, 91)))
    events.append(("inventory-updates", _event(STORES[2], "SKU-003", "count", 17, 92)))
    return events


def ledger(events: list[tuple[str, dict]]) -> dict[tuple[str, str], int]:
    on_hand: dict[tuple[str, str], int] = {}
    for _topic, e in sorted(events, key=lambda te: te[1]["ts"]):
        key, q = (e["store_id"], e["sku"]), e["quantity"]
        book = on_hand.get(key, 0)
        on_hand[key] = q if e["kind"] == "count" else book + (-q if e["kind"] == "sale" else q)
    return on_hand


def test_stream_drains_to_the_ledger_and_picks_up_a_new_sale(stream: Settings):
    expected = ledger(opening_events())
    assert _wait_for(stream, expected), f"inventory_live never matched the ledger: {_live(stream)}"

    sale = _event(STORES[0], "SKU-004", "sale", 2, 120)
    _publish(stream, [("sales-transactions", sale)])
    expected[(STORES[0], "SKU-004")] -= 2
    assert _wait_for(stream, expected), "a new sale never reached inventory_live"
    row = Warehouse(stream).query_df(
        f"SELECT last_sale_at FROM inventory_live_current WHERE store_id = '{STORES[0]}' AND sku = 'SKU-004'"
    )
    assert pd.Timestamp(row.last_sale_at.item()) == T0 + pd.Timedelta(minutes=120)


def test_resends_and_hostile_events_leave_live_on_hand_equal_to_the_ledger(stream: Settings):
    expected = ledger(opening_events())
    assert _wait_for(stream, expected), f"inventory_live never matched the ledger: {_live(stream)}"

    first = _event(STORES[1], "SKU-001", "sale", 3, 130)
    hostile = [_event(STORES[1], "SKU-001", "sale", 50_000, 131),  # beyond the sales limit
               _event(STORES[1], "SKU-001", "sale", -4, 132),  # a negative sale
               {**_event(STORES[1], "SKU-001", "sale", 2, 133), "event_id": None}]  # no id to dedup on
    _publish(stream, [("sales-transactions", e) for e in (first, first, *hostile, first)])  # resent in-batch
    expected = ledger([*opening_events(), ("sales-transactions", first)])  # each good event once
    assert _wait_for(stream, expected), f"a resent sale moved stock twice: {_live(stream)}"

    later = _event(STORES[1], "SKU-002", "sale", 1, 140)
    _publish(stream, [("sales-transactions", first)])  # the till retries again, in a later micro-batch
    _publish(stream, [("sales-transactions", later)])
    expected = ledger([*opening_events(), ("sales-transactions", first), ("sales-transactions", later)])
    assert _wait_for(stream, expected), f"a resend in a later batch moved stock again: {_live(stream)}"


def _event(store: str, sku: str, kind: str, quantity: int, minute: int) -> dict:
    ts = (T0 + pd.Timedelta(minutes=minute)).isoformat()
    return {
        "event_id": uuid.uuid4().hex,
        "kind": kind,
        "store_id": store,
        "sku": sku,
        "quantity": quantity,
        "ts": ts,
    }


def _publish(settings: Settings, events: list[tuple[str, dict]]) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    for topic, event in events:
        producer.send(topic, key=event["store_id"].encode(), value=json.dumps(event).encode())
    producer.flush(timeout=60)
    producer.close()


def _live(settings: Settings) -> dict[tuple[str, str], int]:
    frame = Warehouse(settings).query_df(
        f"SELECT store_id, sku, on_hand FROM inventory_live_current WHERE store_id LIKE 'LS{RUN}-%'"
    )
    return {(r.store_id, r.sku): int(r.on_hand) for r in frame.itertuples()}


def _wait_for(settings: Settings, expected: dict, timeout_s: float = 120) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _live(settings) == expected:
            return True
        time.sleep(1.0)
    return False

"""Freshness of live stock: a sale produced to Kafka -> visible in inventory_live, p50 and p95 (goal
p95 <= 3 s).

Runs the real stream (`live_stock` service, 1 s trigger) on the real broker and polls the embedded warehouse
the way a dashboard would, each poll a separate short session under the directory lock.
"""

from __future__ import annotations

import json
import time
import uuid

import numpy as np
import pandas as pd
import pytest
from kafka import KafkaProducer

from infra import services as local_services
from infra.warehouse import Warehouse

pytestmark = pytest.mark.bench
SALES = 40


def test_live_stock_freshness(services, tmp_path, results_writer):
    settings = services.model_copy(update={"home": tmp_path / "home", "lake_url": ""})
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks=1, linger_ms=0)
    _send(producer, "supplier-shipments", "BENCH-0", "", 1_000)  # creates the topics and gives stock
    local_services.service("live_stock", settings).start()
    try:
        _wait_until(settings, "BENCH-0", 1_000, timeout_s=120)
        lags = []
        for number in range(1, SALES + 1):
            sku = f"BENCH-{number}"
            _send(producer, "supplier-shipments", sku, "", 10, flush=False)
            sent = time.monotonic()
            _send(producer, "sales-transactions", sku, "sale", 1)
            _wait_until(settings, sku, 9, timeout_s=60)
            lags.append(time.monotonic() - sent)
    finally:
        local_services.stop_all(settings, ["live_stock"])
        producer.close()
    figures = {
        "freshness_p50_s": float(np.percentile(lags, 50)),
        "freshness_p95_s": float(np.percentile(lags, 95)),
    }
    results_writer("live_stock", figures)
    print(figures)


def _send(producer, topic: str, sku: str, kind: str, quantity: int, flush: bool = True) -> None:
    event = {
        "event_id": uuid.uuid4().hex,
        "kind": kind,
        "store_id": "S01",
        "sku": sku,
        "quantity": quantity,
        "ts": pd.Timestamp.now(tz="UTC").isoformat(),
    }
    producer.send(topic, key=b"S01", value=json.dumps(event).encode())
    if flush:
        producer.flush()


def _wait_until(settings, sku: str, on_hand: int, timeout_s: float) -> None:
    query = f"SELECT on_hand FROM inventory_live_current WHERE store_id = 'S01' AND sku = '{sku}'"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rows = Warehouse(settings).query_df(query)["on_hand"].tolist()
        if rows == [on_hand]:
            return
        time.sleep(0.05)
    raise AssertionError(f"{sku} never reached on_hand={on_hand} in inventory_live")

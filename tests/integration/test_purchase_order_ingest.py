"""Purchase orders through the real broker: the simulator publishes, the ingest lands them, open_orders
agrees with the simulator's own books (units still on order per store x SKU at the end of the run)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from assets.definitions import load_graph
from assets.run import run_job
from infra.kafka_local import ensure_topics
from infra.lake import lake_fs
from infra.settings import Settings
from infra.simulator.cli import run_scenario
from spark.context import JobContext
from spark.jobs.ingest import ingest_purchase_orders, ingest_receipts
from spark.jobs.ingest_state import latest_offsets, write_checkpoint
from tests.lake_reads import read_day

pytestmark = [pytest.mark.services, pytest.mark.spark]
START = datetime.now(UTC).date() - timedelta(days=30)
DAYS = 21
GRAPH = load_graph()


def _context(settings: Settings, asset: str, partitions: tuple[str, ...] = ()) -> JobContext:
    return JobContext.in_place(GRAPH, asset, partitions, settings, f"test-{uuid.uuid4().hex[:6]}")


def test_ingested_orders_minus_receipts_equal_what_the_simulator_still_has_on_order(services: Settings):
    settings = services.model_copy(update={"lake_url": f"s3://shelfwise-test/orders-{uuid.uuid4().hex[:6]}"})
    ensure_topics(settings)
    for topic in ("purchase-orders", "supplier-shipments"):  # the broker is shared: start at today's end
        write_checkpoint(settings, topic, latest_offsets(settings, topic))
    run = run_scenario(settings, stores=3, skus=40, days=DAYS, seed=23, start=START)

    orders = ingest_purchase_orders(_context(settings, "raw_purchase_orders"))
    receipts = ingest_receipts(_context(settings, "raw_receipts"))
    assert orders.row_count == run.events_by_topic["purchase-orders"]
    assert receipts.row_count == run.events_by_topic["supplier-shipments"]
    last = (START + timedelta(days=DAYS - 1)).isoformat()
    run_job(_context(settings, "open_orders", (last,)))

    lake_fs(settings).invalidate_cache()
    book = read_day(settings, "curated/open_orders", last).set_index(["store_id", "sku"])["on_order"]
    stores, skus = run.chain.stores["store_id"], run.chain.products["sku"]
    ingested = np.array([[book.loc[(s, k)] for k in skus] for s in stores])
    assert np.array_equal(ingested, run.ledger.on_order) and run.ledger.on_order.sum() > 0

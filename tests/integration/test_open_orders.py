"""An order on its way is not ordered again: the real jobs, day by day, on a tiny chain.

inventory_snapshot, daily_features, open_orders and reorder_predictions run as the runner runs them, on the
2-store chain of tests/integration/chain.py. One store x SKU is cut off from its regular deliveries and
its shelf count drops to one unit: the job recommends an order. The order is placed (a purchase-orders
event); the next day it is on order and nothing more is recommended; half of it arrives (a partial receipt
naming the order) and the rest stays on order; only when a count shows the shelf emptied again does the job
recommend a new order. Then a SKU whose supplier is missing from reference/suppliers gets no recommendation
and blocks the day's gate, naming the column and the reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from assets.definitions import load_graph
from assets.run import run_job
from infra.warehouse import Warehouse, migrate
from spark.context import JobContext
from tests.lake_reads import read_day

from . import chain

pytestmark = pytest.mark.spark
GRAPH = load_graph()
HISTORY = 30  # days before the first decision (the baseline forecast reads the last 28)
STORE, SKU = "S00", "P000"  # supplier SUP1: lead time 2 days, case pack 6, minimum order 12


def _day(d: int) -> str:
    return (chain.START + timedelta(days=d)).isoformat()


def _at(d: int, hour: int, minute: int = 0) -> datetime:
    return datetime.fromisoformat(_day(d)) + timedelta(hours=hour, minutes=minute)


class Chain:
    """The tiny chain's raw events, revealed to the lake one day at a time, plus what the test adds."""

    def __init__(self, settings):
        self.settings = settings
        self.dims = chain.dimensions(2, 2)
        self.raw = chain.events(self.dims["stores"], self.dims["products"], HISTORY + 4)
        pair = lambda f: (f["store_id"] == STORE) & (f["sku"] == SKU)  # noqa: E731
        for asset in ("raw_receipts", "raw_purchase_orders"):  # the pair's regular supply stops
            frame = self.raw[asset]
            self.raw[asset] = frame[~(pair(frame) & (pd.to_datetime(frame["ts"]) >= _at(HISTORY - 8, 0)))]
        chain.write_lake(settings, self.dims, {})

    def add(self, asset: str, **event) -> None:
        self.raw[asset] = pd.concat([self.raw[asset], pd.DataFrame([event])], ignore_index=True)

    def count(self, d: int, units: int) -> None:
        """A shelf count after the last sale of day d."""
        self.add("raw_inventory_updates", event_id=f"t-count-{d}", kind="count", store_id=STORE, sku=SKU,
                 quantity=units, reason="cycle_count", ts=_at(d, 20, 30))  # fmt: skip

    def decide(self, d: int, first: int | None = None) -> pd.Series:
        """Land the events up to day d, build the day's assets (from `first` on), return the pair's row."""
        for asset in chain.RAW_PATHS:
            frame = self.raw[asset]
            chain.write_raw(self.settings, asset, frame[pd.to_datetime(frame["ts"]) < _at(d + 1, 0)])
        days = [_day(i) for i in range(d if first is None else first, d + 1)]
        for asset in ("inventory_snapshot", "daily_features"):
            build(self.settings, asset, days)
        for asset in ("open_orders", "reorder_predictions"):
            build(self.settings, asset, [_day(d)])
        decided = read_day(self.settings, "marts/reorder_predictions", _day(d))
        return decided.set_index(["store_id", "sku"]).loc[(STORE, SKU)]


def build(settings, asset: str, days: list[str]):
    return run_job(JobContext.in_place(GRAPH, asset, tuple(days), settings, "test"))


def _position(row: pd.Series) -> float:
    return float(row["on_hand"] + row["on_order"])


def test_an_open_order_is_not_ordered_again_until_the_position_falls_again(spark, settings):
    world = Chain(settings)
    first = HISTORY - 1
    world.count(first, 1)
    row = world.decide(first, first=0)
    assert row["on_order"] == 0 and row["on_hand"] == 1
    quantity = int(row["recommended_order_qty"])
    assert quantity > 0 and _position(row) <= row["reorder_point"]

    world.add("raw_purchase_orders", event_id="t-po-1", kind="placed", po_id="PO-T1", store_id=STORE,
              sku=SKU, supplier_id="SUP1", quantity=quantity, expected_arrival=_at(first + 2, 9),
              ts=_at(first, 21, 45))  # fmt: skip
    row = world.decide(first + 1)
    assert row["on_order"] == quantity, "the order placed last night is on order"
    assert row["recommended_order_qty"] == 0 and _position(row) > row["reorder_point"]

    world.add("raw_receipts", event_id="t-rc-1", store_id=STORE, sku=SKU, supplier_id="SUP1", po_id="PO-T1",
              quantity=quantity - 6, unit_cost=1.0, ts=_at(first + 2, 8))  # fmt: skip
    row = world.decide(first + 2)
    assert row["on_order"] == 6, "a partial delivery leaves the rest of the order open"
    assert row["recommended_order_qty"] == 0 and _position(row) > row["reorder_point"]

    world.count(first + 3, 0)  # the shelf is found empty: the position falls below the reorder point
    row = world.decide(first + 3)
    assert row["on_order"] == 6 and _position(row) <= row["reorder_point"]
    assert row["recommended_order_qty"] > 0


def test_a_sku_without_a_known_supplier_gets_no_order_and_blocks_the_gate(spark, settings):
    from expectations.gate import validate

    migrate(Warehouse(settings))
    world = Chain(settings)
    products = world.dims["products"].copy()
    products.loc[products["sku"] == SKU, "supplier_id"] = "SUP9"  # a supplier nobody set up
    chain.write_lake(settings, {**world.dims, "products": products}, {})
    row = world.decide(HISTORY - 1, first=0)
    assert pd.isna(row["lead_time_days"]) and pd.isna(row["recommended_order_qty"])
    gate = validate(JobContext.in_place(GRAPH, "reorder_predictions", (_day(HISTORY - 1),), settings, "test"))
    assert not gate.passed
    failed = {b["expectation"]: b for b in gate.blocking}
    missing = failed["expect_column_values_to_not_be_null(lead_time_days)"]
    assert "reference/suppliers" in missing["why"] and missing["observed"].startswith("2 of 4")

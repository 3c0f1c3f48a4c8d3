"""The simulator: deterministic per seed, and a ledger that behaves like a store's books."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

import numpy as np

from infra.simulator.scenario import Scenario, run

SCENARIO = Scenario(stores=3, skus=40, days=30, seed=5, start=date(2026, 3, 2))


def _events(scenario: Scenario):
    days = []
    result = run(scenario, days.append)
    events = {
        topic: [v for d in days for v in d.messages.get(topic, ((), []))[1]]
        for topic in result.events_by_topic
    }
    return result, events


def test_same_seed_same_events_other_seed_other_events():
    first, events = _events(SCENARIO)
    again, same = _events(SCENARIO)
    _, other = _events(Scenario(stores=3, skus=40, days=30, seed=6, start=date(2026, 3, 2)))

    assert events == same
    assert np.array_equal(first.ledger.on_hand, again.ledger.on_hand)
    assert events["sales-transactions"] != other["sales-transactions"]


def test_events_carry_the_contract_fields_and_unique_ids():
    _, events = _events(SCENARIO)
    for topic, values in events.items():
        decoded = [json.loads(v) for v in values]
        assert len({e["event_id"] for e in decoded}) == len(decoded), topic
        assert all(e["ts"].endswith("Z") for e in decoded)
    sales = [json.loads(v) for v in events["sales-transactions"]]
    assert {e["kind"] for e in sales} == {"sale", "return"}
    returns = sum(e["quantity"] for e in sales if e["kind"] == "return")
    sold = sum(e["quantity"] for e in sales if e["kind"] == "sale")
    assert 0.005 < returns / sold < 0.05


def test_ledger_never_negative_and_sales_only_from_stock():
    result, events = _events(SCENARIO)
    ledger = result.ledger
    assert (ledger.on_hand >= 0).all()
    assert (ledger.sold <= ledger.demand).all()
    assert ledger.stockout_days.sum() > 0, "a realistic chain runs out of something in a month"
    book = _replay_book_stock(events)
    stores = [f"S{i + 1:03d}" for i in range(SCENARIO.stores)]
    skus = [f"SKU{k + 1:05d}" for k in range(SCENARIO.skus)]
    expected = ledger.book_on_hand()
    assert all(book[(s, k)] == expected[i, j] for i, s in enumerate(stores) for j, k in enumerate(skus))


def _replay_book_stock(events) -> dict:
    """Stock as the events tell it, in time order; asserts it never goes below zero after a sale."""
    rows = []
    for topic, values in events.items():
        for value in values:
            e = json.loads(value)
            rows.append((e["ts"], topic, e))
    stock: dict = defaultdict(int)
    for _, topic, e in sorted(rows, key=lambda r: r[0]):
        key = (e["store_id"], e["sku"])
        if topic == "inventory-updates":
            stock[key] = e["quantity"] if e["kind"] == "count" else stock[key] + e["quantity"]
        elif topic == "supplier-shipments":
            stock[key] += e["quantity"]
        elif topic == "sales-transactions":
            stock[key] += e["quantity"] if e["kind"] == "return" else -e["quantity"]
            assert stock[key] >= 0, f"sold more than on hand: {e}"
    return stock


def test_receipts_fulfil_the_purchase_orders_they_name_partly_late_or_not_at_all():
    result, events = _events(SCENARIO)
    orders = [json.loads(v) for v in events["purchase-orders"]]
    receipts = [json.loads(v) for v in events["supplier-shipments"]]
    placed = {o["po_id"]: o for o in orders if o["kind"] == "placed"}
    cancelled = defaultdict(int)
    for o in orders:
        if o["kind"] == "cancelled":
            cancelled[o["po_id"]] += o["quantity"]
    received, deliveries, late = defaultdict(int), defaultdict(int), 0
    for r in receipts:
        order = placed[r["po_id"]]  # every receipt names an order placed before it
        line = ("store_id", "sku", "supplier_id")
        assert [order[c] for c in line] == [r[c] for c in line]
        assert order["ts"] < r["ts"]
        received[r["po_id"]] += r["quantity"]
        deliveries[r["po_id"]] += 1
        late += r["ts"][:10] > order["expected_arrival"][:10]
    assert all(received[p] + cancelled[p] <= o["quantity"] for p, o in placed.items())
    assert sum(n > 1 for n in deliveries.values()) > 0, "some deliveries come in parts"
    assert late > 0 and cancelled, "some orders arrive after the promised day, some are cancelled"
    # What the events leave open is exactly what the simulator still has on order, per store x SKU.
    open_units = defaultdict(int)
    for p, o in placed.items():
        open_units[(o["store_id"], o["sku"])] += o["quantity"] - received[p] - cancelled[p]
    stores = [f"S{i + 1:03d}" for i in range(SCENARIO.stores)]
    skus = [f"SKU{k + 1:05d}" for k in range(SCENARIO.skus)]
    on_order = result.ledger.on_order
    assert all(open_units[(s, k)] == on_order[i, j] for i, s in enumerate(stores) for j, k in enumerate(skus))


def test_true_demand_does_not_depend_on_what_the_chain_orders():
    from infra.simulator.chain import build_chain
    from infra.simulator.engine import ChainSimulator

    def simulate(reorders: bool):
        rng = np.random.default_rng(3)
        simulator = ChainSimulator(build_chain(rng, 2, 30), date(2026, 3, 2), rng, reorders=reorders)
        for d in range(28):
            simulator.run_day(d)
        return simulator.ledger

    own, none = simulate(True), simulate(False)
    assert np.array_equal(own.demand, none.demand)
    assert none.received.sum() == 0 and own.received.sum() > 0 and none.sold.sum() < own.sold.sum()

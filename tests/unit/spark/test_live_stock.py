"""The live stock ledger: any split of an event stream into micro-batches ends in the same state as the
ledger."""

from __future__ import annotations

import json
import math

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from infra.settings import Settings
from infra.warehouse import Warehouse, migrate
from spark.jobs import pos_events
from spark.jobs.live_stock import STATE_COLUMNS, STREAM_TOPICS, apply_events, stock_events, write_batch
from spark.jobs.pos_events import Rules
from tests.unit.spark.test_event_batches import till_event
from tests.unit.spark.test_pos_events import RULES

KINDS = [
    ("sales-transactions", "sale"), ("sales-transactions", "return"), ("supplier-shipments", ""),
    ("inventory-updates", "adjustment"), ("inventory-updates", "count"),
]  # fmt: skip
T0 = pd.Timestamp("2026-03-02 08:00", tz="UTC")


def events_frame(events: list[tuple[int, int, int, int]]) -> pd.DataFrame:
    """(kind index, store, quantity, minute) tuples -> the frame apply_events reads, seq = arrival order."""
    return pd.DataFrame(
        {
            "topic": [KINDS[k][0] for k, _, _, _ in events],
            "kind": [KINDS[k][1] for k, _, _, _ in events],
            "store_id": [f"S{s}" for _, s, _, _ in events],
            "sku": ["SKU-1"] * len(events),
            "quantity": [q for _, _, q, _ in events],
            "ts": [T0 + pd.Timedelta(minutes=m) for _, _, _, m in events],
            "seq": list(range(len(events))),
        }
    )


def ledger(events: pd.DataFrame) -> dict[str, int]:
    """The on-hand a shop-floor ledger keeps, one event at a time in time order."""
    on_hand: dict[str, int] = {}
    for e in events.sort_values(["ts", "seq"]).itertuples():
        book = on_hand.get(e.store_id, 0)
        on_hand[e.store_id] = {
            "sale": book - e.quantity, "return": book + e.quantity, "": book + e.quantity,
            "adjustment": book + e.quantity, "count": e.quantity,
        }[e.kind]  # fmt: skip
    return on_hand


event = st.tuples(st.integers(0, 4), st.integers(1, 3), st.integers(1, 40), st.integers(0, 600))


@hsettings(max_examples=150, deadline=None)
@given(st.lists(event, min_size=1, max_size=60), st.lists(st.integers(1, 59), max_size=4))
def test_any_batching_in_time_order_matches_the_ledger(events, cuts):
    frame = events_frame(sorted(events, key=lambda e: e[3])).assign(seq=lambda f: range(len(f)))
    rows: dict[tuple[str, str], dict] = {}
    bounds = [0, *sorted(c for c in set(cuts) if c < len(frame)), len(frame)]
    for start, stop in zip(bounds, bounds[1:], strict=False):
        state = pd.DataFrame(list(rows.values()), columns=STATE_COLUMNS)
        for row in apply_events(state, frame.iloc[start:stop]).to_dict("records"):
            rows[(row["store_id"], row["sku"])] = row
    assert {store: row["on_hand"] for (store, _), row in rows.items()} == ledger(frame)


def test_a_count_sets_on_hand_and_sales_after_it_count_down():
    frame = events_frame([(2, 1, 50, 0), (0, 1, 3, 5), (4, 1, 40, 10), (0, 1, 2, 20), (1, 1, 1, 30)])
    row = apply_events(pd.DataFrame(columns=STATE_COLUMNS), frame).iloc[0]
    assert row.on_hand == 40 - 2 + 1
    assert row.last_sale_at == T0 + pd.Timedelta(minutes=20)
    assert row.last_event_at == T0 + pd.Timedelta(minutes=30)
    fifteen_minutes_of_decay = math.exp(-(15 / 1440) / 7)
    assert row.velocity_per_day == pytest.approx(3 / 7 * fifteen_minutes_of_decay + 2 / 7)


def test_a_replayed_batch_writes_the_same_state(settings: Settings):
    migrate(Warehouse(settings))
    first = events_frame([(2, 1, 50, 0), (0, 1, 3, 5)]).rename(columns={"seq": "offset"})
    second = events_frame([(0, 1, 4, 9), (0, 2, 1, 9), (2, 3, 12, 9)]).rename(columns={"seq": "offset"})
    write_batch(settings, first, 0)
    write_batch(settings, second, 1)
    write_batch(settings, second, 1)  # Spark replays a batch whose commit it did not see

    live = Warehouse(settings).query_df(
        "SELECT store_id, on_hand, last_sale_at FROM inventory_live_current ORDER BY store_id"
    )
    assert live[["store_id", "on_hand"]].to_dict("records") == [
        {"store_id": "S1", "on_hand": 43},
        {"store_id": "S2", "on_hand": -1},
        {"store_id": "S3", "on_hand": 12},
    ]
    assert live.last_sale_at.notna().tolist() == [True, True, False], "a receipt alone is no sale"
    assert Warehouse(settings).query_df("SELECT count() AS n FROM inventory_live FINAL")["n"].item() == 3


def kafka_records(records: list[tuple[str, bytes | None]]) -> pa.Table:
    """What the stream's micro-batch holds: topic, partition, offset, value."""
    return pa.table({"topic": [t for t, _ in records], "partition": pa.array([0] * len(records), pa.int32()),
                     "offset": pa.array(range(len(records)), pa.int64()),
                     "value": pa.array([v for _, v in records], pa.binary())})  # fmt: skip


def test_only_events_the_ingest_accepts_move_stock():
    good = [(topic, till_event(topic, n)) for topic in STREAM_TOPICS for n in range(4)]
    sale = json.loads(till_event("sales-transactions", 9))
    receipt = json.loads(till_event("supplier-shipments", 9))
    pills = [
        ("sales-transactions", json.dumps({**sale, "ts": "0001-01-01T00:00:00Z"}).encode()),  # stopped it
        ("sales-transactions", json.dumps({**sale, "ts": "9999-12-31T23:59:59Z"}).encode()),
        ("sales-transactions", json.dumps(sale)[:-1].encode() + b', "quantity": 900}'),
        ("sales-transactions", json.dumps({**sale, "store_id": "\ud800"}).encode()),
        ("supplier-shipments", json.dumps({**receipt, "quantity": 2**31 - 1}).encode()),  # overflows on_hand
        ("inventory-updates", b"\xff"),
        ("inventory-updates", None),
        ("price-changes", till_event("price-changes", 1)),  # moves no stock
    ]
    records = good[:6] + pills + good[6:]
    rules = Rules(None, None, RULES.now, RULES.retention_days)

    events = stock_events(kafka_records(records), rules)

    assert sorted(events.offset) == [n for n, (_, v) in enumerate(records) if (_, v) in good]
    want = [pos_events.classify(t, v, rules).row for t, v in good]
    assert sorted(events.quantity) == sorted(row["quantity"] for row in want)
    assert set(events.store_id) == {"S001", "S002"} and events.ts.dt.tz is not None
    moved = apply_events(pd.DataFrame(columns=STATE_COLUMNS), events.rename(columns={"offset": "seq"}))
    assert len(moved) == len(events.groupby(["store_id", "sku"]))


def test_no_known_stores_means_no_store_check_in_both_paths():
    values = [till_event("sales-transactions", n).replace(b"S00", b"X00") for n in range(100)]
    rules = Rules(None, None, RULES.now, RULES.retention_days)
    assert all(pos_events.classify("sales-transactions", v, rules).reason is None for v in values)
    events = stock_events(kafka_records([("sales-transactions", v) for v in values]), rules)
    assert len(events) == 100 and set(events.store_id) == {"X001", "X002"}

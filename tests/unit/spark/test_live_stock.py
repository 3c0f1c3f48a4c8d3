"""The live stock ledger: any split of an event stream into micro-batches ends in the same state as the
ledger."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from infra.settings import Settings
from infra.warehouse import Warehouse, migrate
from spark.jobs import pos_events
from spark.jobs.live_stock import STATE_COLUMNS, apply_events, write_batch

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


def test_the_stream_reads_only_json_every_reader_reads_alike():
    from tests.unit.spark.test_pos_events import SPELLINGS

    for name, (text, reason) in SPELLINGS.items():
        decodes = reason not in (pos_events.AMBIGUOUS, pos_events.UNPARSEABLE)
        assert pos_events.readable(text.encode("utf-8", "surrogatepass")) == decodes, name
    assert not pos_events.readable(None) and not pos_events.readable(b"\xff{}")

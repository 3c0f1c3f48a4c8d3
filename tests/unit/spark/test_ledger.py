"""The ledger rules, property-based over random event streams, against an event-by-event reference."""

from datetime import datetime, timedelta

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from spark.jobs.ledger import run_ledger

from .ledger_reference import day_inputs, reference_ledger

DAYS = ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
KINDS = ["sale", "sale", "sale", "return", "receipt", "adjustment", "count"]


@st.composite
def event_streams(draw) -> pd.DataFrame:
    """Events with distinct timestamps over DAYS; adjustments are signed, counts are shelf quantities."""
    n = draw(st.integers(0, 40))
    minutes = draw(st.lists(st.integers(0, len(DAYS) * 24 * 60 - 1), min_size=n, max_size=n, unique=True))
    rows = []
    for minute in minutes:
        kind = draw(st.sampled_from(KINDS))
        low = -5 if kind == "adjustment" else (0 if kind == "count" else 1)
        ts = datetime(2026, 3, 1) + timedelta(minutes=minute)
        rows.append(
            {"date": ts.date().isoformat(), "ts": ts, "kind": kind, "quantity": draw(st.integers(low, 30))}
        )
    return pd.DataFrame(rows, columns=["date", "ts", "kind", "quantity"])


@given(event_streams())
@settings(max_examples=200, deadline=None)
def test_the_ledger_balances_and_matches_the_event_walk(events):
    inputs = day_inputs(events, DAYS)
    ledger = pd.concat([inputs, run_ledger(inputs, None)], axis=1)
    expected = reference_ledger(events, DAYS)

    flow = ledger.opening_on_hand - ledger.sold + ledger.returned + ledger.received + ledger.adjusted
    assert (ledger.closing_on_hand == flow).all(), "closing = opening - sold + returned + received + adjusted"
    assert ((ledger.closing_on_hand >= 0) | ledger.discrepancy).all()
    assert (ledger.opening_on_hand.iloc[1:].to_numpy() == ledger.closing_on_hand.iloc[:-1].to_numpy()).all()
    for column in ["opening_on_hand", "sold", "returned", "received", "closing_on_hand", "discrepancy"]:
        assert ledger[column].tolist() == expected[column].tolist(), column


@given(event_streams(), st.integers(0, 50))
@settings(max_examples=100, deadline=None)
def test_a_known_previous_closing_is_the_opening(events, previous):
    ledger = run_ledger(day_inputs(events, DAYS), previous)
    assert ledger.opening_on_hand.iloc[0] == previous


def test_selling_more_than_the_book_is_a_flagged_discrepancy_not_negative_stock():
    events = pd.DataFrame([{"date": DAYS[0], "ts": datetime(2026, 3, 1, 9), "kind": "sale", "quantity": 3}])
    ledger = run_ledger(day_inputs(events, DAYS[:1]), 1)
    assert ledger.iloc[0][["closing_on_hand", "discrepancy", "discrepancy_units", "adjusted"]].tolist() == [
        0,
        True,
        2,
        2,
    ]


def test_a_count_books_shrinkage_as_the_count_minus_the_book():
    events = pd.DataFrame(
        [
            {"date": DAYS[0], "ts": datetime(2026, 3, 1, 9), "kind": "sale", "quantity": 2},
            {"date": DAYS[0], "ts": datetime(2026, 3, 1, 12), "kind": "count", "quantity": 5},
            {"date": DAYS[0], "ts": datetime(2026, 3, 1, 15), "kind": "sale", "quantity": 1},
        ]
    )
    row = run_ledger(day_inputs(events, DAYS[:1]), 10).iloc[0]
    assert (row.count_variance, row.adjusted, row.closing_on_hand) == (-3, -3, 4)

"""The reorder benchmark's own pieces (tests/bench/reorder_replay.py), checked by hand: the naive base-stock
policy, and what counts as a duplicate order."""

import numpy as np
import pytest

from tests.bench.reorder_replay import NaiveBaseStock, Tally


def _rule(case=1.0, minimum=0.0, lead=2.0, cycle=1.0):
    return NaiveBaseStock(np.array([lead]), np.array([case]), np.array([minimum]), review_days=1.0,
                          cycle_days=cycle, z=2.0)  # fmt: skip


def test_base_stock_level_leaves_stock_out_days_out_of_the_moving_average():
    # 28 days: 20 days selling 4, 8 stock-out days recording 0 -> mean 4, std 0 over the kept days;
    # S = 4 x (2 + 1) = 12. Counting the zeros would have given a mean of 20 x 4 / 28 = 2.86.
    sold = np.array([[[4.0] * 20 + [0.0] * 8]])
    out = np.array([[[False] * 20 + [True] * 8]])
    level, target = _rule(cycle=7.0).levels(sold, out)
    assert level[0, 0] == pytest.approx(12.0) and target[0, 0] == pytest.approx(12.0 + 4 * 6)
    # A spread: days of 2 and 6 (mean 4, sample std 2.04 over 28 days): S = 12 + 2 x 2.04 x sqrt(3).
    alternating = np.array([[[2.0, 6.0] * 14]])
    std = np.std([2.0, 6.0] * 14, ddof=1)
    assert _rule().levels(alternating, np.zeros_like(alternating, bool))[0][0, 0] == pytest.approx(
        12 + 2 * std * np.sqrt(3)
    )


def test_base_stock_counts_what_is_on_order_and_orders_whole_cases():
    levels = np.array([[30.0]]), np.array([[30.0]])
    assert _rule(case=6).orders(levels, np.array([[10.0]]), np.array([[0.0]]))[0, 0] == 24  # 20 -> 4 cases
    assert _rule(case=6).orders(levels, np.array([[10.0]]), np.array([[20.0]]))[0, 0] == 0  # position 30
    assert _rule(case=6, minimum=48).orders(levels, np.array([[10.0]]), np.array([[14.0]]))[0, 0] == 48
    # With a longer cycle: below S = 30 the order goes up to 54, not 30.
    cycle = np.array([[30.0]]), np.array([[54.0]])
    assert _rule(case=6).orders(cycle, np.array([[10.0]]), np.array([[14.0]]))[0, 0] == 30


def test_a_second_order_is_a_duplicate_only_while_the_open_one_covers_the_shortfall():
    tally, on_hand, open_units = Tally(), np.array([[5.0, 5.0, 5.0]]), np.array([[0.0, 30.0, 10.0]])
    store, sku = np.array([0, 0, 0]), np.array([0, 1, 2])
    # Trigger level 20 for each: pair 0 has nothing open (a first order); pair 1's open 30 lifts it to 35
    # (above 20: the earlier order covers it, a duplicate); pair 2's open 10 leaves it at 15 (a real need).
    tally.record_orders(store, sku, np.array([20.0, 20.0, 20.0]), on_hand, open_units, day=3)
    assert (tally.orders, tally.orders_while_open, tally.duplicate_orders) == (3, 2, 1)
    assert tally.seen_duplicates == [(3, 0, 1)]


def test_fill_rate_on_hand_and_order_frequency_add_up_over_days():
    tally = Tally()
    for _ in range(14):
        tally.record_day(np.array([[4, 2]]), np.array([[4, 1]]), np.array([[10, 0]]))
    tally.record_orders(np.array([0]), np.array([1]), np.array([5.0]), np.array([[10.0, 0.0]]),
                        np.array([[0.0, 0.0]]), day=13)  # fmt: skip
    assert tally.fill_rate == pytest.approx(5 / 6) and tally.avg_on_hand == pytest.approx(5.0)
    assert tally.orders_per_pair_week == pytest.approx(1 / 2 / 2)

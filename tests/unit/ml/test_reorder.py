"""Reorder policy math: hand-checked values and properties over generated store x SKU rows."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spark.ml.reorder import (
    ReorderPolicy,
    order_up_to,
    recommend,
    reorder_point,
    round_order,
    safety_stock,
    stock_out_probability,
)


def test_safety_stock_includes_lead_time_variability():
    # z=2, L=4, mu=10, s=3, sL=1: sqrt(4*9 + 100*1) = sqrt(136)
    assert safety_stock(2.0, 4, 10, 3, 1) == pytest.approx(2 * np.sqrt(136))
    assert safety_stock(2.0, 4, 10, 3, 0) == pytest.approx(2 * 3 * 2)
    assert reorder_point(2.0, 4, 10, 3, 0) == pytest.approx(40 + 12)
    assert order_up_to(2.0, 2, 7, 10, 3, 0) == pytest.approx(90 + 2 * 3 * 3)


def test_rounding_to_case_pack_and_minimum_order():
    assert list(round_order([0, 1, 12, 13, -5], 12, 0)) == [0, 12, 12, 24, 0]
    assert list(round_order([1, 30, 50], 12, 48)) == [48, 48, 60]
    assert list(round_order([5], 1, 0)) == [5]


def test_stock_out_probability_extremes():
    risk = stock_out_probability([0, 1000, 35], 5, 7, 2, 0)
    assert risk[0] > 0.99 and risk[1] < 1e-6 and risk[2] == pytest.approx(0.5)
    assert list(stock_out_probability([20, 0], 3, 5, 0, 0)) == [0.0, 1.0]  # no spread: certain


rows = st.fixed_dictionaries({
    "daily_mean": st.floats(0, 500),
    "daily_std": st.floats(0, 200),
    "on_hand": st.floats(0, 5000),
    "on_order": st.floats(0, 500),
    "lead_time_days": st.floats(0.5, 30),
    "lead_time_std_days": st.floats(0, 10),
    "case_pack": st.integers(1, 48),
    "min_order_units": st.integers(0, 200),
})


@settings(max_examples=300, deadline=None)
@given(st.lists(rows, min_size=1, max_size=20), st.floats(0.5, 0.999))
def test_policy_properties(batch, service_level):
    policy = ReorderPolicy(service_level=service_level)
    columns = {k: np.array([r[k] for r in batch]) for k in batch[0]}
    out = recommend(columns, policy)
    qty = out["recommended_order_qty"]
    assert (qty >= 0).all()
    assert (qty % columns["case_pack"] == 0).all()
    assert ((qty == 0) | (qty >= columns["min_order_units"])).all()
    assert (out["reorder_point"] >= out["safety_stock"] - 1e-9).all()
    assert (out["order_up_to"] >= out["reorder_point"] - 1e-9).all()
    assert ((out["stock_out_probability"] >= 0) & (out["stock_out_probability"] <= 1)).all()
    # An order always lifts the position to at least the order-up-to level.
    position = columns["on_hand"] + columns["on_order"]
    ordered = qty > 0
    assert (position[ordered] + qty[ordered] >= out["order_up_to"][ordered] - 1e-6).all()


def test_weekly_review_protects_the_week_until_the_next_review():
    # mu 10, no spread, lead time 3: reviewed daily, order at 10 x (3 + 1); weekly, at 10 x (3 + 7) = S.
    row = {"daily_mean": np.array([10.0]), "daily_std": np.array([0.0]), "on_hand": np.array([60.0]),
           "on_order": np.array([0.0]), "lead_time_days": np.array([3.0]),
           "lead_time_std_days": np.array([0.0]), "case_pack": np.array([1]),
           "min_order_units": np.array([0])}  # fmt: skip
    daily = recommend(row, ReorderPolicy(review_days=1))
    weekly = recommend(row, ReorderPolicy(review_days=7))
    assert daily["reorder_point"][0] == pytest.approx(40) and daily["recommended_order_qty"][0] == 0
    assert weekly["reorder_point"][0] == pytest.approx(100) == weekly["order_up_to"][0]
    assert weekly["recommended_order_qty"][0] == 40  # 60 on hand would run out before the order after next


def _row(on_hand, on_order, committed=None):
    row = {"daily_mean": np.array([10.0]), "daily_std": np.array([0.0]), "on_hand": np.array([on_hand]),
           "on_order": np.array([on_order]), "lead_time_days": np.array([3.0]),
           "lead_time_std_days": np.array([0.0]), "case_pack": np.array([6]),
           "min_order_units": np.array([0])}  # fmt: skip
    return row if committed is None else row | {"committed": np.array([committed])}


def test_units_on_order_count_in_the_position_and_committed_units_do_not():
    # mu 10, lead time 3, daily review: reorder point 40, order-up-to 10 x (3 + 7) = 100.
    alone = recommend(_row(30.0, 0.0), ReorderPolicy())["recommended_order_qty"][0]
    assert alone == 72  # 100 - 30 = 70, in cases of 6
    # The same shortfall with 72 already on its way: position 102 > 40, nothing more to order.
    assert recommend(_row(30.0, 72.0), ReorderPolicy())["recommended_order_qty"][0] == 0
    # Half of it arrived, the rest is still on order: the position is unchanged, so is the decision.
    assert recommend(_row(66.0, 36.0), ReorderPolicy())["recommended_order_qty"][0] == 0
    # 70 of 102 promised to customers: position 32 <= 40, order 100 - 32 = 68 -> 72.
    assert recommend(_row(30.0, 72.0, committed=70.0), ReorderPolicy())["recommended_order_qty"][0] == 72


def test_stock_out_risk_at_the_reorder_point_is_one_minus_the_service_level():
    # both over the protection period L + R: at the reorder point the risk is what the service level allows
    row = {"daily_mean": np.array([12.0]), "daily_std": np.array([4.0]), "on_order": np.array([0.0]),
           "lead_time_days": np.array([5.0]), "lead_time_std_days": np.array([1.0]),
           "case_pack": np.array([1]), "min_order_units": np.array([0])}  # fmt: skip
    policy = ReorderPolicy(service_level=0.9, review_days=7)
    point = recommend({**row, "on_hand": np.array([0.0])}, policy)["reorder_point"]
    at_point = recommend({**row, "on_hand": point}, policy)
    assert at_point["stock_out_probability"][0] == pytest.approx(0.1)

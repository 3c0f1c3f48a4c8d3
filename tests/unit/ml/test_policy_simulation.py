"""The inventory replay on tiny traces checked by hand."""

import numpy as np
import pytest

from spark.ml.policy_simulation import SupplierTerms, forecast_rule, naive_rule, replay
from spark.ml.reorder import ReorderPolicy


def _terms(lead=2.0, case=1, minimum=0):
    one = np.ones(1)
    return SupplierTerms(one * lead, one * 0.0, one * case, one * minimum)


def test_lost_sales_and_a_delivery_by_hand():
    # Day 0: sell 3 of 5 (2 left), order 4 arriving day 2. Day 1: sell 2 of 3 (0 left).
    # Day 2: 4 arrive, sell 3 (1 left). Day 3: sell 1 of 3 (0 left). Served 9 of 12.
    demand = np.array([[3, 3, 3, 3]], float)
    outcome = replay(demand, np.array([5.0]), np.full((1, 4), 2), [0], lambda review: np.array([4.0]))
    assert outcome.served == 9 and outcome.demand == 12
    assert outcome.fill_rate == pytest.approx(0.75)
    assert outcome.avg_on_hand == pytest.approx((2 + 0 + 1 + 0) / 4)
    assert outcome.orders == 1


def test_naive_orders_last_weeks_sales_in_cases():
    demand = np.array([[1, 1, 1, 1, 1, 1, 1, 0]], float)
    seen = []
    rule = naive_rule(_terms(case=6))

    def spy(review):
        seen.append((review.day, review.sold_last_week[0], review.on_order[0]))
        return rule(review)

    outcome = replay(
        demand, np.array([10.0]), np.full((1, 8), 3), [1, 6], spy, sold_before=np.full((1, 7), 2.0)
    )
    # Day 1 sees 5 earlier days x 2 + 2 sold in the replay = 12 -> 12 units (2 cases) due on day 4.
    # Day 6 sees the replay's 7 sales of 1 -> 7 -> rounded up to 12, with 0 on order.
    assert seen == [(1, 12.0, 0.0), (6, 7.0, 0.0)]
    assert outcome.fill_rate == 1.0


def test_forecast_rule_orders_up_to_the_policy_level():
    # mean 2/day, no spread, lead time 2, daily review: reorder point 2 x (2 + 1) = 6,
    # order-up-to 2 x (2 + 7) = 18.
    rule = forecast_rule(_terms(), ReorderPolicy(), lambda day: (np.array([2.0]), np.array([0.0])))
    demand = np.full((1, 3), 2.0)
    orders = []
    replay(
        demand, np.array([6.0]), np.full((1, 3), 2), [0, 1], lambda r: orders.append(rule(r)[0]) or rule(r)
    )
    assert orders == [14, 0]  # day 0: position 4 <= 6 -> 18 - 4; day 1: position 2 + 14 > 6

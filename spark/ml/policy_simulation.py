"""Replay a replenishment rule against a known demand trace: fill rate and average on-hand per policy.

One row per store x SKU, one column per day. A day: the deliveries due arrive before opening, the shelf
serves min(demand, on_hand) (the rest is lost, not back-ordered), and on a review day an order is placed
after closing; it arrives `lead_days[row, day]` days later. The lead times are drawn once and shared by
every policy replayed on the same trace, so policies differ only in what they order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from spark.ml.reorder import ReorderPolicy, recommend, round_order

WEEK = 7


@dataclass(frozen=True)
class SupplierTerms:
    """Per-row supplier terms (arrays of equal length)."""

    lead_time_days: np.ndarray
    lead_time_std_days: np.ndarray
    case_pack: np.ndarray
    min_order_units: np.ndarray

    def draw_lead_days(self, n_days: int, rng: np.random.Generator) -> np.ndarray:
        """Realised lead time (whole days, at least 1) of an order placed by each row on each day."""
        drawn = rng.normal(
            self.lead_time_days[:, None], self.lead_time_std_days[:, None], (len(self.case_pack), n_days)
        )
        return np.maximum(1, np.round(drawn)).astype(np.int64)


@dataclass(frozen=True)
class Review:
    """What a buyer sees when placing the order of `day` (after closing)."""

    day: int
    on_hand: np.ndarray
    on_order: np.ndarray
    sold_last_week: np.ndarray


@dataclass(frozen=True)
class Outcome:
    """Units served against units wanted, and the average end-of-day on-hand, over the replay."""

    demand: float
    served: float
    avg_on_hand: float
    orders: int

    @property
    def fill_rate(self) -> float:
        return self.served / self.demand if self.demand else float("nan")


OrderRule = Callable[[Review], np.ndarray]


def replay(
    demand: np.ndarray,
    opening: np.ndarray,
    lead_days: np.ndarray,
    review_days,
    rule: OrderRule,
    sold_before: np.ndarray | None = None,
) -> Outcome:
    """Run `rule` on every review day over the demand trace (rows x days) from the opening on-hand.

    `sold_before` (rows x days) are the sales just before the replay, so a first-day review sees a week.
    """
    rows, n_days = demand.shape
    before = np.zeros((rows, 0)) if sold_before is None else np.asarray(sold_before, float)
    on_hand = np.asarray(opening, float).copy()
    arriving = np.zeros((rows, n_days + int(lead_days.max()) + 1))
    sold = np.hstack([before, np.zeros((rows, n_days))])
    closing = np.zeros((rows, n_days))
    reviews, orders, index = set(review_days), 0, np.arange(rows)
    for day in range(n_days):
        today = before.shape[1] + day
        on_hand += arriving[:, day]
        sold[:, today] = np.minimum(demand[:, day], on_hand)
        on_hand -= sold[:, today]
        closing[:, day] = on_hand
        if day in reviews:
            last_week = sold[:, max(0, today - WEEK + 1) : today + 1].sum(axis=1)
            quantity = np.asarray(
                rule(Review(day, on_hand.copy(), arriving[:, day + 1 :].sum(1), last_week)), float
            )
            np.add.at(arriving, (index, day + lead_days[:, day]), quantity)
            orders += int((quantity > 0).sum())
    served = float(sold[:, before.shape[1] :].sum())
    return Outcome(float(demand.sum()), served, float(closing.mean()), orders)


def naive_rule(terms: SupplierTerms) -> OrderRule:
    """Order what sold over the last week, in whole cases and at least the minimum order."""
    return lambda review: round_order(review.sold_last_week, terms.case_pack, terms.min_order_units)


def forecast_rule(terms: SupplierTerms, policy: ReorderPolicy, forecast: Callable[[int], tuple]) -> OrderRule:
    """spark/ml/reorder.py's recommendation, fed `forecast(day) -> (daily_mean, daily_std)` per row."""

    def rule(review: Review) -> np.ndarray:
        daily_mean, daily_std = forecast(review.day)
        rows = {
            "daily_mean": daily_mean, "daily_std": daily_std, "on_hand": review.on_hand,
            "on_order": review.on_order, "lead_time_days": terms.lead_time_days,
            "lead_time_std_days": terms.lead_time_std_days, "case_pack": terms.case_pack,
            "min_order_units": terms.min_order_units,
        }  # fmt: skip
        return recommend(rows, policy)["recommended_order_qty"]

    return rule

"""Replenishment policy math: periodic review, reorder point, order-up-to level, case-pack rounding.

Vectorised numpy over one row per store x SKU: the daily job collects a few thousand rows, so the
policy runs on the driver and the same functions are unit- and property-tested directly.

Demand over a lead time L (days) with daily mean mu, daily sigma s and lead-time std sL is taken as
normal with mean mu*L and std sqrt(L*s^2 + mu^2*sL^2): the second term is the lead-time variability.

Periodic review with review period R: an order placed now is the last chance before the next review, so the
reorder point protects the lead time plus R (not L alone: reviewed weekly, that leaves a week uncovered).
The order-up-to level covers L plus the longer of R and the order cycle (an order brings about a week of
stock); reviewed as often as the cycle, the reorder point equals the order-up-to level (an (R, S) policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

_NORMAL = NormalDist()
URGENCY = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class ReorderPolicy:
    """Targets shared by every store x SKU unless a row carries its own supplier terms."""

    service_level: float = 0.95
    review_days: float = 1.0  # days between two reviews of a store x SKU (reorder_predictions runs daily)
    cycle_days: float = 7.0  # an order brings at least this many days of demand: fewer, fuller deliveries
    high_risk: float = 0.2  # stock-out probability from which a row is urgent
    critical_risk: float = 0.5

    @property
    def z(self) -> float:
        return _NORMAL.inv_cdf(self.service_level)


def demand_std_over(days, daily_mean, daily_std, lead_time_std):
    """Std of total demand over `days` days when the lead time itself varies (std `lead_time_std`)."""
    days, mu, s, s_lt = (np.asarray(x, float) for x in (days, daily_mean, daily_std, lead_time_std))
    return np.sqrt(days * s**2 + mu**2 * s_lt**2)


def safety_stock(z, lead_time, daily_mean, daily_std, lead_time_std):
    """z x demand std over the lead time, including the lead-time-variability term."""
    return z * demand_std_over(lead_time, daily_mean, daily_std, lead_time_std)


def reorder_point(z, lead_time, daily_mean, daily_std, lead_time_std):
    """Expected demand over `lead_time` days (pass the protection period L + R) plus safety stock."""
    lead_time, mu = np.asarray(lead_time, float), np.asarray(daily_mean, float)
    return mu * lead_time + safety_stock(z, lead_time, daily_mean, daily_std, lead_time_std)


def order_up_to(z, lead_time, review_days, daily_mean, daily_std, lead_time_std):
    """Stock to cover demand until the order after next can arrive (lead time + review period)."""
    cover = np.asarray(lead_time, float) + review_days
    expected = np.asarray(daily_mean, float) * cover
    return expected + safety_stock(z, cover, daily_mean, daily_std, lead_time_std)


def round_order(quantity, case_pack, min_order):
    """Round a wanted quantity up to whole cases and to at least the supplier's minimum order (0 stays 0)."""
    quantity = np.maximum(np.asarray(quantity, float), 0.0)
    pack = np.maximum(np.asarray(case_pack, float), 1.0)
    cases = np.ceil(np.round(quantity / pack, 9))
    min_cases = np.ceil(np.round(np.maximum(np.asarray(min_order, float), 0.0) / pack, 9))
    cases = np.where(cases > 0, np.maximum(cases, min_cases), 0.0)
    return (cases * pack).astype(np.int64)


def stock_out_probability(position, lead_time, daily_mean, daily_std, lead_time_std):
    """P(demand over `lead_time` days exceeds the stock position), normal approximation. Pass the
    protection period L + R, as for the reorder point: the stock must last until an order placed at the
    next review arrives."""
    position, lead_time, mu = (np.asarray(x, float) for x in (position, lead_time, daily_mean))
    spread = demand_std_over(lead_time, daily_mean, daily_std, lead_time_std)
    gap = position - mu * lead_time
    certain = np.where(gap < 0, 1.0, 0.0)  # no uncertainty: out iff expected demand exceeds stock
    safe_spread = np.where(spread > 0, spread, 1.0)
    risk = 1.0 - np.vectorize(_NORMAL.cdf, otypes=[float])(gap / safe_spread)
    return np.where(spread > 0, risk, certain)


def urgency(risk, ordering, policy: ReorderPolicy):
    """critical / high by stock-out risk, medium when an order is due anyway, else low."""
    risk, ordering = np.asarray(risk, float), np.asarray(ordering, bool)
    return np.select(
        [risk >= policy.critical_risk, risk >= policy.high_risk, ordering],
        ["critical", "high", "medium"],
        default="low",
    )


def inventory_position(on_hand, on_order, committed=0.0):
    """What the stock will be once every open order has arrived, less units already promised to customers:
    decisions on the position, not on hand alone, do not order again what is already on its way."""
    on_hand, on_order, committed = (np.asarray(x, float) for x in (on_hand, on_order, committed))
    return on_hand + on_order - committed


def recommend(rows: dict[str, np.ndarray], policy: ReorderPolicy) -> dict[str, np.ndarray]:
    """Every reorder field for rows with daily_mean, daily_std, on_hand, on_order, lead_time_days,
    lead_time_std_days, case_pack, min_order_units and optionally committed (arrays of equal length)."""
    lead_time = np.asarray(rows["lead_time_days"], float)
    demand = (rows["daily_mean"], rows["daily_std"], rows["lead_time_std_days"])
    protection = lead_time + policy.review_days
    position = inventory_position(rows["on_hand"], rows["on_order"], rows.get("committed", 0.0))
    point = reorder_point(policy.z, protection, *demand)
    level = order_up_to(policy.z, lead_time, max(policy.review_days, policy.cycle_days), *demand)
    wanted = np.where(position <= point, level - position, 0.0)
    quantity = round_order(wanted, rows["case_pack"], rows["min_order_units"])
    risk = stock_out_probability(position, protection, *demand)  # the period the reorder point protects
    return {
        "safety_stock": safety_stock(policy.z, protection, *demand),
        "reorder_point": point,
        "order_up_to": level,
        "recommended_order_qty": quantity,
        "stock_out_probability": risk,
        "urgency": urgency(risk, quantity > 0, policy),
    }

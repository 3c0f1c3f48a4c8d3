"""Benchmark-only pieces of the reorder policy replay: what each policy achieved, and the naive policy.

Both policies run on the chain simulator (infra/simulator) from the same state, against the same true demand
and the same supplier behaviour (see infra/simulator/orders.py); only the orders differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spark.ml.reorder import ReorderPolicy, round_order

MA_DAYS = 28


@dataclass
class Tally:
    """Units wanted and served, closing on-hand, and the orders a policy placed over the replayed days."""

    demand: float = 0.0
    served: float = 0.0
    on_hand_sum: float = 0.0
    pair_days: int = 0
    orders: int = 0
    orders_while_open: int = 0  # placed while an earlier order for the store x SKU was still open
    duplicate_orders: int = 0  # ... and that earlier order alone would have covered the shortfall
    days: int = 0
    pairs: int = 0
    seen_duplicates: list = field(default_factory=list)

    def record_day(self, demand: np.ndarray, sold: np.ndarray, on_hand: np.ndarray) -> None:
        """One trading day: true demand, units sold, true closing on-hand (store x SKU arrays)."""
        self.demand += float(demand.sum())
        self.served += float(sold.sum())
        self.on_hand_sum += float(on_hand.sum())
        self.pair_days += on_hand.size
        self.pairs, self.days = on_hand.size, self.days + 1

    def record_orders(self, store, sku, trigger_level, on_hand: np.ndarray, open_units: np.ndarray, day: int):
        """Orders about to be placed for (store, sku). A duplicate: an earlier order for the pair is still
        open, and the true on-hand plus what is open was already above the level that triggered this order,
        so the earlier order alone covered the shortfall this one answers."""
        already = open_units[store, sku]
        covered = on_hand[store, sku] + already > np.asarray(trigger_level, float)
        duplicate = (already > 0) & covered
        self.orders += len(store)
        self.orders_while_open += int((already > 0).sum())
        self.duplicate_orders += int(duplicate.sum())
        pairs = zip(store[duplicate], sku[duplicate], strict=True)
        self.seen_duplicates += [(day, int(s), int(k)) for s, k in pairs]

    @property
    def fill_rate(self) -> float:
        return self.served / self.demand if self.demand else float("nan")

    @property
    def avg_on_hand(self) -> float:
        return self.on_hand_sum / self.pair_days if self.pair_days else float("nan")

    @property
    def orders_per_pair_week(self) -> float:
        return self.orders / self.pairs / (self.days / 7) if self.days else float("nan")


@dataclass(frozen=True)
class NaiveBaseStock:
    """Base-stock on a 28-day moving average: each review, when the inventory position (on hand + on order)
    is below S = mean x (L + R) + z x std x sqrt(L + R), order up to S plus mean x (cycle - R) (cycle = R:
    plain base-stock; a longer cycle brings fewer, larger orders, like production's 7-day cycle), in whole
    cases and at least the minimum order. Mean and std are those of the last 28 days' recorded sales with
    stock-out days left out (their zero is censored demand), as the production baseline takes them; z is
    the production target's."""

    lead_time_days: np.ndarray  # per SKU, the supplier's mean (what reference/suppliers says)
    case_pack: np.ndarray
    min_order_units: np.ndarray
    review_days: float = 1.0
    cycle_days: float = 1.0
    z: float = ReorderPolicy().z

    def levels(self, sold: np.ndarray, stock_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(S, order-up-to level) per store x SKU from the trailing days (store x SKU x days arrays)."""
        sold, kept = sold[:, :, -MA_DAYS:], ~stock_out[:, :, -MA_DAYS:]
        n = kept.sum(axis=2)
        mean = np.where(n > 0, (sold * kept).sum(axis=2) / np.maximum(n, 1), 0.0)
        spread = np.where(kept, sold - mean[:, :, None], 0.0)
        std = np.sqrt((spread**2).sum(axis=2) / np.maximum(n - 1, 1))
        protect = self.lead_time_days[None, :] + self.review_days
        level = mean * protect + self.z * std * np.sqrt(protect)
        return level, level + mean * max(self.cycle_days - self.review_days, 0.0)

    def orders(self, levels: tuple, on_hand: np.ndarray, on_order: np.ndarray) -> np.ndarray:
        """Units to order per store x SKU (0: none), for `levels` as `levels()` returns them."""
        level, target = levels
        position = on_hand + on_order
        wanted = np.where(position < level, target - position, 0.0)
        pack = np.broadcast_to(self.case_pack[None, :], wanted.shape)
        minimum = np.broadcast_to(self.min_order_units[None, :], wanted.shape)
        return round_order(wanted.ravel(), pack.ravel(), minimum.ravel()).reshape(wanted.shape)

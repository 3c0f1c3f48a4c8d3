"""Purchase orders in the simulated world: placed in the evening, delivered by the supplier when it can.

Every order line (one store x SKU) is an event on `purchase-orders` when it is placed (with the arrival the
supplier promises: the order day plus its mean lead time) and when the supplier cancels it; deliveries are
`supplier-shipments` receipts naming the order in `po_id`. Suppliers behave as suppliers do: the actual lead
time is drawn around the promise (so orders arrive late or early), some deliveries are partial (the rest
follows a few days later, under the same order id), and a few orders are cancelled on their due day.

Supplier outcomes are drawn for every store x SKU every trading day from their own generator, whether or not
an order is due: two ordering policies replayed on the same seed then meet the same lead times and the same
supplier failures for the same order day, and differ only in what they order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PARTIAL_RATE = 0.06  # deliveries that bring only part of what is outstanding
CANCEL_RATE = 0.01  # orders the supplier cancels on their due day (out of stock at the depot)
BACKORDER_DAYS = (1, 4)  # the rest of a partial delivery follows 1..3 days later


@dataclass
class SupplierDay:
    """What every supplier would do today, per store x SKU: lead time of an order placed today, whether a
    delivery due today is cancelled or partial, the share a partial delivery brings, its backorder delay."""

    lead_days: np.ndarray
    cancel: np.ndarray
    partial: np.ndarray
    share: np.ndarray
    backorder_days: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, lead_mean: np.ndarray, lead_std: np.ndarray, shape):
        """Today's outcomes for every store x SKU (lead times around each SKU's supplier's mean)."""
        lead = rng.normal(lead_mean[None, :], lead_std[None, :], shape)
        return cls(
            np.maximum(1, np.round(lead)).astype(np.int64),
            rng.random(shape) < CANCEL_RATE,
            rng.random(shape) < PARTIAL_RATE,
            rng.uniform(0.3, 0.8, shape),
            rng.integers(*BACKORDER_DAYS, shape),
        )


def _empty(dtype) -> np.ndarray:
    return np.zeros(0, dtype)


@dataclass
class OrderBook:
    """Open order lines as columns: store and SKU index, order day, promised and actual next delivery day,
    units still outstanding, and the order id."""

    store: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    sku: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    placed: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    promised: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    due: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    outstanding: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    po_id: np.ndarray = field(default_factory=lambda: _empty(object))

    def __len__(self) -> int:
        return len(self.store)

    def add(self, store, sku, day: int, promised, due, quantity, po_id) -> None:
        """Append order lines placed on `day`."""
        new = {"store": store, "sku": sku, "placed": np.full(len(store), day), "promised": promised,
               "due": due, "outstanding": quantity, "po_id": po_id}  # fmt: skip
        for name, values in new.items():
            column = getattr(self, name)
            setattr(self, name, np.concatenate([column, np.asarray(values, column.dtype)]))

    def keep(self, mask: np.ndarray) -> None:
        """Drop the lines not in `mask` (fully delivered or cancelled)."""
        for name in ("store", "sku", "placed", "promised", "due", "outstanding", "po_id"):
            setattr(self, name, getattr(self, name)[mask])

    def on_order(self, shape) -> np.ndarray:
        """Units outstanding per store x SKU."""
        units = np.zeros(shape, np.int64)
        np.add.at(units, (self.store, self.sku), self.outstanding)
        return units

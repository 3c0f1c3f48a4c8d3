"""The chain's day-by-day dynamics, vectorised over store x SKU with numpy.

Order of a trading day in every store: cycle count before opening, supplier deliveries, shelf price changes,
then trading (demand is Poisson; a store sells only what it has, so recorded sales are censored demand; ~2%
comes back as returns), damage write-offs after closing, unrecorded shrinkage overnight, and the evening
(s, S) reorder as purchase orders (infra/simulator/orders.py: drawn lead times, partial deliveries,
cancellations). The ledger holds the true on-hand per store x SKU.

Three generators: `rng` for the stores' own operations, `market_rng` for demand and shelf prices, and
`supply_rng` for the suppliers. Demand and prices never depend on stock, so another ordering policy run on the
same seed (`reorders=False` and `place_orders`) meets exactly the same true demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from infra.simulator.baskets import TradingDay, basket_lines
from infra.simulator.calendar import day_factor, seasonal_factor
from infra.simulator.chain import Chain
from infra.simulator.events import TopicBatch, concat, iso_seconds
from infra.simulator.orders import OrderBook, SupplierDay

RETURN_RATE = 0.02
SHRINK_RATE = 0.0008  # share of on-hand lost unrecorded per night
DAMAGE_RATE = 0.002  # store x SKU pairs with a damage write-off per day
PROMO_SHARE = 0.06  # SKUs put on a week-long promotion each Monday
PRICE_CHANGE_RATE = 0.004  # SKUs with a permanent price change per day
COUNT_CYCLE_DAYS = 7  # every SKU is counted once a week
HOUR = 3600
PURCHASE_ORDERS = "purchase-orders"


@dataclass
class Ledger:
    """The simulator's own books at the end of the run (arrays are store x SKU)."""

    on_hand: np.ndarray  # true units on the shelf
    shrink_since_count: np.ndarray  # unrecorded loss since each pair's last count
    on_order: np.ndarray
    demand: np.ndarray  # uncensored units wanted
    sold: np.ndarray
    returned: np.ndarray
    received: np.ndarray
    stockout_days: np.ndarray

    def book_on_hand(self) -> np.ndarray:
        """What the events imply: last count + receipts + returns - sales + adjustments since."""
        return self.on_hand + self.shrink_since_count


class ChainSimulator:
    """State of every store x SKU; `run_day(d)` advances one day and returns its events per topic."""

    def __init__(self, chain: Chain, start: date, rng: np.random.Generator, reorders: bool = True):
        self.chain, self.start, self.rng, self.reorders = chain, start, rng, reorders
        shape = (chain.n_stores, chain.n_skus)
        self.affinity = rng.lognormal(0.0, 0.35, shape)  # local taste: a SKU sells better in some stores
        self.mean_demand = chain.popularity[None, :] * chain.store_size[:, None] * self.affinity
        self.reorder_point, self.order_up_to = self._policy()
        self.on_hand = self.order_up_to.copy()
        self.ledger = Ledger(self.on_hand, *(np.zeros(shape, np.int64) for _ in range(7)))
        self.market_rng, self.supply_rng = (np.random.default_rng(s) for s in rng.integers(0, 2**62, 2))
        self.orders = OrderBook()
        self.list_price = chain.products["list_price"].astype(float)
        self.regular_price = self.list_price.copy()
        self.promo_discount = np.zeros(chain.n_skus)
        self.promo_end = np.full(chain.n_skus, -1)
        self.shelf_price = np.full(chain.n_skus, np.nan)
        self.lead_mean, self.lead_std = self._lead_times()

    def _policy(self) -> tuple[np.ndarray, np.ndarray]:
        lead, _ = self._lead_times()
        cover = self.mean_demand * (lead[None, :] + 1.0)
        reorder_point = np.ceil(cover + 1.0 * np.sqrt(cover) + 1).astype(np.int64)
        case = self.chain.products["case_pack"][None, :]
        order_up_to = reorder_point + np.maximum(case, np.ceil(self.mean_demand * 7)).astype(np.int64)
        return reorder_point, order_up_to

    def _lead_times(self) -> tuple[np.ndarray, np.ndarray]:
        suppliers = {s: i for i, s in enumerate(self.chain.suppliers["supplier_id"])}
        index = np.array([suppliers[s] for s in self.chain.products["supplier_id"]])
        return self.chain.suppliers["lead_time_days"][index], self.chain.suppliers["lead_time_std_days"][
            index
        ]

    def run_day(self, d: int) -> dict[str, TopicBatch]:
        """Advance the chain by day `d` (0 = start) and return that day's events per topic."""
        today = self.start + timedelta(days=d)
        factor = day_factor(today)
        self.supplier = SupplierDay.draw(self.supply_rng, self.lead_mean, self.lead_std, self.on_hand.shape)
        if factor == 0.0:  # shut: deliveries wait for the next trading day
            self.orders.due[self.orders.due == d] += 1
            return {}
        opens, closes = self.hours(d)
        counts = self._count(d, opens)
        receipts, cancelled = self._receive(d, opens)
        prices = self._reprice(d, opens)
        sales = self._trade(today, factor, TradingDay(f"{today:%Y%m%d}", opens, closes))
        damage = self._write_off(closes)
        self._shrink()
        placed = self._reorder(d) if self.reorders else None
        return {
            "inventory-updates": concat([counts, damage]),
            "supplier-shipments": receipts,
            "price-changes": prices,
            "sales-transactions": sales,
            PURCHASE_ORDERS: concat([cancelled, placed]) if placed is not None else cancelled,
        }

    def hours(self, d: int) -> tuple[np.ndarray, np.ndarray]:
        """Opening and closing time of every store on day `d`, epoch seconds."""
        midnight = int(np.datetime64(self.start + timedelta(days=d), "s").astype(np.int64))
        stores = self.chain.stores
        return midnight + stores["opens_at_hour"] * HOUR, midnight + stores["closes_at_hour"] * HOUR

    # --- the steps of a day ----------------------------------------------------------------------------

    def _count(self, d: int, opens: np.ndarray) -> TopicBatch:
        n_stores, n_skus = self.on_hand.shape
        if d == 0:
            due = np.ones_like(self.on_hand, bool)
        else:
            phase = (np.arange(n_stores)[:, None] + np.arange(n_skus)[None, :] + d) % COUNT_CYCLE_DAYS
            due = phase == 0
        store, sku = np.nonzero(due)
        self.ledger.shrink_since_count[due] = 0
        ts = opens[store] - 90 * 60 + self.rng.integers(0, 30 * 60, len(store))
        reason = "opening_count" if d == 0 else "cycle_count"
        return self._batch(store, sku, ts, kind=np.full(len(store), "count"),
                           quantity=self.on_hand[store, sku], reason=np.full(len(store), reason))  # fmt: skip

    def _receive(self, d: int, opens: np.ndarray) -> tuple[TopicBatch, TopicBatch]:
        """The order lines due today: receipts (whole or partial) and the cancellations."""
        book, supplier = self.orders, self.supplier
        due = np.flatnonzero(book.due == d)
        store, sku = book.store[due], book.sku[due]
        cancel = supplier.cancel[store, sku]
        part = np.maximum(1, np.floor(book.outstanding[due] * supplier.share[store, sku])).astype(np.int64)
        quantity = np.where(supplier.partial[store, sku], part, book.outstanding[due])
        cancelled = self._order_events(due[cancel], "cancelled", opens[store[cancel]] - 2 * HOUR)
        book.outstanding[due[cancel]] = 0
        delivered = due[~cancel]
        store, sku, quantity = store[~cancel], sku[~cancel], quantity[~cancel]
        np.add.at(self.on_hand, (store, sku), quantity)
        np.add.at(self.ledger.received, (store, sku), quantity)
        book.outstanding[delivered] -= quantity
        backordered = delivered[book.outstanding[delivered] > 0]
        book.due[backordered] += supplier.backorder_days[book.store[backordered], book.sku[backordered]]
        ts = opens[store] - HOUR + self.rng.integers(0, 50 * 60, len(store))
        products = self.chain.products
        receipts = self._batch(store, sku, ts, supplier_id=products["supplier_id"][sku],
                               po_id=book.po_id[delivered], quantity=quantity,
                               unit_cost=products["unit_cost"][sku])  # fmt: skip
        book.keep(book.outstanding > 0)
        self.ledger.on_order[:] = book.on_order(self.on_hand.shape)
        return receipts, cancelled

    def place_orders(self, d: int, store: np.ndarray, sku: np.ndarray, quantity: np.ndarray) -> TopicBatch:
        """Order `quantity` units of each (store, SKU) after closing on day `d`: the order lines and their
        `placed` events. The supplier promises its mean lead time and delivers after today's drawn one."""
        store, sku = np.asarray(store, np.int64), np.asarray(sku, np.int64)
        quantity = np.asarray(quantity, np.int64)
        stamp = f"{self.start + timedelta(days=d):%Y%m%d}"
        po_id = np.array([f"PO-{s + 1:03d}-{k + 1:05d}-{stamp}" for s, k in zip(store, sku, strict=True)],
                         object)  # fmt: skip
        promised = d + np.maximum(1, np.round(self.lead_mean[sku])).astype(np.int64)
        due = d + self.supplier.lead_days[store, sku]
        first = len(self.orders)
        self.orders.add(store, sku, d, promised, due, quantity, po_id)
        self.ledger.on_order[:] = self.orders.on_order(self.on_hand.shape)
        _, closes = self.hours(d)
        ts = closes[store] + 30 * 60 + self.rng.integers(0, 25 * 60, len(store))
        return self._order_events(np.arange(first, len(self.orders)), "placed", ts)

    def _order_events(self, lines: np.ndarray, kind: str, ts: np.ndarray) -> TopicBatch:
        """`purchase-orders` events for order lines of the book (placed: the units ordered; cancelled: the
        units the supplier will no longer deliver)."""
        book, opens_hour = self.orders, self.chain.stores["opens_at_hour"]
        store, sku = book.store[lines], book.sku[lines]
        midnight = np.datetime64(self.start, "s").astype(np.int64) + book.promised[lines] * 24 * HOUR
        expected = iso_seconds(midnight + opens_hour[store] * HOUR - HOUR)
        return self._batch(store, sku, ts, kind=np.full(len(lines), kind), po_id=book.po_id[lines],
                           supplier_id=self.chain.products["supplier_id"][sku],
                           quantity=book.outstanding[lines].copy(),
                           expected_arrival=np.array(expected, object))  # fmt: skip

    def _reprice(self, d: int, opens: np.ndarray) -> TopicBatch:
        rng, n_skus = self.market_rng, len(self.list_price)
        ended = (self.promo_end >= 0) & (self.promo_end <= d)  # an end on a closed day applies next open day
        self.promo_discount[ended], self.promo_end[ended] = 0.0, -1
        changed = rng.random(n_skus) < PRICE_CHANGE_RATE
        self.regular_price[changed] = np.round(
            self.regular_price[changed] * rng.uniform(0.93, 1.1, changed.sum()), 2
        )
        if (self.start + timedelta(days=d)).weekday() == 0:
            starts = (rng.random(n_skus) < PROMO_SHARE) & (self.promo_end < 0)
            self.promo_discount[starts] = rng.choice([0.1, 0.15, 0.2, 0.25, 0.3], starts.sum())
            self.promo_end[starts] = d + 7
        price = np.round(self.regular_price * (1.0 - self.promo_discount), 2)
        moved = np.flatnonzero(price != self.shelf_price)
        self.shelf_price = price
        store = np.repeat(np.arange(len(opens)), len(moved))
        sku = np.tile(moved, len(opens))
        ts = opens[store] - 30 * 60 + self.rng.integers(0, 10 * 60, len(store))
        promo = np.where(self.promo_discount[sku] > 0, "true", "false")
        return self._batch(store, sku, ts, price=price[sku], promo=promo)

    def _trade(self, today: date, factor: float, day: TradingDay) -> TopicBatch:
        chain, rng = self.chain, self.rng
        season = seasonal_factor(today, chain.season_peak, chain.season_amplitude)
        price_effect = (self.shelf_price / self.list_price) ** (-chain.elasticity)
        demand = self.market_rng.poisson(self.mean_demand * (factor * season * price_effect)[None, :])
        sold = np.minimum(demand, self.on_hand)
        returned = rng.binomial(sold, RETURN_RATE)
        self.on_hand += returned - sold
        ledger = self.ledger
        ledger.demand += demand
        ledger.sold += sold
        ledger.returned += returned
        ledger.stockout_days += demand > sold
        return basket_lines(chain, self.shelf_price, sold, returned, day, rng)

    def _write_off(self, closes: np.ndarray) -> TopicBatch:
        damaged = (self.rng.random(self.on_hand.shape) < DAMAGE_RATE) & (self.on_hand > 0)
        store, sku = np.nonzero(damaged)
        delta = np.minimum(self.on_hand[store, sku], self.rng.integers(1, 4, len(store)))
        self.on_hand[store, sku] -= delta
        ts = closes[store] + self.rng.integers(5 * 60, 30 * 60, len(store))
        n = len(store)
        return self._batch(store, sku, ts, kind=np.full(n, "adjustment"), quantity=-delta,
                           reason=np.full(n, "damage"))  # fmt: skip

    def _shrink(self) -> None:
        lost = self.rng.binomial(self.on_hand, SHRINK_RATE)
        self.on_hand -= lost
        self.ledger.shrink_since_count += lost

    def _reorder(self, d: int) -> TopicBatch:
        """The chain's own (s, S) policy: with nothing on order and on-hand at or below s, order up to S."""
        due = (self.ledger.on_order == 0) & (self.on_hand <= self.reorder_point)
        store, sku = np.nonzero(due)
        case = self.chain.products["case_pack"][sku]
        shortfall = self.order_up_to[store, sku] - self.on_hand[store, sku]
        return self.place_orders(d, store, sku, np.ceil(shortfall / case).astype(np.int64) * case)

    def _batch(self, store: np.ndarray, sku: np.ndarray, ts: np.ndarray, **columns) -> TopicBatch:
        columns["sku"] = self.chain.products["sku"][sku]
        return TopicBatch(store.astype(np.int64), ts.astype(np.int64), columns)

"""`--replay m5`: the real M5 (Walmart) daily item x store unit sales as the simulator's POS events.

The units sold each day are M5's, spread over the store's opening hours as basket lines by the simulator's
own `basket_lines`; a price change is published whenever an item's weekly `sell_price` moves; purchase orders
and their receipts come from the simulator's (s, S) reorder policy, re-planned weekly on the trailing 28 days
(with the simulator's suppliers: drawn lead times, partial deliveries, cancellations), plus an expedited order
delivered before opening when a day's real sales would exceed the shelf (M5 records sales, not stock, so the
replay never runs dry artificially). Counts are the simulator's weekly cycle counts. Encoding and
publishing are the simulator's (`events.encode_day`, `cli.publish_days`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from infra.simulator.baskets import TradingDay, basket_lines
from infra.simulator.chain import Chain
from infra.simulator.engine import PURCHASE_ORDERS, ChainSimulator, Ledger
from infra.simulator.events import EncodedDay, TopicBatch, concat, encode_day, iso_seconds
from infra.simulator.orders import OrderBook, SupplierDay
from spark.ml.m5 import load_m5

DATASETS = ("m5",)
STATES = {"CA": "California", "TX": "Texas", "WI": "Wisconsin"}
OPENS_AT, CLOSES_AT = 6, 23  # Walmart supercenter hours (M5 gives none)
PLAN_DAYS = 28  # the reorder policy is re-planned weekly on the trailing 28 days of sales
LEAD_TIME_DAYS, LEAD_TIME_STD_DAYS = 3.0, 0.7
M5_FIRST_DAY = date(2011, 1, 29)  # d_1


@dataclass(frozen=True)
class ReplayWindow:
    """Which slice to replay: first day index (0 = d_1) and number of days (None: to the end)."""

    first: int = 0
    days: int | None = None


@dataclass
class M5Replay:
    """M5 laid out as the simulator's arrays: units and prices are store x SKU x day."""

    chain: Chain
    units: np.ndarray
    prices: np.ndarray  # NaN while the item is not on sale in that store
    first_day: date

    @property
    def n_days(self) -> int:
        return self.units.shape[2]


def load_replay(data: Path, window: ReplayWindow = ReplayWindow()) -> M5Replay:
    """Load `data`/m5 (see its SOURCE.md) and cut it to `window`."""
    folder = Path(data) / "m5"
    if not folder.is_dir():
        raise FileNotFoundError(f"no M5 data at {folder} (pass --data PATH, the folder holding m5/)")
    m5 = load_m5(folder)
    stores, items = sorted(m5.ids["store_id"].unique()), sorted(m5.ids["item_id"].unique())
    store_index = m5.ids["store_id"].map({s: i for i, s in enumerate(stores)}).to_numpy()
    item_index = m5.ids["item_id"].map({k: i for i, k in enumerate(items)}).to_numpy()
    n_days = m5.units.shape[1]
    last = n_days if window.days is None else min(n_days, window.first + window.days)
    if not 0 <= window.first < last:
        raise ValueError(f"replay window starts at d_{window.first + 1}; the data holds d_1..d_{n_days}")
    units = np.zeros((len(stores), len(items), last - window.first), np.int64)
    prices = np.full(units.shape, np.nan)
    units[store_index, item_index] = m5.units[:, window.first : last].astype(np.int64)
    prices[store_index, item_index] = m5.prices[:, window.first : last]
    chain = m5_chain(m5.ids, stores, items, prices)
    return M5Replay(chain, units, prices, m5.days[window.first].date())


def m5_chain(ids: pd.DataFrame, stores: list[str], items: list[str], prices: np.ndarray) -> Chain:
    """M5's stores (with their state) and items (with category and department) as a simulator chain."""
    state = ids.drop_duplicates("store_id").set_index("store_id")["state_id"]
    item = ids.drop_duplicates("item_id").set_index("item_id").loc[items]
    n_stores, n_items = len(stores), len(items)
    store_rows = {
        "store_id": np.array(stores),
        "name": np.array([f"Walmart {s}" for s in stores]),
        "city": np.full(n_stores, "n/a"),  # M5 names the state only
        "region": np.array([STATES.get(state[s], state[s]) for s in stores]),
        "country": np.full(n_stores, "US"),
        "square_footage": np.zeros(n_stores, np.int64),  # unknown in M5
        "store_type": np.full(n_stores, "walmart"),
        "opens_at_hour": np.full(n_stores, OPENS_AT),
        "closes_at_hour": np.full(n_stores, CLOSES_AT),
    }
    with warnings.catch_warnings():  # an item never on sale in the window has no typical price
        warnings.simplefilter("ignore", RuntimeWarning)
        typical = np.nanmedian(np.moveaxis(prices, 1, 0).reshape(n_items, -1), axis=1)
    list_price = np.round(np.where(np.isnan(typical), 1.0, typical), 2)
    departments = sorted(item["dept_id"].unique())
    products = {
        "sku": np.array(items),
        "name": np.array([f"{i} ({d})" for i, d in zip(items, item["dept_id"], strict=True)]),
        "category": item["cat_id"].to_numpy(),
        "sub_category": item["dept_id"].to_numpy(),
        "brand": np.full(n_items, "n/a"),
        "supplier_id": np.array([f"SUP-{d}" for d in item["dept_id"]]),
        "unit_cost": np.round(list_price * 0.7, 2),  # M5 has shelf prices only; a 30% margin is assumed
        "list_price": list_price,
        "case_pack": np.where(item["cat_id"].to_numpy() == "FOODS", 12, 6),
        "shelf_life_days": np.where(item["cat_id"].to_numpy() == "FOODS", 30, 1_000),
    }
    suppliers = {
        "supplier_id": np.array([f"SUP-{d}" for d in departments]),
        "name": np.array([f"{d} distribution centre" for d in departments]),
        "lead_time_days": np.full(len(departments), LEAD_TIME_DAYS),
        "lead_time_std_days": np.full(len(departments), LEAD_TIME_STD_DAYS),
        "min_order_units": np.full(len(departments), 6),
    }
    ones = np.ones(n_items)
    return Chain(store_rows, products, suppliers, np.ones(n_stores), np.full(n_stores, 8), ones, ones,
                 np.zeros(n_items), np.zeros(n_items))  # fmt: skip


class ReplaySimulator(ChainSimulator):
    """The simulator's store mechanics (counts, receipts, reorders, baskets) driven by real daily units."""

    def __init__(self, replay: M5Replay, rng: np.random.Generator):  # noqa: D107 - state as in ChainSimulator
        self.chain, self.start, self.rng, self.reorders = replay.chain, replay.first_day, rng, True
        self.units, self.prices = replay.units, replay.prices
        shape = self.units.shape[:2]
        self.lead_mean, self.lead_std = self._lead_times()
        self._replan(0)
        self.on_hand = self.order_up_to.copy()
        self.ledger = Ledger(self.on_hand, *(np.zeros(shape, np.int64) for _ in range(7)))
        self.supply_rng = np.random.default_rng(rng.integers(0, 2**62))
        self.orders = OrderBook()
        self.shelf_price = np.full(shape, np.nan)

    def run_day(self, d: int) -> dict[str, TopicBatch]:
        """Day `d`: counts, deliveries, price moves, the day's real sales, the evening reorder."""
        today = self.start + timedelta(days=d)
        opens, closes = self.hours(d)
        if d and d % 7 == 0:
            self._replan(d)
        self.supplier = SupplierDay.draw(self.supply_rng, self.lead_mean, self.lead_std, self.on_hand.shape)
        counts = self._count(d, opens)
        (planned, cancelled), (rush_orders, rushed) = self._receive(d, opens), self._expedite(d, opens)
        receipts = concat([planned, rushed]) if len(rushed) else planned
        prices = self._reprice(d, opens)
        sold = self.units[:, :, d]
        self.on_hand -= sold
        self.ledger.sold += sold
        self.ledger.demand += sold
        price = np.where(
            np.isnan(self.shelf_price), self.chain.products["list_price"][None, :], self.shelf_price
        )
        no_returns = np.zeros_like(sold)
        trading = TradingDay(f"{today:%Y%m%d}", opens, closes)
        sales = basket_lines(self.chain, price, sold, no_returns, trading, self.rng)
        placed = self._reorder(d)
        return {
            "inventory-updates": counts,
            "supplier-shipments": receipts,
            "price-changes": prices,
            "sales-transactions": sales,
            PURCHASE_ORDERS: concat([rush_orders, cancelled, placed]),
        }

    def _replan(self, d: int) -> None:
        """(s, S) from the mean of the trailing 28 days (the first 28 days seed the opening stock)."""
        history = self.units[:, :, max(0, d - PLAN_DAYS) : d] if d else self.units[:, :, :PLAN_DAYS]
        self.mean_demand = np.maximum(history.mean(axis=2), 0.05)
        self.reorder_point, self.order_up_to = self._policy()

    def _expedite(self, d: int, opens: np.ndarray) -> tuple[TopicBatch, TopicBatch]:
        """An expedited order delivered before opening wherever today's real sales exceed the shelf, up to
        the order level: its `placed` event (promised for now) and its receipt."""
        short = self.units[:, :, d] > self.on_hand
        store, sku = np.nonzero(short)
        case = self.chain.products["case_pack"][sku]
        need = np.maximum(self.order_up_to[store, sku], self.units[store, sku, d]) - self.on_hand[store, sku]
        quantity = (np.ceil(need / case) * case).astype(np.int64)
        self.on_hand[store, sku] += quantity
        self.ledger.received[store, sku] += quantity
        ts = opens[store] - 15 * 60 + self.rng.integers(0, 10 * 60, len(store))
        stamp = f"{self.start + timedelta(days=d):%Y%m%d}"
        po = np.array(
            [f"EXP-{s + 1:03d}-{k + 1:05d}-{stamp}" for s, k in zip(store, sku, strict=True)], object
        )
        products = self.chain.products
        supplier = products["supplier_id"][sku]
        ordered = self._batch(store, sku, ts - 30 * 60, kind=np.full(len(store), "placed"), po_id=po,
                              supplier_id=supplier, quantity=quantity,
                              expected_arrival=np.array(iso_seconds(ts), object))  # fmt: skip
        received = self._batch(store, sku, ts, supplier_id=supplier, po_id=po, quantity=quantity,
                               unit_cost=products["unit_cost"][sku])  # fmt: skip
        return ordered, received

    def _reprice(self, d: int, opens: np.ndarray) -> TopicBatch:
        """A price change for every store x item whose weekly sell price differs from the shelf."""
        price = self.prices[:, :, d]
        moved = ~np.isnan(price) & (price != self.shelf_price)
        store, sku = np.nonzero(moved)
        self.shelf_price[moved] = price[moved]
        ts = opens[store] - 30 * 60 + self.rng.integers(0, 10 * 60, len(store))
        return self._batch(store, sku, ts, price=price[store, sku], promo=np.full(len(store), "false"))


def replay_days(replay: M5Replay, seed: int) -> tuple[ReplaySimulator, Iterator[EncodedDay]]:
    """The replay's simulator and a lazy iterator of each day's encoded events."""
    simulator = ReplaySimulator(replay, np.random.default_rng(seed))
    store_ids = replay.chain.stores["store_id"]

    def days() -> Iterator[EncodedDay]:
        for d in range(replay.n_days):
            batches = simulator.run_day(d)
            yield encode_day((replay.first_day + timedelta(days=d)).isoformat(), seed, batches, store_ids)

    return simulator, days()


def parse_start(value: str | None) -> int:
    """`d_X` (M5's day index, d_1 = 2011-01-29) or an ISO date, as a 0-based day offset into M5."""
    if not value:
        return 0
    if value.startswith("d_") and value[2:].isdigit():
        return int(value[2:]) - 1
    try:
        return (date.fromisoformat(value) - M5_FIRST_DAY).days
    except ValueError:
        raise ValueError(f"--start {value!r}: give M5's day index (d_1000) or a date (2015-01-01)") from None

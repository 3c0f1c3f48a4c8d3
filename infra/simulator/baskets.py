"""Turn a day's units sold per store x SKU into POS basket lines (and return lines) at the tills.

A store x SKU x day has a handful of lines (about the square root of its units), grouped into baskets that
each have one till and one time inside the store's opening hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from infra.simulator.chain import Chain
from infra.simulator.events import TopicBatch, concat

LOYALTY_SHARE = 0.03  # lines with a 10% loyalty-card discount
LINES_PER_BASKET = 3


@dataclass(frozen=True)
class TradingDay:
    """One day's stamp (YYYYMMDD) and per-store opening and closing times in epoch seconds."""

    stamp: str
    opens: np.ndarray
    closes: np.ndarray


def basket_lines(chain: Chain, price: np.ndarray, sold: np.ndarray, returned: np.ndarray,
                 day: TradingDay, rng: np.random.Generator) -> TopicBatch:  # fmt: skip
    """Sale lines summing exactly to `sold`, plus one return line per store x SKU with returns."""
    return concat([_sales(chain, price, sold, day, rng), _returns(chain, price, returned, day, rng)])


def _sales(chain: Chain, price: np.ndarray, sold: np.ndarray, day: TradingDay, rng: np.random.Generator):
    store, sku = np.nonzero(sold)
    units = sold[store, sku]
    lines = np.minimum(units, np.ceil(np.sqrt(units) * rng.uniform(0.7, 1.3, len(units))).astype(np.int64))
    line_store, line_sku = np.repeat(store, lines), np.repeat(sku, lines)
    units_each, count_each = np.repeat(units, lines), np.repeat(lines, lines)
    position = np.arange(len(line_store)) - np.repeat(np.cumsum(lines) - lines, lines)
    quantity = units_each // count_each + (position < units_each % count_each)
    basket, ts = _baskets(line_store, len(day.opens), day, rng)
    terminal = basket % chain.terminals[line_store] + 1
    store_ids = chain.stores["store_id"][line_store]
    line_price = shelf_price(price, line_store, line_sku)
    loyalty = rng.random(len(line_store)) < LOYALTY_SHARE
    discount = np.where(loyalty, np.round(0.1 * line_price * quantity, 2), 0.0)
    return TopicBatch(line_store, ts, {
        "kind": np.full(len(line_store), "sale"),
        "basket_id": _ids(store_ids, day.stamp, basket, "B"),
        "terminal_id": np.array([f"{s}-T{t}" for s, t in zip(store_ids, terminal, strict=True)], object),
        "sku": chain.products["sku"][line_sku],
        "quantity": quantity,
        "unit_price": line_price,
        "discount": discount,
    })  # fmt: skip


def _baskets(line_store: np.ndarray, n_stores: int, day: TradingDay, rng: np.random.Generator):
    """A basket number per line (within its store) and the basket's time."""
    per_store = np.bincount(line_store, minlength=n_stores)
    n_baskets = np.maximum(1, per_store // LINES_PER_BASKET)
    basket = (rng.random(len(line_store)) * n_baskets[line_store]).astype(np.int64)
    first = np.cumsum(n_baskets) - n_baskets
    basket_store = np.repeat(np.arange(n_stores), n_baskets)
    span = day.closes[basket_store] - day.opens[basket_store]
    basket_ts = day.opens[basket_store] + (rng.random(len(basket_store)) * span).astype(np.int64)
    return basket, basket_ts[first[line_store] + basket]


def _returns(
    chain: Chain, price: np.ndarray, returned: np.ndarray, day: TradingDay, rng: np.random.Generator
):
    store, sku = np.nonzero(returned)
    n = len(store)
    span = day.closes[store] - day.opens[store]
    ts = day.opens[store] + (rng.random(n) * span).astype(np.int64)
    store_ids = chain.stores["store_id"][store]
    return TopicBatch(store, ts, {
        "kind": np.full(n, "return"),
        "basket_id": _ids(store_ids, day.stamp, np.arange(n), "R"),
        "terminal_id": np.array([f"{s}-T1" for s in store_ids], dtype=object),
        "sku": chain.products["sku"][sku],
        "quantity": returned[store, sku],
        "unit_price": shelf_price(price, store, sku),
        "discount": np.zeros(n),
    })  # fmt: skip


def shelf_price(price: np.ndarray, store: np.ndarray, sku: np.ndarray) -> np.ndarray:
    """Each line's price: `price` is per SKU (one chain-wide price list) or per store x SKU (a replay)."""
    return price[sku] if price.ndim == 1 else price[store, sku]


def _ids(store_ids: np.ndarray, stamp: str, number: np.ndarray, prefix: str) -> np.ndarray:
    return np.array(
        [f"{s}-{stamp}-{prefix}{n:05d}" for s, n in zip(store_ids, number, strict=True)], dtype=object
    )

"""Turn a day's units sold per store x SKU into POS basket lines (and return lines) at the tills.

A store x SKU x day has a handful of lines (about the square root of its units), grouped into baskets that
each have one till and one time inside the store's opening hours.

Baskets carry a co-purchase signal: every product belongs to a complement group (a few products of different
sub-categories serving one shopping mission, like pasta, sauce and parmesan; `complement_groups`), every
basket has a mission (one group), and AFFINITY_SHARE of a group's lines go to the baskets with that mission,
the rest to any basket of the store and day. Store types pair snack and dinner products differently (an
express store's shoppers buy for tonight, a hypermarket's for the week): each type deals those groups with
its own `variant`, so a store's affinities differ from the chain-wide mix. Only the grouping of lines into
baskets depends on all this: the lines and their units, and the draws taken from the generator, are the
same as without it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from infra.simulator.chain import STORE_TYPES, Chain
from infra.simulator.events import TopicBatch, concat

LOYALTY_SHARE = 0.03  # lines with a 10% loyalty-card discount
LINES_PER_BASKET = 3
AFFINITY_SHARE = 0.6  # lines that join a basket of their complement group's mission
GROUP_SIZE = 4  # products per complement group
# Shopping missions by sub-category; a sub-category not listed (M5 departments) is its category's mission.
MISSIONS = {
    "breakfast": ("milk", "bread", "juice", "yoghurt", "fruit"),
    "snack": ("soft drinks", "water", "pastry", "chocolate", "sweets"),
    "dinner": ("vegetables", "ready meals", "cheese", "ice cream"),
    "home": ("cleaning", "paper"),
    "bathroom": ("hair", "oral care"),
}
SUB_CATEGORY_MISSION = {sub: mission for mission, subs in MISSIONS.items() for sub in subs}
VARYING_MISSIONS = ("snack", "dinner")  # paired differently by store type; the other missions chain-wide


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
    variant = store_variants(chain.stores)
    groups = np.stack([complement_groups(chain.products, v) for v in range(int(variant.max()) + 1)])
    group = groups[variant[line_store], line_sku]
    basket, ts = _baskets(line_store, group, len(day.opens), day, rng)
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


def store_variants(stores: dict[str, np.ndarray]) -> np.ndarray:
    """Per store, its type's way of pairing products (the index of its type in STORE_TYPES; 0 if unknown)."""
    types = list(STORE_TYPES)
    return np.array([types.index(t) if t in types else 0 for t in stores["store_type"]], dtype=np.int64)


def complement_groups(products: dict[str, np.ndarray], variant: int = 0) -> np.ndarray:
    """A complement group number per product: GROUP_SIZE products of one mission, mixed sub-categories.

    Within a mission the products are dealt out sub-category by sub-category (the first milk, the first
    bread, the first juice, ..., then the second of each) and cut into groups of GROUP_SIZE, so a group holds
    products that complement rather than replace each other. Variant v deals the products of the
    VARYING_MISSIONS rotated by v times their sub-category's code, pairing them differently. A pure function
    of the product master: the same chain always has the same groups, and building the chain draws nothing
    more from the seed.
    """
    sub = products["sub_category"].astype(str)
    mission = np.array(
        [SUB_CATEGORY_MISSION.get(s, c) for s, c in zip(sub, products["category"], strict=True)]
    )
    n = len(sub)
    _, sub_code = np.unique(sub, return_inverse=True)
    turn = np.zeros(n, np.int64)  # the product's position among its sub-category's products
    for code in np.unique(sub_code):
        members = np.flatnonzero(sub_code == code)
        turn[members] = np.arange(len(members))
    varies = np.isin(mission, VARYING_MISSIONS)
    turn[varies] = (turn[varies] + variant * sub_code[varies]) % np.bincount(sub_code)[sub_code[varies]]
    order = np.lexsort((sub_code, turn, mission))
    groups, next_group = np.empty(n, np.int64), 0
    for name in np.unique(mission):
        members = order[mission[order] == name]
        groups[members] = next_group + np.arange(len(members)) // GROUP_SIZE
        next_group += -(-len(members) // GROUP_SIZE)
    return groups


def _baskets(line_store: np.ndarray, line_group: np.ndarray, n_stores: int, day: TradingDay,
             rng: np.random.Generator):  # fmt: skip
    """A basket number per line (within its store) and the basket's time."""
    per_store = np.bincount(line_store, minlength=n_stores)
    n_baskets = np.maximum(1, per_store // LINES_PER_BASKET)
    draw = rng.random(len(line_store))
    first = np.cumsum(n_baskets) - n_baskets
    basket_store = np.repeat(np.arange(n_stores), n_baskets)
    span = day.closes[basket_store] - day.opens[basket_store]
    basket_ts = day.opens[basket_store] + (rng.random(len(basket_store)) * span).astype(np.int64)
    basket = _join_missions(line_store, line_group, draw, per_store, n_baskets, basket_store)
    return basket, basket_ts[first[line_store] + basket]


def _join_missions(line_store, line_group, draw, per_store, n_baskets, basket_store) -> np.ndarray:
    """Each line's basket: one of its group's mission baskets for draw < AFFINITY_SHARE, else any basket.

    Basket b of a store takes the group of the store's line b * LINES_PER_BASKET as its mission (lines are
    in SKU order, so this systematic sample gives each group baskets in proportion to its lines). A line
    whose group has no basket that day joins any basket. The line's one uniform draw picks both the branch
    and the basket, so the generator is consumed exactly as by a purely random grouping.
    """
    first = np.cumsum(n_baskets) - n_baskets
    line_first = np.cumsum(per_store) - per_store
    number = np.arange(len(basket_store)) - first[basket_store]
    has_lines = per_store[basket_store] > 0
    pick = line_first[basket_store] + np.minimum(number * LINES_PER_BASKET, per_store[basket_store] - 1)
    n_groups = int(line_group.max(initial=0)) + 1
    mission = line_group[np.where(has_lines, pick, 0)] if len(line_group) else np.zeros(len(pick), np.int64)
    mission = np.where(has_lines, mission, -1)
    basket_key = np.where(mission >= 0, basket_store * n_groups + mission, -1)
    order = np.argsort(basket_key, kind="stable")
    sorted_key = basket_key[order]
    line_key = line_store * n_groups + line_group
    start = np.searchsorted(sorted_key, line_key, "left")
    count = np.searchsorted(sorted_key, line_key, "right") - start
    joins = (draw < AFFINITY_SHARE) & (count > 0)
    offset = np.minimum((draw / AFFINITY_SHARE * count).astype(np.int64), np.maximum(count - 1, 0))
    in_group = order[np.minimum(start + offset, len(order) - 1)]
    rest = np.where(count > 0, (draw - AFFINITY_SHARE) / (1.0 - AFFINITY_SHARE), draw)
    anywhere = np.minimum((rest * n_baskets[line_store]).astype(np.int64), n_baskets[line_store] - 1)
    return np.where(joins, in_group - first[line_store], anywhere)


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

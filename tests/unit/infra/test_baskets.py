"""Basket lines: exact units per store x SKU, one till and time per basket, complements bought together."""

from __future__ import annotations

from datetime import date
from itertools import combinations

import numpy as np
import pandas as pd

from infra.simulator.baskets import TradingDay, basket_lines, complement_groups, store_variants
from infra.simulator.chain import build_chain

DAY = date(2026, 3, 2)


def day_lines(seed: int = 3, n_stores: int = 3, n_skus: int = 60):
    chain = build_chain(np.random.default_rng(1), n_stores, n_skus)
    rng = np.random.default_rng(seed)
    sold = rng.poisson(chain.popularity[None, :] * 3, (n_stores, n_skus))
    midnight = int(np.datetime64(DAY, "s").astype(np.int64))
    day = TradingDay(
        f"{DAY:%Y%m%d}",
        midnight + chain.stores["opens_at_hour"] * 3600,
        midnight + chain.stores["closes_at_hour"] * 3600,
    )
    batch = basket_lines(chain, chain.products["list_price"], sold, np.zeros_like(sold), day, rng)
    frame = pd.DataFrame(batch.columns).assign(store=batch.store, ts=batch.ts)
    return chain, sold, day, frame[frame["kind"] == "sale"]


def test_lines_sum_to_units_sold_and_each_basket_has_one_till_and_one_time_in_opening_hours():
    chain, sold, day, lines = day_lines()
    sku_index = pd.Series(np.arange(chain.n_skus), index=chain.products["sku"])
    units = lines.groupby(["store", lines["sku"].map(sku_index)])["quantity"].sum()
    expected = pd.Series(sold[np.nonzero(sold)], index=pd.MultiIndex.from_arrays(np.nonzero(sold)))
    assert units.sort_index().to_dict() == expected.sort_index().to_dict()
    per_basket = lines.groupby("basket_id").agg(ts=("ts", "nunique"), till=("terminal_id", "nunique"),
                                               stores=("store", "nunique"))  # fmt: skip
    assert (per_basket == 1).all().all()
    assert ((lines.ts >= day.opens[lines.store]) & (lines.ts < day.closes[lines.store])).all()
    assert (lines["basket_id"].str[:4] == chain.stores["store_id"][lines.store]).all()


def test_same_seed_same_baskets():
    assert day_lines(seed=4)[3].equals(day_lines(seed=4)[3])


def test_complements_share_baskets_far_more_often_than_chance():
    chain, _, _, lines = day_lines(n_stores=4, n_skus=120)
    variant = store_variants(chain.stores)
    assert len(set(variant)) > 1, "the stores pair products in more than one way"
    groups = {v: complement_groups(chain.products, v) for v in set(variant)}
    sku_index = pd.Series(np.arange(chain.n_skus), index=chain.products["sku"])
    pairs = zip(lines.store, lines.sku, strict=True)
    lines = lines.assign(group=[groups[variant[s]][sku_index[k]] for s, k in pairs])
    mates = total = 0
    for in_basket in lines.groupby("basket_id")["group"].agg(list):
        for a, b in combinations(in_basket, 2):
            mates += int(a == b)
            total += 1
    shares = lines.groupby("store")["group"].value_counts(normalize=True)
    chance = float((shares**2).groupby("store").sum().mean())  # two random lines of a store, same group
    assert total > 100 and mates / total > 5 * chance, (mates / total, chance)


def test_a_group_mixes_sub_categories_of_one_mission():
    chain = build_chain(np.random.default_rng(1), 1, 200)
    groups = complement_groups(chain.products)
    sizes = np.bincount(groups)
    assert sizes.max() == 4 and (sizes >= 1).all()
    products = pd.DataFrame(chain.products).assign(group=groups)
    mixed = products.groupby("group")["sub_category"].nunique()
    assert (mixed[sizes[mixed.index] == 4] >= 2).mean() > 0.8

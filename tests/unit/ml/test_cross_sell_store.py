"""Per-store affinities: the chain's ALS factors moved toward the store's own baskets, by credibility."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spark.ml import cross_sell

CONFIG = cross_sell.AlsConfig(rank=2)
# Chain-wide, A goes with B and C with D.
CHAIN_FACTORS = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0], [0.1, 1.0]])


def chain() -> cross_sell.Affinities:
    pairs = [(f"c{n}", sku) for n in range(20) for sku in ("A", "B")]
    pairs += [(f"d{n}", sku) for n in range(20) for sku in ("C", "D")]
    model, _ = cross_sell.counts(pd.DataFrame(pairs, columns=["basket_id", "sku"]))
    model.factors = CHAIN_FACTORS * 0.3
    return model


def store_baskets(together: int) -> pd.DataFrame:
    """A store whose shoppers buy A with C `together` times, and B and D on their own."""
    pairs = [(f"s{n}", sku) for n in range(together) for sku in ("A", "C")]
    pairs += [(f"b{n}", "B") for n in range(30)] + [(f"e{n}", "D") for n in range(30)]
    return pd.DataFrame(pairs, columns=["basket_id", "sku"])


def first_related(model: cross_sell.Affinities) -> dict[str, str]:
    table = cross_sell.top_related(model)
    return table[table["rank"] == 1].set_index("sku")["related_sku"].to_dict()


def affinity(model: cross_sell.Affinities, sku: str, related: str) -> float:
    table = cross_sell.top_related(model)
    return float(table[(table["sku"] == sku) & (table["related_sku"] == related)]["affinity"].iloc[0])


def test_a_store_that_buys_a_with_c_often_gets_its_own_list():
    store = cross_sell.store_model(chain(), store_baskets(together=300), CONFIG)
    assert first_related(store)["A"] == "C" and first_related(store)["C"] == "A"


def test_a_store_with_few_baskets_keeps_the_chain_view_and_the_extremes_bracket_the_blend():
    few = store_baskets(together=3)
    assert first_related(cross_sell.store_model(chain(), few, CONFIG))["A"] == "B"
    a_with_c = [
        affinity(cross_sell.store_model(chain(), few, CONFIG, credibility=c), "A", "C")
        for c in (np.inf, 50.0, 0.0)
    ]
    assert a_with_c == sorted(a_with_c) and a_with_c[0] < a_with_c[2], (
        "chain <= blend <= the store's own view"
    )
    kept = cross_sell.store_model(chain(), few, CONFIG, credibility=np.inf)
    assert np.allclose(kept.factors, chain().factors), "infinite credibility: the chain's factors as they are"
    assert list(kept.items) == ["A", "B", "C", "D"] and kept.popularity.tolist() == [3, 30, 3, 30]

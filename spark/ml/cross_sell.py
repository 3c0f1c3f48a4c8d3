"""cross_sell: which products are bought together, from MLlib ALS on basket x product implicit feedback.

A basket is a "user": its products are positive implicit feedback (one per product, however many units).
ALS factorises the basket x product matrix; two products are related by the cosine of their factors, so
affinities generalise beyond pairs seen together (the point of a factor model over raw counts).

Measured in the same run on held-out baskets (the newest ones, never trained on): for each basket with at
least two products, one product is hidden and the others are the query; recall@10 is the share of baskets
whose hidden product is among the 10 best-scored products not already in the basket. ALS scores a
candidate by its summed similarity to the query; the popularity baseline recommends the best sellers of the
training baskets; co-occurrence (P(B | A) summed over the query) is reported beside them.
Evaluation and the top-N lists are computed on the driver from the item factors: products number in the
thousands at most, baskets' held-out sample in the thousands.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

TOP_N = 10
EVAL_BASKETS = 5_000  # held-out baskets sampled for recall@10


@dataclass(frozen=True)
class AlsConfig:
    """MLlib ALS (implicit) settings: few iterations and a small rank keep a weekly fit to seconds."""

    rank: int = 16
    max_iter: int = 8
    reg_param: float = 0.05
    alpha: float = 20.0
    seed: int = 7


@dataclass
class Affinities:
    """What one fit knows: the product ids, their unit-length factors and training popularity."""

    items: np.ndarray  # product ids, index = position
    factors: np.ndarray | None  # (n_items, rank), rows normalised; None for a count-only fit
    popularity: np.ndarray  # training baskets holding each item
    co_counts: sparse.csr_matrix  # baskets holding both items (diagonal: baskets holding the item)

    def similarity(self) -> np.ndarray:
        return self.factors @ self.factors.T

    def conditional(self) -> np.ndarray:
        """P(column item in basket | row item in basket) from training baskets."""
        counts = self.co_counts.toarray().astype(float)
        np.fill_diagonal(counts, 0.0)
        return counts / np.maximum(self.popularity, 1)[:, None]


def basket_items(lines: pd.DataFrame) -> pd.DataFrame:
    """Distinct (basket_id, sku) of sale lines (`kind`, when present, must be 'sale'; no null basket)."""
    if "kind" in lines.columns:
        lines = lines[lines["kind"] == "sale"]
    lines = lines.dropna(subset=["basket_id", "sku"])
    return lines[["basket_id", "sku"]].drop_duplicates().reset_index(drop=True)


def counts(baskets: pd.DataFrame) -> tuple[Affinities, pd.DataFrame]:
    """Co-occurrence counts of (basket_id, sku) pairs (no factors yet) and the pairs as integer codes."""
    if baskets.empty:
        raise ValueError("cross_sell: no sale baskets in the training window")
    items = np.array(sorted(baskets["sku"].unique()), dtype=object)
    item_index = pd.Series(np.arange(len(items)), index=items)
    basket_codes, _ = pd.factorize(baskets["basket_id"])
    pairs = pd.DataFrame(
        {
            "basket": basket_codes.astype("int32"),
            "item": item_index[baskets["sku"]].to_numpy().astype("int32"),
            "rating": 1.0,
        }
    )
    matrix = sparse.csr_matrix(
        (np.ones(len(pairs)), (pairs["basket"], pairs["item"])), shape=(basket_codes.max() + 1, len(items))
    )
    popularity = np.asarray(matrix.sum(axis=0)).ravel()
    return Affinities(items, None, popularity, (matrix.T @ matrix).tocsr()), pairs


def fit(spark, baskets: pd.DataFrame, config: AlsConfig) -> Affinities:
    """ALS on (basket, product) pairs; returns normalised product factors and training counts."""
    from pyspark.ml.recommendation import ALS

    model, pairs = counts(baskets)
    als = ALS(
        rank=config.rank,
        maxIter=config.max_iter,
        regParam=config.reg_param,
        alpha=config.alpha,
        implicitPrefs=True,
        userCol="basket",
        itemCol="item",
        ratingCol="rating",
        seed=config.seed,
        coldStartStrategy="drop",
        nonnegative=False,
    )
    found = als.fit(spark.createDataFrame(pairs)).itemFactors.toPandas()
    factors = np.zeros((len(model.items), config.rank))
    factors[found["id"].to_numpy()] = np.vstack(found["features"].to_numpy())
    model.factors = factors / np.maximum(np.linalg.norm(factors, axis=1, keepdims=True), 1e-12)
    return model


def top_related(model: Affinities, method: str = "als", n: int = TOP_N) -> pd.DataFrame:
    """Per product its n most related products: sku, related_sku, rank (1 = best), affinity, baskets_together.

    method "als" ranks by factor cosine; "co_occurrence" by P(related | product), keeping only pairs seen
    together at least once.
    """
    scores = model.similarity() if method == "als" else model.conditional()
    np.fill_diagonal(scores, -np.inf)
    n = min(n, len(model.items) - 1)
    best = np.argsort(-scores, axis=1, kind="stable")[:, :n]
    rows = np.repeat(np.arange(len(model.items)), n)
    cols = best.ravel()
    frame = pd.DataFrame(
        {
            "sku": model.items[rows],
            "related_sku": model.items[cols],
            "rank": np.tile(np.arange(1, n + 1), len(model.items)).astype("int32"),
            "affinity": scores[rows, cols].astype(float),
            "baskets_together": np.asarray(model.co_counts[rows, cols]).ravel().astype("int64"),
        }
    )
    if method != "als":
        frame = frame[frame["baskets_together"] > 0]
    return frame.reset_index(drop=True)


def recall_at_k(model: Affinities, held_out: pd.DataFrame, k: int = 10, seed: int = 7) -> dict[str, float]:
    """recall@k of ALS, popularity and co-occurrence on held-out baskets (one hidden product each).

    Returns recall_at_{k}_als / _popularity / _co_occurrence and eval_baskets (baskets evaluated).
    """
    queries = _hide_one(held_out, seed)
    index = pd.Series(np.arange(len(model.items)), index=model.items)
    scorers = {
        "als": model.similarity() if model.factors is not None else None,
        "co_occurrence": model.conditional(),
        "popularity": None,
    }
    scorers = {name: m for name, m in scorers.items() if name != "als" or m is not None}
    hits = {name: 0 for name in scorers}
    for hidden, shown in queries:
        known = index.reindex(shown).dropna().astype(int).to_numpy()
        target = index.get(hidden)
        if target is None or len(known) == 0:
            continue  # a product never sold in training cannot be ranked by any method: counted as a miss
        for name, matrix in scorers.items():
            score = model.popularity.astype(float) if name == "popularity" else matrix[known].sum(axis=0)
            score[known] = -np.inf
            hits[name] += int(target in np.argpartition(-score, min(k, len(score) - 1))[:k])
    n = len(queries)  # none: nothing to measure (every held-out basket holds one product)
    return {**{f"recall_at_{k}_{name}": hits[name] / n if n else None for name in scorers}, "eval_baskets": n}


def _hide_one(held_out: pd.DataFrame, seed: int) -> list[tuple[str, list[str]]]:
    rng = np.random.default_rng(seed)
    grouped = held_out.groupby("basket_id", sort=True)["sku"].agg(lambda s: sorted(set(s)))
    grouped = grouped[grouped.map(len) >= 2]
    if len(grouped) > EVAL_BASKETS:
        grouped = grouped.iloc[np.sort(rng.choice(len(grouped), EVAL_BASKETS, replace=False))]
    queries = []
    for skus in grouped:
        hidden = skus[int(rng.integers(len(skus)))]
        queries.append((hidden, [s for s in skus if s != hidden]))
    return queries

"""cross_sell: which products are bought together, from MLlib ALS on basket x product implicit feedback.

A basket is a "user": its products are positive implicit feedback (one per product, however many units).
ALS factorises the basket x product matrix, so affinities generalise beyond pairs seen together (the point of
a factor model over raw counts). A query basket is scored the way ALS itself predicts: the basket is folded in
as a new "user" (its factor solved from the trained item factors by ALS's implicit least-squares equation,
same reg_param and alpha), and a candidate's score is that factor . the candidate's factor. Unlike a cosine
between item factors this keeps the factors' lengths, which carry how popular a product is: a cosine ranks a
rare product bought with the query as high as a staple bought with it, which the held-out baskets punish.
A product's published list is the query of that product alone.

Measured in the same run on held-out baskets (the newest ones, never trained on): for each basket with at
least two products, one product is hidden and the others are the query; recall@10 is the share of baskets
whose hidden product is among the 10 best-scored products not already in the basket. ALS scores a
candidate by the folded-in prediction above; the popularity baseline recommends the best sellers of the
training baskets; co-occurrence (P(B | A) summed over the query) is reported beside them.
Evaluation and the top-N lists are computed on the driver from the item factors: products number in the
thousands at most, baskets' held-out sample in the thousands.

Per store (`store_model`): a store's own baskets are too few to fit ALS alone (a tail product sits in a
handful of them), and twenty Spark fits a week would cost minutes on two cores. Instead the chain-wide fit is
carried one ALS half-sweep further on the store's baskets alone: the store's baskets get factors from the
chain's item factors, then each product's store factor is solved from the store's baskets holding it (the
same implicit normal equations MLlib solves). That store estimate is blended with the chain's factor (both
as ALS solved them, lengths kept, so a store's lists are scored by the same fold-in) by credibility
weighting (Buhlmann): weight n / (n + CREDIBILITY_BASKETS) for a product in n of the store's training
baskets, so a product the store sells often speaks for itself, and one it rarely sells keeps the
chain's view. The weight is a shrinkage constant, not fitted: the benchmark reports store recall with the
chain's factors, the store's alone and the blend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

TOP_N = 10
EVAL_BASKETS = 5_000  # held-out baskets sampled for recall@10
ALL_STORES = "ALL"  # store_id of the chain-wide lists (every store's baskets)
CREDIBILITY_BASKETS = 50.0  # store baskets holding a product at which its store factor weighs half


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
    """What one fit knows: the product ids, their factors and training popularity."""

    items: np.ndarray  # product ids, index = position
    factors: np.ndarray | None  # (n_items, rank) as ALS solved them (lengths kept); None for a count-only fit
    popularity: np.ndarray  # training baskets holding each item
    co_counts: sparse.csr_matrix  # baskets holding both items (diagonal: baskets holding the item)
    config: AlsConfig | None = None  # reg_param and alpha of the fit, for folding a query basket in

    def predict(self, queries: sparse.csr_matrix, chunk: int = 1_000) -> np.ndarray:
        """ALS's implicit-feedback scores (queries x items) of query baskets (rows: 1 where the basket holds
        the item), each folded in as a new basket's factor from the trained item factors."""
        out = np.empty((queries.shape[0], len(self.items)))
        for start in range(0, queries.shape[0], chunk):
            part = queries[start : start + chunk]
            out[start : start + chunk] = _solve(part, self.factors, self.config) @ self.factors.T
        return out

    def conditional(self) -> np.ndarray:
        """P(column item in basket | row item in basket) from training baskets."""
        counts = self.co_counts.toarray().astype(float)
        np.fill_diagonal(counts, 0.0)
        return counts / np.maximum(self.popularity, 1)[:, None]


def basket_items(lines: pd.DataFrame) -> pd.DataFrame:
    """Distinct (basket_id, sku) of sale lines (`kind`, when present, must be 'sale'; no null basket).

    Keeps `store_id` when the lines have it (a basket belongs to one store).
    """
    if "kind" in lines.columns:
        lines = lines[lines["kind"] == "sale"]
    lines = lines.dropna(subset=["basket_id", "sku"])
    columns = ["basket_id", "sku", *(["store_id"] if "store_id" in lines.columns else [])]
    return lines[columns].drop_duplicates(["basket_id", "sku"]).reset_index(drop=True)


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
    matrix = _basket_matrix(pairs, len(items))
    popularity = np.asarray(matrix.sum(axis=0)).ravel()
    return Affinities(items, None, popularity, (matrix.T @ matrix).tocsr()), pairs


def _basket_matrix(pairs: pd.DataFrame, n_items: int) -> sparse.csr_matrix:
    """Baskets x items, 1 where the basket holds the item."""
    shape = (int(pairs["basket"].max()) + 1, n_items)
    return sparse.csr_matrix((np.ones(len(pairs)), (pairs["basket"], pairs["item"])), shape=shape)


def fit(spark, baskets: pd.DataFrame, config: AlsConfig) -> Affinities:
    """ALS on (basket, product) pairs; returns the product factors and training counts."""
    from pyspark.ml.recommendation import ALS  # lazy: pyspark ~85 ms; only fit() needs it, the rest is numpy

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
    model.factors, model.config = factors, config
    return model


def store_model(chain: Affinities, baskets: pd.DataFrame, config: AlsConfig,
                credibility: float = CREDIBILITY_BASKETS) -> Affinities:  # fmt: skip
    """One store's affinities: the chain's ALS factors moved toward what the store's baskets say.

    `baskets` are the store's (basket_id, sku) pairs; products are the store's. credibility = inf keeps the
    chain's factors, 0 takes the store's half-sweep alone (both for measuring the blend).
    """
    model, pairs = counts(baskets)
    at = pd.Series(np.arange(len(chain.items)), index=chain.items).reindex(model.items)
    prior = np.zeros((len(model.items), chain.factors.shape[1]))
    prior[at.notna().to_numpy()] = chain.factors[at.dropna().astype(int).to_numpy()]
    if np.isinf(credibility):
        blended = prior
    else:
        weight = (model.popularity / (model.popularity + credibility))[:, None]
        own = _half_sweep(_basket_matrix(pairs, len(model.items)), prior, config)
        blended = (1.0 - weight) * prior + weight * own
    model.factors, model.config = blended, config
    return model


def _half_sweep(held: sparse.csr_matrix, items: np.ndarray, config: AlsConfig) -> np.ndarray:
    """Basket factors from `items`, then item factors from those baskets: MLlib's implicit normal equations.

    Per row r: (F'F + alpha * sum over its held columns of f f' + reg * n_r * I) x_r = (1 + alpha) * sum f.
    """
    baskets = _solve(held, items, config)
    return _solve(held.T.tocsr(), baskets, config)


def _solve(held: sparse.csr_matrix, other: np.ndarray, config: AlsConfig) -> np.ndarray:
    rank = other.shape[1]
    outer = np.einsum("ir,is->irs", other, other).reshape(len(other), rank * rank)
    n = np.asarray(held.sum(axis=1)).ravel()
    lhs = (held @ outer).reshape(-1, rank, rank) * config.alpha + (other.T @ other)[None]
    lhs += (config.reg_param * np.maximum(n, 1))[:, None, None] * np.eye(rank)[None]
    rhs = (1.0 + config.alpha) * (held @ other)
    return np.linalg.solve(lhs, rhs[..., None])[..., 0]


def top_related(model: Affinities, method: str = "als", n: int = TOP_N) -> pd.DataFrame:
    """Per product its n most related products: sku, related_sku, rank (1 = best), affinity, baskets_together.

    method "als" ranks by ALS's prediction for a basket holding the product alone (`predict`);
    "co_occurrence" by P(related | product), keeping only pairs seen together at least once.
    """
    if method == "als":
        scores = model.predict(sparse.identity(len(model.items), format="csr"))
    else:
        scores = model.conditional()
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
    asked = []  # (target, known) of the queries any method can rank
    for hidden, shown in queries:
        known = index.reindex(shown).dropna().astype(int).to_numpy()
        target = index.get(hidden)
        if target is not None and len(known) > 0:  # else a product never sold in training: counted as a miss
            asked.append((int(target), known))
    rows = np.repeat(np.arange(len(asked)), [len(known) for _, known in asked])
    cols = np.concatenate([known for _, known in asked]) if asked else np.array([], dtype=int)
    held = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(asked), len(model.items)))
    conditional = model.conditional()
    scorers = {
        "co_occurrence": lambda at: conditional[asked[at][1]].sum(axis=0),
        "popularity": lambda at: model.popularity.astype(float),
    }
    if model.factors is not None:
        predicted = model.predict(held)
        scorers = {"als": lambda at: predicted[at], **scorers}
    hits = {name: 0 for name in scorers}
    for at, (target, known) in enumerate(asked):
        for name, scorer in scorers.items():
            score = np.array(scorer(at), dtype=float)
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

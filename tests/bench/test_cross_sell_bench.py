"""cross_sell benchmark: recall@10 of MLlib ALS against popularity (and co-occurrence) on held-out baskets.

Two basket sources, the same code as the cross_sell job (spark/ml/cross_sell.py):
- simulated: the POS simulator's sale lines, 10 stores x 200 SKUs x 8 weeks (the job's window); the newest
  week's baskets are held out. The simulator groups complementary products (complement groups of a shopping
  mission, paired differently per store type) into the same baskets (infra/simulator/baskets.py). Per store,
  the same split: recall@10 of the store's lists (chain factors blended with the store's own by credibility,
  spark/ml/cross_sell.py store_model) against the store's best sellers, beside the chain's factors as they
  are and the store's half-sweep alone; on the real invoices a country stands for a store.
- real: Online Retail II invoices (../shared/data/online_retail_ii, the non-UK subset of 10 countries),
  cancellations and non-product codes (postage, fees) removed; the newest 20% of invoices (by date) held out.
  ALS settings are chosen on a time-ordered validation split inside the training invoices, never the test.

Figures (tests/bench/results/cross_sell.json): recall_at_10_{als,popularity,co_occurrence} for _sim and
_online_retail, the eval baskets of each, als_train_s (one ALS fit on the simulated 8 weeks), the per-store
means store_recall_at_10_{blend,chain_factors,store_only,popularity,co_occurrence}_sim (and the stores where
the blend beats the store's popularity), cross_sell_job_s (the weekly job, chain-wide and per store, on
the demo's 20 stores x 500 SKUs, newest two weeks), and slow_movers_precision / _recall (and the cover
rule's) of the slow_movers job on a simulated chain's newest week.
"""

from __future__ import annotations

import io
import time
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from spark.ml import cross_sell

pytestmark = [pytest.mark.bench, pytest.mark.spark]

SIM_DAYS = 56
HELD_OUT_SHARE = 0.2
GRID = (
    cross_sell.AlsConfig(),
    replace(cross_sell.AlsConfig(), rank=32, reg_param=0.1),
    replace(cross_sell.AlsConfig(), rank=64, alpha=40.0, max_iter=10),
)
FIGURES: dict[str, float] = {}


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    from infra.settings import Settings
    from spark.session import get_spark

    session = get_spark(Settings(home=tmp_path_factory.mktemp("bench-spark"), lake_url="", clickhouse_url=""))
    yield session
    session.stop()


def simulated_lines(days: int = SIM_DAYS, seed: int = 7) -> pd.DataFrame:
    """Sale lines (store_id, basket_id, sku, day) of the demo-sized chain, straight from the simulator."""
    from infra.simulator.scenario import Scenario, generate

    scenario = Scenario(stores=10, skus=200, days=days, seed=seed, start=date(2026, 1, 5))
    chain, simulator, _ = generate(scenario)
    frames = []
    for d in range(days):
        sales = simulator.run_day(d)["sales-transactions"]
        frame = pd.DataFrame({k: sales.columns[k] for k in ("kind", "basket_id", "sku")})
        frame["store_id"] = chain.stores["store_id"][sales.store]
        frames.append(frame[frame["kind"] == "sale"].assign(day=d))
    return pd.concat(frames, ignore_index=True)


STORE_VARIANTS = {"blend": cross_sell.CREDIBILITY_BASKETS, "chain_factors": np.inf, "store_only": 0.0}


def store_recalls(model, baskets: pd.DataFrame, held_out: pd.Series, config, suffix: str) -> dict:
    """Per-store recall@10 of the store lists, chain factors, store-only factors, the store's popularity and
    co-occurrence, weighted by each store's held-out baskets; and the stores where the blend beats popularity.
    Stores without a held-out basket of two products are left out."""
    per_store = []
    for _, part in baskets.groupby("store_id"):
        test = held_out[part.index]
        if not (~test).any():
            continue
        figures = {}
        for name, credibility in STORE_VARIANTS.items():
            store = cross_sell.store_model(model, part[~test], config, credibility)
            measured = cross_sell.recall_at_k(store, part[test])
            figures[name] = measured["recall_at_10_als"]
        figures |= {m: measured[f"recall_at_10_{m}"] for m in ("popularity", "co_occurrence")}
        per_store.append({**figures, "eval_baskets": measured["eval_baskets"]})
    frame = pd.DataFrame(per_store).dropna()  # no held-out basket with two products: nothing measured
    weight = frame.pop("eval_baskets")
    return {
        **{
            f"store_recall_at_10_{name}_{suffix}": float((frame[name] * weight).sum() / weight.sum())
            for name in frame.columns
        },
        f"stores_blend_beats_popularity_{suffix}": int((frame["blend"] > frame["popularity"]).sum()),
        f"stores_{suffix}": len(frame),
    }


def online_retail_invoices(shared_data) -> pd.DataFrame:
    """Invoice lines as (basket_id, sku, store_id = country, ts): sales of products only."""
    raw = pd.read_csv(
        shared_data / "online_retail_ii" / "online_retail_II_noUK_subset.csv.gz",
        dtype={"Invoice": str, "StockCode": str},
    )
    raw = raw[~raw["Invoice"].str.startswith("C") & (raw["Quantity"] > 0)]
    raw = raw[raw["StockCode"].str[0].str.isdigit()]  # POST, M, DOT, BANK CHARGES ... are not products
    return pd.DataFrame(
        {
            "basket_id": raw["Invoice"],
            "sku": raw["StockCode"],
            "store_id": raw["Country"],  # a country's invoices stand for a store's baskets
            "ts": pd.to_datetime(raw["InvoiceDate"]),
        }
    )


def split_by_time(baskets: pd.DataFrame, order: pd.Series, share: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The newest `share` of baskets (by `order`, one value per basket_id) held out."""
    ranked = order.sort_values(kind="stable")
    held = set(ranked.index[int(len(ranked) * (1 - share)) :])
    mask = baskets["basket_id"].isin(held)
    return baskets[~mask], baskets[mask]


def evaluate(spark, train: pd.DataFrame, test: pd.DataFrame, config: cross_sell.AlsConfig) -> dict:
    started = time.perf_counter()
    model = cross_sell.fit(spark, train, config)
    train_s = time.perf_counter() - started
    return {**cross_sell.recall_at_k(model, test), "train_s": train_s, "model": model}


def choose_config(spark, train: pd.DataFrame, order: pd.Series) -> cross_sell.AlsConfig:
    """The GRID entry with the best recall@10 on the newest 20% of the training baskets."""
    fit_part, validation = split_by_time(
        train, order[order.index.isin(set(train["basket_id"]))], HELD_OUT_SHARE
    )
    scores = [evaluate(spark, fit_part, validation, c)["recall_at_10_als"] for c in GRID]
    return GRID[int(np.argmax(scores))]


def test_cross_sell_recall_against_popularity(spark, shared_data, results_writer):
    lines = simulated_lines()
    baskets = cross_sell.basket_items(lines)
    held_out = baskets["basket_id"].isin(set(lines.loc[lines["day"] >= SIM_DAYS - 7, "basket_id"]))
    sim = evaluate(spark, baskets[~held_out], baskets[held_out], cross_sell.AlsConfig())
    started = time.perf_counter()
    stores = store_recalls(sim.pop("model"), baskets, held_out, cross_sell.AlsConfig(), "sim")
    stores["store_lists_s"] = time.perf_counter() - started

    invoices = online_retail_invoices(shared_data)
    order = invoices.groupby("basket_id")["ts"].min()
    retail = cross_sell.basket_items(invoices)
    train, test = split_by_time(retail, order, HELD_OUT_SHARE)
    config = choose_config(spark, train, order)
    real = evaluate(spark, train, test, config)
    retail_held_out = retail["basket_id"].isin(set(test["basket_id"]))
    countries = store_recalls(real.pop("model"), retail, retail_held_out, config, "online_retail")

    FIGURES.update(
        {
            **{
                f"recall_at_10_{m}_sim": sim[f"recall_at_10_{m}"]
                for m in ("als", "popularity", "co_occurrence")
            },
            **{
                f"recall_at_10_{m}_online_retail": real[f"recall_at_10_{m}"]
                for m in ("als", "popularity", "co_occurrence")
            },
            "eval_baskets_sim": sim["eval_baskets"],
            "eval_baskets_online_retail": real["eval_baskets"],
            "als_train_s": sim["train_s"],
            "als_rank_online_retail": config.rank,
            **stores,
            **countries,
        }
    )
    results_writer("cross_sell", FIGURES)
    assert sim["eval_baskets"] > 1000 and real["eval_baskets"] > 100
    assert real["recall_at_10_als"] > 0 and sim["recall_at_10_popularity"] > 0
    assert stores["stores_sim"] == 10 and countries["stores_online_retail"] >= 5


JOB_STORES, JOB_SKUS = 20, 500  # make demo's chain size


def test_cross_sell_job_time_at_demo_size(spark, tmp_path, results_writer):
    """The weekly job for its newest two weeks (both fit ALS, chain-wide and per store) on 9 weeks of POS."""
    from assets.definitions import load_graph
    from assets.model import week_start
    from assets.run import run_job
    from spark.context import JobContext
    from tests.conftest import isolated_settings

    settings = isolated_settings(tmp_path / "home")
    days = simulated_lake(settings, days=63, stores=JOB_STORES, skus=JOB_SKUS)
    graph = load_graph()
    newest = week_start(date.fromisoformat(days[-1]))
    weeks = tuple(d.isoformat() for d in (newest - timedelta(days=7), newest))
    started = time.perf_counter()
    result = run_job(JobContext.in_place(graph, "cross_sell", weeks, settings, "bench"))
    elapsed = time.perf_counter() - started
    metrics = result.details["metrics"][weeks[-1]]
    stores = pd.DataFrame(metrics["stores"]).T.drop(columns="method").apply(pd.to_numeric)
    assert metrics["method"] == "als" and len(stores) == JOB_STORES, metrics
    FIGURES.update(
        {
            "cross_sell_job_s": elapsed,
            "cross_sell_job_rows": result.row_count,
            "cross_sell_job_recall_at_10_als": metrics["recall_at_10_als"],
            "cross_sell_job_recall_at_10_popularity": metrics["recall_at_10_popularity"],
            **{
                f"cross_sell_job_store_recall_at_10_{m}_mean": float(stores[f"recall_at_10_{m}"].mean())
                for m in ("als", "popularity")
            },
        }
    )
    results_writer("cross_sell", FIGURES)


SLOW_MOVER_DAYS = 140  # 20 weeks: 12 weeks of labelled origins to learn from, 4 held out, 4 to come


def simulated_lake(settings, days: int = SLOW_MOVER_DAYS, seed: int = 7, stores: int = 10, skus: int = 200):
    """The demo-sized chain's events for `days`, written as the raw assets (as the ingest would); day keys."""
    from infra.simulator.chain import write_reference
    from infra.simulator.scenario import Scenario, generate
    from spark.schemas import RAW_SCHEMAS, TOPICS
    from tests.integration.chain import write_raw

    scenario = Scenario(stores=stores, skus=skus, days=days, seed=seed, start=date(2026, 1, 5))
    chain, _, encoded = generate(scenario)
    write_reference(settings, chain)
    frames: dict[str, list[pd.DataFrame]] = {asset: [] for asset in TOPICS.values()}
    keys = []
    for day in encoded:
        keys.append(day.day)
        for topic, (_, values) in day.messages.items():
            frames[TOPICS[topic]].append(
                pd.read_json(
                    io.BytesIO(b"\n".join(values)), lines=True, dtype={"basket_id": str, "po_id": str}
                )
            )
    for asset, parts in frames.items():
        raw = pd.concat(parts, ignore_index=True)
        for column, kind in RAW_SCHEMAS[asset]:  # the lake holds UTC timestamps without a zone
            if kind == "timestamp":
                raw[column] = pd.to_datetime(raw[column], utc=True).dt.tz_localize(None)
        write_raw(settings, asset, raw)
    return keys


def test_slow_movers_precision_recall_on_a_time_split(spark, tmp_path, results_writer):
    from assets.definitions import load_graph
    from assets.model import week_start
    from assets.run import run_job
    from spark.context import JobContext
    from tests.conftest import isolated_settings

    settings = isolated_settings(tmp_path / "home")
    days = simulated_lake(settings)
    graph = load_graph()
    run_job(JobContext.in_place(graph, "inventory_snapshot", tuple(days), settings, "bench"))
    week = week_start(date.fromisoformat(days[-1])).isoformat()  # the simulation ends on a Sunday
    started = time.perf_counter()
    result = run_job(JobContext.in_place(graph, "slow_movers", (week,), settings, "bench"))
    metrics = result.details["metrics"][week]
    assert metrics["method"] == "random_forest", metrics
    FIGURES.update(
        {
            "slow_movers_precision": metrics["model_precision"],
            "slow_movers_recall": metrics["model_recall"],
            "slow_movers_rule_precision": metrics["rule_precision"],
            "slow_movers_rule_recall": metrics["rule_recall"],
            "slow_movers_test_rows": metrics["test_rows"],
            "slow_movers_test_at_risk_share": metrics["test_at_risk_share"],
            "slow_movers_job_s": time.perf_counter() - started,
        }
    )
    results_writer("cross_sell", FIGURES)

"""Reorder policy on the simulated chain: fill rate and average on-hand against ordering last week's sales.

The chain simulator (infra/simulator, no Kafka) runs 10 stores x 100 SKUs for 60 weeks. The demand model is
trained as the weekly job trains it (spark/jobs/forecasting.py's config, features and origin sampling) on the
first 52 weeks of recorded sales (censored by the simulator's own stock: stock-out days are excluded from
the target), so the held-out weeks have a year-ago season to learn from. The last 8 weeks are held out.
Every day, as reorder_predictions runs, the policy (spark/ml/reorder.py's ReorderPolicy / recommend, target
cycle service level 95%) uses the model's 7-day forecast made after that day's close from the chain's
recorded sales up to it (spark/ml/scoring.py::model_forecast, as the daily job does). Both policies
replay the same true (uncensored) demand from the same opening stock with the same drawn lead times, case
packs and minimum orders (spark/ml/policy_simulation.py), with nothing on order at the start; the naive
policy orders last week's sales, rounded to whole cases, once a week.

Figures (tests/bench/results/reorder_policy.json): fill_rate_policy, fill_rate_naive,
fill_rate_gain_vs_naive (policy minus naive), avg_on_hand_policy, avg_on_hand_naive, target_service_level;
also the same policy reviewed only weekly (`*_weekly_review`, ReorderPolicy(review_days=7): the reorder point
then protects the lead time plus the week until the next review), order lines per policy, the same daily
policy fed the labelled 28-day-mean baseline of spark/ml/scoring.py (`*_baseline_ma28`), and each
forecast's held-out WAPE and bias against true demand.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from infra.settings import Settings
from infra.simulator.chain import build_chain
from infra.simulator.engine import ChainSimulator
from spark.calendar import holiday_name
from spark.jobs.forecasting import ATTRIBUTES, CALENDAR, CONFIG, MAX_TRAIN_ROWS, ORIGIN_MIN_HISTORY
from spark.ml.horizon import HorizonSpec
from spark.ml.metrics import bias, wape
from spark.ml.policy_simulation import SupplierTerms, forecast_rule, naive_rule, replay
from spark.ml.reorder import ReorderPolicy
from spark.ml.scoring import baseline, model_forecast
from spark.ml.training import train_demand

pytestmark = [pytest.mark.bench, pytest.mark.spark]
STORES, SKUS, WEEKS, HELD_OUT_WEEKS, SEED = 10, 100, 60, 8, 11
START = date(2025, 1, 6)  # a Monday: weekly reviews fall on the same weekday


@dataclass
class ChainTrace:
    """Daily store x SKU rows of a simulated chain: true demand, recorded sales, stock-outs, prices."""

    stores: np.ndarray
    skus: np.ndarray
    demand: np.ndarray  # rows x days
    sold: np.ndarray
    stock_out: np.ndarray
    price: np.ndarray  # rows x days shelf price
    promo: np.ndarray
    on_hand: np.ndarray  # rows x days, closing
    attributes: dict[str, np.ndarray]
    terms: SupplierTerms


def test_reorder_policy_against_naive(tmp_path, results_writer):
    began = time.perf_counter()
    trace = simulate_chain()
    days = WEEKS * 7
    first_held = days - HELD_OUT_WEEKS * 7
    spark = _spark(tmp_path)
    history, calendar = _history(spark, trace)
    train_end = START + timedelta(days=first_held - 1)
    spec = HorizonSpec(
        horizon=7, attributes=ATTRIBUTES, calendar_columns=CALENDAR, min_history_days=ORIGIN_MIN_HISTORY,
        origin_sample=min(1.0, MAX_TRAIN_ROWS / (len(trace.skus) * first_held * 7)),
    )  # fmt: skip
    training = history.where(history.date <= train_end)
    run = train_demand(training, spec, CONFIG, train_end, n_folds=3, calendar=calendar)
    reviews = list(range(HELD_OUT_WEEKS * 7))  # reorder_predictions runs daily
    review_dates = [(START + timedelta(days=first_held + r)).isoformat() for r in reviews]
    scored = model_forecast(run.model, spec, history, review_dates, calendar, run.interval_table,
                            run.weekly_interval_table, "bench")  # fmt: skip
    forecasts = _by_review(scored, trace, review_dates, reviews)

    policy = ReorderPolicy()
    held = slice(first_held, days)
    demand, opening = trace.demand[:, held], trace.on_hand[:, first_held - 1]
    lead_days = trace.terms.draw_lead_days(demand.shape[1], np.random.default_rng(SEED))
    before = trace.sold[:, first_held - 7 : first_held]
    rule = forecast_rule(trace.terms, policy, forecasts.get)
    ours = replay(demand, opening, lead_days, reviews, rule, sold_before=before)
    weekly_rule = forecast_rule(trace.terms, ReorderPolicy(review_days=7), forecasts.get)
    weekly = replay(demand, opening, lead_days, reviews[::7], weekly_rule, sold_before=before)
    fallback = _by_review(baseline(history, review_dates), trace, review_dates, reviews)
    ma28 = replay(
        demand, opening, lead_days, reviews, forecast_rule(trace.terms, policy, fallback.get), before
    )
    naive = replay(demand, opening, lead_days, reviews[::7], naive_rule(trace.terms), sold_before=before)
    figures = {
        "fill_rate_policy": ours.fill_rate,
        "fill_rate_naive": naive.fill_rate,
        "fill_rate_gain_vs_naive": ours.fill_rate - naive.fill_rate,
        "avg_on_hand_policy": ours.avg_on_hand,
        "avg_on_hand_naive": naive.avg_on_hand,
        "target_service_level": policy.service_level,
        "orders_policy": float(ours.orders),
        "orders_naive": float(naive.orders),
        "fill_rate_policy_weekly_review": weekly.fill_rate,
        "avg_on_hand_policy_weekly_review": weekly.avg_on_hand,
        "fill_rate_policy_baseline_ma28": ma28.fill_rate,
        "avg_on_hand_policy_baseline_ma28": ma28.avg_on_hand,
        **_held_out_accuracy("forecast", forecasts, trace, first_held, reviews),
        **_held_out_accuracy("baseline_ma28", fallback, trace, first_held, reviews),
        "backtest_wape_model": run.summary["forecast"]["wape"],
        "backtest_wape_ma28": run.summary["ma28"]["wape"],
        "series": float(len(trace.skus)),
        "held_out_days": float(demand.shape[1]),
        "bench_s": time.perf_counter() - began,
    }
    results_writer("reorder_policy", figures)
    print(figures)
    spark.stop()
    assert 0 < ours.fill_rate <= 1 and 0 < naive.fill_rate <= 1


def simulate_chain() -> ChainTrace:
    """Run the chain simulator day by day and keep each day's true demand next to what it recorded."""
    rng = np.random.default_rng(SEED)
    chain = build_chain(rng, STORES, SKUS)
    simulator = ChainSimulator(chain, START, rng)
    ledger, days = simulator.ledger, WEEKS * 7
    shape = (STORES * SKUS, days)
    demand, sold, stock_out, on_hand = (np.zeros(shape) for _ in range(4))
    price, promo = np.zeros(shape), np.zeros(shape, bool)
    for d in range(days):
        wanted, got, outs = ledger.demand.copy(), ledger.sold.copy(), ledger.stockout_days.copy()
        simulator.run_day(d)
        demand[:, d] = (ledger.demand - wanted).reshape(-1)
        sold[:, d] = (ledger.sold - got).reshape(-1)
        stock_out[:, d] = (ledger.stockout_days - outs).reshape(-1)
        on_hand[:, d] = simulator.on_hand.reshape(-1)
        price[:, d] = np.tile(simulator.shelf_price, STORES)
        promo[:, d] = np.tile(simulator.promo_discount > 0, STORES)
    products, stores = chain.products, chain.stores
    per_row = {name: np.tile(np.asarray(values), STORES) for name, values in products.items()}
    terms = SupplierTerms(
        np.tile(simulator.lead_mean, STORES).astype(float), np.tile(simulator.lead_std, STORES).astype(float),
        per_row["case_pack"].astype(float), _min_order(chain)[np.tile(np.arange(SKUS), STORES)],
    )  # fmt: skip
    attributes = {
        "square_footage": np.repeat(stores["square_footage"], SKUS).astype(float),
        **{a: per_row[a].astype(float) for a in ("unit_cost", "list_price", "shelf_life_days")},
    }
    return ChainTrace(np.repeat(stores["store_id"], SKUS), per_row["sku"], demand, sold, stock_out > 0, price,
                      promo, on_hand, attributes, terms)  # fmt: skip


def _min_order(chain) -> np.ndarray:
    suppliers = list(chain.suppliers["supplier_id"])
    index = [suppliers.index(s) for s in chain.products["supplier_id"]]
    return chain.suppliers["min_order_units"][index].astype(float)


def _spark(tmp_path):
    from spark.session import get_spark

    spark = get_spark(Settings(home=tmp_path / "spark-home", lake_url="", clickhouse_url=""))
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _history(spark, trace: ChainTrace):
    """The trace in the forecasting history contract, and the holiday calendar, as Spark frames."""
    rows, days = trace.sold.shape
    dates = [START + timedelta(days=d) for d in range(days)]
    frame = pd.DataFrame({
        "store_id": np.repeat(trace.stores, days), "sku": np.repeat(trace.skus, days),
        "date": np.tile(np.array(dates, dtype=object), rows), "units_sold": trace.sold.reshape(-1),
        "stock_out": trace.stock_out.reshape(-1), "price": trace.price.reshape(-1),
        "promo": trace.promo.reshape(-1),
        **{name: np.repeat(values, days) for name, values in trace.attributes.items()},
    })  # fmt: skip
    schema = "store_id string, sku string, date date, units_sold double, stock_out boolean, price double, "
    schema += "promo boolean, " + ", ".join(f"{a} double" for a in ATTRIBUTES)
    every_day = [START + timedelta(days=d) for d in range(days + 35)]
    holidays = [float(bool(holiday_name(d))) for d in every_day]
    calendar = pd.DataFrame({"date": every_day, "is_holiday": holidays})
    history = spark.createDataFrame(frame[[c.split()[0] for c in schema.split(", ")]], schema).cache()
    return history, spark.createDataFrame(calendar, "date date, is_holiday double")


def _by_review(scored: pd.DataFrame, trace: ChainTrace, review_dates: list[str], reviews: list[int]) -> dict:
    """review day -> (daily_mean, daily_std) per trace row, in the trace's row order."""
    keys = pd.MultiIndex.from_arrays([trace.stores, trace.skus])
    out = {}
    for day, when in zip(reviews, review_dates, strict=True):
        part = scored[scored["date"].astype(str) == when].set_index(["store_id", "sku"]).reindex(keys)
        if part["daily_mean"].isna().any():
            raise AssertionError(f"no forecast for {int(part['daily_mean'].isna().sum())} rows on {when}")
        out[day] = (part["daily_mean"].to_numpy(float), part["daily_std"].to_numpy(float))
    return out


def _held_out_accuracy(name: str, forecasts: dict, trace: ChainTrace, first_held: int, reviews) -> dict:
    """WAPE and bias of each review's 7-day forecast against the true demand of the following 7 days."""
    actual, predicted = [], []
    for day in reviews:
        start = first_held + day + 1
        if start + 7 <= trace.demand.shape[1]:
            actual.append(trace.demand[:, start : start + 7].sum(axis=1))
            predicted.append(7 * forecasts[day][0])
    actual, predicted = np.concatenate(actual), np.concatenate(predicted)
    return {
        f"{name}_wape_held_out": wape(actual, predicted),
        f"{name}_bias_held_out": bias(actual, predicted),
    }

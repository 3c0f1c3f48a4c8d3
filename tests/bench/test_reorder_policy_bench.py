"""Reorder policy as production runs it, replayed day by day against the chain simulator's true demand.

The chain simulator (infra/simulator, no Kafka) runs STORES x SKUS for HISTORY_WEEKS under its own (s, S)
ordering, writing every event (sales, receipts, counts, prices, purchase orders) into the raw lake assets as
the ingest lands them. The real jobs then build inventory_snapshot and daily_features over that history and
train demand_model once for the week before the replay (spark/jobs/forecasting.py:train_demand_model, the
weekly job; it is promoted only if it beats its baselines, otherwise reorders run on the 28-day baseline, as
in production). For each of the REPLAY_WEEKS x 7 days the simulator trades the day, its events land in the
lake, and the real jobs build that day's inventory_snapshot, daily_features, open_orders and
reorder_predictions (one Spark session throughout). Every recommended order is placed with the simulator's
suppliers after the close: it becomes a `purchase-orders` event, arrives after the simulator's drawn lead
time (partial, late or cancelled as suppliers are), and the next day's open_orders, hence the next day's
job, sees it on order.

The naive policy (tests/bench/reorder_replay.py:NaiveBaseStock: base-stock on the 28-day moving average of
recorded sales, stock-out days left out, on the position on hand + on order) runs on a second simulator with
the same seed: the same history, the same true demand and the same supplier outcomes per store x SKU and
order day, reviewed on the same (every) day. A third simulator runs the same naive levels with production's
7-day order cycle (below S, order up to S + 6 days of the mean: `*_naive_weekly_cycle`), so forecasts and
safety stock are also compared at a like order frequency. Gates are not run here (tests/unit/expectations
cover them).

Figures (tests/bench/results/reorder_policy.json), each for policy / naive / naive_weekly_cycle: fill_rate_*
(units sold / true demand), avg_on_hand_* (true units on the shelf per store x SKU at close),
orders_per_pair_week_*, duplicate_orders_* (an order placed while an earlier open order for the store x SKU,
with the true on-hand, was already above the level that triggered it), orders_while_open_*; then
fill_rate_gain_vs_naive and avg_on_hand_vs_naive (policy minus naive; the same against the weekly-cycle
variant), duplicate_orders (the policy's), the share of replayed days the model served (model_days_share),
series, replay_days, bench_s.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import numpy as np
import pytest

from assets.definitions import load_graph
from assets.run import run_job
from infra.simulator.chain import build_chain, write_reference
from infra.simulator.engine import PURCHASE_ORDERS, ChainSimulator
from infra.simulator.events import concat, encode_day
from infra.simulator.lake_events import write_raw_events
from infra.warehouse import Warehouse, migrate
from spark.context import JobContext
from tests.bench.reorder_replay import NaiveBaseStock, Tally
from tests.lake_reads import read_day

pytestmark = [pytest.mark.bench, pytest.mark.spark, pytest.mark.timeout(1800)]  # ~11 min when quiet
STORES, SKUS, SEED = 3, 24, 17
# Each replayed day runs four Spark jobs: ~20 s on 2 quiet cores, ~35 s on a loaded machine.
HISTORY_WEEKS, REPLAY_WEEKS = 9, 3
START = date(2025, 1, 6)  # a Monday: the replay starts on a Monday, right after the model's week
GRAPH = load_graph()
JOB_SECONDS: dict[str, float] = {}  # per job, summed over the replayed days


def test_reorder_predictions_against_the_naive_policy(settings, results_writer):
    began = time.perf_counter()
    history_days, replay_days = HISTORY_WEEKS * 7, REPLAY_WEEKS * 7
    migrate(Warehouse(settings))  # the weekly job records the data versions it trained on
    ours = _simulator(SEED)
    chain = ours.chain
    write_reference(settings, chain)
    naive, weekly = (Naive(_simulator(SEED), NaiveBaseStock(*_terms(chain), cycle_days=n)) for n in (1, 7))
    for d in range(history_days):
        _write_day(settings, ours, d, ours.run_day(d))
        naive.trade(d)
        weekly.trade(d)
    days = [_key(d) for d in range(history_days)]
    build(settings, "inventory_snapshot", days)
    build(settings, "daily_features", days)
    monday = _key(history_days - 7)
    build(settings, "demand_model", [monday])
    print(f"\n[bench] history and model ready after {time.perf_counter() - began:.0f} s", flush=True)

    ours.reorders = naive.sim.reorders = weekly.sim.reorders = False
    policy, sources = Tally(), []
    for d in range(history_days, history_days + replay_days):
        _policy_day(settings, ours, d, policy, sources)
        naive.review(d)
        weekly.review(d)
        if (d - history_days) % 7 == 6:
            jobs = ", ".join(f"{a} {s:.0f} s" for a, s in JOB_SECONDS.items())
            print(f"[bench] replay week {(d - history_days) // 7 + 1} done at "
                  f"{time.perf_counter() - began:.0f} s (jobs so far: {jobs}); fill rate / on hand: policy "
                  f"{policy.fill_rate:.4f} / {policy.avg_on_hand:.1f}, naive {naive.tally.fill_rate:.4f} / "
                  f"{naive.tally.avg_on_hand:.1f}, weekly-cycle naive {weekly.tally.fill_rate:.4f} / "
                  f"{weekly.tally.avg_on_hand:.1f}", flush=True)  # fmt: skip

    figures = {
        "fill_rate_gain_vs_naive": policy.fill_rate - naive.tally.fill_rate,
        "avg_on_hand_vs_naive": policy.avg_on_hand - naive.tally.avg_on_hand,
        "fill_rate_gain_vs_naive_weekly_cycle": policy.fill_rate - weekly.tally.fill_rate,
        "avg_on_hand_vs_naive_weekly_cycle": policy.avg_on_hand - weekly.tally.avg_on_hand,
        "duplicate_orders": policy.duplicate_orders,
        **_figures("policy", policy),
        **_figures("naive", naive.tally),
        **_figures("naive_weekly_cycle", weekly.tally),
        "model_days_share": sources.count("model") / len(sources),
        "target_service_level": 0.95,
        "series": float(STORES * SKUS),
        "replay_days": float(replay_days),
        **{f"{asset}_s_per_day": seconds / replay_days for asset, seconds in JOB_SECONDS.items()},
        "bench_s": time.perf_counter() - began,
    }
    results_writer("reorder_policy", figures)
    print(figures, policy.seen_duplicates[:10])
    assert np.array_equal(ours.ledger.demand, naive.sim.ledger.demand), "both policies met the same demand"
    assert policy.days == naive.tally.days == replay_days and policy.orders > 0 and naive.tally.orders > 0


def _figures(name: str, tally: Tally) -> dict[str, float]:
    return {
        f"fill_rate_{name}": tally.fill_rate,
        f"avg_on_hand_{name}": tally.avg_on_hand,
        f"orders_per_pair_week_{name}": tally.orders_per_pair_week,
        f"duplicate_orders_{name}": tally.duplicate_orders,
        f"orders_while_open_{name}": tally.orders_while_open,
    }


def build(settings, asset: str, days: list[str]):
    """The asset's real job on `days` (what the runner calls, without the gate)."""
    return run_job(JobContext.in_place(GRAPH, asset, tuple(days), settings, "bench"))


def _simulator(seed: int) -> ChainSimulator:
    rng = np.random.default_rng(seed)
    return ChainSimulator(build_chain(rng, STORES, SKUS), START, rng)


def _key(d: int) -> str:
    return (START + timedelta(days=d)).isoformat()


def _write_day(settings, sim: ChainSimulator, d: int, batches: dict) -> None:
    """Land day d's events in the raw lake assets, as the ingest writes them."""
    write_raw_events(settings, [encode_day(_key(d), SEED, batches, sim.chain.stores["store_id"])])


def _policy_day(settings, sim: ChainSimulator, d: int, tally: Tally, sources: list) -> None:
    """Trade day d, land its events, run the day's jobs, place the recommended orders."""
    before = sim.ledger.demand.copy(), sim.ledger.sold.copy()
    batches = sim.run_day(d)
    tally.record_day(sim.ledger.demand - before[0], sim.ledger.sold - before[1], sim.on_hand)
    store_ids = sim.chain.stores["store_id"]
    _write_day(settings, sim, d, batches)
    day = [_key(d)]
    for asset in ("inventory_snapshot", "daily_features", "open_orders", "reorder_predictions"):
        started = time.perf_counter()
        build(settings, asset, day)
        JOB_SECONDS[asset] = JOB_SECONDS.get(asset, 0.0) + time.perf_counter() - started
    decided = read_day(settings, "marts/reorder_predictions", day[0])
    sources.append(decided["forecast_source"].iloc[0])
    ordering = decided[decided["recommended_order_qty"] > 0]
    store = ordering["store_id"].map({s: i for i, s in enumerate(store_ids)}).to_numpy()
    sku = ordering["sku"].map({k: i for i, k in enumerate(sim.chain.products["sku"])}).to_numpy()
    tally.record_orders(store, sku, ordering["reorder_point"].to_numpy(), sim.on_hand, sim.ledger.on_order, d)
    placed = sim.place_orders(d, store, sku, ordering["recommended_order_qty"].to_numpy())
    today = [b for b in (batches.get(PURCHASE_ORDERS), placed) if b is not None]  # cancellations, then orders
    _write_day(settings, sim, d, {PURCHASE_ORDERS: concat(today)})


class Naive:
    """A naive policy on its own simulator: what its stores recorded, and what it achieved."""

    def __init__(self, sim: ChainSimulator, rule: NaiveBaseStock):
        self.sim, self.rule, self.tally = sim, rule, Tally()
        self.sold: list[np.ndarray] = []
        self.stock_out: list[np.ndarray] = []

    def trade(self, d: int) -> np.ndarray:
        """Run day d and keep what the store recorded: units sold, and whether the shelf ran out."""
        ledger = self.sim.ledger
        demand, sold, outs = ledger.demand.copy(), ledger.sold.copy(), ledger.stockout_days.copy()
        self.sim.run_day(d)
        self.sold.append((ledger.sold - sold).astype(float))
        self.stock_out.append(ledger.stockout_days > outs)
        return ledger.demand - demand

    def review(self, d: int) -> None:
        """Trade a replayed day, then order after the close as the rule says."""
        sim = self.sim
        demand = self.trade(d)
        self.tally.record_day(demand, self.sold[-1], sim.on_hand)
        levels = self.rule.levels(np.stack(self.sold[-28:], axis=2), np.stack(self.stock_out[-28:], axis=2))
        quantity = self.rule.orders(levels, sim.on_hand, sim.ledger.on_order)
        store, sku = np.nonzero(quantity)
        self.tally.record_orders(store, sku, levels[0][store, sku], sim.on_hand, sim.ledger.on_order, d)
        sim.place_orders(d, store, sku, quantity[store, sku])


def _terms(chain) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per SKU, as the reference dimensions say: supplier's mean lead time, case pack, minimum order."""
    suppliers = list(chain.suppliers["supplier_id"])
    index = [suppliers.index(s) for s in chain.products["supplier_id"]]
    lead, minimum = chain.suppliers["lead_time_days"][index], chain.suppliers["min_order_units"][index]
    return lead.astype(float), chain.products["case_pack"].astype(float), minimum.astype(float)

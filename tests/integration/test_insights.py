"""sales_anomalies, slow_movers and cross_sell: the real jobs and gates on one tiny simulated chain.

12 weeks x 2 stores x 4 SKUs, built once per module, with planted cases: a 40-unit spike, a shelf count 60
units short of the book, a product that never sells in one store while stock keeps arriving, and baskets
where two products are always bought together.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from assets.definitions import load_graph
from expectations.gate import validate
from infra.warehouse import Warehouse, migrate
from spark.context import JobContext
from tests.conftest import isolated_settings
from tests.lake_reads import read_asset

from . import chain

pytestmark = pytest.mark.spark
GRAPH = load_graph()
# 15 weeks: slow_movers needs 10 labelled Sundays (4 to test, 3 embargoed before them, 3 to train on)
DAYS = [(chain.START + timedelta(days=i)).isoformat() for i in range(105)]
PLANTED = 82  # the planted anomalies: 22 days before the end, inside the cross-sell pairs' 56 days
SPIKE = ("S00", "P001", DAYS[PLANTED])
SHORT_COUNT = ("S01", "P002", DAYS[PLANTED + 1])
DEAD = ("S01", "P003")  # never sells in this store, receipts keep coming
PAIR = ("P000", "P002")  # always in the same basket
WEEKS = ["2026-04-06", "2026-04-13"]  # the last two complete weeks (cutoffs 04-12, 04-19 = DAYS[-1])


def planted_events(dims) -> dict[str, pd.DataFrame]:
    raw = chain.events(dims["stores"], dims["products"], len(DAYS), seed=5)
    sales = raw["raw_sales"]
    sales = sales[~((sales.store_id == DEAD[0]) & (sales.sku == DEAD[1]))]
    store, sku, day = SPIKE
    spike = dict(
        event_id="spike",
        kind="sale",
        basket_id="b-spike",
        store_id=store,
        terminal_id="T1",
        sku=sku,
        quantity=40,
        unit_price=3.0,
        discount=0.0,
        ts=datetime.fromisoformat(day) + timedelta(hours=11),
    )
    paired = [
        dict(
            event_id=f"pair-{d}-{n}-{k}",
            kind="sale",
            basket_id=f"pb-{d}-{n}",
            store_id="S00",
            terminal_id="T2",
            sku=k,
            quantity=1,
            unit_price=2.0,
            discount=0.0,
            ts=datetime.fromisoformat(d) + timedelta(hours=12, minutes=n),
        )
        for d in DAYS[-56:]
        for n in range(3)
        for k in PAIR
    ]
    raw["raw_sales"] = pd.concat([sales, pd.DataFrame([spike, *paired])], ignore_index=True)
    store, sku, day = SHORT_COUNT
    at = datetime.fromisoformat(day)
    moves = [
        dict(
            event_id="big-receipt",
            store_id=store,
            sku=sku,
            supplier_id="SUP1",
            po_id="po-x",
            quantity=60,
            unit_cost=1.0,
            ts=at + timedelta(hours=7, minutes=30),
        )
    ]
    count = [
        dict(
            event_id="short-count",
            kind="count",
            store_id=store,
            sku=sku,
            quantity=2,
            reason="cycle_count",
            ts=at + timedelta(hours=19, minutes=59),
        )
    ]
    raw["raw_receipts"] = pd.concat([raw["raw_receipts"], pd.DataFrame(moves)], ignore_index=True)
    raw["raw_inventory_updates"] = pd.concat(
        [raw["raw_inventory_updates"], pd.DataFrame(count)], ignore_index=True
    )
    return raw


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    """Settings of a lake holding the planted chain and its 105-day inventory_snapshot."""
    settings = isolated_settings(tmp_path_factory.mktemp("insights") / "home")
    dims = chain.dimensions(2, 4)
    chain.write_lake(settings, dims, planted_events(dims))
    migrate(Warehouse(settings))
    build(settings, "inventory_snapshot", DAYS)
    return settings


def build(settings, asset: str, partitions: list[str]):
    from assets.run import run_job

    return run_job(JobContext.in_place(GRAPH, asset, tuple(partitions), settings, "test"))


def gate(settings, asset: str, partitions: list[str]):
    return validate(JobContext.in_place(GRAPH, asset, tuple(partitions), settings, "test"))


def load(settings, asset: str, partitions: list[str]) -> pd.DataFrame:
    """Load the partitions into the asset's warehouse table and read the table back."""
    from infra.warehouse_load import load_asset

    spec = GRAPH[asset]
    load_asset(JobContext.in_place(GRAPH, spec, tuple(partitions), settings, "test"))
    return Warehouse(settings).query_df(f"SELECT * FROM {spec.warehouse.table} ORDER BY date, store_key")


def read(settings, asset: str) -> pd.DataFrame:
    frame = read_asset(settings, GRAPH[asset].storage.path)
    frame["date"] = frame["date"].astype(str)
    return frame


def test_a_spike_and_a_short_count_are_flagged_with_their_reason_and_normal_days_are_not(lake):
    wanted = DAYS[PLANTED - 1 : PLANTED + 3]
    result = build(lake, "sales_anomalies", wanted)
    assert result.rows_by_partition == {d: 8 for d in wanted}
    scores = read(lake, "sales_anomalies").set_index(["store_id", "sku", "date"])
    spike, short = scores.loc[SPIKE], scores.loc[SHORT_COUNT]
    assert spike.is_anomaly and spike.reason == "sales_spike" and spike.sales_z > 4, spike.to_dict()
    assert short.is_anomaly and short.reason == "count_shortfall" and short.count_variance < -50, (
        short.to_dict()
    )
    assert not scores.loc[(*SPIKE[:2], DAYS[PLANTED - 1])].is_anomaly, "the day before the spike is ordinary"
    flagged = scores[scores.is_anomaly]
    assert set(flagged.index) <= {SPIKE, SHORT_COUNT, ("S00", "P001", DAYS[PLANTED + 1])}, flagged[
        ["reason", "score"]
    ]
    assert gate(lake, "sales_anomalies", wanted).passed
    table = load(lake, "sales_anomalies", wanted)
    assert len(table) == len(flagged) and "sales_spike" in set(table.reason), "only flagged rows are loaded"


def test_slow_movers_flag_the_product_that_never_sells_and_report_a_time_split(lake):
    result = build(lake, "slow_movers", WEEKS)
    assert result.rows_by_partition == {w: 8 for w in WEEKS}
    newest = read(lake, "slow_movers").query("date == @WEEKS[-1]").set_index(["store_id", "sku"])
    assert list(newest.columns[:3]) == ["cutoff", "on_hand", "mean_daily_units_28"]
    assert (newest.method == "random_forest").all() and newest.at_risk_probability.between(0, 1).all()
    dead = newest.loc[DEAD]
    assert dead.at_risk and dead.at_risk_probability > 0.5 and dead.on_hand > 20, dead.to_dict()
    assert newest.at_risk.sum() <= 2, newest[["at_risk", "at_risk_probability", "days_of_cover"]]
    metrics = result.details["metrics"][WEEKS[-1]]
    assert metrics["model_recall"] == 1.0 and metrics["test_rows"] == 4 * 8, metrics
    assert newest.model_recall.iloc[0] == metrics["model_recall"], "the figures travel with the rows"
    assert gate(lake, "slow_movers", WEEKS).passed
    table = load(lake, "slow_movers", WEEKS)
    assert len(table) == 16 and table.at_risk.sum() == read(lake, "slow_movers").at_risk.sum()


def test_cross_sell_ranks_the_always_paired_product_first_chain_wide_and_in_its_store(lake, monkeypatch):
    from spark.jobs import insights

    monkeypatch.setattr(insights, "TRAIN_NEWEST_WEEKS", 1)  # one ALS week, one co-occurrence backfill week
    result = build(lake, "cross_sell", WEEKS)
    table = read(lake, "cross_sell")
    for week, method in zip(WEEKS, ["co_occurrence", "als"], strict=True):
        rows = table[table.date == week]
        assert set(rows.method) == {method}
        scopes = ("ALL", "S00") if method == "als" else ("ALL",)  # a backfilled week is chain-wide only
        assert set(rows.store_id) == set(scopes) | ({"S01"} if method == "als" else set()), week
        for scope in scopes:  # the pair is only ever bought in S00
            first = rows[(rows["rank"] == 1) & (rows.store_id == scope)].set_index("sku")["related_sku"]
            assert first[PAIR[0]] == PAIR[1] and first[PAIR[1]] == PAIR[0], (week, scope, first.to_dict())
    newest = table[table.date == WEEKS[-1]]
    assert set(newest.store_id) == {"ALL", "S00", "S01"}
    s01 = newest[newest.store_id == "S01"]
    assert DEAD[1] not in set(s01.sku) | set(s01.related_sku), "a store's list holds only what it sells"
    chain_wide = newest[newest.store_id == "ALL"].iloc[0]
    assert chain_wide.eval_baskets == 21 and chain_wide.recall_at_10_als == 1.0, chain_wide.to_dict()
    metrics = result.details["metrics"][WEEKS[-1]]
    assert metrics["method"] == "als" and metrics["stores"]["S00"]["eval_baskets"] == 21, metrics
    assert metrics["stores"]["S00"]["recall_at_10_als"] == 1.0, metrics
    assert metrics["stores"]["S01"]["recall_at_10_als"] is None, "no S01 basket holds two products"
    assert gate(lake, "cross_sell", WEEKS).passed
    loaded = load(lake, "cross_sell", WEEKS)
    assert len(loaded) == len(table) and set(loaded.store_key) == {"ALL", "S00", "S01"}
    assert (
        loaded.query("store_key == 'S00' and rank == 1 and product_key == @PAIR[0]")
        .related_product_key.eq(PAIR[1])
        .all()
    )

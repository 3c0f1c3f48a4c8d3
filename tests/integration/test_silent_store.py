"""A store whose till feed goes missing for a day, end to end on a small simulated chain.

The truth is known by construction: one store's sales events of one day are removed from the chain (its
receipts and counts still arrive), and the whole chain's sales of another day (a closure, like Christmas Day
in the simulator's calendar). The snapshot must flag exactly that store x day, the gate must name the store
in dq_results without blocking, and the day must reach neither the features as demand nor the training rows.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from assets.definitions import load_graph
from expectations.gate import validate
from infra.warehouse import Warehouse, migrate
from spark.context import JobContext

from . import chain
from .test_curated_jobs import build, read_asset

pytestmark = pytest.mark.spark
GRAPH = load_graph()
DAYS = [(chain.START + timedelta(days=i)).isoformat() for i in range(36)]
SILENT_STORE, SILENT_DAY, CLOSED_DAY = "S01", DAYS[30], DAYS[20]


def chain_with_a_silent_store(settings) -> None:
    dims = chain.dimensions(3, 3)
    raw = chain.events(dims["stores"], dims["products"], len(DAYS))
    sales = raw["raw_sales"]
    day = pd.to_datetime(sales["ts"]).dt.date.astype(str)
    raw["raw_sales"] = sales[~((sales.store_id == SILENT_STORE) & (day == SILENT_DAY)) & (day != CLOSED_DAY)]
    chain.write_lake(settings, dims, raw)


def test_a_silent_store_day_is_flagged_named_by_the_gate_and_kept_out_of_training(spark, settings):
    chain_with_a_silent_store(settings)
    migrate(Warehouse(settings))
    build(settings, "inventory_snapshot", DAYS[:28])
    build(settings, "inventory_snapshot", DAYS[28:])  # the silent day's weekday history is stored, not built

    snapshot = read_asset(settings, "curated/inventory_snapshot")
    flagged = snapshot[snapshot.store_silent]
    assert sorted(set(zip(flagged.store_id, flagged.date, strict=True))) == [(SILENT_STORE, SILENT_DAY)]
    assert len(flagged) == 3 and (flagged.sold == 0).all(), (
        "every SKU of the store, zero-filled by the ledger"
    )

    gate = validate(JobContext.in_place(GRAPH, "inventory_snapshot", (SILENT_DAY, DAYS[31]), settings, "t"))
    assert gate.passed, gate.blocking
    assert [w["partition"] for w in gate.warnings] == [SILENT_DAY]
    dq = Warehouse(settings).query_df(
        "SELECT partition, success, unexpected_count, observed_value FROM dq_results "
        "WHERE expectation = 'expect_column_values_to_be_null(silent_store)' ORDER BY partition"
    )
    assert dq[["partition", "success", "unexpected_count"]].values.tolist() == [
        [SILENT_DAY, False, 1],
        [DAYS[31], True, 0],
    ]
    assert SILENT_STORE in dq.observed_value.iloc[0]

    build(settings, "daily_features", DAYS[28:])
    features = read_asset(settings, "curated/daily_features")
    on_the_day = features[features.date == SILENT_DAY].set_index("store_id")
    assert on_the_day.loc[SILENT_STORE, "stock_out"].all(), "the silent day is a censored target"
    assert not on_the_day.drop(index=SILENT_STORE)["stock_out"].all()

    from spark.jobs.forecasting import training_history
    from spark.ml.horizon import HorizonSpec, training_rows

    ctx = JobContext.in_place(GRAPH, "daily_features", tuple(DAYS[28:]), settings, "t")
    spec = HorizonSpec(origin_sample=1.0, min_history_days=1)
    rows = training_rows(training_history(ctx, DAYS[28], DAYS[-1]), spec).toPandas()
    targets = set(zip(rows.store_id, rows.target_date.astype(str), strict=True))
    assert (SILENT_STORE, SILENT_DAY) not in targets
    assert ("S00", SILENT_DAY) in targets, "the other stores' same day is still learned from"

"""Every suite: a good partition passes; each blocking expectation, broken on purpose, fails the gate.

A tiny chain in a tmp lake (2 stores x 3 SKUs) at the paths the real asset declarations name.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest

from assets.definitions import all_specs, load_graph
from expectations.result import SUITES_DIR
from expectations.suites import label, load_suite
from infra.lake import lake_path
from infra.warehouse import Warehouse, migrate
from spark.context import JobContext
from tests.unit.expectations.insight_cases import (
    INSIGHT_BREAKERS,
    INSIGHT_GOOD,
    duplicate_first,
    set_cell,
)

DAY = "2026-03-10"  # a Tuesday
WEEK = "2026-03-09"  # its Monday: the demand_model partition
STORES = ["S1", "S2"]
CASE_PACKS = {"A": 6, "B": 12, "C": 1}
PAIRS = [(s, k) for s in STORES for k in CASE_PACKS]


def raw_sales(day: str = DAY) -> pd.DataFrame:
    n = len(PAIRS)
    return pd.DataFrame({
        "event_id": [f"{day}-e{i}" for i in range(n)], "kind": ["sale"] * (n - 1) + ["return"],
        "basket_id": "b1", "store_id": [s for s, _ in PAIRS], "terminal_id": "t1",
        "sku": [k for _, k in PAIRS],
        "quantity": [1, 2, 3, 1, 2, 1], "unit_price": 2.5, "discount": 0.0,
        "ts": pd.to_datetime([f"{day} {9 + i}:15" for i in range(n)]), "kafka_partition": 0,
        "kafka_offset": range(n),
    })


def inventory_snapshot(sold: int = 2) -> pd.DataFrame:
    frame = pd.DataFrame({"store_id": [s for s, _ in PAIRS], "sku": [k for _, k in PAIRS]})
    frame = frame.assign(opening_on_hand=10, sold=sold, returned=1, received=0, adjusted=-1, count_variance=0)
    return frame.assign(closing_on_hand=10 - sold + 1 - 1, discrepancy=False, discrepancy_units=0,
                        stock_out=False, stock_out_hours=0.0, days_of_cover=4.0, value_at_cost=8.0,
                        store_silent=False)


def daily_features(lag_1: float = 3.0) -> pd.DataFrame:
    frame = pd.DataFrame({"store_id": [s for s, _ in PAIRS], "sku": [k for _, k in PAIRS]})
    return frame.assign(units_sold=2.0, stock_out=False, lag_1=lag_1, mean_7=2.0, price=2.5, promo=False,
                        day_of_week=2, is_holiday=False)


REFERENCE = {  # the reference dimensions, as small as the checks here need
    "stores": lambda: pd.DataFrame({"store_id": STORES, "name": ["North", "South"]}),
    "products": lambda: pd.DataFrame({"sku": list(CASE_PACKS), "case_pack": list(CASE_PACKS.values())}),
    "suppliers": lambda: pd.DataFrame({"supplier_id": ["SUP1"], "lead_time_days": [2.0]}),
}


def reorder_predictions() -> pd.DataFrame:
    frame = pd.DataFrame({"store_id": [s for s, _ in PAIRS], "sku": [k for _, k in PAIRS]})
    return frame.assign(forecast_7d=14.0, safety_stock=3.0, reorder_point=8.0, order_up_to=20.0,
                        recommended_order_qty=[2 * CASE_PACKS[k] for _, k in PAIRS],
                        stock_out_probability=0.1, urgency="low", lead_time_days=2.0,
                        case_pack=[CASE_PACKS[k] for _, k in PAIRS])


def raw_purchase_orders() -> pd.DataFrame:
    n = len(PAIRS)
    placed = pd.to_datetime([f"{DAY} 21:{10 + i}" for i in range(n)])
    return pd.DataFrame({
        "event_id": [f"{DAY}-po{i}" for i in range(n)], "kind": ["placed"] * (n - 1) + ["cancelled"],
        "po_id": [f"PO-{i}" for i in range(n)], "store_id": [s for s, _ in PAIRS],
        "sku": [k for _, k in PAIRS], "supplier_id": "SUP1", "quantity": [12, 24, 6, 12, 24, 6],
        "expected_arrival": placed + pd.Timedelta(days=2), "ts": placed, "kafka_partition": 0,
        "kafka_offset": range(n),
    })


def open_orders() -> pd.DataFrame:
    frame = pd.DataFrame({"store_id": [s for s, _ in PAIRS], "sku": [k for _, k in PAIRS]})
    return frame.assign(on_order=[0, 12, 24, 0, 6, 12], open_lines=[0, 1, 2, 0, 1, 1],
                        next_due_date=pd.to_datetime([None, "2026-03-12", "2026-03-11", None, "2026-03-12",
                                                      "2026-03-13"]).date,
                        overdue_units=0)


def model_registry() -> dict:
    """The registry documents of a trained and promoted week (paths relative to models/demand)."""
    week = {"week": WEEK, "status": "trained", "version": "v2", "promoted": True, "champion": "v2",
            "wape": 0.30, "snaive_wape": 0.40}
    backtest = {"forecast": {"wape": 0.30, "rmse": 1.1}, "snaive": {"wape": 0.40, "rmse": 1.4}}
    metadata = {"version": "v2", "backtest": backtest, "interval_coverage_90": 0.9}
    return {f"weeks/{WEEK}.json": week, "v2/metadata.json": metadata}


class Lake:
    """Writes partitions where the real asset declarations say they live, and runs an asset's gate."""

    def __init__(self, settings):
        self.settings, self.graph = settings, load_graph()
        self.root = Path(lake_path(settings))

    def write(self, asset: str, frame: pd.DataFrame, day: str = DAY) -> None:
        folder = self.root / self.graph[asset].storage.path
        folder = folder if self.graph[asset].partitioning == "none" else folder / f"date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(folder / "part-0.parquet", index=False)

    def write_registry(self, documents: dict) -> None:
        for relative, document in documents.items():
            path = self.root / self.graph["demand_model"].storage.path / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(document))

    def gate(self, asset: str, key: str = DAY, run_id: str = "unit-run"):
        from expectations.gate import validate

        return validate(JobContext.in_place(self.graph, asset, (key,), self.settings, run_id))


@pytest.fixture
def lake(settings) -> Lake:
    migrate(Warehouse(settings))
    made = Lake(settings)
    for name, frame in REFERENCE.items():
        made.write(name, frame())
    return made


PREVIOUS_DAY = "2026-03-09"


def edit_document(name, edit):
    def change(documents):
        documents = copy.deepcopy(documents)
        edit(documents[name])
        return documents
    return change


def without(name):
    return lambda documents: {k: v for k, v in documents.items() if k != name}


METADATA = "v2/metadata.json"


GOOD = {
    "raw_sales": raw_sales, "inventory_snapshot": inventory_snapshot, "daily_features": daily_features,
    "reorder_predictions": reorder_predictions, "demand_model": model_registry, **INSIGHT_GOOD,
    "raw_purchase_orders": raw_purchase_orders, "open_orders": open_orders, **REFERENCE,
}

# asset -> {blocking expectation: how to break a good partition so that exactly it must fail}
BREAKERS = {
    "raw_sales": {
        "expect_column_values_to_be_unique(event_id)": set_cell("event_id", f"{DAY}-e1"),
        "expect_column_values_to_not_be_null(event_id)": set_cell("event_id", None),
        "expect_column_values_to_be_in_set(kind)": set_cell("kind", "void"),
        "expect_column_values_to_be_between(quantity)": set_cell("quantity", 0),
        "expect_column_values_to_be_between(unit_price)": set_cell("unit_price", 0.0),
        "expect_column_values_to_be_between(ts_hours_into_day)": set_cell("ts", pd.Timestamp("2026-03-12")),
        "expect_column_values_to_be_in_set(store_known)": set_cell("store_id", "S9"),
        "expect_column_values_to_be_in_set(sku_known)": set_cell("sku", "Z99"),
    },
    "inventory_snapshot": {
        "expect_column_values_to_be_between(ledger_gap)": set_cell("closing_on_hand", 9),
        "expect_column_values_to_be_in_set(closing_ok)": lambda f: f.assign(
            closing_on_hand=-1, adjusted=-10),
        "expect_compound_columns_to_be_unique(store_id, sku)": duplicate_first,
        "expect_table_row_count_to_equal": lambda f: f.iloc[1:],
        "expect_column_values_to_be_in_set(store_known)": set_cell("store_id", "S9"),
        "expect_column_values_to_be_in_set(sku_known)": set_cell("sku", "Z99"),
        "expect_column_values_to_be_between(sold)": lambda f: f.assign(sold=-1, closing_on_hand=11),
    },
    "daily_features": {
        "expect_column_values_to_not_be_null(units_sold)": set_cell("units_sold", None),
        "expect_column_values_to_not_be_null(stock_out)": set_cell("stock_out", None),
        "expect_column_values_to_not_be_null(price)": set_cell("price", None),
        "expect_column_values_to_not_be_null(day_of_week)": set_cell("day_of_week", None),
        "expect_column_values_to_be_between(lag_1_leak)": set_cell("lag_1", 2.0),  # day D's own units
        "expect_compound_columns_to_be_unique(store_id, sku)": duplicate_first,
        "expect_table_row_count_to_equal": lambda f: f.iloc[1:],
    },
    "reorder_predictions": {
        "expect_column_values_to_be_between(recommended_order_qty)": set_cell("recommended_order_qty", -6),
        "expect_column_values_to_not_be_null(recommended_order_qty)": set_cell("recommended_order_qty", None),
        "expect_column_values_to_be_between(case_pack_remainder)": set_cell("recommended_order_qty", 13),
        "expect_column_values_to_be_in_set(point_above_safety)": set_cell("reorder_point", 1.0),
        "expect_column_values_to_be_between(safety_stock)": lambda f: f.assign(safety_stock=-1.0),
        "expect_compound_columns_to_be_unique(store_id, sku)": duplicate_first,
        "expect_table_row_count_to_equal": lambda f: f.iloc[1:],
        "expect_column_values_to_not_be_null(lead_time_days)": set_cell("lead_time_days", None),
        "expect_column_values_to_not_be_null(case_pack)": set_cell("case_pack", None),
    },
    "raw_purchase_orders": {
        "expect_column_values_to_be_unique(event_id)": set_cell("event_id", f"{DAY}-po1"),
        "expect_column_values_to_not_be_null(po_id)": set_cell("po_id", None),
        "expect_column_values_to_be_in_set(kind)": set_cell("kind", "amended"),
        "expect_column_values_to_be_between(quantity)": set_cell("quantity", 0),
        "expect_column_values_to_be_in_set(promise_not_before_order)": set_cell(
            "expected_arrival", pd.Timestamp(f"{DAY} 08:00")),
        "expect_column_values_to_be_between(ts_hours_into_day)": set_cell("ts", pd.Timestamp("2026-03-12")),
        "expect_column_values_to_be_in_set(store_known)": set_cell("store_id", "S9"),
        "expect_column_values_to_be_in_set(sku_known)": set_cell("sku", "Z99"),
        "expect_column_values_to_be_in_set(supplier_known)": set_cell("supplier_id", "SUP9"),
    },
    "open_orders": {
        "expect_compound_columns_to_be_unique(store_id, sku)": duplicate_first,
        "expect_table_row_count_to_equal": lambda f: f.iloc[1:],
        "expect_column_values_to_be_between(on_order)": lambda f: f.assign(on_order=-6),
        "expect_column_values_to_be_in_set(lines_match_units)": set_cell("open_lines", 1),
        "expect_column_values_to_be_in_set(overdue_within_on_order)": set_cell("overdue_units", 30, row=1),
    },
    "demand_model": {
        "expect_column_values_to_not_be_null(week_status)": without(f"weeks/{WEEK}.json"),
        "expect_column_values_to_be_in_set(week_status)": edit_document(
            f"weeks/{WEEK}.json", lambda w: w.update(status="running")),
        "expect_column_values_to_not_be_null(champion_wape)": without(METADATA),
        "expect_column_values_to_not_be_null(champion_baseline_wape)": edit_document(
            METADATA, lambda m: m["backtest"].pop("snaive")),
        "expect_column_pair_values_a_to_be_greater_than_b(champion_baseline_wape, champion_wape)":
            edit_document(METADATA, lambda m: m["backtest"]["forecast"].update(wape=0.55)),
    },
    **INSIGHT_BREAKERS,
    "stores": {
        "expect_column_values_to_not_be_null(store_id)": set_cell("store_id", None),
        "expect_column_values_to_be_unique(store_id)": duplicate_first,
    },
    "products": {
        "expect_column_values_to_not_be_null(sku)": set_cell("sku", None),
        "expect_column_values_to_be_unique(sku)": duplicate_first,
        "expect_column_values_to_be_between(case_pack)": set_cell("case_pack", 0),
    },
    "suppliers": {
        "expect_column_values_to_not_be_null(supplier_id)": set_cell("supplier_id", None),
        "expect_column_values_to_be_unique(supplier_id)": duplicate_first,
        "expect_column_values_to_be_between(lead_time_days)": set_cell("lead_time_days", -1.0),
    },
}


def materialize(lake, asset, change=lambda x: x):
    """Write the asset's good partition (and what its checks read), passed through `change`."""
    if asset == "demand_model":
        lake.write_registry(change(model_registry()))
        return WEEK
    if asset == "daily_features":
        lake.write("inventory_snapshot", inventory_snapshot(sold=3), PREVIOUS_DAY)
    lake.write(asset, change(GOOD[asset]()))
    return "" if lake.graph[asset].partitioning == "none" else DAY


@pytest.mark.parametrize("asset", sorted(GOOD))
def test_a_good_partition_passes_and_every_result_lands_in_dq_results(lake, asset):
    key = materialize(lake, asset)
    result = lake.gate(asset, key)
    assert result.passed, result.blocking
    assert result.blocking == [] and result.evaluated == len(load_suite(asset)["expectations"])
    rows = Warehouse(lake.settings).query_df(f"SELECT * FROM dq_results WHERE asset = '{asset}'")
    assert len(rows) == result.evaluated and set(rows["partition"]) == {key}
    assert set(rows["severity"]) <= {"block", "warn"} and set(rows["run_id"]) == {"unit-run"}


CASES = [(asset, name) for asset, breakers in sorted(BREAKERS.items()) for name in breakers]


@pytest.mark.parametrize(("asset", "expectation"), CASES, ids=[f"{a}:{e}" for a, e in CASES])
def test_each_blocking_expectation_fails_the_gate_when_broken(lake, asset, expectation):
    key = materialize(lake, asset, BREAKERS[asset][expectation])
    result = lake.gate(asset, key)
    assert not result.passed
    failed = {b["expectation"]: b for b in result.blocking}
    assert expectation in failed, f"{expectation} not among {sorted(failed)}"
    assert failed[expectation]["why"] and failed[expectation]["partition"] == key
    assert result.report and result.report.endswith(".html")
    stored = Warehouse(lake.settings).query_df(
        f"SELECT success FROM dq_results WHERE asset = '{asset}' AND expectation = '{expectation}'")
    assert list(stored["success"]) == [False]


def test_failing_rows_are_sampled_with_their_keys(lake):
    materialize(lake, "raw_sales", set_cell("store_id", "S9", row=3))
    failed = {b["expectation"]: b for b in lake.gate("raw_sales").blocking}
    sample = failed["expect_column_values_to_be_in_set(store_known)"]["sample_rows"]
    assert sample == [{"event_id": f"{DAY}-e3", "store_id": "S9", "sku": "A", "store_known": False}]


def test_a_quiet_day_against_its_weekday_history_warns_but_does_not_block(lake):
    for weeks_back in (1, 2, 3, 4):
        day = (pd.Timestamp(DAY) - pd.Timedelta(weeks=weeks_back)).date().isoformat()
        busy = pd.concat([raw_sales(day)] * 4, ignore_index=True)
        lake.write("raw_sales", busy.assign(event_id=[f"{day}-{i}" for i in range(len(busy))]), day)
    lake.write("raw_sales", raw_sales())
    result = lake.gate("raw_sales")
    assert result.passed
    assert [w["expectation"] for w in result.warnings] == ["expect_table_row_count_to_be_between"]
    assert json.loads(result.warnings[0]["observed"]) == 6


def test_a_silent_store_warns_once_naming_the_store_and_does_not_block(lake):
    snapshot = inventory_snapshot()
    lake.write("inventory_snapshot", snapshot.assign(store_silent=snapshot.store_id == STORES[1]))
    result = lake.gate("inventory_snapshot")
    assert result.passed, result.blocking
    [warning] = result.warnings
    assert warning["expectation"] == "expect_column_values_to_be_null(silent_store)"
    assert warning["unexpected_count"] == 1 and STORES[1] in warning["observed"]
    assert STORES[0] not in warning["observed"]


def test_a_candidate_losing_to_the_baseline_only_warns_while_the_old_champion_serves(lake):
    documents = model_registry()
    documents[f"weeks/{WEEK}.json"].update(version="v3", promoted=False, wape=0.5)
    lake.write_registry(documents)
    result = lake.gate("demand_model", WEEK)
    assert result.passed
    assert [w["column"] for w in result.warnings] == ["candidate_baseline_wape, candidate_wape"]


def test_a_champion_that_loses_to_the_28_day_mean_blocks_even_when_it_beats_seasonal_naive(lake):
    documents = model_registry()
    documents["v2/metadata.json"]["best_baseline"] = {"name": "ma28", "wape": 0.25}
    documents[f"weeks/{WEEK}.json"]["baseline"] = {"name": "ma28", "wape": 0.25}
    lake.write_registry(documents)
    result = lake.gate("demand_model", WEEK)
    assert not result.passed
    assert [f["column"] for f in result.blocking] == ["champion_baseline_wape, champion_wape"]


def test_a_skipped_week_without_any_model_yet_only_warns(lake):
    lake.write_registry({f"weeks/{WEEK}.json": {"week": WEEK, "status": "skipped", "champion": None,
                                                "reason": "only 20 days of features (< 56)"}})
    result = lake.gate("demand_model", WEEK)
    assert result.passed and [w["column"] for w in result.warnings] == ["champion"]


def test_every_blocking_expectation_has_a_breaking_case_and_every_line_says_why():
    for path in sorted(SUITES_DIR.glob("*.json")):
        suite = load_suite(path.stem)  # raises when severity or why is missing
        blocking = {label(e) for e in suite["expectations"] if e["meta"]["severity"] == "block"}
        assert blocking == set(BREAKERS[path.stem]), path.name


def test_every_declared_gate_has_its_suite_and_a_missing_one_fails_closed(lake, monkeypatch, tmp_path):
    from expectations import gate

    declared = {spec.gate.suite for spec in all_specs() if spec.gate is not None}
    assert declared <= {path.stem for path in SUITES_DIR.glob("*.json")}
    materialize(lake, "raw_sales")
    monkeypatch.setattr(gate, "SUITES_DIR", tmp_path)  # as if the suite file were renamed
    result = lake.gate("raw_sales")
    assert not result.passed and result.failed_partitions == [DAY]
    assert "raw_sales.json is missing" in result.blocking[0]["why"]

"""Good partitions and blocking breakers of the insight suites (sales_anomalies, slow_movers, cross_sell),
merged into test_suites.py's GOOD and BREAKERS: 2 stores x SKUs A, B, C as in that module."""

from __future__ import annotations

import pandas as pd

STORES, SKUS = ["S1", "S2"], ["A", "B", "C"]
PAIRS = [(s, k) for s in STORES for k in SKUS]


def sales_anomalies() -> pd.DataFrame:
    frame = pd.DataFrame({"store_id": [s for s, _ in PAIRS], "sku": [k for _, k in PAIRS]})
    return frame.assign(
        units_sold=[3.0, 2.0, 40.0, 1.0, 2.0, 3.0],
        expected_units=3.0,
        spread=1.7,
        history_days=28,
        stock_out=False,
        sales_z=[0.0, -0.6, 21.8, -1.2, -0.6, 0.0],
        count_variance=0,
        discrepancy_units=0,
        inventory_z=0.0,
        score=[0.0, 0.6, 21.8, 1.2, 0.6, 0.0],
        reason=["none", "none", "sales_spike", "none", "none", "none"],
        is_anomaly=[False, False, True, False, False, False],
    )


def slow_movers() -> pd.DataFrame:
    frame = pd.DataFrame({"store_id": [s for s, _ in PAIRS], "sku": [k for _, k in PAIRS]})
    return frame.assign(
        cutoff=pd.Timestamp("2026-03-15"),
        on_hand=[4.0, 6.0, 80.0, 5.0, 3.0, 7.0],
        mean_daily_units_28=[2.0, 1.5, 0.0, 2.5, 1.0, 2.0],
        days_since_last_sale=1.0,
        days_of_cover=[2.0, 4.0, 999.0, 2.0, 3.0, 3.5],
        shelf_life_days=30.0,
        stock_out_days_28=0.0,
        at_risk_probability=[0.05, 0.1, 0.9, 0.02, 0.1, 0.05],
        at_risk=[False, False, True, False, False, False],
        method="random_forest",
        model_precision=0.8,
        model_recall=0.75,
        rule_precision=0.6,
        rule_recall=0.7,
        test_rows=24,
    )


def cross_sell() -> pd.DataFrame:
    """The chain-wide list (store_id ALL) and store S1's, which differs."""
    related = {
        "ALL": {"A": ["B", "C"], "B": ["A", "C"], "C": ["A", "B"]},
        "S1": {"A": ["C", "B"], "B": ["C", "A"], "C": ["B", "A"]},
    }
    rows = [
        (store, k, r, i + 1)
        for store, lists in related.items()
        for k, others in lists.items()
        for i, r in enumerate(others)
    ]
    frame = pd.DataFrame(rows, columns=["store_id", "sku", "related_sku", "rank"]).astype({"rank": "int32"})
    return frame.assign(
        affinity=0.5,
        baskets_together=3,
        method="als",
        recall_at_10_als=0.4,
        recall_at_10_popularity=0.3,
        recall_at_10_co_occurrence=0.35,
        eval_baskets=50,
    )


def set_cell(column, value, row=0):
    """A breaker: one cell set to `value` (None makes the column nullable first)."""
    def change(frame):
        frame = frame.copy()
        frame[column] = frame[column].astype(object) if value is None else frame[column]
        frame.loc[row, column] = value
        return frame

    return change


def duplicate_first(frame):
    """A breaker: the first row twice."""
    return pd.concat([frame, frame.iloc[:1]], ignore_index=True)


INSIGHT_GOOD = {"sales_anomalies": sales_anomalies, "slow_movers": slow_movers, "cross_sell": cross_sell}
INSIGHT_BREAKERS = {
    "sales_anomalies": {
        "expect_column_values_to_be_in_set(reason)": set_cell("reason", "weird"),
        "expect_column_values_to_be_in_set(reason_matches_flag)": set_cell("is_anomaly", True, row=1),
        "expect_column_values_to_be_between(score)": set_cell("score", -1.0),
        "expect_column_values_to_not_be_null(score)": set_cell("score", None),
        "expect_compound_columns_to_be_unique(store_id, sku)": duplicate_first,
        "expect_table_row_count_to_equal": lambda f: f.iloc[1:],
    },
    "slow_movers": {
        "expect_column_values_to_not_be_null(at_risk)": set_cell("at_risk", None),
        "expect_column_values_to_be_between(at_risk_probability)": set_cell("at_risk_probability", 1.5),
        "expect_column_values_to_be_in_set(method)": set_cell("method", "guess"),
        "expect_compound_columns_to_be_unique(store_id, sku)": duplicate_first,
        "expect_table_row_count_to_equal": lambda f: f.iloc[1:],
    },
    "cross_sell": {
        "expect_column_values_to_be_in_set(related_to_itself)": set_cell("related_sku", "A"),
        "expect_column_values_to_be_in_set(related_known)": set_cell("related_sku", "Z99"),
        "expect_compound_columns_to_be_unique(store_id, sku, related_sku)": duplicate_first,
        "expect_column_values_to_be_between(rank)": set_cell("rank", 11),
        "expect_column_distinct_values_to_contain_set(store_id)": lambda f: f[f.store_id != "ALL"],
        "expect_column_values_to_be_in_set(store_or_chain)": set_cell("store_id", "S9"),
        "expect_column_values_to_not_be_null(affinity)": set_cell("affinity", None),
    },
}

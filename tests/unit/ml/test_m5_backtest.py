"""M5 backtest scoring: fold rows lined up with the subset's series, weights from the 28 days before."""

import numpy as np
import pandas as pd
import pytest

from spark.ml import metrics
from spark.ml.m5 import M5Subset
from tests.bench.m5_backtest import group_trailing_mean, score_folds


def _subset(days=32):
    ids = pd.DataFrame({"item_id": ["a", "b"], "store_id": ["s1", "s1"], "dept_id": ["d", "d"]})
    rng = np.random.default_rng(1)
    units = rng.poisson(3.0, (2, days)).astype(float)
    prices = np.vstack([np.full(days, 2.0), np.full(days, 5.0)])
    return M5Subset(ids, units, pd.date_range("2016-01-01", periods=days), None, prices)


def test_fold_is_scored_like_a_submission():
    subset, origin = _subset(), 30  # forecast days 30 and 31 from history 0..29
    rows = [
        {"fold_origin": subset.days[origin].date(), "store_id": "s1", "sku": sku, "h": h,
         "label": subset.units[i, origin + h - 1], "forecast": 3.0, "snaive": subset.units[i, origin + h - 8]}
        for i, sku in enumerate(["a", "b"]) for h in (1, 2)
    ][::-1]  # fmt: skip
    levels = {1: (), 12: ("item_id", "store_id")}
    scores = score_folds(subset, pd.DataFrame(rows), methods=("forecast", "snaive"), levels=levels)
    expected, _ = metrics.wrmsse(
        subset.ids, subset.units[:, :origin], subset.units[:, origin:], np.full((2, 2), 3.0),
        subset.dollars(origin - 28, origin), {1: (), 12: ("item_id", "store_id")},
    )  # fmt: skip
    model = next(s for s in scores if s.method == "forecast")
    assert model.wrmsse == pytest.approx(expected)
    assert model.origin == "2016-01-31"


def test_a_missing_forecast_row_is_an_error():
    subset = _subset()
    rows = pd.DataFrame([{"fold_origin": subset.days[30].date(), "store_id": "s1", "sku": "a", "h": 1,
                          "label": 1.0, "forecast": 1.0, "snaive": 1.0}])  # fmt: skip
    with pytest.raises(ValueError, match="missing"):
        score_folds(subset, rows)


def test_group_mean_uses_only_earlier_days():
    ids = pd.DataFrame({"item_id": ["a", "a", "b"], "store_id": ["s1", "s2", "s1"]})
    units = np.array([[1, 2, 3, 4], [3, 2, 1, 0], [5, 5, 5, 9]], float)
    means = group_trailing_mean(M5Subset(ids, units, None, None, None), ("item_id",), days=2)
    # item a per store: 2, 2, 2, 2 -> day 0 has no past (0), later days average the two days before
    assert means.tolist() == [[0, 2, 2, 2], [0, 2, 2, 2], [0, 5, 5, 5]]


def test_final_window_truth_lines_up_with_items_and_sums_to_departments(tmp_path):
    from tests.bench.m5_backtest import EVAL_DAYS, EVAL_FILE, eval_truth

    truth = pd.DataFrame({"item_id": ["A_1_001", "A_1_002", "B_1_001"], "dept_id": ["A_1", "A_1", "B_1"],
                          "store_id": ["s1", "s1", "s1"]})  # fmt: skip
    values = np.arange(3 * len(EVAL_DAYS), dtype=float).reshape(3, -1)
    truth = pd.concat([truth, pd.DataFrame(values, columns=EVAL_DAYS)], axis=1)
    truth.to_csv(tmp_path / EVAL_FILE, index=False)
    items = pd.DataFrame({"item_id": ["B_1_001", "A_1_002"], "dept_id": ["B_1", "A_1"], "store_id": "s1"})
    got = eval_truth(tmp_path, M5Subset(items, None, None, None, None))
    assert got.tolist() == [values[2].tolist(), values[1].tolist()]
    depts = pd.DataFrame({"item_id": ["A_1", "B_1"], "dept_id": ["A_1", "B_1"], "store_id": "s1"})
    got = eval_truth(tmp_path, M5Subset(depts, None, None, None, None))
    assert got.tolist() == [(values[0] + values[1]).tolist(), values[2].tolist()]
    with pytest.raises(ValueError, match="lacks"):
        eval_truth(tmp_path, M5Subset(items.assign(store_id="s9"), None, None, None, None))

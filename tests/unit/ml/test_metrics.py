"""Forecast metrics against the M5 Competitors' Guide and hand-computed cases."""

import math

import numpy as np
import pandas as pd
import pytest

from spark.ml.metrics import bias, combine_levels, rmse, rmsse, rmsse_scale, wape, wrmsse


def test_guide_worked_example_gives_0_758():
    """Two items with $10 and $12, RMSSE 0.8 and 0.7, their total 0.77, K = 2 levels (Guide p. 7)."""
    score = combine_levels([([0.8, 0.7], [10, 12]), ([0.77], [22])])
    assert round(score, 3) == 0.758


def test_scale_starts_at_first_sale():
    # Leading zeros dropped: active part [1, 3, 2] -> diffs 2, -1 -> mean square 2.5
    assert rmsse_scale([0, 0, 1, 3, 2]) == pytest.approx(2.5)
    assert math.isnan(rmsse_scale([0, 0, 0]))


def test_rmsse_by_hand():
    # errors (2-3, 4-3) -> MSE 1; scale 2.5 -> sqrt(0.4)
    assert rmsse([0, 0, 1, 3, 2], [2, 4], [3, 3]) == pytest.approx(math.sqrt(0.4))


def test_wrmsse_tiny_two_level_case_by_hand():
    ids = pd.DataFrame({"item_id": ["a", "b"]})
    history = np.array([[0, 1, 3, 2], [2, 2, 4, 4]], float)  # scales: (4+1)/2 = 2.5 ; (0+4+0)/3 = 4/3
    actual = np.array([[2, 4], [4, 2]], float)
    forecast = np.array([[3, 3], [4, 4]], float)  # MSE 1 ; 2
    dollars = np.array([10.0, 30.0])
    total_hist = history.sum(0)  # [2, 3, 7, 6] -> diffs 1, 4, -1 -> 18/3 = 6
    total_mse = ((6 - 7) ** 2 + (6 - 7) ** 2) / 2  # 1
    item = 0.25 * math.sqrt(1 / 2.5) + 0.75 * math.sqrt(2 / (4 / 3))
    total = math.sqrt(total_mse / 6)
    assert rmsse_scale(total_hist) == pytest.approx(6)
    score, by_level = wrmsse(ids, history, actual, forecast, dollars, levels={1: (), 12: ("item_id",)})
    assert by_level[12] == pytest.approx(item)
    assert by_level[1] == pytest.approx(total)
    assert score == pytest.approx((item + total) / 2)


def test_perfect_forecast_scores_zero_and_naive_metrics():
    actual = np.array([3.0, 0.0, 5.0, 2.0])
    assert wape(actual, actual) == 0 and rmse(actual, actual) == 0 and bias(actual, actual) == 0
    assert wape(actual, actual + 1) == pytest.approx(4 / 10)
    assert bias(actual, actual * 1.5) == pytest.approx(0.5)
    assert rmse(actual, actual - 2) == pytest.approx(2)

"""Served 7-day intervals: relative to each series' level, and measured fold by fold on later folds only."""

import numpy as np
import pandas as pd
import pytest

from spark.ml import intervals


def _backtest(levels, folds=("2016-01-04", "2016-02-01", "2016-02-29"), seed=5, noise=0.3):
    """Daily backtest rows whose weekly errors are proportional to each series' level."""
    rng, rows = np.random.default_rng(seed), []
    for origin in folds:
        for i, level in enumerate(levels):
            actual = rng.poisson(max(level * (1 + noise * rng.standard_normal()), 0.0), 7)
            day = pd.Timestamp(origin).date()
            for h in range(1, 8):
                rows.append({"fold_origin": day, "store_id": "s1", "sku": f"k{i}", "h": h,
                             "label": float(actual[h - 1]), "forecast": float(level), "level": float(level),
                             "volume_class": int(level >= 8)})  # fmt: skip
    return pd.DataFrame(rows)


def test_bounds_scale_with_the_series_level():
    table = pd.DataFrame({"volume_class": [3], "q_low_rel": [-2.0], "q_high_rel": [3.0]})
    frame = pd.DataFrame({"predicted_demand": [70.0, 140.0], "level": [10.0, 20.0], "volume_class": [3, 3]})
    served = intervals.weekly_bounds(frame, table)
    assert served["confidence_low"].tolist() == [50.0, 100.0]
    assert served["confidence_high"].tolist() == [100.0, 200.0]


def test_a_table_of_absolute_quantiles_is_still_served_as_units():
    table = pd.DataFrame({"volume_class": [1], "q_low": [-5.0], "q_high": [8.0]})
    frame = pd.DataFrame({"predicted_demand": [3.0], "level": [0.5], "volume_class": [1]})
    served = intervals.weekly_bounds(frame, table)
    assert served[["confidence_low", "confidence_high"]].iloc[0].tolist() == [0.0, 11.0]


def test_weekly_table_is_the_quantile_of_the_relative_week_error():
    results = _backtest(np.linspace(10, 40, 200), folds=("2016-01-04",))
    table = intervals.weekly_table(results)
    totals = results.groupby("sku").agg(
        label=("label", "sum"), forecast=("forecast", "sum"), level=("level", "first")
    )
    relative = (totals["label"] - totals["forecast"]) / totals["level"]
    assert table.loc[0, "q_high_rel"] == pytest.approx(relative.quantile(0.95))
    assert table.loc[0, "q_low_rel"] == pytest.approx(relative.quantile(0.05))


def test_a_week_with_an_unscored_day_is_left_out():
    results = _backtest([5.0, 6.0], folds=("2016-01-04",))
    totals = intervals.weekly_totals(results[~((results["sku"] == "k0") & (results["h"] == 3))])
    assert totals["sku"].tolist() == ["k1"]


def test_coverage_uses_only_earlier_folds_and_is_near_nominal_when_errors_scale_with_level():
    results = _backtest(np.r_[np.linspace(1, 7, 300), np.linspace(8, 80, 300)])
    coverage = intervals.weekly_coverage(results)
    assert sorted(coverage["fold_origin"].astype(str).unique()) == ["2016-02-01", "2016-02-29"]
    assert coverage.groupby("fold_origin")["n"].sum().tolist() == [600, 600]
    assert coverage["coverage"].between(0.84, 0.96).all()


def test_safety_stock_over_a_week_is_the_empirical_upper_quantile_of_the_week_error():
    from spark.ml.reorder import ReorderPolicy, safety_stock

    table = pd.DataFrame({"volume_class": [2, 3], "q_low_rel": [-2.0, -3.0], "q_high_rel": [2.5, 4.0]})
    frame = pd.DataFrame({"predicted_demand": [30.0, 140.0], "level": [4.0, 20.0], "volume_class": [2, 3]})
    sigma = intervals.weekly_sigma(frame, table)
    z = ReorderPolicy(service_level=intervals.HIGH).z
    held = safety_stock(z, 7, frame["predicted_demand"] / 7, sigma, 0)
    assert held == pytest.approx([4.0 * 2.5, 20.0 * 4.0])

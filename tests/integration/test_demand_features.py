"""The demand model's origin features never read a stock-out day's zero as demand (pandas reference)."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from spark.ml.horizon import HorizonSpec, scoring_rows

pytestmark = pytest.mark.spark
FIRST = date(2026, 1, 5)


def _history(days=70, stock_outs=(40, 47, 55, 62, 68)):
    rng = np.random.default_rng(11)
    units = rng.poisson(np.resize([4, 5, 6, 5, 8, 14, 12], days)).astype(float)
    censored = np.isin(np.arange(days), stock_outs)
    units[censored] = 0.0  # an empty shelf sells nothing, whatever the demand
    dates = [FIRST + timedelta(days=d) for d in range(days)]
    return pd.DataFrame({"store_id": "s1", "sku": "k1", "date": dates, "units_sold": units,
                         "stock_out": censored, "price": 2.0})  # fmt: skip


def _reference(history: pd.DataFrame, origin: int, h: int) -> dict[str, float]:
    demand = history["units_sold"].where(~history["stock_out"])  # NaN on stock-out days
    before = demand.iloc[:origin]
    target = origin + h - 1
    same = [before.iloc[d] for d in range(target - 7, -1, -7) if d < origin][:4]
    known = [v for v in same if not np.isnan(v)]
    return {
        "mean_28": before.iloc[-28:].mean(),
        "lag_1": before.iloc[-1] if not np.isnan(before.iloc[-1]) else before.iloc[-7:].mean(),
        "same_weekday_1": known[0],
        "same_weekday_mean_4": np.mean(known),
        "zero_share_28": (before.iloc[-28:].dropna() == 0).mean(),
    }


def test_lags_and_trailing_means_leave_stock_out_days_out(spark):
    history = _history()
    frame = spark.createDataFrame(history)
    origin = 69  # day 68 (the day before) and day 62 (its weekday a week earlier) were stock-outs
    rows = scoring_rows(
        frame, HorizonSpec(horizon=14), [(FIRST + timedelta(days=origin)).isoformat()]
    ).toPandas()
    assert sorted(rows["h"]) == list(range(1, 15))
    for row in rows.itertuples():
        expected = _reference(history, origin, row.h)
        for column, value in expected.items():
            assert getattr(row, column) == pytest.approx(value), (row.h, column)


def test_a_window_starting_later_forecasts_only_its_days(spark):
    frame = spark.createDataFrame(_history())
    origin = FIRST + timedelta(days=60)
    rows = scoring_rows(frame, HorizonSpec(horizon=12, first_h=8), [origin.isoformat()]).toPandas()
    assert sorted(rows["h"]) == [8, 9, 10, 11, 12]
    assert (rows["target_date"] == [origin + timedelta(days=h - 1) for h in rows["h"]]).all()

"""The smoothing baseline of a backtest fold: days before the origin only, stock-outs skipped, new series."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from spark.ml import backtest, smoothing

ORIGIN = date(2026, 3, 2)


def _daily(days=70):
    rng = np.random.default_rng(2)
    rows = []
    for sku, scale in (("k1", 1.0), ("k2", 3.0)):
        units = rng.poisson(scale * np.resize([3, 4, 5, 4, 6, 10, 9], days)).astype(float)
        out = np.zeros(days, bool)
        out[50:53] = sku == "k2"
        units[out] = 0.0
        rows += [{"store_id": "s1", "sku": sku, "date": ORIGIN - timedelta(days=days - d), "units_sold": u,
                  "stock_out": o} for d, (u, o) in enumerate(zip(units, out, strict=True))]  # fmt: skip
    later = [{"store_id": "s1", "sku": "k1", "date": ORIGIN + timedelta(days=d), "units_sold": 500.0,
              "stock_out": False} for d in range(7)]  # fmt: skip
    return pd.DataFrame(rows + later)


def test_forecasts_use_only_days_before_the_origin_and_skip_stock_outs():
    daily = _daily()
    frame = backtest.smoothing_forecasts(daily, ORIGIN, [1, 2, 8])
    for sku in ("k1", "k2"):
        series = daily[(daily["sku"] == sku) & (daily["date"] < ORIGIN)]
        state = smoothing.fit(series["units_sold"].to_numpy()[None], series["stock_out"].to_numpy()[None])
        expected = smoothing.forecast(state, np.array([1, 2, 8]))[0]
        got = frame[frame["sku"] == sku].sort_values("h")["ets"].to_numpy()
        assert got == pytest.approx(expected)


def test_a_series_without_history_before_the_origin_gets_its_28_day_mean():
    results = pd.DataFrame({"fold_origin": ORIGIN, "store_id": "s1", "sku": ["k1", "new"], "h": 1,
                            "label": 3.0, "forecast": 3.0, "ma28": [4.0, 0.0]})  # fmt: skip
    scored = backtest.with_smoothing(results, _daily())
    assert scored.set_index("sku").loc["new", "ets"] == 0.0
    assert scored.set_index("sku").loc["k1", "ets"] > 0

"""Vectorised exponential smoothing against statsmodels' ETS(A,N,A) state-space model, series by series."""

import warnings

import numpy as np
import pytest
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from spark.ml import smoothing


def _weekly_counts(series=3, days=200, seed=3):
    rng = np.random.default_rng(seed)
    profile = np.resize([2, 3, 4, 3, 5, 9, 8], days)
    return rng.poisson(profile * rng.uniform(0.5, 2, (series, 1))).astype(float)


def _statsmodels_forecast(y, alpha, gamma, level0, season0, steps):
    model = ETSModel(
        y, error="add", trend=None, seasonal="add", seasonal_periods=smoothing.SEASON,
        initialization_method="known", initial_level=level0, initial_seasonal=season0,
    )  # fmt: skip
    with warnings.catch_warnings(), model.fix_params({"smoothing_level": alpha, "smoothing_seasonal": gamma}):
        warnings.simplefilter("ignore")
        result = model.fit(disp=False)
    return result.forecast(steps), result.sse


@pytest.mark.parametrize(("alpha", "gamma"), [(0.1, 0.05), (0.3, 0.2), (0.02, 0.0)])
def test_forecasts_and_errors_equal_statsmodels_ets(alpha, gamma):
    units = _weekly_counts()
    state = smoothing.run(units, alpha, gamma)
    level0, season0 = smoothing.initial_state(units)
    season0 = np.roll(season0, -(smoothing.INIT_DAYS % smoothing.SEASON), axis=1)
    ours = smoothing.forecast(state, np.arange(1, 15))
    for i in range(len(units)):
        theirs, sse = _statsmodels_forecast(
            units[i, smoothing.INIT_DAYS :], alpha, gamma, level0[i], season0[i], 14
        )
        assert ours[i] == pytest.approx(np.maximum(theirs, 0.0), abs=1e-9)
        assert state.sse[i] == pytest.approx(sse)


def test_a_censored_day_leaves_the_state_as_its_forecast_would():
    units = _weekly_counts(series=2)
    censored = np.zeros_like(units, bool)
    censored[:, 150:153] = True
    stocked_out = units.copy()
    stocked_out[:, 150:153] = 0.0  # a stock-out records zero sales
    masked = smoothing.run(stocked_out, 0.2, 0.1, censored)
    # the same run where those days are replaced by the recursion's own one-step forecasts
    head = smoothing.run(units[:, :150], 0.2, 0.1)
    filled = units.copy()
    filled[:, 150:153] = smoothing.forecast(head, np.arange(1, 4))
    assert smoothing.forecast(masked, np.arange(1, 8)) == pytest.approx(
        smoothing.forecast(smoothing.run(filled, 0.2, 0.1), np.arange(1, 8))
    )
    as_zeros = smoothing.run(stocked_out, 0.2, 0.1)  # the zeros read as demand drag the level down
    assert (smoothing.forecast(as_zeros, [1]) < smoothing.forecast(masked, [1])).all()


def test_each_series_keeps_its_best_setting():
    units = np.vstack([_weekly_counts(1, seed=4), np.resize([0.0, 0, 0, 0, 0, 30, 30], 200)[None]])
    best = smoothing.fit(units)
    for i in range(2):
        sses = [
            smoothing.run(units[i : i + 1], a, g).sse[0] for a in smoothing.ALPHAS for g in smoothing.GAMMAS
        ]
        assert best.sse[i] == pytest.approx(min(sses))

"""Exponential smoothing per series with a weekly season (additive Holt-Winters, no trend), vectorised.

The per-series baseline a global model has to beat (the family of M5's best benchmark, ES_bu). Every series
of a series x days matrix runs through the recursions together, one numpy step per day, for each setting of
a small grid; each series keeps the setting with the smallest in-sample one-step squared error. A censored
day (stock-out: the zero is unmet demand, not demand) does not update the state: the recursion treats its
value as the one-step forecast.

    level_t  = alpha (y_t - season_{t-7}) + (1 - alpha) level_{t-1}
    season_t = gamma (y_t - level_{t-1}) + (1 - gamma) season_{t-7}
    forecast_{n+h} = level_n + season of the same weekday last seen, never below zero
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

SEASON = 7
INIT_DAYS = 28  # the first four weeks set the starting level and weekday profile
ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.3)
GAMMAS = (0.0, 0.05, 0.1, 0.2)


@dataclass(frozen=True)
class SmoothingState:
    """Per series after the last day: level, the season of the next SEASON days in order, one-step SSE."""

    level: np.ndarray
    season: np.ndarray  # series x SEASON; column k is the season of day n + 1 + k
    sse: np.ndarray


def initial_state(units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Level = mean of the first INIT_DAYS days; season = each weekday's mean over them minus the level."""
    first = units[:, :INIT_DAYS]
    level = np.nanmean(first, axis=1)
    weekday = np.stack([np.nanmean(first[:, k::SEASON], axis=1) for k in range(SEASON)], axis=1)
    return np.nan_to_num(level), np.nan_to_num(weekday - level[:, None])


def run(units: np.ndarray, alpha: float, gamma: float, censored: np.ndarray | None = None) -> SmoothingState:
    """The recursions over days INIT_DAYS.. of `units` (series x days); the first days only initialise."""
    level, season = initial_state(units)
    season = np.roll(season, -(INIT_DAYS % SEASON), axis=1)  # column 0 = the season of day INIT_DAYS
    sse = np.zeros(len(units))
    for t in range(INIT_DAYS, units.shape[1]):
        expected = level + season[:, 0]
        actual = units[:, t] if censored is None else np.where(censored[:, t], expected, units[:, t])
        sse += (actual - expected) ** 2
        new_level = alpha * (actual - season[:, 0]) + (1 - alpha) * level
        new_season = gamma * (actual - level) + (1 - gamma) * season[:, 0]
        level, season = new_level, np.column_stack([season[:, 1:], new_season])
    return SmoothingState(level, season, sse)


def fit(units: np.ndarray, censored: np.ndarray | None = None) -> SmoothingState:
    """Per series, the state of the grid setting with the smallest in-sample one-step squared error."""
    states = [run(units, a, g, censored) for a, g in product(ALPHAS, GAMMAS)]
    best = np.argmin(np.stack([s.sse for s in states]), axis=0)
    rows = np.arange(len(units))
    return SmoothingState(
        np.stack([s.level for s in states])[best, rows],
        np.stack([s.season for s in states])[best, rows],
        np.stack([s.sse for s in states])[best, rows],
    )


def forecast(state: SmoothingState, horizons: np.ndarray) -> np.ndarray:
    """Series x len(horizons) forecasts h days after the last day (h = 1 is the next day)."""
    horizons = np.asarray(horizons, int)
    return np.maximum(state.level[:, None] + state.season[:, (horizons - 1) % SEASON], 0.0)

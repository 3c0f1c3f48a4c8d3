"""Forecast accuracy: WAPE, RMSE, bias, and M5's WRMSSE exactly as the Competitors' Guide defines it.

Pure numpy/pandas: metrics run on small collected frames (one row per series, one column per day).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# M5's 12 aggregation levels as groupings of the bottom-level id columns (() = the chain total).
M5_LEVELS: dict[int, tuple[str, ...]] = {
    1: (),
    2: ("state_id",),
    3: ("store_id",),
    4: ("cat_id",),
    5: ("dept_id",),
    6: ("state_id", "cat_id"),
    7: ("state_id", "dept_id"),
    8: ("store_id", "cat_id"),
    9: ("store_id", "dept_id"),
    10: ("item_id",),
    11: ("item_id", "state_id"),
    12: ("item_id", "store_id"),
}


def wape(actual, forecast) -> float:
    """Weighted absolute percentage error: sum |error| / sum actual (units-weighted, safe with zeros)."""
    actual, forecast = np.asarray(actual, float), np.asarray(forecast, float)
    total = np.abs(actual).sum()
    return float(np.abs(actual - forecast).sum() / total) if total > 0 else float("nan")


def rmse(actual, forecast) -> float:
    """Root mean squared error in units."""
    actual, forecast = np.asarray(actual, float), np.asarray(forecast, float)
    return float(np.sqrt(np.mean((actual - forecast) ** 2)))


def bias(actual, forecast) -> float:
    """Relative bias: sum(forecast - actual) / sum actual; > 0 means over-forecasting."""
    actual, forecast = np.asarray(actual, float), np.asarray(forecast, float)
    total = actual.sum()
    return float((forecast - actual).sum() / total) if total > 0 else float("nan")


def rmsse_scale(history) -> float:
    """Mean squared one-step naive error in-sample, counted from the series' first non-zero sale."""
    history = np.asarray(history, float)
    nonzero = np.flatnonzero(history != 0)
    if nonzero.size == 0:
        return float("nan")
    active = history[nonzero[0]:]
    if active.size < 2:
        return float("nan")
    return float(np.mean(np.diff(active) ** 2))


def rmsse(history, actual, forecast) -> float:
    """Root mean squared scaled error of one series over the forecast horizon."""
    actual, forecast = np.asarray(actual, float), np.asarray(forecast, float)
    scale = rmsse_scale(history)
    if not scale > 0:
        return float("nan")
    return float(np.sqrt(np.mean((actual - forecast) ** 2) / scale))


def combine_levels(levels: Sequence[tuple[Sequence[float], Sequence[float]]]) -> float:
    """WRMSSE from per-level (RMSSE per series, dollar sales per series).

    Within a level the weights are the dollar sales normalised to 1; every level counts 1/K.
    """
    total = 0.0
    for scores, dollars in levels:
        scores, dollars = np.asarray(scores, float), np.asarray(dollars, float)
        total += float(np.sum(scores * dollars / dollars.sum())) / len(levels)
    return total


def wrmsse(
    ids: pd.DataFrame,
    history: np.ndarray,
    actual: np.ndarray,
    forecast: np.ndarray,
    dollars: np.ndarray,
    levels: dict[int, tuple[str, ...]] = M5_LEVELS,
) -> tuple[float, dict[int, float]]:
    """WRMSSE of bottom-level forecasts summed up to every level, and each level's own WRMSSE.

    ids: one row per bottom series with the grouping columns; history (series x training days),
    actual and forecast (series x horizon); dollars: each series' dollar sales over the last 28 training days.
    A series whose scale is zero (never moved after its first sale) cannot be scored: it is dropped with its
    weight, as its RMSSE is undefined.
    """
    parts, by_level = [], {}
    for level, keys in levels.items():
        codes = _group_codes(ids, keys)
        summed = [_sum_by(codes, a) for a in (history, actual, forecast, dollars)]
        scores = np.array([rmsse(h, a, f) for h, a, f in zip(summed[0], summed[1], summed[2], strict=True)])
        keep = np.isfinite(scores)
        parts.append((scores[keep], summed[3][keep]))
        by_level[level] = combine_levels([parts[-1]])
    return combine_levels(parts), by_level


def _group_codes(ids: pd.DataFrame, keys: tuple[str, ...]) -> np.ndarray:
    if not keys:
        return np.zeros(len(ids), dtype=int)
    return pd.factorize(ids[list(keys)].astype(str).agg("|".join, axis=1))[0]


def _sum_by(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, float)
    out = np.zeros((codes.max() + 1,) + values.shape[1:])
    np.add.at(out, codes, values)
    return out

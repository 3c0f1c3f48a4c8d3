"""Rolling-origin backtest: every fold trains only on targets before its origin and forecasts the horizon.

Baselines see exactly the days the model sees, and none counts a stock-out day's zero as demand:
- snaive: seasonal naive, the most recent known same weekday (M5's sNaive);
- weekday_mean_4: the mean of the last four known same weekdays;
- ma28: the 28-day mean without stock-out days (the rule the served fallback uses, spark/ml/scoring.py);
- ets: exponential smoothing per series with a weekly season (spark/ml/smoothing.py).
A model has to beat the best of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark.ml import metrics, smoothing
from spark.ml.horizon import SERIES

BASELINES = ("snaive", "weekday_mean_4", "ma28", "ets")
METHODS = ("forecast", *BASELINES)


@dataclass(frozen=True)
class Fold:
    """One forecast origin: train on targets < origin, forecast origin .. origin + horizon - 1."""

    origin: date
    horizon: int

    @property
    def last_day(self) -> date:
        return self.origin + timedelta(days=self.horizon - 1)


def rolling_folds(last_day: date, horizon: int, folds: int = 3, step: int | None = None) -> list[Fold]:
    """`folds` origins, oldest first, the newest ending on `last_day`, `step` days apart (default horizon)."""
    step = step or horizon
    newest = last_day - timedelta(days=horizon - 1)
    return [Fold(newest - timedelta(days=step * k), horizon) for k in reversed(range(folds))]


def fold_train(rows: DataFrame, fold: Fold) -> DataFrame:
    """Training rows whose target day is known before the fold's origin."""
    return rows.where(F.col("target_date") < F.lit(fold.origin))


def fold_test(scoring: DataFrame, history: DataFrame, fold: Fold) -> DataFrame:
    """Rows forecast from the fold's origin, with the actual units; censored target days are not scored."""
    actual = history.select(
        *SERIES, F.col("date").alias("target_date"), F.col("units_sold").cast("double").alias("label"),
        F.col("stock_out").alias("target_stock_out"),
    )
    rows = scoring.where(F.col("date") == F.lit(fold.origin)).join(actual, [*SERIES, "target_date"])
    return rows.where(~F.col("target_stock_out")).drop("target_stock_out")


def collect_scored(scored: DataFrame, fold: Fold) -> pd.DataFrame:
    """The fold's forecasts and baselines as a small pandas frame (one row per series x horizon day)."""
    frame = scored.select(
        *SERIES, "target_date", "h", "volume_class", "level", "label", "forecast",
        F.col("same_weekday_1").alias("snaive"), F.col("same_weekday_mean_4").alias("weekday_mean_4"),
        F.col("mean_28").alias("ma28"),
    ).toPandas()
    frame["fold_origin"] = fold.origin
    return frame


def daily_history(history: DataFrame) -> pd.DataFrame:
    """The history's units and stock-out flags on the driver (for the per-series smoothing baseline)."""
    return history.select(*SERIES, "date", "units_sold", "stock_out").toPandas()


def with_smoothing(results: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """Add the `ets` column: per fold, exponential smoothing fitted on each series' days before the origin
    (a series with no day before the origin gets its 28-day mean, as the model's own inputs do)."""
    parts = []
    for origin, fold in results.groupby("fold_origin", sort=True):
        ets = smoothing_forecasts(daily, origin, sorted(fold["h"].unique()))
        parts.append(fold.merge(ets, on=[*SERIES, "h"], how="left"))
    merged = pd.concat(parts, ignore_index=True)
    return merged.assign(ets=merged["ets"].fillna(merged["ma28"]))


def smoothing_forecasts(daily: pd.DataFrame, origin: date, horizons: list[int]) -> pd.DataFrame:
    """One row per series and horizon day h (target origin + h - 1): the smoothing forecast `ets`."""
    before = daily[pd.to_datetime(daily["date"]) < pd.Timestamp(origin)]
    units = before.pivot(index=list(SERIES), columns="date", values="units_sold").sort_index(axis=1)
    censored = before.pivot(index=list(SERIES), columns="date", values="stock_out").sort_index(axis=1)
    censored = censored.fillna(True).astype(bool).to_numpy() | units.isna().to_numpy()
    state = smoothing.fit(np.nan_to_num(units.to_numpy(float)), censored)
    values = smoothing.forecast(state, np.asarray(horizons))
    table = pd.DataFrame(values, index=units.index, columns=pd.Index(horizons, name="h"))
    return table.stack().rename("ets").reset_index().astype({"h": int})


def summarise(results: pd.DataFrame) -> dict[str, dict[str, float]]:
    """WAPE, RMSE and bias of the model and each baseline, over all folds and per fold."""
    summary = {m: _scores(results, m) for m in METHODS}
    for origin, part in results.groupby("fold_origin"):
        summary[f"fold_{origin}"] = {m: _scores(part, m)["wape"] for m in METHODS}
    return summary


def _scores(frame: pd.DataFrame, method: str) -> dict[str, float]:
    return {
        "wape": metrics.wape(frame["label"], frame[method]),
        "rmse": metrics.rmse(frame["label"], frame[method]),
        "bias": metrics.bias(frame["label"], frame[method]),
    }

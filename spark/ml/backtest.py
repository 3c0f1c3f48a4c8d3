"""Rolling-origin backtest: every fold trains only on targets before its origin and forecasts the horizon.

Baselines come from the same scored rows, so they see exactly the days the model sees:
seasonal naive (the most recent known same weekday) and the 28-day moving average.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark.ml import metrics
from spark.ml.horizon import SERIES

METHODS = ("forecast", "snaive", "ma28")


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
        *SERIES, "target_date", "h", "volume_class", "label", "forecast",
        F.col("same_weekday_1").alias("snaive"), F.col("mean_28").alias("ma28"),
    ).toPandas()
    frame["fold_origin"] = fold.origin
    return frame


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

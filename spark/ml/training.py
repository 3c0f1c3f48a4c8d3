"""One weekly training run: tune on the oldest fold, backtest every fold, fit on everything, size
intervals."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

import pandas as pd
from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame

from spark.ml import backtest, intervals
from spark.ml.horizon import HorizonSpec, scoring_rows, training_rows
from spark.ml.model import ModelConfig, feature_importances, fit_with, forecast, tune_and_fit


@dataclass
class TrainingRun:
    """Everything the registry stores about one trained version, plus the fold models for benchmarks."""

    model: PipelineModel | None  # None when the run only scored its folds
    params: dict
    tuning: dict
    folds: list[backtest.Fold]
    fold_models: list[PipelineModel]
    backtest: pd.DataFrame
    summary: dict
    interval_table: pd.DataFrame
    weekly_interval_table: pd.DataFrame
    interval_coverage_90: float
    weekly_coverage: dict  # served 7-day intervals: coverage per volume class on folds after the first
    importances: dict[str, float]
    train_rows: int
    seconds: dict[str, float]


def train_demand(
    history: DataFrame, spec: HorizonSpec, config: ModelConfig, last_day: date, n_folds: int = 3,
    calendar: DataFrame | None = None, tuned: dict | None = None, folds: list[backtest.Fold] | None = None,
    fit_final: bool = True,
) -> TrainingRun:
    """Train on all history up to `last_day` with a rolling-origin backtest of `n_folds` horizons.

    `tuned` (a previous run's `tuning`, or frozen settings) skips the grid search and reuses its chosen
    settings; `folds` replaces the default consecutive origins; `fit_final=False` skips the fit on all rows
    (a benchmark that only scores folds).
    """
    started = time.perf_counter()
    folds = folds or backtest.rolling_folds(last_day, spec.horizon, n_folds)
    rows = training_rows(history, spec, calendar).cache()
    scoring = scoring_rows(history, spec, [f.origin.isoformat() for f in folds], calendar).cache()
    train_rows = rows.count()
    oldest = backtest.fold_train(rows, folds[0])
    if tuned is None:
        model, tuning = tune_and_fit(oldest, spec.features, config)
    else:
        tuning = {**tuned, "reused": True}
        model = fit_with(oldest, spec.features, config, tuning["chosen"])
    models, scored = [model], [_score(model, scoring, history, folds[0])]
    for fold in folds[1:]:
        models.append(fit_with(backtest.fold_train(rows, fold), spec.features, config, tuning["chosen"]))
        scored.append(_score(models[-1], scoring, history, fold))
    results = backtest.with_smoothing(pd.concat(scored, ignore_index=True), backtest.daily_history(history))
    backtest_done = time.perf_counter()
    final = fit_with(rows, spec.features, config, tuning["chosen"]) if fit_final else None
    finished = time.perf_counter()
    rows.unpersist()
    scoring.unpersist()
    return TrainingRun(
        model=final, params={**tuning["chosen"], "maxIter": config.max_iter, "stepSize": config.step_size},
        tuning=tuning, folds=folds, fold_models=models, backtest=results,
        summary=backtest.summarise(results),
        interval_table=intervals.residual_table(results),
        weekly_interval_table=intervals.weekly_table(results),
        interval_coverage_90=intervals.holdout_coverage(results),
        weekly_coverage=_weekly_coverage(results),
        importances=feature_importances(final or models[-1], spec.features), train_rows=train_rows,
        seconds={"backtest": backtest_done - started, "final_fit": finished - backtest_done,
                 "total": finished - started},
    )


def _weekly_coverage(results: pd.DataFrame) -> dict:
    """Mean coverage per volume class of the 7-day intervals, each fold's built from the earlier folds."""
    by_fold = intervals.weekly_coverage(results)
    by_class = {str(k): float(v) for k, v in by_fold.groupby("volume_class")["coverage"].mean().items()}
    return {"by_class": by_class, "min": min(by_class.values(), default=None)}


def _score(model: PipelineModel, scoring: DataFrame, history: DataFrame, fold: backtest.Fold) -> pd.DataFrame:
    return backtest.collect_scored(forecast(model, backtest.fold_test(scoring, history, fold)), fold)

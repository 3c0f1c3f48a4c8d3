"""The global demand regressor: an MLlib pipeline, tuned on a time-ordered split, never a random one."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.evaluation import RegressionEvaluator
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.regression import GBTRegressor
from pyspark.ml.tuning import (
    ParamGridBuilder,
    TrainValidationSplit,
    TrainValidationSplitModel,
    _parallelFitTasks,  # the helper TrainValidationSplit itself uses
)
from pyspark.sql import DataFrame
from pyspark.sql import functions as F


@dataclass(frozen=True)
class ModelConfig:
    """GBT settings and the small grid searched each week (kept small: 2 cores, minutes not hours)."""

    max_iter: int = 40
    step_size: float = 0.1
    max_bins: int = 32
    subsampling_rate: float = 0.8
    grid_max_depth: tuple[int, ...] = (4, 6)
    grid_min_instances: tuple[int, ...] = (20,)
    validation_days: int = 28  # tail of the tuning window used for validation
    seed: int = 7
    extra: dict = field(default_factory=dict)


def regressor(features: list[str], config: ModelConfig) -> tuple[Pipeline, GBTRegressor]:
    """Assembler + GBTRegressor predicting daily units (squared loss: the forecast is the mean)."""
    assembler = VectorAssembler(inputCols=features, outputCol="features", handleInvalid="error")
    gbt = GBTRegressor(
        featuresCol="features", labelCol="label", predictionCol="raw_forecast", maxIter=config.max_iter,
        stepSize=config.step_size, maxBins=config.max_bins, subsamplingRate=config.subsampling_rate,
        seed=config.seed, cacheNodeIds=True, checkpointInterval=-1, weightCol="weight",
    )
    return Pipeline(stages=[assembler, gbt]), gbt


class TimeOrderedSplit(TrainValidationSplit):
    """TrainValidationSplit whose validation set is the last `validationDays` target days, not a random draw.

    Training rows are those whose target day precedes the first validation origin, so no validation sale
    (nor any later one) reaches the model being scored. The best setting is refitted on the whole input.
    """

    timeCol = Param(Params._dummy(), "timeCol", "date column ordering the rows", TypeConverters.toString)
    validationDays = Param(
        Params._dummy(), "validationDays", "days held out at the end", TypeConverters.toInt
    )

    def _fit(self, dataset: DataFrame) -> TrainValidationSplitModel:
        est, maps, eva = self.getEstimator(), self.getEstimatorParamMaps(), self.getEvaluator()
        time_col, days = self.getOrDefault(self.timeCol), self.getOrDefault(self.validationDays)
        last = dataset.agg(F.max(time_col)).first()[0]
        start = F.date_sub(F.lit(last), days - 1)
        validation = dataset.where(F.col("date") >= start).cache()  # origins inside the held-out tail
        train = dataset.where(F.col(time_col) < start).cache()  # targets before it
        try:
            # In this thread, one setting at a time: a fit already uses every core, and a Spark Connect
            # session is bound to the thread that made it (a pool's threads find no session).
            metrics = [0.0] * len(maps)
            for fit in _parallelFitTasks(est, train, eva, validation, maps, False):
                j, metric, _ = fit()
                metrics[j] = metric
        finally:
            train.unpersist()
            validation.unpersist()
        best = int(np.argmax(metrics) if eva.isLargerBetter() else np.argmin(metrics))
        return self._copyValues(TrainValidationSplitModel(est.fit(dataset, maps[best]), metrics, None))


def tune_and_fit(rows: DataFrame, features: list[str], config: ModelConfig) -> tuple[PipelineModel, dict]:
    """Grid-search depth / leaf size on a time-ordered split, refit the best on all rows."""
    pipeline, gbt = regressor(features, config)
    grid = (
        ParamGridBuilder()
        .addGrid(gbt.maxDepth, list(config.grid_max_depth))
        .addGrid(gbt.minInstancesPerNode, list(config.grid_min_instances))
        .build()
    )
    tuner = TimeOrderedSplit(
        estimator=pipeline, estimatorParamMaps=grid,
        evaluator=RegressionEvaluator(
            labelCol="label", predictionCol="raw_forecast", weightCol="weight", metricName="rmse"
        ),
    )
    tuner._set(timeCol="target_date", validationDays=config.validation_days)
    tuned = tuner.fit(rows)
    best = int(np.argmin(tuned.validationMetrics))
    chosen = {p.name: v for p, v in grid[best].items()}
    report = {"grid": [{p.name: v for p, v in m.items()} for m in grid],
              "validation_rmse": list(tuned.validationMetrics), "chosen": chosen}
    return tuned.bestModel, report


def fit_with(rows: DataFrame, features: list[str], config: ModelConfig, params: dict) -> PipelineModel:
    """Fit the pipeline with already chosen hyperparameters (backtest folds, weekly refits)."""
    pipeline, gbt = regressor(features, config)
    return pipeline.fit(rows, {getattr(gbt, name): value for name, value in params.items()})


def forecast(model: PipelineModel, rows: DataFrame) -> DataFrame:
    """Apply the model (back to units for a model of units / level); units cannot be negative."""
    scored = model.transform(rows)
    units = F.greatest(F.col("raw_forecast"), F.lit(0.0))
    if predicts_relative(model):
        units = units * F.col("level")
    return scored.withColumn("forecast", units).drop("features")


def predicts_relative(model: PipelineModel) -> bool:
    """Whether the model learnt units / level (horizon.py): its inputs include the level itself."""
    return "log_level" in model.stages[0].getInputCols()


def feature_importances(model: PipelineModel, features: list[str]) -> dict[str, float]:
    """The GBT's split-gain importances by feature name, largest first."""
    weights = model.stages[-1].featureImportances.toArray()
    return dict(sorted(zip(features, map(float, weights), strict=True), key=lambda kv: -kv[1]))

"""Seven-day forecasts per store x SKU from a registered model, or from the documented baseline.

Baseline (`forecast_source = baseline_ma28`), used before any champion exists: the daily mean of the last
28 days' units (stock-out days left out, as their zero is censored demand) times 7, with a normal 90%
interval from the same days' standard deviation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from spark.ml.horizon import HorizonSpec, scoring_rows
from spark.ml.intervals import weekly_bounds, weekly_sigma
from spark.ml.model import forecast

Z90 = 1.6449
SERIES = ["store_id", "sku"]


def baseline(history: DataFrame, days: list[str], horizon: int = 7) -> pd.DataFrame:
    """Baseline forecast made after the close of each day in `days` (one row per series and day)."""
    trailing = Window.partitionBy(*SERIES).orderBy(F.unix_date("date")).rangeBetween(-27, 0)
    units = F.when(~F.col("stock_out"), F.col("units_sold"))
    frame = history.select(
        *SERIES,
        "date",
        F.coalesce(F.avg(units).over(trailing), F.lit(0.0)).alias("daily_mean"),
        F.coalesce(F.stddev_samp(units).over(trailing), F.lit(0.0)).alias("daily_std"),
    )
    out = frame.where(F.col("date").isin([F.lit(d).cast("date") for d in days])).toPandas()
    out["predicted_demand"] = horizon * out["daily_mean"]
    spread = Z90 * np.sqrt(horizon) * out["daily_std"]
    out["confidence_low"] = np.maximum(out["predicted_demand"] - spread, 0.0)
    out["confidence_high"] = out["predicted_demand"] + spread
    return out.assign(forecast_source="baseline_ma28", model_version="")


def model_forecast(
    model,
    spec: HorizonSpec,
    history: DataFrame,
    days: list[str],
    calendar: DataFrame,
    intervals: pd.DataFrame,
    weekly: pd.DataFrame,
    version: str,
) -> pd.DataFrame:
    """The model's forecast of the `spec.horizon` days after each day in `days`, summed, with intervals."""
    origins = [(pd.Timestamp(d) + pd.Timedelta(days=1)).date().isoformat() for d in days]
    scored = forecast(model, scoring_rows(with_next_day(history), spec, origins, calendar))
    per_series = scored.groupBy(*SERIES, "date").agg(
        F.sum("forecast").alias("predicted_demand"),
        F.first("volume_class").alias("volume_class"),
        F.first("level").alias("level"),
    )
    out = per_series.withColumn("date", F.date_sub("date", 1)).toPandas()
    out["daily_mean"] = out["predicted_demand"] / spec.horizon
    if "q_high_rel" in weekly.columns:
        out["daily_std"] = weekly_sigma(out, weekly)
    else:  # a version registered before: pooled daily residual std of the volume class
        sigma = intervals.groupby("volume_class")["sigma"].apply(lambda s: float(np.sqrt(np.mean(s**2))))
        out["daily_std"] = out["volume_class"].map(sigma).fillna(0.0)
    out = weekly_bounds(out, weekly)
    return out.drop(columns=["volume_class", "level"]).assign(forecast_source="model", model_version=version)


def with_next_day(history: DataFrame) -> DataFrame:
    """Append the day after the last one (units unknown, shelf price carried over) so it can be an origin."""
    last = history.agg(F.max("date")).first()[0]
    tail = history.where(F.col("date") == F.lit(last))
    nxt = tail.withColumn("date", F.date_add("date", 1)).withColumn("units_sold", F.lit(0.0))
    return history.unionByName(nxt.withColumn("stock_out", F.lit(False)))

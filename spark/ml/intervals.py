"""Prediction intervals from empirical out-of-sample residual quantiles, per horizon day and volume class.

Residuals come from the backtest folds, so the spread is what the model really missed by on unseen days.
Coverage is measured honestly: quantiles from earlier folds are applied to the newest fold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LOW, HIGH = 0.05, 0.95  # a 90% interval
MIN_CELL = 30  # fewer residuals than this in an (h, class) cell: use the class's residuals over all h


def residual_table(results: pd.DataFrame, low: float = LOW, high: float = HIGH) -> pd.DataFrame:
    """Quantiles of (actual - forecast) and the residual std per (h, volume_class)."""
    frame = results.assign(residual=results["label"] - results["forecast"])
    pooled = frame.groupby("volume_class")["residual"].agg(
        q_low=lambda r: r.quantile(low), q_high=lambda r: r.quantile(high), sigma="std"
    )
    cells = frame.groupby(["h", "volume_class"])["residual"].agg(
        q_low=lambda r: r.quantile(low), q_high=lambda r: r.quantile(high), sigma="std", n="size"
    ).reset_index()
    thin = cells["n"] < MIN_CELL
    for column in ("q_low", "q_high", "sigma"):
        cells.loc[thin, column] = cells.loc[thin, "volume_class"].map(pooled[column]).to_numpy()
    return cells.drop(columns="n").fillna(0.0)


def with_intervals(frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Add confidence_low / confidence_high (never below zero units) and the daily residual sigma."""
    merged = frame.merge(table, on=["h", "volume_class"], how="left").fillna(
        {"q_low": 0.0, "q_high": 0.0, "sigma": 0.0}
    )
    merged["confidence_low"] = np.maximum(merged["forecast"] + merged["q_low"], 0.0)
    merged["confidence_high"] = np.maximum(merged["forecast"] + merged["q_high"], 0.0)
    return merged.drop(columns=["q_low", "q_high"])


def coverage(frame: pd.DataFrame) -> float:
    """Share of actuals inside [confidence_low, confidence_high]."""
    inside = (frame["label"] >= frame["confidence_low"]) & (frame["label"] <= frame["confidence_high"])
    return float(inside.mean())


def holdout_coverage(results: pd.DataFrame) -> float:
    """Coverage on the newest fold of intervals built from the earlier folds only."""
    newest = results["fold_origin"].max()
    table = residual_table(results[results["fold_origin"] < newest])
    return coverage(with_intervals(results[results["fold_origin"] == newest], table))


def weekly_table(results: pd.DataFrame, days: int = 7, low: float = LOW, high: float = HIGH) -> pd.DataFrame:
    """Quantiles of the residual of the first `days` days' total per series, by volume class."""
    first = results[results["h"] <= days]
    keys = ["fold_origin", "store_id", "sku"]
    totals = first.groupby(keys).agg(label=("label", "sum"), forecast=("forecast", "sum"),
                                     volume_class=("volume_class", "first"))
    residual = totals["label"] - totals["forecast"]
    return residual.groupby(totals["volume_class"]).agg(
        q_low=lambda r: r.quantile(low), q_high=lambda r: r.quantile(high)
    ).reset_index()

"""Prediction intervals from empirical out-of-sample residual quantiles, per horizon day and volume class.

Residuals come from the backtest folds, so the spread is what the model really missed by on unseen days.
Coverage is measured honestly: quantiles from earlier folds are applied to the newest fold.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

LOW, HIGH = 0.05, 0.95  # a 90% interval
WEEK = 7  # the served forecast is the total of the next 7 days
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


def weekly_totals(results: pd.DataFrame, days: int = WEEK) -> pd.DataFrame:
    """Per fold and series: actual and forecast totals of the first `days` horizon days, with the series'
    level and volume class at the origin. Series with a censored (unscored) day in the week are left out."""
    first = results[results["h"] < results["h"].min() + days]
    totals = first.groupby(["fold_origin", "store_id", "sku"], as_index=False).agg(
        label=("label", "sum"), predicted_demand=("forecast", "sum"), level=("level", "first"),
        volume_class=("volume_class", "first"), days=("h", "size"),
    )  # fmt: skip
    return totals[totals["days"] == days].drop(columns="days")


def weekly_table(
    results: pd.DataFrame, days: int = WEEK, low: float = LOW, high: float = HIGH
) -> pd.DataFrame:
    """Quantiles of the week's total error relative to each series' level (units/day), by volume class.

    A series selling 40 a day misses by more units than one selling 2: relative to the level one table
    serves both, where an absolute quantile per class is too wide for the small and too narrow for the big.
    """
    totals = weekly_totals(results, days)
    relative = (totals["label"] - totals["predicted_demand"]) / totals["level"]
    return relative.groupby(totals["volume_class"]).agg(
        q_low_rel=lambda r: r.quantile(low), q_high_rel=lambda r: r.quantile(high)
    ).reset_index()


def weekly_bounds(frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """confidence_low / confidence_high of each row's `predicted_demand` (the served 7-day interval).

    `frame` has predicted_demand, level and volume_class. A table written before intervals were relative to
    the level holds absolute quantiles (q_low, q_high) and is applied as such.
    """
    relative = "q_low_rel" in table.columns
    names = ("q_low_rel", "q_high_rel") if relative else ("q_low", "q_high")
    bounds = frame[["volume_class"]].merge(table, on="volume_class", how="left")
    bounds = bounds.fillna(dict.fromkeys(names, 0.0))
    scale = frame["level"].to_numpy(float) if relative else 1.0
    predicted = frame["predicted_demand"].to_numpy(float)
    return frame.assign(
        confidence_low=np.maximum(predicted + scale * bounds[names[0]].to_numpy(), 0.0),
        confidence_high=np.maximum(predicted + scale * bounds[names[1]].to_numpy(), 0.0),
    )


def weekly_coverage(results: pd.DataFrame, days: int = WEEK) -> pd.DataFrame:
    """Coverage of the served `days`-day intervals per fold and volume class, each fold's intervals built
    from the earlier folds only (as a version serves the weeks after the folds it was measured on)."""
    totals, rows = weekly_totals(results, days), []
    origins = sorted(totals["fold_origin"].unique())
    for origin in origins[1:]:
        table = weekly_table(results[results["fold_origin"] < origin], days)
        served = weekly_bounds(totals[totals["fold_origin"] == origin].reset_index(drop=True), table)
        inside = served["label"].between(served["confidence_low"], served["confidence_high"])
        for volume, hits in inside.groupby(served["volume_class"]):
            rows.append(
                {"fold_origin": origin, "volume_class": volume, "coverage": hits.mean(), "n": len(hits)}
            )
    return pd.DataFrame(rows, columns=["fold_origin", "volume_class", "coverage", "n"])


def weekly_sigma(
    frame: pd.DataFrame, table: pd.DataFrame, days: int = WEEK, high: float = HIGH
) -> np.ndarray:
    """Daily demand std per row implied by the empirical upper quantile of the week's relative error.

    z(high) x sqrt(days) x sigma = level x q_high_rel: the normal reorder math (spark/ml/reorder.py) then
    holds exactly that quantile as safety stock over `days` days -- the week's real error (its days are not
    independent) scaled to each series' level; over another protection period it scales with sqrt(days).
    """
    upper = frame[["volume_class"]].merge(table, on="volume_class", how="left")["q_high_rel"].fillna(0.0)
    z = NormalDist().inv_cdf(high)
    return np.maximum(upper.to_numpy(), 0.0) * frame["level"].to_numpy(float) / (z * np.sqrt(days))

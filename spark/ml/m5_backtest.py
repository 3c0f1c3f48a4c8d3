"""M5 accuracy backtest: the demand model's rolling-origin folds on the real M5 subset, scored with WRMSSE.

The model and seasonal naive come from the same `train_demand` run (same scored rows): seasonal naive is the
most recent known same weekday, i.e. M5's sNaive (the last week repeated over the horizon).
Each fold is scored as the Competitors' Guide scores a submission: scale from the series' in-sample history
before the fold's origin, weights from the dollar sales of the 28 days before the origin.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession

from spark.ml import metrics
from spark.ml.m5 import M5Subset

STORE_DEPT_FILE = "sales_daily_store_x_dept_70_series_d15_d1913.csv.gz"
MONTHLY_FILE = "sales_monthly_all_30490_series_2011-01_to_2016-04.csv.gz"
STORE_DEPT_LEVELS = {level: keys for level, keys in metrics.M5_LEVELS.items() if "item_id" not in keys}
CALENDAR_COLUMNS = ("is_event", "is_snap")
CODES = ("store_code", "state_code", "cat_code", "dept_code")  # ids as codes: a global model's grouping
# Trailing 28-day mean daily units per series of a wider group, known at the origin (days before it only):
# an intermittent item-store series borrows the level of its item across stores and of its store department.
GROUP_MEANS = {"item_mean_28": ("item_id",), "store_dept_mean_28": ("store_id", "dept_id")}
ATTRIBUTES = CODES + tuple(GROUP_MEANS)
WEIGHT_DAYS = 28


@dataclass(frozen=True)
class FoldScore:
    """WRMSSE (mean of the levels) and each level's own WRMSSE for one method on one fold."""

    origin: str
    method: str
    wrmsse: float
    by_level: dict[int, float]


def spark_frames(
    spark: SparkSession, subset: M5Subset, price_feature: bool = True
) -> tuple[DataFrame, DataFrame]:
    """The subset's history (history contract) and its known-ahead store calendar as Spark frames.

    `price_feature=False` leaves the shelf price out of the features (its prices only weigh the levels).
    """
    history = subset.history()
    if not price_feature:
        history["price"] = np.nan
    n_days = len(subset.days)
    for attribute in CODES:
        column = attribute.replace("_code", "_id")
        history[attribute] = np.repeat(pd.factorize(subset.ids[column], sort=True)[0].astype(float), n_days)
    for attribute, keys in GROUP_MEANS.items():
        history[attribute] = group_trailing_mean(subset, keys).reshape(-1)
    schema = (
        "store_id string, sku string, date date, units_sold double, stock_out boolean, price double, "
        + (", ".join(f"{a} double" for a in ATTRIBUTES))
    )
    calendar = subset.store_calendar()
    return (
        spark.createDataFrame(history, schema),
        spark.createDataFrame(calendar, "store_id string, date date, is_event double, is_snap double"),
    )


def group_trailing_mean(subset: M5Subset, keys: tuple[str, ...], days: int = 28) -> np.ndarray:
    """Series x days: mean daily units per series of each series' group over the `days` days before."""
    codes = pd.factorize(subset.ids[list(keys)].astype(str).agg("|".join, axis=1))[0]
    totals = np.zeros((codes.max() + 1, subset.units.shape[1]))
    np.add.at(totals, codes, subset.units)
    per_series = totals / np.bincount(codes)[:, None]
    running = np.hstack([np.zeros((len(totals), 1)), np.cumsum(per_series, axis=1)])
    ends = np.arange(subset.units.shape[1])  # day d uses days d-days .. d-1
    starts = np.maximum(ends - days, 0)
    width = np.maximum(ends - starts, 1)
    return ((running[:, ends] - running[:, starts]) / width)[codes]


def score_folds(
    subset: M5Subset, results: pd.DataFrame, methods=("forecast", "snaive"), levels=metrics.M5_LEVELS
) -> list[FoldScore]:
    """WRMSSE over the given M5 levels (default all 12), per fold origin and method."""
    scores = []
    for origin, fold in results.groupby("fold_origin"):
        first = subset.days.get_loc(pd.Timestamp(origin))
        horizon = int(fold["h"].max())
        dollars = subset.dollars(first - WEIGHT_DAYS, first)
        actual = _matrix(subset, fold, "label", horizon)
        for method in methods:
            score, by_level = metrics.wrmsse(
                subset.ids,
                subset.units[:, :first],
                actual,
                _matrix(subset, fold, method, horizon),
                dollars,
                levels,
            )
            scores.append(FoldScore(str(origin), method, score, by_level))
    return scores


def mean_wrmsse(scores: list[FoldScore], method: str) -> float:
    """Mean WRMSSE of `method` over the folds."""
    return float(np.mean([s.wrmsse for s in scores if s.method == method]))


def mean_by_level(scores: list[FoldScore], method: str) -> dict[int, float]:
    """Each level's WRMSSE of `method`, averaged over the folds."""
    chosen = [s.by_level for s in scores if s.method == method]
    return {level: float(np.mean([s[level] for s in chosen])) for level in chosen[0]}


def _matrix(subset: M5Subset, fold: pd.DataFrame, column: str, horizon: int) -> np.ndarray:
    """Series x horizon matrix in the subset's row order; a missing row is an error, not a zero."""
    table = fold.pivot_table(index=["store_id", "sku"], columns="h", values=column, aggfunc="first")
    keys = pd.MultiIndex.from_arrays([subset.ids["store_id"], subset.ids["item_id"]])
    matrix = table.reindex(index=keys, columns=range(1, horizon + 1)).to_numpy(float)
    if np.isnan(matrix).any():
        raise ValueError(f"fold has {int(np.isnan(matrix).sum())} missing {column} values for the subset")
    return matrix


def load_store_dept(folder: Path) -> M5Subset:
    """The daily store x department series (M5 level 9) as a subset whose bottom series are departments.

    Its `prices` are for weights only: no daily item units exist for whole departments, so each
    store x department's price is the unit-weighted mean item shelf price of the calendar month (monthly
    units of every item from the all-series monthly file, shelf prices from sell_prices).
    """
    sales = pd.read_csv(folder / STORE_DEPT_FILE)
    day_cols = [c for c in sales.columns if c.startswith("d_")]
    calendar = (
        pd.read_csv(folder / "calendar.csv", parse_dates=["date"]).set_index("d").loc[day_cols].reset_index()
    )
    ids = sales[["store_id", "dept_id", "cat_id", "state_id"]].assign(item_id=sales["dept_id"])
    months = calendar["date"].dt.strftime("%Y-%m")
    price = _dept_month_price(folder).reindex(
        index=pd.MultiIndex.from_frame(ids[["store_id", "dept_id"]]), columns=months.unique()
    )
    daily_price = price[months.to_numpy()].to_numpy(float)
    return M5Subset(
        ids, sales[day_cols].to_numpy(float), pd.DatetimeIndex(calendar["date"]), calendar, daily_price
    )


def _dept_month_price(folder: Path) -> pd.DataFrame:
    """Unit-weighted mean item shelf price per (store, dept) and calendar month."""
    monthly = pd.read_csv(folder / MONTHLY_FILE)
    month_cols = [c for c in monthly.columns if c[:2] == "20"]
    units = monthly.melt(["item_id", "dept_id", "store_id"], month_cols, "month", "units")
    weeks = pd.read_csv(folder / "calendar.csv", parse_dates=["date"])
    week_month = weeks.assign(month=weeks["date"].dt.strftime("%Y-%m"))[
        ["wm_yr_wk", "month"]
    ].drop_duplicates()
    prices = pd.read_parquet(folder / "sell_prices.parquet").merge(week_month, on="wm_yr_wk")
    mean_price = prices.groupby(["item_id", "store_id", "month"], as_index=False)["sell_price"].mean()
    joined = units.merge(mean_price, on=["item_id", "store_id", "month"], how="inner")
    joined["dollars"] = joined["units"] * joined["sell_price"]
    sums = joined.groupby(["store_id", "dept_id", "month"])[["dollars", "units"]].sum()
    return (sums["dollars"] / sums["units"].where(sums["units"] > 0)).unstack("month")

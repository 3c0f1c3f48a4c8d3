"""M5 accuracy backtest (benchmark only): the demand model's folds and M5's final window, scored with WRMSSE.

The model and every baseline come from the same scored rows (spark/ml/backtest.py): seasonal naive is the
most recent known same weekday, i.e. M5's sNaive (the last week repeated over the horizon).
Each fold is scored as the Competitors' Guide scores a submission: scale from the series' in-sample history
before the fold's origin, weights from the dollar sales of the 28 days before the origin.

The final evaluation window d_1942..d_1969 is forecast from the end of the daily history here (d_1913, the
origin d_1914, horizon days 29..56): the organisers' truth file holds those days for every series, while
d_1914..d_1941 exist for none (../shared/data/m5/SOURCE.md). Its weights are the dollar sales of
d_1886..d_1913 (the organisers' are of d_1914..d_1941, not available daily).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark.ml import backtest, metrics
from spark.ml.horizon import HorizonSpec, scoring_rows, training_rows
from spark.ml.m5 import M5Subset
from spark.ml.model import ModelConfig, fit_with, forecast
from spark.ml.scoring import with_next_day

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
EVAL_FILE = "sales_test_evaluation.csv.gz"
EVAL_DAYS = [f"d_{d}" for d in range(1942, 1970)]
EVAL_FIRST_H = 29  # d_1942 is the 29th day after d_1913, the last day of daily history here


@dataclass(frozen=True)
class FoldScore:
    """WRMSSE (mean of the levels) and each level's own WRMSSE for one method on one fold."""

    origin: str
    method: str
    wrmsse: float
    by_level: dict[int, float]


def spark_frames(
    spark: SparkSession,
    subset: M5Subset,
    price_feature: bool = True,
    calendar_days: pd.DataFrame | None = None,
) -> tuple[DataFrame, DataFrame]:
    """The subset's history (history contract) and its known-ahead store calendar as Spark frames.

    `price_feature=False` leaves the shelf price out of the features (its prices only weigh the levels);
    `calendar_days` (calendar.csv rows) extends the calendar past the history, e.g. to the final window.
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
    dated = replace(subset, calendar=subset.calendar if calendar_days is None else calendar_days)
    return (
        spark.createDataFrame(history, schema),
        spark.createDataFrame(
            dated.store_calendar(), "store_id string, date date, is_event double, is_snap double"
        ),
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
    subset: M5Subset, results: pd.DataFrame, methods=backtest.METHODS, levels=metrics.M5_LEVELS
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


def _matrix(subset: M5Subset, fold: pd.DataFrame, column: str, horizon: int, first_h: int = 1) -> np.ndarray:
    """Series x horizon matrix in the subset's row order; a missing row is an error, not a zero."""
    table = fold.pivot_table(index=["store_id", "sku"], columns="h", values=column, aggfunc="first")
    keys = pd.MultiIndex.from_arrays([subset.ids["store_id"], subset.ids["item_id"]])
    matrix = table.reindex(index=keys, columns=range(first_h, horizon + 1)).to_numpy(float)
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


def full_calendar(folder: Path) -> pd.DataFrame:
    """Every day of calendar.csv (d_1..d_1969): events and SNAP days are known ahead of the final window."""
    return pd.read_csv(folder / "calendar.csv", parse_dates=["date"])


def eval_truth(folder: Path, subset: M5Subset) -> np.ndarray:
    """Series x 28 actual units of d_1942..d_1969 in the subset's row order (its bottom series are items x
    stores, or store x departments whose truth is the sum of their items)."""
    truth = pd.read_csv(folder / EVAL_FILE)
    keys = ["store_id", "item_id"] if (subset.ids["item_id"] != subset.ids["dept_id"]).any() else None
    if keys is None:
        truth = truth.assign(item_id=truth["dept_id"])
        keys = ["store_id", "item_id"]
    table = truth.groupby(keys)[EVAL_DAYS].sum()
    matrix = table.reindex(pd.MultiIndex.from_frame(subset.ids[keys])).to_numpy(float)
    if np.isnan(matrix).any():
        raise ValueError("the evaluation file lacks some of the subset's series")
    return matrix


def forecast_eval_window(
    history: DataFrame, calendar: DataFrame, subset: M5Subset, spec: HorizonSpec, config: ModelConfig,
    chosen: dict,
) -> pd.DataFrame:
    """Fit once on every target up to the subset's last day, forecast horizon days 29..56 from the day after
    (d_1942..d_1969 after d_1913) with the model and every baseline, one row per series and h."""
    window = replace(spec, first_h=EVAL_FIRST_H, horizon=EVAL_FIRST_H + len(EVAL_DAYS) - 1)
    rows = training_rows(history, window, calendar)
    model = fit_with(rows, window.features, config, chosen)
    origin = (subset.days[-1] + timedelta(days=1)).date()
    scored = forecast(model, scoring_rows(with_next_day(history), window, [origin.isoformat()], calendar))
    frame = scored.select(
        "store_id", "sku", "h", "forecast", F.col("same_weekday_1").alias("snaive"),
        F.col("same_weekday_mean_4").alias("weekday_mean_4"), F.col("mean_28").alias("ma28"),
    ).toPandas()  # fmt: skip
    ets = backtest.smoothing_forecasts(backtest.daily_history(history), origin, sorted(frame["h"].unique()))
    return frame.merge(ets, on=["store_id", "sku", "h"], how="left")


def score_eval_window(
    subset: M5Subset, frame: pd.DataFrame, truth: np.ndarray, levels=metrics.M5_LEVELS
) -> list[FoldScore]:
    """WRMSSE of the model and each baseline on d_1942..d_1969: scale from all daily history, weights from
    the last 28 days of it."""
    n, last = subset.units.shape[1], EVAL_FIRST_H + len(EVAL_DAYS) - 1
    dollars = subset.dollars(n - WEIGHT_DAYS, n)
    scores = []
    for method in backtest.METHODS:
        predicted = _matrix(subset, frame, method, last, EVAL_FIRST_H)
        score, by_level = metrics.wrmsse(subset.ids, subset.units, truth, predicted, dollars, levels)
        scores.append(FoldScore("eval", method, score, by_level))
    return scores

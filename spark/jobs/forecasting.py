"""demand_model (weekly) and reorder_predictions (daily).

Training: one global MLlib GBT over every store x SKU series, on all daily_features up to the week's Sunday
(spark/ml/training.py: time-ordered tuning, 3-fold rolling-origin backtest against four baselines,
residual-quantile intervals). A version is promoted to champion only when its backtest WAPE beats the best
of the baselines (seasonal naive, the mean of the last four same weekdays, the 28-day mean without stock-out
days -- the rule the fallback serves -- and exponential smoothing per series: a model that cannot beat a
moving average should not replace it) and the current champion on the newest fold (scored on the same rows;
the champion's cutoff precedes that fold, so it never saw those days). Until a version is promoted, reorders
run on the 28-day mean (spark/ml/scoring.py::baseline).

Backfills: a run asked for many weeks trains only the newest TRAIN_NEWEST_WEEKS of them (the grid search
runs for the first of them; the next week of the same run, one week more data, reuses its choice) and records
the older ones as skipped (a model for a week long past is never used for a decision); weeks with less than
MIN_HISTORY_DAYS of features are recorded as skipped too. Scoring then falls back to the baseline.
"""

from __future__ import annotations

import hashlib
from datetime import date

import pandas as pd
from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark.calendar import day_range, holiday_name
from spark.context import JobContext, JobResult
from spark.jobs.inventory import SNAPSHOT_COLUMNS
from spark.jobs.lake_io import read_days, read_dimension, shift, stored_days, write_days
from spark.jobs.open_orders import OPEN_ORDER_COLUMNS
from spark.ml import backtest, metrics, scoring
from spark.ml.horizon import HorizonSpec, scoring_rows
from spark.ml.model import ModelConfig, forecast
from spark.ml.registry import Registry
from spark.ml.reorder import ReorderPolicy, recommend
from spark.ml.training import TrainingRun, train_demand

MIN_HISTORY_DAYS = 56
TRAIN_NEWEST_WEEKS = 2
HISTORY_DAYS = 364  # training reads at most the last year of features
MAX_TRAIN_ROWS = 300_000  # origins are sampled so a weekly fit stays minutes on 2 cores
ATTRIBUTES = ("square_footage", "unit_cost", "list_price", "shelf_life_days")
CALENDAR = ("is_holiday",)
# Four settings tried each week on a time-ordered split (the newest 7 target days of the oldest fold):
# enough to adapt depth and leaf size to the chain, small enough for minutes on 2 cores.
CONFIG = ModelConfig(
    max_iter=15, step_size=0.2, grid_max_depth=(4, 6), grid_min_instances=(10, 50), validation_days=7
)
ORIGIN_MIN_HISTORY = 14  # an origin needs two weeks of sales to learn from (M5 benchmarks use 28)
HISTORY_COLUMNS = [
    ("store_id", "string"),
    ("sku", "string"),
    ("units_sold", "double"),
    ("stock_out", "boolean"),
    ("price", "double"),
    ("promo", "boolean"),
    *[(a, "double") for a in ATTRIBUTES],
]


def train_demand_model(ctx: JobContext) -> JobResult:
    """Train (or record as skipped) every week in ctx.partitions, oldest first; returns versions trained."""
    registry = Registry(ctx.settings, ctx.asset.storage.path)
    trained, feature_days, tuned = {}, stored_days(ctx, "daily_features"), None
    newest = set(ctx.partitions[-TRAIN_NEWEST_WEEKS:])
    for monday in ctx.partitions:
        cutoff = shift(monday, 6)
        available = [d for d in feature_days if d <= cutoff]
        reason = _skip_reason(monday, newest, available)
        entry = {"week": monday, "cutoff": cutoff, "run_id": ctx.run_id}
        if reason:
            champion = registry.champion()
            entry |= {"status": "skipped", "reason": reason, "champion": champion and champion["version"]}
        else:
            outcome, tuned = _train_week(ctx, registry, monday, available, tuned)
            entry |= outcome
            trained[monday] = entry["version"]
        registry.write_json(f"weeks/{monday}.json", entry)
    return JobResult(
        len(trained),
        rows_by_partition={m: int(m in trained) for m in ctx.partitions},
        details={"trained": trained},
    )


def _skip_reason(monday: str, newest: set[str], available: list[str]) -> str:
    if len(available) < MIN_HISTORY_DAYS:
        return f"only {len(available)} days of features (< {MIN_HISTORY_DAYS})"
    if monday not in newest:
        return "backfill: only the newest weeks of a run are trained"
    return ""


def _train_week(
    ctx: JobContext, registry: Registry, monday: str, days: list[str], tuned: dict | None
) -> tuple[dict, dict]:
    """Train, register and maybe promote one week's version: (its week entry, the tuning it used)."""
    cutoff = shift(monday, 6)
    history = training_history(ctx, max(days[0], shift(cutoff, -HISTORY_DAYS + 1)), cutoff).cache()
    series, n_days = history.select("store_id", "sku").distinct().count(), len(days)
    spec = HorizonSpec(
        horizon=7,
        attributes=ATTRIBUTES,
        calendar_columns=CALENDAR,
        min_history_days=ORIGIN_MIN_HISTORY,
        origin_sample=min(1.0, MAX_TRAIN_ROWS / max(series * min(n_days, HISTORY_DAYS) * 7, 1)),
    )
    calendar = holiday_frame(ctx, days[0], shift(cutoff, 28))
    run = train_demand(
        history, spec, CONFIG, date.fromisoformat(cutoff), n_folds=3, calendar=calendar, tuned=tuned
    )
    version = registry.next_version()
    champion = registry.champion()
    comparison = compare_with_champion(ctx, registry, champion, run, history, calendar)
    promote = _beats(run, comparison)
    _save_version(ctx, registry, version, monday, spec, run, comparison, promote)
    history.unpersist()
    if promote:
        registry.write_json(
            "champion.json", {"version": version, "cutoff": cutoff, "wape": run.summary["forecast"]["wape"]}
        )
    after = version if promote else (champion and champion["version"])
    return {
        "status": "trained",
        "version": version,
        "promoted": promote,
        "champion": after,
        "wape": run.summary["forecast"]["wape"],
        "snaive_wape": run.summary["snaive"]["wape"],
        "baseline": best_baseline(run.summary),
    }, run.tuning


def training_history(ctx: JobContext, first: str, last: str) -> DataFrame:
    """daily_features in the forecasting history contract (spark/ml/horizon.py)."""
    features = read_days(ctx, "daily_features", first, last, HISTORY_COLUMNS)
    return features.select(
        "store_id",
        "sku",
        "date",
        F.col("units_sold").cast("double"),
        F.col("stock_out").cast("boolean"),
        F.col("price").cast("double"),
        F.col("promo").cast("boolean"),
        *[F.coalesce(F.col(a).cast("double"), F.lit(0.0)).alias(a) for a in ATTRIBUTES],
    )


def holiday_frame(ctx: JobContext, first: str, last: str) -> DataFrame:
    """Known-in-advance calendar columns per date (joined on the target day)."""
    days = day_range(date.fromisoformat(first), date.fromisoformat(last))
    return ctx.spark.createDataFrame(
        [(d, float(bool(holiday_name(d)))) for d in days], "date date, is_holiday double"
    )


def compare_with_champion(ctx, registry, champion, run: TrainingRun, history, calendar) -> dict:
    """WAPE of the new fold model and of the champion on the newest backtest fold (same rows)."""
    fold, newest = run.folds[-1], run.backtest[run.backtest["fold_origin"] == run.folds[-1].origin]
    result = {
        "fold_origin": fold.origin.isoformat(),
        "new_wape": metrics.wape(newest["label"], newest["forecast"]),
    }
    if not champion or champion["cutoff"] >= fold.origin.isoformat():
        return result | {"champion": None}
    meta = registry.read_json(f"{champion['version']}/metadata.json")
    spec = horizon_spec(meta)
    if spec.features != run_features(run):
        return result | {
            "champion": champion["version"],
            "champion_wape": None,
            "note": "feature list changed",
        }
    model = PipelineModel.load(registry.model_url(champion["version"]))
    rows = backtest.fold_test(scoring_rows(history, spec, [fold.origin.isoformat()], calendar), history, fold)
    scored = backtest.collect_scored(forecast(model, rows), fold)
    return result | {
        "champion": champion["version"],
        "champion_wape": metrics.wape(scored["label"], scored["forecast"]),
    }


def run_features(run: TrainingRun) -> list[str]:
    return list(run.model.stages[0].getInputCols())


BASELINES = backtest.BASELINES


def best_baseline(summary: dict, metric: str = "wape") -> dict:
    """The baseline with the lowest backtest `metric` (WAPE: the bar a model must clear to serve orders)."""
    name = min(BASELINES, key=lambda b: summary[b][metric])
    return {"name": name, metric: summary[name][metric]}


def _beats(run: TrainingRun, comparison: dict) -> bool:
    if not run.summary["forecast"]["wape"] < best_baseline(run.summary)["wape"]:
        return False
    champion_wape = comparison.get("champion_wape")
    return champion_wape is None or comparison["new_wape"] < champion_wape


def horizon_spec(meta: dict) -> HorizonSpec:
    """The HorizonSpec a registered version was trained with."""
    h = meta["horizon_spec"]
    return HorizonSpec(
        horizon=h["horizon"],
        attributes=tuple(h["attributes"]),
        calendar_columns=tuple(h["calendar_columns"]),
        min_history_days=h["min_history_days"],
        relative=h.get("relative", False),  # versions registered before relative targets learnt units
    )


def _save_version(
    ctx, registry: Registry, version: str, monday: str, spec, run: TrainingRun, comparison, promote
):
    cutoff = shift(monday, 6)
    run.model.write().overwrite().save(registry.model_url(version))
    registry.write_table(f"{version}/intervals.parquet", run.interval_table)
    registry.write_table(f"{version}/weekly_intervals.parquet", run.weekly_interval_table)
    registry.write_table(
        f"{version}/backtest.parquet", run.backtest.astype({"target_date": str, "fold_origin": str})
    )
    registry.write_json(
        f"{version}/metadata.json",
        {
            "version": version,
            "cutoff": cutoff,
            "run_id": ctx.run_id,
            "params": run.params,
            "tuning": run.tuning,
            "features": spec.features,
            "importances": run.importances,
            "backtest": run.summary,
            "best_baseline": best_baseline(run.summary),
            "best_baseline_rmse": best_baseline(run.summary, "rmse"),
            "interval_coverage_90": run.interval_coverage_90,
            "interval_coverage_7d": run.weekly_coverage,
            "train_rows": run.train_rows,
            "seconds": run.seconds,
            "horizon_spec": {
                "horizon": spec.horizon,
                "attributes": list(spec.attributes),
                "calendar_columns": list(spec.calendar_columns),
                "min_history_days": spec.min_history_days,
                "origin_sample": spec.origin_sample,
                "relative": spec.relative,
            },
            "champion_comparison": comparison,
            "promoted": promote,
            "data_versions": data_versions(ctx, cutoff),
        },
    )
    # What the demand_model gate reads: the week and the backtest against the baselines.
    registry.write_json(
        f"{version}/metrics.json",
        {
            "week": monday,
            "cutoff": cutoff,
            "version": version,
            "backtest": run.summary,
            "best_baseline": best_baseline(run.summary),
            "interval_coverage_90": run.interval_coverage_90,
            "interval_coverage_7d": run.weekly_coverage,
            "promoted": promote,
        },
    )


def data_versions(ctx: JobContext, cutoff: str) -> dict[str, str]:
    """The data version of every daily_features partition the version was trained on, as planned."""
    read = ctx.inputs.get("daily_features", {})
    return {key: version for key, version in sorted(read.items()) if key <= cutoff}


# --- reorder_predictions ------------------------------------------------------------------------------------


def predict_reorders(ctx: JobContext) -> JobResult:
    """Forecast, stock position and the reorder decision per store x SKU for each day in ctx.partitions."""
    first, last = ctx.partitions[0], ctx.partitions[-1]
    registry = Registry(ctx.settings, ctx.location("demand_model"))
    history = training_history(ctx, shift(first, -90), last).cache()
    forecasts = pd.concat(
        [
            _forecast_days(ctx, registry, history, version, days)
            for version, days in champions_by_day(registry, ctx.partitions).items()
        ]
    )
    snapshot = read_days(ctx, "inventory_snapshot", first, last, SNAPSHOT_COLUMNS)
    stock = snapshot.select("store_id", "sku", "date", "closing_on_hand").toPandas()
    on_order = read_days(ctx, "open_orders", first, last, OPEN_ORDER_COLUMNS)
    stock = stock.merge(on_order.select("store_id", "sku", "date", "on_order").toPandas(), how="left",
                        on=["store_id", "sku", "date"])  # fmt: skip
    terms = supplier_terms(read_dimension(ctx, "products"), read_dimension(ctx, "suppliers"))
    decided = decide(forecasts, stock, terms)
    frame = ctx.spark.createDataFrame(decided).withColumn("date", F.to_date("date"))
    rows = write_days(ctx, frame)
    history.unpersist()
    return JobResult(sum(rows.values()), rows_by_partition=rows)


def champions_by_day(registry: Registry, days: tuple[str, ...]) -> dict[str, list[str]]:
    """{champion version ('' = none yet): days it serves}, from the week entry before each day."""
    weeks, served = registry.weeks(), {}
    for day in days:
        before = [w for w in weeks if shift(w, 6) < day]
        entry = registry.week(before[-1]) if before else None
        served.setdefault((entry or {}).get("champion") or "", []).append(day)
    return served


def _forecast_days(ctx, registry: Registry, history, version: str, days: list[str]):
    if not version:
        return scoring.baseline(history, days)
    meta = registry.read_json(f"{version}/metadata.json")
    spec = horizon_spec(meta)
    calendar = holiday_frame(ctx, shift(days[0], -120), shift(days[-1], spec.horizon + 1))
    model = PipelineModel.load(registry.model_url(version))
    return scoring.model_forecast(
        model,
        spec,
        history,
        days,
        calendar,
        registry.read_table(f"{version}/intervals.parquet"),
        registry.read_table(f"{version}/weekly_intervals.parquet"),
        version,
    )


TERMS = ("case_pack", "lead_time_days", "lead_time_std_days", "min_order_units")


def supplier_terms(products: DataFrame, suppliers: DataFrame):
    """Per SKU: case pack, lead time (mean and std, days) and minimum order of its supplier.

    A SKU without a supplier in reference/suppliers (or without a case pack) keeps nulls: its rows get no
    recommendation and the reorder_predictions gate blocks the day, naming the SKU. A guessed 7-day lead time
    or a pack of one would order wrong quantities that look right.
    """
    joined = products.select("sku", "case_pack", "supplier_id").join(suppliers, "supplier_id", "left")
    return joined.select("sku", *TERMS).toPandas()


DECISION_INPUTS = ("daily_mean", "daily_std", "on_hand", "on_order", "committed", *TERMS)


def decide(forecasts, stock, terms):
    """Join forecast, on-hand, on-order and supplier terms, then apply the reorder policy
    (spark/ml/reorder.py) to the rows whose terms are known; the others keep null decisions."""
    frame = forecasts.assign(date=forecasts["date"].astype(str)).merge(
        stock.assign(date=stock["date"].astype(str)), on=["store_id", "sku", "date"], how="left"
    )
    frame = frame.merge(terms, on="sku", how="left")
    frame["on_hand"] = frame["closing_on_hand"].fillna(0).astype("int64")
    frame["on_order"] = frame["on_order"].fillna(0).astype("int64")  # open_orders has a row per pair
    # Units promised to customers and not yet picked (reservations, click-and-collect): the POS streams
    # carry none, every sale leaves the shelf at the till, so nothing on hand is committed.
    frame["committed"] = 0
    known = frame[list(TERMS)].notna().all(axis=1).to_numpy()
    policy = ReorderPolicy()
    fields = recommend({c: frame.loc[known, c].to_numpy() for c in DECISION_INPUTS}, policy)
    for name, values in fields.items():
        frame[name] = pd.Series(values, index=frame.index[known]).reindex(frame.index)
    frame["prediction_id"] = [
        hashlib.sha1(f"{d}|{s}|{k}".encode()).hexdigest()[:16]
        for d, s, k in zip(frame["date"], frame["store_id"], frame["sku"], strict=True)
    ]
    frame["service_level"] = policy.service_level
    return frame[PREDICTION_COLUMNS]


PREDICTION_COLUMNS = [
    "prediction_id",
    "date",
    "store_id",
    "sku",
    "forecast_source",
    "model_version",
    "predicted_demand",
    "confidence_low",
    "confidence_high",
    "daily_mean",
    "daily_std",
    "on_hand",
    "on_order",
    "lead_time_days",
    "lead_time_std_days",
    "case_pack",
    "min_order_units",
    "service_level",
    "safety_stock",
    "reorder_point",
    "order_up_to",
    "recommended_order_qty",
    "stock_out_probability",
    "urgency",
]

"""The direct multi-horizon training frame: one row per (store x SKU, forecast origin, horizon day).

A forecast made at the start of origin day o (sales known up to o-1) for target day t = o + h - 1 sees
the history statistics as of o, the most recent same-weekday sales that are already known at o, the
target day's calendar, and the horizon h itself. One global model covers every series and horizon.

A stock-out day's units are censored demand (the shelf was empty), not zero demand: every lag and trailing
statistic leaves those days out (a same-weekday lag falls back to the next older same weekday).

History contract (one row per store x SKU x day, dense, no gaps):
  store_id, sku, date, units_sold (double), stock_out (boolean: demand censored that day),
  price (double, shelf price of the day; optional), promo (boolean; optional),
  plus any numeric attribute columns named in `HorizonSpec.attributes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

SERIES = ("store_id", "sku")
MAX_LAG = 56  # days of recent sales kept per origin: same-weekday lags up to 4 weeks past horizon 28
WINDOWS = (7, 28, 90)
ORIGIN_STATS = (
    "lag_1", "mean_7", "mean_28", "mean_90", "std_28", "max_28", "zero_share_28", "price", "price_ratio_28",
    "promo",
)
SEASONAL = ("same_weekday_1", "same_weekday_2", "same_weekday_mean_4")
TARGET_CALENDAR = ("target_dow", "target_day_of_month", "target_month", "target_week_of_year")
# A global tree model sees sales relative to each series' level: with raw units a split on mean_28 lumps a
# 20-unit and a 200-unit series into one leaf (max 32 bins), and the forecast of every big seller is that
# leaf's average. Relative to the level the same shapes (weekday, promo, trend) are shared across volumes.
LEVEL_FLOOR = 0.25  # units/day: below it a series' 28-day mean is too noisy to divide by
RELATIVE = ("lag_1", "mean_7", "mean_90", "std_28", "max_28", *SEASONAL)
VOLUME_EDGES = (0.5, 2.0, 8.0)  # mean daily units over the last 28 days: slow / low / medium / fast


@dataclass(frozen=True)
class HorizonSpec:
    """How far ahead to forecast, which origins to learn from, and extra feature columns."""

    horizon: int = 7
    first_h: int = 1  # first horizon day forecast (M5's final window from d_1913 is h 29..56)
    origin_sample: float = 0.25  # share of (series, origin day) pairs kept for training, chosen by hash
    min_history_days: int = 28
    attributes: tuple[str, ...] = ()
    calendar_columns: tuple[str, ...] = field(default=())
    relative: bool = True  # learn units / level (weighted by level) rather than units

    @property
    def features(self) -> list[str]:
        """The model's input columns, in assembler order."""
        if not self.relative:
            return ["h", *ORIGIN_STATS, *SEASONAL, *TARGET_CALENDAR, *self.calendar_columns, *self.attributes]
        shape = [f"{c}_rel" for c in RELATIVE]
        origin = ["log_level", "zero_share_28", "price", "price_ratio_28", "promo"]
        return ["h", *origin, *shape, *TARGET_CALENDAR, *self.calendar_columns, *self.attributes]


def origin_frame(history: DataFrame, spec: HorizonSpec) -> DataFrame:
    """Per series and day o: what is known at the start of o (sales up to o-1, o's shelf price)."""
    ordered = Window.partitionBy(*SERIES).orderBy("date")
    with_defaults = _with_optional(history).withColumn("demand", _uncensored())
    stats = [_trailing(ordered, n) for n in WINDOWS]
    # NaN keeps a censored day's place in the list (collect_list would drop a null and shift every lag)
    recent = F.collect_list(F.coalesce("demand", F.lit(float("nan")))).over(ordered.rowsBetween(-MAX_LAG, -1))
    last_28 = ordered.rowsBetween(-28, -1)
    mean_price = F.avg("price").over(last_28)
    return with_defaults.select(
        *SERIES,
        "date",
        *spec.attributes,
        F.reverse(recent).alias("recent"),
        F.coalesce(F.lag("demand", 1).over(ordered), stats[0]).alias("lag_1"),
        *[s.alias(f"mean_{n}") for s, n in zip(stats, WINDOWS, strict=True)],
        F.coalesce(F.stddev_pop("demand").over(last_28), F.lit(0.0)).alias("std_28"),
        F.coalesce(F.max("demand").over(last_28), F.lit(0.0)).alias("max_28"),
        F.coalesce(F.avg((F.col("demand") == 0).cast("double")).over(last_28), F.lit(1.0)).alias(
            "zero_share_28"
        ),
        F.col("price"),
        F.coalesce(F.try_divide(F.col("price"), mean_price), F.lit(1.0)).alias("price_ratio_28"),
        F.col("promo").cast("double").alias("promo"),
    )


def horizon_frame(origins: DataFrame, spec: HorizonSpec, calendar: DataFrame | None = None) -> DataFrame:
    """Expand each origin into its horizon days with the seasonal lags known at the origin."""
    expanded = origins.withColumn("h", F.explode(F.sequence(F.lit(spec.first_h), F.lit(spec.horizon))))
    expanded = expanded.withColumn("target_date", F.date_add("date", F.col("h") - 1))
    # Most recent known same weekday as the target: t - 7k with k = ceil(h/7), i.e. o - m.
    back = F.expr("7 * cast(ceil(h / 7.0) as int) - h + 1")
    same = [F.nanvl(F.try_element_at("recent", back + 7 * j), F.lit(None).cast("double")) for j in range(4)]
    known = F.filter(F.array(*same), lambda x: x.isNotNull())
    frame = expanded.select(
        "*",
        F.coalesce(*same, F.col("mean_28")).alias("same_weekday_1"),
        F.coalesce(same[1], same[0], F.col("mean_28")).alias("same_weekday_2"),
        F.coalesce(
            F.try_divide(F.aggregate(known, F.lit(0.0), lambda a, x: a + x), F.size(known)), F.col("mean_28")
        ).alias("same_weekday_mean_4"),
        F.dayofweek("target_date").cast("double").alias("target_dow"),
        F.dayofmonth("target_date").cast("double").alias("target_day_of_month"),
        F.month("target_date").cast("double").alias("target_month"),
        F.weekofyear("target_date").cast("double").alias("target_week_of_year"),
        volume_class(F.col("mean_28")).alias("volume_class"),
    ).drop("recent")
    frame = with_level(frame)
    return join_calendar(frame, calendar, spec) if calendar is not None else frame


def with_level(frame: DataFrame) -> DataFrame:
    """`level` (28-day mean, floored), its log, and the level-like statistics divided by it."""
    level = F.greatest(F.col("mean_28"), F.lit(LEVEL_FLOOR))
    return frame.select(
        "*",
        level.alias("level"),
        F.log1p(F.col("mean_28")).alias("log_level"),
        *[(F.col(c) / level).alias(f"{c}_rel") for c in RELATIVE],
    )


def join_calendar(frame: DataFrame, calendar: DataFrame, spec: HorizonSpec) -> DataFrame:
    """Known-in-advance target-day columns (events, SNAP days), keyed by date and optionally store."""
    keys = ["date"] + [k for k in SERIES if k in calendar.columns]
    renamed = calendar.withColumnRenamed("date", "target_date")
    on = ["target_date"] + keys[1:]
    joined = frame.join(renamed.select(*on, *spec.calendar_columns), on=on, how="left")
    return joined.fillna(0.0, subset=list(spec.calendar_columns))


def training_rows(history: DataFrame, spec: HorizonSpec, calendar: DataFrame | None = None) -> DataFrame:
    """Sampled origins expanded to the horizon and labelled (target day's units; censored days dropped)."""
    origins = origin_frame(history, spec).where(F.size("recent") >= spec.min_history_days)
    if spec.origin_sample < 1:
        pick = F.abs(F.xxhash64(*SERIES, "date")) % 10_000 < int(spec.origin_sample * 10_000)
        origins = origins.where(pick)
    labels = history.select(
        *SERIES, F.col("date").alias("target_date"), F.col("units_sold").cast("double").alias("label"),
        F.col("stock_out").alias("target_stock_out"),
    )
    frame = horizon_frame(origins, spec, calendar).join(labels, on=[*SERIES, "target_date"], how="inner")
    frame = frame.where(~F.col("target_stock_out")).drop("target_stock_out")
    if not spec.relative:
        return frame.withColumn("weight", F.lit(1.0))
    # Squared loss on units/level weighted by level = squared loss on units divided by the level: big and
    # small sellers both count, as for count data whose variance grows with the mean.
    return frame.withColumn("label", F.col("label") / F.col("level")).withColumn("weight", F.col("level"))


def scoring_rows(history: DataFrame, spec: HorizonSpec, origin_days: list[str], calendar=None) -> DataFrame:
    """Rows to forecast from each origin day in `origin_days` (every series, every horizon day)."""
    origins = origin_frame(history, spec).where(
        F.col("date").isin([F.to_date(F.lit(d)) for d in origin_days])
    )
    return horizon_frame(origins, spec, calendar)


def volume_class(mean_daily: Column) -> Column:
    """0 slow .. 3 fast mover, by recent mean daily units: residual spread grows with volume."""
    edges = VOLUME_EDGES
    return (
        F.when(mean_daily < edges[0], 0)
        .when(mean_daily < edges[1], 1)
        .when(mean_daily < edges[2], 2)
        .otherwise(3)
    )


def _trailing(ordered, days: int) -> Column:
    return F.coalesce(F.avg("demand").over(ordered.rowsBetween(-days, -1)), F.lit(0.0))


def _uncensored() -> Column:
    """Units sold where they measure demand; null on a stock-out day."""
    return F.when(~F.coalesce(F.col("stock_out"), F.lit(False)), F.col("units_sold"))


def _with_optional(history: DataFrame) -> DataFrame:
    if "price" not in history.columns:
        history = history.withColumn("price", F.lit(0.0))
    if "promo" not in history.columns:
        history = history.withColumn("promo", F.lit(False))
    return history.withColumn("price", F.coalesce(F.col("price").cast("double"), F.lit(0.0)))

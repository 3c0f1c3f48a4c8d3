"""slow_movers: which store x SKU positions will not sell through before they expire (markdown candidates).

Rows are "origins": a store x SKU at the close of a Sunday, described by what is known then (on-hand, recent
sales, days since the last sale, stock-out days, shelf life, price). The label looks forward: an origin is
`at_risk` when fewer than half of its on-hand units sell within min(shelf life, 28) days
(AT_RISK_SELL_THROUGH), i.e. at least half the stock would expire or age past a month on the shelf.
A label is known only once its 28 days have passed, so a week's model learns from origins at least 28 days
before its cutoff and is measured on a time split: the newest TEST_WEEKS labelled origins are held out, and
the EMBARGO_WEEKS before them are left out of training, as their 28-day label windows reach into the test
weeks (a training label would then already know the test origins' sales).
The same split scores the transparent cover rule (on-hand > sales expected over the shelf life at the
28-day mean rate, times 1/AT_RISK_SELL_THROUGH) so the forest's precision/recall has a reference.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.ml import Pipeline
from pyspark.ml.classification import RandomForestClassifier
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

SERIES = ["store_id", "sku"]
HORIZON_DAYS = 28
AT_RISK_SELL_THROUGH = 0.5
TEST_WEEKS = 4
TRAIN_WEEKS = 20  # labelled origins a week's model learns from (plus the embargo and TEST_WEEKS held out)
EMBARGO_WEEKS = (HORIZON_DAYS - 1) // 7  # weekly origins whose label reaches past the first test origin
LABELLED_WEEKS = TRAIN_WEEKS + EMBARGO_WEEKS + TEST_WEEKS  # weeks of labelled origins a week's job reads
FEATURE_DAYS = 91  # the longest trailing statistic
DEFAULT_SHELF_LIFE = 365  # ambient goods without a shelf life
FEATURES = (
    "on_hand",
    "mean_7",
    "mean_28",
    "mean_91",
    "days_since_last_sale",
    "stock_out_days_28",
    "days_of_cover",
    "shelf_life_days",
    "unit_cost",
    "list_price",
)


@dataclass(frozen=True)
class ForestConfig:
    """MLlib RandomForestClassifier settings: small, so a weekly fit stays seconds on 2 cores."""

    num_trees: int = 30
    max_depth: int = 6
    min_instances_per_node: int = 5
    seed: int = 7


def origins(snapshot: DataFrame, products: DataFrame) -> DataFrame:
    """Features (and, where the future is in `snapshot`, the label) of every store x SKU x day of `snapshot`.

    `snapshot` has store_id, sku, date, sold, closing_on_hand, stock_out; callers keep the days they need.
    """
    by_day = Window.partitionBy(*SERIES).orderBy(F.unix_date("date"))
    sold = F.col("sold").cast("double")
    attributes = products.select(
        "sku",
        F.col("shelf_life_days").cast("double"),
        F.col("unit_cost").cast("double"),
        F.col("list_price").cast("double"),
    )
    frame = snapshot.join(attributes, "sku", "left").select(
        *SERIES,
        "date",
        F.col("closing_on_hand").cast("double").alias("on_hand"),
        *[
            F.coalesce(F.avg(sold).over(by_day.rangeBetween(-(n - 1), 0)), F.lit(0.0)).alias(f"mean_{n}")
            for n in (7, 28, 91)
        ],
        F.sum(F.col("stock_out").cast("int"))
        .over(by_day.rangeBetween(-27, 0))
        .cast("double")
        .alias("stock_out_days_28"),
        F.max(F.when(F.col("sold") > 0, F.unix_date("date")))
        .over(by_day.rangeBetween(-(FEATURE_DAYS - 1), 0))
        .alias("_last_sale"),
        F.sum(sold).over(by_day.rowsBetween(Window.unboundedPreceding, 0)).alias("_sold_to_date"),
        F.coalesce("shelf_life_days", F.lit(float(DEFAULT_SHELF_LIFE))).alias("shelf_life_days"),
        F.coalesce("unit_cost", F.lit(0.0)).alias("unit_cost"),
        F.coalesce("list_price", F.lit(0.0)).alias("list_price"),
    )
    frame = frame.select("*", *_feature_columns(), _horizon().alias("horizon_days"))
    later = frame.select(*SERIES, F.col("date").alias("_end"), F.col("_sold_to_date").alias("_sold_by_end"))
    frame = frame.withColumn("_end", F.date_add("date", F.col("horizon_days").cast("int")))
    labelled = frame.join(later, [*SERIES, "_end"], "left")
    return labelled.select("*", *_label_columns()).drop("_last_sale", "_sold_to_date", "_end", "_sold_by_end")


def _horizon() -> Column:
    return F.least(F.col("shelf_life_days"), F.lit(float(HORIZON_DAYS)))


def _feature_columns() -> list[Column]:
    since = F.unix_date("date") - F.col("_last_sale")
    cover = F.col("on_hand") / F.greatest(F.col("mean_28"), F.lit(1.0 / HORIZON_DAYS))
    return [
        F.coalesce(since, F.lit(FEATURE_DAYS)).cast("double").alias("days_since_last_sale"),
        F.least(cover, F.lit(999.0)).alias("days_of_cover"),
    ]


def _label_columns() -> list[Column]:
    forward = F.col("_sold_by_end") - F.col("_sold_to_date")  # null while the horizon is not over yet
    at_risk = (F.col("on_hand") > 0) & (forward < AT_RISK_SELL_THROUGH * F.col("on_hand"))
    expected = F.col("mean_28") * F.col("horizon_days")
    rule = (F.col("on_hand") > 0) & (expected < AT_RISK_SELL_THROUGH * F.col("on_hand"))
    return [
        forward.alias("forward_units"),
        F.when(forward.isNotNull(), at_risk.cast("double")).alias("label"),
        rule.alias("rule_at_risk"),
    ]


def train_and_score(labelled: DataFrame, current: DataFrame, config: ForestConfig) -> tuple[DataFrame, dict]:
    """Fit on the labelled origins before the embargo, measure on the newest TEST_WEEKS, refit on all, score
    `current`. Returns the scored rows (at_risk_probability, at_risk) and the split's metrics for forest and
    rule."""
    days = sorted(r["date"] for r in labelled.select("date").distinct().collect())
    train_days, test_days = embargoed_split(days)
    if not train_days:
        raise ValueError(f"{len(days)} labelled weeks leave none to train on before the embargo")
    train = labelled.where(F.col("date").isin(train_days))
    test = labelled.where(F.col("date").isin(test_days))
    held_out = pipeline(config).fit(train).transform(test)
    metrics = {
        **precision_recall(held_out, "prediction", "model"),
        **precision_recall(test.withColumn("_rule", F.col("rule_at_risk").cast("double")), "_rule", "rule"),
        "test_rows": test.count(),
        "train_rows": train.count(),
        "test_at_risk_share": _share(test),
        "embargo_days": (test_days[0] - train_days[-1]).days,
    }
    scored = pipeline(config).fit(labelled).transform(current)
    probability = vector_to_array("probability")[1]
    return scored.withColumn("at_risk_probability", probability).withColumn(
        "at_risk", F.col("prediction") > 0.5
    ).drop("features", "rawPrediction", "probability", "prediction"), metrics


def embargoed_split(days: list) -> tuple[list, list]:
    """(training origins, test origins) of sorted origin days: the newest TEST_WEEKS are the test, and a
    training origin's label window (HORIZON_DAYS after it) ends on or before the first test origin."""
    test = days[-TEST_WEEKS:]
    return [d for d in days[:-TEST_WEEKS] if (test[0] - d).days >= HORIZON_DAYS], test


def pipeline(config: ForestConfig) -> Pipeline:
    """Assemble FEATURES and grow the forest on `label`."""
    forest = RandomForestClassifier(
        labelCol="label",
        featuresCol="features",
        numTrees=config.num_trees,
        maxDepth=config.max_depth,
        minInstancesPerNode=config.min_instances_per_node,
        seed=config.seed,
    )
    return Pipeline(stages=[VectorAssembler(inputCols=list(FEATURES), outputCol="features"), forest])


def precision_recall(frame: DataFrame, predicted: str, prefix: str) -> dict[str, float | None]:
    """Precision and recall of the at-risk class (None where undefined: nothing flagged / nothing at risk)."""
    row = frame.agg(
        F.sum(((F.col(predicted) == 1) & (F.col("label") == 1)).cast("int")).alias("tp"),
        F.sum((F.col(predicted) == 1).cast("int")).alias("flagged"),
        F.sum((F.col("label") == 1).cast("int")).alias("actual"),
    ).first()
    tp, flagged, actual = (row[k] or 0 for k in ("tp", "flagged", "actual"))
    return {
        f"{prefix}_precision": tp / flagged if flagged else None,
        f"{prefix}_recall": tp / actual if actual else None,
    }


def _share(frame: DataFrame) -> float | None:
    return frame.agg(F.avg("label")).first()[0]

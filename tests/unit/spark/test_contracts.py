"""pandera contracts: a good frame passes untouched; a bad one fails naming the column and the rule."""

from __future__ import annotations

import random
import re
from datetime import date, datetime

import pandas as pd
import pytest

from spark.contracts import CONTRACTS, ContractViolation, check
from spark.schemas import INGEST_COLUMNS, RAW_SALES, spark_schema

AT, DAY = datetime(2026, 3, 10, 9), date(2026, 3, 10)
GOOD_SALE = ("e1", "sale", "b1", "S1", "t1", "A", 2, 2.5, 0.0, AT, 0, 1, DAY)
BAD_SALE = ("e2", "void", None, None, "t1", "A", 0, 2.5, 0.0, AT, 0, 2, DAY)
COLUMNS = [c for c, _ in RAW_SALES + INGEST_COLUMNS]


def test_a_good_pandas_frame_is_returned_as_is():
    frame = pd.DataFrame([GOOD_SALE], columns=COLUMNS)
    assert check(frame, "raw_sales") is frame


def test_a_bad_pandas_frame_names_each_column_and_rule():
    frame = pd.DataFrame([GOOD_SALE, BAD_SALE], columns=COLUMNS)
    with pytest.raises(ContractViolation) as caught:
        check(frame, "raw_sales")
    message = str(caught.value)
    assert message.startswith("raw_sales contract violated")
    for part in ("column 'kind': isin", "column 'store_id': not_nullable", "column 'quantity': greater_than"):
        assert part in message
    assert "basket_id" not in message, "nullable columns may be null"


def test_a_missing_column_and_an_unknown_contract_are_named():
    with pytest.raises(ContractViolation, match="column 'unit_price': missing"):
        check(pd.DataFrame([GOOD_SALE], columns=COLUMNS).drop(columns="unit_price"), "raw_sales")
    with pytest.raises(KeyError, match="no contract 'raw_salez'"):
        check(pd.DataFrame(), "raw_salez")


def test_every_asset_the_jobs_write_has_a_contract():
    assert {"raw_sales", "raw_receipts", "raw_inventory_updates", "raw_price_changes", "inventory_snapshot",
            "daily_features", "reorder_predictions"} <= set(CONTRACTS)


@pytest.mark.spark
def test_spark_frames_get_the_same_verdict_as_pandera_on_pandas(settings):
    """The Spark path counts the rules in one job; pandera's pandas backend is the reference verdict."""
    from spark.session import get_spark

    spark, rng = get_spark(settings), random.Random(7)
    for name in ("raw_sales", "inventory_snapshot", "reorder_predictions", "sales_anomalies"):
        columns = [(r.column, r.type or "double") for r in CONTRACTS[name]]
        rows = [tuple(_value(rule, rng) for rule in CONTRACTS[name]) for _ in range(60)]
        expected = _broken_rules(pd.DataFrame(rows, columns=[c for c, _ in columns]), name)
        found = _broken_rules(spark.createDataFrame(rows, spark_schema(columns)), name)
        assert found == expected and expected, name
    schema = spark_schema(RAW_SALES + INGEST_COLUMNS)
    good = spark.createDataFrame([GOOD_SALE], schema)
    assert check(good, "raw_sales") is good
    wrong_type = good.withColumn("unit_price", good["unit_price"].cast("int"))
    with pytest.raises(ContractViolation, match="unit_price.*DoubleType"):
        check(wrong_type, "raw_sales")


def _broken_rules(frame, name: str) -> set[str]:
    """The "column 'x': rule" parts of the frame's ContractViolation (each path adds its own detail)."""
    try:
        check(frame, name)
    except ContractViolation as violation:
        message = str(violation).split(": ", 1)[1]
        return {re.match(r"column '[^']+': .+?(?= \(|$)", part).group(0) for part in message.split("; ")}
    return set()


def _value(rule, rng: random.Random):
    """A value for the rule's column: mostly valid, sometimes null or on the wrong side of a bound."""
    roll = rng.random()
    if roll < 0.04:
        return None
    if rule.isin:
        return "not-allowed" if roll < 0.08 else rng.choice(rule.isin)
    low = rule.ge if rule.ge is not None else rule.gt
    if roll < 0.08 and low is not None:
        number = low - 1
    elif roll < 0.12 and rule.le is not None:
        number = rule.le + 1
    else:
        number = (low or 0) + 1 + rng.random() * (rule.le - (low or 0) - 2 if rule.le is not None else 100)
    typed = {"string": lambda: f"s{int(number)}", "bigint": lambda: int(number), "int": lambda: int(number),
             "boolean": lambda: roll < 0.5, "date": lambda: DAY, "timestamp": lambda: AT}
    return typed.get(rule.type, lambda: float(number))()
